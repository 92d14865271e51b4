"""Pandera models of the metric tables: one per table, enforced by each table function before it returns.

Counts are nullable integers (``Int64``), percentages floats in 0..100 (``_pct``), flags booleans (``is_``,
``has_``, ``same_``), text nullable strings. Models are ``strict`` and ``ordered``: an undocumented column is an
error, so the table functions, these models and the column descriptions (written into ``datapackage.json``
by the build) cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from governance_study.fields import field
from governance_study.vocabulary import BOUNDS, DISTRICT_CODE, PER_RESIDENT_FAMILIES, RATIO_BOUNDS

RATE_DERIVATIONS = ["recomputed", "implied", "reported", "none"]
AUDIT_CHECKS = ["grim", "conflict", "shared_count", "unit_mismatch", "closed_above_received"]


def _text(description: str, **kwargs: Any) -> Any:
    return pa.Field(nullable=True, description=description, **kwargs)


def _pct(description: str, nullable: bool = True) -> Any:
    return pa.Field(nullable=nullable, ge=0, le=100, description=description)


class ResolutionSchema(pa.DataFrameModel):
    """One row per statistic (group of claims, or lone claim) that carries a closed count or a closing rate:
    counts, reported and recomputed rate, the closed counts consistent with a reported rate, interval."""

    statistic_id: Series[str] = field("statistic_id", unique=True)
    group_id: Series[str] = field("group_id", nullable=True)
    district_code: Series[str] = field("district_code")
    subunit: Series[str] = field("subunit", nullable=True)
    channel: Series[str] = field("channel", nullable=True)
    channel_family: Series[str] = field("channel_family", nullable=True)
    source_id: Series[str] = field("source_id")
    period_start: Series[str] = field("period_start", nullable=True)
    period_end: Series[str] = field("period_end", nullable=True)
    received: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Received count (role received), as reported.")
    received_bound: Series[str] = _text("Bound of the received count.", isin=list(BOUNDS))
    unit_received: Series[str] = _text("Unit of the received count (件, 次, ...).")
    received_indicator: Series[str] = _text("Indicator of the received count (requests_received, whistle_calls).")
    received_claim_id: Series[str] = _text("Claim of the received count.")
    closed: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Closed count (role closed), as reported.")
    closed_bound: Series[str] = _text("Bound of the closed count.", isin=list(BOUNDS))
    unit_closed: Series[str] = _text("Unit of the closed count.")
    closed_claim_id: Series[str] = _text("Claim of the closed count.")
    rate_indicator: Series[str] = _text("closure_rate or solution_rate, when a closing rate is reported.")
    rate_claim_id: Series[str] = _text("Claim of the reported closing rate.")
    reported_rate_text: Series[str] = _text(
        "The reported rate's digits as written ('89.9'; '90.0' is not '90').", str_matches=r"^\d+(\.\d+)?$"
    )
    reported_rate_pct: Series[float] = _pct("The reported closing rate, percent.")
    rules_consistent: Series[str] = _text(
        "Rounding rules under which closed/received gives the reported text "
        "('truncate', 'half_up, truncate', 'none'); empty when not checkable."
    )
    consistent_closed_min: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, description="Smallest closed count k with k/received giving the reported rate (half-up or truncation)."
    )
    consistent_closed_max: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Largest such closed count.")
    consistent_received_min: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=1, description="Smallest received count n with closed/n giving the reported rate, when received is not reported."
    )
    consistent_received_max: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description="Largest such received count.")
    closed_used: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, description="Closed count the rate and interval use (reported, or implied by the rate)."
    )
    received_used: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description="Received count the rate and interval use.")
    rate_pct: Series[float] = _pct(
        "Closing rate, percent: 100 * closed_used / received_used, or the reported rate when there are no counts."
    )
    ci_low_pct: Series[float] = field("ci_low_pct", nullable=True, ge=0, le=100)
    ci_high_pct: Series[float] = field("ci_high_pct", nullable=True, ge=0, le=100)
    ci_method: Series[str] = field("ci_method", nullable=True)
    ci_level_pct: Series[float] = field("ci_level_pct", nullable=True, gt=0, lt=100)
    rate_derivation: Series[str] = pa.Field(
        isin=RATE_DERIVATIONS,
        description="recomputed (from counts), implied (closed implied by a reported rate of a known received count), reported (rate only) or none.",
    )
    has_unit_mismatch: Series[bool] = pa.Field(description="Received and closed are counted in different units.")
    has_closed_above_received: Series[bool] = pa.Field(description="More closed than received.")
    has_bounded_count: Series[bool] = pa.Field(description="A count is a bound (余, 多, 超过, 约), not a value.")
    note: Series[str] = _text("What a reader must know about the row.")

    class Config:
        strict = True
        ordered = True

    @pa.dataframe_check
    def interval_holds_rate(cls, df: pd.DataFrame) -> Series[bool]:
        """An interval, where there is one, contains its point estimate."""
        has = df["ci_low_pct"].notna()
        eps = 1e-9
        return ~has | ((df["ci_low_pct"] <= df["rate_pct"] + eps) & (df["rate_pct"] <= df["ci_high_pct"] + eps))

    @pa.dataframe_check
    def counts_used_are_a_proportion(cls, df: pd.DataFrame) -> Series[bool]:
        """closed_used <= received_used, both present or both missing."""
        both = df["closed_used"].notna() & df["received_used"].notna()
        neither = df["closed_used"].isna() & df["received_used"].isna()
        ok = (df["closed_used"] <= df["received_used"]).fillna(False).astype(bool)
        return (both & ok) | neither


class ParticipationSchema(pa.DataFrameModel):
    """One row per participation or capacity claim: the count, its bound and its intensity per 10,000
    residents (census 2020)."""

    claim_id: Series[str] = field("claim_id", unique=True)
    source_id: Series[str] = field("source_id")
    district_code: Series[str] = field("district_code")
    district_name_zh: Series[str] = field("district_name_zh")
    district_name_en: Series[str] = field("district_name_en")
    subunit: Series[str] = field("subunit", nullable=True)
    indicator: Series[str] = field("indicator")
    channel: Series[str] = field("channel")
    family: Series[str] = field("family", isin=list(PER_RESIDENT_FAMILIES))
    value: Series[float] = field("value", ge=0)
    value_text: Series[str] = field("value_text")
    bound: Series[str] = field("bound")
    is_lower_bound: Series[bool] = pa.Field(description="bound is at_least or more_than: the value and the intensity are lower bounds.")
    unit: Series[str] = field("unit", nullable=True)
    population: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, gt=0, description="Census 2020 resident population of the district; empty for a subunit's figure."
    )
    per: Series[pd.Int64Dtype] = pa.Field(gt=0, description="Residents the intensity is expressed per.")
    # Named for ``per`` (per_10k, per_1k, ...): participation_table renames it when ``per`` is not 10,000.
    per_10k: Series[float] = pa.Field(
        nullable=True,
        ge=0,
        description="value / population * per: count per `per` residents (per_10k: per 10,000), with the claim's bound.",
    )
    period_start: Series[str] = field("period_start", nullable=True)
    period_end: Series[str] = field("period_end", nullable=True)
    caveat: Series[str] = _text("What the number is not: bounds, person-times, subunit, dates.")

    class Config:
        strict = True
        ordered = True


class RatioSchema(pa.DataFrameModel):
    """One row per ratio per pair of claims (or claim and census population) of one district and subunit."""

    district_code: Series[str] = field("district_code")
    subunit: Series[str] = field("subunit", nullable=True)
    ratio: Series[str] = pa.Field(description="Ratio id, e.g. residents_per_grid_worker.")
    meaning: Series[str] = pa.Field(description="What the ratio measures, in words.")
    numerator_indicator: Series[str] = pa.Field(description="Indicator of the numerator (census_population for the census).")
    denominator_indicator: Series[str] = pa.Field(description="Indicator of the denominator.")
    numerator_claim_id: Series[str] = _text("Claim of the numerator; empty for the census.")
    denominator_claim_id: Series[str] = pa.Field(description="Claim of the denominator.")
    numerator_value: Series[float] = pa.Field(ge=0, description="Numerator value.")
    denominator_value: Series[float] = pa.Field(gt=0, description="Denominator value.")
    numerator_bound: Series[str] = pa.Field(isin=list(BOUNDS), description="Bound of the numerator.")
    denominator_bound: Series[str] = pa.Field(isin=list(BOUNDS), description="Bound of the denominator.")
    ratio_value: Series[float] = pa.Field(ge=0, description="numerator_value / denominator_value.")
    ratio_bound: Series[str] = pa.Field(
        isin=list(RATIO_BOUNDS), description="What the ratio is: exact, approx, at_least, more_than, at_most, less_than or indeterminate."
    )
    numerator_source_id: Series[str] = pa.Field(description="Source of the numerator (census-2020 for the census).")
    denominator_source_id: Series[str] = pa.Field(description="Source of the denominator.")
    numerator_period_start: Series[str] = _text("Period start of the numerator.")
    numerator_period_end: Series[str] = _text("Period end (or date) of the numerator; 2020-11-01 for the census.")
    denominator_period_start: Series[str] = _text("Period start of the denominator.")
    denominator_period_end: Series[str] = _text("Period end (or date) of the denominator.")
    is_same_period: Series[bool] = pa.Field(description="Numerator and denominator cover the same period.")
    is_same_source: Series[bool] = pa.Field(description="Numerator and denominator come from the same source.")
    caveat: Series[str] = pa.Field(description="What differs between numerator and denominator, in words.")
    comparable_with: Series[str] = _text(
        "Other districts (codes, ;-separated) whose row of the same ratio is like for "
        "like: same indicators, same kind of source and same year on each side."
    )
    is_comparable_across_districts: Series[bool] = pa.Field(description="comparable_with is not empty.")
    comparability: Series[str] = pa.Field(description="The verdict across districts in words: like for like with whom, or what differs.")

    class Config:
        strict = True
        ordered = True


class AuditSchema(pa.DataFrameModel):
    """One row per reported rate (GRIM-style check, Brown & Heathers 2017), plus one per pair of statistics that
    share a count (a conflict when measure, channel and period agree, else a shared_count note), per unit
    mismatch and per statistic with more closed than received."""

    claim_id: Series[str] = field("claim_id")
    related_claim_id: Series[str] = _text("The other claim involved (conflict, unit_mismatch, closed_above_received).")
    group_id: Series[str] = field("group_id", nullable=True)
    statistic_id: Series[str] = field("statistic_id")
    district_code: Series[str] = field("district_code")
    check: Series[str] = pa.Field(
        isin=AUDIT_CHECKS,
        description="grim, conflict (same measure, channel and period), shared_count (a note: "
        "one count in statistics of different channel, measure or period), unit_mismatch "
        "or closed_above_received.",
    )
    indicator: Series[str] = field("indicator", nullable=True)
    reported_text: Series[str] = _text("The reported rate's digits as written ('89.9').")
    numerator: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Reported closed count used by the check.")
    numerator_claim_id: Series[str] = _text("The claim numerator comes from (the closed count); empty when numerator is.")
    denominator: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Reported received count used by the check.")
    denominator_claim_id: Series[str] = _text("The claim denominator comes from (the received count); empty when denominator is.")
    consistent_half_up: Series[pd.BooleanDtype] = pa.Field(
        nullable=True, description="The reported figures can give the text under half-up rounding; empty if not tested."
    )
    consistent_truncate: Series[pd.BooleanDtype] = pa.Field(nullable=True, description="The same under truncation; empty if not tested.")
    rule_passed: Series[str] = _text("Rules that pass ('truncate', 'half_up, truncate', 'none').")
    min_denominator: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=1, description="Smallest denominator that can give the text under any rule tested."
    )
    min_denominator_half_up: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=1, description="Smallest denominator under half-up rounding."
    )
    min_denominator_truncate: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, description="Smallest denominator under truncation.")
    is_flagged: Series[bool] = pa.Field(
        description="A rule tested fails, or the check found a conflict or count problem; never a shared_count note."
    )
    finding: Series[str] = pa.Field(str_length={"min_value": 1}, description="The result as a sentence.")

    class Config:
        strict = True
        ordered = True

    @pa.dataframe_check
    def counts_name_their_claims(cls, df: pd.DataFrame) -> Series[bool]:
        """A count used has the claim it comes from, so the report can quote it (and no claim without a count)."""
        return (df["numerator"].isna() == df["numerator_claim_id"].isna()) & (df["denominator"].isna() == df["denominator_claim_id"].isna())


class PairwiseSchema(pa.DataFrameModel):
    """One row per pair of statistics with counts, from different districts, in one channel family."""

    statistic_a: Series[str] = pa.Field(description="First statistic (smaller district code).")
    statistic_b: Series[str] = pa.Field(description="Second statistic.")
    district_code_a: Series[str] = pa.Field(str_matches=DISTRICT_CODE, description="District of a.")
    district_code_b: Series[str] = pa.Field(str_matches=DISTRICT_CODE, description="District of b.")
    channel_family: Series[str] = field("channel_family")
    closed_a: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Closed count of a (closed_used).")
    received_a: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Received count of a (received_used).")
    closed_b: Series[pd.Int64Dtype] = pa.Field(ge=0, description="Closed count of b.")
    received_b: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Received count of b.")
    rate_a_pct: Series[float] = _pct("Closing rate of a, percent.", nullable=False)
    rate_b_pct: Series[float] = _pct("Closing rate of b, percent.", nullable=False)
    difference_pct: Series[float] = pa.Field(ge=-100, le=100, description="rate_a_pct - rate_b_pct, percentage points.")
    ci_low_pct: Series[float] = field("ci_low_pct", ge=-100, le=100)
    ci_high_pct: Series[float] = field("ci_high_pct", ge=-100, le=100)
    ci_method: Series[str] = field("ci_method")
    ci_level_pct: Series[float] = field("ci_level_pct", gt=0, lt=100)
    z_stat: Series[float] = pa.Field(description="Two-proportion z statistic (pooled).")
    p_value: Series[float] = field("p_value", ge=0, le=1)
    p_adjusted: Series[float] = pa.Field(ge=0, le=1, description="p-value adjusted over all rows (multipletests).")
    correction: Series[str] = pa.Field(description="multipletests method used for p_adjusted.")
    is_significant: Series[bool] = pa.Field(description="p_adjusted < alpha.")
    is_like_for_like: Series[bool] = pa.Field(description="Same channel, period and definition (comparability_table).")
    caveat: Series[str] = pa.Field(description="What differs between a and b.")

    class Config:
        strict = True
        ordered = True

    @pa.dataframe_check
    def interval_holds_difference(cls, df: pd.DataFrame) -> Series[bool]:
        """The interval of a difference contains the difference."""
        eps = 1e-9
        return (df["ci_low_pct"] <= df["difference_pct"] + eps) & (df["difference_pct"] <= df["ci_high_pct"] + eps)


class ComparabilitySchema(pa.DataFrameModel):
    """One row per pair of statistics asked about: whether channel, period, definition and source match."""

    statistic_a: Series[str] = pa.Field(description="First statistic.")
    statistic_b: Series[str] = pa.Field(description="Second statistic.")
    district_code_a: Series[str] = pa.Field(description="District of a.")
    district_code_b: Series[str] = pa.Field(description="District of b.")
    channel_a: Series[str] = _text("Channel of a.")
    channel_b: Series[str] = _text("Channel of b.")
    period_a: Series[str] = pa.Field(description="Period of a, 'start to end'.")
    period_b: Series[str] = pa.Field(description="Period of b.")
    definition_a: Series[str] = pa.Field(
        description="Rate indicator and received count of a, e.g. 'closure_rate of requests_received (件)'."
    )
    definition_b: Series[str] = pa.Field(description="The same for b.")
    source_id_a: Series[str] = pa.Field(description="Source of a.")
    source_id_b: Series[str] = pa.Field(description="Source of b.")
    same_channel: Series[bool] = pa.Field(description="Same channel.")
    same_channel_family: Series[bool] = pa.Field(description="Same channel family.")
    same_period: Series[bool] = pa.Field(description="Same start and end.")
    same_definition: Series[bool] = pa.Field(description="Same rate indicator, received indicator and unit.")
    same_source: Series[bool] = pa.Field(description="Same source article.")
    is_like_for_like: Series[bool] = pa.Field(description="Same channel, period and definition.")
    caveat: Series[str] = pa.Field(description="What differs, as a sentence.")

    class Config:
        strict = True
        ordered = True


class GlmTableSchema(pa.DataFrameModel):
    """One row per coefficient of the binomial GLM of closed/received (see ``fit_glm``)."""

    term: Series[str] = pa.Field(unique=True, description="intercept, district[<code>] or channel_family[<family>].")
    term_kind: Series[str] = pa.Field(isin=["intercept", "district", "channel_family"], description="Kind of term.")
    level: Series[str] = _text("District code or channel family of the term; empty for the intercept.")
    coef_log_odds: Series[float] = pa.Field(description="Coefficient: log odds (intercept) or log odds ratio.")
    std_err: Series[float] = pa.Field(ge=0, description="Standard error.")
    z_stat: Series[float] = pa.Field(description="Wald z.")
    p_value: Series[float] = field("p_value", ge=0, le=1)
    ci_low_log_odds: Series[float] = pa.Field(description="Lower limit of the coefficient's interval.")
    ci_high_log_odds: Series[float] = pa.Field(description="Upper limit of the coefficient's interval.")
    odds_ratio: Series[float] = pa.Field(ge=0, description="exp(coefficient).")
    odds_ratio_ci_low: Series[float] = pa.Field(ge=0, description="exp(lower limit).")
    odds_ratio_ci_high: Series[float] = pa.Field(ge=0, description="exp(upper limit).")

    class Config:
        strict = True
        ordered = True
