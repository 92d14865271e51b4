"""The gazetteer: districts of Tianjin (plus the city) looked up by code, name or alias, in the derived
``districts`` table (``datasets.load("districts")``) or any frame with its columns.

Aliases matter because the articles rarely use the official name: 滨海新区 appears as 新区, 滨城 or 滨海.
"""

from __future__ import annotations

import pandas as pd


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


def resolve_district(text: str, districts: pd.DataFrame) -> str:
    """Return the GB/T 2260 code of a district given by code, Chinese, English or pinyin name, or alias.

    >>> import pandas as pd
    >>> gazetteer = pd.DataFrame({"district_code": ["120101", "120116"], "name_zh": ["和平区", "滨海新区"],
    ...     "name_en": ["Heping", "Binhai New Area"], "name_pinyin": ["Heping", "Binhai"], "aliases": ["和平", "滨城;新区"]})
    >>> resolve_district("滨城", gazetteer), resolve_district("heping", gazetteer)
    ('120116', '120101')
    """
    table = districts
    code = name_index(table).get(str(text).strip().casefold())
    if code is None:
        names = ", ".join(f"{r.name_en} ({r.name_zh}, {r.district_code})" for r in table.itertuples(index=False))
        raise ValueError(
            f"unknown district {text!r}: give a code, a Chinese, English or pinyin name, or an alias; known districts: {names}"
        )
    return code
