"""Reading and writing the project's CSV files: strict on the way in, byte-stable on the way out.

Raw CSVs are read as text (every cell a string, empty cells as ""), because curated values such as "90.0"
or district codes such as "120101" must keep their written form; typing happens in the schemas.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from governance_study.errors import Problem, relative


def decode_utf8(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Decode ``data`` as strict UTF-8, or say where it is not (line and byte) and how to convert it."""
    if not data.strip():
        return None, [Problem(file, "the file is empty", "Restore its content from version control or remove it.")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4].hex(" ")
        return None, [
            Problem(
                file,
                f"not UTF-8 (invalid byte sequence {bad} at byte {exc.start}, line {line})",
                "Convert it to UTF-8, e.g. `iconv -f GB18030 -t UTF-8 FILE > FILE.utf8` for a Chinese page "
                "saved as GBK/GB18030, then record the new sha256 in data/raw/sources.csv.",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is an editor artefact, not content
    return text, []


def read_text_table(path: Path, root: Path, required: list[str]) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV whose cells are all text; check that the ``required`` columns are present.

    One row per data line; the returned frame carries a ``_line`` column with the spreadsheet line number
    (header = 1) used in messages.
    """
    file = relative(path, root)
    if not path.is_file():
        return None, [Problem(file, "the file does not exist", "Restore it from version control.")]
    text, problems = decode_utf8(path.read_bytes(), file)
    if text is None:
        return None, problems
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Problem(file, f"not a readable CSV ({exc})", "Check quoting: a field holding a comma must be in double quotes.")]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        return None, [
            Problem(
                file,
                f"missing column(s) {', '.join(missing)} (found: {', '.join(map(str, frame.columns))})",
                f"Add the column(s) to the header row; the file needs {', '.join(required)}.",
                row=1,
            )
        ]
    frame = frame.map(str.strip) if len(frame) else frame
    lines = record_lines(text)
    if len(lines) != len(frame):  # the two readers disagree on what a row is: fall back to one row per line
        lines = list(range(2, len(frame) + 2))
    frame.insert(0, "_line", lines)
    return frame, []


def record_lines(text: str) -> list[int]:
    r"""The line (1-based, as an editor shows it) on which each data record of a CSV text starts: blank lines
    are skipped and a quoted field may span lines, so the n-th record is not always on line n + 1.

    >>> record_lines('a,b\n1,2\n\n3,"x\ny"\n4,5\n')
    [2, 4, 6]
    """
    import csv

    reader = csv.reader(io.StringIO(text))
    starts, end = [], 0
    for row in reader:
        start, end = end + 1, reader.line_num
        if row:  # pandas skips blank lines too
            starts.append(start)
    # a blank line before a record is counted in the record's span: move its start past leading blank lines
    physical = text.splitlines()
    fixed = []
    for start in starts:
        while start <= len(physical) and not physical[start - 1].strip():
            start += 1
        fixed.append(start)
    return fixed[1:]  # the first record is the header


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Serialise a derived table to UTF-8 CSV bytes that are identical from build to build.

    Floats are written with 10 significant digits: enough for every reported figure and interval, and short
    enough that the last bits of floating-point noise never reach the file.
    """
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", float_format="%.10g", na_rep="")
    return buffer.getvalue().encode("utf-8")
