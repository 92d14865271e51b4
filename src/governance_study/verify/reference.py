"""Reference vocabularies: districts (with census population), indicators and channels.

One row per district (GB/T 2260 code), per indicator id, per channel id. Read as text; checked for the
columns the rest of the library relies on.
"""

from __future__ import annotations

import re

import pandas as pd

from governance_study.csvio import read_text_table
from governance_study.errors import DataError, Problem
from governance_study.paths import ProjectPaths
from governance_study.vocabulary import FAMILIES, KINDS, RATE_BASES, ROLES

DISTRICT_COLUMNS = ["district_code", "level", "name_zh", "name_en", "name_pinyin", "aliases", "population_2020"]
INDICATOR_COLUMNS = [
    "indicator",
    "label_en",
    "label_zh",
    "family",
    "kind",
    "role",
    "rate_base",
    "is_closing_rate",
    "is_per_resident_comparable",
    "units",
    "cues",
    "definition",
]
CHANNEL_COLUMNS = ["channel", "label_en", "label_zh", "channel_family", "definition"]

BOOLEAN_TEXT = {"true": True, "false": False}
#: The token in ``units`` for a figure written without a measure word (``10余万``).
NO_UNIT = "none"


def unit_list(units: str) -> list[str]:
    """The units an indicator allows, ``none`` read as the empty unit.

    >>> unit_list("家|none")
    ['家', '']
    """
    return ["" if u == NO_UNIT else u for u in units.split("|")]


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
                    Problem(
                        "data/raw/reference/indicators.csv",
                        f"unknown {column}",
                        f"Use one of: {', '.join(allowed)}.",
                        row=row["_line"],
                        record_id=row["indicator"],
                        field=column,
                        value=row[column],
                    )
                )
    if "indicators" in tables:
        problems += _indicator_rule_problems(tables["indicators"])
    if "districts" in tables:
        d = tables["districts"]
        for _, row in d[~d["population_2020"].str.fullmatch(r"\d+")].iterrows():
            problems.append(
                Problem(
                    "data/raw/reference/districts.csv",
                    "population is not a whole number",
                    "Write the census figure without separators.",
                    row=row["_line"],
                    record_id=row["district_code"],
                    field="population_2020",
                    value=row["population_2020"],
                )
            )
    return tables, problems


def _indicator_rule_problems(ind: pd.DataFrame) -> list[Problem]:
    """The rule columns of indicators.csv must be well formed: each is enforced by ``check`` and the metrics."""
    problems = []
    for _, row in ind.iterrows():

        def problem(message: str, fix: str, field: str) -> None:
            problems.append(
                Problem(
                    "data/raw/reference/indicators.csv",
                    message,
                    fix,
                    row=row["_line"],
                    record_id=row["indicator"],
                    field=field,
                    value=row[field],
                )
            )

        is_rate = row["kind"] == "rate"
        if is_rate and row["rate_base"] not in RATE_BASES:
            problem("a rate needs its base", f"Use one of: {', '.join(RATE_BASES)} (what the percentage is a share of).", "rate_base")
        if not is_rate and row["rate_base"]:
            problem("only a rate has a base", "Leave rate_base empty for counts and scores.", "rate_base")
        for column in ("is_closing_rate", "is_per_resident_comparable"):
            if row[column] not in BOOLEAN_TEXT:
                problem("not true or false", "Write true or false.", column)
        if row["is_closing_rate"] == "true" and not (is_rate and row["role"] == "rate"):
            problem("only a rate (role rate) can be a closing rate", "Set is_closing_rate to false.", "is_closing_rate")
        elif row["is_closing_rate"] == "true" and row["rate_base"] == "closed":
            problem("a closing rate cannot be a share of the closed matters", "Use received, due or unknown as its base.", "rate_base")
        if row["is_per_resident_comparable"] == "true" and row["family"] not in ("participation", "capacity"):
            problem("only participation and capacity counts are expressed per resident", "Set it to false.", "is_per_resident_comparable")
        if not row["units"] or any(not u.strip() for u in row["units"].split("|")):
            problem(
                "no allowed units", f"List the measure words the indicator is counted in, |-separated ({NO_UNIT}: none written).", "units"
            )
        if is_rate and row["units"] != "%":
            problem("a rate is counted in %", "Write % as its unit.", "units")
        try:
            re.compile(row["cues"])
        except re.error as exc:
            problem(f"not a valid regular expression ({exc})", "Fix the pattern, or leave cues empty.", "cues")
    return problems


def load_reference(paths: ProjectPaths | None = None) -> dict[str, pd.DataFrame]:
    """Reference tables without the ``_line`` bookkeeping column; raises :class:`DataError` on bad input."""
    tables, problems = read_reference(paths or ProjectPaths.discover())
    if problems:
        raise DataError(problems)
    return {name: frame.drop(columns="_line") for name, frame in tables.items()}
