"""Ratios between indicators of one district (cadres per grid, residents per grid worker), with bounds and a
verdict of comparability against the same ratio in other districts.

Grain: one row per ratio per pair of claims (or claim and census population) of one district and subunit.
Bounds carry over: a lower bound over an exact number is a lower bound; an exact number over it, an upper bound.
Indicators the vocabulary keeps out of whole-district ratios (``is_per_resident_comparable`` false) never enter.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any

import pandas as pd

from governance_study.metrics.grouping import CLAIM_COLUMNS, records, require_columns
from governance_study.metrics.participation import (
    CENSUS_DATE,
    CENSUS_SOURCE_ID,
    POPULATION,
    census_populations,
    district_of,
    per_resident_comparable,
)
from governance_study.metrics.schemas import RatioSchema
from governance_study.vocabulary import CITY_CODE, LOWER_BOUNDS, period_text


@dataclass(frozen=True)
class RatioDefinition:
    """A ratio between two indicators of one district that means something; ``census_population`` is the
    census resident population."""

    ratio: str
    numerator: str
    denominator: str
    meaning: str


#: The ratios computed by :func:`ratio_table`. Others (volunteer participations per grid, ...) mix things that
#: are counted on different bases and are left out on purpose.
# fmt: off
RATIOS: tuple[RatioDefinition, ...] = (
    RatioDefinition("cadres_in_grids_per_grid", "cadres_in_grids", "grids",
                    "party members and cadres rooted in grids, per grid"),
    RatioDefinition("cadres_sent_down_per_grid", "cadres_sent_down", "grids",
                    "party members and cadres sent down to communities, per grid"),
    RatioDefinition("grid_workers_per_grid", "grid_workers", "grids", "grid workers per grid"),
    RatioDefinition("residents_per_grid", POPULATION, "grids", "census residents per grid"),
    RatioDefinition("residents_per_grid_worker", POPULATION, "grid_workers", "census residents per grid worker"),
    RatioDefinition("residents_per_part_time_grid_worker", POPULATION, "part_time_grid_workers",
                    "census residents per part-time (volunteer) grid worker"),
    RatioDefinition("residents_per_cadre_sent_down", POPULATION, "cadres_sent_down",
                    "census residents per party member or cadre sent down"),
)
# fmt: on

# fmt: off
RATIO_COLUMNS: tuple[str, ...] = (
    "district_code", "subunit", "ratio", "meaning", "numerator_indicator", "denominator_indicator",
    "numerator_claim_id", "denominator_claim_id", "numerator_value", "denominator_value", "numerator_bound",
    "denominator_bound", "ratio_value", "ratio_bound", "numerator_source_id", "denominator_source_id",
    "numerator_period_start", "numerator_period_end", "denominator_period_start", "denominator_period_end",
    "is_same_period", "is_same_source", "caveat", "comparable_with", "is_comparable_across_districts",
    "comparability",
)
# fmt: on


def ratio_bound(numerator_bound: str, denominator_bound: str) -> str:
    """What a ratio of two bounded numbers is: a lower bound over an exact number is a lower bound, an exact
    number over a lower bound an upper bound, two lower bounds nothing ("indeterminate").

    >>> ratio_bound("at_least", "exact"), ratio_bound("exact", "at_least"), ratio_bound("at_least", "at_least")
    ('at_least', 'at_most', 'indeterminate')
    """
    pair = (numerator_bound, denominator_bound)
    if pair == ("exact", "exact"):
        return "exact"
    if numerator_bound in LOWER_BOUNDS and denominator_bound == "exact":
        return numerator_bound
    if numerator_bound == "exact" and denominator_bound in LOWER_BOUNDS:
        return "at_most" if denominator_bound == "at_least" else "less_than"
    if set(pair) <= {"exact", "approx"}:
        return "approx"
    return "indeterminate"


def ratio_table(claims: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Ratios between indicators of one district (:data:`RATIOS`). One row per ratio per pair of claims (or claim
    and census population) of the same district and subunit, sorted by district code, ratio and claim ids.

    Columns: ``district_code, subunit, ratio, meaning``; ``numerator_/denominator_`` ``indicator, claim_id``
    (missing for the census), ``value, bound, source_id`` (``census-2020`` for the census), ``period_start,
    period_end`` (the census: 2020-11-01); ``ratio_value`` and ``ratio_bound`` (:func:`ratio_bound`);
    ``is_same_period`` (same start and end), ``is_same_source``; ``caveat``, a sentence naming what differs.
    Each figure of the numerator's indicator is paired with the denominator figure nearest in date (ties: same
    source), and the census with every denominator figure: one row per figure, never every pair.
    Across districts (:func:`ratio_comparability`): ``comparable_with`` (codes of the other districts whose row of
    the same ratio is like for like, ``;``-separated), ``is_comparable_across_districts``, and ``comparability``,
    the verdict in words. Indicators the vocabulary keeps out of whole-district ratios are left out.

    Formula: ``ratio_value = numerator_value / denominator_value``.
    Reference: census 2020 populations as in :func:`participation_table`.

    >>> from governance_study.metrics.examples import claim, claims_frame
    >>> claims = claims_frame([claim("h-grid-workers", "grid_workers", "864名")])
    >>> districts = pd.DataFrame({"district_code": ["120101"], "name_zh": ["和平区"], "name_en": ["Heping"],
    ...                           "population_2020": [355000]})
    >>> row = ratio_table(claims, districts).iloc[0]
    >>> row["ratio"], round(float(row["ratio_value"]), 1), bool(row["is_same_source"])
    ('residents_per_grid_worker', 410.9, False)
    """
    require_columns(claims, CLAIM_COLUMNS, "claims")
    populations = census_populations(districts)
    by_key: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for claim in records(claims):
        if not per_resident_comparable(claim):
            continue  # the vocabulary keeps it out of whole-district ratios
        by_key.setdefault((str(claim["district_code"]), claim["subunit"], claim["indicator"]), []).append(claim)
    rows = []
    for (code, subunit), definition in product(sorted({k[:2] for k in by_key}, key=str), RATIOS):
        denominators = by_key.get((code, subunit, definition.denominator), [])
        if definition.numerator == POPULATION:
            if subunit is not None:
                continue  # the census gives districts, not streets or parks
            numerators = [_census_claim(code, district_of(populations, denominators[0]))] if denominators else []
        else:
            numerators = by_key.get((code, subunit, definition.numerator), [])
        usable = [d for d in denominators if float(d["value"]) > 0]
        if definition.numerator == POPULATION:
            pairs = [(numerators[0], den) for den in usable] if numerators and usable else []
        else:
            # each figure with the other indicator's figure nearest in date: one row per figure, so the table
            # grows with the claims, not with their product (10,000 claims of one district made 25 s and GBs)
            by_date = _ByDate(usable) if usable else None
            pairs = [(num, by_date.nearest(num)) for num in numerators] if by_date else []
        rows.extend(_ratio_row(definition, num, den) for num, den in pairs)
    _add_comparability(rows, populations)
    table = pd.DataFrame(rows, columns=list(RATIO_COLUMNS))
    table = table.sort_values(
        ["district_code", "ratio", "numerator_claim_id", "denominator_claim_id"], kind="stable", na_position="first"
    ).reset_index(drop=True)
    for name in RATIO_COLUMNS:
        if name in ("numerator_value", "denominator_value", "ratio_value"):
            table[name] = table[name].astype("float64")
        elif name in ("is_same_period", "is_same_source", "is_comparable_across_districts"):
            table[name] = table[name].astype(bool)
        else:
            table[name] = table[name].astype("string")
    return RatioSchema.validate(table)


