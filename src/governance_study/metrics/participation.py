"""Participation and capacity: counts per resident (census 2020), and ratios between indicators of one district.

Bounds stay bounds. 9.5万余件 is "at least 95,000", so anything divided from it by an exact number is "at least"
too; divided *by* it, "at most". The census population (2020-11-01, Seventh National Population Census) is the
only population used: an article's own population figure describes a subunit at another date.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any

import pandas as pd

from governance_study.metrics.grouping import CLAIM_COLUMNS, ClaimsError, records, require_columns
from governance_study.metrics.schemas import ParticipationSchema, RatioSchema

#: Indicator families whose counts are expressed per resident.
PARTICIPATION_FAMILIES: tuple[str, ...] = ("participation", "capacity")

#: The census population: what ``source_id`` and the period of a ratio's population side say.
CENSUS_SOURCE_ID = "census-2020"
CENSUS_DATE = "2020-11-01"
POPULATION = "census_population"

_LOWER = ("at_least", "more_than")


def per_resident_comparable(claim: dict[str, Any]) -> bool:
    """Whether the vocabulary lets the claim's indicator be divided by the district's population and enter
    whole-district ratios (indicators.csv ``is_per_resident_comparable``; false e.g. for cadres stationed in some
    villages, who serve part of the district).

    >>> per_resident_comparable({"is_per_resident_comparable": "False"})
    False
    """
    return str(claim.get("is_per_resident_comparable")).lower() == "true"


def per_column_name(per: int) -> str:
    """Name of the intensity column for counts per ``per`` residents: ``per_10k`` for the study's 10,000.

    >>> per_column_name(10_000), per_column_name(1_000), per_column_name(1_000_000), per_column_name(500)
    ('per_10k', 'per_1k', 'per_1m', 'per_500')
    """
    if per < 1 or int(per) != per:
        raise ValueError(f"per must be a whole number of residents of at least 1, got {per!r}")
    for size, suffix in ((1_000_000, "m"), (1_000, "k")):
        if per >= size and per % size == 0:
            return f"per_{per // size}{suffix}"
    return f"per_{per}"


def _populations(districts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    require_columns(districts, ["district_code", "name_zh", "name_en", "population_2020"], "districts")
    out = {}
    for row in records(districts):
        population = pd.to_numeric(row["population_2020"], errors="coerce")
        if pd.isna(population) or population <= 0:
            raise ClaimsError(
                f"districts: district {row['district_code']} has population_2020 {row['population_2020']!r}; "
                "need a positive whole number (census 2020)"
            )
        out[str(row["district_code"])] = {**row, "population": int(population)}
    return out


def participation_table(claims: pd.DataFrame, districts: pd.DataFrame, *, per: int = 10_000) -> pd.DataFrame:
    """Participation and capacity counts per resident. One row per claim of family participation or capacity,
    sorted by district code, indicator and claim id.

    Columns: ``claim_id, source_id, district_code, district_name_zh, district_name_en, subunit, indicator,
    channel, family, value, value_text, bound`` (of the claim), ``is_lower_bound`` (bound is at_least or more_than),
    ``unit``, ``population`` (census 2020 resident population of the district; missing for a subunit's figure),
    ``per`` (the ``per`` argument), the intensity column named by :func:`per_column_name` (``per_10k`` by
    default; it carries the claim's bound: at least, more than or about), ``period_start, period_end``,
    ``caveat`` (what the number is not).

    Formula: ``per_10k = value / population * per``.
    Reference: Tianjin Seventh National Population Census bulletin (2021), resident population 2020-11-01.

    >>> from governance_study.metrics.examples import claim, claims_frame
    >>> claims = claims_frame([claim("b-grids", "grids", "6926个", district_code="120116")])
    >>> districts = pd.DataFrame({"district_code": ["120116"], "name_zh": ["滨海新区"],
    ...                           "name_en": ["Binhai New Area"], "population_2020": ["2067318"]})
    >>> round(float(participation_table(claims, districts)["per_10k"].iloc[0]), 2)
    33.5
    """
    require_columns(claims, CLAIM_COLUMNS, "claims")
    column = per_column_name(per)
    populations = _populations(districts)
    rows = []
    for claim in records(claims):
        if claim["family"] not in PARTICIPATION_FAMILIES:
            continue
        district = _district(populations, claim)
        divisible = not claim["subunit"] and per_resident_comparable(claim)
        population = district["population"] if divisible else None
        caveats = _caveats(claim, per)
        rows.append({
            "claim_id": claim["claim_id"], "source_id": claim["source_id"], "district_code": claim["district_code"],
            "district_name_zh": district["name_zh"], "district_name_en": district["name_en"],
            "subunit": claim["subunit"], "indicator": claim["indicator"], "channel": claim["channel"],
            "family": claim["family"],
            "value": float(claim["value"]), "value_text": claim["value_text"], "bound": claim["bound"],
            "is_lower_bound": claim["bound"] in _LOWER, "unit": claim["unit"], "population": population,
            "per": per, column: None if population is None else float(claim["value"]) / population * per,
            "period_start": claim["period_start"], "period_end": claim["period_end"],
            "caveat": " ".join(caveats) if caveats else None,
        })
    columns = [*_PARTICIPATION_TEXT, "population", "per", column, "period_start", "period_end", "caveat"]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values(["district_code", "indicator", "claim_id"], kind="stable").reset_index(drop=True)
    for name in columns:
        if name in ("population", "per"):
            table[name] = pd.array(table[name].tolist(), dtype="Int64")
        elif name in ("value", column):
            table[name] = pd.array(table[name].tolist(), dtype="Float64").astype("float64")
        elif name == "is_lower_bound":
            table[name] = table[name].astype(bool)
        else:
            table[name] = table[name].astype("string")
    schema = ParticipationSchema.to_schema()
    if column != "per_10k":
        schema = schema.rename_columns({"per_10k": column})
    return schema.validate(table)


_PARTICIPATION_TEXT = (
    "claim_id", "source_id", "district_code", "district_name_zh", "district_name_en", "subunit", "indicator",
    "channel", "family", "value", "value_text", "bound", "is_lower_bound", "unit",
)


#: What makes two per-resident figures like for like: the same indicator counted in the same channel and unit
#: (Heping's 77 units sent into communities to publicise and Binhai's 200 market entities are both
#: "organisations engaged", but in different channels, so they are not set side by side).
LIKE_FOR_LIKE: tuple[str, ...] = ("indicator", "channel", "unit")


def comparable_across_districts(participation: pd.DataFrame, *, per: int = 10_000) -> pd.DataFrame:
    """The rows of :func:`participation_table` that can be compared across districts. One row per claim whose
    indicator, channel and unit (:data:`LIKE_FOR_LIKE`) at least one *other* district also reports with a
    per-resident intensity; city-wide (120000) and subunit figures are left out. Adds ``comparison``, the
    like-for-like key as text ("grids / grid / 个"), and sorts by it, then by intensity, highest first.

    >>> from governance_study.metrics.examples import claim, claims_frame
    >>> claims = claims_frame([claim("h", "grids", "1475个", district_code="120103", channel="grid"),
    ...                        claim("b", "grids", "6926个", district_code="120116", channel="grid"),
    ...                        claim("x", "grid_workers", "864名", district_code="120101", channel="grid")])
    >>> districts = pd.DataFrame({"district_code": ["120101", "120103", "120116"], "name_zh": ["和平区", "河西区", "滨海新区"],
    ...     "name_en": ["Heping", "Hexi", "Binhai New Area"], "population_2020": [355000, 822174, 2067318]})
    >>> comparable_across_districts(participation_table(claims, districts))["claim_id"].tolist()
    ['b', 'h']
    """
    column = per_column_name(per)
    rows = participation[participation[column].notna() & (participation["district_code"].astype(str) != "120000")
                         & participation["subunit"].isna()].copy()
    keys = [" / ".join(str(v) for v in key) for key in rows[list(LIKE_FOR_LIKE)].itertuples(index=False, name=None)]
    rows["comparison"] = pd.array(keys, dtype="string")
    spread = rows.groupby("comparison")["district_code"].transform("nunique")
    rows = rows[spread >= 2]
    return rows.sort_values(["comparison", column], ascending=[True, False], kind="stable").reset_index(drop=True)


def _district(populations: dict[str, dict[str, Any]], claim: dict[str, Any]) -> dict[str, Any]:
    code = str(claim["district_code"])
    if code not in populations:
        raise ClaimsError(
            f"claim {claim['claim_id']}: district_code {code} is not in the districts table "
            f"({len(populations)} codes); add it with its census population or correct the claim"
        )
    return populations[code]


def _caveats(claim: dict[str, Any], per: int) -> list[str]:
    out = []
    bound = claim["bound"]
    # the bound carries over to the intensity only where there is one
    also = "; so is the intensity" if not claim["subunit"] and per_resident_comparable(claim) else ""
    if bound == "at_least":
        out.append(f"{claim['value_text']} is a lower bound (at least {claim['value']:,.0f}){also}.")
    elif bound == "more_than":
        out.append(f"{claim['value_text']} is a strict lower bound (more than {claim['value']:,.0f}){also}.")
    elif bound == "approx":
        out.append(f"{claim['value_text']} is approximate{also}.")
    if claim["subunit"]:
        out.append(f"The figure is for {claim['subunit']}, not the whole district: no per-resident intensity, "
                   "because the district's population is not its base.")
    elif not per_resident_comparable(claim):
        out.append(f"No per-resident intensity: the vocabulary keeps {str(claim['indicator']).replace('_', ' ')} out "
                   "of per-resident figures and ratios of the whole district (they serve part of it, or firms "
                   "rather than residents).")
    if claim["unit"] == "人次":
        out.append("Person-times (人次): one person taking part twice counts twice; not a share of residents.")
    if claim["district_code"] == "120000":
        out.append("A city-wide figure, expressed per resident of the whole city.")
    if claim["period_end"] and claim["period_end"] != CENSUS_DATE and not claim["subunit"] and per_resident_comparable(claim):
        out.append(f"Population from the census of {CENSUS_DATE}; the figure is stated for {claim['period_end']}.")
    return out


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

RATIO_COLUMNS: tuple[str, ...] = (
    "district_code", "subunit", "ratio", "meaning", "numerator_indicator", "denominator_indicator",
    "numerator_claim_id", "denominator_claim_id", "numerator_value", "denominator_value", "numerator_bound",
    "denominator_bound", "ratio_value", "ratio_bound", "numerator_source_id", "denominator_source_id",
    "numerator_period_start", "numerator_period_end", "denominator_period_start", "denominator_period_end",
    "is_same_period", "is_same_source", "caveat", "comparable_with", "is_comparable_across_districts",
    "comparability",
)


def ratio_bound(numerator_bound: str, denominator_bound: str) -> str:
    """What a ratio of two bounded numbers is: a lower bound over an exact number is a lower bound, an exact
    number over a lower bound an upper bound, two lower bounds nothing ("indeterminate").

    >>> ratio_bound("at_least", "exact"), ratio_bound("exact", "at_least"), ratio_bound("at_least", "at_least")
    ('at_least', 'at_most', 'indeterminate')
    """
    pair = (numerator_bound, denominator_bound)
    if pair == ("exact", "exact"):
        return "exact"
    if numerator_bound in _LOWER and denominator_bound == "exact":
        return numerator_bound
    if numerator_bound == "exact" and denominator_bound in _LOWER:
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
    populations = _populations(districts)
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
            numerators = [_census_claim(code, _district(populations, denominators[0]))] if denominators else []
        else:
            numerators = by_key.get((code, subunit, definition.numerator), [])
        for num, den in product(numerators, denominators):
            if float(den["value"]) > 0:
                rows.append(_ratio_row(definition, num, den))
    _add_comparability(rows, populations)
    table = pd.DataFrame(rows, columns=list(RATIO_COLUMNS))
    table = table.sort_values(["district_code", "ratio", "numerator_claim_id", "denominator_claim_id"],
                              kind="stable", na_position="first").reset_index(drop=True)
    for name in RATIO_COLUMNS:
        if name in ("numerator_value", "denominator_value", "ratio_value"):
            table[name] = table[name].astype("float64")
        elif name in ("is_same_period", "is_same_source", "is_comparable_across_districts"):
            table[name] = table[name].astype(bool)
        else:
            table[name] = table[name].astype("string")
    return RatioSchema.validate(table)


def _census_claim(code: str, district: dict[str, Any]) -> dict[str, Any]:
    return {"claim_id": None, "indicator": POPULATION, "value": float(district["population"]),
            "value_text": f"{district['population']:,}", "bound": "exact", "source_id": CENSUS_SOURCE_ID,
            "period_start": None, "period_end": CENSUS_DATE, "district_code": code}


def _ratio_row(definition: RatioDefinition, num: dict[str, Any], den: dict[str, Any]) -> dict[str, Any]:
    same_period = (num["period_start"], num["period_end"]) == (den["period_start"], den["period_end"])
    same_source = num["source_id"] == den["source_id"]
    bound = ratio_bound(num["bound"], den["bound"])
    caveats = []
    if not same_source:
        caveats.append(f"Numerator and denominator come from different sources ({num['source_id']}, "
                       f"{den['source_id']}).")
    if not same_period:
        caveats.append(f"They describe different dates ({_period(num)} and {_period(den)}): the ratio mixes two "
                       "moments.")
    if bound != "exact":
        caveats.append(f"The ratio is {bound.replace('_', ' ')} ({num['value_text']} over {den['value_text']}).")
    if not caveats:
        caveats.append("Same source and date, exact counts.")
    return {
        "district_code": num["district_code"], "subunit": den.get("subunit"), "ratio": definition.ratio,
        "meaning": definition.meaning, "numerator_indicator": definition.numerator,
        "denominator_indicator": definition.denominator, "numerator_claim_id": num["claim_id"],
        "denominator_claim_id": den["claim_id"], "numerator_value": float(num["value"]),
        "denominator_value": float(den["value"]), "numerator_bound": num["bound"], "denominator_bound": den["bound"],
        "ratio_value": float(num["value"]) / float(den["value"]), "ratio_bound": bound,
        "numerator_source_id": num["source_id"], "denominator_source_id": den["source_id"],
        "numerator_period_start": num["period_start"], "numerator_period_end": num["period_end"],
        "denominator_period_start": den["period_start"], "denominator_period_end": den["period_end"],
        "is_same_period": same_period, "is_same_source": same_source, "caveat": " ".join(caveats),
    }


def _period(claim: dict[str, Any]) -> str:
    return f"{claim['period_start']} to {claim['period_end']}" if claim["period_start"] else str(claim["period_end"])


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
            differs.append(f"the {side}s come from a {_source_type(a[f'{side}_source_id'])} and a "
                           f"{_source_type(b[f'{side}_source_id'])}")
        ya, yb = _year(a[f"{side}_period_end"]), _year(b[f"{side}_period_end"])
        if ya != yb:
            differs.append(f"the {side}s are dated {ya} and {yb}")
    return differs


def _add_comparability(rows: list[dict[str, Any]], populations: dict[str, dict[str, Any]]) -> None:
    """Fill each row's verdict against the rows of the same ratio in other districts (city-wide rows included)."""
    by_ratio: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_ratio.setdefault(row["ratio"], []).append(row)
    for row in rows:
        # districts only, as in comparable_across_districts: a city-wide figure is not a district's
        others = [o for o in by_ratio[row["ratio"]]
                  if o["district_code"] != row["district_code"] and not o["subunit"] and not row["subunit"]
                  and "120000" not in (o["district_code"], row["district_code"])]
        like = sorted({o["district_code"] for o in others if not ratio_comparability(row, o)})
        row["comparable_with"] = ";".join(like) if like else None
        row["is_comparable_across_districts"] = bool(like)
        name = lambda code: str(populations.get(code, {}).get("name_en", code))  # noqa: E731
        if row["subunit"]:
            row["comparability"] = f"A figure for {row['subunit']}, not a whole district: not compared across districts."
        elif like:
            row["comparability"] = (f"Like for like with {', '.join(name(c) for c in like)}: same indicators, figures "
                                    "of the same kind (census or article) and of the same year on each side; each "
                                    "figure's note says how its article counts it.")
        elif others:
            unlike = sorted({o["district_code"] for o in others})
            reasons = sorted({r for o in others for r in ratio_comparability(row, o)})
            row["comparability"] = (f"Not like for like with {', '.join(name(c) for c in unlike)}: "
                                    f"{'; '.join(reasons)}.")
        else:
            row["comparability"] = "No other district reports this ratio: nothing to compare it with."
