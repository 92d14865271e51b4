"""``governance-study extract``: find every figure of an article, with its kind, guesses and curation status.

``extract PATH... [--format csv|table] [--jobs N]`` prints one row per number expression in the given
articles (files, or folders searched for ``*.txt``), with the columns of
:mod:`governance_study.curate.candidates`. It streams: files are read, scanned and written one at a time (with
``--jobs N``, by N worker processes, at most a few dozen files in flight), so memory does not grow with the
corpus. ``csv`` is for tools (UTF-8, header row, one candidate per line); ``table`` is for people (fixed-width,
the clause instead of the sentence, a summary per file). Files that are not UTF-8 are decoded as described in
:mod:`governance_study.text.decoding`, with a note on stderr; files that cannot be decoded are reported on stderr and
make the exit status 1, after the other files were processed.

``coverage`` (the per-source counts built on the same scan) is :mod:`governance_study.curate.coverage`.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TextIO

from governance_study.curate.candidates import COLUMNS, Candidate, ScanContext, Scanner
from governance_study.curate.marks import claim_problems, mark_problems, read_claim_refs, read_marks
from governance_study.errors import DataError, Problem
from governance_study.paths import ProjectPaths
from governance_study.text.decoding import DecodeError, decode_article

__all__ = ["run_extract", "load_context", "expand_paths", "extract_file"]

#: Files handed to a worker at a time; small, because one article is already tens of kilobytes of work.
CHUNK_FILES = 4
#: Files in flight per worker (queued, being scanned, or waiting to be written): bounds memory.
IN_FLIGHT_PER_JOB = 16


# ------------------------------------------------------------------------------------------------------------
# Context: reference data, claims and marks, read once in the main process


def load_context(paths: ProjectPaths) -> tuple[ScanContext, list[Problem]]:
    """The scan context of a project, and the problems met reading claims.csv and not_curated.csv.

    Raises :class:`DataError` when the reference tables cannot be read (the guesses need them).
    """
    from governance_study.verify.reference import read_reference  # pandas: imported here, never in worker processes

    reference, problems = read_reference(paths)
    if "districts" not in reference or "indicators" not in reference:
        raise DataError(problems)
    districts = reference["districts"]
    spellings: dict[str, str] = {}
    city_code = None
    for row in districts.itertuples(index=False):
        if row.level == "city":
            city_code = row.district_code
        for spelling in [row.name_zh, *str(row.aliases).split(";")]:
            if spelling.strip():
                spellings[spelling.strip()] = row.district_code
    claims, claim_read_problems = read_claim_refs(paths)
    marks, mark_read_problems = read_marks(paths)
    context = ScanContext(
        districts=spellings, city_code=city_code, indicators=frozenset(reference["indicators"]["indicator"]), claims=claims, marks=marks
    )
    return context, claim_read_problems + mark_read_problems


def expand_paths(arguments: Sequence[str]) -> list[Path]:
    """Files named, and ``*.txt`` files under folders named (sorted); FileNotFoundError for a missing path."""
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.txt") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{argument}: no such file or folder (give article files, or folders holding *.txt files)")
    return files


# ------------------------------------------------------------------------------------------------------------
# One file: decode, scan, format (runs in worker processes)


@dataclass
class FileResult:
    """What one file gives: its formatted rows (UTF-8), counts by status, notes for stderr, or the error."""

    path: str
    chunk: bytes = b""
    statuses: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


_STATUS = attrgetter("status")
_scanner: Scanner | None = None
_fmt = "csv"


def _init_worker(context: ScanContext, fmt: str) -> None:
    global _scanner, _fmt
    _scanner, _fmt = Scanner(context), fmt


def extract_file(path: str, scanner: Scanner, fmt: str) -> FileResult:
    """Decode and scan one file; rows formatted as ``fmt`` ("csv" without header, or "table")."""
    result = FileResult(path)
    file = Path(path)
    try:
        decoded = decode_article(file.read_bytes(), path)
    except (DecodeError, OSError) as exc:
        result.error = str(exc)
        return result
    if decoded.note:
        result.notes.append(decoded.note)
    source_id = file.stem
    scan = scanner.scan(source_id, decoded.text)
    result.statuses = Counter(map(_STATUS, scan.candidates))  # counted in C: no generator step per candidate
    if fmt == "csv":
        rows = _csv_rows(scan.candidates)
    else:
        buffer = io.StringIO()
        _write_table(buffer, path, scan.candidates, result.statuses)
        rows = buffer.getvalue()
    # bytes: the main process, which only passes rows on, then neither decodes nor re-encodes them
    result.chunk = rows.encode("utf-8")
    marks = scanner.context.marks.get(source_id, {})
    if marks or scan.lost_claims or scan.unmatched_claims:
        by_start = {c.start: c.text for c in scan.candidates}
        curated = {c.start: c.curated for c in scan.candidates if c.curated}
        problems = mark_problems(source_id, decoded.text, by_start, marks, curated)
        problems += claim_problems(scan.lost_claims, scan.unmatched_claims)
        result.notes += [f"{path}: {p}" for p in problems]
    return result


def _process(path: str) -> FileResult:
    assert _scanner is not None, "worker not initialised"  # a programming error, not a data error
    return extract_file(path, _scanner, _fmt)


# ------------------------------------------------------------------------------------------------------------
# The CSV format (for tools)

_quoter_buffer = io.StringIO()
_quoter = csv.writer(_quoter_buffer, lineterminator="\n")


def _csv_cell(cell: str) -> str:
    """``cell`` exactly as ``csv.writer(out, lineterminator="\\n")`` writes it (QUOTE_MINIMAL, quotes doubled)."""
    if "," in cell or '"' in cell or "\n" in cell:
        if "\r" not in cell:
            return '"' + cell.replace('"', '""') + '"'
    elif "\r" not in cell:
        return cell
    # a carriage return: Python versions differ on whether it alone calls for quotes; ask the csv module
    _quoter_buffer.seek(0)
    _quoter_buffer.truncate()
    _quoter.writerow((cell, ""))  # two cells: csv.writer quotes a row of one empty cell
    return _quoter_buffer.getvalue()[:-2]


def _csv_rows(candidates: Sequence[Candidate]) -> str:
    """The CSV rows of ``candidates``, without header: what ``csv.writer(out, lineterminator="\\n").writerows``
    writes, byte for byte (tests/test_extract.py compares them), in some 60% of the time.

    csv.writer inspects every character of every cell, and the sentence, the longest cell, repeats for each
    candidate of a sentence: here it is quoted once per sentence, empty cells are not inspected, and neither are
    the cells that come from a closed vocabulary of the code (value, bound, unit, kind, status: no comma, quote
    or line break).
    """
    lines: list[str] = []
    append = lines.append
    quoted_sentences: dict[str, str] = {}
    source_cell = ""
    previous_source = None
    for (
        source_id,
        text,
        value,
        bound,
        unit,
        kind,
        start,
        end,
        sentence,
        district_code,
        indicator,
        curated,
        status,
        mark_reason,
        clause,
        district_basis,
        indicator_basis,
    ) in candidates:
        if source_id is not previous_source:
            previous_source, source_cell = source_id, _csv_cell(source_id)
        sentence_cell = quoted_sentences.get(sentence)
        if sentence_cell is None:
            sentence_cell = quoted_sentences[sentence] = _csv_cell(sentence)
        append(
            f"{source_cell},{_csv_cell(text)},{value},{bound},{unit},{kind},{start},{end},{sentence_cell},"
            f"{district_code and _csv_cell(district_code)},{indicator and _csv_cell(indicator)},"
            f"{curated and _csv_cell(curated)},{status},{mark_reason and _csv_cell(mark_reason)},{_csv_cell(clause)},"
            f"{district_basis and _csv_cell(district_basis)},{indicator_basis and _csv_cell(indicator_basis)}\n"
        )
    return "".join(lines)


# ------------------------------------------------------------------------------------------------------------
# The table format (for people)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` - 1 terminal columns (CJK characters take two), then padded to ``width``."""
    text = "".join(" " if c in "\t\r\n" else c for c in text)
    width -= 1  # one space always separates columns
    if _width(text) > width:
        out, used = [], 0
        for c in text:
            w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
            if used + w > width - 1:
                break
            out.append(c)
            used += w
        text = "".join(out) + "…"
    return text + " " * (width + 1 - _width(text))


