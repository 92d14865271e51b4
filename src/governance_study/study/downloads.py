"""The files published beside a report: the CSV of every table, the data and vector files of every figure.

Grain: one :class:`Download` per table or figure a report shows; its files go to
``reports/data/<report_id>/<name>.<csv|svg|pdf>`` and the report links them under the table or figure.

The kernel only displays: a table's rows travel in its output (``report.html.TABLE_MIMETYPE``), a figure's data and its SVG
and PDF in its output (``FIGURE_MIMETYPE``) and output metadata. Publishing reads them back here, writes the
files, takes the vector bytes out of the notebook that is kept beside the report (they are files now) and adds
the links to the copy that becomes HTML. A CSV has the columns and values of the table as displayed, in UTF-8.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance_study.study.render import current_umask
from governance_study.study.spec import DATA_DIR, DERIVED_DIR  # the folders the study reserves under reports/

#: What each kind of file is called in the links.
LINK_LABELS = {"csv": "data (CSV)", "svg": "SVG", "pdf": "PDF"}


@dataclass
class Download:
    """One table or figure of a report and the files published for it."""

    kind: str  # "table" or "figure"
    name: str  # unique within the report, used as the file stem
    cell: int  # index of the cell in the notebook
    output: int  # index of the output in the cell
    files: dict[str, bytes] = field(default_factory=dict)  # suffix -> bytes


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug or "item"


def _csv_bytes(split: dict[str, Any]) -> bytes:
    """CSV (UTF-8, header row) of rows stored as pandas' ``orient="split"`` JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(split.get("columns", []))
    for row in split.get("data", []):
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def collect(nb) -> list[Download]:
    """Every table and figure of an executed notebook, with its files; names made unique (``rates``, ``rates-2``)."""
    import base64

    # imported here: report.html imports pandas, which an unchanged rerun (that never collects) must not pay
    from governance_study.report.html import FIGURE_MIMETYPE, TABLE_MIMETYPE, VECTOR_METADATA

    downloads: list[Download] = []
    used: dict[str, int] = {}
    for ci, cell in enumerate(nb.cells):
        for oi, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            if TABLE_MIMETYPE in data:
                kind, payload = "table", data[TABLE_MIMETYPE]
                if not payload.get("data"):
                    continue  # an empty table is one sentence in the report: nothing to download
                files = {"csv": _csv_bytes(payload)}
            elif "image/png" in data and VECTOR_METADATA in out.get("metadata", {}):
                kind, payload = "figure", data.get(FIGURE_MIMETYPE, {})
                vectors = out["metadata"][VECTOR_METADATA]
                payload = {**payload, "name": payload.get("name") or vectors.get("name")}
                files = {"svg": vectors["svg"].encode("utf-8"), "pdf": base64.b64decode(vectors["pdf"])}
                if payload.get("columns"):
                    files = {"csv": _csv_bytes(payload), **files}
            else:
                continue
            stem = _slug(str(payload.get("name") or kind))
            used[stem] = used.get(stem, 0) + 1
            name = stem if used[stem] == 1 else f"{stem}-{used[stem]}"
            downloads.append(Download(kind, name, ci, oi, files))
    return downloads


def without_vectors(nb):
    """A copy of ``nb`` whose figure outputs keep the name of their vector files but not their bytes."""
    from governance_study.report.html import VECTOR_METADATA

    kept = copy.deepcopy(nb)
    for cell in kept.cells:
        for out in cell.get("outputs", []):
            vectors = out.get("metadata", {}).get(VECTOR_METADATA)
            if vectors:
                out["metadata"][VECTOR_METADATA] = {"name": vectors.get("name")}
    return kept


def data_folder(report_id: str) -> str:
    """``data/<report_id>``: where a report's files go, relative to reports/."""
    return f"{DATA_DIR}/{report_id}"


def with_links(nb, downloads: list[Download], report_id: str, to_reports: str):
    """A copy of ``nb`` with, after each table or figure, one line of links to its files.

    ``to_reports`` is the relative path from the report to the reports folder ("" or "../"). The links are
    plain relative ``<a href>``: they work offline and under the reports' Content-Security-Policy."""
    import html

    import nbformat

    linked = copy.deepcopy(nb)
    # insert from the last output backwards, so that the indices of the earlier ones stay valid
    for item in sorted(downloads, key=lambda d: (d.cell, d.output), reverse=True):
        links = " · ".join(
            f'<a href="{html.escape(f"{to_reports}{data_folder(report_id)}/{item.name}.{suffix}")}" download>{LINK_LABELS[suffix]}</a>'
            for suffix in item.files
        )
        what = "this table" if item.kind == "table" else "this figure"
        line = f'<p class="downloads">Download {what}: {links}</p>'
        output = nbformat.v4.new_output("display_data", data={"text/html": line, "text/plain": ""})
        linked.cells[item.cell].outputs.insert(item.output + 1, output)
    return linked


def write_files(reports: Path, report_id: str, downloads: list[Download]) -> Path:
    """Replace ``reports/data/<report_id>/`` by the files of ``downloads`` in one step (a reader sees the old
    folder or the new one); returns the folder."""
    target = reports / data_folder(report_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        mode = 0o666 & ~current_umask()
        for item in downloads:
            for suffix, content in item.files.items():
                path = staging / f"{item.name}.{suffix}"
                path.write_bytes(content)
                os.chmod(path, mode)
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp creates 0700
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))  # a fresh name, even after a crash
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def publish_derived(derived: Path, reports: Path) -> list[str]:
    """Copy the derived tables and ``datapackage.json`` into ``reports/derived/`` (a file whose bytes are
    unchanged is left alone; one the build no longer writes is removed); returns the names, datapackage first."""
    target = reports / DERIVED_DIR
    names = sorted(p.name for p in derived.glob("*") if p.is_file() and p.suffix in (".csv", ".json") and not p.name.startswith("."))
    names.sort(key=lambda n: n != "datapackage.json")
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        content = (derived / name).read_bytes()
        copy_path = target / name
        if not copy_path.is_file() or copy_path.read_bytes() != content:
            fd, staging = tempfile.mkstemp(prefix=f".{name}.", dir=target)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(content)
                os.chmod(staging, 0o666 & ~current_umask())
                os.replace(staging, copy_path)
            except BaseException:
                Path(staging).unlink(missing_ok=True)
                raise
    for stale in target.iterdir():
        if stale.is_file() and stale.name not in names:
            stale.unlink()
    return names
