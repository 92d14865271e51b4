"""What decides that a report, or ``data/derived/``, is up to date: input digests, run records, the build stamp.

Grain: one *inputs key* per report, kept in one JSON record per report under ``reports/.cache/reports/``; one
build stamp (``build.json``) for the derived data. A report's key covers exactly what it reads:

- its notebook, parameters, the library source, package versions, CITATION.cff and the kernel;
- each derived table its notebook loads (``datasets.load("...")`` in its cells: declared, not guessed), whole;
- of the claims table, only the rows of the claims the report showed when it last ran (its sources appendix,
  recorded after the run): editing one Dongli claim reruns the reports that show it (the Dongli profile, the
  corpus, participation), not the others. A change that could make a report show another claim changes a
  derived table it loads (a new statistic changes ``resolution``; a new claim changes ``sources`` and
  ``coverage``), so that report reruns too.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths
from governance_study.study.spec import Progress, Report


def _digest_files(files: Sequence[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def library_digest() -> str:
    """sha256 over the library's source files (Python modules, templates, stylesheet)."""
    package = Path(__file__).resolve().parent.parent  # this file is in study/; the library is the package above
    files = sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".j2", ".css", ".json", ".tpl"}
    )
    return _digest_files(files, package)


def raw_digest(paths: ProjectPaths) -> str:
    files = sorted(p for p in paths.raw.rglob("*") if p.is_file()) if paths.raw.is_dir() else []
    return _digest_files(files, paths.raw)


def _json_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


#: Stands for "every derived table" when a notebook loads one whose name is not written out.
ALL_TABLES = "*"


def declared_tables(notebook: Path) -> list[str]:
    """The derived tables a notebook loads, read from its cells: the literal names of ``datasets.load("claims")``
    calls, sorted. A call whose table is not a literal string (a variable, a keyword argument), or a cell that
    does not parse, gives ``["*"]``: every table, since which one it reads cannot be known without running it."""
    import ast

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return [ALL_TABLES]
    names: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        if "load" not in source:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return [ALL_TABLES]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "load":
                literal = node.args[0] if len(node.args) == 1 and not node.keywords else None
                if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str)):
                    return [ALL_TABLES]
                names.add(literal.value)
    return sorted(names)


def claims_shown(nb: Any) -> list[str]:
    """The claim ids an executed notebook shows: those of its sources appendix (the quotes behind its numbers)."""
    from governance_study.report import TABLE_MIMETYPE

    shown: set[str] = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            table = output.get("data", {}).get(TABLE_MIMETYPE)
            if table and table.get("name") == "sources_appendix" and "claim_id" in table.get("columns", []):
                column = table["columns"].index("claim_id")
                shown |= {str(row[column]) for row in table.get("data", [])}
    return sorted(shown)


#: The claim columns that decide which report shows a claim (its district, statistic, indicator, ...).
SELECTION_COLUMNS = ("claim_id", "district_code", "source_id", "indicator", "family", "channel", "group_id")


def claim_rows(paths: ProjectPaths) -> tuple[dict[str, str], str]:
    """(claim_id -> sha256 of its row in ``data/derived/claims.csv``, digest of :data:`SELECTION_COLUMNS` of
    every claim); empty when there is no claims table."""
    path = paths.derived_table("claims")
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            at = header.index("claim_id")
            picks = [header.index(c) for c in SELECTION_COLUMNS if c in header]
            rows, selection = {}, []
            for row in reader:
                rows[row[at]] = _json_hash(row)
                selection.append([row[i] for i in picks])
            return rows, _json_hash(selection)
    except (OSError, StopIteration, ValueError):
        return {}, ""


