"""The rules of the vocabulary (indicators.csv) and of a statistic, enforced by ``check``; each error a
re-reading of the articles found is fed back into a copy of the project and must be refused with a message
that names file, line, claim and what to do. Also: every rule indicators.csv states has an enforcement.
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from _project import REPO, copy_project, edit_claim, read_rows, refused, write_rows
from governance_study import datasets
from governance_study.cli import main
from governance_study.metrics.examples import INDICATOR_ROLES, INDICATOR_RULES

INDICATORS = REPO / "data/raw/reference/indicators.csv"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    return root


def test_the_repository_passes_check(project, capsys):
    assert main(["check"]) == 0


# --- the seven definite errors, each fed back --------------------------------------------------------------


def test_handled_is_never_a_closed_count(project, capsys):
    """1. 协调推动办理…6319件 is handled (办理), not closed: requests_closed needs 办结/解决/化解 in its quote."""
    edit_claim(project, "binhai21a-department-handled", indicator="requests_closed")
    refused(
        project,
        capsys,
        "line",
        "binhai21a-department-handled",
        "indicator = 'requests_closed'",
        "the quote has none of the words requests_closed requires (办结|解决|化解",
        "办理 is handled, not closed",
    )


def test_a_handled_count_never_enters_the_resolution_table(project, capsys):
    """Built from the raw data as curated: the 6319 handled is in the claims, never a closed count."""
    assert main(["build"]) == 0
    derived = project / "data/derived"
    resolution = pd.read_csv(derived / "resolution.csv", dtype=str)
    claims = pd.read_csv(derived / "claims.csv", dtype=str).set_index("claim_id")
    assert claims.loc["binhai21a-department-handled", "indicator"] == "requests_handled"
    assert "binhai21a-department-handled" not in set(resolution["closed_claim_id"].dropna())
    assert "6319" not in set(resolution["closed"].dropna())


def test_two_groups_of_people_are_two_statistics(project, capsys):
    """2. 自行转移2.3万人 and 集中安置2000余人: two counts of one role cannot be one statistic."""
    for claim_id in ("jinghai23-taitou-self-relocated", "jinghai23-taitou-sheltered"):
        edit_claim(project, claim_id, group_id="jinghai23-taitou-relocation")
    refused(
        project,
        capsys,
        "group jinghai23-taitou-relocation is not one statistic",
        "two or more counts of role none (jinghai23-taitou-self-relocated, jinghai23-taitou-sheltered)",
        "jinghai23-taitou-self-relocated (line",
        "jinghai23-taitou-sheltered (line",
    )


def test_a_note_with_wrong_arithmetic_is_refused(project, capsys):
    """3. "577/0.9827 implies about 587" states a result no whole number gives; notes must agree with the audit."""
    edit_claim(
        project,
        "heping23-enterprise-solved",
        note="577 is the number SOLVED; the number raised is not given (577/0.9827 implies about 587).",
    )
    refused(project, capsys, "heping23-enterprise-solved", "note =", "cannot be checked: 577/0.9827 = 587.157")
    edit_claim(project, "heping23-enterprise-solved", note="577/587 = 98.4%")
    refused(project, capsys, "'577/587 = 98.4%' is wrong: 577/587 = 98.296")


def test_village_cadres_get_no_per_resident_figure():
    """4. cadres_in_villages is kept out of per-resident and whole-district ratios (indicators.csv)."""
    participation = datasets.load("participation")
    villages = participation[participation["indicator"] == "cadres_in_villages"]
    assert sorted(villages["claim_id"]) == ["binhai21a-rural-cadres", "binhai21b-rural-cadres"]
    assert villages["per_10k"].isna().all() and villages["population"].isna().all()
    assert villages["caveat"].str.contains("keeps cadres in villages out of per-resident figures").all()
    ratios = datasets.load("ratios")
    used = set(ratios["numerator_claim_id"].dropna()) | set(ratios["denominator_claim_id"])
    assert not used & set(villages["claim_id"])


def test_the_two_657s_are_no_conflict():
    """5. 按期办结率100% (petition) and 办结率89.9% (mediation) of 657 each: a note, never a flagged conflict."""
    audit = datasets.load("audit")
    assert (audit["check"] != "conflict").all()
    note = audit[audit["check"] == "shared_count"].iloc[0]
    assert not note["is_flagged"]
    assert {note["claim_id"], note["related_claim_id"]} == {"heping23-mediation-closure-rate", "heping23-petition-on-time-closure-rate"}


def test_on_time_closure_gets_no_interval():
    """6. An on-time closure rate's base is the matters due: no closed count of the 657, no interval."""
    row = datasets.load("resolution").set_index("statistic_id").loc["heping23-petition-visits"]
    assert row["rate_indicator"] == "on_time_closure_rate" and row["rate_derivation"] == "reported"
    assert pd.isna(row["ci_low_pct"]) and pd.isna(row["closed_used"]) and pd.isna(row["consistent_closed_min"])
    claims = datasets.load("claims").set_index("claim_id")
    assert claims.loc["heping23-petition-on-time-closure-rate", "rate_base"] == "due"