class _ByDate:
    """Figures of one indicator indexed by the day they are stated for, to find the one nearest a date in
    O(log n) (a scan per figure made the ratio table quadratic)."""

    def __init__(self, claims: list[dict[str, Any]]):
        # per day: the first figure by claim id, and the first of each source (the tie rules of ``nearest``)
        self.first: dict[int, dict[str, Any]] = {}
        self.first_of_source: dict[tuple[int, Any], dict[str, Any]] = {}
        for c in sorted(claims, key=lambda c: str(c["claim_id"])):
            day = _day(c)
            self.first.setdefault(day, c)
            self.first_of_source.setdefault((day, c["source_id"]), c)
        self.days = sorted(self.first)

    def nearest(self, claim: dict[str, Any]) -> dict[str, Any]:
        """The figure stated nearest in date to ``claim``; ties: the same source, then the smaller claim id, so
        the choice never depends on row order."""
        from bisect import bisect_left

        target = _day(claim)
        i = bisect_left(self.days, target)
        near = self.days[max(0, i - 1) : i + 1]
        best = min(abs(d - target) for d in near)
        days = [d for d in near if abs(d - target) == best]
        same = [self.first_of_source[(d, claim["source_id"])] for d in days if (d, claim["source_id"]) in self.first_of_source]
        return min(same or [self.first[d] for d in days], key=lambda c: str(c["claim_id"]))


