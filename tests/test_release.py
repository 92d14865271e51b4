"""``governance-study release``: the archive, its checksums, its determinism, its refusals; CITATION.cff (valid CFF
1.2.0, the five articles as references) and the ``.zenodo.json`` generated from it.

One copy of the project is committed and released per session (the study's cold run takes ~10 s); the refusal
tests work on copies of it, and refuse before the run or with ``study.run`` replaced.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import types
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

import governance_study
from _project import REPO, copy_project, snapshot
from governance_study.paths import ProjectPaths
from governance_study.study import release as rel
from governance_study.study.execute import RunResult

VERSION = governance_study.__version__
TOP = f"governance-study-{VERSION}"
COMMIT_DATE = "2025-03-04T05:06:07+00:00"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_AUTHOR_DATE": COMMIT_DATE,
    "GIT_COMMITTER_DATE": COMMIT_DATE,
}
CHANGELOG = f"# Changelog\n\n## Unreleased\n\n## [{VERSION}] - 2025-03-04\n\n### Added\n\n- Everything.\n"


def git(root: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(root), "-c", "commit.gpgsign=false", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout


def commit_all(root: Path, message: str = "state") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def cff_loader() -> type[yaml.SafeLoader]:
    """A YAML loader that keeps dates as text, as the CFF schema (a JSON schema) expects them."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def read_cff(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=cff_loader())


