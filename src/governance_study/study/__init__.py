"""Run the whole study: ``study.yaml`` -> executed notebooks -> HTML reports in ``reports/`` and an index.

``governance-study run [--force] [--jobs N] [--only NAME]`` does, in order:

1. reads and validates ``study.yaml`` (every problem listed at once);
2. rebuilds ``data/derived/`` unless its inputs (raw data, library source, versions) are unchanged since the
   last build and the derived files are as that build left them;
3. expands the study into reports (one district profile per district that has claims);
4. computes each report's *inputs key* (:mod:`.cache`): sha256 of the notebook file, its parameters and the
   study's title, the derived tables its notebook loads, of the claims only the rows it showed last time and
   where every claim belongs, the library source (including the report templates), CITATION.cff, the kernel,
   the key package versions and what its links depend on (neighbours in study order, the study's profiles). A
   report whose key matches the one recorded with its HTML, and whose HTML and published files are as written,
   is skipped (``--force`` reruns everything);
5. checks the parameters of every report to run against what its notebook declares
   (``papermill.inspect_notebook``): an unknown or missing parameter, or a value of the wrong type, stops the
   run before any kernel starts (papermill itself would only warn);
6. executes the notebooks with papermill, ``--jobs`` at a time, exports each to HTML without code and with
   provenance and citation panels, written atomically, beside its executed notebook and the files of its tables
   and figures (:mod:`.downloads`);
7. writes ``reports/index.html``.

A notebook that fails is named with its cell and error on stderr; the executed notebook is kept under
``reports/_failed/``; that report's previous HTML stays untouched; the other reports still run; the exit
status is 1.

**Fresh kernels, warm imports.** Every notebook runs in a new kernel, shut down when it is done, so nothing a
notebook changes (matplotlib rcParams, pandas options, environment variables, the working folder, ``sys.path``,
warnings filters, a patched library function) reaches the next one. With ``execution: {fork_kernels: true}``
(the default) the kernels are forked from one process per run that has already imported what the notebooks
import (:mod:`.kernels`), which saves the 2-3 s that importing pandas, seaborn and statsmodels costs a new
interpreter; ``fork_kernels: false`` starts each kernel as a new interpreter.

**Why the git commit is not part of the inputs key.** A commit that changes none of the inputs above (a README
edit) does not rerun the study; the reused report keeps the commit and run time it was produced at, which is
what its provenance panel says. Use ``--force`` to stamp every report with the current commit.

**Modules.** :mod:`.spec` (study.yaml, expansion, ``--only``), :mod:`.parameters` (parameters against the
notebooks), :mod:`.cache` (inputs keys, records, build stamp), :mod:`.execute` (papermill engine, workers,
publishing), :mod:`.kernels` (kernels forked from a warm process), :mod:`.render` (HTML export), :mod:`.index` (the index page), :mod:`.provenance`, :mod:`.citation`
and :mod:`.git` (what produced a report and how to cite it); :func:`run` and :func:`run_study` tie them together.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Sequence

from governance_study.lock import ProjectBusyError, project_lock
from governance_study.paths import ProjectPaths
from governance_study.study.cache import (
    RunInputs,
    collect_inputs,
    ensure_derived,
    html_intact,
    library_digest,
    raw_digest,
    read_record,
    record_path,
    why_rerun,
)
from governance_study.study.engine import ENGINE
from governance_study.study.execute import Outcome, Runner, RunResult, Worker, new_fork_server
from governance_study.study.index import STATUS_TEXT, write_index
from governance_study.study.navigation import gazetteer_rows, plan
from governance_study.study.parameters import check_parameters
from governance_study.study.spec import (
    EXECUTION_KEYS,
    FAILED_DIR,
    FOR_EACH,
    REPORT_KEYS,
    RESERVED_FOLDERS,
    RESERVED_OUTPUTS,
    SCALARS,
    STUDY_KEYS,
    Execution,
    Progress,
    Report,
    ReportSpec,
    Study,
    StudyError,
    districts_with_claims,
    expand,
    load_study,
    select,
)

__all__ = [
    "ENGINE",
    "EXECUTION_KEYS",
    "FAILED_DIR",
    "FOR_EACH",
    "REPORT_KEYS",
    "RESERVED_OUTPUTS",
    "SCALARS",
    "STATUS_TEXT",
    "STUDY_KEYS",
    "Execution",
    "Outcome",
    "Progress",
    "Report",
    "ReportSpec",
    "RunInputs",
    "RunResult",
    "Study",
    "StudyError",
    "check_parameters",
    "districts_with_claims",
    "ensure_derived",
    "expand",
    "library_digest",
    "load_study",
    "raw_digest",
    "read_record",
    "run",
    "run_study",
    "select",
    "write_index",
]


_PROGRESS_LOCK = threading.Lock()  # two workers report at once; their lines must not interleave


def _stderr_progress(message: str) -> None:
    with _PROGRESS_LOCK:
        print(message, file=sys.stderr, flush=True)


def run(
    paths: ProjectPaths | None = None,
    *,
    force: bool = False,
    jobs: int = 2,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    fork_kernels: bool | None = None,
) -> RunResult:
    """Run the study (see the module docstring). Raises StudyError (before any kernel starts) on bad input."""
    from governance_study.study.git import git_state
    from governance_study.study.provenance import sha256_file

    paths = paths or ProjectPaths.discover()
    progress = _stderr_progress if progress is None else progress
    if jobs < 1:
        raise StudyError([f"--jobs {jobs}: give at least 1"], heading="the command line")
    started = time.perf_counter()
    study = load_study(paths)
    if fork_kernels is not None:
        study = Study(
            study.title, study.description, Execution(**{**study.execution.__dict__, "fork_kernels": fork_kernels}), study.reports
        )
    paths.reports.mkdir(parents=True, exist_ok=True)
    if only and paths.derived_table("claims").is_file():
        # reject a mistyped --only before the build, which may take seconds; the same check runs after it
        select(expand(study, paths), only)
    with locked_project(paths), terminate_as_interrupt(), contextlib.ExitStack() as stack:
        result = RunResult()
        # a build means reports to rerun: the kernels' fork server does its imports while the build runs
        fork_server = new_fork_server(paths, study)
        stack.callback(lambda: fork_server and fork_server.close(now=True))  # whatever happens next, it stops
        result.built = ensure_derived(
            paths, force=force, progress=progress, before_build=fork_server.start_soon if fork_server is not None else None
        )
        all_reports = expand(study, paths)
        chosen = select(all_reports, only)
        navigation = plan(all_reports, gazetteer_rows(paths.derived_table("districts")))
        inputs = collect_inputs(
            paths, study.execution.kernel, study.title, {report_id: nav.as_key() for report_id, nav in navigation.items()}
        )
        keys: dict[str, tuple[str, str]] = {}
        components: dict[str, dict[str, str]] = {}
        reasons: dict[str, str] = {}
        to_run: list[Report] = []
        for report in chosen:
            nb_sha = sha256_file(report.notebook_path)
            record = read_record(paths, report.report_id)
            shown = record.get("claims_shown") if record else None
            parts = inputs.components(report, nb_sha, shown)
            key = inputs.key(report, nb_sha, shown)
            keys[report.report_id] = (key, nb_sha)
            components[report.report_id] = parts
            intact = bool(record) and html_intact(paths, report, record)
            if not force and record and record.get("key") == key and intact:
                result.outcomes.append(Outcome(report, "unchanged"))
            else:
                to_run.append(report)
                reasons[report.report_id] = why_rerun(record, parts, intact, force)
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
            runner = Runner(paths, study, inputs, git, progress, len(to_run), keys, fork_server)
            runner.components = components
            runner.reasons = reasons
            runner.navigation = navigation
            # longest first keeps both workers busy to the end: the study-wide notebooks before the profiles
            for report in sorted(to_run, key=lambda r: (r.section == "District profiles", r.report_id)):
                runner.todo.put(report)
            threads = [Worker(runner, f"study-worker-{i + 1}") for i in range(workers)]
            for t in threads:
                t.start()
            from governance_study.study.render import warm

            warm()  # while the kernels start
            try:
                for t in threads:
                    t.join()
            except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (below): kernels and their folders go with the run
                # kernels first (the fork server reaps them), then the server: a kernel still waiting for it fails
                runner.stopping = True
                for t in threads:
                    t.stop_now()
                runner.close(now=True)
                for t in threads:  # a worker whose kernel was starting removes its folder as the start fails
                    t.join(timeout=5)
                raise
            runner.close()
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
            # each failure was reported in full when it happened (and is on the index page): name them only
            summary += f", {len(failed)} FAILED ({', '.join(o.report.report_id for o in failed)}: see above or the index)"
        progress(summary + f"; open {paths.reports / 'index.html'}")
        return result


def run_study(paths: ProjectPaths | None = None, *, force: bool = False, jobs: int = 2, only: Sequence[str] | None = None) -> int:
    """CLI entry: run the study; exit status 0, or 1 when a report failed. StudyError propagates (status 2)."""
    result = run(paths, force=force, jobs=jobs, only=only)
    return 1 if result.failed else 0


class terminate_as_interrupt:
    """SIGTERM ends a run the way Ctrl-C does (KeyboardInterrupt in the main thread), so that its kernels are shut
    down and its temporary folders removed; outside the main thread signals cannot be handled and nothing changes."""

    def __enter__(self):
        import signal

        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._interrupt)
        return self

    @staticmethod
    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


class locked_project:
    """The project lock (:mod:`governance_study.lock`), its refusal reported as a StudyError of the project."""

    def __init__(self, paths: ProjectPaths):
        self.lock = project_lock(paths, "run")

    def __enter__(self):
        try:
            return self.lock.__enter__()
        except ProjectBusyError as exc:
            raise StudyError([str(exc)], heading="the project") from None

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def _remove_stale(paths: ProjectPaths, reports: list[Report], progress: Progress) -> None:
    """Delete reports the study no longer declares (e.g. a district that lost its claims), with the files they
    published (their record lists them) and their records. Folders the run does not own are left alone."""
    import shutil

    from governance_study.study.downloads import data_folder

    wanted = {r.output for r in reports} | RESERVED_OUTPUTS
    for html in sorted(paths.reports.rglob("*.html")):
        rel = html.relative_to(paths.reports).as_posix()
        if rel.split("/")[0] in RESERVED_FOLDERS or rel in wanted:
            continue
        report_id = rel.removesuffix(".html")
        record = read_record(paths, report_id)
        if record is None:  # not written by a run (no record): someone else's file, left alone
            continue
        for name in record.get("files", []):
            (paths.reports / name).unlink(missing_ok=True)
        shutil.rmtree(paths.reports / data_folder(report_id), ignore_errors=True)
        html.unlink()
        record_path(paths, report_id).unlink(missing_ok=True)
        progress(f"removed {rel}: the study no longer declares it")
