"""Each report's parameters checked against what its notebook declares, before any kernel starts.

Grain: one problem line per unknown, missing or mistyped parameter of a report; all raised together as a
:class:`~governance_study.study.spec.StudyError` (papermill itself would only warn).
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from governance_study.study.spec import Report, StudyError


def _literal(text: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _type_name(value: Any) -> str:
    name = "None" if value is None else type(value).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


def _compatible(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    return isinstance(value, type(default))


def check_parameters(reports: Sequence[Report], inspect: Callable[[Path], dict[str, dict]] | None = None) -> None:
    """Every report's parameters against its notebook's ``parameters`` cell; StudyError lists every mismatch.

    The notebook's declarations come from ``papermill.inspect_notebook``. study.yaml must give every declared
    parameter (so a report records all the values that produced it) and nothing else; a value must have the
    type of the notebook's default (an int where a float is declared is fine).
    """
    if inspect is None:
        import papermill

        def inspect(path: Path) -> dict[str, dict]:
            return papermill.inspect_notebook(str(path))

    declared_by_notebook: dict[Path, dict[str, dict] | str] = {}
    problems: list[str] = []
    for report in reports:
        path = report.notebook_path
        if path not in declared_by_notebook:
            try:
                declared_by_notebook[path] = _declared(path, inspect)
            except Exception as exc:  # a broken notebook file is a problem to list, not a crash
                declared_by_notebook[path] = f"cannot read its parameters: {type(exc).__name__}: {exc}"
        declared = declared_by_notebook[path]
        where = f"report {report.report_id} (notebooks/{path.name})"
        if isinstance(declared, str):
            problems.append(f"{where}: {declared}")
            continue
        given = report.parameters
        for name in given:
            if name not in declared:
                close = difflib.get_close_matches(name, declared, n=1)
                problems.append(
                    f"{where}: unknown parameter {name!r}"
                    + (f" (did you mean {close[0]!r}?)" if close else "")
                    + f"; the notebook declares: {', '.join(declared) or 'no parameters'}"
                )
        for name, info in declared.items():
            if name not in given:
                problems.append(
                    f"{where}: missing parameter {name!r} (notebook default {info['default']}): study.yaml gives every "
                    "parameter the notebook declares, so the report records every value that produced it"
                )
                continue
            ok, default = _literal(info["default"])
            if ok and not _compatible(default, given[name]):
                problems.append(
                    f"{where}: parameter {name!r} is {_type_name(given[name])} ({given[name]!r}) but the notebook's "
                    f"default is {_type_name(default)} ({info['default']})"
                )
    if problems:
        raise StudyError(problems, heading="the reports' parameters")


def _declared(path: Path, inspect: Callable[[Path], dict[str, dict]]) -> dict[str, dict]:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    if not any("parameters" in cell.get("metadata", {}).get("tags", []) for cell in nb.cells):
        raise ValueError("no cell tagged 'parameters' (papermill would inject values at the top, silently)")
    return inspect(path)
