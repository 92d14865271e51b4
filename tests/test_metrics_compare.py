"""Cross-district comparison: differences, multiple testing, GLM, comparability, and every refusal.

Second implementations written here: Newcombe's interval from closed-form Wilson limits, the pooled z-test
from its formula, Holm's step-down by hand, and the binomial GLM by Newton-Raphson (IRLS) in numpy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance_study.metrics import (
    ComparisonError,
    comparability_table,
    fit_glm,
    pairwise_differences,
    proportion_difference,
    resolution_table,
)
from governance_study.metrics.examples import claim, claims_frame, heping_2023, invented_district


def wilson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def holm(pvalues: list[float]) -> list[float]:
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * len(pvalues), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def statistic(key: str, district: str, channel: str, received: int, closed: int, **kw) -> list[dict]:
    return [
        claim(f"{key}-in", "requests_received", f"{received}件", group_id=key, channel=channel, district_code=district, **kw),
        claim(f"{key}-out", "requests_closed", f"{closed}件", group_id=key, channel=channel, district_code=district, **kw),
    ]


@pytest.fixture(scope="module")
def resolution() -> pd.DataFrame:
    """Heping's real figures, two invented districts with counts, one district with a rate only."""
    claims = pd.concat(
        [
            heping_2023(),
            invented_district("120116", 400, 352, "grid"),
            invented_district("120116", 300, 240, "mediation_centre"),
            invented_district("120103", 500, 450, "grid"),
            claims_frame([claim("nk-rate", "closure_rate", "95%", district_code="120104", channel="grid")]),
            # A petition statistic closing everything it received (the real Heping petition figure is an on-time
            # closure rate, which implies no counts): the GLM's separation case.
            claims_frame(statistic("hp-petition-counts", "120101", "petition", 40, 40)),
        ],
        ignore_index=True,
    )
    return resolution_table(claims)


# --- the difference of two proportions ------------------------------------------------------------------------


def test_difference_matches_newcombe_and_pooled_z_by_hand():
    ka, na, kb, nb = 591, 657, 777, 821
    d = proportion_difference(ka, na, kb, nb)
    pa_, pb_ = ka / na, kb / nb
    (la, ua), (lb, ub) = wilson(ka, na), wilson(kb, nb)
    assert d.difference == pytest.approx(pa_ - pb_, abs=1e-15)
    assert d.ci_low == pytest.approx(pa_ - pb_ - math.sqrt((pa_ - la) ** 2 + (ub - pb_) ** 2), abs=1e-12)
    assert d.ci_high == pytest.approx(pa_ - pb_ + math.sqrt((ua - pa_) ** 2 + (pb_ - lb) ** 2), abs=1e-12)
    pooled = (ka + kb) / (na + nb)
    z = (pa_ - pb_) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    assert d.z_stat == pytest.approx(z, rel=1e-12)
    assert d.p_value == pytest.approx(2 * (1 - NormalDist().cdf(abs(z))), rel=1e-9)


def test_difference_of_two_perfect_rates_has_no_test_statistic_but_an_interval():
    d = proportion_difference(657, 657, 821, 821)
    assert (d.difference, d.z_stat, d.p_value) == (0.0, 0.0, 1.0)
    assert d.ci_low < 0 < d.ci_high


@settings(max_examples=120, deadline=None)
@given(na=st.integers(1, 3000), nb=st.integers(1, 3000), data=st.data(), method=st.sampled_from(["newcomb", "wald", "agresti-caffo"]))
def test_difference_is_antisymmetric(na, nb, data, method):
    ka, kb = data.draw(st.integers(0, na)), data.draw(st.integers(0, nb))
    ab = proportion_difference(ka, na, kb, nb, ci_method=method)
    ba = proportion_difference(kb, nb, ka, na, ci_method=method)
    assert ba.difference == pytest.approx(-ab.difference, abs=1e-12)
    assert (ba.ci_low, ba.ci_high) == (pytest.approx(-ab.ci_high, abs=1e-7), pytest.approx(-ab.ci_low, abs=1e-7))
    assert ba.z_stat == pytest.approx(-ab.z_stat, abs=1e-9) and ba.p_value == pytest.approx(ab.p_value, abs=1e-12)
    assert ab.ci_low - 1e-9 <= ab.difference <= ab.ci_high + 1e-9


# --- pairwise table -------------------------------------------------------------------------------------------


