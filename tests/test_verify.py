"""`governance-study verify`: nbval re-executes the published notebooks and compares every output.

On the study run once per session: every report reproduces; a changed published output is caught and named
(report, cell, what differs); a report without a published notebook is refused with what to do.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from governance_study.paths import ProjectPaths
from governance_study.report.html import TABLE_MIMETYPE
from governance_study.study import StudyError
from governance_study.study.reproduce import verify


def test_every_report_of_a_fresh_study_reproduces(study_run):
    lines: list[str] = []
    verdicts = verify(study_run.paths, jobs=2, progress=lines.append)
    assert len(verdicts) == sum(o.status != "skipped" for o in study_run.result.outcomes) >= 10
    assert all(v.reproduces for v in verdicts), "\n".join(lines)
    assert all(v.cells >= 5 for v in verdicts)
    assert lines[-1] == f"verify: {len(verdicts)} of {len(verdicts)} report(s) reproduce"


def _copy(study_run, tmp_path) -> ProjectPaths:
    root = tmp_path / "project"
    shutil.copytree(study_run.paths.root, root, ignore=shutil.ignore_patterns(".cache"))
    return ProjectPaths(root)


def test_a_changed_published_output_fails_verify_naming_the_cell(study_run, tmp_path):
    paths = _copy(study_run, tmp_path)
    published = paths.reports / "04_reporting_audit.ipynb"
    nb = nbformat.read(published, as_version=4)
    # change one value of the audit table as published: the re-executed notebook shows the true one
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            table = out.get("data", {}).get(TABLE_MIMETYPE)
            if table and table["data"]:
                row = table["data"][0]
                at = next(i for i, v in enumerate(row) if isinstance(v, str) and v)
                row[at] = row[at] + " (edited)"
                changed_cell = cell
                break
        else:
            continue
        break
    nbformat.write(nb, published)
    lines: list[str] = []
    verdicts = verify(paths, ["04_reporting_audit"], jobs=1, progress=lines.append)
    assert len(verdicts) == 1 and not verdicts[0].reproduces
    [difference] = verdicts[0].differences
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert difference.startswith(f"Cell {code_cells.index(changed_cell)}:"), difference
    assert TABLE_MIMETYPE in difference or "application/vnd.governance-study.table+json" in difference
    assert lines[-1] == "verify: 0 of 1 report(s) reproduce, 1 differ"
    assert any(line.startswith("DIFFERS     04_reporting_audit: Cell") for line in lines)


def test_a_report_without_a_published_notebook_is_refused(study_run, tmp_path):
    paths = _copy(study_run, tmp_path)
    (paths.reports / "districts/120101.ipynb").unlink()
    with pytest.raises(StudyError) as caught:
        verify(paths, ["districts/*"], progress=lambda line: None)
    assert "districts/120101: no published notebook in reports/; run `governance-study run` first" in str(caught.value)


def test_verify_from_the_command_line_exits_1_when_a_report_differs(study_run, tmp_path, monkeypatch, capsys):
    from governance_study.cli import main

    paths = _copy(study_run, tmp_path)
    published = paths.reports / "04_reporting_audit.ipynb"
    nb = nbformat.read(published, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown" or not c.outputs] + [nbformat.v4.new_code_cell("1 + 1", execution_count=1)]
    nb.cells[-1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=1)]
    nbformat.write(nb, published)
    monkeypatch.chdir(paths.root)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    assert main(["verify", "04_reporting_audit", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS     04_reporting_audit:" in out and "3" in out and "2" in out and "\x1b" not in out and "#x1B" not in out
