"""Run the whole study: ``study.yaml`` -> executed notebooks -> HTML reports in ``reports/`` and an index.

``governance-study run [--force] [--jobs N] [--only NAME]`` does, in order:

1. reads and validates ``study.yaml`` (every problem listed at once);
2. rebuilds ``data/derived/`` unless its inputs (raw data, library source, versions) are unchanged since the
   last build and the derived files are as that build left them;
3. expands the study into reports (one district profile per district that has claims);
4. computes each report's *inputs key*: sha256 of the notebook file, its parameters, the derived data, the
   library source (including the report templates), CITATION.cff and the key package versions. A report whose
   key matches the one recorded with its HTML is skipped (``--force`` reruns everything);
5. checks the parameters of every report to run against what its notebook declares
   (``papermill.inspect_notebook``): an unknown or missing parameter, or a value of the wrong type, stops the
   run before any kernel starts (papermill itself would only warn);
6. executes the notebooks with papermill, ``--jobs`` at a time, exports each to HTML without code and with
   provenance and citation panels, written atomically;
7. writes ``reports/index.html``.

A notebook that fails is named with its cell and error on stderr; the executed notebook is kept under
``reports/_failed/``; that report's previous HTML stays untouched; the other reports still run; the exit
status is 1.

**Kernel reuse.** Each worker thread keeps one kernel and runs its notebooks in it one after another,
clearing the user namespace (``%reset -f``) and closing figures between notebooks. Imported modules stay
loaded, which saves the 2-3 s that importing pandas, seaborn and statsmodels costs every fresh kernel. The
notebooks are written so that this cannot change a result (no global state is set in them; plots use
``rc_context``), and the test suite also executes each notebook in a fresh kernel. A kernel that saw a failure
is discarded. Set ``execution: {reuse_kernels: false}`` in ``study.yaml`` for one kernel per notebook.

**Why the git commit is not part of the inputs key.** A commit that changes none of the inputs above (a README
edit) does not rerun the study; the reused report keeps the commit and run time it was produced at, which is
what its provenance panel says. Use ``--force`` to stamp every report with the current commit.
"""

from __future__ import annotations

import ast
import csv
import difflib
import fnmatch
import hashlib
import json
import os
import queue
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import ProjectPaths

#: Keys allowed in study.yaml, at the top and per report.
STUDY_KEYS = {"title", "description", "execution", "reports"}
EXECUTION_KEYS = {"kernel", "cell_timeout_s", "reuse_kernels", "start_timeout_s"}
REPORT_KEYS = {"notebook", "title", "section", "output", "parameters", "for_each"}
#: Expansions a report entry may ask for, with the placeholders each provides.
FOR_EACH = {
    "district_with_claims": ("district_code", "district_name_zh", "district_name_en", "district_pinyin"),
}
RESERVED_OUTPUTS = {"index.html"}
FAILED_DIR = "_failed"
SCALARS = (str, int, float, bool)

Progress = Callable[[str], None]


class StudyError(ValueError):
    """study.yaml or a report's parameters are wrong; raised before any kernel starts. Lists every problem."""

    def __init__(self, problems: Sequence[str], heading: str = "study.yaml"):
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__("\n".join([f"{len(self.problems)} {noun} in {heading} (nothing was run):"] + [f"  - {p}" for p in self.problems]))


# --------------------------------------------------------------------------------------------------------------
# study.yaml


@dataclass(frozen=True)
class ReportSpec:
    """One entry of ``reports:`` in study.yaml, before expansion."""

    notebook: str  # stem, e.g. "05_district_profile"
    title: str
    section: str
    output: str  # relative to reports/, may hold {placeholders}
    parameters: dict[str, Any]
    for_each: str | None = None


@dataclass(frozen=True)
class Execution:
    kernel: str = "python3"
    cell_timeout_s: int = 600
    start_timeout_s: int = 60
    reuse_kernels: bool = True


@dataclass(frozen=True)
class Study:
    title: str
    description: list[str]
    execution: Execution
    reports: list[ReportSpec]


