"""`governance-study variant`: one report with other parameters, in reports/variants/, the study untouched.

On a copy of the study run once per session. The variant's interval is checked against statsmodels'
``proportion_confint`` computed here from the published counts, independently of the library.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from governance_study.paths import ProjectPaths
from governance_study.study import StudyError
from governance_study.study.variant import run_variant, slug, variant_report


@pytest.fixture(scope="module")
def variant_project(study_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("variant") / "project"
    shutil.copytree(study_run.paths.root, root)
    paths = ProjectPaths(root)
    before = _digests(paths.reports)
    lines: list[str] = []
    html = run_variant(paths, "02_resolution_rates", [("alpha", "0.1"), ("ci_method", "jeffreys")], progress=lines.append)
    return paths, html, before, lines


def _digests(reports: Path) -> dict[str, str]:
    return {p.relative_to(reports).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in reports.rglob("*") if p.is_file()}


def test_the_variant_is_written_where_its_parameters_say(variant_project):
    paths, html, _, lines = variant_project
    assert html == paths.reports / "variants/02_resolution_rates/alpha-0.1_ci_method-jeffreys.html"
    assert (paths.reports / "variants/02_resolution_rates/alpha-0.1_ci_method-jeffreys.ipynb").is_file()
    assert lines[-1].startswith("variant written in")


def test_the_variant_leaves_the_study_alone(variant_project):
    paths, _, before, _ = variant_project
    after = _digests(paths.reports)
    changed = {name for name in before if after.get(name) != before[name]}
    added = set(after) - set(before)
    assert not changed, changed  # no report, record, index or published file of the study changed
    assert all(name.startswith(("variants/", "data/variants/", ".cache/reports/variants/")) for name in added), added


def test_the_variant_has_its_provenance_and_citation(variant_project):
    _, html, _, _ = variant_project
    page = html.read_text(encoding="utf-8")
    assert "— variant: alpha=0.1, ci_method=&#39;jeffreys&#39;" in page
    provenance = page[page.index('id="provenance"') :]
    assert "alpha = 0.1" in provenance and "ci_method = &#34;jeffreys&#34;" in provenance
    assert "correction = &#34;holm&#34;" in provenance  # the study's value of the parameters not given
    assert "report variants/02\\_resolution\\_rates/alpha-0.1\\_ci\\_method-jeffreys" in page  # BibTeX note
    assert re.search(r"content sha256 [0-9a-f]{64}", page)
    assert 'href="../../index.html"' in page


def test_the_variant_computes_with_its_parameters(variant_project):
    """A 90% Jeffreys interval, recomputed here with statsmodels from the counts the variant publishes."""
    from statsmodels.stats.proportion import proportion_confint

    paths, _, _, _ = variant_project
    with (paths.reports / "data/variants/02_resolution_rates/alpha-0.1_ci_method-jeffreys/forest-plot.csv").open(encoding="utf-8") as f:
        drawn = [r for r in csv.DictReader(f) if r["ci_low_pct"]]
    assert drawn and {r["ci_method"] for r in drawn} == {"jeffreys"} and {r["ci_level_pct"] for r in drawn} == {"90.0"}
    with (paths.reports / "derived/resolution.csv").open(encoding="utf-8") as f:
        counts = {r["statistic_id"]: r for r in csv.DictReader(f)}
    checked = 0
    for row in drawn:
        counted = counts[row["statistic_id"]]
        closed, received = int(float(counted["closed_used"])), int(float(counted["received_used"]))
        low, high = proportion_confint(closed, received, alpha=0.1, method="jeffreys")
        assert float(row["ci_low_pct"]) == pytest.approx(100 * low, abs=1e-6)
        assert float(row["ci_high_pct"]) == pytest.approx(100 * high, abs=1e-6)
        checked += 1
    assert checked >= 2


def test_parameters_are_checked_as_run_checks_them(study_run):
    with pytest.raises(StudyError) as caught:
        run_variant(study_run.paths, "02_resolution_rates", [("alpha", "high")], progress=lambda line: None)
    assert "alpha" in str(caught.value) and "high" in str(caught.value)
    with pytest.raises(StudyError) as caught:
        run_variant(study_run.paths, "02_resolution_rates", [("alfa", "0.1")], progress=lambda line: None)
    assert "alfa" in str(caught.value)
    with pytest.raises(StudyError) as caught:
        variant_report(study_run.paths, "99_missing", [])
    assert "notebook '99_missing' is not in study.yaml; notebooks: 01_sources_and_coverage" in str(caught.value)


def test_a_profile_variant_starts_from_the_district_named():
    assert slug({"district": "120101"}) == "district-120101"
    assert slug({"districts": ["Heping", "Binhai"], "alpha": 0.1}) == "alpha-0.1_districts-Heping-Binhai"
    assert slug({}) == "defaults"
