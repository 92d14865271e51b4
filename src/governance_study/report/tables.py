"""Display tables: the tidy metric tables reshaped for a reader, with English headers and Chinese names.

Pure functions, DataFrame in, DataFrame out; nothing here computes a statistic (that is
:mod:`governance_study.metrics`) or writes HTML (that is :mod:`.html`). Grain: as each function says, e.g.
:func:`rates_table` has one row per resolution statistic, :func:`profile_facts` one row per claim of a district.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from governance_study.report.selection import Profile
from governance_study.report.wording import (
    BOUND_WORDS,
    FAMILY_ORDER,
    as_text,
    count_text,
    district_text,
    is_missing,
    period_text,
    plain_number,
)


def corpus_table(sources: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """One row per article: outlet, date, title, district, and what it covers (indicator families, claims)."""
    rows = []
    for source in sources.sort_values(["published", "source_id"]).to_dict("records"):
        own = claims[claims["source_id"] == source["source_id"]]
        families = [f for f in FAMILY_ORDER if f in set(own["family"])]
        covered = "; ".join(
            f"{family}: " + ", ".join(sorted(own.loc[own["family"] == family, "indicator_label_en"].dropna().unique()))
            for family in families
        )
        district_names = sorted({district_text(r) for r in own.to_dict("records")})
        rows.append(
            {
                "Published": as_text(source["published"]),
                "Outlet": as_text(source["outlet"]),
                "Title": as_text(source["title"]),
                "Districts with figures": ", ".join(district_names),
                "Claims": int(len(own)),
                "What it covers": covered,
                "Source id": as_text(source["source_id"]),
            }
        )
    return pd.DataFrame(rows)


def coverage_matrix(coverage: pd.DataFrame) -> pd.DataFrame:
    """District (Chinese and pinyin) x indicator family: number of claims (0 where nothing is reported)."""
    frame = coverage.copy()
    frame["District"] = frame["district_name_zh"].astype(str) + " " + frame["district_pinyin"].astype(str)
    families = [f for f in FAMILY_ORDER if f in set(frame["family"])]
    wide = frame.pivot_table(index=["district_code", "District"], columns="family", values="claim_count", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=families, fill_value=0).astype(int).reset_index()
    wide["Total"] = wide[families].sum(axis=1)
    wide = wide.rename(columns={"district_code": "Code"})
    wide.columns.name = None
    return wide


def rates_table(resolution: pd.DataFrame) -> pd.DataFrame:
    """Display table: one row per statistic with its counts, reported and recomputed rate and interval."""
    rows = []
    for r in resolution.to_dict("records"):
        interval = ""
        if not is_missing(r.get("ci_low_pct")):
            interval = f"{r['ci_low_pct']:.1f} to {r['ci_high_pct']:.1f}"
        rows.append(
            {
                "District": district_text(r),
                "Channel": as_text(r["channel"]) + (f" ({as_text(r['subunit'])})" if as_text(r.get("subunit")) else ""),
                "Period": period_text(r["period_start"], r["period_end"]),
                "Received": count_text(r.get("received"), r.get("received_bound")),
                "Closed": count_text(r.get("closed"), r.get("closed_bound")),
                "Rate reported": (
                    f"{as_text(r.get('reported_rate_text'))}% {as_text(r.get('rate_indicator')).replace('on_time', 'on-time').replace('_', ' ')}"
                    if as_text(r.get("reported_rate_text"))
                    else ""
                ),
                "Rate %": None if is_missing(r.get("rate_pct")) else round(float(r["rate_pct"]), 2),
                "Interval %": interval,
                "Basis": as_text(r.get("rate_derivation")),
                "Statistic": as_text(r["statistic_id"]),
                "Note": as_text(r.get("note")),
            }
        )
    return pd.DataFrame(rows)


def comparison_table(pairwise: pd.DataFrame | None, districts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Display table of :func:`metrics.pairwise_differences`: one row per pair of statistics, with its
    difference, interval, tests and comparability; empty when there is no comparison."""
    if pairwise is None:
        return pd.DataFrame()
    names = {} if districts is None else dict(zip(districts["district_code"], districts["name_en"]))
    rows = []
    for r in pairwise.to_dict("records"):
        rows.append(
            {
                "A": f"{names.get(r['district_code_a'], r['district_code_a'])}: {r['statistic_a']}",
                "B": f"{names.get(r['district_code_b'], r['district_code_b'])}: {r['statistic_b']}",
                "Channel family": as_text(r["channel_family"]),
                "Rate A %": round(float(r["rate_a_pct"]), 2),
                "Rate B %": round(float(r["rate_b_pct"]), 2),
                "A - B (points)": round(float(r["difference_pct"]), 2),
                "Interval": f"{r['ci_low_pct']:.2f} to {r['ci_high_pct']:.2f} ({r['ci_method']})",
                "p": float(r["p_value"]),
                f"p adjusted ({r['correction']})": float(r["p_adjusted"]),
                "Like for like": bool(r["is_like_for_like"]),
                "Comparability": as_text(r["caveat"]),
            }
        )
    return pd.DataFrame(rows)