@dataclass(frozen=True)
class Report:
    """One report to produce: a notebook with concrete parameters and an output file."""

    report_id: str  # output path without ".html": "02_resolution_rates", "districts/120101"
    notebook: str
    notebook_path: Path
    title: str
    section: str
    output: str
    parameters: dict[str, Any]

    def html_path(self, paths: ProjectPaths) -> Path:
        return paths.reports / self.output

    @property
    def index_href(self) -> str:
        depth = self.output.count("/")
        return "../" * depth + "index.html"


def _is_parameter_value(value: Any) -> bool:
    if value is None or isinstance(value, SCALARS):
        return True
    return isinstance(value, list) and all(v is None or isinstance(v, SCALARS) for v in value)


def _placeholders(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_study(paths: ProjectPaths) -> Study:
    """Read and validate study.yaml; StudyError lists every problem (file, entry, key, what to do)."""
    import yaml

    path = paths.study_file
    if not path.is_file():
        raise StudyError([f"{path} does not exist: the study is declared in study.yaml at the project root"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise StudyError([f"not valid YAML: {exc}"]) from None
    problems: list[str] = []
    if not isinstance(data, dict):
        raise StudyError(["the file must be a mapping with keys title, description, execution, reports"])
    for key in sorted(set(data) - STUDY_KEYS):
        problems.append(f"unknown top-level key {key!r}; allowed: {', '.join(sorted(STUDY_KEYS))}")
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append("missing 'title': name the study (shown on the index page)")
    description = data.get("description") or ""
    paragraphs = [p.strip().replace("\n", " ") for p in str(description).split("\n\n") if p.strip()]

    raw_exec = data.get("execution") or {}
    execution = Execution()
    if not isinstance(raw_exec, dict):
        problems.append("'execution' must be a mapping")
    else:
        for key in sorted(set(raw_exec) - EXECUTION_KEYS):
            problems.append(f"execution: unknown key {key!r}; allowed: {', '.join(sorted(EXECUTION_KEYS))}")
        try:
            execution = Execution(
                kernel=str(raw_exec.get("kernel", "python3")),
                cell_timeout_s=int(raw_exec.get("cell_timeout_s", 600)),
                start_timeout_s=int(raw_exec.get("start_timeout_s", 60)),
                reuse_kernels=bool(raw_exec.get("reuse_kernels", True)),
            )
        except (TypeError, ValueError) as exc:
            problems.append(f"execution: {exc}")

    entries = data.get("reports")
    reports: list[ReportSpec] = []
    if not isinstance(entries, list) or not entries:
        problems.append("'reports' must be a non-empty list of {notebook, title, parameters, ...}")
        entries = []
    outputs: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"reports[{number}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with at least 'notebook'")
            continue
        notebook = str(entry.get("notebook") or "").strip()
        where = f"reports[{number}] ({notebook or 'no notebook'})"
        for key in sorted(set(entry) - REPORT_KEYS):
            hint = difflib.get_close_matches(key, REPORT_KEYS, n=1)
            problems.append(f"{where}: unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "") + f"; allowed: {', '.join(sorted(REPORT_KEYS))}")
        notebook = notebook.removesuffix(".ipynb")
        if not notebook:
            problems.append(f"{where}: missing 'notebook' (a file name in notebooks/, e.g. 02_resolution_rates)")
            continue
        if "/" in notebook or notebook.startswith("."):
            problems.append(f"{where}: 'notebook' must be a file name in notebooks/, not a path")
            continue
        nb_path = paths.notebooks / f"{notebook}.ipynb"
        if not nb_path.is_file():
            known = sorted(p.stem for p in paths.notebooks.glob("*.ipynb")) if paths.notebooks.is_dir() else []
            problems.append(f"{where}: notebooks/{notebook}.ipynb does not exist; notebooks: {', '.join(known) or 'none'}")
        for_each = entry.get("for_each")
        allowed_placeholders: set[str] = set()
        if for_each is not None:
            if for_each not in FOR_EACH:
                problems.append(f"{where}: for_each {for_each!r} unknown; use one of: {', '.join(FOR_EACH)}")
            else:
                allowed_placeholders = set(FOR_EACH[for_each])
        output = str(entry.get("output") or f"{notebook}.html")
        parameters = entry.get("parameters") or {}
        if not isinstance(parameters, dict):
            problems.append(f"{where}: 'parameters' must be a mapping name: value")
            parameters = {}
        for name, value in parameters.items():
            if not _is_parameter_value(value):
                problems.append(f"{where}: parameter {name!r} = {value!r}: use a scalar or a list of scalars")
        texts = {"output": output, "title": str(entry.get("title") or notebook)}
        texts.update({f"parameter {k!r}": v for k, v in parameters.items() if isinstance(v, str)})
        for label, text in texts.items():
            unknown = _placeholders(text) - allowed_placeholders
            if unknown:
                offer = f"available with for_each {for_each}: {', '.join(sorted(allowed_placeholders))}" if allowed_placeholders else "placeholders need for_each"
                problems.append(f"{where}: {label} uses unknown placeholder(s) {', '.join(sorted(unknown))}; {offer}")
        if for_each in FOR_EACH and not _placeholders(output):
            problems.append(f"{where}: with for_each, 'output' must hold a placeholder such as {{district_code}} (else every report overwrites one file)")
        if not output.endswith(".html") or output.startswith("/") or ".." in Path(output).parts or "\\" in output:
            problems.append(f"{where}: output {output!r} must be a relative path ending in .html inside reports/")
        if output in RESERVED_OUTPUTS or output.split("/")[0] in {FAILED_DIR, ".cache"}:
            problems.append(f"{where}: output {output!r} is reserved for the study itself")
        if output in outputs:
            problems.append(f"{where}: output {output!r} is also written by reports[{outputs[output]}]")
        outputs[output] = number
        reports.append(
            ReportSpec(
                notebook=notebook,
                title=texts["title"],
                section=str(entry.get("section") or "Reports"),
                output=output,
                parameters=dict(parameters),
                for_each=for_each,
            )
        )
    if problems:
        raise StudyError(problems)
    return Study(title=title, description=paragraphs, execution=execution, reports=reports)


def _read_csv(path: Path) -> list[dict[str, str]]:
    # csv, not pandas: an unchanged rerun must not pay half a second for importing pandas
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def districts_with_claims(paths: ProjectPaths) -> list[dict[str, str]]:
    """One mapping of placeholders per district code that has at least one claim, by code (city first)."""
    claims_path = paths.derived_table("claims")
    if not claims_path.is_file():
        raise StudyError([f"{claims_path} does not exist: run `governance-study build`"], heading="the derived data")
    codes = sorted({row["district_code"] for row in _read_csv(claims_path) if row.get("district_code")})
    names = {row["district_code"]: row for row in _read_csv(paths.districts)}
    out = []
    for code in codes:
        row = names.get(code, {})
        out.append(
            {
                "district_code": code,
                "district_name_zh": row.get("name_zh", code),
                "district_name_en": row.get("name_en", code),
                "district_pinyin": row.get("name_pinyin", code),
            }
        )
    return out


def _fill(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**mapping)
    if isinstance(value, list):
        return [_fill(v, mapping) for v in value]
    return value


def expand(study: Study, paths: ProjectPaths) -> list[Report]:
    """The concrete reports of the study, in study.yaml order (for_each entries expanded in code order)."""
    reports: list[Report] = []
    for spec in study.reports:
        bindings: list[dict[str, str]] = [{}]
        if spec.for_each == "district_with_claims":
            bindings = districts_with_claims(paths)
        for mapping in bindings:
            output = spec.output.format(**mapping)
            reports.append(
                Report(
                    report_id=output.removesuffix(".html"),
                    notebook=spec.notebook,
                    notebook_path=paths.notebooks / f"{spec.notebook}.ipynb",
                    title=spec.title.format(**mapping),
                    section=spec.section,
                    output=output,
                    parameters={k: _fill(v, mapping) for k, v in spec.parameters.items()},
                )
            )
    return reports


def select(reports: list[Report], only: Sequence[str] | None) -> list[Report]:
    """Reports named by ``--only``: a report id, a notebook name (all its reports) or a glob on either."""
    if not only:
        return reports
    chosen: list[Report] = []
    problems = []
    for name in only:
        name = name.removesuffix(".html").removesuffix(".ipynb")
        hits = [r for r in reports if fnmatch.fnmatchcase(r.report_id, name) or fnmatch.fnmatchcase(r.notebook, name)]
        if not hits:
            names = sorted({r.notebook for r in reports} | {r.report_id for r in reports})
            close = difflib.get_close_matches(name, names, n=3)
            problems.append(
                f"--only {name!r} matches no report" + (f" (did you mean {', '.join(close)}?)" if close else "") + f"; reports: {', '.join(names)}"
            )
        chosen += [r for r in hits if r not in chosen]
    if problems:
        raise StudyError(problems, heading="the command line")
    return [r for r in reports if r in chosen]


# --------------------------------------------------------------------------------------------------------------
# parameters


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


# --------------------------------------------------------------------------------------------------------------
# inputs keys, build stamp, records


def _digest_files(files: Sequence[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def library_digest() -> str:
    """sha256 over the library's source files (Python modules, templates, stylesheet)."""
    package = Path(__file__).resolve().parent
    files = sorted(
        p for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".j2", ".css", ".json", ".tpl"}
    )
    return _digest_files(files, package)


def raw_digest(paths: ProjectPaths) -> str:
    files = sorted(p for p in paths.raw.rglob("*") if p.is_file()) if paths.raw.is_dir() else []
    return _digest_files(files, paths.raw)


def _json_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class RunInputs:
    """What every report of one run shares."""

    derived: dict[str, str]
    library: str
    versions: dict[str, str | None]
    citation: str
    kernel: str

    def components(self, report: Report, notebook_sha256: str) -> dict[str, str]:
        """sha256 of each input of a report, by name (the record keeps them to say what changed)."""
        return {
            "notebook": notebook_sha256,
            "parameters": _json_hash({"parameters": report.parameters, "title": report.title, "output": report.output}),
            "derived data": _json_hash(self.derived),
            "library source": self.library,
            "versions": _json_hash(self.versions),
            "CITATION.cff": self.citation,
            "kernel": _json_hash(self.kernel),
        }

    def key(self, report: Report, notebook_sha256: str) -> str:
        return _json_hash(self.components(report, notebook_sha256))


def _why(record: dict[str, Any] | None, components: dict[str, str], html_intact: bool, force: bool) -> str:
    if force:
        return "--force"
    if record is None:
        return "new"
    changed = [name for name, digest in components.items() if (record.get("components") or {}).get(name) != digest]
    if changed:
        return "changed: " + ", ".join(changed)
    return "report missing or edited" if not html_intact else "inputs changed"


def _record_path(paths: ProjectPaths, report_id: str) -> Path:
    return paths.cache_dir / "reports" / f"{report_id}.json"


def read_record(paths: ProjectPaths, report_id: str) -> dict[str, Any] | None:
    path = _record_path(paths, report_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: Any) -> None:
    from .export import write_text_atomic

    write_text_atomic(path, json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def ensure_derived(paths: ProjectPaths, *, force: bool, progress: Progress) -> bool:
    """Rebuild ``data/derived/`` unless raw data, library and versions are as at the last build and the derived
    files are as that build wrote them. Returns True when it built."""
    from .provenance import derived_hashes, package_versions

    stamp_path = paths.cache_dir / "build.json"
    stamp = {"raw": raw_digest(paths), "library": library_digest(), "versions": package_versions()}
    if not force:
        try:
            previous = json.loads(stamp_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous and previous.get("stamp") == stamp and previous.get("derived") == derived_hashes(paths):
            progress("derived data up to date (raw data, library and versions unchanged since the last build)")
            return False
    from .build import build_derived

    started = time.perf_counter()
    build_derived(paths)
    progress(f"built data/derived/ in {time.perf_counter() - started:.1f} s")
    _write_json(stamp_path, {"stamp": stamp, "derived": derived_hashes(paths)})
    return True


# --------------------------------------------------------------------------------------------------------------
# execution


@dataclass
class Outcome:
    """What happened to one report in this run."""

    report: Report
    status: str  # "ran", "unchanged", "failed", "skipped" (not selected by --only)
    seconds: float = 0.0
    message: str = ""
    failed_notebook: Path | None = None


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    built: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def by_id(self) -> dict[str, Outcome]:
        return {o.report.report_id: o for o in self.outcomes}


def _stderr_progress(message: str, _lock=threading.Lock()) -> None:
    with _lock:
        print(message, file=sys.stderr, flush=True)


def _cell_description(source_nb_path: Path, exc: Any) -> str:
    """'cell 7 (`plots.forest(...)`)' for a PapermillExecutionError, numbered as in the stored notebook."""
    first_line = next((line for line in str(getattr(exc, "source", "")).splitlines() if line.strip()), "")
    number = None
    try:
        import nbformat

        stored = nbformat.read(str(source_nb_path), as_version=4)
        for index, cell in enumerate(stored.cells, start=1):
            if cell.cell_type == "code" and cell.source == getattr(exc, "source", None):
                number = index
                break
    except Exception:
        pass
    where = f"cell {number}" if number else f"cell {getattr(exc, 'cell_index', '?')} of the executed notebook"
    return f"{where} (`{first_line[:80]}`)" if first_line else where


ENGINE = "governance-study"
_engine_lock = threading.Lock()


def _register_engine() -> str:
    """Register (once) papermill's nbclient engine, adapted to kernels that outlive a notebook.

    papermill's own engine leaves the client it opened on a kernel it does not own running (its zmq sockets
    and context leak, one per notebook); this one closes that client when the notebook is done. Execution,
    parameter injection and error handling are papermill's.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    with _engine_lock:
        if ENGINE in papermill_engines._engines:
            return ENGINE

        class KeptKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                         stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
                kwargs = remove_args(["input_path"], **kwargs)
                safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
                final_kwargs = merge_kwargs(
                    safe_kwargs,
                    timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logger,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                )
                client = PapermillNotebookClient(nb_man, **final_kwargs)
                try:
                    return client.execute()
                finally:
                    if getattr(client, "kc", None) is not None:
                        client.kc.stop_channels()

        papermill_engines.register(ENGINE, KeptKernelEngine)
    return ENGINE


class _Worker(threading.Thread):
    """Executes reports from a queue, in one kernel it keeps (when reusing kernels) and shuts down at the end."""

    RESET = (
        "get_ipython().run_line_magic('reset', '-f')\n"
        "import sys as _gs_sys\n"
        "if 'matplotlib.pyplot' in _gs_sys.modules:\n"
        "    _gs_sys.modules['matplotlib.pyplot'].close('all')\n"
        "del _gs_sys\n"
    )

    def __init__(self, runner: "_Runner", name: str):
        super().__init__(name=name, daemon=True)
        self.runner = runner
        self.km = None

    def run(self) -> None:
        try:
            while True:
                try:
                    report = self.runner.todo.get_nowait()
                except queue.Empty:
                    return
                self.runner.finish(self.execute(report))
        finally:
            self._shutdown()

    # kernels ---------------------------------------------------------------------------------------------
    def _new_kernel(self):
        """Start a kernel with the project's environment, cwd ``notebooks/`` and IPC transport.

        IPC (Unix sockets in a private temporary folder) rather than TCP: nothing listens on a network port, and
        ipykernel stops warning about unencrypted TCP on every start.
        """
        import tempfile

        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        sockets = Path(tempfile.mkdtemp(prefix="gs-kernel-"))
        km = AsyncKernelManager(kernel_name=self.runner.execution.kernel, transport="ipc", ip=str(sockets / "k"))
        km._gs_sockets = sockets  # removed with the kernel
        run_sync(km.start_kernel)(cwd=str(self.runner.paths.notebooks), env=self.runner.kernel_env)
        return km

    @staticmethod
    def _stop_kernel(km) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass
        shutil.rmtree(getattr(km, "_gs_sockets", ""), ignore_errors=True)

    def _kernel(self):
        if self.km is None:
            self.km = self._new_kernel()
        return self.km

    def _reset(self) -> bool:
        """Clear the user namespace of the kept kernel; False if that did not work (then it is discarded).

        A new client each time: a client opened before papermill ran no longer receives replies after it.
        """
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        try:
            kc.start_channels()
            reply = run_sync(kc.execute_interactive)(self.RESET, store_history=False, timeout=60, output_hook=lambda msg: None)
            return reply["content"]["status"] == "ok"
        except Exception:
            return False
        finally:
            kc.stop_channels()

    def _shutdown(self) -> None:
        if self.km is not None:
            self._stop_kernel(self.km)
        self.km = None

    # one report ------------------------------------------------------------------------------------------
    def execute(self, report: Report) -> Outcome:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        runner = self.runner
        started = time.perf_counter()
        runner.say(f"  start  {report.report_id} ({runner.reasons.get(report.report_id, 'run')})")
        scratch = runner.paths.cache_dir / "executing" / f"{report.report_id}.ipynb"
        scratch.parent.mkdir(parents=True, exist_ok=True)
        reuse = runner.execution.reuse_kernels
        km = None
        try:
            # the kernel is started here, not by papermill: papermill's ``cwd=`` does os.chdir, which is
            # process-wide and would race between worker threads
            km = self._kernel() if reuse else self._new_kernel()
            provenance = runner.provenance_for(report)
            nb = papermill.execute_notebook(
                str(report.notebook_path),
                str(scratch),
                parameters=report.parameters,
                kernel_name=runner.execution.kernel,
                progress_bar=False,
                request_save_on_cell_execute=False,
                start_timeout=runner.execution.start_timeout_s,
                execution_timeout=runner.execution.cell_timeout_s,
                engine_name=_register_engine(),
                km=km,
            )
            provenance.duration_s = round(time.perf_counter() - started, 2)
            runner.publish(report, nb, provenance)
        except PapermillExecutionError as exc:
            self._shutdown()
            message = f"{_cell_description(report.notebook_path, exc)}: {exc.ename}: {exc.evalue}"
            return runner.failure(report, scratch, message, started)
        except Exception as exc:  # kernel died, timeout, export error: same handling, named
            self._shutdown()
            return runner.failure(report, scratch, f"{type(exc).__name__}: {exc}", started)
        finally:
            if km is not None and not reuse:
                self._stop_kernel(km)
        if reuse and not self._reset():
            self._shutdown()
        scratch.unlink(missing_ok=True)
        return Outcome(report, "ran", time.perf_counter() - started)


class _Runner:
    """Shared state of one run: inputs, progress, publishing of HTML and records."""

    def __init__(self, paths: ProjectPaths, study: Study, inputs: RunInputs, git, progress: Progress, total: int, keys: dict[str, tuple[str, str]]):
        self.paths = paths
        self.study = study
        self.execution = study.execution
        self.inputs = inputs
        self.git = git
        self.progress = progress
        self.total = total
        self.keys = keys  # report_id -> (inputs key, notebook sha256)
        self.todo: queue.Queue[Report] = queue.Queue()
        self.components: dict[str, dict[str, str]] = {}
        self.reasons: dict[str, str] = {}
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self.kernel_env = {
            **os.environ,
            "GOVERNANCE_STUDY_ROOT": str(paths.root),
            "PYTHONHASHSEED": "0",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silence debugpy's frozen-modules warning in the kernel
        }
        self.kernel_env.pop("MPLBACKEND", None)  # the kernel's inline backend renders figures

    def say(self, message: str) -> None:
        self.progress(message)

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)
            done = len(self.outcomes)
        if outcome.status == "ran":
            self.say(f"[{done:>{len(str(self.total))}}/{self.total}] ok     {outcome.report.report_id} ({outcome.seconds:.1f} s)")
        else:
            self.say(f"[{done:>{len(str(self.total))}}/{self.total}] FAILED {outcome.report.report_id}: notebooks/{outcome.report.notebook_path.name}, {outcome.message}")

    def provenance_for(self, report: Report):
        from .provenance import collect

        provenance = collect(
            self.paths, parameters=report.parameters, notebook=report.notebook_path, git=self.git, derived=self.inputs.derived
        )
        provenance.cache_key = self.keys[report.report_id][0]
        return provenance

    def publish(self, report: Report, nb, provenance) -> None:
        """Export to HTML, replace the report atomically, then record its inputs key."""
        from .citation import build_citation, load_citation
        from .export import ReportContext, notebook_to_html, write_text_atomic

        citation = build_citation(
            load_citation(self.paths),
            commit=self.git.commit,
            dirty=self.git.dirty,
            report_title=report.title,
            report_id=report.report_id,
            generated_at=provenance.started_at,
        )
        nb.metadata["title"] = report.title
        ctx = ReportContext(report.report_id, report.title, self.study.title, report.index_href, provenance, citation)
        html = notebook_to_html(nb, ctx)
        target = report.html_path(self.paths)
        write_text_atomic(target, html)
        _write_json(
            _record_path(self.paths, report.report_id),
            {
                "key": provenance.cache_key,
                "components": self.components.get(report.report_id, {}),
                "html_sha256": hashlib.sha256(html.encode("utf-8")).hexdigest(),
                "title": report.title,
                "output": report.output,
                "provenance": provenance.to_dict(),
            },
        )
        stale = self.paths.reports / FAILED_DIR / f"{report.report_id}.ipynb"
        stale.unlink(missing_ok=True)

    def failure(self, report: Report, scratch: Path, message: str, started: float) -> Outcome:
        kept = None
        if scratch.is_file():
            kept = self.paths.reports / FAILED_DIR / f"{report.report_id}.ipynb"
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, kept)
            message += f" (executed notebook kept in {kept.relative_to(self.paths.root).as_posix()})"
        previous = report.html_path(self.paths)
        message += "; previous report left untouched" if previous.is_file() else "; no previous report"
        return Outcome(report, "failed", time.perf_counter() - started, message, kept)


def _html_intact(paths: ProjectPaths, report: Report, record: dict[str, Any]) -> bool:
    html = report.html_path(paths)
    try:
        return hashlib.sha256(html.read_bytes()).hexdigest() == record.get("html_sha256")
    except OSError:
        return False


def run(
    paths: ProjectPaths | None = None,
    *,
    force: bool = False,
    jobs: int = 2,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    reuse_kernels: bool | None = None,
) -> RunResult:
    """Run the study (see the module docstring). Raises StudyError (before any kernel starts) on bad input."""
    from .provenance import derived_hashes, git_state, package_versions, sha256_file

    paths = paths or ProjectPaths.discover()
    progress = _stderr_progress if progress is None else progress
    if jobs < 1:
        raise StudyError([f"--jobs {jobs}: give at least 1"], heading="the command line")
    started = time.perf_counter()
    study = load_study(paths)
    if reuse_kernels is not None:
        study = Study(study.title, study.description, Execution(**{**study.execution.__dict__, "reuse_kernels": reuse_kernels}), study.reports)
    paths.reports.mkdir(parents=True, exist_ok=True)
    with _run_lock(paths):
        result = RunResult()
        result.built = ensure_derived(paths, force=force, progress=progress)
        all_reports = expand(study, paths)
        chosen = select(all_reports, only)
        citation_file = paths.citation_file
        inputs = RunInputs(
            derived=derived_hashes(paths),
            library=library_digest(),
            versions=package_versions(),
            citation=sha256_file(citation_file) if citation_file.is_file() else "",
            kernel=study.execution.kernel,
        )
        keys: dict[str, tuple[str, str]] = {}
        components: dict[str, dict[str, str]] = {}
        reasons: dict[str, str] = {}
        to_run: list[Report] = []
        for report in chosen:
            nb_sha = sha256_file(report.notebook_path)
            parts = inputs.components(report, nb_sha)
            key = inputs.key(report, nb_sha)
            keys[report.report_id] = (key, nb_sha)
            components[report.report_id] = parts
            record = read_record(paths, report.report_id)
            intact = bool(record) and _html_intact(paths, report, record)
            if not force and record and record.get("key") == key and intact:
                result.outcomes.append(Outcome(report, "unchanged"))
            else:
                to_run.append(report)
                reasons[report.report_id] = _why(record, parts, intact, force)
        for report in all_reports:
            if report not in chosen:
                result.outcomes.append(Outcome(report, "skipped"))
        unchanged = sum(o.status == "unchanged" for o in result.outcomes)
        if to_run:
            check_parameters(to_run)  # StudyError here: nothing has started
        git = git_state(paths)
        workers = min(jobs, len(to_run))
        progress(
            f"study: {len(chosen)} report(s); {unchanged} unchanged, {len(to_run)} to run"
            + (f", {workers} at a time" if to_run else "")
            + (" (--force)" if force else "")
        )
        if to_run:
            runner = _Runner(paths, study, inputs, git, progress, len(to_run), keys)
            runner.components = components
            runner.reasons = reasons
            # longest first keeps both workers busy to the end: the study-wide notebooks before the profiles
            for report in sorted(to_run, key=lambda r: (r.section == "District profiles", r.report_id)):
                runner.todo.put(report)
            threads = [_Worker(runner, f"study-worker-{i + 1}") for i in range(workers)]
            for t in threads:
                t.start()
            from .export import warm

            warm()  # while the kernels start
            for t in threads:
                t.join()
            result.outcomes += runner.outcomes
        if only is None:
            _remove_stale(paths, all_reports, progress)
        order = {r.report_id: i for i, r in enumerate(all_reports)}
        result.outcomes.sort(key=lambda o: order[o.report.report_id])
        result.seconds = time.perf_counter() - started
        write_index(paths, study, all_reports, result, git, inputs)
        failed = result.failed
        summary = f"done in {result.seconds:.1f} s: {sum(o.status == 'ran' for o in result.outcomes)} ran, {unchanged} unchanged"
        if failed:
            summary += f", {len(failed)} FAILED: " + "; ".join(f"{o.report.report_id} ({o.message})" for o in failed)
        progress(summary + f"; open {paths.reports / 'index.html'}")
        return result


def run_study(paths: ProjectPaths | None = None, *, force: bool = False, jobs: int = 2, only: Sequence[str] | None = None) -> int:
    """CLI entry: run the study; exit status 0, or 1 when a report failed. StudyError propagates (status 2)."""
    result = run(paths, force=force, jobs=jobs, only=only)
    return 1 if result.failed else 0


class _run_lock:
    """One run at a time per project (two runs would race on the same reports and records)."""

    def __init__(self, paths: ProjectPaths):
        self.path = paths.cache_dir / "run.lock"
        self.handle = None

    def __enter__(self):
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise StudyError([f"another `governance-study run` is using {self.path.parent.parent}; wait for it to finish"], heading="the project") from None
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
        return False


def _remove_stale(paths: ProjectPaths, reports: list[Report], progress: Progress) -> None:
    """Delete reports (and records) the study no longer declares, e.g. a district that lost its claims."""
    wanted = {r.output for r in reports} | RESERVED_OUTPUTS
    for html in sorted(paths.reports.rglob("*.html")):
        rel = html.relative_to(paths.reports).as_posix()
        if rel.split("/")[0] in {FAILED_DIR, ".cache"} or rel in wanted:
            continue
        html.unlink()
        _record_path(paths, rel.removesuffix(".html")).unlink(missing_ok=True)
        progress(f"removed {rel}: the study no longer declares it")


# --------------------------------------------------------------------------------------------------------------
# index page


STATUS_TEXT = {
    "ran": "regenerated",
    "unchanged": "unchanged (inputs identical)",
    "failed": "FAILED",
    "skipped": "not selected (--only)",
}


def write_index(paths: ProjectPaths, study: Study, reports: list[Report], result: RunResult, git, inputs: RunInputs) -> Path:
    """``reports/index.html``: what the study is, every report with its state, the citation, the provenance."""
    from .citation import load_citation, study_citation
    from .export import render_index, write_text_atomic
    from .provenance import collect

    outcomes = result.by_id()
    groups: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        record = read_record(paths, report.report_id) or {}
        prov = record.get("provenance", {})
        outcome = outcomes.get(report.report_id)
        status = outcome.status if outcome else "skipped"
        exists = report.html_path(paths).is_file()
        text = STATUS_TEXT[status]
        if status == "failed":
            text += ": previous version shown" if exists else ": no report"
        groups.setdefault(report.section, []).append(
            {
                "title": report.title,
                "href": report.output,
                "exists": exists,
                "parameters": report.parameters,
                "generated": prov.get("started_at"),
                "commit": (prov.get("git") or {}).get("commit"),
                "dirty": (prov.get("git") or {}).get("dirty"),
                "status": status,
                "status_text": text,
            }
        )
    cff = load_citation(paths)
    description = list(study.description) or [str(cff.get("abstract", "")).strip()]
    provenance = collect(paths, git=git, derived=inputs.derived)
    provenance.duration_s = round(result.seconds or 0.0, 2) or None
    html = render_index(
        study={"title": study.title, "description": description},
        groups=[{"title": title, "reports": items} for title, items in groups.items()],
        failures=[{"report_id": o.report.report_id, "message": o.message} for o in result.failed],
        citation=study_citation(paths, git=git),
        provenance=provenance,
    )
    target = paths.reports / "index.html"
    write_text_atomic(target, html)
    return target
