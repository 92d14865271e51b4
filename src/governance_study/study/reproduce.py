"""``governance-study verify``: does the report I cite reproduce? nbval re-executes each published notebook and
compares every output with what was published.

Grain: one :class:`Verdict` per report: reproduces, or which cells differ and how.

Each report keeps its executed notebook beside its HTML (``reports/<report_id>.ipynb``). nbval runs it again,
cell by cell, in a fresh kernel with the run's environment (kernels forked from a warm process, see
:mod:`.nbval_kernels`), and compares each cell's outputs with the stored ones: text, HTML and the JSON rows of
every table and figure. PNG bytes and output metadata are not compared (nbval's defaults: the figures' data
rows are), so the figures' vector files, which travel in the metadata, are not drawn at all. What legitimately differs between two executions (timestamps, temporary paths, memory addresses) is
replaced before comparing, by the patterns of ``templates/nbval-sanitize.cfg``.

The notebooks read ``data/derived/`` as it is now: a report reproduces when its published outputs follow from
the current data and code. The reports run in ``jobs`` pytest processes at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from governance_study.paths import NO_VECTORS_ENV, ProjectPaths
from governance_study.study.kernels import kernel_environment
from governance_study.study.render import TEMPLATES
from governance_study.study.spec import Report, StudyError, expand, load_study, select

#: Patterns for what legitimately differs between two executions (nbval's sanitizer file format).
SANITIZE_FILE = TEMPLATES / "nbval-sanitize.cfg"


@dataclass
class Verdict:
    """The outcome of re-executing one published report."""

    report: Report
    cells: int = 0  # code cells compared
    differences: list[str] = field(default_factory=list)  # one line per cell that differs: "cell 7 (`…`): …"

    @property
    def reproduces(self) -> bool:
        return self.cells > 0 and not self.differences

    def line(self) -> str:
        if self.reproduces:
            return f"reproduces  {self.report.report_id} ({self.cells} cells compared)"
        return f"DIFFERS     {self.report.report_id}: " + "; ".join(self.differences)


def published_notebook(paths: ProjectPaths, report: Report) -> Path:
    return paths.reports / f"{report.report_id}.ipynb"


def verify(
    paths: ProjectPaths, names: Sequence[str] | None = None, *, jobs: int = 2, progress: Callable[[str], None] = print
) -> list[Verdict]:
    """Re-execute the published notebooks of the reports named (all by default) and compare their outputs."""
    if jobs < 1:
        raise StudyError([f"--jobs {jobs}: give at least 1"], heading="the command line")
    reports = select(expand(load_study(paths), paths), names or None)
    missing = [r.report_id for r in reports if not published_notebook(paths, r).is_file()]
    if missing:
        raise StudyError(
            [
                f"{', '.join(missing)}: no published notebook in reports/; run `governance-study run` first (it keeps each executed notebook)"
            ],
            heading="verify",
        )
    batches = [reports[i::jobs] for i in range(max(1, min(jobs, len(reports))))]
    progress(f"verify: {len(reports)} report(s), {len(batches)} at a time")
    with tempfile.TemporaryDirectory(prefix="gs-verify-", ignore_cleanup_errors=True) as tmp:
        processes = [_start(paths, batch, Path(tmp) / f"job{i}") for i, batch in enumerate(batches)]
        verdicts: dict[str, Verdict] = {}
        for batch, (process, job) in zip(batches, processes):
            process.wait()
            verdicts.update(_read(paths, batch, job, process))
    ordered = [verdicts[r.report_id] for r in reports]
    for verdict in ordered:
        progress(verdict.line())
    failed = sum(not v.reproduces for v in ordered)
    progress(f"verify: {len(ordered) - failed} of {len(ordered)} report(s) reproduce" + (f", {failed} differ" if failed else ""))
    return ordered


def _start(paths: ProjectPaths, batch: list[Report], job: Path) -> tuple[subprocess.Popen, Path]:
    job.mkdir(parents=True)
    (job / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")  # not the project's test settings
    env = kernel_environment(paths.root)
    env["GOVERNANCE_STUDY_VERIFY_NOTEBOOKS"] = os.pathsep.join(sorted({str(r.notebook_path) for r in batch}))
    env[NO_VECTORS_ENV] = "1"  # the figures' vector files travel in output metadata, which nbval never compares
    argv = [sys.executable, "-m", "pytest", "-q", "--color=no", "-c", str(job / "pytest.ini"), "--rootdir", str(paths.reports)]
    argv += ["-p", "no:cacheprovider", "-p", "governance_study.study.nbval_kernels", "--nbval", "--nbval-current-env"]
    argv += ["--nbval-sanitize-with", str(SANITIZE_FILE), "--junitxml", str(job / "result.xml"), "-o", "junit_family=xunit1"]
    argv += [str(published_notebook(paths, r)) for r in batch]
    with (job / "pytest.log").open("w", encoding="utf-8") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(argv, cwd=paths.reports, env=env, stdout=log, stderr=subprocess.STDOUT), job


def _read(paths: ProjectPaths, batch: list[Report], job: Path, process: subprocess.Popen) -> dict[str, Verdict]:
    """Verdicts from the JUnit XML of one job; a job that wrote none failed as a whole (its log says why)."""
    verdicts = {r.report_id: Verdict(r) for r in batch}
    by_file = {published_notebook(paths, r).relative_to(paths.reports).as_posix(): verdicts[r.report_id] for r in batch}
    try:
        tree = ET.parse(job / "result.xml")
    except (OSError, ET.ParseError):
        log = (job / "pytest.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        for verdict in verdicts.values():
            verdict.differences.append(f"nbval did not run (exit status {process.returncode}): {' / '.join(log[-3:])}")
        return verdicts
    for case in tree.iter("testcase"):
        verdict = by_file.get(case.get("file", ""))  # xunit1 names each cell's notebook relative to reports/ (the rootdir)
        if verdict is None:
            continue
        verdict.cells += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            verdict.differences.append(f"{case.get('name')}: {_how(problem)}")
    return verdicts


def _how(problem: ET.Element) -> str:
    """nbval's explanation in one line: which output differs and the published value against the new one
    (``mismatch 'text/plain': published '3', now '2'``), or the error of a cell that failed to run."""
    import re

    text = re.sub(r"(\x1b|#x1B)\[[0-9;]*m", "", (problem.text or problem.get("message") or "")).strip()
    noise = ("Notebook cell execution failed", "Input:", "Traceback", "File ", "assert reference_output == test_output")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(noise)]
    lines = [line for line in lines if not re.fullmatch(r"Cell \d+: Cell outputs differ", line) and not re.fullmatch(r"[-+] .*", line)]
    values = re.search(r"^[ \t]*(?![ \t]|assert )(.+?) == (.+?)[ \t]*$", text, re.M)  # pytest's "'3' == '2'": published == new
    mismatch = next((line for line in lines if line.startswith("mismatch")), None)
    if mismatch and values:
        return f"{mismatch}: published {values.group(1)[:200]}, now {values.group(2)[:200]}"
    return " | ".join(lines[:6])[:600]