def test_heping_periods_end_with_the_print_issue(project, capsys):
    """7. Heping's figures were printed in 2023 no. 11: no period ends on the web date 2023-12-16."""
    claims = datasets.load("claims")
    heping = claims[claims["source_id"] == "tjxfw-heping-2023-12-16"]
    assert (heping["period_end"] <= "2023-11-30").all()
    assert heping["period_rule"].str.contains("2023 no. 11").all()
    edit_claim(project, "heping23-mediation-closed", period_end="2023-12-16")
    refused(
        project,
        capsys,
        "heping23-mediation-closed",
        "period_end = '2023-12-16'",
        "period_end is after 2023-11-30, the latest_figure_date of tjxfw-heping-2023-12-16",
    )


# --- the rules of a statistic ------------------------------------------------------------------------------


def test_counts_in_different_units_are_two_statistics(project, capsys):
    for claim_id in ("heping23-whistle-calls", "heping23-whistle-solved"):
        edit_claim(project, claim_id, group_id="heping23-whistle")
    refused(
        project,
        capsys,
        "group heping23-whistle is not one statistic",
        "counts in different units",
        "heping23-whistle-calls: 次",
        "heping23-whistle-solved: 个",
    )


def test_indicators_of_different_families_are_two_statistics(project, capsys):
    for claim_id in ("heping23-survey-leaders", "heping23-survey-trips"):
        edit_claim(project, claim_id, group_id="heping23-survey")
    refused(project, capsys, "group heping23-survey is not one statistic", "indicators of different families (outreach, participation)")


def test_two_closing_rates_in_one_group(project, capsys):
    edit_claim(project, "heping23-petition-on-time-closure-rate", group_id="heping23-mediation")
    refused(project, capsys, "group heping23-mediation is not one statistic", "two closing rates", "its claims differ in channel")


def test_the_same_figure_curated_twice_names_both_rows(project, capsys):
    columns, rows = read_rows(project / "data/raw/claims.csv")
    copy = dict(next(r for r in rows if r["claim_id"] == "hexi21-grids"), claim_id="hexi21-grids-again")
    write_rows(project / "data/raw/claims.csv", columns, rows + [copy])
    err = refused(project, capsys, "hexi21-grids-again", "the same figure is curated twice: hexi21-grids (line 2)")
    assert f"line {len(rows) + 2}" in err


def test_unit_outside_the_indicator_units(project, capsys):
    edit_claim(project, "binhai21a-leadership-households-visited", indicator="visits_made")
    refused(project, capsys, "binhai21a-leadership-households-visited", "visits_made is counted in '次', not '个'")


