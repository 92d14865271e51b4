"""The field dictionary: one description (and the checks that go with it) per column name used in more than
one derived table, after PUDL's field metadata.

Grain: one entry per column name. The pandera models of :mod:`governance_study.verify.schemas` and
:mod:`governance_study.metrics.schemas` build those columns with :func:`field`, so a name means the same in every
table and in ``datapackage.json`` (whose descriptions come from the models). A table may tighten a column
(``nullable``, ``unique``, ``ge``) but never redescribe it; columns whose meaning is the table's own (``caveat``,
``note``) keep their own description, and ``tests/test_architecture.py`` checks both rules.
"""

from __future__ import annotations

from typing import Any

from governance_study.vocabulary import BOUNDS, DISTRICT_CODE, FAMILIES, ISO_DATE

#: column name -> pandera Field arguments (description first).
FIELDS: dict[str, dict[str, Any]] = {
    "district_code": {"description": "GB/T 2260 code of the district; 120000 for the city as a whole.", "str_matches": DISTRICT_CODE},
    "district_name_zh": {"description": "District name in Chinese."},
    "district_name_en": {"description": "District name in English."},
    "district_pinyin": {"description": "District name in pinyin (plot labels)."},
    "subunit": {"description": "Street, town, community, park or zone the figure is about; empty for the whole district."},
    "indicator": {"description": "Indicator id (data/raw/reference/indicators.csv)."},
    "family": {"description": "Indicator family.", "isin": list(FAMILIES)},
    "channel": {"description": "Channel id (data/raw/reference/channels.csv)."},
    "channel_family": {"description": "Channel family: statistics are compared within one family only."},
    "claim_id": {"description": "Stable readable id of a claim (the claims table)."},
    "source_id": {"description": "Source article (the sources table)."},
    "group_id": {"description": "Claims describing one statistic (received, closed, rates) share it; empty for a claim standing alone."},
    "statistic_id": {"description": "group_id, or the claim_id of a claim standing alone."},
    "period_start": {"description": "First day covered by a flow; empty for a stock.", "str_matches": ISO_DATE},
    "period_end": {"description": "Last day covered by a flow, or the date a stock is stated for.", "str_matches": ISO_DATE},
    "value": {"description": "Normalised value of the figure (万 expanded; rates in percentage points)."},
    "value_text": {"description": "The number as written in the quote, with qualifier and measure word (9.5万余件)."},
    "bound": {
        "description": "How value bounds the true figure: exact, at_least (余/多/以上), more_than (超过/逾), approx (约/近).",
        "isin": list(BOUNDS),
    },
    "unit": {"description": "Measure word or unit after the number (件, 名, 人次, %, ...)."},
    "ci_low_pct": {"description": "Lower limit of the interval, percent."},
    "ci_high_pct": {"description": "Upper limit of the interval, percent."},
    "ci_level_pct": {"description": "Confidence level of the interval, percent (100 * (1 - alpha))."},
    "ci_method": {"description": "Interval method, by its statsmodels name (wilson, newcomb, ...)."},
    "p_value": {"description": "Two-sided p-value."},
    "published": {"description": "Publication date of the source (YYYY-MM-DD).", "str_matches": ISO_DATE},
    "outlet": {"description": "Outlet of the source and, for reposts, the original."},
}

#: Column names whose meaning is each table's own: described where they are declared.
PER_TABLE: frozenset[str] = frozenset(
    {
        "caveat",
        "note",
        "title",
        "level",
        "claim_count",
        "z_stat",
        "is_like_for_like",
        "statistic_a",
        "statistic_b",
        "numerator_claim_id",
        "denominator_claim_id",
        "district_code_a",
        "district_code_b",
    }
)


def field(name: str, **overrides: Any) -> Any:
    """A pandera ``Field`` for column ``name`` from the dictionary, with a table's own constraints added
    (``nullable``, ``unique``, ``ge``, ...); a ``description`` override is refused.

    >>> field("bound").description.startswith("How value bounds")
    True
    """
    import pandera.pandas as pa  # pandera only where a schema is built: `import governance_study` stays light

    if "description" in overrides:
        raise ValueError(f"{name}: the field dictionary describes this column; add a new column name instead")
    return pa.Field(**{**FIELDS[name], **overrides})