@dataclass(frozen=True)
class RunInputs:
    """What every report of one run shares: derived file digests, library, versions, citation, kernel, and the
    digest of every claim's row."""

    derived: dict[str, str]
    library: str
    versions: dict[str, str | None]
    citation: str
    kernel: str
    claims: dict[str, str] = field(default_factory=dict)
    #: digest of which claims exist and where they belong (id, district, source, indicator, family, channel,
    #: group): a claim that moves to another district or statistic reruns the reports that may newly show it
    claims_selection: str = ""
    study_title: str = ""
    #: per report id, what its links depend on (neighbours in study order, the study's profiles)
    navigation: dict[str, Any] = field(default_factory=dict)

    def components(self, report: Report, notebook_sha256: str, shown: list[str] | None = None) -> dict[str, str]:
        """sha256 of each input of a report, by name (the record keeps them to say what changed). ``shown``: the
        claim ids the report showed last time (None: not known yet, e.g. a first run)."""
        parts = {
            "notebook": notebook_sha256,
            "parameters": _json_hash(
                {"parameters": report.parameters, "title": report.title, "output": report.output, "study": self.study_title}
            ),
            "library source": self.library,
            "versions": _json_hash(self.versions),
            "CITATION.cff": self.citation,
            "kernel": _json_hash(self.kernel),
        }
        if report.report_id in self.navigation:
            parts["navigation"] = _json_hash(self.navigation[report.report_id])
        tables = declared_tables(report.notebook_path)
        if tables == [ALL_TABLES]:
            tables = sorted(name.removesuffix(".csv") for name in self.derived if name.endswith(".csv"))
        for table in tables:
            if table == "claims":
                parts["claims selection"] = self.claims_selection
                rows = None if shown is None else [(c, self.claims.get(c, "missing")) for c in shown]
                parts["claims shown"] = _json_hash(rows)
            else:
                parts[f"table {table}"] = self.derived.get(f"{table}.csv", "missing")
        return parts

    def key(self, report: Report, notebook_sha256: str, shown: list[str] | None = None) -> str:
        return _json_hash(self.components(report, notebook_sha256, shown))


def why_rerun(record: dict[str, Any] | None, components: dict[str, str], html_intact: bool, force: bool) -> str:
    if force:
        return "--force"
    if record is None:
        return "new"
    changed = [name for name, digest in components.items() if (record.get("components") or {}).get(name) != digest]
    if changed:
        return "changed: " + ", ".join(changed)
    return "report missing or edited" if not html_intact else "inputs changed"


def record_path(paths: ProjectPaths, report_id: str) -> Path:
    return paths.cache_dir / "reports" / f"{report_id}.json"


def read_record(paths: ProjectPaths, report_id: str) -> dict[str, Any] | None:
    path = record_path(paths, report_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: Any) -> None:
    from governance_study.study.render import write_text_atomic

    write_text_atomic(path, json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def ensure_derived(paths: ProjectPaths, *, force: bool, progress: Progress, before_build: Callable[[], None] | None = None) -> bool:
    """Rebuild ``data/derived/`` unless raw data, library and versions are as at the last build and the derived
    files are as that build wrote them. Returns True when it built; ``before_build`` is called first (the run
    starts its kernels' fork server then: a build means reports to rerun)."""
    from governance_study.study.provenance import derived_hashes, package_versions

    stamp_path = paths.cache_dir / "build.json"
    stamp = {"raw": raw_digest(paths), "library": library_digest(), "versions": package_versions()}
    if not force:
        try:
            previous = json.loads(stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous and previous.get("stamp") == stamp and previous.get("derived") == derived_hashes(paths):
            progress("derived data up to date (raw data, library and versions unchanged since the last build)")
            return False
    from governance_study.derived.build import build_derived

    if before_build is not None:
        before_build()
    started = time.perf_counter()
    build_derived(paths)
    progress(f"built data/derived/ in {time.perf_counter() - started:.1f} s")
    write_json(stamp_path, {"stamp": stamp, "derived": derived_hashes(paths)})
    return True


def html_intact(paths: ProjectPaths, report: Report, record: dict[str, Any]) -> bool:
    """The report's HTML is the one recorded, and every file it published beside it is still there."""
    html = report.html_path(paths)
    try:
        same = hashlib.sha256(html.read_bytes()).hexdigest() == record.get("html_sha256")
    except OSError:
        return False
    return same and all((paths.reports / name).is_file() for name in record.get("files", []))


def collect_inputs(paths: ProjectPaths, kernel: str, study_title: str, navigation: dict[str, Any] | None = None) -> RunInputs:
    """The inputs every report of a run shares, read from the project as it is now (derived data built)."""
    from governance_study.study.provenance import derived_hashes, package_versions, sha256_file

    claims_by_id, claims_selection = claim_rows(paths)
    citation_file = paths.citation_file
    return RunInputs(
        derived=derived_hashes(paths),
        library=library_digest(),
        versions=package_versions(),
        citation=sha256_file(citation_file) if citation_file.is_file() else "",
        kernel=kernel,
        claims=claims_by_id,
        claims_selection=claims_selection,
        study_title=study_title,
        navigation=navigation or {},
    )