# --- every rule indicators.csv states is enforced ----------------------------------------------------------

#: Phrases of a definition that state a rule, and the structured column that must say the same (which
#: ``check`` or the metrics enforce; the tests above and in test_metrics_* feed each one a violation).
RULE_PHRASES: dict[str, tuple[str, str]] = {
    r"kept out of per-(grid and per-)?resident": ("is_per_resident_comparable", "false"),
    r"never used as the closed count": ("role", "none"),
    r"percent of the matters due": ("rate_base", "due"),
    r"percent of the matters received": ("rate_base", "received"),
    r"percent of those surveyed": ("rate_base", "surveyed"),
    r"not a share": ("kind", "score"),
    r"the quote must say so": ("cues", "办结|解决|化解"),
}
#: Words that mark a sentence of a definition as a rule: each such sentence must match a phrase above.
RULE_WORDS = re.compile(r"\b(never|kept out|must|only)\b")


def _vocabulary() -> list[dict[str, str]]:
    with INDICATORS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_rule_a_definition_states_is_a_structured_column():
    for row in _vocabulary():
        for pattern, (column, value) in RULE_PHRASES.items():
            if re.search(pattern, row["definition"]):
                assert row[column] == value, f"{row['indicator']}: definition says {pattern!r}, {column} is {row[column]!r}"
        for sentence in re.split(r"(?<=[.;:])\s+", row["definition"]):
            if RULE_WORDS.search(sentence):
                assert any(re.search(p, sentence) for p in RULE_PHRASES), (
                    f"{row['indicator']}: the definition states a rule no column enforces: {sentence!r}"
                )


def test_every_unit_a_definition_names_is_an_allowed_unit():
    for row in _vocabulary():
        units = set(row["units"].split("|"))
        for named in re.findall(r"\((次|场|人次|条|户|分)\)", row["definition"]):
            assert named in units, f"{row['indicator']}: definition counts in {named}, units are {row['units']}"


def test_rule_columns_are_enforced_by_check(project, capsys):
    """Flip each rule column of one indicator and see check (or the metrics) respond."""
    columns, rows = read_rows(project / "data/raw/reference/indicators.csv")
    by_id = {r["indicator"]: r for r in rows}
    by_id["grids"]["units"] = "家"
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows)
    refused(project, capsys, "hexi21-grids", "grids is counted in '家', not '个'")
    by_id["grids"]["units"] = "个"
    by_id["grids"]["cues"] = "楼栋"
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows)
    refused(project, capsys, "hexi21-grids", "the quote has none of the words grids requires (楼栋")
    by_id["grids"]["cues"] = "网格"
    by_id["closure_rate"]["rate_base"] = ""
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows)
    refused(project, capsys, "indicators.csv", "closure_rate", "a rate needs its base")
    by_id["closure_rate"]["rate_base"] = "received"
    by_id["closure_rate"]["cues"] = "办结率("  # a broken pattern is reported, never a traceback
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows)
    refused(project, capsys, "indicators.csv", "cues = '办结率('", "not a valid regular expression")
    by_id["closure_rate"]["cues"] = "(?<!按期)办结率"
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows + [dict(by_id["grids"])])
    refused(project, capsys, "indicators.csv", "duplicate id", "grids")


def test_flipping_the_boolean_rules_changes_the_tables(project, capsys):
    """is_closing_rate and is_per_resident_comparable are read by the metrics: flip each, rebuild, compare."""
    columns, rows = read_rows(project / "data/raw/reference/indicators.csv")
    by_id = {r["indicator"]: r for r in rows}
    by_id["cadres_in_villages"]["is_per_resident_comparable"] = "true"
    by_id["closure_rate"]["is_closing_rate"] = "false"
    write_rows(project / "data/raw/reference/indicators.csv", columns, rows)
    assert main(["build"]) == 0
    derived = project / "data/derived"
    participation = pd.read_csv(derived / "participation.csv").set_index("claim_id")
    assert participation.loc["binhai21a-rural-cadres", "per_10k"] == pytest.approx(511 / 2067318 * 10_000)
    resolution = pd.read_csv(derived / "resolution.csv").set_index("statistic_id")
    # without a closing rate, the grid petitions (821 received, 94.6%) are no resolution statistic at all
    assert "heping23-grid-petitions" not in resolution.index
    assert resolution.loc["heping23-mediation", "rate_derivation"] == "recomputed"  # its counts still give 591/657
    assert pd.isna(resolution.loc["heping23-mediation", "rules_consistent"])  # but no closing rate is checked


