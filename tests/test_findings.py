"""The prose the study generates is tested like a metric: every key finding against the numbers it states
(hand arithmetic here, exact fractions), every generated sentence's arithmetic by the independent checker, the
README's findings against the derived data, and the reports' wording rules (one sentence when there is nothing,
no internal names, requested districts that have no data named)."""

from __future__ import annotations

import re
from fractions import Fraction

import pandas as pd
import pytest

from _project import REPO
from governance_study import datasets, metrics, report
from governance_study.report.findings import README_END, README_START, findings_markdown, key_findings
from governance_study.report.html import key_findings_html, sources_appendix_html, table_html
from governance_study.text.arithmetic import find_statements

TABLES = ("claims", "resolution", "participation", "audit")


@pytest.fixture(scope="module")
def derived() -> dict[str, pd.DataFrame]:
    return {name: datasets.load(name) for name in (*TABLES, "ratios", "coverage", "sources", "districts")}


@pytest.fixture(scope="module")
def findings(derived):
    return key_findings(*(derived[n] for n in TABLES))


def _text(findings, kind: str, contains: str) -> str:
    hits = [f.text for f in findings if f.kind == kind and contains in f.text]
    assert len(hits) == 1, (kind, contains, [f.text for f in findings])
    return hits[0]


def test_five_to_ten_findings_each_naming_existing_claims(findings, derived):
    assert 5 <= len(findings) <= 10
    known = set(derived["claims"]["claim_id"])
    for finding in findings:
        assert finding.claim_ids and set(finding.claim_ids) <= known, finding


def test_truncation_finding_states_what_exact_arithmetic_gives(findings):
    text = _text(findings, "audit", "591 closed of 657")
    exact = Fraction(591 * 100, 657)  # 89.9543...%
    assert f"591/657 = {int(exact * 1000) / 1000:.3f}%" in text  # 89.954, three decimals truncated
    assert int(exact * 10 + Fraction(1, 2)) == 900 and "half-up rounding gives 90.0%" in text
    assert int(exact * 10) == 899 and "truncation gives 89.9%" in text
    assert "only truncation gives the reported 89.9% closure rate" in text


def test_577_finding_fits_no_denominator_and_labels_the_hypothesis(findings):
    text = _text(findings, "audit", "577 closed")
    # 577/n = 98.27% needs 577/0.98275 < n <= 577/0.98265 under half-up: no whole n in (587.13, 587.19]
    assert not [n for n in range(578, 700) if Fraction(9826_5, 10**5) <= Fraction(577, n) < Fraction(9827_5, 10**5)]
    assert not [n for n in range(578, 700) if Fraction(9827, 10**4) <= Fraction(577, n) < Fraction(9828, 10**4)]
    assert "577/587 = 98.296%" in text and "577/588 = 98.129%" in text
    assert int(Fraction(577 * 100, 587) * 1000) == 98296 and int(Fraction(577 * 100, 588) * 1000) == 98129
    assert "hypothesis the text does not support" in text


def test_resolution_finding_counts_districts_and_statistics(findings, derived):
    text = _text(findings, "resolution", "resolution interval")
    res = derived["resolution"]
    with_ci = res[res["ci_low_pct"].notna()]
    assert set(with_ci["district_code"]) == {"120101"} and "Only Heping" in text
    assert f"of the {res['district_code'].nunique()} districts with resolution statistics" in text
    assert "777 of 821, implied (only 777/821 = 94.640% gives the reported 94.6%)" in text
    assert "591 of 657, recomputed" in text and int(Fraction(77700, 821) * 1000) == 94640
    assert [k for k in range(822) if Fraction(9455, 10000) <= Fraction(k, 821) < Fraction(9465, 10000)] == [777]
    closed_only = int((res["rate_derivation"] == "none").sum())  # none of them has a received count (by hand: 7 of 11)
    assert closed_only == 7 and res.loc[res["rate_derivation"] == "none", "received"].isna().all()
    assert f"{closed_only} statistics report only a closed count (of {len(res)} in all)" in text
    assert "not possible with these sources" in text


