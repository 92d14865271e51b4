"""Reports: what a notebook shows beside the metrics it calls.

A notebook reads the derived tables (:mod:`governance_study.datasets`), calls the domain functions of
:mod:`governance_study.metrics` itself, and uses this package for everything around them:

- :mod:`.selection`: which rows a report's parameters name (an unknown or empty district is an error that lists
  what exists), the claims behind what it shows, :func:`attempt` for a comparison the data may refuse, and a
  district's profile from the derived tables;
- :mod:`.tables`: display tables with English headers and Chinese names (one row per statistic or claim);
- :mod:`.prose` and :mod:`.findings`: sentences written from the data (caveats, summaries, key findings), each
  tested against the numbers it states;
- :mod:`.wording`: one wording of missing values, bounds, periods and counts for all of them;
- :mod:`.plots`: seaborn/matplotlib figures with English/pinyin labels;
- :mod:`.html`: display, in which **every value is escaped** (text from sources is data, never markup). Tables
  are also emitted as ``application/vnd.governance-study.table+json`` so that tests can read the values shown.

Everything a notebook calls is importable from here (``report.rates_table``, ``report.show_table``).
"""

from __future__ import annotations

from governance_study.report.findings import Finding, findings_about, findings_markdown, key_findings
from governance_study.report.html import (
    TABLE_MIMETYPE,
    claim_anchor,
    key_findings_html,
    show_caveats,
    show_figure,
    show_findings,
    show_key_findings,
    show_table,
    show_text,
    sources_appendix,
    sources_appendix_html,
    table_html,
)
from governance_study.report.prose import audit_summary, coverage_findings, participation_caveats, profile_summary, resolution_caveats
from governance_study.report.selection import (
    Outcome,
    Profile,
    attempt,
    claim_id_columns,
    claims_behind,
    district_codes,
    district_profile,
    indicator_labels,
    require_districts,
    select,
    select_channels,
    select_districts,
    with_district_names,
)
from governance_study.report.tables import (
    audit_display,
    comparison_table,
    corpus_table,
    coverage_matrix,
    glm_table,
    participation_display,
    profile_facts,
    rates_table,
    ratios_display,
)
from governance_study.report.wording import BOUND_WORDS, FAMILY_ORDER

__all__ = [
    "BOUND_WORDS",
    "FAMILY_ORDER",
    "TABLE_MIMETYPE",
    "Finding",
    "Outcome",
    "Profile",
    "attempt",
    "audit_display",
    "audit_summary",
    "claim_anchor",
    "claim_id_columns",
    "claims_behind",
    "comparison_table",
    "corpus_table",
    "coverage_findings",
    "coverage_matrix",
    "district_codes",
    "district_profile",
    "findings_about",
    "findings_markdown",
    "glm_table",
    "indicator_labels",
    "key_findings",
    "key_findings_html",
    "participation_caveats",
    "participation_display",
    "profile_facts",
    "profile_summary",
    "rates_table",
    "ratios_display",
    "require_districts",
    "resolution_caveats",
    "select",
    "select_channels",
    "select_districts",
    "show_caveats",
    "show_figure",
    "show_findings",
    "show_key_findings",
    "show_table",
    "show_text",
    "sources_appendix",
    "sources_appendix_html",
    "table_html",
    "with_district_names",
]
