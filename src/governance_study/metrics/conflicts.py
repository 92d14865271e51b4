"""Pairs of statistics of one district that share a count: a conflict when they report different rates of
the same measure, channel and period; otherwise a ``shared_count`` note, never flagged.

Grain: one audit row per such pair (columns of :data:`.audit.AUDIT_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import pandas as pd

from governance_study.metrics.grouping import EXACT, Statistic, as_count, clean, indicator_words
from governance_study.metrics.resolution import reported_rate_text


def district_names(claims: pd.DataFrame) -> dict[str, str]:
    """district code -> "Heping (和平区)" from the claims' name columns, where the table carries them (the derived
    claims do; the metrics' example frames need not); codes without a name are left out."""
    names: dict[str, str] = {}
    en = claims["district_name_en"] if "district_name_en" in claims.columns else None
    zh = claims["district_name_zh"] if "district_name_zh" in claims.columns else None
    if en is None and zh is None:
        return names
    for i, code in enumerate(claims["district_code"].astype(object).tolist()):
        name_en = clean(en.iat[i]) if en is not None else None
        name_zh = clean(zh.iat[i]) if zh is not None else None
        if code is None or str(code) in names or (name_en is None and name_zh is None):
            continue
        names[str(code)] = f"{name_en} ({name_zh})" if name_en and name_zh else str(name_en or name_zh)
    return names


def conflict_rows(
    stats: list[Statistic], names: dict[str, str] | None, make_row: Callable[[Statistic, dict[str, Any], str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Pairs of statistics of one district sharing an exact count (value and unit) but not their closing rate.

    A *conflict* needs the same rate indicator, channel and period: then two rates describe one set of matters.
    Anything else (another channel, another measure such as an on-time closure rate, another period) is a
    ``shared_count`` note, never flagged. Statistics are bucketed by (district, role, count, unit) first, so the
    check stays linear in the number of statistics rather than comparing every pair.
    """
    buckets: dict[tuple[Any, ...], list[Statistic]] = {}
    for stat in stats:
        rate = stat.closing_rate
        if rate is None or rate["bound"] != EXACT or reported_rate_text(rate["value_text"]) is None:
            continue
        for role in ("received", "closed"):
            count = getattr(stat, role)
            if count is not None and count["bound"] == EXACT:
                key = (stat.first("district_code"), role, as_count(count["value"], count["claim_id"]), count["unit"])
                buckets.setdefault(key, []).append(stat)
    rows, seen = [], set()
    for (district, role, count, unit), members in buckets.items():
        for a, b in combinations(members, 2):
            rate_a, rate_b = a.closing_rate, b.closing_rate
            text_a, text_b = reported_rate_text(rate_a["value_text"]), reported_rate_text(rate_b["value_text"])
            if text_a == text_b or (a.statistic_id, b.statistic_id) in seen:
                continue
            seen.add((a.statistic_id, b.statistic_id))
            differs = [
                what
                for what, x, y in (
                    ("channel", a.first("channel"), b.first("channel")),
                    ("measure", rate_a["indicator"], rate_b["indicator"]),
                    ("period", (a.first("period_start"), a.first("period_end")), (b.first("period_start"), b.first("period_end"))),
                )
                if x != y
            ]
            row = make_row(a, rate_a, "shared_count" if differs else "conflict")
            row["is_flagged"] = not differs
            row["related_claim_id"] = rate_b["claim_id"]
            row["reported_text"] = text_a
            side = "denominator" if role == "received" else "numerator"
            row[side] = count
            row[f"{side}_claim_id"] = getattr(a, role)["claim_id"]
            where = (names or {}).get(str(district), f"District {district}")
            unit = unit or ""
            both = (
                f"{indicator_words(rate_a['indicator'])} {text_a}% ({rate_a['claim_id']}, channel {a.first('channel')}) and "
                f"{indicator_words(rate_b['indicator'])} {text_b}% ({rate_b['claim_id']}, channel {b.first('channel')})"
            )
            if differs:
                same_base = rate_a.get("rate_base") == rate_b.get("rate_base")
                row["finding"] = (
                    f"{where} reports {count}{unit} {role} in two statistics: {both}. Not a conflict: they differ in "
                    f"{' and '.join(differs)}"
                    + (
                        ", and would conflict only if both counted the same matters, which is not stated"
                        if same_base
                        else ", and the rates have different bases (an on-time closure rate is a share of the matters that "
                        "fell due, not of those received), so both can hold even if the counts are the same matters"
                    )
                    + ". No claim explains the equal count."
                )
            else:
                row["finding"] = (
                    f"Two statistics of {where.replace('District ', 'district ', 1)} report the same {count}{unit} {role} with different rates of the same "
                    f"measure, channel and period: {both}. At most one rate can describe one set of {count} matters."
                )
            rows.append(row)
    return rows
