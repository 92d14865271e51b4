"""Shared fixtures for the study runner, notebooks, reports and browser tests.

Tests never write into the repository: every fixture works on a copy under pytest's tmp paths.

- ``mini_project``: a tiny project (fixture notebooks, stub derived data, a stub build) to test the runner's
  behaviour in seconds: parameter errors, failures, caching, progress.
- ``study_run`` (session): the repository's real study (data, notebooks, study.yaml, CITATION.cff) copied to a
  temporary project, with one extra *hostile* source whose text holds ``<script>`` and an ``onerror``
  attribute, run once with ``governance_study.study.run``; several tests inspect the result.
"""

from __future__ import annotations

import os
import shutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from _project import REPO, add_claim, add_source, copy_project
from governance_study.paths import ProjectPaths

#: The hostile article: what an attacker could get into a scraped page. Shown as text, never run.
HOSTILE_SOURCE_ID = "test-hostile-2024-05-01"
HOSTILE_MARKUP = "<script>alert(1)</script><img src=x onerror=\"document.title='pwned'\">"
HOSTILE_QUOTE = f"和平区网格员{HOSTILE_MARKUP}共上报诉求12件"
HOSTILE_TEXT = f"测试文章标题\n\n{HOSTILE_QUOTE}，均已办结。\n"
HOSTILE_CLAIM_ID = "heping24-test-hostile-received"


# ------------------------------------------------------------------------------------------------------------
# small helpers


def write_notebook(path: Path, parameters: str, cells: list) -> Path:
    """A notebook stored the way the project stores them: no outputs, kernelspec python3, tagged parameters."""
    nb = new_notebook(cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]}), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def add_hostile_source(root: Path) -> None:
    """Add an article whose text holds markup, its manifest row (right sha256) and a claim quoting it."""
    add_source(
        root,
        HOSTILE_SOURCE_ID,
        HOSTILE_TEXT,
        title="测试<script>alert('title')</script>标题",
        outlet="test fixture <b onmouseover=alert(2)>outlet</b>",
        district_code="120101",
        published="2024-05-01",
        notes="test fixture: hostile markup in the text, title and outlet",
    )
    add_claim(
        root,
        claim_id=HOSTILE_CLAIM_ID,
        source_id=HOSTILE_SOURCE_ID,
        quote=HOSTILE_QUOTE,
        value_text="12件",
        value="12",
        bound="exact",
        unit="件",
        indicator="requests_received",
        channel="grid",
        district_code="120101",
        period_end="2024-05-01",
        period_rule="test fixture",
        note="test fixture <script>alert(3)</script>",
    )


# ------------------------------------------------------------------------------------------------------------
# the mini project: fixture notebooks, a stub build


MINI_STUDY = """\
title: Mini study
description: |
  A study made of fixture notebooks.
reports:
  - notebook: ok
    title: OK report
    parameters: {x: 3, label: "b"}
  - notebook: profile
    title: "Profile {district_name_en}"
    section: District profiles
    for_each: district_with_claims
    output: "districts/{district_code}.html"
    parameters: {district: "{district_code}"}
"""


@dataclass
class Mini:
    paths: ProjectPaths
    builds: list[int]

    @property
    def root(self) -> Path:
        return self.paths.root

    def write_study(self, text: str) -> None:
        self.paths.study_file.write_text(text, encoding="utf-8")

    def add_report(self, yaml_entry: str) -> None:
        with self.paths.study_file.open("a", encoding="utf-8") as f:
            f.write(yaml_entry)