def _day(claim: dict[str, Any]) -> int:
    from datetime import date

    return date.fromisoformat(str(claim["period_end"])).toordinal()


def _census_claim(code: str, district: dict[str, Any]) -> dict[str, Any]:
    return {
        "claim_id": None,
        "indicator": POPULATION,
        "value": float(district["population"]),
        "value_text": f"{district['population']:,}",
        "bound": "exact",
        "source_id": CENSUS_SOURCE_ID,
        "period_start": None,
        "period_end": CENSUS_DATE,
        "district_code": code,
    }


def _ratio_row(definition: RatioDefinition, num: dict[str, Any], den: dict[str, Any]) -> dict[str, Any]:
    same_period = (num["period_start"], num["period_end"]) == (den["period_start"], den["period_end"])
    same_source = num["source_id"] == den["source_id"]
    bound = ratio_bound(num["bound"], den["bound"])
    caveats = []
    if not same_source:
        caveats.append(f"Numerator and denominator come from different sources ({num['source_id']}, {den['source_id']}).")
    if not same_period:
        caveats.append(f"They describe different dates ({_period(num)} and {_period(den)}): the ratio mixes two moments.")
    if bound != "exact":
        caveats.append(f"The ratio is {bound.replace('_', ' ')} ({num['value_text']} over {den['value_text']}).")
    if not caveats:
        caveats.append("Same source and date, exact counts.")
    return {
        "district_code": num["district_code"],
        "subunit": den.get("subunit"),
        "ratio": definition.ratio,
        "meaning": definition.meaning,
        "numerator_indicator": definition.numerator,
        "denominator_indicator": definition.denominator,
        "numerator_claim_id": num["claim_id"],
        "denominator_claim_id": den["claim_id"],
        "numerator_value": float(num["value"]),
        "denominator_value": float(den["value"]),
        "numerator_bound": num["bound"],
        "denominator_bound": den["bound"],
        "ratio_value": float(num["value"]) / float(den["value"]),
        "ratio_bound": bound,
        "numerator_source_id": num["source_id"],
        "denominator_source_id": den["source_id"],
        "numerator_period_start": num["period_start"],
        "numerator_period_end": num["period_end"],
        "denominator_period_start": den["period_start"],
        "denominator_period_end": den["period_end"],
        "is_same_period": same_period,
        "is_same_source": same_source,
        "caveat": " ".join(caveats),
    }


def _period(claim: dict[str, Any]) -> str:
    return period_text(claim["period_start"], claim["period_end"])


