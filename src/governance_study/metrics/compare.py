"""Cross-district comparison of resolution: pairwise differences and what is comparable (the GLM: :mod:`.glm`).

Input is the resolution table (:func:`.resolution.resolution_table`). Only statistics with counts enter a
comparison (``closed_used`` and ``received_used``: recomputed from closed/received, or closed implied by a reported
rate of a known received count); a reported rate without a denominator has no sampling error to compare.

Asking for what the data cannot give raises :class:`ComparisonError` (a ``ValueError``) whose message says what
was asked and what exists: an unknown district, a district without a statistic with counts, one district
only, no pair within a channel family, a GLM the data cannot identify. Nothing returns NaN in their place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from governance_study.metrics.grouping import require_columns
from governance_study.metrics.schemas import ComparabilitySchema, PairwiseSchema
from governance_study.vocabulary import period_text

#: Two-sample interval methods of statsmodels ``confint_proportions_2indep`` (compare="diff") accepted here.
#: Its "score" method is left out: in statsmodels 0.15 it is not antisymmetric for small counts (1/4 vs 1/6)
#: and its root finder fails at 0/1 vs 1/2.
DIFFERENCE_METHODS: tuple[str, ...] = ("newcomb", "wald", "agresti-caffo")

#: Columns of the resolution table a comparison reads.
_NEEDED = (
    "statistic_id",
    "district_code",
    "channel",
    "channel_family",
    "source_id",
    "period_start",
    "period_end",
    "rate_indicator",
    "received_indicator",
    "unit_received",
    "closed_used",
    "received_used",
    "rate_derivation",
)


class ComparisonError(ValueError):
    """A comparison the data cannot support was asked for; the message says what was asked and what exists."""


@dataclass(frozen=True)
class Difference:
    """Difference of two proportions a - b, with its interval and two-sided z-test (proportions, not %)."""

    difference: float
    ci_low: float
    ci_high: float
    z_stat: float
    p_value: float
    ci_method: str


def proportion_difference(
    count_a: int, nobs_a: int, count_b: int, nobs_b: int, *, alpha: float = 0.05, ci_method: str = "newcomb"
) -> Difference:
    """Difference ``count_a/nobs_a - count_b/nobs_b`` with a ``1 - alpha`` interval and a pooled z-test.

    Formula: difference ``p_a - p_b``; interval by statsmodels ``confint_proportions_2indep(compare="diff")``
    (default Newcombe's hybrid score interval from two Wilson intervals, ``L = d - sqrt((p_a - l_a)^2 +
    (u_b - p_b)^2)``, ``U = d + sqrt((u_a - p_a)^2 + (p_b - l_b)^2)``); z-test statsmodels
    ``proportions_ztest`` with pooled variance, ``z = (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b))``.
    When the pooled p is 0 or 1 (both 100%, or both 0%) the difference is 0 with no variance: z = 0, p = 1.
    Antisymmetric: swapping a and b negates the difference, the interval (low <-> -high) and z.
    Reference: Newcombe (1998), Statistics in Medicine 17(8): 873-890; statsmodels.

    >>> d = proportion_difference(591, 657, 777, 821)
    >>> round(100 * d.difference, 2), round(100 * d.ci_low, 2), round(100 * d.ci_high, 2), round(d.p_value, 4)
    (-4.69, -7.56, -1.97, 0.0006)
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    if ci_method not in DIFFERENCE_METHODS:
        raise ValueError(f"unknown difference interval method {ci_method!r}: use one of {', '.join(DIFFERENCE_METHODS)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    for count, nobs in ((count_a, nobs_a), (count_b, nobs_b)):
        if nobs < 1 or not 0 <= count <= nobs:
            raise ValueError(f"need 0 <= count <= nobs and nobs >= 1, got count={count!r}, nobs={nobs!r}")
    difference = count_a / nobs_a - count_b / nobs_b
    low, high = confint_proportions_2indep(count_a, nobs_a, count_b, nobs_b, method=ci_method, compare="diff", alpha=alpha)
    # Wald-type intervals can cross -1 or 1 at the edges; a difference of proportions cannot.
    low, high = max(-1.0, float(low)), min(1.0, float(high))
    pooled = (count_a + count_b) / (nobs_a + nobs_b)
    if pooled in (0.0, 1.0):
        z, p = 0.0, 1.0
    else:
        z, p = proportions_ztest([count_a, count_b], [nobs_a, nobs_b])
        z, p = float(z), float(p)
    return Difference(difference, low, high, z, p, ci_method)


def usable_statistics(resolution: pd.DataFrame, districts: list[str] | None, what: str) -> pd.DataFrame:
    """Rows with counts, restricted to ``districts``; raises on unknown districts and districts without counts."""
    require_columns(resolution, _NEEDED, "resolution")
    present = sorted(resolution["district_code"].dropna().astype(str).unique())
    has_counts = resolution["closed_used"].notna() & resolution["received_used"].notna()
    with_counts = sorted(resolution.loc[has_counts, "district_code"].astype(str).unique())
    if districts is not None:
        asked = list(dict.fromkeys(str(d) for d in districts))
        unknown = [d for d in asked if d not in present]
        if unknown:
            raise ComparisonError(
                f"{what}: unknown district(s) {', '.join(unknown)} (not a district code, or a district without any "
                f"resolution statistic): the resolution table has statistics for {', '.join(present) or 'no district'}"
                f" (districts with counts: {', '.join(with_counts) or 'none'})"
            )
        empty = [d for d in asked if d not in with_counts]
        if empty:
            detail = "; ".join(
                f"{d} has {int((resolution['district_code'] == d).sum())} statistic(s), none with received and "
                "closed counts (only reported rates, bounds or lone counts)"
                for d in empty
            )
            raise ComparisonError(
                f"{what}: no statistic with counts for district(s) {', '.join(empty)} ({detail}); "
                f"districts with counts: {', '.join(with_counts) or 'none'}"
            )
        if len(asked) < 2:
            raise ComparisonError(
                f"{what}: only one district asked for ({asked[0] if asked else 'none'}): a comparison needs two; "
                f"districts with counts: {', '.join(with_counts) or 'none'}"
            )
        chosen = asked
    else:
        chosen = with_counts
        if len(chosen) < 2:
            raise ComparisonError(
                f"{what}: only {len(chosen)} district(s) have statistics with counts "
                f"({', '.join(chosen) or 'none'}): a comparison between districts needs two. Districts in the "
                f"resolution table: {', '.join(present) or 'none'}"
            )
    rows = resolution[has_counts & resolution["district_code"].astype(str).isin(chosen)].copy()
    rows["district_code"] = rows["district_code"].astype(str)
    return rows.sort_values(["district_code", "statistic_id"], kind="stable").reset_index(drop=True)


def pairwise_differences(
    resolution: pd.DataFrame,
    *,
    districts: list[str] | None = None,
    channel_family: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    ci_method: str = "newcomb",
) -> pd.DataFrame:
    """Differences in resolution between districts. One row per pair of statistics with counts from different
    districts in the same channel family; a is the statistic of the smaller district code (then
    ``statistic_id``), so the table does not depend on row order.

    Columns: ``statistic_a, statistic_b, district_code_a, district_code_b, channel_family``;
    ``closed_a, received_a, closed_b, received_b`` (the counts used); ``rate_a_pct, rate_b_pct``;
    ``difference_pct`` (a - b, percentage points), ``ci_low_pct, ci_high_pct, ci_method, ci_level_pct``;
    ``z_stat, p_value`` (two-proportion z-test), ``p_adjusted`` (``multipletests`` over all rows with
    ``correction``), ``correction``, ``is_significant`` (``p_adjusted < alpha``); ``is_like_for_like`` and
    ``caveat`` from :func:`comparability_table`.

    Formula: :func:`proportion_difference` per pair; ``p_adjusted`` by statsmodels
    ``multipletests(p_values, alpha=alpha, method=correction)``.
    Reference: Newcombe (1998); Holm (1979), Scandinavian Journal of Statistics 6(2): 65-70; statsmodels.

    >>> from governance_study.metrics.examples import heping_2023, invented_district
    >>> from governance_study.metrics.resolution import resolution_table
    >>> res = resolution_table(pd.concat([heping_2023(), invented_district()], ignore_index=True))
    >>> row = pairwise_differences(res).iloc[0]
    >>> row["statistic_a"], row["statistic_b"], round(float(row["difference_pct"]), 2), bool(row["is_like_for_like"])
    ('hp-grid', 'invented-120116-grid', 6.64, False)
    """
    from statsmodels.stats.multitest import multipletests

    _check_correction(correction)
    rows = usable_statistics(resolution, districts, "pairwise_differences")
    if channel_family is not None:
        families = sorted(rows["channel_family"].dropna().astype(str).unique())
        if channel_family not in families:
            raise ComparisonError(
                f"pairwise_differences: no statistic with counts in channel family {channel_family!r} for "
                f"districts {', '.join(sorted(rows['district_code'].unique()))}; families with counts: "
                f"{', '.join(families) or 'none'}"
            )
        rows = rows[rows["channel_family"] == channel_family]
        if rows["district_code"].nunique() < 2:
            raise ComparisonError(
                f"pairwise_differences: in channel family {channel_family!r} only district "
                f"{rows['district_code'].iloc[0]} has statistics with counts; a comparison needs two districts"
            )
    records = rows.to_dict("records")
    pairs = [
        (a, b)
        for a, b in combinations(records, 2)
        if a["district_code"] != b["district_code"] and a["channel_family"] == b["channel_family"] and pd.notna(a["channel_family"])
    ]
    if not pairs:
        by_district = "; ".join(
            f"{code}: {', '.join(sorted(group['channel_family'].dropna().astype(str).unique()))}"
            for code, group in rows.groupby("district_code")
        )
        raise ComparisonError(
            "pairwise_differences: no two districts have statistics with counts in the same channel family, so "
            f"no pair is like for like enough to compare ({by_district}); use fit_glm or compare within a family"
        )
    out = []
    for a, b in pairs:
        d = proportion_difference(
            int(a["closed_used"]), int(a["received_used"]), int(b["closed_used"]), int(b["received_used"]), alpha=alpha, ci_method=ci_method
        )
        out.append(
            {
                "statistic_a": a["statistic_id"],
                "statistic_b": b["statistic_id"],
                "district_code_a": a["district_code"],
                "district_code_b": b["district_code"],
                "channel_family": a["channel_family"],
                "closed_a": int(a["closed_used"]),
                "received_a": int(a["received_used"]),
                "closed_b": int(b["closed_used"]),
                "received_b": int(b["received_used"]),
                "rate_a_pct": 100 * a["closed_used"] / a["received_used"],
                "rate_b_pct": 100 * b["closed_used"] / b["received_used"],
                "difference_pct": 100 * d.difference,
                "ci_low_pct": 100 * d.ci_low,
                "ci_high_pct": 100 * d.ci_high,
                "ci_method": d.ci_method,
                "ci_level_pct": 100 * (1 - alpha),
                "z_stat": d.z_stat,
                "p_value": d.p_value,
            }
        )
    table = pd.DataFrame(out)
    table["p_adjusted"] = multipletests(table["p_value"].to_numpy(), alpha=alpha, method=correction)[1]
    table["correction"] = correction
    table["is_significant"] = table["p_adjusted"] < alpha
    comparability = comparability_table(resolution, list(zip(table["statistic_a"], table["statistic_b"])))
    table["is_like_for_like"] = comparability["is_like_for_like"].to_numpy()
    table["caveat"] = comparability["caveat"].to_numpy()
    for name in ("closed_a", "received_a", "closed_b", "received_b"):
        table[name] = table[name].astype("Int64")
    for name in ("statistic_a", "statistic_b", "district_code_a", "district_code_b", "channel_family", "ci_method", "correction", "caveat"):
        table[name] = table[name].astype("string")
    columns = list(PairwiseSchema.to_schema().columns)
    return PairwiseSchema.validate(table[columns])


_CORRECTIONS = ("bonferroni", "sidak", "holm-sidak", "holm", "simes-hochberg", "hommel", "fdr_bh", "fdr_by", "fdr_tsbh", "fdr_tsbky")


def _check_correction(correction: str) -> None:
    if correction not in _CORRECTIONS:
        raise ValueError(
            f"unknown multiple-testing correction {correction!r}: use a statsmodels multipletests method ({', '.join(_CORRECTIONS)})"
        )


def comparability_table(resolution: pd.DataFrame, pairs: Iterable[tuple[str, str]] | pd.DataFrame) -> pd.DataFrame:
    """What each compared pair of statistics shares. One row per pair, in the order given.

    ``pairs``: (statistic_a, statistic_b) tuples of ``statistic_id``, or a DataFrame with columns
    ``statistic_a`` and ``statistic_b`` (such as :func:`pairwise_differences` returns).

    Columns: ``statistic_a, statistic_b, district_code_a, district_code_b, channel_a, channel_b``;
    ``period_a, period_b`` ("start to end"); ``definition_a, definition_b`` (the closing-rate indicator and the
    received count's indicator and unit, e.g. "closure_rate of requests_received (件)"); ``source_id_a,
    source_id_b``; ``same_channel, same_channel_family, same_period, same_definition, same_source``;
    ``is_like_for_like`` = same channel, period and definition; ``caveat``: a sentence saying what differs.

    Formula: equality of the fields named. Reference: docs/architecture.md ("What may be compared").

    >>> from governance_study.metrics.examples import heping_2023
    >>> from governance_study.metrics.resolution import resolution_table
    >>> res = resolution_table(heping_2023())
    >>> row = comparability_table(res, [("hp-mediation", "hp-grid")]).iloc[0]
    >>> bool(row["same_period"]), bool(row["same_channel"]), bool(row["is_like_for_like"])
    (True, False, False)
    """
    require_columns(resolution, _NEEDED, "resolution")
    if isinstance(pairs, pd.DataFrame):
        require_columns(pairs, ["statistic_a", "statistic_b"], "pairs")
        pairs = list(zip(pairs["statistic_a"], pairs["statistic_b"]))
    pairs = [(str(a), str(b)) for a, b in pairs]
    index = {str(k): row for k, row in zip(resolution["statistic_id"], resolution.to_dict("records"))}
    unknown = sorted({s for pair in pairs for s in pair if s not in index})
    if unknown:
        raise ComparisonError(
            f"comparability_table: unknown statistic(s) {', '.join(unknown)}; the resolution table has "
            f"{len(index)} statistics ({', '.join(sorted(index)[:8])}{', ...' if len(index) > 8 else ''})"
        )
    rows = [_comparability_row(index[a], index[b]) for a, b in pairs]
    table = pd.DataFrame(rows, columns=list(ComparabilitySchema.to_schema().columns))
    for name, column in ComparabilitySchema.to_schema().columns.items():
        table[name] = table[name].astype(bool) if str(column.dtype) == "bool" else table[name].astype("string")
    return ComparabilitySchema.validate(table)


def _text(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _period_text(row: dict) -> str:
    return period_text(row["period_start"], row["period_end"]) or "period not stated"


def measure_definition(row: dict) -> str:
    """What a statistic measures, in words: its rate of its received count, with the unit ("closure_rate of
    requests_received (件)"); two statistics are like for like only when these agree."""
    rate = _text(row["rate_indicator"]) or "closed/received"
    received = _text(row["received_indicator"]) or "no received count"
    unit = _text(row["unit_received"])
    return f"{rate} of {received}" + (f" ({unit})" if unit else "")


def _comparability_row(a: dict, b: dict) -> dict:
    same_channel = _text(a["channel"]) == _text(b["channel"])
    same_family = _text(a["channel_family"]) == _text(b["channel_family"])
    same_period = _period_text(a) == _period_text(b)
    same_definition = measure_definition(a) == measure_definition(b)
    same_source = _text(a["source_id"]) == _text(b["source_id"])
    like = same_channel and same_period and same_definition
    differences = []
    if not same_channel:
        differences.append(f"channels differ ({a['channel']} vs {b['channel']})")
    if not same_period:
        differences.append(f"periods differ ({_period_text(a)} vs {_period_text(b)})")
    if not same_definition:
        differences.append(f"definitions differ ({measure_definition(a)} vs {measure_definition(b)})")
    if like:
        caveat = (
            f"Like for like in channel ({a['channel']}), period ({_period_text(a)}) and definition "
            f"({measure_definition(a)}); still self-reported publicity figures."
        )
    else:
        caveat = "Not like for like: " + "; ".join(differences) + "."
    if not same_source:
        caveat += f" Different sources ({a['source_id']}, {b['source_id']})."
    implied = [str(r["statistic_id"]) for r in (a, b) if _text(r["rate_derivation"]) == "implied"]
    if implied:
        caveat += f" Closed counts implied by a reported rate, not reported: {', '.join(implied)}."
    return {
        "statistic_a": a["statistic_id"],
        "statistic_b": b["statistic_id"],
        "district_code_a": a["district_code"],
        "district_code_b": b["district_code"],
        "channel_a": _text(a["channel"]),
        "channel_b": _text(b["channel"]),
        "period_a": _period_text(a),
        "period_b": _period_text(b),
        "definition_a": measure_definition(a),
        "definition_b": measure_definition(b),
        "source_id_a": a["source_id"],
        "source_id_b": b["source_id"],
        "same_channel": same_channel,
        "same_channel_family": same_family,
        "same_period": same_period,
        "same_definition": same_definition,
        "same_source": same_source,
        "is_like_for_like": like,
        "caveat": caveat,
    }
