"""Selections and views for the notebooks: which rows a parameter names, display-ready tables, generated prose.

Pure functions, DataFrame in and DataFrame, list of sentences or dataclass out; nothing here displays or
writes HTML (that is :mod:`governance_study.report.html`, which escapes every value). Grain: as each function
says, e.g. :func:`rates_table` has one row per resolution statistic, :func:`profile_facts` one row per claim
of a district; caveats and findings are one sentence per item, with counts taken from the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

FAMILY_ORDER = ("resolution", "participation", "capacity", "outreach", "context")
BOUND_WORDS = {
    "exact": "exact",
    "at_least": "at least",
    "more_than": "more than",
    "approx": "about",
    "at_most": "at most",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ============================================================================================================
# selections


def district_codes(names: Sequence[str] | str | None, districts: pd.DataFrame) -> list[str] | None:
    """Codes for the districts a parameter names (codes, Chinese/English/pinyin names or aliases).

    An empty list (or None) means every district: returns None. Unknown names raise ValueError listing the
    valid ones.
    """
    from governance_study.dataset.gazetteer import resolve_district

    if names is None or (not isinstance(names, str) and len(names) == 0):
        return None
    if isinstance(names, str):
        names = [names]
    return list(dict.fromkeys(resolve_district(str(n), districts) for n in names))


def require_districts(frame: pd.DataFrame, codes: Sequence[str] | None, districts: pd.DataFrame, what: str) -> None:
    """Raise ValueError when a requested district has no row in ``frame``, naming it and listing the districts
    that have one: a parameter such as ``districts: [Nankai, Heping]`` must not silently drop Nankai."""
    if codes is None:
        return
    present = set(frame["district_code"].astype(str))
    missing = [c for c in codes if c not in present]
    if missing:
        names = dict(zip(districts["district_code"].astype(str), districts["name_en"].astype(str)))
        show = lambda cs: ", ".join(f"{names.get(c, c)} ({c})" for c in cs)  # noqa: E731
        raise ValueError(f"no {what} for {show(missing)} in the data; districts with {what}: "
                         f"{show(sorted(present)) or 'none'}")


def select_districts(frame: pd.DataFrame, codes: Sequence[str] | None, column: str = "district_code") -> pd.DataFrame:
    """Rows of ``frame`` for ``codes`` (None: all rows)."""
    if codes is None:
        return frame.reset_index(drop=True)
    return frame[frame[column].astype(str).isin(list(codes))].reset_index(drop=True)


def select_channels(resolution: pd.DataFrame, channels: Sequence[str] | str | None) -> pd.DataFrame:
    """Statistics of the named channels or channel families (empty: all). Unknown names raise ValueError."""
    if channels is None or (not isinstance(channels, str) and len(channels) == 0):
        return resolution.reset_index(drop=True)
    if isinstance(channels, str):
        channels = [channels]
    known_channels = set(resolution["channel"].dropna().astype(str))
    known_families = set(resolution["channel_family"].dropna().astype(str))
    unknown = [c for c in channels if c not in known_channels | known_families]
    if unknown:
        raise ValueError(
            f"no resolution statistic in channel(s) {', '.join(map(repr, unknown))} for this selection: give channels "
            f"that have one ({', '.join(sorted(known_channels)) or 'none'}) or channel families "
            f"({', '.join(sorted(known_families)) or 'none'})"
        )
    mask = resolution["channel"].astype(str).isin(channels) | resolution["channel_family"].astype(str).isin(channels)
    return resolution[mask].reset_index(drop=True)


def with_district_names(frame: pd.DataFrame, districts: pd.DataFrame, column: str = "district_code") -> pd.DataFrame:
    """``frame`` with ``district_name_zh``, ``district_name_en`` and ``district_pinyin`` (added where missing)."""
    names = districts.set_index("district_code")
    out = frame.copy()
    for target, source in (("district_name_zh", "name_zh"), ("district_name_en", "name_en"), ("district_pinyin", "name_pinyin")):
        if target not in out.columns:
            out[target] = out[column].astype(str).map(names[source])
    return out


def claim_id_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c == "claim_id" or c.endswith("_claim_id") or c.startswith("claim_id")]


def claims_behind(claims: pd.DataFrame, *tables: Any) -> pd.DataFrame:
    """The claims whose ids appear in any ``*claim_id`` column of ``tables`` (DataFrames), or behind any finding
    of a list of key findings: the quotes behind the numbers a report shows."""
    ids: set[str] = set()
    for table in tables:
        if not isinstance(table, pd.DataFrame):
            ids |= {str(c) for finding in table for c in finding.claim_ids}
            continue
        for column in claim_id_columns(table):
            ids |= {str(v) for v in table[column].dropna()}
    return claims[claims["claim_id"].astype(str).isin(ids)].reset_index(drop=True)


def indicator_labels(claims: pd.DataFrame) -> dict[str, str]:
    """indicator id -> English label, from the claims table."""
    pairs = claims[["indicator", "indicator_label_en"]].dropna().drop_duplicates("indicator")
    return dict(zip(pairs["indicator"].astype(str), pairs["indicator_label_en"].astype(str)))


def _district_text(row: Any) -> str:
    zh, en = _text(row.get("district_name_zh")), _text(row.get("district_name_en")) or _text(row.get("district_pinyin"))
    return f"{zh} {en}".strip() or _text(row.get("district_code"))


def _period(start: Any, end: Any) -> str:
    start, end = _text(start), _text(end)
    if start and end:
        return f"{start} to {end}"
    return f"as of {end}" if end else ""


# ============================================================================================================
# 01: sources and coverage


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
        district_names = sorted({_district_text(r) for r in own.to_dict("records")})
        rows.append(
            {
                "Published": _text(source["published"]),
                "Outlet": _text(source["outlet"]),
                "Title": _text(source["title"]),
                "Districts with figures": ", ".join(district_names),
                "Claims": int(len(own)),
                "What it covers": covered,
                "Source id": _text(source["source_id"]),
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


def coverage_findings(coverage: pd.DataFrame) -> list[str]:
    """What the coverage shows, in sentences (counts from the data)."""
    per_district = coverage.groupby(["district_code", "district_name_zh", "district_pinyin"], as_index=False)["claim_count"].sum()
    with_data = per_district[per_district["claim_count"] > 0]
    without = per_district[per_district["claim_count"] == 0]
    total = int(per_district["claim_count"].sum())
    lines = [
        f"{total} claims cover {len(with_data)} of {len(per_district)} areas (16 districts and the city as a whole); "
        f"{len(without)} have no figure at all"
        + (f": {', '.join(without['district_pinyin'].astype(str))}." if len(without) else "."),
    ]
    for family in [f for f in FAMILY_ORDER if f in set(coverage["family"])]:
        rows = coverage[(coverage["family"] == family) & (coverage["claim_count"] > 0)]
        if rows.empty:
            lines.append(f"No area has a {family} figure.")
        else:
            names = ", ".join(f"{r['district_pinyin']} ({int(r['claim_count'])})" for r in rows.to_dict("records"))
            lines.append(f"{family.capitalize()} figures exist for {len(rows)} area(s): {names}.")
    top = with_data.sort_values("claim_count", ascending=False).head(2)
    if len(with_data) and total:
        share = 100 * top["claim_count"].sum() / total
        lines.append(
            f"{share:.0f}% of the claims come from {' and '.join(top['district_pinyin'].astype(str))}: "
            "comparisons across districts rest on very few figures for the others."
        )
    return lines


# ============================================================================================================
# 02: resolution


def resolution_for(
    claims: pd.DataFrame,
    districts: pd.DataFrame,
    *,
    district_names: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    ci_method: str = "wilson",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The resolution table with intervals by ``ci_method`` at level 1 - ``alpha``, for the named districts and
    channels (empty: all), with district names."""
    from governance_study.metrics import resolution_table

    table = resolution_table(claims, method=ci_method, alpha=alpha)
    codes = district_codes(district_names, districts)
    require_districts(table, codes, districts, "resolution statistic")
    table = select_districts(table, codes)
    table = select_channels(table, channels)
    return with_district_names(table, districts)


