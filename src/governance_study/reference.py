"""Reference vocabularies: districts (with census population), indicators and channels.

One row per district (GB/T 2260 code), per indicator id, per channel id. Read as text; checked for the
columns the rest of the library relies on.
"""

from __future__ import annotations

import pandas as pd

from .csvio import read_text_table
from .errors import DataError, Problem
from .paths import ProjectPaths

DISTRICT_COLUMNS = ["district_code", "level", "name_zh", "name_en", "name_pinyin", "aliases", "population_2020"]
INDICATOR_COLUMNS = ["indicator", "label_en", "label_zh", "family", "kind", "role", "definition"]
CHANNEL_COLUMNS = ["channel", "label_en", "label_zh", "channel_family", "definition"]

#: Indicator families, in the order tables and plots show them.
FAMILIES = ("resolution", "participation", "capacity", "outreach", "context")
KINDS = ("count", "rate", "score")
ROLES = ("received", "closed", "rate", "none")


def _read(path, root, columns, key) -> tuple[pd.DataFrame | None, list[Problem]]:
    frame, problems = read_text_table(path, root, columns)
    if frame is None:
        return None, problems
    duplicated = frame[frame[key].duplicated(keep="first")]
    for _, row in duplicated.iterrows():
        problems.append(
            Problem(path.name, "duplicate id", f"Keep one row per {key}.", row=row["_line"], record_id=row[key], field=key, value=row[key])
        )
    return frame, problems


def read_reference(paths: ProjectPaths) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read districts, indicators and channels; collect every problem instead of stopping at the first."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, path, columns, key in (
        ("districts", paths.districts, DISTRICT_COLUMNS, "district_code"),
        ("indicators", paths.indicators, INDICATOR_COLUMNS, "indicator"),
        ("channels", paths.channels, CHANNEL_COLUMNS, "channel"),
    ):
        frame, found = _read(path, paths.root, columns, key)
        problems += found
        if frame is not None:
            tables[name] = frame
    if "indicators" in tables:
        ind = tables["indicators"]
        for column, allowed in (("family", FAMILIES), ("kind", KINDS), ("role", ROLES)):
            for _, row in ind[~ind[column].isin(allowed)].iterrows():
                problems.append(
                    Problem("data/raw/reference/indicators.csv", f"unknown {column}", f"Use one of: {', '.join(allowed)}.",
                            row=row["_line"], record_id=row["indicator"], field=column, value=row[column])
                )
    if "districts" in tables:
        d = tables["districts"]
        for _, row in d[~d["population_2020"].str.fullmatch(r"\d+")].iterrows():
            problems.append(
                Problem("data/raw/reference/districts.csv", "population is not a whole number", "Write the census figure without separators.",
                        row=row["_line"], record_id=row["district_code"], field="population_2020", value=row["population_2020"])
            )
    return tables, problems


def load_reference(paths: ProjectPaths | None = None) -> dict[str, pd.DataFrame]:
    """Reference tables without the ``_line`` bookkeeping column; raises :class:`DataError` on bad input."""
    tables, problems = read_reference(paths or ProjectPaths.discover())
    if problems:
        raise DataError(problems)
    return {name: frame.drop(columns="_line") for name, frame in tables.items()}
