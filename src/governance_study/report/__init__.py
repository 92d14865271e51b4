"""What the notebooks call: selections of the derived data for a notebook's parameters, and display helpers.

Notebooks consume, never produce: each cell imports, calls one function here, in :mod:`governance_study.report.plots`
or in :mod:`governance_study.metrics`, and displays the result. Two kinds of function live here:

- *selections and views* (pure, DataFrame in, DataFrame or list of sentences out): which districts and
  channels a parameter names, the claims behind a table, display-ready tables with English headers and
  Chinese names, and caveats and findings written from the data;
- *display* (``show_*``, :func:`sources_appendix`): HTML for the report, in which **every value is escaped**
  with :func:`html.escape`. Text from sources (titles, outlets, quotes, notes) is data, never markup: an
  article containing ``<script>`` shows the text. No Markdown output is produced (Markdown passes raw HTML
  through).

Tables are also emitted as ``application/vnd.governance-study.table+json`` (the rows as JSON) beside the HTML,
so that tests and other tools can read the values a report shows; HTML export and JupyterLab ignore it.

The selections and views live in :mod:`.views`, the display in :mod:`.html`; notebooks call both through this
package (``report.resolution_for``, ``report.show_table``).
"""

from __future__ import annotations

from governance_study.report.findings import Finding, findings_about, findings_markdown, key_findings
from governance_study.report.html import (
    TABLE_MIMETYPE,
    claim_anchor,
    key_findings_html,
    show_key_findings,
    show_caveats,
    show_figure,
    show_findings,
    show_table,
    show_text,
    sources_appendix,
    sources_appendix_html,
    table_html,
)
from governance_study.report.views import (
    BOUND_WORDS,
    FAMILY_ORDER,
    Comparison,
    GlmView,
    Profile,
    audit_display,
    audit_for,
    audit_summary,
    claim_id_columns,
    claims_behind,
    compare_resolution,
    comparison_table,
    corpus_table,
    coverage_findings,
    coverage_matrix,
    district_codes,
    district_profile,
    glm_for,
    indicator_labels,
    participation_caveats,
    participation_display,
    participation_for,
    profile_facts,
    profile_summary,
    rates_table,
    ratios_display,
    ratios_for,
    resolution_caveats,
    resolution_for,
    select_channels,
    select_districts,
    with_district_names,
)

__all__ = [
    "Finding",
    "claim_anchor",
    "findings_about",
    "findings_markdown",
    "key_findings",
    "key_findings_html",
    "show_key_findings",
    "BOUND_WORDS",
    "FAMILY_ORDER",
    "TABLE_MIMETYPE",
    "Comparison",
    "GlmView",
    "Profile",
    "audit_display",
    "audit_for",
    "audit_summary",
    "claim_id_columns",
    "claims_behind",
    "compare_resolution",
    "comparison_table",
    "corpus_table",
    "coverage_findings",
    "coverage_matrix",
    "district_codes",
    "district_profile",
    "glm_for",
    "indicator_labels",
    "participation_caveats",
    "participation_display",
    "participation_for",
    "profile_facts",
    "profile_summary",
    "rates_table",
    "ratios_display",
    "ratios_for",
    "resolution_caveats",
    "resolution_for",
    "select_channels",
    "select_districts",
    "show_caveats",
    "show_figure",
    "show_findings",
    "show_table",
    "show_text",
    "sources_appendix",
    "sources_appendix_html",
    "table_html",
    "with_district_names",
]
