"""A binomial GLM of closed out of received on district (and channel family), where the data identify one.

One observation per resolution statistic with counts (:func:`.compare.usable_statistics`). Refuses, with a
:class:`~.compare.ComparisonError` that says why, what the data cannot identify: one district, too few
statistics for the parameters, district confounded with channel family, perfect separation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from governance_study.metrics.compare import ComparisonError, measure_definition, usable_statistics
from governance_study.metrics.schemas import GlmTableSchema


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

    rows = usable_statistics(resolution, districts, "fit_glm")
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
        layout = "; ".join(
            f"{code}: {', '.join(sorted(g['channel_family'].astype(str).unique()))}" for code, g in rows.groupby("district_code")
        )
        raise ComparisonError(
            "fit_glm: district and channel family are confounded (each district's statistics come from channel "
            f"families no other district shares: {layout}), so their effects cannot be separated; compare "
            "pairwise within a channel family or restrict the districts"
        )
    closed = rows["closed_used"].astype("int64").to_numpy()
    received = rows["received_used"].astype("int64").to_numpy()
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
    table = pd.DataFrame(
        {
            "term": list(columns),
            "term_kind": [kinds[t][0] for t in columns],
            "level": [kinds[t][1] for t in columns],
            "coef_log_odds": np.asarray(fit.params, dtype=float),
            "std_err": np.asarray(fit.bse, dtype=float),
            "z_stat": np.asarray(fit.tvalues, dtype=float),
            "p_value": np.asarray(fit.pvalues, dtype=float),
            "ci_low_log_odds": ci[:, 0],
            "ci_high_log_odds": ci[:, 1],
        }
    )
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
        n_statistics=len(rows),
        n_districts=len(codes),
        reference_district=codes[0],
        reference_channel_family=families[0] if len(families) > 1 else None,
        df_resid=df_resid,
        deviance=float(fit.deviance),
        pearson_chi2=float(fit.pearson_chi2),
        statistic_ids=rows["statistic_id"].astype(str).tolist(),
    )


def _check_separation(rows: pd.DataFrame) -> None:
    for column, label in (("district_code", "district"), ("channel_family", "channel family")):
        for level, group in rows.groupby(column):
            closed, received = group["closed_used"].astype(int), group["received_used"].astype(int)
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
        caveats.append(
            f"Statistics cover {len(periods)} different periods ({'; '.join(periods)}): district effects absorb differences in time."
        )
    definitions = sorted({measure_definition(r) for r in rows.to_dict("records")})
    if len(definitions) > 1:
        caveats.append(f"Definitions differ ({'; '.join(definitions)}): a closure rate and a solution rate are not the same measure.")
    implied = rows.loc[rows["rate_derivation"] == "implied", "statistic_id"].astype(str).tolist()
    if implied:
        caveats.append(f"{len(implied)} statistic(s) use closed counts implied by a reported rate: {', '.join(implied)}.")
    if df_resid == 0:
        caveats.append(
            "Saturated model (as many parameters as statistics): the fit reproduces the data and there is no goodness-of-fit check."
        )
    elif chi2 / df_resid > 1.5:
        caveats.append(
            f"Overdispersed: Pearson chi2 / df = {chi2 / df_resid:.1f} (> 1.5), so the standard errors "
            "are too small; treat the p-values as optimistic."
        )
    return caveats