def glm_table(glm: Any | None) -> pd.DataFrame:
    """Display table of :func:`metrics.fit_glm`: one row per term with its odds ratio and interval; empty when
    there is no model."""
    if glm is None:
        return pd.DataFrame()
    t = glm.table
    return pd.DataFrame(
        {
            "Term": t["term"].astype(str),
            "Odds ratio": t["odds_ratio"].round(3),
            "Interval": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(t["odds_ratio_ci_low"], t["odds_ratio_ci_high"])],
            "Log odds": t["coef_log_odds"].round(3),
            "Std. error": t["std_err"].round(3),
            "p": t["p_value"],
        }
    )


def participation_display(participation: pd.DataFrame, labels: dict[str, str] | None = None, *, per: int = 10_000) -> pd.DataFrame:
    """Display table of :func:`metrics.participation_table`: one row per count, with its indicator label, the
    figure as written, its bound, the intensity per ``per`` residents, the period and what the number is not."""
    from governance_study.metrics.participation import per_column_name

    column = per_column_name(per)
    labels = labels or {}
    rows = []
    for r in participation.to_dict("records"):
        value = r.get(column)
        bound = BOUND_WORDS.get(as_text(r["bound"]), as_text(r["bound"]))
        rows.append(
            {
                "District": district_text(r) + (f" ({as_text(r['subunit'])})" if as_text(r.get("subunit")) else ""),
                "Indicator": labels.get(as_text(r["indicator"]), as_text(r["indicator"])),
                "Family": as_text(r["family"]),
                "As written": as_text(r["value_text"]),
                "Value": plain_number(r["value"]),
                "Bound": bound,
                f"Per {per:,} residents": None
                if is_missing(value)
                else (f"{bound} {value:,.2f}" if bound not in ("exact", "") else f"{value:,.2f}"),
                "Period": period_text(r.get("period_start"), r.get("period_end")),
                "Claim": as_text(r["claim_id"]),
                "Caveat": as_text(r.get("caveat")),
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        # object dtype keeps whole counts as ints ("864", "1,000"), which a float column would show as "864.00"
        frame["Value"] = pd.Series([r["Value"] for r in rows], dtype=object)
    return frame


def ratios_display(ratios: pd.DataFrame) -> pd.DataFrame:
    """Display table: one row per ratio with its two figures, what differs between them, and the verdict
    against the same ratio in other districts."""
    rows = []
    for r in ratios.to_dict("records"):
        bound = BOUND_WORDS.get(as_text(r["ratio_bound"]), as_text(r["ratio_bound"]))
        rows.append(
            {
                "District": district_text(r) + (f" ({as_text(r['subunit'])})" if as_text(r.get("subunit")) else ""),
                "Ratio": as_text(r["meaning"]),
                "Value": (f"{bound} " if bound not in ("exact", "") else "") + f"{float(r['ratio_value']):,.2f}",
                "Numerator": f"{as_text(r['numerator_indicator'])} {float(r['numerator_value']):,.0f} ({as_text(r['numerator_source_id'])})",
                "Denominator": f"{as_text(r['denominator_indicator'])} {float(r['denominator_value']):,.0f} ({as_text(r['denominator_source_id'])})",
                "Same period": bool(r["is_same_period"]),
                "Same source": bool(r["is_same_source"]),
                "Caveat": as_text(r.get("caveat")),
                "Across districts": as_text(r.get("comparability")),
            }
        )
    return pd.DataFrame(rows)


def audit_display(audit: pd.DataFrame, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """Display table of :func:`metrics.audit_table`: one row per check, with the district named, the counts used,
    the rules that pass, the smallest denominator and the finding in words."""
    names = {} if claims is None else dict(zip(claims["district_code"], claims["district_name_en"]))
    rows = []
    for r in audit.to_dict("records"):
        rows.append(
            {
                "Check": as_text(r["check"]),
                "District": names.get(r["district_code"], as_text(r["district_code"])),
                "Claim": as_text(r["claim_id"]),
                "Reported": as_text(r.get("reported_text")),
                "Numerator": count_text(r.get("numerator")),
                "Denominator": count_text(r.get("denominator")),
                "Rules passed": as_text(r.get("rule_passed")),
                "Smallest denominator": count_text(r.get("min_denominator")),
                "Flagged": bool(r["is_flagged"]),
                "Finding": as_text(r["finding"]),
            }
        )
    return pd.DataFrame(rows)


def profile_facts(profile: Profile) -> pd.DataFrame:
    """Every figure of the district with its quote and source: the core table of a profile."""
    c = profile.claims.sort_values(
        ["family", "indicator", "published", "claim_id"],
        key=lambda s: s.map({f: i for i, f in enumerate(FAMILY_ORDER)}) if s.name == "family" else s,
    )
    rows = []
    for r in c.to_dict("records"):
        rows.append(
            {
                "Family": as_text(r["family"]),
                "Indicator": as_text(r["indicator_label_en"]),
                "Figure": as_text(r["value_text"]),
                "Bound": BOUND_WORDS.get(as_text(r["bound"]), as_text(r["bound"])),
                "Channel": as_text(r["channel"]),
                "Subunit": as_text(r.get("subunit")),
                "Period": period_text(r.get("period_start"), r.get("period_end")),
                "Quote": as_text(r["quote"]),
                "Source": f"{as_text(r['outlet'])}, {as_text(r['published'])}",
                "Claim": as_text(r["claim_id"]),
            }
        )
    return pd.DataFrame(rows)
