"""Test helpers: a throwaway copy of the project, and ways to add or change raw data in it.

Tests never write into the repository: each works on a copy under pytest's tmp_path.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_project(target: Path) -> Path:
    """Copy raw data, derived data, notebooks and study files of the repository into ``target``."""
    for folder in ("data/raw", "data/derived", "notebooks"):
        if (REPO / folder).exists():
            shutil.copytree(REPO / folder, target / folder)
    for name in ("study.yaml", "CITATION.cff", "pyproject.toml"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, target / name)
    return target


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def add_source(root: Path, source_id: str, text: str | bytes, **fields: str) -> None:
    """Write an article file and its manifest row (with the right sha256)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    (root / "data/raw/sources" / f"{source_id}.txt").write_bytes(data)
    manifest = root / "data/raw/sources.csv"
    columns, rows = read_rows(manifest)
    row = (
        {c: "" for c in columns}
        | {
            "source_id": source_id,
            "title": "测试文章",
            "outlet": "test fixture",
            "district_code": "120101",
            "published": "2024-05-01",
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        | fields
    )
    write_rows(manifest, columns, rows + [row])


def add_claim(root: Path, **fields: str) -> None:
    """Append one claim; unspecified fields get harmless defaults."""
    path = root / "data/raw/claims.csv"
    columns, rows = read_rows(path)
    row = (
        {c: "" for c in columns}
        | {"channel": "grid", "district_code": "120101", "bound": "exact", "period_end": "2024-05-01", "period_rule": "test fixture"}
        | fields
    )
    write_rows(path, columns, rows + [row])


def edit_claim(root: Path, claim_id: str, **fields: str) -> None:
    path = root / "data/raw/claims.csv"
    columns, rows = read_rows(path)
    hits = [r for r in rows if r["claim_id"] == claim_id]
    if not hits:
        raise KeyError(claim_id)
    hits[0].update(fields)
    write_rows(path, columns, rows)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes, to prove a failed command changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(project: Path, capsys, *fragments: str) -> str:
    """``check`` and ``build`` both fail (exit status 1) with every fragment in one readable message, no
    traceback, and ``data/derived/`` stays byte for byte as it was. Returns the message."""
    from governance_study.cli import main

    before = snapshot(project / "data/derived")
    err = ""
    for command in ("check", "build"):
        assert main([command]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        for fragment in fragments:
            assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert snapshot(project / "data/derived") == before
    return err


def processes_with(environment_entry: bytes) -> list[int]:
    """Pids of the processes whose environment holds ``environment_entry`` (``b"NAME=value"``), read from /proc:
    how a test finds kernels or fork servers that outlived what started them."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if environment_entry in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
