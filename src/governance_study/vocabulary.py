"""The study's vocabulary in code: one definition of every closed list and pattern the data and the tables use.

Grain: one constant per idea. The indicator and channel rows themselves are data (``data/raw/reference/``);
what may appear in their columns, how bounds read, what a district code looks like and how a period is written
are defined here once and imported everywhere (the checks of ``check``, the pandera schemas of the derived and
metric tables, the metrics, the prose and the figures).
"""

from __future__ import annotations

from typing import Any

#: Indicator families, in the order tables and figures show them.
FAMILIES: tuple[str, ...] = ("resolution", "participation", "capacity", "outreach", "context")
#: Families whose counts are expressed per resident (participation and capacity).
PER_RESIDENT_FAMILIES: tuple[str, ...] = ("participation", "capacity")
#: What an indicator counts: a count, a rate (percent) or a score.
KINDS: tuple[str, ...] = ("count", "rate", "score")
#: The part a figure plays in a resolution statistic.
ROLES: tuple[str, ...] = ("received", "closed", "rate", "none")
#: What a rate is a share of (indicators.csv ``rate_base``): only a closing rate whose base is ``received``
#: implies a closed count of the statistic's received count.
RATE_BASES: tuple[str, ...] = ("received", "closed", "due", "surveyed", "unknown")

#: What each rate base is a share of, in words ("a share of the matters that fell due").
RATE_BASE_WORDS: dict[str, str] = {
    "received": "the matters received",
    "closed": "the matters closed",
    "due": "the matters that fell due",
    "surveyed": "those surveyed or rating",
    "unknown": "an unstated set",
}

#: How a written figure bounds the true one (claims.md): 余/多/以上 at_least, 超过/逾 more_than, 约/近 approx.
BOUNDS: tuple[str, ...] = ("exact", "at_least", "more_than", "approx")
#: The bounds that make a figure a lower bound.
LOWER_BOUNDS: tuple[str, ...] = ("at_least", "more_than")
#: What a ratio of two bounded figures is (:func:`governance_study.metrics.ratios.ratio_bound`).
RATIO_BOUNDS: tuple[str, ...] = ("exact", "approx", "at_least", "more_than", "at_most", "less_than", "indeterminate")
#: How a bound reads in a table or a sentence.
BOUND_WORDS: dict[str, str] = {
    "exact": "exact",
    "at_least": "at least",
    "more_than": "more than",
    "approx": "about",
    "at_most": "at most",
    "less_than": "less than",
    "indeterminate": "indeterminate",
}

#: GB/T 2260 codes of Tianjin: 12 and four digits; the city as a whole is CITY_CODE.
DISTRICT_CODE = r"^12\d{4}$"
CITY_CODE = "120000"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _shown(value: Any) -> str:
    # every missing marker (None, NA, NaN, NaT) prints as one of these; no pandas import needed to tell
    shown = "" if value is None else str(value)
    return "" if shown in ("<NA>", "nan", "NaN", "NaT", "None") else shown


def district_text(row: Any) -> str:
    """ "和平区 Heping": the Chinese and English names of a row's district, else its code (tables, prose and the
    links to district profiles all name a district so).

    >>> district_text({"district_name_zh": "和平区", "district_name_en": "Heping", "district_code": "120101"})
    '和平区 Heping'
    """
    zh = _shown(row.get("district_name_zh"))
    en = _shown(row.get("district_name_en")) or _shown(row.get("district_pinyin"))
    return f"{zh} {en}".strip() or _shown(row.get("district_code"))


def period_text(start: Any, end: Any) -> str:
    """A figure's period as every table and sentence writes it: "2023-09-01 to 2023-11-30" for a flow, "as of
    2023-11-30" for a stock (no start), "" when neither is known.

    >>> period_text("2023-09-01", "2023-11-30"), period_text(None, "2021-03-19")
    ('2023-09-01 to 2023-11-30', 'as of 2021-03-19')
    """

    start, end = _shown(start), _shown(end)
    if start and end:
        return f"{start} to {end}"
    return f"as of {end}" if end else ""
