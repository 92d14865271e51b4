"""Resolution table and proportion intervals.

Wilson limits are checked against the closed-form formula written out here, Clopper-Pearson against beta
quantiles from scipy, implied closed counts against a brute-force search with ``fractions.Fraction``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance_study.metrics import ResolutionSchema, proportion_interval, resolution_table, wilson_interval
from governance_study.metrics.examples import claim, claims_frame, heping_2023
from governance_study.metrics.grouping import ClaimsError


def wilson_closed_form(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson (1927): (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def rounds_to(k: int, n: int, text: str) -> bool:
    """k/n gives ``text`` under half-up rounding or truncation (Fraction arithmetic)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    scaled = Fraction(100 * k, n) * 10**decimals
    target = Fraction(text) * 10**decimals
    return (scaled + Fraction(1, 2)).__floor__() == target or scaled.__floor__() == target


@pytest.fixture(scope="module")
def heping() -> pd.DataFrame:
    return resolution_table(heping_2023()).set_index("statistic_id")


# --- intervals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k, n", [(591, 657), (777, 821), (0, 10), (10, 10), (1, 3)])
def test_wilson_matches_the_closed_form(k, n):
    low, high = wilson_interval(k, n)
    expected = wilson_closed_form(k, n)
    assert low == pytest.approx(max(0.0, expected[0]), abs=1e-12)
    assert high == pytest.approx(min(1.0, expected[1]), abs=1e-12)


def test_clopper_pearson_matches_beta_quantiles():
    from scipy.stats import beta

    low, high = proportion_interval(591, 657, ci_method="beta", alpha=0.1)
    assert low == pytest.approx(beta.ppf(0.05, 591, 657 - 591 + 1), abs=1e-10)
    assert high == pytest.approx(beta.ppf(0.95, 591 + 1, 657 - 591), abs=1e-10)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 2000),
    data=st.data(),
    method=st.sampled_from(["wilson", "beta", "agresti_coull", "jeffreys", "normal"]),
    alpha=st.sampled_from([0.01, 0.05, 0.1, 0.5]),
)
def test_interval_contains_its_point_estimate(n, data, method, alpha):
    k = data.draw(st.integers(0, n))
    low, high = proportion_interval(k, n, ci_method=method, alpha=alpha)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_jeffreys_at_the_boundary_reaches_the_estimate():
    # statsmodels' Jeffreys interval of 5/5 ends at 0.99991; the Brown-Cai-DasGupta boundary rule sets it to 1.
    assert proportion_interval(5, 5, ci_method="jeffreys")[1] == 1.0
    assert proportion_interval(0, 5, ci_method="jeffreys")[0] == 0.0


def test_interval_errors():
    with pytest.raises(ValueError, match="unknown interval method 'exact': use one of wilson"):
        proportion_interval(1, 2, ci_method="exact")
    with pytest.raises(ValueError, match="need 0 <= count <= nobs"):
        proportion_interval(3, 2)
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        proportion_interval(1, 2, alpha=1.5)


# --- the table ------------------------------------------------------------------------------------------------


def test_one_row_per_statistic_with_closing(heping):
    # petition, mediation, grid, enterprise, whistle; the grid-workers claim carries no closing.
    assert sorted(heping.index) == ["hp-enterprise", "hp-grid", "hp-mediation", "hp-petition", "hp-whistle"]
    ResolutionSchema.validate(heping.reset_index())


def test_mediation_is_recomputed_from_counts(heping):
    row = heping.loc["hp-mediation"]
    assert row["rate_derivation"] == "recomputed" and (row["closed_used"], row["received_used"]) == (591, 657)
    assert row["rate_pct"] == pytest.approx(float(Fraction(59100, 657)), abs=1e-12)
    low, high = wilson_closed_form(591, 657)
    assert (row["ci_low_pct"], row["ci_high_pct"]) == (pytest.approx(100 * low), pytest.approx(100 * high))
    assert row["ci_method"] == "wilson" and row["ci_level_pct"] == pytest.approx(95.0)
    assert row["reported_rate_text"] == "89.9" and row["rules_consistent"] == "truncate"
    assert "only by truncation" in row["note"]


def test_grid_closed_count_is_implied_by_94_6_of_821(heping):
    row = heping.loc["hp-grid"]
    fitting = [k for k in range(822) if rounds_to(k, 821, "94.6")]
    assert fitting == [777]
    assert row["rate_derivation"] == "implied" and pd.isna(row["closed"])
    assert (row["consistent_closed_min"], row["consistent_closed_max"], row["closed_used"]) == (777, 777, 777)
    assert row["rate_pct"] == pytest.approx(100 * 777 / 821)


def test_on_time_closure_rate_implies_no_closed_count(heping):
    """按期办结率 100% of Heping's 657 petition matters: its base is the matters due, so no closed count of the
    657, no interval, and the reported rate stands as reported."""
    row = heping.loc["hp-petition"]
    assert row["rate_derivation"] == "reported" and row["rate_pct"] == 100.0
    assert pd.isna(row["consistent_closed_min"]) and pd.isna(row["closed_used"]) and pd.isna(row["ci_low_pct"])
    assert "fell due" in row["note"] and "no interval" in row["note"]