def test_pairwise_pairs_districts_within_a_family(resolution):
    table = pairwise_differences(resolution)
    pairs = set(zip(table["statistic_a"], table["statistic_b"]))
    assert pairs == {
        ("hp-grid", "invented-120103-grid"),
        ("hp-grid", "invented-120116-grid"),
        ("invented-120103-grid", "invented-120116-grid"),
        ("hp-mediation", "invented-120116-mediation_centre"),
    }
    assert (table["district_code_a"] < table["district_code_b"]).all()
    row = table.set_index(["statistic_a", "statistic_b"]).loc[("hp-grid", "invented-120116-grid")]
    assert (row["closed_a"], row["received_a"], row["closed_b"], row["received_b"]) == (777, 821, 352, 400)
    assert row["difference_pct"] == pytest.approx(100 * (777 / 821 - 352 / 400))
    assert row["ci_method"] == "newcomb" and row["correction"] == "holm"


def test_p_adjusted_is_holm_over_all_rows(resolution):
    table = pairwise_differences(resolution)
    assert table["p_adjusted"].tolist() == pytest.approx(holm(table["p_value"].tolist()), rel=1e-12)
    bonferroni = pairwise_differences(resolution, correction="bonferroni")
    assert bonferroni["p_adjusted"].tolist() == pytest.approx([min(1.0, p * len(table)) for p in table["p_value"]], rel=1e-12)


def test_pairwise_does_not_depend_on_row_order(resolution):
    forward = pairwise_differences(resolution)
    backward = pairwise_differences(resolution.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(forward, backward)


def test_pairwise_carries_comparability(resolution):
    table = pairwise_differences(resolution).set_index(["statistic_a", "statistic_b"])
    row = table.loc[("hp-grid", "invented-120116-grid")]
    assert not row["is_like_for_like"]  # the Heping statistic names a closure rate, the invented one none
    assert "definitions differ" in row["caveat"] and "implied by a reported rate" in row["caveat"]
    like = table.loc[("invented-120103-grid", "invented-120116-grid")]
    assert like["is_like_for_like"] and like["caveat"].startswith("Like for like")


def test_pairwise_filters(resolution):
    grid = pairwise_differences(resolution, channel_family="grid")
    assert set(grid["channel_family"]) == {"grid"} and len(grid) == 3
    two = pairwise_differences(resolution, districts=["120116", "120101"])
    assert set(two["district_code_a"]) | set(two["district_code_b"]) == {"120101", "120116"} and len(two) == 2


# --- refusals -------------------------------------------------------------------------------------------------


def test_pairwise_refuses_what_the_data_cannot_compare(resolution):
    with pytest.raises(
        ComparisonError,
        match=r"unknown district\(s\) 129999 \(not a district code, or a district "
        r"without any resolution statistic\): the resolution table has "
        r"statistics for 120101, 120103, 120104, 120116",
    ):
        pairwise_differences(resolution, districts=["120101", "129999"])
    with pytest.raises(
        ComparisonError,
        match=r"no statistic with counts for district\(s\) 120104 \(120104 has 1 "
        r"statistic\(s\), none with received and closed counts",
    ):
        pairwise_differences(resolution, districts=["120101", "120104"])
    with pytest.raises(ComparisonError, match="only one district asked for \\(120101\\)"):
        pairwise_differences(resolution, districts=["120101"])
    with pytest.raises(ComparisonError, match="in channel family 'petition' only district 120101"):
        pairwise_differences(resolution, channel_family="petition")
    with pytest.raises(
        ComparisonError, match="no statistic with counts in channel family 'hotline'.*families with counts: grid, mediation, petition"
    ):
        pairwise_differences(resolution, channel_family="hotline")
    with pytest.raises(ValueError, match="unknown multiple-testing correction 'tukey'"):
        pairwise_differences(resolution, correction="tukey")


def test_pairwise_refuses_one_district_and_disjoint_families():
    with pytest.raises(ComparisonError, match=r"only 1 district\(s\) have statistics with counts \(120101\)"):
        pairwise_differences(resolution_table(heping_2023()))
    disjoint = resolution_table(
        claims_frame(statistic("a", "120101", "grid", 100, 90) + statistic("b", "120102", "mediation_centre", 100, 80))
    )
    with pytest.raises(
        ComparisonError, match="no two districts have statistics with counts in the same channel family.*120101: grid; 120102: mediation"
    ):
        pairwise_differences(disjoint)


# --- comparability --------------------------------------------------------------------------------------------


def test_comparability_flags(resolution):
    table = comparability_table(resolution, [("hp-mediation", "hp-grid"), ("hp-grid", "invented-120116-grid")])
    first, second = table.iloc[0], table.iloc[1]
    assert first["same_period"] and first["same_source"] and not first["same_channel"]
    assert first["same_definition"] and not first["is_like_for_like"]
    assert "channels differ (mediation_centre vs grid)" in first["caveat"]
    assert second["same_channel"] and not second["same_source"] and not second["same_definition"]
    # A DataFrame of pairs works too, in the order given.
    again = comparability_table(resolution, table[["statistic_b", "statistic_a"]].set_axis(["statistic_a", "statistic_b"], axis=1))
    assert again["statistic_a"].tolist() == ["hp-grid", "invented-120116-grid"]


def test_comparability_period_difference():
    claims = claims_frame(
        statistic("a", "120101", "grid", 100, 90)
        + statistic("b", "120102", "grid", 100, 80, period_start="2021-01-01", period_end="2021-09-28")
    )
    row = comparability_table(resolution_table(claims), [("a", "b")]).iloc[0]
    assert not row["same_period"] and not row["is_like_for_like"]
    assert "periods differ (2023-01-01 to 2023-09-30 vs 2021-01-01 to 2021-09-28)" in row["caveat"]


def test_comparability_refuses_unknown_statistics(resolution):
    with pytest.raises(ComparisonError, match=r"unknown statistic\(s\) nope"):
        comparability_table(resolution, [("hp-grid", "nope")])


# --- GLM ------------------------------------------------------------------------------------------------------


def irls(endog: np.ndarray, design: np.ndarray, steps: int = 50) -> np.ndarray:
    """Binomial logit MLE by Newton-Raphson: beta += (X' W X)^-1 X' (k - n p)."""
    k, n = endog[:, 0], endog.sum(axis=1)
    beta = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ beta))
        weights = n * p * (1 - p)
        beta = beta + np.linalg.solve(design.T @ (design * weights[:, None]), design.T @ (k - n * p))
    return beta