def test_example_vocabulary_agrees_with_indicators_csv():
    vocabulary = {r["indicator"]: r for r in _vocabulary()}
    for indicator, (family, kind, role) in INDICATOR_ROLES.items():
        row = vocabulary[indicator]
        assert (row["family"], row["kind"], row["role"]) == (family, kind, role), indicator
        base, closing, per_resident = INDICATOR_RULES.get(indicator, (None, False, family in ("participation", "capacity")))
        assert (row["rate_base"] or None, row["is_closing_rate"] == "true", row["is_per_resident_comparable"] == "true") == (
            base,
            closing,
            per_resident,
        ), indicator


# --- judgements --------------------------------------------------------------------------------------------


def test_judgements_are_in_the_data():
    claims = datasets.load("claims").set_index("claim_id")
    assert claims.loc["binhai21b-campaign-satisfaction-rate", "channel"] == "general"
    assert pd.isna(claims.loc["heping23-society-lectures", "group_id"])
    assert pd.isna(claims.loc["heping23-society-lecture-audience", "group_id"])
    assert claims.loc["binhai21a-leadership-households-visited", "indicator"] == "households_visited"
    assert claims.loc["dongli23-part-time-grid-workers", "indicator"] == "part_time_grid_workers"
    assert claims.loc["heping23-old-compounds-renovation", "indicator"] == "projects_taken_on"
    assert {claims.loc[c, "indicator"] for c in ("binhai21a-industry-alliances", "binhai21a-ftz-industry-alliances")} == {
        "industry_alliances"
    }
    assert "hypothesis" in claims.loc["heping23-enterprise-solved", "note"]
    marks = pd.read_csv(REPO / "data/raw/not_curated.csv", dtype=str)
    assert marks.loc[marks["text"] == "33名", "reason_code"].tolist() == ["economic"]


def test_ratios_never_mix_part_time_and_staff_grid_workers_and_carry_a_verdict():
    ratios = datasets.load("ratios")
    per_worker = ratios[ratios["ratio"] == "residents_per_grid_worker"]
    assert per_worker["district_code"].tolist() == ["120101"]
    assert ratios["comparability"].str.len().gt(0).all()
    grid = ratios[ratios["ratio"] == "residents_per_grid"].set_index("district_code")
    assert grid.loc["120103", "comparable_with"] == "120116" and grid.loc["120116", "comparable_with"] == "120103"
    assert grid["is_comparable_across_districts"].all()
    # 2067318 / 6926 and 822174 / 1475, by hand
    assert grid.loc["120116", "ratio_value"] == pytest.approx(298.4866, abs=1e-4)
    assert grid.loc["120103", "ratio_value"] == pytest.approx(557.4061, abs=1e-4)


@pytest.mark.parametrize("markdown", ["data/raw/not_curated.md", "data/raw/claims.md"])
def test_row_counts_stated_in_data_dictionaries_are_true(markdown):
    text = (REPO / markdown).read_text(encoding="utf-8")
    for stated in re.findall(r"(\d+) rows", text):
        table = REPO / markdown.replace(".md", ".csv")
        actual = len(pd.read_csv(table, dtype=str))
        assert int(stated) == actual, f"{markdown} says {stated} rows; {table.name} has {actual}"
