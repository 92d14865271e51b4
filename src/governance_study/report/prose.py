"""Generated prose: findings, caveats and summaries written from the data, one sentence per item.

Every sentence is a claim a researcher may cite, so each states only numbers taken from its tables, and the
tests recompute them (``tests/test_findings.py`` checks all of their arithmetic). Grain: a list of sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from governance_study.metrics.grim import RULE_WORDS
from governance_study.report.selection import Outcome, Profile
from governance_study.report.wording import FAMILY_ORDER, as_text, period_text


def coverage_findings(coverage: pd.DataFrame) -> list[str]:
    """What the coverage shows, in sentences (counts from the data)."""
    per_district = coverage.groupby(["district_code", "district_name_zh", "district_pinyin"], as_index=False)["claim_count"].sum()
    with_data = per_district[per_district["claim_count"] > 0]
    without = per_district[per_district["claim_count"] == 0]
    total = int(per_district["claim_count"].sum())
    lines = [
        f"{total} claims cover {len(with_data)} of {len(per_district)} areas (16 districts and the city as a whole); "
        f"{len(without)} have no figure at all" + (f": {', '.join(without['district_pinyin'].astype(str))}." if len(without) else ".")
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


def resolution_caveats(resolution: pd.DataFrame, comparison: Outcome | None = None, glm: Outcome | None = None) -> list[str]:
    """What a reader must know before comparing these rates, written from the data."""
    n = len(resolution)
    if n == 0:
        return ["No resolution statistic matches the selection."]
    basis = resolution["rate_derivation"].astype(str).value_counts()
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
    with_counts = sorted(
        resolution.loc[resolution["closed_used"].notna() & resolution["received_used"].notna(), "district_code"].astype(str).unique()
    )
    names = dict(zip(resolution["district_code"].astype(str), resolution.get("district_pinyin", resolution["district_code"]).astype(str)))
    lines.append(
        f"Districts in the selection: {', '.join(names[c] for c in codes)}; with counts that allow an interval: "
        f"{', '.join(names[c] for c in with_counts) or 'none'}."
    )
    periods = sorted({period_text(s, e) for s, e in zip(resolution["period_start"], resolution["period_end"])})
    if len(periods) > 1:
        lines.append(
            f"The statistics cover {len(periods)} different periods ({'; '.join(periods)}): a rate over "
            "a quarter and a rate over nine months are not like for like."
        )
    channels = sorted(resolution["channel"].dropna().astype(str).unique())
    if len(channels) > 1:
        lines.append(
            f"{len(channels)} channels ({', '.join(channels)}): a grid, a petition office and a mediation "
            "centre receive different kinds of request, so their rates differ by design."
        )
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
        if comparison.result is None:
            lines.append(f"No pairwise comparison between districts: {comparison.reason}.")
        else:
            t = comparison.result
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


def participation_caveats(participation: pd.DataFrame, ratios: pd.DataFrame, *, per: int = 10_000) -> list[str]:
    """What a reader must know before comparing these intensities and ratios, written from the data."""
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
        lines.append(
            f"{len(subunit)} figure(s) describe a street, community, park or zone with no census population here: listed, not divided."
        )
    if len(kept_out):
        lines.append(
            f"{len(kept_out)} whole-district figure(s) ({', '.join(sorted(set(kept_out['indicator'].astype(str))))}) "
            "are listed, not divided: the vocabulary keeps these indicators out of per-resident figures "
            "(they serve part of a district, or firms rather than residents)."
        )
    repeated = participation.groupby(["district_code", "indicator"]).size()
    repeated = repeated[repeated > 1]
    if len(repeated):
        items = ", ".join(f"{code} {indicator} ({n}x)" for (code, indicator), n in repeated.items())
        lines.append(
            f"Some indicators are reported more than once for one district ({items}), from different "
            "articles, dates or scopes: they are not summed."
        )
    if not ratios.empty:
        mixed = ratios[~ratios["is_same_source"].astype(bool)]
        if len(mixed):
            lines.append(
                f"{len(mixed)} of {len(ratios)} ratios combine figures from different sources or the census (see each row's caveat)."
            )
    return lines


def audit_summary(audit: pd.DataFrame, *, rules: Sequence[str] = ("half_up", "truncate")) -> list[str]:
    """The audit in plain words: how many rates were checked, which fail, then every flagged finding."""
    grim = audit[audit["check"] == "grim"]
    flagged = audit[audit["is_flagged"].fillna(False).astype(bool)]
    testable = grim[grim["rule_passed"].notna()]
    lines = [
        f"{len(grim)} reported rate(s) checked under {' and '.join(RULE_WORDS.get(r, r) for r in rules)}; "
        f"{len(testable)} could be tested against reported counts, the others only for the smallest denominator "
        "that could produce them."
    ]
    if len(flagged) == 0:
        lines.append("No finding: every testable rate can arise from the reported counts under a rule tested.")
    else:
        lines.append(f"{len(flagged)} finding(s) flagged:")
        lines += [as_text(f) for f in flagged["finding"]]
    return lines


def profile_summary(profile: Profile) -> list[str]:
    """A district's profile in a few sentences: population, figures by family, rates, audit flags, bounds."""
    c = profile.claims
    if c.empty:
        return [f"No figure about {profile.name_en} in the corpus."]
    families = c.groupby("family").size()
    parts = ", ".join(f"{int(families[f])} {f}" for f in FAMILY_ORDER if f in families.index)
    lines = [
        f"{profile.name_en} ({profile.name_zh}, code {profile.code}): census population {profile.population:,} (2020-11-01).",
        f"{len(c)} figure(s) from {c['source_id'].nunique()} article(s) published {min(c['published'])} to {max(c['published'])}: {parts}.",
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
