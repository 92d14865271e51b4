"""What the study is: ``study.yaml`` read and validated, then expanded into one :class:`Report` per output file.

Grain: one :class:`ReportSpec` per entry of ``reports:`` in study.yaml; one :class:`Report` per HTML file to
produce (an entry with ``for_each: district_with_claims`` becomes one report per district that has claims).
Every problem is collected and raised at once as a :class:`StudyError`, before any kernel starts.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths

#: Keys allowed in study.yaml, at the top and per report.
STUDY_KEYS = {"title", "description", "execution", "reports"}
EXECUTION_KEYS = {"kernel", "cell_timeout_s", "fork_kernels", "start_timeout_s"}
#: Keys of earlier versions, with what replaced them (a kept kernel carried state between notebooks).
RENAMED_EXECUTION_KEYS = {
    "reuse_kernels": "is replaced by fork_kernels: every notebook now gets a new kernel, forked from a warm process "
    "(true, the default) or started as a new interpreter (false); rename the key"
}
REPORT_KEYS = {"notebook", "title", "section", "output", "parameters", "for_each"}
#: Expansions a report entry may ask for, with the placeholders each provides.
FOR_EACH = {"district_with_claims": ("district_code", "district_name_zh", "district_name_en", "district_pinyin")}
RESERVED_OUTPUTS = {"index.html"}
FAILED_DIR = "_failed"
VARIANTS_DIR = "variants"  # reports/variants/<notebook>/<slug>.html: `governance-study variant`, never the study's
#: Top folders of reports/ that the study writes itself (failed notebooks, cache, published files, variants).
#: Folder under reports/ that holds the published files of every report (data/<report_id>/).
DATA_DIR = "data"
#: Folder under reports/ that holds a copy of data/derived/ (tables and datapackage.json), so that the reports
#: folder is complete on its own (it can be published as a static site).
DERIVED_DIR = "derived"
RESERVED_FOLDERS = {FAILED_DIR, ".cache", DATA_DIR, DERIVED_DIR, VARIANTS_DIR}
SCALARS = (str, int, float, bool)

#: Where a run reports what it does, one line at a time (stderr by default; tests keep the lines).
Progress = Callable[[str], None]


class StudyError(ValueError):
    """study.yaml or a report's parameters are wrong; raised before any kernel starts. Lists every problem."""

    def __init__(self, problems: Sequence[str], heading: str = "study.yaml"):
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__("\n".join([f"{len(self.problems)} {noun} in {heading} (nothing was run):"] + [f"  - {p}" for p in self.problems]))


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
    fork_kernels: bool = True


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


def where_prefix(where: str) -> str:
    return f"{where}, " if where else ""


def where_report(number: int, notebook: str) -> str:
    return f"reports[{number}] ({notebook})"


