"""The derived data: reproducible to the byte, atomic, described by a valid Frictionless package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from _project import REPO, copy_project, snapshot
from governance_study.derived import build as build_module
from governance_study.derived.build import build_derived
from governance_study.paths import ProjectPaths


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    return ProjectPaths(root)


def test_fresh_build_reproduces_committed_files(project):
    committed = snapshot(REPO / "data/derived")
    assert committed, "data/derived/ is committed"
    build_derived(project)
    rebuilt = snapshot(project.derived)
    assert sorted(rebuilt) == sorted(committed)
    for name in committed:
        assert rebuilt[name] == committed[name], f"{name} differs from the committed file: run `governance-study build` and commit"


def test_second_build_is_identical(project):
    build_derived(project)
    first = snapshot(project.derived)
    build_derived(project)
    assert snapshot(project.derived) == first


def test_failure_while_writing_leaves_previous_build(project, monkeypatch):
    before = snapshot(project.derived)
    real = build_module.render

    def render_then_fail(tables):
        files = real(tables)
        files["claims.csv"] = None  # writing bytes of None raises mid-way through the staging folder
        return files

    monkeypatch.setattr(build_module, "render", render_then_fail)
    with pytest.raises(TypeError):
        build_derived(project)
    assert snapshot(project.derived) == before
    assert not list(project.derived.parent.glob(".derived-*")), "staging folders are cleaned up"


def test_datapackage_validates(project):
    frictionless = __import__("frictionless")
    build_derived(project)
    report = frictionless.validate(str(project.derived / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_claim_rows_match_raw(project):
    """Every raw claim appears once in the derived claims, with the raw value (independent csv read)."""
    from decimal import Decimal

    from _project import read_rows
    from governance_study import datasets

    build_derived(project)
    derived = datasets.load("claims", project).set_index("claim_id")
    _, raw = read_rows(project.raw / "claims.csv")
    assert len(derived) == len(raw)
    for row in raw:
        assert Decimal(str(float(derived.loc[row["claim_id"], "value"]))) == Decimal(row["value"])


def test_import_is_light():
    code = (
        "import sys, governance_study, governance_study.datasets, governance_study.verify.claims; "
        "print(sorted(m for m in ('statsmodels', 'seaborn', 'matplotlib', 'papermill') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_build_killed_between_renames_is_recovered(project):
    """A build killed after retiring the old tables but before moving the new ones in loses nothing."""
    before = snapshot(project.derived)
    project.derived.rename(project.derived.parent / ".derived-old-12345")
    (project.derived.parent / ".derived-new-abc").mkdir()
    build_module.write_atomically(project.derived, {"x.csv": b"a\n"})
    assert snapshot(project.derived) == {"x.csv": b"a\n"}
    assert not list(project.derived.parent.glob(".derived-*"))
    # and with a failure right after recovery, the recovered tables stay
    project.derived.rename(project.derived.parent / ".derived-old-12345")
    with pytest.raises(TypeError):
        build_module.write_atomically(project.derived, {"x.csv": None})
    assert snapshot(project.derived) == {"x.csv": b"a\n"}
    assert before  # the fixture had a real build to start from


@pytest.mark.parametrize("name", ["resolution", "audit", "participation", "ratios"])
def test_notebook_path_gives_the_derived_tables(name):
    """Notebooks recompute metrics from the loaded claims; with default parameters they equal the committed tables."""
    from governance_study import datasets, metrics
    from governance_study.csvio import to_csv_bytes

    paths = ProjectPaths(REPO)
    claims = datasets.load("claims", paths)
    districts = datasets.load("districts", paths)
    compute = {
        "resolution": lambda: metrics.resolution_table(claims),
        "audit": lambda: metrics.audit_table(claims),
        "participation": lambda: metrics.participation_table(claims, districts),
        "ratios": lambda: metrics.ratio_table(claims, districts),
    }[name]
    assert to_csv_bytes(compute()) == (REPO / "data/derived" / f"{name}.csv").read_bytes()


def test_derived_folder_respects_the_umask(tmp_path, monkeypatch):
    """mkdtemp creates 0700 folders; the rebuilt data/derived/ must be as readable as the umask says."""
    import os
    import stat

    from _project import copy_project
    from governance_study.cli import main

    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    old = os.umask(0o022)
    try:
        assert main(["build"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((root / "data/derived").stat().st_mode) == 0o755


def test_a_second_build_while_one_holds_the_lock_is_refused(tmp_path, monkeypatch, capsys):
    """`build` takes the lock `run` takes: a second writer gets one clear line and exit status 2, not [Errno 2]."""
    import fcntl

    from _project import copy_project, snapshot
    from governance_study.cli import main

    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    lock = root / "reports/.cache/run.lock"
    lock.parent.mkdir(parents=True)
    before = snapshot(root / "data/derived")
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "governance-study build: another `governance-study run` or `build` is using" in err
    assert "then run `governance-study build` again" in err and "Traceback" not in err
    assert snapshot(root / "data/derived") == before