def _source_type(source_id: str) -> str:
    return "census" if source_id == CENSUS_SOURCE_ID else "article"


def _year(date: Any) -> str:
    return str(date)[:4] if date else "undated"


def ratio_comparability(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between two rows of one ratio from different districts; empty: like for like.

    The ratio id fixes the indicator definitions on both sides (grid workers and part-time grid workers are
    different ratios, so never compared). Beyond that: the same kind of source on each side (census or article)
    and the same calendar year of each side's date, since stocks and flows stated years apart describe
    different moments.

    >>> a = {"numerator_source_id": "census-2020", "denominator_source_id": "x", "numerator_period_end": "2020-11-01",
    ...      "denominator_period_end": "2021-03-19"}
    >>> ratio_comparability(a, {**a, "denominator_period_end": "2023-12-16"})
    ['the denominators are dated 2021 and 2023']
    """
    differs = []
    for side in ("numerator", "denominator"):
        if _source_type(a[f"{side}_source_id"]) != _source_type(b[f"{side}_source_id"]):
            differs.append(f"the {side}s come from a {_source_type(a[f'{side}_source_id'])} and a {_source_type(b[f'{side}_source_id'])}")
        ya, yb = _year(a[f"{side}_period_end"]), _year(b[f"{side}_period_end"])
        if ya != yb:
            differs.append(f"the {side}s are dated {ya} and {yb}")
    return differs


def _comparability_key(row: dict[str, Any]) -> tuple[str, ...]:
    """What two rows of one ratio must share to be like for like (:func:`ratio_comparability` is empty)."""
    return tuple(
        part for side in ("numerator", "denominator") for part in (_source_type(row[f"{side}_source_id"]), _year(row[f"{side}_period_end"]))
    )


def _add_comparability(rows: list[dict[str, Any]], populations: dict[str, dict[str, Any]]) -> None:
    """Fill each row's verdict against the rows of the same ratio in other districts. Rows are bucketed by ratio
    and comparability key, so the work grows with the rows, not with their pairs."""
    # districts only, as in comparable_across_districts: a city-wide or subunit figure is not a district's
    districts_by: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    keys_by_ratio: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {}
    for row in rows:
        if row["subunit"] or row["district_code"] == CITY_CODE:
            continue
        key = _comparability_key(row)
        districts_by.setdefault((row["ratio"], key), set()).add(row["district_code"])
        keys_by_ratio.setdefault(row["ratio"], {}).setdefault(key, row)

    def name(code: str) -> str:
        return str(populations.get(code, {}).get("name_en", code))

    for row in rows:
        if row["subunit"] or row["district_code"] == CITY_CODE:
            row["comparable_with"], row["is_comparable_across_districts"] = None, False
            row["comparability"] = (
                f"A figure for {row['subunit']}, not a whole district: not compared across districts."
                if row["subunit"]
                else "A city-wide figure: not compared with districts."
            )
            continue
        key = _comparability_key(row)
        like = sorted(districts_by[(row["ratio"], key)] - {row["district_code"]})
        row["comparable_with"] = ";".join(like) if like else None
        row["is_comparable_across_districts"] = bool(like)
        unlike: set[str] = set()
        reasons: set[str] = set()
        for other_key, example in keys_by_ratio[row["ratio"]].items():
            others = districts_by[(row["ratio"], other_key)] - {row["district_code"]}
            if other_key != key and others:
                unlike |= others
                reasons |= set(ratio_comparability(row, example))
        if like:
            row["comparability"] = (
                f"Like for like with {', '.join(name(c) for c in like)}: same indicators, figures "
                "of the same kind (census or article) and of the same year on each side; each "
                "figure's note says how its article counts it."
            )
        elif unlike:
            row["comparability"] = f"Not like for like with {', '.join(name(c) for c in sorted(unlike))}: {'; '.join(sorted(reasons))}."
        else:
            row["comparability"] = "No other district reports this ratio: nothing to compare it with."