def _count(value: Any, bound: Any = None) -> str:
    if _missing(value):
        return ""
    text = f"{int(value):,}"
    word = BOUND_WORDS.get(_text(bound), "")
    return f"{word} {text}" if word and word != "exact" else text


def rates_table(resolution: pd.DataFrame) -> pd.DataFrame:
    """Display table: one row per statistic with its counts, reported and recomputed rate and interval."""
    rows = []
    for r in resolution.to_dict("records"):
        interval = ""
        if not _missing(r.get("ci_low_pct")):
            interval = f"{r['ci_low_pct']:.1f} to {r['ci_high_pct']:.1f}"
        rows.append(
            {
                "District": _district_text(r),
                "Channel": _text(r["channel"]) + (f" ({_text(r['subunit'])})" if _text(r.get("subunit")) else ""),
                "Period": _period(r["period_start"], r["period_end"]),
                "Received": _count(r.get("received"), r.get("received_bound")),
                "Closed": _count(r.get("closed"), r.get("closed_bound")),
                "Rate reported": (f"{_text(r.get('reported_rate_text'))}% {_text(r.get('rate_indicator')).replace('on_time', 'on-time').replace('_', ' ')}"
                                  if _text(r.get("reported_rate_text")) else ""),
                "Rate %": None if _missing(r.get("rate_pct")) else round(float(r["rate_pct"]), 2),
                "Interval %": interval,
                "Basis": _text(r.get("rate_basis")),
                "Statistic": _text(r["statistic_id"]),
                "Note": _text(r.get("note")),
            }
        )
    return pd.DataFrame(rows)


