"""Participation and capacity: counts per resident (census 2020), and ratios between indicators of one district.

Bounds stay bounds. 9.5万余件 is "at least 95,000", so anything divided from it by an exact number is "at least"
too; divided *by* it, "at most". The census population (2020-11-01, Seventh National Population Census) is the
only population used: an article's own population figure describes a subunit at another date.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from governance_study.metrics.grouping import CLAIM_COLUMNS, ClaimsError, records, require_columns
from governance_study.metrics.schemas import ParticipationSchema
from governance_study.vocabulary import CITY_CODE, LOWER_BOUNDS, PER_RESIDENT_FAMILIES

#: The census population: what ``source_id`` and the period of a ratio's population side say.
CENSUS_SOURCE_ID = "census-2020"
CENSUS_DATE = "2020-11-01"
POPULATION = "census_population"


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


def census_populations(districts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """district code -> its gazetteer row with ``population`` (census 2020, int); ClaimsError on a bad population."""
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
    populations = census_populations(districts)
    rows = []
    for claim in records(claims):
        if claim["family"] not in PER_RESIDENT_FAMILIES:
            continue
        district = district_of(populations, claim)
        divisible = not claim["subunit"] and per_resident_comparable(claim)
        population = district["population"] if divisible else None
        caveats = _caveats(claim, per)
        rows.append(
            {
                "claim_id": claim["claim_id"],
                "source_id": claim["source_id"],
                "district_code": claim["district_code"],
                "district_name_zh": district["name_zh"],
                "district_name_en": district["name_en"],
                "subunit": claim["subunit"],
                "indicator": claim["indicator"],
                "channel": claim["channel"],
                "family": claim["family"],
                "value": float(claim["value"]),
                "value_text": claim["value_text"],
                "bound": claim["bound"],
                "is_lower_bound": claim["bound"] in LOWER_BOUNDS,
                "unit": claim["unit"],
                "population": population,
                "per": per,
                column: None if population is None else float(claim["value"]) / population * per,
                "period_start": claim["period_start"],
                "period_end": claim["period_end"],
                "caveat": " ".join(caveats) if caveats else None,
            }
        )
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


# fmt: off
_PARTICIPATION_TEXT = (
    "claim_id", "source_id", "district_code", "district_name_zh", "district_name_en", "subunit", "indicator",
    "channel", "family", "value", "value_text", "bound", "is_lower_bound", "unit",
)
# fmt: on


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
    rows = participation[
        participation[column].notna() & (participation["district_code"].astype(str) != CITY_CODE) & participation["subunit"].isna()
    ].copy()
    keys = [" / ".join(str(v) for v in key) for key in rows[list(LIKE_FOR_LIKE)].itertuples(index=False, name=None)]
    rows["comparison"] = pd.array(keys, dtype="string")
    spread = rows.groupby("comparison")["district_code"].transform("nunique")
    rows = rows[spread >= 2]
    return rows.sort_values(["comparison", column], ascending=[True, False], kind="stable").reset_index(drop=True)


def district_of(populations: dict[str, dict[str, Any]], claim: dict[str, Any]) -> dict[str, Any]:
    """The claim's district row of :func:`census_populations`; ClaimsError naming the claim when it is unknown."""
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
        out.append(
            f"The figure is for {claim['subunit']}, not the whole district: no per-resident intensity, "
            "because the district's population is not its base."
        )
    elif not per_resident_comparable(claim):
        out.append(
            f"No per-resident intensity: the vocabulary keeps {str(claim['indicator']).replace('_', ' ')} out "
            "of per-resident figures and ratios of the whole district (they serve part of it, or firms "
            "rather than residents)."
        )
    if claim["unit"] == "人次":
        out.append("Person-times (人次): one person taking part twice counts twice; not a share of residents.")
    if claim["district_code"] == CITY_CODE:
        out.append("A city-wide figure, expressed per resident of the whole city.")
    if claim["period_end"] and claim["period_end"] != CENSUS_DATE and not claim["subunit"] and per_resident_comparable(claim):
        out.append(f"Population from the census of {CENSUS_DATE}; the figure is stated for {claim['period_end']}.")
    return out