def test_participation_findings_compare_only_like_for_like(findings, derived):
    part = derived["participation"]
    summary = _text(findings, "participation", "can be compared like for like")
    # independently: district rows with an intensity, grouped by indicator, channel and unit
    own = part[part["per_10k"].notna() & (part["district_code"] != "120000") & part["subunit"].isna()]
    spread = own.groupby(["indicator", "channel", "unit"])["district_code"].nunique()
    shared = spread[spread >= 2]
    assert [i for i, _, _ in shared.index] == ["grids"]
    n_comparable = int(own.set_index(["indicator", "channel", "unit"]).index.isin(shared.index).sum())
    assert f"the other {len(own) - n_comparable} per-resident figures of {own['district_code'].nunique()} districts" in summary
    grids = _text(findings, "participation", "Grids per 10,000")
    assert f"Binhai New Area {6926 / 2067318 * 10000:.1f} (6926个, as of 2021-09-28)" in grids  # 33.5
    assert f"Hexi {1475 / 822174 * 10000:.1f} (1475个, as of 2021-03-19)" in grids  # 17.9
    assert "Organisations engaged" not in " ".join(f.text for f in findings)  # different channels: not compared


def test_note_finding_keeps_the_657s_apart(findings):
    text = _text(findings, "note", "657 matters received")
    assert "closure rate 89.9% in channel mediation centre" in text
    assert "on-time closure rate 100% in channel petition" in text and "no conflict" in text
    # it must not assert what the article does not say: that the two 657s are different matters
    assert "even if the two counts are the same matters" in text and "different sets of matters" not in text


def test_every_generated_sentence_states_correct_arithmetic(findings, derived):
    """Findings, audit findings, notes on rows, caveats, summaries and raw notes: every 'k/n = p%', sum and
    'p% of n' they write is recomputed by the independent checker (governance_study.text.arithmetic)."""
    gazetteer = derived["districts"]
    claims = derived["claims"]
    resolution = report.select(metrics.resolution_table(claims), gazetteer)
    comparison = report.attempt(metrics.pairwise_differences, resolution)
    glm = report.attempt(metrics.fit_glm, resolution)
    participation = report.select(metrics.participation_table(claims, gazetteer), gazetteer)
    ratios = report.select(metrics.ratio_table(claims, gazetteer), gazetteer)
    texts = [f.text for f in findings]
    texts += derived["audit"]["finding"].dropna().tolist() + derived["resolution"]["note"].dropna().tolist()
    texts += derived["participation"]["caveat"].dropna().tolist() + derived["ratios"]["caveat"].tolist()
    texts += derived["ratios"]["comparability"].tolist() + claims["note"].dropna().tolist()
    texts += report.resolution_caveats(resolution, comparison, glm) + report.participation_caveats(participation, ratios)
    texts += report.audit_summary(derived["audit"]) + report.coverage_findings(derived["coverage"])
    for code in ("120101", "120116"):
        texts += report.profile_summary(
            report.district_profile(
                code,
                gazetteer,
                claims=claims,
                resolution=derived["resolution"],
                participation=derived["participation"],
                ratios=derived["ratios"],
                audit=derived["audit"],
            )
        )
    statements = [s for t in texts for s in find_statements(t)]
    assert len(statements) >= 8  # the prose does state arithmetic; all of it must hold
    wrong = [s for s in statements if not s.is_correct]
    assert not wrong, wrong


