"""Candidate figures of one article: every number expression, its kind, context, guesses and curation status.

Grain: one :class:`Candidate` per number expression that :func:`governance_study.text.numerals.find_numbers` finds
in the article's decoded raw text (never the cleaned text: offsets must match the claims' spans). Nothing is
filtered out: dates, identifiers and phrases are candidates too, with a kind that says they need no decision.

Columns (``COLUMNS``, in output order):

- ``source_id`` the file name without ``.txt``; ``text`` the expression as written, with qualifier, 余/多,
  measure word and 以上/左右 ("超过25万人次"); ``value`` the exact value as a plain decimal (percentages in
  percentage points) and ``bound`` (exact, at_least, more_than, approx) and ``unit``: all from the numbers
  parser, the same one that verifies claims;
- ``kind``: see :mod:`governance_study.text.kinds` (a heuristic);
- ``start``/``end``: character offsets (not bytes) of ``text`` in the decoded file, end exclusive;
- ``sentence``: the sentence around it (between 。!? or line breaks), trimmed; ``clause``: the stretch between
  the nearest punctuation marks (,;:。), a verbatim substring of the article that usually makes a good
  ``quote`` for ``claims.csv``. Both are capped at :data:`SENTENCE_WINDOW` / :data:`CLAUSE_WINDOW` characters
  either side of the number (still verbatim substrings), so that a page without punctuation cannot make the
  output grow with the square of its length;
- ``district_code``, ``district_basis``: a GUESS. The district named in the sentence (the nearest mention before
  the number, else after; a district beats the city), failing that the district named most often in the
  article; the basis says which ("sentence 静海区", "article 滨城 x14"), empty when nothing was found;
- ``indicator``, ``indicator_basis``: a GUESS, for counts and rates only. The indicator whose cue word
  (受理, 办结率, 网格员, 下沉, 志愿, ...; :data:`INDICATOR_CUES`) lies nearest the number within its clause;
  indicators missing from ``reference/indicators.csv`` are never proposed;
- ``curated``: the claim_id(s) (``;``-separated) of claims whose span is exactly this candidate;
- ``status``: ``curated``; ``marked`` (a row of ``data/raw/not_curated.csv`` names it; ``mark_reason`` holds its
  reason_code); ``not_proposed`` (a kind other than count and rate); else ``to_decide``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress
from typing import NamedTuple

from governance_study.curate.marks import ClaimRef, Mark, claim_spans
from governance_study.text.kinds import PROPOSED, KindContext, classify
from governance_study.text.numerals import find_numbers

#: Characters kept either side of a number in ``sentence`` and ``clause`` when the sentence or clause is longer:
#: every output row is then bounded, and the output grows linearly with the article (a real sentence is shorter).
SENTENCE_WINDOW = 200
CLAUSE_WINDOW = 100

__all__ = ["COLUMNS", "STATUSES", "INDICATOR_CUES", "Candidate", "ScanContext", "Scanner", "ScanResult"]

COLUMNS: tuple[str, ...] = (
    "source_id",
    "text",
    "value",
    "bound",
    "unit",
    "kind",
    "start",
    "end",
    "sentence",
    "district_code",
    "indicator",
    "curated",
    "status",
    "mark_reason",
    "clause",
    "district_basis",
    "indicator_basis",
)
STATUSES: tuple[str, ...] = ("curated", "marked", "not_proposed", "to_decide")

#: Cue word -> (indicator id, kind it applies to). Longer cues win where they overlap (办结率 over 办结).
INDICATOR_CUES: dict[str, tuple[str, str]] = {
    # rates
    "受理率": ("acceptance_rate", "rate"),
    "办结率": ("closure_rate", "rate"),
    "解决率": ("solution_rate", "rate"),
    "满意率": ("satisfaction_rate", "rate"),
    "满意度": ("satisfaction_rate", "rate"),
    "好评率": ("satisfaction_rate", "rate"),
    "评价": ("satisfaction_rate", "rate"),
    # counts
    "受理": ("requests_received", "count"),
    "上报": ("requests_received", "count"),
    "收到": ("requests_received", "count"),
    "认领": ("requests_received", "count"),
    "诉求": ("requests_received", "count"),
    "办结": ("requests_closed", "count"),
    "解决": ("requests_closed", "count"),
    "化解": ("requests_closed", "count"),
    "办理回复": ("requests_handled", "count"),
    "办理": ("requests_handled", "count"),
    "吹哨": ("whistle_calls", "count"),
    "评分": ("satisfaction_score", "count"),
    "网格员": ("grid_workers", "count"),
    "扎根网格": ("cadres_in_grids", "count"),
    "网格": ("grids", "count"),
    "下沉": ("cadres_sent_down", "count"),
    "深入村居": ("cadres_sent_down", "count"),
    "驻村": ("cadres_in_villages", "count"),
    "志愿": ("volunteer_participations", "count"),
    "意见建议": ("suggestions_received", "count"),
    "宣讲": ("sessions_held", "count"),
    "党课": ("sessions_held", "count"),
    "受众": ("audience", "count"),
    "走访": ("visits_made", "count"),
    "调研": ("visits_made", "count"),
    "接访": ("visits_made", "count"),
    "下访": ("visits_made", "count"),
    "慰问": ("visits_made", "count"),
    "包联": ("enterprises_served", "count"),
    "企业": ("enterprises_served", "count"),
    "理事会": ("councils", "count"),
    "社区工作者": ("community_workers_recruited", "count"),
    "培训": ("cadres_trained", "count"),
    "选派": ("cadres_assigned", "count"),
    "领导干部": ("leaders_engaged", "count"),
    "区级领导": ("leaders_engaged", "count"),
    "常住人口": ("population", "count"),
    "户籍人口": ("registered_population", "count"),
    "转移": ("people_relocated", "count"),
    "安置": ("people_relocated", "count"),
    "快递": ("gig_workers_linked", "count"),
    "外卖": ("gig_workers_linked", "count"),
    "市场主体": ("organisations_engaged", "count"),
    "经营户": ("organisations_engaged", "count"),
    "商户": ("organisations_engaged", "count"),
    "党组织": ("organisations_engaged", "count"),
    "处级单位": ("organisations_engaged", "count"),
    "民生礼包": ("projects_taken_on", "count"),
    "民心工程": ("projects_taken_on", "count"),
    "重点事项": ("projects_taken_on", "count"),
    "载体": ("service_venues", "count"),
    "书吧": ("service_venues", "count"),
    "坐班": ("service_venues", "count"),
}

# Line breaks end sentences too (\r included, so that no field of the CSV output ever holds one). Every sentence
# end is a clause end: the scan finds clause ends with one regex pass and picks the sentence ends among them.
_SENTENCE_END_CHARS = frozenset("。!?！？\n\r")
_CLAUSE_END = re.compile(r"[,，;；:：。!?！？\n\r]")
_CJK = re.compile(r"[\u3400-\u9fff]")


class Candidate(NamedTuple):
    """One candidate figure; see the module docstring for every field. A tuple in :data:`COLUMNS` order."""

    source_id: str
    text: str
    value: str
    bound: str
    unit: str
    kind: str
    start: int
    end: int
    sentence: str
    district_code: str
    indicator: str
    curated: str
    status: str
    mark_reason: str
    clause: str
    district_basis: str
    indicator_basis: str


@dataclass(frozen=True)
class ScanContext:
    """Everything a scan needs besides the text, as plain data (it is sent to worker processes).

    ``districts``: Chinese spelling (name or alias) -> district code; ``city_code`` the code of the city-wide
    row, which loses to any district named in the same sentence; ``indicators`` the known indicator ids;
    ``claims`` and ``marks`` by source_id (see :mod:`governance_study.curate.marks`).
    """

    districts: Mapping[str, str] = field(default_factory=dict)
    city_code: str | None = None
    indicators: frozenset[str] = frozenset()
    claims: Mapping[str, list[ClaimRef]] = field(default_factory=dict)
    marks: Mapping[str, Mapping[int, Mark]] = field(default_factory=dict)


@dataclass
class ScanResult:
    """The candidates of one text and what did not line up with them (claims not found, marks not used)."""

    candidates: list[Candidate]
    lost_claims: list[ClaimRef]
    unmatched_claims: list[tuple[ClaimRef, str]]


def _alternation(words) -> re.Pattern[str] | None:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


#: Characters that, just before an alias, make it part of another word: 新区 inside 创新区 or 国家级新区.
_ALIAS_NOT_AFTER = {"新区": "创级"}


def _district_alternation(spellings) -> re.Pattern[str] | None:
    """Like :func:`_alternation`, but an alias never matches as the tail of a longer word (see above)."""
    words = sorted({w for w in spellings if w}, key=len, reverse=True)
    parts = [f"(?<![{re.escape(_ALIAS_NOT_AFTER[w])}]){re.escape(w)}" if w in _ALIAS_NOT_AFTER else re.escape(w) for w in words]
    return re.compile("|".join(parts)) if parts else None


class Scanner:
    """Compiled once per process from a :class:`ScanContext`; :meth:`scan` turns one text into candidates."""

    def __init__(self, context: ScanContext):
        self.context = context
        spellings = {s: c for s, c in context.districts.items() if _CJK.search(s)}
        self._districts = spellings
        self._district_re = _district_alternation(spellings)
        cues = {cue: target for cue, target in INDICATOR_CUES.items() if target[0] in context.indicators}
        self._cues = cues
        self._cue_answers = {cue: (target[0], f"clause {cue}") for cue, target in cues.items()}
        self._cue_re = _alternation(cues)

    # -- per-text indexes ---------------------------------------------------------------------------------

    def _mentions(self, text: str) -> tuple[list[int], list[str], list[str], str, str]:
        """District mentions (positions, codes, spellings) and the article-level guess with its basis."""
        positions: list[int] = []
        spellings: list[str] = []
        if self._district_re is not None:
            add_position, add_spelling = positions.append, spellings.append
            for m in self._district_re.finditer(text):
                add_position(m.start())
                add_spelling(m[0])
        codes = list(map(self._districts.__getitem__, spellings))
        article_code, article_basis = "", ""
        if codes:
            # the most frequent code, the first named on a tie; then its most frequent spelling, the first on a tie
            counts = Counter(codes)
            article_code = max(counts, key=lambda c: (counts[c], -codes.index(c)))
            top = Counter(compress(spellings, map(article_code.__eq__, codes))).most_common(1)[0][0]
            article_basis = f"article {top} x{counts[article_code]}"
        return positions, codes, spellings, article_code, article_basis

    def _sentence_districts(self, s0: int, s1: int, mentions, article: tuple[str, str]) -> tuple[str, str] | list[int]:
        """The district guess for every number of the sentence [s0, s1) when it does not depend on where the
        number is (no mention: the article's guess; one district spelling only: that one), else the indexes
        of the mentions to choose from (districts only when the sentence names one)."""
        positions, codes, spellings = mentions[0], mentions[1], mentions[2]
        inside = range(bisect_left(positions, s0), bisect_left(positions, s1))
        if not inside:
            return article
        named = [i for i in inside if codes[i] != self.context.city_code] or list(inside)
        if len({spellings[i] for i in named}) == 1:
            return codes[named[0]], f"sentence {spellings[named[0]]}"
        return named

    @staticmethod
    def _district(start: int, named: list[int], mentions) -> tuple[str, str]:
        """The nearest mention before the number, else the first after it."""
        positions, codes, spellings = mentions[0], mentions[1], mentions[2]
        i = named[0]
        for k in named:
            if positions[k] < start:
                i = k
        return codes[i], f"sentence {spellings[i]}"

    def _indicator(self, text: str, kind: str, start: int, end: int, c0: int, c1: int) -> tuple[str, str]:
        """The indicator whose cue for ``kind`` lies nearest the expression within its clause [c0, c1)."""
        best, best_distance = "", None
        for m in self._cue_re.finditer(text, c0, c1):
            cue = m.group()
            if self._cues[cue][1] != kind:
                continue
            distance = start - m.end() if m.end() <= start else m.start() - end
            if distance < 0:
                continue  # a cue overlapping the number is not a cue
            if best_distance is None or distance < best_distance:
                best, best_distance = cue, distance
        if not best:
            return "", ""
        return self._cue_answers[best]

    # -- the scan -------------------------------------------------------------------------------------------

    def scan(self, source_id: str, text: str) -> ScanResult:
        """Every candidate in ``text`` (left to right), with the claims and marks of ``source_id`` applied."""
        kind_ctx = KindContext(text)
        clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)]
        sentence_ends = [i for i in clause_ends if text[i] in _SENTENCE_END_CHARS]
        mentions = self._mentions(text)
        article = (mentions[3], mentions[4])
        spans, lost = claim_spans(text, self.context.claims.get(source_id, ()))
        marks = self.context.marks.get(source_id, {})
        sentences: dict[int, tuple[str, tuple[str, str] | list[int]]] = {}
        n = len(text)
        sentence_ends.append(n)  # sentinels: every candidate has a terminator at or after it
        clause_ends.append(n)
        si = ci = 0  # candidates come left to right, so the terminator cursors only move forward
        out: list[Candidate] = []
        append = out.append
        indicator_of = self._indicator
        has_cues = self._cue_re is not None
        district_of = self._district
        new = tuple.__new__  # Candidate(...) would check and pass 17 arguments through Python code: 3x slower
        for e in find_numbers(text):
            start, end, expression = e.start, e.end, e.text
            kind = classify(e, kind_ctx)
            si = bisect_left(sentence_ends, start, si)  # the first terminator at or after the number
            s0 = sentence_ends[si - 1] + 1 if si else 0
            s1 = sentence_ends[si]  # no sentence terminator lies inside an expression
            stop = s1 + 1 if s1 < n and text[s1] not in "\r\n" else s1  # keep 。 but not the line break
            cached = sentences.get(s0)
            if cached is None:
                cached = sentences[s0] = (text[s0:stop].strip(), self._sentence_districts(s0, s1, mentions, article))
            sentence, districts = cached
            if stop - s0 > 2 * SENTENCE_WINDOW + (end - start):  # a run-on "sentence": the window around the number
                sentence = text[max(s0, start - SENTENCE_WINDOW) : min(stop, end + SENTENCE_WINDOW)].strip()
            ci = bisect_left(clause_ends, start, ci)  # a bisect: many clauses hold no number
            c0 = clause_ends[ci - 1] + 1 if ci else 0
            cj = ci
            while clause_ends[cj] < end:  # a thousands separator "1,286" is inside the expression
                cj += 1
            c1 = clause_ends[cj]
            if c1 - c0 > 2 * CLAUSE_WINDOW + (end - start):
                clause = text[max(c0, start - CLAUSE_WINDOW) : min(c1, end + CLAUSE_WINDOW)].strip()
            else:
                clause = text[c0:c1].strip()  # str.strip() also removes the ideographic space and nbsp
            district, district_basis = districts if type(districts) is tuple else district_of(start, districts, mentions)
            proposed = kind in PROPOSED
            if proposed and has_cues:
                indicator, indicator_basis = indicator_of(text, kind, start, end, c0, c1)
            else:
                indicator = indicator_basis = ""
            claim_ids = spans.pop((start, end), None) if spans else None
            mark = marks.get(start) if marks else None
            mark_reason = mark.reason_code if mark is not None and mark.text == expression else ""
            if claim_ids:
                status = "curated"
            elif mark_reason:
                status = "marked"
            elif proposed:
                status = "to_decide"
            else:
                status = "not_proposed"
            append(
                new(
                    Candidate,
                    (
                        source_id,
                        expression,
                        str(e.value),
                        e.bound,
                        e.unit,
                        kind,
                        start,
                        end,
                        sentence,
                        district,
                        indicator,
                        ";".join(claim_ids) if claim_ids else "",
                        status,
                        mark_reason,
                        clause,
                        district_basis,
                        indicator_basis,
                    ),
                )
            )
        unmatched = []
        if spans:  # claims left over: no candidate has exactly their span
            by_ref = {ref.claim_id: ref for ref in self.context.claims.get(source_id, ())}
            for (start, end), ids in sorted(spans.items()):
                overlapping = [c.text for c in out if c.start < end and c.end > start]
                found = ", ".join(repr(t) for t in overlapping) or "no number there"
                unmatched += [(by_ref[cid], found) for cid in ids]
        return ScanResult(out, lost, unmatched)
