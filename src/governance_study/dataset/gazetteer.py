"""The gazetteer: one row per district of Tianjin (plus the city), looked up by code, name or alias.

Aliases matter because the articles rarely use the official name: 滨海新区 appears as 新区, 滨城 or 滨海.
"""

from __future__ import annotations

import pandas as pd

from governance_study.dataset.reference import load_reference
from governance_study.paths import ProjectPaths


def load_districts(paths: ProjectPaths | None = None) -> pd.DataFrame:
    """One row per district code: names, aliases and ``population_2020`` (census resident population, int)."""
    frame = load_reference(paths)["districts"].copy()
    frame["population_2020"] = frame["population_2020"].astype("int64")
    return frame


def name_index(districts: pd.DataFrame) -> dict[str, str]:
    """Map every spelling (code, Chinese, English, pinyin, alias; case-insensitive for Latin) to its code."""
    index: dict[str, str] = {}
    for row in districts.itertuples(index=False):
        spellings = [row.district_code, row.name_zh, row.name_en, row.name_pinyin]
        aliases = "" if pd.isna(row.aliases) else str(row.aliases)  # the derived gazetteer writes none as missing
        spellings += [a for a in aliases.split(";") if a]
        for spelling in spellings:
            index[spelling.strip().casefold()] = row.district_code
    return index


def resolve_district(text: str, districts: pd.DataFrame | None = None) -> str:
    """Return the GB/T 2260 code of a district given by code, Chinese, English or pinyin name, or alias.

    >>> resolve_district("滨城")
    '120116'
    >>> resolve_district("heping")
    '120101'
    """
    table = districts if districts is not None else load_districts()
    code = name_index(table).get(str(text).strip().casefold())
    if code is None:
        names = ", ".join(f"{r.name_en} ({r.name_zh}, {r.district_code})" for r in table.itertuples(index=False))
        raise ValueError(
            f"unknown district {text!r}: give a code, a Chinese, English or pinyin name, or an alias; known districts: {names}"
        )
    return code