def test_numbers_in_findings_come_from_their_claims_or_arithmetic(findings, derived):
    """Every number a finding states is a value of a claim it names, a date of one, a figure per 10,000
    residents of one, part of a correct arithmetic statement, or a count stated with its noun (checked in the
    tests above)."""
    claims = derived["claims"].set_index("claim_id")
    gazetteer = pd.read_csv(REPO / "data/raw/reference/districts.csv", dtype=str)
    population = dict(zip(gazetteer["district_code"], gazetteer["population_2020"].astype(int)))
    counted = re.compile(r"\b\d+ (of the|districts?|indicators?|statistics|per-resident)\b|per 10,000|of \d+ in all")
    for finding in findings:
        cited = claims.loc[list(finding.claim_ids)]
        allowed = {str(int(v)) if float(v).is_integer() else str(v) for v in cited["value"]}
        allowed |= {d for d in pd.concat([cited["period_start"], cited["period_end"]]).dropna()}
        for value, code in zip(cited["value"], cited["district_code"]):  # per 10,000 census residents, by hand
            per_10k = float(value) / population[code] * 10_000
            allowed |= {f"{per_10k:.1f}", f"{per_10k:.2f}"}
        correct = [s for s in find_statements(finding.text) if s.is_correct]
        covered = [(s.start, s.start + len(s.text)) for s in correct]
        allowed |= {n.replace(",", "") for s in correct for n in re.findall(r"\d[\d,]*(?:\.\d+)?", s.text)}
        covered += [(m.start(), m.end()) for m in counted.finditer(finding.text)]
        covered += [(m.start(), m.end()) for m in re.finditer(r"\d{4}-\d{2}-\d{2}", finding.text)]
        covered += [(m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+(-[a-z0-9]+)+", finding.text)]  # ids
        covered += _verified_roundings(finding.text)
        for m in re.finditer(r"\d[\d,]*(\.\d+)?%?", finding.text):
            token = m.group(0).rstrip("%").replace(",", "")
            if any(a <= m.start() and m.end() <= b for a, b in covered) or token in allowed:
                continue
            if m.group(0).endswith("%") and token in {str(v) for v in cited["value_text"].str.rstrip("%")}:
                continue
            raise AssertionError(f"{m.group(0)!r} in {finding.text!r} is not traced to its claims")


def _verified_roundings(text: str) -> list[tuple[int, int]]:
    """Spans of "half-up rounding gives 90.0%" / "truncation gives 89.9%" that follow "k/n = ..." and are right."""
    spans = []
    ratio = re.search(r"(\d+)/(\d+) =", text)
    for m in re.finditer(r"(half-up rounding|truncation) gives (\d+)(?:\.(\d+))?%", text):
        assert ratio, text
        k, n = int(ratio.group(1)), int(ratio.group(2))
        decimals = len(m.group(3) or "")
        scaled = Fraction(100 * k * 10**decimals, n)
        expected = int(scaled + Fraction(1, 2)) if m.group(1).startswith("half") else int(scaled)
        assert int(m.group(2) + (m.group(3) or "")) == expected, (m.group(0), text)
        spans.append((m.start(), m.end()))
    return spans


def test_readme_key_findings_are_generated_from_the_derived_data(findings):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split(README_START)[1].split(README_END)[0]
    assert block.strip() == findings_markdown(findings).strip(), "run `governance-study findings --readme`"
    assert readme.index(README_START) < readme.index("## Two commands")  # on the first screen


def test_findings_link_to_quotes_in_the_appendix(findings, derived):
    html = key_findings_html(findings)
    behind = report.claims_behind(derived["claims"], findings)
    appendix = sources_appendix_html(behind, derived["sources"])
    for claim_id in {c for f in findings for c in f.claim_ids}:
        assert f'href="#claim-{claim_id}"' in html and f'id="claim-{claim_id}"' in appendix


def test_nothing_to_show_is_one_sentence_not_an_empty_table():
    html = table_html(pd.DataFrame(), caption="Differences between districts", note="only one district (120101).")
    assert "<table" not in html
    assert "Differences between districts: nothing to show (only one district (120101))." in html


def test_messages_carry_no_internal_function_names(derived):
    gazetteer = derived["districts"]
    resolution = report.select(metrics.resolution_table(derived["claims"]), gazetteer)
    comparison = report.attempt(metrics.pairwise_differences, resolution)
    glm = report.attempt(metrics.fit_glm, resolution)
    for reason in (comparison.reason, glm.reason):
        assert reason and not re.match(r"^[a-z_]+:", reason), reason
    assert not any("pairwise_differences" in c or "fit_glm" in c for c in report.resolution_caveats(resolution, comparison, glm))


def test_a_requested_district_without_data_is_an_error_listing_what_exists(derived):
    gazetteer = derived["districts"]
    resolution = derived["resolution"]
    with pytest.raises(
        ValueError,
        match=r"no resolution statistic for Nankai \(120104\) in the data; districts with "
        r"resolution statistic: Heping \(120101\), Binhai New Area \(120116\)",
    ):
        report.select(resolution, gazetteer, districts=["Nankai", "Heping"], what="resolution statistic")
    with pytest.raises(ValueError, match=r"no participation or capacity figure for Nankai \(120104\)"):
        report.select(derived["participation"], gazetteer, districts=["南开区"], what="participation or capacity figure")
    with pytest.raises(ValueError, match=r"no resolution statistic in channel\(s\) 'hotline'.*give channels that have one"):
        report.select(resolution, gazetteer, channels=["hotline"], what="resolution statistic")
    # a table shown beside the main one may be empty for a district: no error, one sentence in the report
    assert report.select(derived["ratios"], gazetteer, districts=["Tianjin"], require=False).empty


# --- synthetic data: the sentences stay true for other inputs ----------------------------------------------


def _synthetic(*rows):
    from governance_study.metrics import audit_table, participation_table, resolution_table
    from governance_study.metrics.examples import claims_frame

    claims = claims_frame(rows).assign(
        district_name_en=lambda f: f["district_code"].map({"120101": "Heping", "120103": "Hexi", "120116": "Binhai New Area"}),
        indicator_label_en=lambda f: f["indicator"].str.replace("_", " ").str.capitalize(),
    )
    districts = pd.DataFrame(
        {
            "district_code": ["120101", "120103", "120116"],
            "name_zh": ["和平区", "河西区", "滨海新区"],
            "name_en": ["Heping", "Hexi", "Binhai New Area"],
            "population_2020": [355000, 822174, 2067318],
        }
    )
    return claims, resolution_table(claims), participation_table(claims, districts), audit_table(claims)


def test_a_closed_count_that_fits_one_rule_is_not_called_impossible():
    from governance_study.metrics.examples import claim

    # 1/7 = 14.2857%: half-up gives 14.3, truncation 14.2, so n = 7 fits under half-up only
    assert int(Fraction(100, 7) * 10 + Fraction(1, 2)) == 143 and int(Fraction(100, 7) * 10) == 142
    tables = _synthetic(claim("a-out", "requests_closed", "1件", group_id="a"), claim("a-rate", "closure_rate", "14.3%", group_id="a"))
    text = [f.text for f in key_findings(*tables) if f.kind == "audit"][0]
    assert "fits a whole number n of matters received only under half-up rounding (n = 7)" in text
    assert "no whole number" not in text


def test_singular_and_plural_and_one_district():
    from governance_study.metrics.examples import claim

    tables = _synthetic(claim("a-out", "requests_closed", "10件"), claim("g", "grids", "100个", channel="grid"))
    text = " ".join(f.text for f in key_findings(*tables))
    assert "1 statistic reports only a closed count (of 1 in all)" in text
    assert "None of the 1 district with resolution statistics (Heping) reports counts that allow an interval" in text
    assert "1 districts" not in text and "1 statistics" not in text


def test_empty_tables_give_one_sentence_each_without_claim_ids():
    from governance_study.metrics.examples import claim

    tables = _synthetic(claim("v", "enterprises_served", "5家"))
    found = key_findings(*tables)
    assert [f.text for f in found] == [
        "No district reports a resolution statistic in these sources.",
        "No district reports a participation or capacity figure that can be set per resident.",
    ]
    assert "()" not in findings_markdown(found)


def test_a_shared_closed_count_is_called_closed_and_asserts_no_sameness():
    from governance_study.metrics.examples import claim

    tables = _synthetic(
        claim("a-out", "requests_closed", "591件", group_id="a", channel="grid"),
        claim("a-rate", "closure_rate", "89.9%", group_id="a", channel="grid"),
        claim("b-out", "requests_closed", "591件", group_id="b", channel="grid", period_end="2023-12-31"),
        claim("b-rate", "closure_rate", "95%", group_id="b", channel="grid", period_end="2023-12-31"),
    )
    text = [f.text for f in key_findings(*tables) if f.kind == "note"][0]
    assert "reports 591 matters closed in two statistics" in text and "received" not in text
    assert "would conflict only if both statistics counted the same matters, which no claim says" in text


def test_two_channels_of_one_indicator_are_named_apart():
    from governance_study.metrics.examples import claim

    tables = _synthetic(
        claim("h1", "grid_workers", "800名", channel="grid"),
        claim("b1", "grid_workers", "9000名", channel="grid", district_code="120116"),
        claim("h2", "grid_workers", "50名", channel="general"),
        claim("b2", "grid_workers", "600名", channel="general", district_code="120116"),
    )
    texts = [f.text for f in key_findings(*tables) if f.kind == "participation"]
    assert "for 1 indicator (grid workers); every other per-resident figure has one too" in texts[0]
    assert texts[1].startswith("Grid workers in channel general (名) per 10,000 residents")
    assert texts[2].startswith("Grid workers in channel grid (名) per 10,000 residents")
    # 9000 / 2067318 * 10000 = 43.53..., 800 / 355000 * 10000 = 22.53...
    assert f"Binhai New Area {9000 / 2067318 * 10000:.1f} (9000名" in texts[2] and f"Heping {800 / 355000 * 10000:.1f}" in texts[2]


def test_more_flagged_rates_than_sentences_are_counted_in_one():
    from governance_study.metrics.examples import claim

    rows = []
    for i in range(5):  # 591/657 -> 89.9% only by truncation, five times over
        rows += [
            claim(f"s{i}-in", "requests_received", "657件", group_id=f"s{i}", period_end=f"2023-0{i + 1}-28"),
            claim(f"s{i}-out", "requests_closed", "591件", group_id=f"s{i}", period_end=f"2023-0{i + 1}-28"),
            claim(f"s{i}-rate", "closure_rate", "89.9%", group_id=f"s{i}", period_end=f"2023-0{i + 1}-28"),
        ]
    audit = [f for f in key_findings(*_synthetic(*rows)) if f.kind == "audit"]
    assert len(audit) == 4 and audit[-1].text == "2 more reported rates fail a rounding rule: see the reporting audit."
    assert set(audit[-1].claim_ids) == {"s3-in", "s3-out", "s3-rate", "s4-in", "s4-out", "s4-rate"}


def test_participation_caveats_count_what_they_say(derived):
    """The caveats' counts, recomputed from the derived table: lower bounds, those with an intensity, subunit
    figures and whole-district figures the vocabulary keeps out."""
    part, ratios = derived["participation"], derived["ratios"]
    lines = report.participation_caveats(part, ratios)
    lower = part[part["is_lower_bound"]]
    # by hand: 1000余, 5400余, 30余, 5600余, 500余 (no intensity: cadres in villages), 200余, 超过25万
    assert (len(lower), int(lower["per_10k"].notna().sum()), len(part)) == (7, 6, 29)
    assert any(
        f"{len(lower)} of {len(part)} counts are lower bounds" in s and f"the {int(lower['per_10k'].notna().sum())} of them" in s
        for s in lines
    )
    subunit = part[part["per_10k"].isna() & part["subunit"].notna()]
    kept_out = part[part["per_10k"].isna() & part["subunit"].isna()]
    assert (len(subunit), len(kept_out)) == (4, 5)
    assert f"{len(subunit)} figure(s) describe a street, community, park or zone" in " ".join(lines)
    assert (
        f"{len(kept_out)} whole-district figure(s) (cadres_in_villages, councils, industry_alliances) are listed, not divided"
        in " ".join(lines)
    )