def _line_of(path: Path, needle: str) -> str:
    """ "line N" of the first line of ``path`` holding ``needle`` (for messages), or "" when it is not found."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle and needle in line:
            return f"line {number}"
    return ""


def _strict_execution(raw: dict[str, Any], path: Path) -> Execution | list[str]:
    """The ``execution`` section validated strictly (pydantic strict mode): ``fork_kernels: "no"`` is an error,
    not true, and timeouts are positive whole seconds. Returns the Execution, or one problem per bad key."""
    from pydantic import BaseModel, ConfigDict, PositiveInt, StrictBool, StrictStr, ValidationError

    class ExecutionModel(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        kernel: StrictStr = "python3"
        cell_timeout_s: PositiveInt = 600
        start_timeout_s: PositiveInt = 60
        fork_kernels: StrictBool = True

    try:
        return Execution(**ExecutionModel(**raw).model_dump())
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            where = _line_of(path, f"{key}:")
            problems.append(
                f"execution: {key} = {error.get('input')!r}{f' ({where})' if where else ''}: {error['msg']}"
                + (
                    "; write true or false"
                    if key == "fork_kernels"
                    else "; write a whole number of seconds above 0"
                    if key.endswith("timeout_s")
                    else ""
                )
            )
        return problems


def _placeholders(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_study(paths: ProjectPaths) -> Study:
    """Read and validate study.yaml; StudyError lists every problem (file, entry, key, what to do)."""
    import yaml

    path = paths.study_file
    if not path.is_file():
        raise StudyError([f"{path} does not exist: the study is declared in study.yaml at the project root"])
    text = path.read_text(encoding="utf-8")
    try:
        # anchors and aliases are refused before anything is built from them: a few nested aliases ("a billion
        # laughs") expand to gigabytes as soon as a value is printed or hashed
        for event in yaml.parse(text):
            if isinstance(event, yaml.AliasEvent):
                raise StudyError(
                    [
                        f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed in "
                        "study.yaml; write each value out"
                    ]
                )
        data = yaml.safe_load(text)
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
            if key in RENAMED_EXECUTION_KEYS:
                problems.append(f"execution: {key!r} ({_line_of(path, f'{key}:')}) {RENAMED_EXECUTION_KEYS[key]}")
            else:
                problems.append(f"execution: unknown key {key!r}; allowed: {', '.join(sorted(EXECUTION_KEYS))}")
        found = _strict_execution({k: v for k, v in raw_exec.items() if k in EXECUTION_KEYS}, path)
        if isinstance(found, Execution):
            execution = found
        else:
            problems += found

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
            problems.append(
                f"{where}: unknown key {key!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; allowed: {', '.join(sorted(REPORT_KEYS))}"
            )
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
            try:
                unknown = _placeholders(text) - allowed_placeholders
            except ValueError as exc:  # a lone brace or a bad format spec: str.format would fail later
                where = _line_of(path, text)
                problems.append(
                    f"{where_prefix(where)}{where_report(number, notebook)}: {label} {text!r} is not a valid "
                    f"template ({exc}); write placeholders as {{district_code}} and a literal brace as {{{{ or }}}}"
                )
                continue
            if unknown:
                offer = (
                    f"available with for_each {for_each}: {', '.join(sorted(allowed_placeholders))}"
                    if allowed_placeholders
                    else "placeholders need for_each"
                )
                problems.append(f"{where}: {label} uses unknown placeholder(s) {', '.join(sorted(unknown))}; {offer}")
        if for_each in FOR_EACH and not _placeholders(output):
            problems.append(
                f"{where}: with for_each, 'output' must hold a placeholder such as {{district_code}} (else every report overwrites one file)"
            )
        if not output.endswith(".html") or output.startswith("/") or ".." in Path(output).parts or "\\" in output:
            problems.append(f"{where}: output {output!r} must be a relative path ending in .html inside reports/")
        if output in RESERVED_OUTPUTS or output.split("/")[0] in RESERVED_FOLDERS or output.removesuffix(".html") in RESERVED_FOLDERS:
            problems.append(f"{where}: output {output!r} is reserved for the study itself")
        if output in outputs:
            problems.append(f"{where}: output {output!r} is also written by reports[{outputs[output]}]")
        # a report's files go to data/<output without .html>/: "districts.html" would hold every districts/* report's
        for other, other_number in outputs.items():
            for outer, inner, outer_number in ((output, other, number), (other, output, other_number)):
                if inner.startswith(outer.removesuffix(".html") + "/"):
                    problems.append(
                        f"{where}: output {outer!r} (reports[{outer_number}]) is also the folder of {inner!r}: its published "
                        "files would hold the other's; rename one of them"
                    )
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
    """The concrete reports of the study, in study.yaml order (for_each entries expanded in code order).

    Raises StudyError when two reports would write one file (a literal ``districts/120101.html`` beside the
    per-district profiles), naming both study.yaml entries.
    """
    reports: list[Report] = []
    writers: dict[str, str] = {}
    for number, spec in enumerate(study.reports, start=1):
        bindings: list[dict[str, str]] = [{}]
        if spec.for_each == "district_with_claims":
            bindings = districts_with_claims(paths)
        for mapping in bindings:
            output = spec.output.format(**mapping)
            entry = f"reports[{number}] ({spec.notebook})"
            if output in writers:
                raise StudyError([f"{entry} writes {output}, which {writers[output]} also writes: give one of them another output"])
            writers[output] = entry
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
                f"--only {name!r} matches no report"
                + (f" (did you mean {', '.join(close)}?)" if close else "")
                + f"; reports: {', '.join(names)}"
            )
        chosen += [r for r in hits if r not in chosen]
    if problems:
        raise StudyError(problems, heading="the command line")
    return [r for r in reports if r in chosen]
