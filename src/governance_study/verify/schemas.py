"""Pandera schemas of the derived data tables (one per table), enforced at the end of each transform.

The metric tables' schemas live beside their functions in :mod:`governance_study.metrics.schemas`.
Column descriptions here are also written into ``datapackage.json``.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from governance_study.fields import field
from governance_study.vocabulary import ISO_DATE, KINDS, RATE_BASES, ROLES


class DistrictsSchema(pa.DataFrameModel):
    """The gazetteer: one row per district of Tianjin (GB/T 2260 code) and one for the city (120000), with the
    names the articles use and the census population every per-resident figure divides by."""

    district_code: Series[str] = field("district_code", unique=True)
    level: Series[str] = pa.Field(
        isin=["district", "city"], description="district, or city for the row city-wide figures are attributed to."
    )
    name_zh: Series[str] = pa.Field(description="Official name in Chinese.")
    name_en: Series[str] = pa.Field(description="Name in English (plot and table labels).")
    name_pinyin: Series[str] = pa.Field(description="Name in pinyin.")
    aliases: Series[str] = pa.Field(
        nullable=True, description="Other names the articles use, ;-separated (滨城;新区;滨海); 河北 is not an alias of 河北区."
    )
    population_2020: Series[int] = pa.Field(
        gt=0,
        description="Resident population on 2020-11-01, Tianjin Seventh National Population Census bulletin (2021); the 16 districts sum to the city's 13,866,009.",
    )

    class Config:
        strict = True
        ordered = True
        coerce = True


class SourcesSchema(pa.DataFrameModel):
    """One row per source article (the manifest), with how many claims were curated from it."""

    source_id: Series[str] = field("source_id", unique=True)
    title: Series[str] = pa.Field(description="Headline as published.")
    outlet: Series[str] = field("outlet")
    district_code: Series[str] = field("district_code")
    published: Series[str] = field("published")
    latest_figure_date: Series[str] = pa.Field(
        nullable=True,
        str_matches=ISO_DATE,
        description="Last date the figures can describe, when earlier than published (a web repost of a print issue); "
        "empty: the publication date. No claim's period ends after it.",
    )
    url: Series[str] = pa.Field(nullable=True, description="URL the page gives for itself or its original; empty when it gives none.")
    accessed: Series[str] = pa.Field(nullable=True, description="Date the page was collected, when known.")
    sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="sha256 of the raw text file.")
    notes: Series[str] = pa.Field(nullable=True, description="What is wrong with the page: web debris, injected text, inferred dates.")
    claim_count: Series[int] = pa.Field(ge=0, description="Curated claims from this source.")

    class Config:
        strict = True
        ordered = True
        coerce = True


class ClaimsSchema(pa.DataFrameModel):
    """One row per number reported in a source, verified against its quote and joined with metadata."""

    claim_id: Series[str] = field("claim_id", unique=True, str_matches="^[a-z0-9]+(-[a-z0-9]+)+$")
    source_id: Series[str] = field("source_id")
    district_code: Series[str] = field("district_code")
    district_name_zh: Series[str] = field("district_name_zh")
    district_name_en: Series[str] = field("district_name_en")
    district_pinyin: Series[str] = field("district_pinyin")
    subunit: Series[str] = field("subunit", nullable=True)
    indicator: Series[str] = field("indicator")
    indicator_label_en: Series[str] = pa.Field(description="Indicator label in English.")
    family: Series[str] = field("family")
    kind: Series[str] = pa.Field(isin=list(KINDS), description="count, rate (percent) or score.")
    role: Series[str] = pa.Field(isin=list(ROLES), description="Part the figure plays in a resolution statistic.")
    rate_base: Series[str] = pa.Field(
        nullable=True,
        isin=list(RATE_BASES),
        description="What a rate is a share of (received, closed, due, surveyed, unknown); empty for counts. Only a "
        "closing rate whose base is received implies a closed count and gets an interval.",
    )
    is_closing_rate: Series[bool] = pa.Field(description="The rate measures closing or solving (closure, on-time closure, solution).")
    is_per_resident_comparable: Series[bool] = pa.Field(
        description="The indicator may be divided by the district's population and enter whole-district ratios "
        "(false e.g. for cadres stationed in some villages, or councils that organise firms)."
    )
    channel: Series[str] = field("channel")
    channel_family: Series[str] = field("channel_family")
    value: Series[float] = field("value")
    value_text: Series[str] = field("value_text")
    bound: Series[str] = field("bound")
    unit: Series[str] = field("unit", nullable=True)
    quote: Series[str] = pa.Field(description="Verbatim span of the raw source that carries the number.")
    period_start: Series[str] = field("period_start", nullable=True)
    period_end: Series[str] = field("period_end")
    period_rule: Series[str] = pa.Field(description="How the period was read from the text.")
    group_id: Series[str] = field("group_id", nullable=True)
    note: Series[str] = pa.Field(nullable=True, description="Definitions, doubts, non-comparability.")
    published: Series[str] = field("published")
    outlet: Series[str] = field("outlet")
    title: Series[str] = pa.Field(description="Title of the source.")

    class Config:
        strict = True
        ordered = True
        coerce = True


class CoverageSchema(pa.DataFrameModel):
    """One row per district (and the city) per indicator family: what the corpus holds, zeros included."""

    district_code: Series[str] = field("district_code")
    district_name_zh: Series[str] = field("district_name_zh")
    district_pinyin: Series[str] = field("district_pinyin")
    family: Series[str] = field("family")
    claim_count: Series[int] = pa.Field(ge=0, description="Claims for this district and family.")
    indicator_count: Series[int] = pa.Field(ge=0, description="Distinct indicators with at least one claim.")
    source_count: Series[int] = pa.Field(ge=0, description="Distinct sources with at least one claim.")
    has_data: Series[bool] = pa.Field(description="True when at least one claim exists.")

    @pa.dataframe_check
    def one_row_per_cell(cls, df):  # noqa: N805 - pandera passes the class
        return ~df.duplicated(["district_code", "family"])

    class Config:
        strict = True
        ordered = True
        coerce = True
