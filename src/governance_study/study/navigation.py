"""Navigation within and between reports: a table of contents, previous/next in study order, district names
linked to their profiles, claim ids linked to their quotes.

Grain: one :class:`Navigation` per report of a run (what it links to), applied to the report's exported HTML.

The kernel does not know where a report will live or which profiles the study has, so the links are added to
the exported HTML here: a table cell whose whole text is a district's name ("和平区 Heping", as
:func:`governance_study.vocabulary.district_text` writes it) links to that district's profile, and a cell
whose whole text is a claim id shown in the report's sources appendix links to its quote. The text matched is
the escaped text of the cell, so nothing from a source can turn into a link it did not name exactly.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance_study.study.spec import Report
from governance_study.vocabulary import district_text  # the report's wording of a district, without pandas

#: Section headings of a report body as nbconvert writes them (``<h2 id="Rates-and-intervals">Rates…``).
_HEADING = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.S)
_CELL = re.compile(r"<td>([^<>]+)</td>")
_CLAIM_ANCHOR = re.compile(r'<li id="claim-([^"]+)">')


@dataclass(frozen=True)
class Navigation:
    """Where a report links: its neighbours in study order and the profiles of the study's districts."""

    previous: tuple[str, str] | None = None  # (href relative to reports/, title)
    next: tuple[str, str] | None = None
    profiles: dict[str, str] = field(default_factory=dict)  # district name as shown -> profile href (relative to reports/)

    def as_key(self) -> dict[str, Any]:
        """What the links depend on, for the report's cache key: a new neighbour or profile reruns it."""
        return {"previous": self.previous, "next": self.next, "profiles": sorted(self.profiles.items())}


def plan(reports: list[Report], districts: list[dict[str, Any]]) -> dict[str, Navigation]:
    """One :class:`Navigation` per report: neighbours in study order, and the profiles of ``districts`` (rows of
    the derived gazetteer) that the study has."""
    outputs = {r.output for r in reports}
    profiles: dict[str, str] = {}
    for row in districts:
        href = f"districts/{row['district_code']}.html"
        if href in outputs:
            names = {"district_name_zh": row.get("name_zh"), "district_name_en": row.get("name_en"), "district_code": row["district_code"]}
            profiles[district_text(names)] = href
    out = {}
    for i, report in enumerate(reports):
        previous = (reports[i - 1].output, reports[i - 1].title) if i > 0 else None
        following = (reports[i + 1].output, reports[i + 1].title) if i + 1 < len(reports) else None
        out[report.report_id] = Navigation(previous, following, profiles)
    return out


def gazetteer_rows(path: Path) -> list[dict[str, str]]:
    """Rows of the derived gazetteer (``data/derived/districts.csv``) as dicts; none when it is missing (read
    with the csv module: an unchanged rerun must not import pandas)."""
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def contents(body: str) -> list[tuple[str, str]]:
    """``(id, heading text)`` of every section heading (h2) of an exported report, in order."""
    # both unescaped: the template escapes them again (an id "Rates-&amp;-…" would otherwise be escaped twice)
    return [(html.unescape(anchor), html.unescape(re.sub(r"<[^>]+>", "", text)).strip()) for anchor, text in _HEADING.findall(body)]


def link_cells(body: str, nav: Navigation, to_reports: str, own_href: str) -> str:
    """``body`` with table cells that name a district linked to its profile (not to the report itself) and
    cells that hold a claim id of the sources appendix linked to its quote."""
    claims = set(_CLAIM_ANCHOR.findall(body))

    def link(match: re.Match[str]) -> str:
        text = html.unescape(match.group(1))
        href = nav.profiles.get(text)
        if href and href != own_href:
            return f'<td><a href="{html.escape(to_reports + href)}">{match.group(1)}</a></td>'
        if text in claims:
            return f'<td><a href="#claim-{html.escape(text)}">{match.group(1)}</a></td>'
        return match.group(0)

    return _CELL.sub(link, body)
