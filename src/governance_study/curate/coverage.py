"""``governance-study coverage``: per source, how many figures are found, curated, marked and left to decide.

One row per source of the manifest: the candidates found, proposed (counts and rates), curated (a claim covers
the span), marked (``data/raw/not_curated.csv``), not proposed (other kinds) and left to decide. It also reports,
as errors with file, line, field and value: stale marks (the text at the marked offset changed), marks on curated
figures, bad rows of not_curated.csv, and claims that extract does not find at their span (a recall failure).
Exit status 1 when any is found, after printing the table.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TextIO

from governance_study.curate.candidates import Scanner
from governance_study.curate.extract import load_context
from governance_study.curate.marks import REASON_CODES, claim_problems, mark_problems
from governance_study.errors import DataError, Problem, relative
from governance_study.paths import ProjectPaths
from governance_study.text.kinds import PROPOSED

COVERAGE_COLUMNS = ("source_id", "found_count", "proposed_count", "curated_count", "marked_count", "not_proposed_count", "to_decide_count")


def coverage_rows(paths: ProjectPaths) -> tuple[list[dict[str, object]], Counter, list[Problem]]:
    """One row per manifest source (COVERAGE_COLUMNS), marks counted by reason code, and every problem found."""
    from governance_study.csvio import decode_utf8, read_text_table

    manifest, problems = read_text_table(paths.manifest, paths.root, ["source_id"])
    if manifest is None:
        raise DataError(problems)
    problems = []
    context, found = load_context(paths)
    problems += found
    scanner = Scanner(context)
    rows: list[dict[str, object]] = []
    reasons: Counter = Counter()
    source_ids = list(manifest["source_id"])
    for source_id in source_ids:
        path = paths.source_text(source_id)
        if not path.is_file():
            problems.append(
                Problem(
                    relative(paths.manifest, paths.root),
                    f"no file {relative(path, paths.root)}",
                    "Add the article or correct the source_id.",
                    record_id=source_id,
                )
            )
            continue
        text, found = decode_utf8(path.read_bytes(), relative(path, paths.root))
        problems += found
        if text is None:
            continue
        scan = scanner.scan(source_id, text)
        statuses = Counter(c.status for c in scan.candidates)
        reasons.update(c.mark_reason for c in scan.candidates if c.status == "marked")
        rows.append(
            {
                "source_id": source_id,
                "found_count": len(scan.candidates),
                "proposed_count": sum(c.kind in PROPOSED for c in scan.candidates),
                "curated_count": statuses["curated"],
                "marked_count": statuses["marked"],
                "not_proposed_count": statuses["not_proposed"],
                "to_decide_count": statuses["to_decide"],
            }
        )
        by_start = {c.start: c.text for c in scan.candidates}
        curated = {c.start: c.curated for c in scan.candidates if c.curated}
        problems += mark_problems(source_id, text, by_start, context.marks.get(source_id, {}), curated)
        problems += claim_problems(scan.lost_claims, scan.unmatched_claims)
    known = set(source_ids)
    for source_id, marks in sorted(context.marks.items()):
        if source_id not in known:
            for mark in marks.values():
                problems.append(
                    Problem(
                        "data/raw/not_curated.csv",
                        "unknown source_id",
                        "Use a source_id of data/raw/sources.csv.",
                        row=mark.line,
                        record_id=source_id,
                        field="source_id",
                        value=source_id,
                    )
                )
    return rows, reasons, problems


def run_coverage(paths: ProjectPaths, *, fmt: str = "table", out: TextIO | None = None) -> int:
    """Print the coverage of every source to ``out`` (stdout); raise DataError (exit 1) listing problems after it."""
    out = out if out is not None else sys.stdout
    rows, reasons, problems = coverage_rows(paths)
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COVERAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        _write_coverage_table(out, rows, reasons)
    out.flush()
    if problems:
        raise DataError(problems)
    return 0


def _write_coverage_table(out: TextIO, rows: Iterable[dict[str, object]], reasons: Counter) -> None:
    rows = list(rows)
    headers = ("source", "found", "proposed", "curated", "marked", "not proposed", "to decide")
    first = max([len("source"), len("total"), *(len(str(r["source_id"])) for r in rows)]) + 2
    widths = (first, 7, 10, 9, 8, 14, 11)

    def line(cells) -> str:
        return "".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out.write(line(headers) + "\n")
    for r in rows:
        out.write(line([r[c] for c in COVERAGE_COLUMNS]) + "\n")
    totals = ["total"] + [sum(int(r[c]) for r in rows) for c in COVERAGE_COLUMNS[1:]]
    out.write(line(totals) + "\n")
    out.write("found = curated + marked + not proposed + to decide; proposed = counts and rates (kinds proposed for curation).\n")
    if reasons:
        listed = ", ".join(f"{code} {reasons[code]}" for code in REASON_CODES if reasons[code])
        out.write(f"marked by reason: {listed}\n")
    left = totals[-1]
    out.write(
        "nothing left to decide.\n"
        if not left
        else f"{left} figure(s) left to decide: `governance-study extract data/raw/sources/<source_id>.txt` lists them (status TO DECIDE).\n"
    )
