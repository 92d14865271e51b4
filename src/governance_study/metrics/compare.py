"""Cross-district comparison of resolution: pairwise differences, a binomial GLM, and what is comparable.

Input is the resolution table (:func:`.resolution.resolution_table`). Only statistics with counts enter a
comparison (``count_used`` and ``nobs_used``: recomputed from closed/received, or closed implied by a reported
rate of a known received count); a reported rate without a denominator has no sampling error to compare.

Asking for what the data cannot give raises :class:`ComparisonError` (a ``ValueError``) whose message says what
was asked and what exists: an unknown district, a district without a statistic with counts, one district
only, no pair within a channel family, a GLM the data cannot identify. Nothing returns NaN in their place.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Iterable

import pandas as pd

from governance_study.metrics.grouping import require_columns
from governance_study.metrics.schemas import ComparabilitySchema, GlmTableSchema, PairwiseSchema

#: Two-sample interval methods of statsmodels ``confint_proportions_2indep`` (compare="diff") accepted here.
#: Its "score" method is left out: in statsmodels 0.15 it is not antisymmetric for small counts (1/4 vs 1/6)
#: and its root finder fails at 0/1 vs 1/2.
DIFFERENCE_METHODS: tuple[str, ...] = ("newcomb", "wald", "agresti-caffo")

#: Columns of the resolution table a comparison reads.
_NEEDED = ("statistic_id", "district_code", "channel", "channel_family", "source_id", "period_start", "period_end",
           "rate_indicator", "received_indicator", "unit_received", "count_used", "nobs_used", "rate_basis")


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
    count_a: int, nobs_a: int, count_b: int, nobs_b: int, *, alpha: float = 0.05, method: str = "newcomb"
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

    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"unknown difference interval method {method!r}: use one of {', '.join(DIFFERENCE_METHODS)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    for count, nobs in ((count_a, nobs_a), (count_b, nobs_b)):
        if nobs < 1 or not 0 <= count <= nobs:
            raise ValueError(f"need 0 <= count <= nobs and nobs >= 1, got count={count!r}, nobs={nobs!r}")
    difference = count_a / nobs_a - count_b / nobs_b
    low, high = confint_proportions_2indep(count_a, nobs_a, count_b, nobs_b, method=method, compare="diff",
                                           alpha=alpha)
    # Wald-type intervals can cross -1 or 1 at the edges; a difference of proportions cannot.
    low, high = max(-1.0, float(low)), min(1.0, float(high))
    pooled = (count_a + count_b) / (nobs_a + nobs_b)
    if pooled in (0.0, 1.0):
        z, p = 0.0, 1.0
    else:
        z, p = proportions_ztest([count_a, count_b], [nobs_a, nobs_b])
        z, p = float(z), float(p)
    return Difference(difference, low, high, z, p, method)


def _usable(resolution: pd.DataFrame, districts: list[str] | None, what: str) -> pd.DataFrame:
    """Rows with counts, restricted to ``districts``; raises on unknown districts and districts without counts."""
    require_columns(resolution, _NEEDED, "resolution")
    present = sorted(resolution["district_code"].dropna().astype(str).unique())
    has_counts = resolution["count_used"].notna() & resolution["nobs_used"].notna()
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
                "closed counts (only reported rates, bounds or lone counts)" for d in empty
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
    rows = _usable(resolution, districts, "pairwise_differences")
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
    pairs = [(a, b) for a, b in combinations(records, 2)
             if a["district_code"] != b["district_code"] and a["channel_family"] == b["channel_family"]
             and pd.notna(a["channel_family"])]
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
        d = proportion_difference(int(a["count_used"]), int(a["nobs_used"]), int(b["count_used"]),
                                  int(b["nobs_used"]), alpha=alpha, method=ci_method)
        out.append({
            "statistic_a": a["statistic_id"], "statistic_b": b["statistic_id"],
            "district_code_a": a["district_code"], "district_code_b": b["district_code"],
            "channel_family": a["channel_family"],
            "closed_a": int(a["count_used"]), "received_a": int(a["nobs_used"]),
            "closed_b": int(b["count_used"]), "received_b": int(b["nobs_used"]),
            "rate_a_pct": 100 * a["count_used"] / a["nobs_used"], "rate_b_pct": 100 * b["count_used"] / b["nobs_used"],
            "difference_pct": 100 * d.difference, "ci_low_pct": 100 * d.ci_low, "ci_high_pct": 100 * d.ci_high,
            "ci_method": d.ci_method, "ci_level_pct": 100 * (1 - alpha), "z_stat": d.z_stat, "p_value": d.p_value,
        })
    table = pd.DataFrame(out)
    table["p_adjusted"] = multipletests(table["p_value"].to_numpy(), alpha=alpha, method=correction)[1]
    table["correction"] = correction
    table["is_significant"] = table["p_adjusted"] < alpha
    comparability = comparability_table(resolution, list(zip(table["statistic_a"], table["statistic_b"])))
    table["is_like_for_like"] = comparability["is_like_for_like"].to_numpy()
    table["caveat"] = comparability["caveat"].to_numpy()
    for name in ("closed_a", "received_a", "closed_b", "received_b"):
        table[name] = table[name].astype("Int64")
    for name in ("statistic_a", "statistic_b", "district_code_a", "district_code_b", "channel_family", "ci_method",
                 "correction", "caveat"):
        table[name] = table[name].astype("string")
    columns = list(PairwiseSchema.to_schema().columns)
    return PairwiseSchema.validate(table[columns])


_CORRECTIONS = ("bonferroni", "sidak", "holm-sidak", "holm", "simes-hochberg", "hommel", "fdr_bh", "fdr_by",
                "fdr_tsbh", "fdr_tsbky")


def _check_correction(correction: str) -> None:
    if correction not in _CORRECTIONS:
        raise ValueError(
            f"unknown multiple-testing correction {correction!r}: use a statsmodels multipletests method "
            f"({', '.join(_CORRECTIONS)})"
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

    Formula: equality of the fields named. Reference: DESIGN section 4 (like-for-like comparisons).

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
    start, end = _text(row["period_start"]), _text(row["period_end"])
    return f"{start or '?'} to {end or '?'}"


def _definition(row: dict) -> str:
    rate = _text(row["rate_indicator"]) or "closed/received"
    received = _text(row["received_indicator"]) or "no received count"
    unit = _text(row["unit_received"])
    return f"{rate} of {received}" + (f" ({unit})" if unit else "")


def _comparability_row(a: dict, b: dict) -> dict:
    same_channel = _text(a["channel"]) == _text(b["channel"])
    same_family = _text(a["channel_family"]) == _text(b["channel_family"])
    same_period = _period_text(a) == _period_text(b)
    same_definition = _definition(a) == _definition(b)
    same_source = _text(a["source_id"]) == _text(b["source_id"])
    like = same_channel and same_period and same_definition
    differences = []
    if not same_channel:
        differences.append(f"channels differ ({a['channel']} vs {b['channel']})")
    if not same_period:
        differences.append(f"periods differ ({_period_text(a)} vs {_period_text(b)})")
    if not same_definition:
        differences.append(f"definitions differ ({_definition(a)} vs {_definition(b)})")
    if like:
        caveat = (f"Like for like in channel ({a['channel']}), period ({_period_text(a)}) and definition "
                  f"({_definition(a)}); still self-reported publicity figures.")
    else:
        caveat = "Not like for like: " + "; ".join(differences) + "."
    if not same_source:
        caveat += f" Different sources ({a['source_id']}, {b['source_id']})."
    implied = [str(r["statistic_id"]) for r in (a, b) if _text(r["rate_basis"]) == "implied"]
    if implied:
        caveat += f" Closed counts implied by a reported rate, not reported: {', '.join(implied)}."
    return {
        "statistic_a": a["statistic_id"], "statistic_b": b["statistic_id"],
        "district_code_a": a["district_code"], "district_code_b": b["district_code"],
        "channel_a": _text(a["channel"]), "channel_b": _text(b["channel"]),
        "period_a": _period_text(a), "period_b": _period_text(b),
        "definition_a": _definition(a), "definition_b": _definition(b),
        "source_id_a": a["source_id"], "source_id_b": b["source_id"],
        "same_channel": same_channel, "same_channel_family": same_family, "same_period": same_period,
        "same_definition": same_definition, "same_source": same_source, "is_like_for_like": like,
        "caveat": caveat,
    }


@dataclass
class GlmResult:
    """A binomial GLM of closed/received on district (and channel family): coefficients and their caveats.

    ``table``: one row per coefficient (:class:`.schemas.GlmTableSchema`): ``term, term_kind, level,
    coef_log_odds, std_err, z_stat, p_value, ci_low_log_odds, ci_high_log_odds, odds_ratio,
    odds_ratio_ci_low, odds_ratio_ci_high``. ``caveats``: sentences to print with it.
    """

    table: pd.DataFrame
    caveats: list[str]
    n_statistics: int
    n_districts: int
    reference_district: str
    reference_channel_family: str | None
    df_resid: int
    deviance: float
    pearson_chi2: float
    statistic_ids: list[str] = field(default_factory=list)


def fit_glm(resolution: pd.DataFrame, *, districts: list[str] | None = None, alpha: float = 0.05) -> GlmResult:
    """Binomial GLM (logit link) of closed out of received on district and, when statistics come from more than
    one channel family, channel family. One observation per statistic with counts.

    Model: ``logit P(closed) = b0 + b_district + b_channel_family`` with treatment coding; the reference levels
    are the smallest district code and channel family (named in the caveats). Fitted by statsmodels ``GLM``
    with ``families.Binomial()`` on (closed, received - closed).

    Raises :class:`ComparisonError` when the data cannot identify the model instead of returning nonsense:
    fewer than two districts with counts (or an unknown or empty district asked for), fewer statistics than
    parameters, district and channel family confounded (the design is rank deficient), or perfect
    separation (a district or channel family whose statistics are all 100% or all 0% closed, or a fit whose
    probabilities reach 0 or 1): its log odds are infinite.

    Reference: McCullagh & Nelder (1989), *Generalized Linear Models*, 2nd ed., ch. 4; statsmodels ``GLM``.

    >>> from governance_study.metrics.examples import heping_2023, invented_district
    >>> from governance_study.metrics.resolution import resolution_table
    >>> claims = pd.concat([heping_2023(), invented_district(), invented_district(channel="mediation_centre",
    ...                     received=300, closed=240)], ignore_index=True)
    >>> res = resolution_table(claims)
    >>> fit_glm(res[res["statistic_id"] != "hp-petition"]).table["term"].tolist()[:2]
    ['intercept', 'district[120116]']
    """
    import numpy as np
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    rows = _usable(resolution, districts, "fit_glm")
    codes = sorted(rows["district_code"].unique())
    families = sorted(rows["channel_family"].astype(str).unique())
    n_params = len(codes) + len(families) - 1
    if len(rows) < n_params:
        raise ComparisonError(
            f"fit_glm: {len(rows)} statistics with counts cannot identify {n_params} parameters "
            f"(intercept, {len(codes) - 1} district and {len(families) - 1} channel-family effects); "
            "compare pairwise within a channel family instead"
        )
    _check_separation(rows)
    columns = {"intercept": np.ones(len(rows))}
    kinds = {"intercept": ("intercept", None)}
    for code in codes[1:]:
        columns[f"district[{code}]"] = (rows["district_code"] == code).to_numpy(dtype=float)
        kinds[f"district[{code}]"] = ("district", code)
    for family in families[1:]:
        columns[f"channel_family[{family}]"] = (rows["channel_family"] == family).to_numpy(dtype=float)
        kinds[f"channel_family[{family}]"] = ("channel_family", family)
    design = pd.DataFrame(columns)
    if np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        layout = "; ".join(f"{code}: {', '.join(sorted(g['channel_family'].astype(str).unique()))}"
                           for code, g in rows.groupby("district_code"))
        raise ComparisonError(
            "fit_glm: district and channel family are confounded (each district's statistics come from channel "
            f"families no other district shares: {layout}), so their effects cannot be separated; compare "
            "pairwise within a channel family or restrict the districts"
        )
    closed = rows["count_used"].astype("int64").to_numpy()
    received = rows["nobs_used"].astype("int64").to_numpy()
    endog = np.column_stack([closed, received - closed])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.GLM(endog, design, family=sm.families.Binomial()).fit()
        except (PerfectSeparationError, PerfectSeparationWarning) as exc:
            raise ComparisonError(f"fit_glm: perfect separation ({exc}); the log odds are infinite") from exc
    fitted = np.asarray(fit.mu)
    if not fit.converged or np.any(fitted < 1e-10) or np.any(fitted > 1 - 1e-10):
        raise ComparisonError(
            "fit_glm: the fit did not converge to finite log odds (fitted closure probabilities reach 0 or 1: "
            "quasi-separation); compare pairwise instead"
        )
    ci = np.asarray(fit.conf_int(alpha=alpha))
    table = pd.DataFrame({
        "term": list(columns),
        "term_kind": [kinds[t][0] for t in columns],
        "level": [kinds[t][1] for t in columns],
        "coef_log_odds": np.asarray(fit.params, dtype=float),
        "std_err": np.asarray(fit.bse, dtype=float),
        "z_stat": np.asarray(fit.tvalues, dtype=float),
        "p_value": np.asarray(fit.pvalues, dtype=float),
        "ci_low_log_odds": ci[:, 0],
        "ci_high_log_odds": ci[:, 1],
    })
    table["odds_ratio"] = np.exp(table["coef_log_odds"])
    table["odds_ratio_ci_low"] = np.exp(table["ci_low_log_odds"])
    table["odds_ratio_ci_high"] = np.exp(table["ci_high_log_odds"])
    for name in ("term", "term_kind", "level"):
        table[name] = table[name].astype("string")
    table = GlmTableSchema.validate(table)
    df_resid = int(round(fit.df_resid))
    return GlmResult(
        table=table,
        caveats=_glm_caveats(rows, codes, families, df_resid, float(fit.pearson_chi2)),
        n_statistics=len(rows), n_districts=len(codes), reference_district=codes[0],
        reference_channel_family=families[0] if len(families) > 1 else None, df_resid=df_resid,
        deviance=float(fit.deviance), pearson_chi2=float(fit.pearson_chi2),
        statistic_ids=rows["statistic_id"].astype(str).tolist(),
    )


def _check_separation(rows: pd.DataFrame) -> None:
    for column, label in (("district_code", "district"), ("channel_family", "channel family")):
        for level, group in rows.groupby(column):
            closed, received = group["count_used"].astype(int), group["nobs_used"].astype(int)
            if (closed == received).all() or (closed == 0).all():
                which = "100%" if (closed == received).all() else "0%"
                raise ComparisonError(
                    f"fit_glm: perfect separation: every statistic of {label} {level} "
                    f"({', '.join(group['statistic_id'].astype(str))}) is {which} closed, so its log odds are "
                    "infinite; drop it from the model or compare pairwise, where a 100% rate has a finite interval"
                )


def _glm_caveats(rows: pd.DataFrame, codes: list[str], families: list[str], df_resid: int, chi2: float) -> list[str]:
    caveats = [
        "Self-reported publicity figures, not a sample: the binomial model treats every request as an "
        "independent trial with its district's and channel's probability, which nothing guarantees; read the "
        "intervals as a lower bound on the uncertainty.",
        f"{len(rows)} statistics from {rows['source_id'].nunique()} source(s) and {len(codes)} districts; "
        f"reference levels: district {codes[0]}"
        + (f", channel family {families[0]}" if len(families) > 1 else "")
        + ". Coefficients are log odds ratios against them.",
    ]
    if len(families) == 1:
        caveats.append(f"All statistics are in channel family {families[0]}: no channel term.")
    periods = sorted({f"{s} to {e}" for s, e in zip(rows["period_start"].astype(str), rows["period_end"].astype(str))})
    if len(periods) > 1:
        caveats.append(f"Statistics cover {len(periods)} different periods ({'; '.join(periods)}): "
                       "district effects absorb differences in time.")
    definitions = sorted({_definition(r) for r in rows.to_dict("records")})
    if len(definitions) > 1:
        caveats.append(f"Definitions differ ({'; '.join(definitions)}): a closure rate and a solution rate are "
                       "not the same measure.")
    implied = rows.loc[rows["rate_basis"] == "implied", "statistic_id"].astype(str).tolist()
    if implied:
        caveats.append(f"{len(implied)} statistic(s) use closed counts implied by a reported rate: "
                       f"{', '.join(implied)}.")
    if df_resid == 0:
        caveats.append("Saturated model (as many parameters as statistics): the fit reproduces the data and "
                       "there is no goodness-of-fit check.")
    elif chi2 / df_resid > 1.5:
        caveats.append(f"Overdispersed: Pearson chi2 / df = {chi2 / df_resid:.1f} (> 1.5), so the standard errors "
                       "are too small; treat the p-values as optimistic.")
    return caveats