_TABLE = (
    ("start", 7),
    ("kind", 11),
    ("status", 17),
    ("text", 16),
    ("value", 14),
    ("bound", 10),
    ("district", 9),
    ("indicator", 25),
    ("clause", 44),
)


def _table_header() -> str:
    return "".join(_fit(name, width) for name, width in _TABLE).rstrip() + "\n"


def _status_cell(c: Candidate) -> str:
    if c.status == "marked":
        return f"marked:{c.mark_reason}"
    return "TO DECIDE" if c.status == "to_decide" else c.status


def _write_table(out: TextIO, path: str, candidates: list[Candidate], statuses: Counter) -> None:
    out.write(f"== {path}\n")
    for c in candidates:
        cells = (str(c.start), c.kind, _status_cell(c), c.text, c.value, c.bound, c.district_code, c.indicator, c.clause)
        out.write("".join(_fit(v, w) for v, (_, w) in zip(cells, _TABLE)).rstrip() + "\n")
    out.write(f"   {_summary(len(candidates), statuses)}\n\n")


def _summary(found: int, statuses: Counter) -> str:
    return (
        f"{found} candidates: {statuses['curated']} curated, {statuses['marked']} marked not curated, "
        f"{statuses['not_proposed']} not proposed (kind), {statuses['to_decide']} to decide"
    )


