"""The house rules of the layout (docs/architecture.md), checked on the source rather than trusted: stages
import only downwards, no cycles, no private names across modules, small modules, a docstring on everything a
notebook calls, and an architecture document that names every module."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import nbformat
import pytest

from _project import REPO

PACKAGE = REPO / "src" / "governance_study"

#: Stages of the flow raw -> text -> verified claims (verify) -> metrics -> derived tables (which publish the
#: metric tables) -> reports -> study; a module may import its own stage or a lower one. curate/ (the tools for
#: adding a source) sits beside the metrics.
STAGES = {
    "__init__": 0,
    "paths": 0,
    "errors": 0,
    "csvio": 0,
    "vocabulary": 0,
    "fields": 0,
    "lock": 0,
    "text": 1,
    "verify": 2,
    "datasets": 2,
    "curate": 3,
    "metrics": 3,
    "derived": 3.5,
    "report": 4,
    "study": 5,
    "cli": 6,
}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1] if len(parts) > 1 else "__init__"]


def _imports(path: Path, *, top_level_only: bool = False) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    return [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))]


def _targets(node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("governance_study")]
    if not node.module or not node.module.startswith("governance_study"):
        return []
    modules = _modules()
    # "from governance_study.report import plots" imports the module governance_study.report.plots
    return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names]


def test_every_module_is_in_a_stage():
    for module in _modules():
        _stage(module)  # KeyError names a module outside the layout


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_go_down_the_stages_and_name_no_private_names(module):
    path = _modules()[module]
    for node in _imports(path):
        for target in _targets(node):
            assert _stage(target) <= _stage(module), f"{module} imports {target}, a later stage"
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("governance_study"):
            private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
            assert not private, f"{module} imports private names {private} from {node.module}"


def test_curate_and_metrics_are_separate_branches():
    for module, path in _modules().items():
        for branch, other in (("curate", "metrics"), ("metrics", "curate")):
            if module.startswith(f"governance_study.{branch}"):
                targets = [t for node in _imports(path) for t in _targets(node)]
                assert not [t for t in targets if t.startswith(f"governance_study.{other}")], f"{module} imports {other}/"


def test_no_import_cycles():
    modules = _modules()
    graph = {m: {t for n in _imports(p, top_level_only=True) for t in _targets(n) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ importing its own modules is how it exports them, not a cycle of meaning
    for m in graph:
        graph[m] = {t for t in graph[m] if not (t.startswith(m + ".") and modules[m].name == "__init__.py")}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_are_small(module):
    lines = len(_modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by job (limit {MAX_LINES})"


def _notebook_calls() -> set[str]:
    calls = set()
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                target = node.func if isinstance(node, ast.Call) else None
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    calls.add(f"{target.value.id}.{target.attr}")
                for arg in getattr(node, "args", []):  # report.attempt(metrics.fit_glm, ...)
                    if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
                        calls.add(f"{arg.value.id}.{arg.attr}")
    return calls


def test_every_function_a_notebook_calls_has_a_docstring():
    doors = {
        "datasets": "governance_study.datasets",
        "metrics": "governance_study.metrics",
        "report": "governance_study.report",
        "plots": "governance_study.report.plots",
    }
    calls = sorted(c for c in _notebook_calls() if c.split(".")[0] in doors)
    assert any(c.startswith("metrics.") for c in calls)
    for call in calls:
        door, name = call.split(".")
        function = getattr(importlib.import_module(doors[door]), name)
        assert (function.__doc__ or "").strip(), f"{call} has no docstring"


def test_architecture_document_names_every_module():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in _modules().values():
        if path.name == "__init__.py":
            continue
        relative = path.relative_to(PACKAGE).as_posix()
        assert f"`{relative}`" in text, f"docs/architecture.md does not describe {relative}"
    assert "shared/" not in text and "DESIGN" not in text  # the project speaks of itself only


def test_a_column_name_means_one_thing_in_every_table():
    """The field dictionary (governance_study.fields): a column name used by two tables is described there once
    (or is one of the few whose meaning is each table's own), and every model takes that description."""
    from collections import defaultdict

    from governance_study.fields import FIELDS, PER_TABLE
    from governance_study.metrics import schemas as metric_schemas
    from governance_study.verify import schemas as dataset_schemas

    models = [
        getattr(module, name)
        for module in (dataset_schemas, metric_schemas)
        for name in dir(module)
        if name.endswith("Schema") and isinstance(getattr(module, name), type)
    ]
    uses = defaultdict(list)
    for model in models:
        for name, column in model.to_schema().columns.items():
            uses[name].append(model.__name__)
            if name in FIELDS:
                assert column.description == FIELDS[name]["description"], f"{model.__name__}.{name} redescribes the field"
    shared = {name for name, tables in uses.items() if len(tables) > 1}
    assert shared <= set(FIELDS) | PER_TABLE, (
        f"columns in several tables without one definition: {sorted(shared - set(FIELDS) - PER_TABLE)}"
    )