def test_implied_interval_covers_every_consistent_count():
    """100% of 657 as a closure rate (base received): k = 654..657 fit (653.7 <= k under half-up), so the
    interval runs from the Wilson lower limit at 654 to the upper limit at 657, not from the nearest k alone."""
    claims = claims_frame(
        [
            claim("p-in", "requests_received", "657件", group_id="p", channel="petition"),
            claim("p-rate", "closure_rate", "100%", group_id="p", channel="petition"),
        ]
    )
    row = resolution_table(claims).iloc[0]
    fitting = [k for k in range(658) if rounds_to(k, 657, "100")]
    assert fitting == [654, 655, 656, 657]
    assert (row["consistent_closed_min"], row["consistent_closed_max"]) == (654, 657)
    assert row["closed_used"] == 657 and row["ci_high_pct"] == 100.0
    z = NormalDist().inv_cdf(0.975)
    p, n = 654 / 657, 657
    low_654 = (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    assert row["ci_low_pct"] == pytest.approx(100 * low_654, abs=1e-9)
    assert row["ci_low_pct"] < 99.4187  # below the Wilson limit of 657/657 alone
    assert "the interval covers all of them" in row["note"]


def test_enterprise_rate_without_denominator_is_reported_only(heping):
    row = heping.loc["hp-enterprise"]
    assert row["rate_derivation"] == "reported" and row["rate_pct"] == pytest.approx(98.27)
    assert pd.isna(row["ci_low_pct"]) and pd.isna(row["ci_method"]) and pd.isna(row["consistent_received_min"])
    assert "577/n" in row["note"]


def test_whistle_units_differ_so_no_rate(heping):
    row = heping.loc["hp-whistle"]
    assert bool(row["has_unit_mismatch"]) and row["rate_derivation"] == "none" and pd.isna(row["rate_pct"])
    assert (row["unit_received"], row["unit_closed"]) == ("次", "个")


def test_received_implied_by_closed_and_rate():
    claims = claims_frame(
        [claim("e-out", "requests_closed", "567个", group_id="e"), claim("e-rate", "solution_rate", "98.27%", group_id="e")]
    )
    row = resolution_table(claims).iloc[0]
    fitting = [n for n in range(567, 700) if rounds_to(567, n, "98.27")]
    assert fitting == [577]
    assert (row["consistent_received_min"], row["consistent_received_max"]) == (577, 577)


def test_bounds_and_lone_claims():
    claims = claims_frame(
        [
            claim("b-grid-closed", "requests_closed", "9.5万余件", bound="at_least", district_code="120116"),
            claim("x-in", "requests_received", "100件", group_id="x"),
            claim("x-out", "requests_closed", "120件", group_id="x"),
        ]
    )
    table = resolution_table(claims).set_index("statistic_id")
    lone = table.loc["b-grid-closed"]
    assert pd.isna(lone["group_id"]) and lone["closed"] == 95000 and lone["closed_bound"] == "at_least"
    assert bool(lone["has_bounded_count"]) and lone["rate_derivation"] == "none" and "bound" in lone["note"]
    above = table.loc["x"]
    assert bool(above["has_closed_above_received"]) and above["rate_derivation"] == "none"


def test_method_and_alpha_are_passed_on():
    table = resolution_table(heping_2023(), ci_method="beta", alpha=0.1).set_index("statistic_id")
    row = table.loc["hp-mediation"]
    assert row["ci_method"] == "beta" and row["ci_level_pct"] == pytest.approx(90.0)
    low, high = proportion_interval(591, 657, ci_method="beta", alpha=0.1)
    assert row["ci_low_pct"] == pytest.approx(100 * low)


def test_empty_string_group_id_means_no_group():
    # The verified claims table writes empty cells as "" rather than NA.
    claims = heping_2023()
    claims["group_id"] = claims["group_id"].fillna("")
    assert len(resolution_table(claims)) == 5


# --- errors ---------------------------------------------------------------------------------------------------


def test_resolution_errors():
    with pytest.raises(ValueError, match="unknown interval method 'exact'"):
        resolution_table(heping_2023(), ci_method="exact")
    with pytest.raises(ClaimsError, match="claims is missing column.*role"):
        resolution_table(heping_2023().drop(columns=["role"]))
    mixed = claims_frame(
        [claim("a", "requests_received", "5件", group_id="g"), claim("b", "requests_closed", "4件", group_id="g", district_code="120102")]
    )
    with pytest.raises(ClaimsError, match="group g: claims a, b disagree on district_code"):
        resolution_table(mixed)
    two_rates = claims_frame([claim("a", "closure_rate", "90%", group_id="g"), claim("b", "solution_rate", "80%", group_id="g")])
    with pytest.raises(ClaimsError, match="group g: two closing rates"):
        resolution_table(two_rates)
    fractional = claims_frame([claim("a", "requests_closed", "5件", value=5.5)])
    with pytest.raises(ClaimsError, match="claim a: count value 5.5 is not a whole number"):
        resolution_table(fractional)


def test_counts_beside_a_rate_of_another_base_are_recomputed_and_the_rate_left_unchecked():
    """591 closed of 657 received with an on-time closure rate of 100%: the counts give 591/657, and the note
    says the rate (a share of the matters due) is not checked against them."""
    claims = claims_frame(
        [
            claim("a-in", "requests_received", "657件", group_id="a"),
            claim("a-out", "requests_closed", "591件", group_id="a"),
            claim("a-rate", "on_time_closure_rate", "100%", group_id="a"),
        ]
    )
    row = resolution_table(claims).iloc[0]
    assert row["rate_derivation"] == "recomputed" and row["rate_pct"] == pytest.approx(100 * 591 / 657)
    assert pd.isna(row["rules_consistent"])
    assert row["note"] == (
        "The reported on-time closure rate 100% is a share of the matters that fell due, not of "
        "those received, so it is not checked against 591/657."
    )