def test_glm_with_one_family_is_the_pooled_log_odds():
    claims = claims_frame(
        statistic("a1", "120101", "grid", 821, 777)
        + statistic("a2", "120101", "grid", 120, 100)
        + statistic("b1", "120116", "grid", 400, 352)
        + statistic("b2", "120116", "grid", 100, 90)
    )
    result = fit_glm(resolution_table(claims))
    coef = result.table.set_index("term")["coef_log_odds"]
    logit = lambda k, n: math.log(k / (n - k))  # noqa: E731
    assert coef["intercept"] == pytest.approx(logit(877, 941), abs=1e-8)
    assert coef["district[120116]"] == pytest.approx(logit(442, 500) - logit(877, 941), abs=1e-8)
    assert result.n_statistics == 4 and result.reference_district == "120101"
    assert result.reference_channel_family is None and result.df_resid == 2
    assert any("no channel term" in c for c in result.caveats)


def test_glm_with_two_families_matches_newton_raphson(resolution):
    rows = resolution[resolution["statistic_id"] != "hp-petition-counts"]  # 40/40 would separate the petition family
    result = fit_glm(rows, districts=["120101", "120116", "120103"])
    used = rows[rows["closed_used"].notna()].sort_values(["district_code", "statistic_id"])
    design = np.column_stack(
        [
            np.ones(len(used)),
            (used["district_code"] == "120103").to_numpy(float),
            (used["district_code"] == "120116").to_numpy(float),
            (used["channel_family"] == "mediation").to_numpy(float),
        ]
    )
    k = used["closed_used"].astype(int).to_numpy()
    expected = irls(np.column_stack([k, used["received_used"].astype(int).to_numpy() - k]), design)
    assert result.table["coef_log_odds"].to_numpy() == pytest.approx(expected, abs=1e-7)
    assert result.table["term"].tolist() == ["intercept", "district[120103]", "district[120116]", "channel_family[mediation]"]
    assert result.table["odds_ratio"].to_numpy() == pytest.approx(np.exp(expected), rel=1e-7)
    assert any("Self-reported" in c for c in result.caveats)
    assert any("implied by a reported rate" in c for c in result.caveats)


def test_glm_refusals(resolution):
    with pytest.raises(ComparisonError, match="fit_glm: only 1 district"):
        fit_glm(resolution_table(heping_2023()))
    with pytest.raises(
        ComparisonError,
        match="perfect separation: every statistic of channel family petition "
        r"\(hp-petition-counts\) is 100% closed",
    ):
        fit_glm(resolution)
    too_few = resolution_table(
        claims_frame(statistic("a", "120101", "grid", 100, 90) + statistic("b", "120102", "mediation_centre", 100, 80))
    )
    with pytest.raises(ComparisonError, match="2 statistics with counts cannot identify 3 parameters"):
        fit_glm(too_few)
    confounded = resolution_table(
        claims_frame(
            statistic("a1", "120101", "grid", 100, 90)
            + statistic("a2", "120101", "grid", 50, 40)
            + statistic("b1", "120102", "mediation_centre", 100, 80)
            + statistic("b2", "120102", "mediation_centre", 60, 30)
        )
    )
    with pytest.raises(ComparisonError, match="district and channel family are confounded"):
        fit_glm(confounded)
    with pytest.raises(ComparisonError, match=r"unknown district\(s\) 120199"):
        fit_glm(resolution, districts=["120101", "120199"])