def _write_mini(root: Path) -> None:
    (root / "data/raw/reference").mkdir(parents=True)
    shutil.copy2(REPO / "data/raw/reference/districts.csv", root / "data/raw/reference/districts.csv")
    (root / "data/raw/claims.csv").write_text("claim_id,district_code\na,120101\nb,120116\n", encoding="utf-8")
    shutil.copy2(REPO / "CITATION.cff", root / "CITATION.cff")
    (root / "study.yaml").write_text(MINI_STUDY, encoding="utf-8")
    nbs = root / "notebooks"
    write_notebook(
        nbs / "ok.ipynb",
        "x = 1\nlabel = 'a'",
        [
            new_markdown_cell("# OK report\n\nA fixture."),
            new_code_cell("leak = 'from ok'\nfrom IPython.display import HTML\nHTML(f'<p class=\"value\">{x * 2} {label}</p>')"),
        ],
    )
    write_notebook(nbs / "profile.ipynb", "district = '120101'", [new_code_cell("print('profile', district, 'leak' in globals())")])
    write_notebook(nbs / "bad.ipynb", "x = 1", [new_code_cell("y = x + 1"), new_code_cell("raise ValueError(f'boom {y}')")])


def _stub_build(builds: list[int]):
    """Stands in for governance_study.derived.build (the runner's behaviour, not the build, is under test here)."""

    def build_derived(paths: ProjectPaths, **_):
        builds.append(1)
        paths.derived.mkdir(parents=True, exist_ok=True)
        shutil.copy2(paths.raw / "claims.csv", paths.derived / "claims.csv")
        return [paths.derived / "claims.csv"]

    return types.SimpleNamespace(build_derived=build_derived)


def _enter_mini(root: Path, monkeypatch) -> Mini:
    builds: list[int] = []
    monkeypatch.setitem(sys.modules, "governance_study.derived.build", _stub_build(builds))
    monkeypatch.chdir(root)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    return Mini(ProjectPaths(root), builds)


@pytest.fixture
def mini_project(tmp_path, monkeypatch) -> Mini:
    """A project with three fixture notebooks (ok, profile, bad) and a stub build (derived claims for two
    districts); study.yaml declares ok and one profile per district. Nothing has run yet."""
    root = tmp_path / "mini"
    _write_mini(root)
    return _enter_mini(root, monkeypatch)


@pytest.fixture(scope="session")
def _mini_after_run(tmp_path_factory) -> Path:
    from governance_study.study import run

    root = tmp_path_factory.mktemp("mini-template") / "mini"
    _write_mini(root)
    with pytest.MonkeyPatch.context() as monkeypatch:
        mini = _enter_mini(root, monkeypatch)
        result = run(mini.paths, progress=lambda message: None)
    assert not result.failed
    return root


@pytest.fixture
def mini_after_run(_mini_after_run, tmp_path, monkeypatch) -> Mini:
    """``mini_project`` after one successful run (a copy of a project run once per session)."""
    root = tmp_path / "mini"
    shutil.copytree(_mini_after_run, root)
    return _enter_mini(root, monkeypatch)


class Lines(list):
    """A progress sink that keeps the lines, for asserting on what the user sees."""

    def __call__(self, message: str) -> None:
        self.append(message)

    @property
    def text(self) -> str:
        return "\n".join(self)


@pytest.fixture
def lines() -> Lines:
    return Lines()


# ------------------------------------------------------------------------------------------------------------
# the real study, run once per session


@dataclass
class StudyRun:
    paths: ProjectPaths
    result: object
    progress: list[str]


@pytest.fixture(scope="session")
def study_run(tmp_path_factory) -> StudyRun:
    """The repository's study copied to a temporary project (plus the hostile source) and run once, cold."""
    from governance_study.study import run

    if not (REPO / "study.yaml").is_file():
        pytest.skip("study.yaml not written yet")
    root = copy_project(tmp_path_factory.mktemp("study"))
    add_hostile_source(root)
    paths = ProjectPaths(root)
    progress: list[str] = []
    old = os.environ.pop("GOVERNANCE_STUDY_ROOT", None)
    try:
        result = run(paths, jobs=2, progress=progress.append)
    finally:
        if old is not None:
            os.environ["GOVERNANCE_STUDY_ROOT"] = old
    return StudyRun(paths, result, progress)