# ------------------------------------------------------------------------------------------------------------
# extract


def _results(files: list[Path], context: ScanContext, fmt: str, jobs: int) -> Iterator[FileResult]:
    """FileResults in file order; with jobs > 1 from a pool, never more than jobs * IN_FLIGHT_PER_JOB pending."""
    if jobs <= 1 or len(files) <= 1:
        scanner = Scanner(context)
        for path in files:
            yield extract_file(str(path), scanner, fmt)
        return
    jobs = min(jobs, len(files))
    # Pool.imap would read results ahead without limit if writing ever fell behind; the gate stops the feeder.
    gate = threading.BoundedSemaphore(jobs * IN_FLIGHT_PER_JOB)
    stop = threading.Event()

    def feed() -> Iterator[str]:
        for path in files:
            # never block for good: when the consumer stops early (broken pipe, Ctrl-C), the pool can only
            # shut down once this generator, run by the pool's feeder thread, has returned
            while not gate.acquire(timeout=0.1):
                if stop.is_set():
                    return
            if stop.is_set():
                return
            yield str(path)

    # forkserver: workers start from a clean single-threaded server, never from a fork of a process whose other
    # threads (a test runner, kernel clients) may hold a lock at that instant, which deadlocked Pool.terminate
    start_method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
    with multiprocessing.get_context(start_method).Pool(jobs, initializer=_init_worker, initargs=(context, fmt)) as pool:
        try:
            for result in pool.imap(_process, feed(), chunksize=CHUNK_FILES):
                yield result
                gate.release()
        finally:
            stop.set()


def _byte_writer(out: TextIO) -> Callable[[bytes], None]:
    """A function writing UTF-8 bytes to ``out``: straight to its binary buffer when it has a UTF-8 one."""
    buffer = getattr(out, "buffer", None)
    if buffer is not None and (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8":

        def write(data: bytes) -> None:
            out.flush()  # what was written as text (the header) goes first
            buffer.write(data)
    else:

        def write(data: bytes) -> None:
            out.write(data.decode("utf-8"))

    return write


def run_extract(paths: ProjectPaths, arguments: Sequence[str], *, fmt: str = "table", jobs: int = 1, out: TextIO | None = None) -> int:
    """Write every candidate of the articles named by ``arguments`` to ``out`` (stdout); return the exit status.

    0 when every file was read; 1 when some file could not be decoded (reported on stderr).
    """
    out = out if out is not None else sys.stdout
    if fmt not in ("csv", "table"):
        raise ValueError(f"unknown format {fmt!r}: use csv or table")
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    files = expand_paths(arguments)
    context, problems = load_context(paths)
    for problem in problems:
        print(f"governance-study extract: warning: {problem}", file=sys.stderr)
    if fmt == "csv":
        csv.writer(out, lineterminator="\n").writerow(COLUMNS)
    else:
        out.write(_table_header())
    totals: Counter = Counter()
    found = failed = 0
    write = _byte_writer(out)
    results = _results(files, context, fmt, jobs)
    try:
        for result in results:
            for note in result.notes:
                print(f"governance-study extract: note: {note}", file=sys.stderr)
            if result.error is not None:
                failed += 1
                print(f"governance-study extract: {result.error}", file=sys.stderr)
                continue
            write(result.chunk)
            totals.update(result.statuses)
            found += sum(result.statuses.values())
    except BrokenPipeError:
        # the reader went away (`extract ... | head`): stop quietly, as command-line tools do
        results.close()
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the final flush cannot fail
        return 0
    finally:
        results.close()
    if fmt == "table":
        out.write(f"{len(files) - failed} file(s), {_summary(found, totals)}\n")
        if totals["to_decide"]:
            out.write("Curate each TO DECIDE figure into data/raw/claims.csv, or mark it in data/raw/not_curated.csv.\n")
    out.flush()
    return 1 if failed else 0
