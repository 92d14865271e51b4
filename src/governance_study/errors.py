"""Errors that report bad input the way a researcher can act on: file, row, id, field, value, what to do.

Validation collects every :class:`Problem` before raising, so one run of ``governance-study check`` lists all
of them rather than the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the raw data.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header is line 1), so a
    reader can jump straight to it; ``None`` when the problem concerns the whole file.
    """

    file: str
    message: str
    fix: str
    row: int | None = None
    record_id: str | None = None
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, line {self.row}"
        parts = [where]
        if self.record_id:
            parts.append(self.record_id)
        if self.field:
            shown = "" if self.value is None else f" = {_shorten(self.value)!r}"
            parts.append(f"{self.field}{shown}")
        return f"{': '.join(parts)}: {self.message}. {self.fix}"


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class DataError(ValueError):
    """Raised when raw data fail validation; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = [f"{len(self.problems)} {noun} in the raw data (nothing was written):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def relative(path: Path, root: Path) -> str:
    """``path`` as written relative to the project root, for messages."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
