"""study.yaml and report parameters: every mistake is reported at once, before any kernel starts."""

from __future__ import annotations

import pytest

from governance_study import study
from governance_study.study import StudyError, check_parameters, expand, load_study, select


def test_study_expands_one_profile_per_district_with_claims(mini_project):
    mini_project.builds  # noqa: B018 - the stub build has not run yet: write the derived claims it would write
    (mini_project.paths.derived).mkdir(parents=True)
    (mini_project.paths.derived / "claims.csv").write_text("claim_id,district_code\na,120116\nb,120101\nc,120101\n")
    reports = expand(load_study(mini_project.paths), mini_project.paths)
    assert [r.report_id for r in reports] == ["ok", "districts/120101", "districts/120116"]
    profile = reports[1]
    assert profile.title == "Profile Heping"
    assert profile.parameters == {"district": "120101"}
    assert profile.index_href == "../index.html"
    assert reports[0].index_href == "index.html"


def test_every_problem_in_study_yaml_is_listed(mini_project):
    mini_project.write_study(
        """\
title: Broken
colour: red
reports:
  - notebook: ok
    titel: typo
    parameters: {x: {nested: 1}}
  - notebook: missing_notebook
  - notebook: profile
    for_each: district_with_claims
    output: "districts/{district}.html"
  - notebook: ok
    output: index.html
  - notebook: ok
    output: ok.html
"""
    )
    with pytest.raises(StudyError) as err:
        load_study(mini_project.paths)
    text = str(err.value)
    assert "unknown top-level key 'colour'" in text
    assert "unknown key 'titel' (did you mean 'title'?)" in text
    assert "parameter 'x'" in text and "scalar or a list of scalars" in text
    assert "notebooks/missing_notebook.ipynb does not exist" in text
    assert "unknown placeholder(s) district" in text
    assert "'index.html' is reserved" in text
    assert "'ok.html' is also written by reports[1]" in text
    assert text.startswith("7 problems in study.yaml")


def test_only_selects_by_report_notebook_or_glob(mini_project):
    mini_project.paths.derived.mkdir(parents=True)
    (mini_project.paths.derived / "claims.csv").write_text("claim_id,district_code\na,120116\nb,120101\n")
    reports = expand(load_study(mini_project.paths), mini_project.paths)
    assert [r.report_id for r in select(reports, ["ok"])] == ["ok"]
    assert [r.report_id for r in select(reports, ["profile"])] == ["districts/120101", "districts/120116"]
    assert [r.report_id for r in select(reports, ["districts/1201*", "ok.html"])] == ["ok", "districts/120101", "districts/120116"]
    with pytest.raises(StudyError, match="--only 'okk' matches no report \\(did you mean ok"):
        select(reports, ["okk"])


def _reports(mini_project, **parameters):
    mini_project.paths.derived.mkdir(parents=True, exist_ok=True)
    (mini_project.paths.derived / "claims.csv").write_text("claim_id,district_code\na,120101\n")
    reports = expand(load_study(mini_project.paths), mini_project.paths)
    ok = reports[0]
    return [study.Report(**{**ok.__dict__, "parameters": parameters})]


def test_unknown_missing_and_mistyped_parameters_are_errors(mini_project):
    with pytest.raises(StudyError) as err:
        check_parameters(_reports(mini_project, x="3", lable="b"))
    text = str(err.value)
    assert "unknown parameter 'lable' (did you mean 'label'?)" in text
    assert "missing parameter 'label' (notebook default 'a')" in text
    assert "parameter 'x' is a str ('3') but the notebook's default is an int (1)" in text
    check_parameters(_reports(mini_project, x=3, label="b"))  # correct: no error


def test_a_notebook_without_parameters_cell_is_an_error(mini_project):
    import nbformat

    path = mini_project.paths.notebooks / "ok.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, str(path))
    with pytest.raises(StudyError, match="no cell tagged 'parameters'"):
        check_parameters(_reports(mini_project, x=3, label="b"))


def test_parameter_error_stops_the_run_before_any_kernel_starts(mini_project, monkeypatch, lines):
    mini_project.add_report("  - notebook: bad\n    title: Bad\n    parameters: {x: 1, y: 2}\n")

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started despite a parameter error")

    monkeypatch.setattr(study.Worker, "_new_kernel", no_kernel)
    with pytest.raises(StudyError, match="unknown parameter 'y'"):
        study.run(mini_project.paths, progress=lines)
    assert not list(mini_project.paths.reports.rglob("*.html"))


def test_cli_reports_a_parameter_error_with_status_2(mini_project, capsys):
    from governance_study import cli

    mini_project.add_report("  - notebook: bad\n    title: Bad\n    parameters: {}\n")
    status = cli.main(["run"])
    err = capsys.readouterr().err
    assert status == 2
    assert "missing parameter 'x'" in err and "notebooks/bad.ipynb" in err
    assert "Traceback" not in err


def test_jobs_must_be_positive(mini_project):
    with pytest.raises(StudyError, match="--jobs 0"):
        study.run(mini_project.paths, jobs=0, progress=lambda m: None)


