"""Which candidate figures are decided: covered by a curated claim, or marked as deliberately not curated.

Grain: one :class:`ClaimRef` per row of ``data/raw/claims.csv`` and one :class:`Mark` per row of
``data/raw/not_curated.csv`` (documented in ``data/raw/not_curated.md``). Both are keyed by source and
character offset in the raw (decoded, not cleaned) article text:

- a claim covers the span where its ``value_text`` occurs inside its ``quote``, at the quote's *first*
  occurrence in the source (the position the derived claims table sorts by); ``value_text`` is located the way
  :mod:`governance_study.verify.claims` verifies it, as a whole expression of the numbers parser inside the quote;
- a mark names ``start`` and the marked ``text``; the text is there so that a mark whose offset no longer
  points at that text (the article or the parser changed) is reported as stale instead of silently marking
  another figure.

This module reads files only in :func:`read_claim_refs` and :func:`read_marks`; the rest is pure and runs in
``extract``'s worker processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from governance_study.errors import Problem
from governance_study.paths import ProjectPaths
from governance_study.text.numerals import find_numbers

__all__ = [
    "REASON_CODES",
    "MARK_COLUMNS",
    "ClaimRef",
    "Mark",
    "read_claim_refs",
    "read_marks",
    "claim_spans",
    "mark_problems",
    "claim_problems",
]

CURATION_FILE = "data/raw/not_curated.csv"
CLAIMS_FILE = "data/raw/claims.csv"
MARK_COLUMNS = ["source_id", "start", "text", "reason_code", "reason"]

#: Why a candidate is deliberately not curated. Kept small so that coverage can be summarised by reason.
REASON_CODES: dict[str, str] = {
    "economic": "an economic or business figure, not a governance one (GDP, investment, firms, projects, tourists, spending)",
    "it_admin": "an IT-system or administrative-process figure (licensing items, powers, data records, 5G stations, app users)",
    "target": "a target, plan or programme name rather than a reported result (百个问题 to solve, 11个老旧小区 to renovate)",
    "unit_count": "a count of administrative units or places that frames a figure (21个街镇, 20个社区, 145个小区)",
    "repeat": "repeats, rounds or restates a figure that is curated or marked elsewhere",
    "date_or_ordinal": "a date, ordinal, label or identifier that the kind rules read as a count",
    "other": "anything else: the reason column says what",
}


@dataclass(frozen=True, slots=True)
class ClaimRef:
    """What locating a claim in its source needs: id, quote, value_text, and its line in claims.csv."""

    claim_id: str
    source_id: str
    quote: str
    value_text: str
    line: int


@dataclass(frozen=True, slots=True)
class Mark:
    """One row of not_curated.csv: the candidate at ``start`` whose text is ``text`` is not curated, because."""

    source_id: str
    start: int
    text: str
    reason_code: str
    reason: str
    line: int


def read_claim_refs(paths: ProjectPaths) -> tuple[dict[str, list[ClaimRef]], list[Problem]]:
    """Claims by source_id, read leniently: only the columns needed to locate them (``check`` verifies the rest)."""
    from governance_study.csvio import read_text_table  # pandas: only in the process that reads files

    frame, problems = read_text_table(paths.claims, paths.root, ["claim_id", "source_id", "quote", "value_text"])
    refs: dict[str, list[ClaimRef]] = {}
    if frame is None:
        return refs, problems
    for claim_id, source_id, quote, value_text, line in zip(
        frame["claim_id"], frame["source_id"], frame["quote"], frame["value_text"], frame["_line"]
    ):
        refs.setdefault(source_id, []).append(ClaimRef(claim_id, source_id, quote, value_text, int(line)))
    return refs, problems


def read_marks(paths: ProjectPaths) -> tuple[dict[str, dict[int, Mark]], list[Problem]]:
    """Marks by source_id and start; a missing file means no marks. Problems: bad rows (each named)."""
    from governance_study.csvio import read_text_table

    marks: dict[str, dict[int, Mark]] = {}
    if not paths.curation.is_file():
        return marks, []
    frame, problems = read_text_table(paths.curation, paths.root, MARK_COLUMNS)
    if frame is None:
        return marks, problems
    for row, line in zip(frame[MARK_COLUMNS].itertuples(index=False), frame["_line"]):
        line = int(line)

        def problem(message: str, fix: str, field: str, value: str) -> None:
            problems.append(Problem(CURATION_FILE, message, fix, row=line, record_id=row.source_id or None, field=field, value=value))

        if not row.start.isdigit():
            problem(
                "start is not a character offset (a whole number >= 0)",
                "Copy start from `governance-study extract ... --format csv`.",
                "start",
                row.start,
            )
            continue
        if row.reason_code not in REASON_CODES:
            problem(
                "unknown reason_code",
                f"Use one of {', '.join(REASON_CODES)} (see data/raw/not_curated.md).",
                "reason_code",
                row.reason_code,
            )
        if not row.reason:
            problem("reason is empty", "Say in a few words why the figure is not curated.", "reason", row.reason)
        if not row.text:
            problem("text is empty", "Copy the candidate's text exactly as extract prints it.", "text", row.text)
        start = int(row.start)
        by_start = marks.setdefault(row.source_id, {})
        if start in by_start:
            problem(f"duplicate mark (first on line {by_start[start].line})", "Keep one row per source_id and start.", "start", row.start)
            continue
        by_start[start] = Mark(row.source_id, start, row.text, row.reason_code, row.reason, line)
    return marks, problems


def _value_offset(quote: str, value_text: str) -> int:
    """Offset of ``value_text`` in ``quote``, as the claims verification finds it (whole parser expression)."""
    for e in find_numbers(quote):
        if e.text == value_text:
            return e.start
    return quote.find(value_text)


def claim_spans(text: str, refs: Iterable[ClaimRef]) -> tuple[dict[tuple[int, int], list[str]], list[ClaimRef]]:
    """The span (start, end) in ``text`` of every claim, and the claims that cannot be located.

    >>> ref = ClaimRef("x-closed", "s", "受理矛盾纠纷657件,办结591件", "591件", 2)
    >>> claim_spans("一是……受理矛盾纠纷657件,办结591件。", [ref])
    ({(17, 21): ['x-closed']}, [])
    """
    spans: dict[tuple[int, int], list[str]] = {}
    lost: list[ClaimRef] = []
    for ref in refs:
        at = text.find(ref.quote) if ref.quote else -1
        offset = _value_offset(ref.quote, ref.value_text) if at >= 0 and ref.value_text else -1
        if offset < 0:
            lost.append(ref)
            continue
        start = at + offset
        spans.setdefault((start, start + len(ref.value_text)), []).append(ref.claim_id)
    return spans, lost


def mark_problems(
    source_id: str, text: str, candidates: Mapping[int, str], marks: Mapping[int, Mark], curated_starts: Mapping[int, str]
) -> list[Problem]:
    """Stale or conflicting marks of one source.

    ``candidates`` maps each candidate's start to its text; ``curated_starts`` maps the start of every
    candidate a claim covers to the claim ids.
    """
    problems = []
    where = f"data/raw/sources/{source_id}.txt"
    for start, mark in sorted(marks.items()):

        def problem(message: str, fix: str, field: str, value: str) -> None:
            problems.append(Problem(CURATION_FILE, message, fix, row=mark.line, record_id=source_id, field=field, value=value))

        stale_fix = (
            f"The article or the numbers parser changed: find the figure with `governance-study extract {where} "
            "--format csv`, then correct start and text, or delete the row."
        )
        actual = text[start : start + len(mark.text)]
        if actual != mark.text:
            problem(f"stale mark: {where} reads {actual!r} at offset {start}, not the marked text", stale_fix, "text", mark.text)
        elif candidates.get(start) != mark.text:
            found = f"reads {candidates[start]!r} there" if start in candidates else "finds no number expression starting there"
            problem(f"stale mark: extract {found}, not {mark.text!r} as one expression", stale_fix, "text", mark.text)
        elif start in curated_starts:
            problem(
                f"the figure is curated (claim {curated_starts[start]}) and also marked as not curated",
                "Delete the mark: a curated figure needs no mark.",
                "start",
                str(start),
            )
    return problems


def claim_problems(lost: Iterable[ClaimRef], unmatched: Iterable[tuple[ClaimRef, str]]) -> list[Problem]:
    """Claims that extract cannot find at their span: a recall failure of extract or a quote problem."""
    problems = [
        Problem(
            CLAIMS_FILE,
            "the quote, or value_text inside it, does not occur in the source",
            "Run `governance-study check` for details.",
            row=ref.line,
            record_id=ref.claim_id,
            field="value_text",
            value=ref.value_text,
        )
        for ref in lost
    ]
    problems += [
        Problem(
            CLAIMS_FILE,
            f"extract finds no candidate exactly at this claim's span (it reads {found})",
            "Write value_text as extract delimits it in the article (qualifier, 余/多, measure word, 以上), or report "
            "the parser's reading as a bug.",
            row=ref.line,
            record_id=ref.claim_id,
            field="value_text",
            value=ref.value_text,
        )
        for ref, found in unmatched
    ]
    return problems