def plain_reason(exc: Exception) -> str:
    """An error's message for a reader: without the ``function_name:`` prefix the metrics put on it for callers.

    >>> plain_reason(ValueError("fit_glm: only 1 district (120101)"))
    'only 1 district (120101)'
    """
    import re

    return re.sub(r"^[a-z_][a-z0-9_]*: ", "", str(exc))


@dataclass
class Comparison:
    """Pairwise differences between districts, or why there are none."""

    table: pd.DataFrame | None
    reason: str | None = None


def compare_resolution(resolution: pd.DataFrame, *, alpha: float = 0.05, correction: str = "holm") -> Comparison:
    """:func:`metrics.pairwise_differences` (with each pair's comparability), or the reason it cannot be done."""
    from governance_study.metrics import ComparisonError, pairwise_differences

    try:
        return Comparison(pairwise_differences(resolution, alpha=alpha, correction=correction))
    except ComparisonError as exc:
        return Comparison(None, plain_reason(exc))


def comparison_table(comparison: Comparison, districts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Display table of the pairwise differences with the comparability of each pair."""
    if comparison.table is None:
        return pd.DataFrame()
    names = {} if districts is None else dict(zip(districts["district_code"], districts["name_en"]))
    rows = []
    for r in comparison.table.to_dict("records"):
        rows.append(
            {
                "A": f"{names.get(r['district_code_a'], r['district_code_a'])}: {r['statistic_a']}",
                "B": f"{names.get(r['district_code_b'], r['district_code_b'])}: {r['statistic_b']}",
                "Channel family": _text(r["channel_family"]),
                "Rate A %": round(float(r["rate_a_pct"]), 2),
                "Rate B %": round(float(r["rate_b_pct"]), 2),
                "A - B (points)": round(float(r["difference_pct"]), 2),
                "Interval": f"{r['ci_low_pct']:.2f} to {r['ci_high_pct']:.2f} ({r['ci_method']})",
                "p": float(r["p_value"]),
                f"p adjusted ({r['correction']})": float(r["p_adjusted"]),
                "Like for like": bool(r["is_like_for_like"]),
                "Comparability": _text(r["caveat"]),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class GlmView:
    """A binomial GLM of closed/received on district (and channel family), or why the data do not allow one."""

    result: Any | None
    reason: str | None = None

    @property
    def table(self) -> pd.DataFrame:
        if self.result is None:
            return pd.DataFrame()
        t = self.result.table
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


def glm_for(resolution: pd.DataFrame, *, alpha: float = 0.05) -> GlmView:
    from governance_study.metrics import ComparisonError, fit_glm

    try:
        return GlmView(fit_glm(resolution, alpha=alpha))
    except ComparisonError as exc:
        return GlmView(None, plain_reason(exc))


def resolution_caveats(resolution: pd.DataFrame, comparison: Comparison | None = None, glm: GlmView | None = None) -> list[str]:
    """What a reader must know before comparing these rates, written from the data."""
    n = len(resolution)
    if n == 0:
        return ["No resolution statistic matches the selection."]
    basis = resolution["rate_basis"].astype(str).value_counts()
    method = ", ".join(sorted(set(resolution["ci_method"].dropna().astype(str)))) or "none"
    lines = [
        "These are self-reported publicity figures, not a sample: an interval measures binomial sampling error "
        "only, not how the figures were counted or chosen for publication."
    ]
    parts = []
    if basis.get("recomputed", 0):
        parts.append(f"{basis['recomputed']} recomputed from received and closed counts")
    if basis.get("implied", 0):
        parts.append(f"{basis['implied']} with a closed count implied by the reported rate and the received count")
    if basis.get("reported", 0):
        parts.append(f"{basis['reported']} with a reported rate and no denominator (no interval possible)")
    if basis.get("none", 0):
        parts.append(f"{basis['none']} with counts but no rate (closed only, or counts in different units)")
    lines.append(f"{n} statistic(s): " + "; ".join(parts) + f". Interval method: {method}.")
    codes = sorted(resolution["district_code"].astype(str).unique())
    with_counts = sorted(resolution.loc[resolution["count_used"].notna() & resolution["nobs_used"].notna(), "district_code"].astype(str).unique())
    names = dict(zip(resolution["district_code"].astype(str), resolution.get("district_pinyin", resolution["district_code"]).astype(str)))
    lines.append(
        f"Districts in the selection: {', '.join(names[c] for c in codes)}; with counts that allow an interval: "
        f"{', '.join(names[c] for c in with_counts) or 'none'}."
    )
    periods = sorted({_period(s, e) for s, e in zip(resolution["period_start"], resolution["period_end"])})
    if len(periods) > 1:
        lines.append(f"The statistics cover {len(periods)} different periods ({'; '.join(periods)}): a rate over "
                     "a quarter and a rate over nine months are not like for like.")
    channels = sorted(resolution["channel"].dropna().astype(str).unique())
    if len(channels) > 1:
        lines.append(f"{len(channels)} channels ({', '.join(channels)}): a grid, a petition office and a mediation "
                     "centre receive different kinds of request, so their rates differ by design.")
    for column, words in (
        ("has_unit_mismatch", "count received and closed in different units, so closed/received is no rate"),
        ("has_closed_above_received", "report more closed than received"),
        ("has_bounded_count", "use a count given as a bound (余, 超过): no rate is computed from it"),
    ):
        if column in resolution:
            flagged = resolution.loc[resolution[column].fillna(False).astype(bool), "statistic_id"].astype(str).tolist()
            if flagged:
                lines.append(f"{', '.join(flagged)}: {words}.")
    if comparison is not None:
        if comparison.table is None:
            lines.append(f"No pairwise comparison between districts: {comparison.reason}.")
        else:
            t = comparison.table
            like = int(t["is_like_for_like"].sum())
            significant = int(t["is_significant"].sum())
            lines.append(
                f"{len(t)} pair(s) of statistics compared across districts, {like} like for like; {significant} "
                f"differ at the adjusted level ({t['correction'].iloc[0]} correction)."
            )
    if glm is not None:
        if glm.result is None:
            lines.append(f"No binomial GLM: {glm.reason}.")
        else:
            lines.extend(glm.result.caveats)
    return lines


# ============================================================================================================
# 03: participation


def participation_for(claims: pd.DataFrame, districts: pd.DataFrame, *, district_names: Sequence[str] | None = None,
                      per: int = 10_000) -> pd.DataFrame:
    """Per-resident intensities (:func:`metrics.participation_table`) for the named districts, with names."""
    from governance_study.metrics import participation_table

    table = participation_table(claims, districts, per=per)
    codes = district_codes(district_names, districts)
    require_districts(table, codes, districts, "participation or capacity figure")
    table = select_districts(table, codes)
    return with_district_names(table, districts)


def ratios_for(claims: pd.DataFrame, districts: pd.DataFrame, *, district_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Ratios within a district (:func:`metrics.ratio_table`) for the named districts, with names."""
    from governance_study.metrics import ratio_table

    table = ratio_table(claims, districts)
    table = select_districts(table, district_codes(district_names, districts))
    return with_district_names(table, districts)


def participation_display(participation: pd.DataFrame, labels: dict[str, str] | None = None, *, per: int = 10_000) -> pd.DataFrame:
    from governance_study.metrics.participation import per_column_name

    column = per_column_name(per)
    labels = labels or {}
    rows = []
    for r in participation.to_dict("records"):
        value = r.get(column)
        bound = BOUND_WORDS.get(_text(r["bound"]), _text(r["bound"]))
        rows.append(
            {
                "District": _district_text(r) + (f" ({_text(r['subunit'])})" if _text(r.get("subunit")) else ""),
                "Indicator": labels.get(_text(r["indicator"]), _text(r["indicator"])),
                "Family": _text(r["family"]),
                "As written": _text(r["value_text"]),
                "Value": _number(r["value"]),
                "Bound": bound,
                f"Per {per:,} residents": None if _missing(value) else (f"{bound} {value:,.2f}" if bound not in ("exact", "") else f"{value:,.2f}"),
                "Period": _period(r.get("period_start"), r.get("period_end")),
                "Claim": _text(r["claim_id"]),
                "Caveat": _text(r.get("caveat")),
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        # object dtype keeps whole counts as ints ("864", "1,000"), which a float column would show as "864.00"
        frame["Value"] = pd.Series([r["Value"] for r in rows], dtype=object)
    return frame


def _number(value: Any) -> int | float:
    """A reported value as an int when whole (a count), else a float.

    >>> _number(864.0), _number(2.5)
    (864, 2.5)
    """
    number = float(value)
    return int(number) if number.is_integer() else number


def ratios_display(ratios: pd.DataFrame) -> pd.DataFrame:
    """Display table: one row per ratio with its two figures, what differs between them, and the verdict
    against the same ratio in other districts."""
    rows = []
    for r in ratios.to_dict("records"):
        bound = BOUND_WORDS.get(_text(r["ratio_bound"]), _text(r["ratio_bound"]))
        rows.append(
            {
                "District": _district_text(r) + (f" ({_text(r['subunit'])})" if _text(r.get("subunit")) else ""),
                "Ratio": _text(r["meaning"]),
                "Value": (f"{bound} " if bound not in ("exact", "") else "") + f"{float(r['ratio_value']):,.2f}",
                "Numerator": f"{_text(r['numerator_indicator'])} {float(r['numerator_value']):,.0f} ({_text(r['numerator_source_id'])})",
                "Denominator": f"{_text(r['denominator_indicator'])} {float(r['denominator_value']):,.0f} ({_text(r['denominator_source_id'])})",
                "Same period": bool(r["is_same_period"]),
                "Same source": bool(r["is_same_source"]),
                "Caveat": _text(r.get("caveat")),
                "Across districts": _text(r.get("comparability")),
            }
        )
    return pd.DataFrame(rows)


def participation_caveats(participation: pd.DataFrame, ratios: pd.DataFrame, *, per: int = 10_000) -> list[str]:
    from governance_study.metrics.participation import per_column_name

    column = per_column_name(per)
    if participation.empty and ratios.empty:
        return ["No participation or capacity figure matches the selection."]
    lines = [
        f"Intensities divide a reported count by the district's census population of 2020-11-01 and multiply by "
        f"{per:,}; the counts come from articles of other years, so an intensity mixes dates."
    ]
    lower = participation[participation["is_lower_bound"].fillna(False).astype(bool)]
    drawn = lower[lower[column].notna()]
    if len(lower):
        lines.append(
            f"{len(lower)} of {len(participation)} counts are lower bounds (余, 多, 以上, 超过); the "
            f"{len(drawn)} of them with an intensity have a lower-bound intensity too, drawn as an open triangle "
            "with an arrow towards higher values."
        )
    undivided = participation[participation[column].isna()]
    subunit = undivided[undivided["subunit"].notna()]
    kept_out = undivided[undivided["subunit"].isna()]
    if len(subunit):
        lines.append(f"{len(subunit)} figure(s) describe a street, community, park or zone with no census "
                     "population here: listed, not divided.")
    if len(kept_out):
        lines.append(f"{len(kept_out)} whole-district figure(s) ({', '.join(sorted(set(kept_out['indicator'].astype(str))))}) "
                     "are listed, not divided: the vocabulary keeps these indicators out of per-resident figures "
                     "(they serve part of a district, or firms rather than residents).")
    repeated = participation.groupby(["district_code", "indicator"]).size()
    repeated = repeated[repeated > 1]
    if len(repeated):
        items = ", ".join(f"{code} {indicator} ({n}x)" for (code, indicator), n in repeated.items())
        lines.append(f"Some indicators are reported more than once for one district ({items}), from different "
                     "articles, dates or scopes: they are not summed.")
    if not ratios.empty:
        mixed = ratios[~ratios["is_same_source"].astype(bool)]
        if len(mixed):
            lines.append(f"{len(mixed)} of {len(ratios)} ratios combine figures from different sources or the "
                         "census (see each row's caveat).")
    return lines


# ============================================================================================================
# 04: reporting audit


def audit_for(claims: pd.DataFrame, *, rules: Sequence[str] = ("half_up", "truncate")) -> pd.DataFrame:
    from governance_study.metrics import audit_table

    return audit_table(claims, rules=tuple(rules))


def audit_display(audit: pd.DataFrame, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    names = {} if claims is None else dict(zip(claims["district_code"], claims["district_name_en"]))
    rows = []
    for r in audit.to_dict("records"):
        rows.append(
            {
                "Check": _text(r["check"]),
                "District": names.get(r["district_code"], _text(r["district_code"])),
                "Claim": _text(r["claim_id"]),
                "Reported": _text(r.get("reported_text")),
                "Numerator": _count(r.get("numerator")),
                "Denominator": _count(r.get("denominator")),
                "Rules passed": _text(r.get("rule_passed")),
                "Smallest denominator": _count(r.get("min_denominator")),
                "Flagged": bool(r["is_flagged"]),
                "Finding": _text(r["finding"]),
            }
        )
    return pd.DataFrame(rows)


def audit_summary(audit: pd.DataFrame, *, rules: Sequence[str] = ("half_up", "truncate")) -> list[str]:
    """The audit in plain words: how many rates were checked, which fail, then every flagged finding."""
    grim = audit[audit["check"] == "grim"]
    flagged = audit[audit["is_flagged"].fillna(False).astype(bool)]
    testable = grim[grim["rule_passed"].notna()]
    words = {"half_up": "half-up rounding", "truncate": "truncation"}
    lines = [
        f"{len(grim)} reported rate(s) checked under {' and '.join(words.get(r, r) for r in rules)}; "
        f"{len(testable)} could be tested against reported counts, the others only for the smallest denominator "
        "that could produce them.",
    ]
    if len(flagged) == 0:
        lines.append("No finding: every testable rate can arise from the reported counts under a rule tested.")
    else:
        lines.append(f"{len(flagged)} finding(s) flagged:")
        lines += [_text(f) for f in flagged["finding"]]
    return lines


# ============================================================================================================
# 05: district profile


@dataclass
class Profile:
    """Everything known about one district (or the city as a whole)."""

    code: str
    name_zh: str
    name_en: str
    pinyin: str
    population: int
    claims: pd.DataFrame
    resolution: pd.DataFrame
    participation: pd.DataFrame
    ratios: pd.DataFrame
    audit: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def title(self) -> str:
        return f"{self.name_zh} {self.name_en} ({self.code})"


def district_profile(district: str, claims: pd.DataFrame, districts: pd.DataFrame, sources: pd.DataFrame | None = None) -> Profile:
    """All figures of one district, given by code, Chinese, English or pinyin name or alias."""
    from governance_study.dataset.gazetteer import resolve_district
    from governance_study.metrics import audit_table, participation_table, ratio_table, resolution_table

    code = resolve_district(str(district), districts)
    row = districts[districts["district_code"] == code].iloc[0]
    own = claims[claims["district_code"].astype(str) == code].reset_index(drop=True)
    audit = audit_table(claims)
    return Profile(
        code=code,
        name_zh=str(row["name_zh"]),
        name_en=str(row["name_en"]),
        pinyin=str(row["name_pinyin"]),
        population=int(row["population_2020"]),
        claims=own,
        resolution=with_district_names(select_districts(resolution_table(claims), [code]), districts),
        participation=with_district_names(select_districts(participation_table(claims, districts), [code]), districts),
        ratios=with_district_names(select_districts(ratio_table(claims, districts), [code]), districts),
        audit=select_districts(audit, [code]),
        sources=pd.DataFrame() if sources is None else sources[sources["source_id"].isin(set(own["source_id"]))].reset_index(drop=True),
    )


def profile_summary(profile: Profile) -> list[str]:
    c = profile.claims
    if c.empty:
        return [f"No figure about {profile.name_en} in the corpus."]
    families = c.groupby("family").size()
    parts = ", ".join(f"{int(families[f])} {f}" for f in FAMILY_ORDER if f in families.index)
    lines = [
        f"{profile.name_en} ({profile.name_zh}, code {profile.code}): census population {profile.population:,} "
        f"(2020-11-01).",
        f"{len(c)} figure(s) from {c['source_id'].nunique()} article(s) published "
        f"{min(c['published'])} to {max(c['published'])}: {parts}.",
    ]
    with_rate = profile.resolution[profile.resolution["rate_pct"].notna()]
    if len(with_rate):
        lines.append(f"{len(with_rate)} resolution rate(s); {int(profile.resolution['ci_low_pct'].notna().sum())} with an interval.")
    flagged = profile.audit[profile.audit["is_flagged"].fillna(False).astype(bool)]
    if len(flagged):
        lines.append(f"The reporting audit flags {len(flagged)} finding(s) (below).")
    bounds = c[c["bound"].astype(str) != "exact"]
    if len(bounds):
        lines.append(f"{len(bounds)} figure(s) are bounds or approximations (余, 超过, 约), not exact counts.")
    return lines


def profile_facts(profile: Profile) -> pd.DataFrame:
    """Every figure of the district with its quote and source: the core table of a profile."""
    c = profile.claims.sort_values(["family", "indicator", "published", "claim_id"], key=lambda s: s.map({f: i for i, f in enumerate(FAMILY_ORDER)}) if s.name == "family" else s)
    rows = []
    for r in c.to_dict("records"):
        rows.append(
            {
                "Family": _text(r["family"]),
                "Indicator": _text(r["indicator_label_en"]),
                "Figure": _text(r["value_text"]),
                "Bound": BOUND_WORDS.get(_text(r["bound"]), _text(r["bound"])),
                "Channel": _text(r["channel"]),
                "Subunit": _text(r.get("subunit")),
                "Period": _period(r.get("period_start"), r.get("period_end")),
                "Quote": _text(r["quote"]),
                "Source": f"{_text(r['outlet'])}, {_text(r['published'])}",
                "Claim": _text(r["claim_id"]),
            }
        )
    return pd.DataFrame(rows)