def test_malformed_citation_is_a_readable_error(tmp_path, monkeypatch, capsys):
    from _project import copy_project
    from governance_study.cli import main

    root = copy_project(tmp_path)
    (root / "CITATION.cff").write_text("title: a: b\nauthors: [\n", encoding="utf-8")
    monkeypatch.chdir(root)
    assert main(["cite"]) == 2
    err = capsys.readouterr().err
    assert "CITATION.cff, line" in err and "Fix the YAML" in err and "Traceback" not in err


def test_execution_is_validated_strictly(mini_project):
    """fork_kernels "no" is a string, not a boolean (PyYAML's 'no' is False, a quoted "no" is not); timeouts are
    positive whole seconds. Each problem names the key, its value, its line and what to write."""
    from conftest import MINI_STUDY

    mini_project.write_study(MINI_STUDY + 'execution:\n  fork_kernels: "no"\n  cell_timeout_s: 0\n  start_timeout_s: 1.5\n')
    with pytest.raises(StudyError) as caught:
        load_study(mini_project.paths)
    text = str(caught.value)
    lines = MINI_STUDY.count("\n")
    assert f"execution: fork_kernels = 'no' (line {lines + 2}): Input should be a valid boolean; write true or false" in text
    assert f"execution: cell_timeout_s = 0 (line {lines + 3}): Input should be greater than 0" in text
    assert "execution: start_timeout_s = 1.5" in text and "write a whole number of seconds above 0" in text


def test_a_broken_template_names_its_line(mini_project):
    from conftest import MINI_STUDY

    mini_project.write_study(MINI_STUDY.replace('title: "Profile {district_name_en}"', 'title: "Profile {district_name_en"'))
    with pytest.raises(StudyError) as caught:
        load_study(mini_project.paths)
    line = next(i for i, text in enumerate(MINI_STUDY.splitlines(), start=1) if "Profile {district_name_en}" in text)
    assert f"line {line}, reports[2] (profile): title 'Profile {{district_name_en' is not a valid template" in str(caught.value)
    assert "a literal brace as {{ or }}" in str(caught.value)


def test_a_literal_output_colliding_with_an_expanded_one_is_refused(mini_project):
    """districts/120101.html written by a literal entry and by the per-district profiles: refused, naming both."""
    from conftest import MINI_STUDY

    mini_project.write_study(MINI_STUDY + "  - notebook: ok\n    output: districts/120101.html\n")
    (mini_project.paths.derived).mkdir(parents=True)
    (mini_project.paths.derived / "claims.csv").write_text("claim_id,district_code\na,120101\n")
    with pytest.raises(StudyError) as caught:
        expand(load_study(mini_project.paths), mini_project.paths)
    assert "reports[3] (ok) writes districts/120101.html, which reports[2] (profile) also writes" in str(caught.value)


def test_yaml_aliases_are_refused_before_they_expand(mini_project):
    """A 'billion laughs' study.yaml: refused at once with the line of the first alias, nothing expanded."""
    import time

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    mini_project.write_study(bomb + "title: boom\nreports: [{notebook: ok}]\n")
    started = time.perf_counter()
    with pytest.raises(StudyError, match=r"line 2: YAML aliases \(\*a\) are not allowed in study.yaml; write each value out"):
        load_study(mini_project.paths)
    assert time.perf_counter() - started < 5


def test_the_former_reuse_kernels_key_is_refused_with_its_replacement(mini_project):
    """A study.yaml of an earlier version: the kept kernel carried state between notebooks, so the key is not
    silently ignored or mapped; the error names it, its line and the key to write instead."""
    from conftest import MINI_STUDY

    mini_project.write_study(MINI_STUDY + "execution:\n  reuse_kernels: true\n")
    with pytest.raises(StudyError) as caught:
        load_study(mini_project.paths)
    text = str(caught.value)
    line = MINI_STUDY.count("\n") + 2
    assert f"execution: 'reuse_kernels' (line {line}) is replaced by fork_kernels" in text
    assert "rename the key" in text


def test_an_output_that_is_the_folder_of_another_is_refused(mini_project):
    """A report's files go to reports/data/<output without .html>/: `districts.html` would hold those of every
    districts/<code>.html profile (and replacing its folder would delete theirs)."""
    from conftest import MINI_STUDY

    mini_project.write_study(
        MINI_STUDY + "  - {notebook: ok, title: All districts, output: districts.html, parameters: {x: 1, label: a}}\n"
    )
    with pytest.raises(StudyError) as caught:
        load_study(mini_project.paths)
    text = str(caught.value)
    assert "output 'districts.html' (reports[3]) is also the folder of 'districts/{district_code}.html'" in text
    assert "rename one of them" in text


def test_an_output_named_like_a_folder_of_the_study_is_refused(mini_project):
    from conftest import MINI_STUDY

    mini_project.write_study(MINI_STUDY + "  - {notebook: ok, title: V, output: variants.html, parameters: {x: 1, label: a}}\n")
    with pytest.raises(StudyError) as caught:
        load_study(mini_project.paths)
    assert "output 'variants.html' is reserved for the study itself" in str(caught.value)