@dataclass
class Released:
    root: Path
    archive: Path
    data: bytes
    seconds: float


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Released:
    """The repository's study in a fresh git repository (a CHANGELOG with this version), run, committed, released."""
    from governance_study.study import run

    root = copy_project(tmp_path_factory.mktemp("release") / "p")
    for name in ("README.md", "LICENSE", "LICENSE-DATA", ".gitignore"):
        shutil.copy2(REPO / name, root / name)
    (root / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    paths = ProjectPaths(root)
    old = os.environ.pop("GOVERNANCE_STUDY_ROOT", None)
    try:
        # the cold run first, so that the commit holds data/derived/ as the run leaves it
        assert not run(paths, progress=lambda message: None).failed
        git(root, "init", "-q")
        commit_all(root, "study")
        started = time.perf_counter()
        archive = rel.release(paths)
        seconds = time.perf_counter() - started
    finally:
        if old is not None:
            os.environ["GOVERNANCE_STUDY_ROOT"] = old
    return Released(root, archive, archive.read_bytes(), seconds)


@pytest.fixture
def project(released, tmp_path, monkeypatch) -> Path:
    """A copy of the released project (git history, reports and dist/ included), as the current directory."""
    root = tmp_path / "p"
    shutil.copytree(released.root, root, symlinks=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    return root


def no_run(*args, **kwargs):
    raise AssertionError("the release ran the study although it should have refused first")


def refused(root: Path, capsys, *fragments: str) -> str:
    """``release`` exits 2 with one line holding every fragment, no traceback, and dist/ unchanged."""
    from governance_study.cli import main

    before = snapshot(root / "dist")
    assert main(["release"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert snapshot(root / "dist") == before
    return err


# ------------------------------------------------------------------------------------------------------------
# the archive


def test_archive_holds_what_a_journal_needs(released):
    assert released.archive == released.root / "dist" / f"{TOP}.zip"
    names = zipfile.ZipFile(io.BytesIO(released.data)).namelist()
    assert all(n.startswith(f"{TOP}/") for n in names)
    inner = {n[len(TOP) + 1 :] for n in names}
    for required in ("CITATION.cff", ".zenodo.json", "LICENSE", "LICENSE-DATA", "README.md", "SHA256SUMS"):
        assert required in inner
    assert {"reports/index.html", "data/derived/datapackage.json"} <= inner
    assert not [n for n in inner if n.startswith(("reports/.cache/", "reports/_failed/"))]
    # independently: every file of data/derived/ and reports/ (but the runner's state) is there, nothing else
    expected = {"CITATION.cff", ".zenodo.json", "LICENSE", "LICENSE-DATA", "README.md", "SHA256SUMS"}
    for folder in ("data/derived", "reports"):
        for dirpath, dirnames, filenames in os.walk(released.root / folder):
            dirnames[:] = [d for d in dirnames if d not in (".cache", "_failed")]
            expected |= {(Path(dirpath) / f).relative_to(released.root).as_posix() for f in filenames}
    assert inner == expected
    assert any(n.startswith("reports/districts/") for n in inner)
    with zipfile.ZipFile(io.BytesIO(released.data)) as z:
        assert z.read(f"{TOP}/LICENSE-DATA") == (REPO / "LICENSE-DATA").read_bytes()
        assert z.read(f"{TOP}/reports/index.html") == (released.root / "reports/index.html").read_bytes()


def test_checksums_verify_independently(released, tmp_path):
    with zipfile.ZipFile(released.archive) as z:
        z.extractall(tmp_path)
    top = tmp_path / TOP
    listed = {}
    for line in (top / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((top / name).read_bytes()).hexdigest() == digest, name
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=top, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_entries_are_sorted_stamped_with_the_commit_time_and_plain_files(released):
    infos = zipfile.ZipFile(io.BytesIO(released.data)).infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    stamp = datetime.fromisoformat(COMMIT_DATE).astimezone(UTC).timetuple()[:6]
    stamp = (*stamp[:5], stamp[5] // 2 * 2)  # a zip entry's time counts seconds in twos
    assert {i.date_time for i in infos} == {stamp}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}


def test_a_second_release_of_one_commit_is_byte_identical(project, capsys):
    from governance_study.cli import main

    (project / "dist" / f"{TOP}.zip").unlink()
    assert main(["release"]) == 0
    out = capsys.readouterr().out
    assert f"released dist/{TOP}.zip" in out
    first = (project / "dist" / f"{TOP}.zip").read_bytes()
    time.sleep(1.1)  # the index page states its run's start time to the second: a later run must not change it
    assert main(["release"]) == 0
    assert (project / "dist" / f"{TOP}.zip").read_bytes() == first
    assert sorted(p.name for p in (project / "dist").iterdir()) == [f"{TOP}.zip"]  # no temporary file left


def test_the_release_in_a_copy_matches_the_session_release(released, project):
    time.sleep(1.1)
    # another folder, the same commit: the same bytes (nothing of the folder's path or the clock gets in)
    assert rel.release(ProjectPaths(project)).read_bytes() == released.data


# ------------------------------------------------------------------------------------------------------------
# refusals


def test_refuses_a_dirty_tree_naming_the_file(project, capsys, monkeypatch):
    monkeypatch.setattr("governance_study.study.run", no_run)
    (project / "stray notes.txt").write_text("x", encoding="utf-8")
    with (project / "README.md").open("a", encoding="utf-8") as f:
        f.write("edited\n")
    err = refused(project, capsys, "uncommitted changes", "README.md", "stray notes.txt", "commit")
    assert err.startswith("governance-study release: ")


def test_refuses_a_version_without_a_changelog_entry(project, capsys, monkeypatch):
    monkeypatch.setattr("governance_study.study.run", no_run)
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- Everything.\n\n## 0.0.9\n", encoding="utf-8")
    commit_all(project, "no entry")
    refused(project, capsys, "CHANGELOG.md", f"## {VERSION}", f"version {VERSION}", "Unreleased")


@pytest.mark.parametrize(
    "heading, ok",
    [
        (f"## {VERSION}", True),
        (f"## [{VERSION}]", True),
        (f"## {VERSION} - 2025-03-04", True),
        (f"## [{VERSION}] - 2025-03-04", True),
        (f"### {VERSION}", False),
        (f"## {VERSION}.1", False),
        (f"## 1{VERSION}", False),
        (f"- {VERSION}", False),
    ],
)
def test_changelog_headings(heading, ok):
    assert rel.changelog_has(f"# Changelog\n\n{heading}\n\n- x\n", VERSION) is ok


def test_refuses_a_citation_version_out_of_step(project, capsys, monkeypatch):
    monkeypatch.setattr("governance_study.study.run", no_run)
    cff = project / "CITATION.cff"
    cff.write_text(cff.read_text(encoding="utf-8").replace(f"version: {VERSION}\n", "version: 9.9.9\n"), encoding="utf-8")
    commit_all(project, "bump citation only")
    refused(project, capsys, "CITATION.cff", "version", "9.9.9", VERSION, "__init__.py")


def test_refuses_a_failed_report(project, capsys, monkeypatch):
    outcome = types.SimpleNamespace(report=types.SimpleNamespace(report_id="02_resolution_rates"), status="failed")
    failed = types.SimpleNamespace(failed=[outcome], outcomes=[outcome], built=False)
    monkeypatch.setattr("governance_study.study.run", lambda paths, progress=None: failed)
    refused(project, capsys, "1 report(s) failed", "02_resolution_rates", "_failed")


def test_refuses_a_missing_index(project, capsys, monkeypatch):
    monkeypatch.setattr("governance_study.study.run", lambda paths, progress=None: RunResult())
    (project / "reports/index.html").unlink()
    refused(project, capsys, "index.html", "is missing", "governance-study run")


def test_refuses_a_run_that_rewrote_committed_data(project, capsys, monkeypatch):
    def stale_run(paths, progress=None):
        with (paths.derived / "districts.csv").open("a", encoding="utf-8") as f:
            f.write("rebuilt\n")
        return RunResult()

    monkeypatch.setattr("governance_study.study.run", stale_run)
    refused(project, capsys, "changed committed files", "data/derived/districts.csv", "commit")


def test_refuses_outside_git(project, capsys):
    shutil.rmtree(project / ".git")
    refused(project, capsys, "not a git work tree")


def test_an_archive_that_fails_midway_leaves_dist_as_it_was(tmp_path):
    target = tmp_path / "dist" / "a.zip"
    target.parent.mkdir()
    target.write_bytes(b"previous")
    with pytest.raises(TypeError):
        rel.write_zip(target, "top", {"a": b"x", "b": None}, 1700000000)  # type: ignore[dict-item]
    assert snapshot(tmp_path / "dist") == {"a.zip": b"previous"}


# ------------------------------------------------------------------------------------------------------------
# CITATION.cff and .zenodo.json


def test_citation_is_valid_cff_1_2_0():
    """cffconvert 2.0.0 pins jsonschema<4 (frictionless needs >=4.20), so the CFF 1.2.0 schema it ships is
    vendored in tests/fixtures/ (cffconvert/schemas/1.2.0/schema.json of the cffconvert 2.0.0 wheel, the Citation File
    Format project's schema) and applied here with jsonschema, as cffconvert --validate does (draft 7)."""
    schema = json.loads((REPO / "tests/fixtures/cff-schema-1.2.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    cff = read_cff(REPO / "CITATION.cff")
    assert [e.message for e in validator.iter_errors(cff)] == []
    assert sorted(cff["license"]) == ["CC-BY-4.0", "MIT"]
    assert "CC-BY-4.0" in cff["message"] and "MIT" in cff["message"]
    # the validator bites: a licence that is not an SPDX id, a reference without authors
    assert list(validator.iter_errors({**cff, "license": ["CC-BY-4.0", "Nonsense-1.0"]}))
    assert list(validator.iter_errors({**cff, "references": [{"type": "generic", "title": "x"}]}))


def test_references_are_the_rows_of_sources_csv():
    with (REPO / "data/raw/sources.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    refs = read_cff(REPO / "CITATION.cff")["references"]
    assert len(rows) == len(refs) == 5
    for row, ref in zip(rows, refs):
        assert ref["title"] == row["title"]
        assert ref["authors"] == [{"name": row["outlet"]}]
        assert ref["publisher"] == {"name": row["outlet"]}
        assert ref["date-published"] == row["published"]
        assert ref.get("url", "") == row["url"]
        assert ref["languages"] == ["zh"]
        assert ref["type"] in {"article", "newspaper-article", "magazine-article", "generic"}


def test_zenodo_json_follows_the_citation(released):
    with zipfile.ZipFile(io.BytesIO(released.data)) as z:
        meta = json.loads(z.read(f"{TOP}/.zenodo.json"))
        cff = yaml.load(z.read(f"{TOP}/CITATION.cff").decode("utf-8"), Loader=cff_loader())
    with (REPO / "data/raw/sources.csv").open(encoding="utf-8", newline="") as f:
        urls = [row["url"] for row in csv.DictReader(f) if row["url"]]
    assert meta["upload_type"] == "dataset"
    assert meta["title"] == cff["title"]
    assert meta["description"] == " ".join(cff["abstract"].split())
    assert meta["creators"] == [{"name": a["name"]} for a in cff["authors"]]
    assert meta["version"] == cff["version"] == VERSION
    assert meta["publication_date"] == cff["date-released"]
    assert meta["license"] == "cc-by-4.0" and "MIT" in meta["notes"] and "CC-BY-4.0" in meta["notes"]
    assert meta["keywords"] == cff["keywords"]
    assert meta["related_identifiers"] == [{"identifier": u, "relation": "references", "scheme": "url"} for u in urls]
    assert "doi" not in meta


def test_zenodo_refuses_a_citation_without_the_data_licence():
    from governance_study.study.zenodo import zenodo_metadata

    with pytest.raises(ValueError, match=r"license.*CC-BY-4.0"):
        zenodo_metadata({"title": "t", "license": "MIT"})


def test_cite_reads_the_licence_list_and_references(project, capsys):
    from governance_study.cli import main

    assert main(["cite"]) == 0
    out = capsys.readouterr().out
    assert f"Version {VERSION}" in out and "CC-BY-4.0" in out and "@misc{" in out


def test_release_is_registered_with_help():
    from governance_study.cli import parser

    assert "release" in parser().format_help()


def test_variants_stay_out_of_a_release(project):
    """One-off variants (reports/variants/, their files under reports/data/variants/) are not the study."""
    (project / "reports/variants/02_resolution_rates").mkdir(parents=True)
    (project / "reports/variants/02_resolution_rates/alpha-0.1.html").write_text("<p>variant</p>", encoding="utf-8")
    (project / "reports/data/variants/02_resolution_rates/alpha-0.1").mkdir(parents=True)
    (project / "reports/data/variants/02_resolution_rates/alpha-0.1/rates.csv").write_text("a\n1\n", encoding="utf-8")
    # and what a crashed write leaves (a hidden staging folder) is not the study either
    (project / "reports/data/02_resolution_rates/.forest-plot.x1y2").mkdir(parents=True)
    (project / "reports/data/02_resolution_rates/.forest-plot.x1y2/half.csv").write_text("a\n", encoding="utf-8")
    archive = rel.release(ProjectPaths(project))
    names = zipfile.ZipFile(archive).namelist()
    assert not [n for n in names if "/variants/" in n or "/." in n.removeprefix(f"{TOP}/.zenodo.json")]
    assert any(n.endswith("reports/data/02_resolution_rates/rates.csv") for n in names)  # the study's own files are in


# ------------------------------------------------------------------------------------------------------------
# cffconvert itself, from its own environment (.venv-cff, made by `make test`: its jsonschema < 4 pin cannot
# share .venv)

CFFCONVERT = REPO / ".venv-cff" / "bin" / "cffconvert"


def _cffconvert() -> Path:
    if not CFFCONVERT.is_file():
        reason = ".venv-cff is missing: run `make cff-setup` (make test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but cffconvert cannot run: {reason}")
        pytest.skip(reason)
    return CFFCONVERT


def test_cffconvert_validates_the_citation_file():
    done = subprocess.run([str(_cffconvert()), "--validate", "-i", str(REPO / "CITATION.cff")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Citation metadata are valid according to schema version 1.2.0." in done.stdout


def test_cffconvert_refuses_a_broken_citation_file(tmp_path):
    """The same validator rejects a licence that is not an SPDX id (so the test above can fail)."""
    broken = tmp_path / "CITATION.cff"
    broken.write_text((REPO / "CITATION.cff").read_text(encoding="utf-8").replace("CC-BY-4.0", "CC-BY-FOUR"), encoding="utf-8")
    done = subprocess.run([str(_cffconvert()), "--validate", "-i", str(broken)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "CC-BY-FOUR" in done.stdout + done.stderr
