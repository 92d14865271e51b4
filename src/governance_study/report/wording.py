"""One wording of values for tables and prose: missing values, bounds, periods, counts, district names.

Grain: one function per kind of value; every table (:mod:`.tables`), sentence (:mod:`.prose`,
:mod:`.findings`) and HTML block (:mod:`.html`) words values through these, so "at least 5,600" and "2023-09-01 to
2023-11-30" read the same everywhere.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from governance_study.vocabulary import BOUND_WORDS, FAMILIES, district_text, period_text  # noqa: F401 - re-exported for the report

#: Indicator families, in the order tables and plots show them (the vocabulary's).
FAMILY_ORDER = FAMILIES


def as_text(value: Any) -> str:
    """The value as display text: empty for any missing marker (None, NA, NaN)."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def is_missing(value: Any) -> bool:
    """Whether the value is a missing marker (None, NA, NaN), without raising on lists."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def count_text(value: Any, bound: Any = None) -> str:
    """ "5,600" or "at least 5,600": a count with thousands separators and its bound."""
    if is_missing(value):
        return ""
    text = f"{int(value):,}"
    word = BOUND_WORDS.get(as_text(bound), "")
    return f"{word} {text}" if word and word != "exact" else text


def plain_number(value: Any) -> int | float:
    """A reported value as an int when whole (a count), else a float.

    >>> plain_number(864.0), plain_number(2.5)
    (864, 2.5)
    """
    number = float(value)
    return int(number) if number.is_integer() else number


def plain_reason(exc: Exception) -> str:
    """An error's message for a reader: without the ``function_name:`` prefix the metrics put on it for callers.

    >>> plain_reason(ValueError("fit_glm: only 1 district (120101)"))
    'only 1 district (120101)'
    """
    return re.sub(r"^[a-z_][a-z0-9_]*: ", "", str(exc))
