"""Executing the reports: papermill in a new kernel per notebook, then HTML export and the run record.

Grain: one :class:`Outcome` per report of a run (ran, unchanged, failed or skipped), collected in a
:class:`RunResult`. :class:`Worker` threads take reports from the queue of a :class:`Runner`, which holds what
the workers share (inputs, progress) and publishes each report (HTML written atomically, then its record).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths
from governance_study.study.cache import RunInputs, claims_shown, record_path, write_json
from governance_study.study.engine import cell_description, register_engine
from governance_study.study.kernels import ForkServer, forked_provisioner, kernel_environment, warm_modules
from governance_study.study.spec import FAILED_DIR, Progress, Report, Study


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


class RecordNotWritten(OSError):
    """The new HTML is in place, but its cache record could not be written."""


class Worker(threading.Thread):
    """Executes reports from a queue, each in a new kernel that is shut down when its notebook is done.

    With ``fork_kernels`` (the default) the kernel is forked from the run's warm :class:`ForkServer`, so it
    starts in a fraction of a second with the imports done; otherwise it is a new interpreter. Either way no
    state crosses from one notebook to the next.
    """

    def __init__(self, runner: Runner, name: str):
        super().__init__(name=name, daemon=True)
        self.runner = runner
        self.km = None  # the kernel of the notebook being executed
        self.spare = None  # a forked kernel started ahead for the next notebook (it initialises meanwhile)
        self._kernels_lock = threading.Lock()

    def run(self) -> None:
        try:
            while not self.runner.stopping:
                try:
                    report = self.runner.todo.get_nowait()
                except queue.Empty:
                    return
                self.runner.finish(self.execute(report))
        finally:
            self.stop_now()

    # kernels ---------------------------------------------------------------------------------------------
    def _new_kernel(self):
        """Start a kernel with the project's environment, cwd ``notebooks/`` and IPC transport.

        IPC (Unix sockets in a private temporary folder) rather than TCP: nothing listens on a network port, and
        ipykernel stops warning about unencrypted TCP on every start.
        """
        import tempfile
        import uuid

        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        sockets = Path(tempfile.mkdtemp(prefix="gs-kernel-"))
        km = AsyncKernelManager(kernel_name=self.runner.execution.kernel, transport="ipc", ip=str(sockets / "k"))
        km._gs_sockets = sockets  # removed with the kernel
        try:
            server = self.runner.fork_server
            if server is not None:
                km.kernel_id = str(uuid.uuid4())
                km.provisioner = forked_provisioner(km, server)
            run_sync(km.start_kernel)(cwd=str(self.runner.paths.notebooks), env=self.runner.kernel_env)
        except BaseException:
            self._stop_kernel(km)  # a kernel that failed to start leaves no socket folder or connection file
            raise
        return km

    def _take_kernel(self):
        """This notebook's kernel: the spare started ahead if there is one, else a new one. With forked kernels
        the next notebook's kernel is forked now (a few milliseconds), so that it initialises while this one runs."""
        with self._kernels_lock:
            self.km, self.spare = self.spare, None
        if self.km is None:
            self.km = self._new_kernel()
        if self.runner.fork_server is not None and not self.runner.todo.empty():
            with contextlib.suppress(Exception):  # no spare is no error: the next notebook starts its own
                self.spare = self._new_kernel()
        if self.runner.stopping:  # interrupted while starting: stop_now() may have run before these existed
            self.stop_now()
            raise RuntimeError("the run is stopping")
        return self.km

    def stop_now(self) -> None:
        """Shut down this worker's kernels at once (the run was interrupted, or the worker is done): no kernel,
        socket folder or connection file outlives the run."""
        with self._kernels_lock:
            kernels, self.km, self.spare = (self.km, self.spare), None, None
        for km in kernels:
            if km is not None:
                self._stop_kernel(km)

    @staticmethod
    def _stop_kernel(km) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):  # a kernel that is already gone cannot be shut down twice
            run_sync(km.shutdown_kernel)(now=True)
        shutil.rmtree(getattr(km, "_gs_sockets", ""), ignore_errors=True)

    def _shutdown(self) -> None:
        """Shut down the kernel of the notebook that is done (the spare stays for the next one)."""
        with self._kernels_lock:
            km, self.km = self.km, None
        if km is not None:
            self._stop_kernel(km)

    # one report ------------------------------------------------------------------------------------------
    def execute(self, report: Report) -> Outcome:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        runner = self.runner
        started = time.perf_counter()
        runner.say(f"  start  {report.report_id} ({runner.reasons.get(report.report_id, 'run')})")
        scratch = runner.paths.cache_dir / "executing" / f"{report.report_id}.ipynb"
        scratch.parent.mkdir(parents=True, exist_ok=True)
        try:
            # the kernel is started here, not by papermill: papermill's ``cwd=`` does os.chdir, which is
            # process-wide and would race between worker threads
            km = self._take_kernel()
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
                engine_name=register_engine(),
                km=km,
            )
            provenance.duration_s = round(time.perf_counter() - started, 2)
            runner.publish(report, nb, provenance)
        except PapermillExecutionError as exc:
            message = f"{cell_description(report.notebook_path, exc)}: {exc.ename}: {exc.evalue}"
            return runner.failure(report, scratch, message, started)
        except RecordNotWritten as exc:
            return runner.failure(report, scratch, str(exc), started, replaced=True)
        except Exception as exc:  # kernel died, timeout, export error: same handling, named
            source = getattr(exc, "governance_cell_source", None)
            cell = cell_description(report.notebook_path, type("Stopped", (), {"source": source})()) if source else None
            executed = getattr(exc, "governance_notebook", None)
            if executed is not None:  # keep what ran, as for an error in a cell
                import nbformat

                with contextlib.suppress(Exception):
                    nbformat.write(executed, str(scratch))
            message = f"{type(exc).__name__}: {exc}".strip()
            return runner.failure(report, scratch, f"{cell}: {message}" if cell else message, started)
        finally:
            self._shutdown()
        scratch.unlink(missing_ok=True)
        return Outcome(report, "ran", time.perf_counter() - started)


def new_fork_server(paths: ProjectPaths, study: Study, env: dict[str, str] | None = None) -> ForkServer | None:
    """The fork server of a run (not started: creating it reads nothing, so an unchanged rerun pays nothing), or
    None when the study asks for a new interpreter per kernel."""
    if not study.execution.fork_kernels:
        return None
    notebooks = sorted({paths.notebooks / f"{spec.notebook}.ipynb" for spec in study.reports})
    return ForkServer(
        lambda: warm_modules(notebooks),
        cwd=paths.notebooks,
        env=env if env is not None else kernel_environment(paths.root),
        kernel=study.execution.kernel,
        start_timeout_s=study.execution.start_timeout_s,
    )


class Runner:
    """Shared state of one run: inputs, progress, publishing of HTML and records."""

    def __init__(
        self,
        paths: ProjectPaths,
        study: Study,
        inputs: RunInputs,
        git,
        progress: Progress,
        total: int,
        keys: dict[str, tuple[str, str]],
        fork_server: ForkServer | None = None,
    ):
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
        self.navigation: dict[str, Any] = {}  # report_id -> navigation.Navigation
        self.outcomes: list[Outcome] = []
        self.stopping = False  # interrupted: workers take no further report and report nothing more
        self._lock = threading.Lock()
        self.kernel_env = kernel_environment(paths.root)
        self.fork_server = fork_server if fork_server is not None else new_fork_server(paths, study, self.kernel_env)

    def close(self, *, now: bool = False) -> None:
        """Stop the fork server: after the workers, or at once when the run was interrupted (a kernel still
        waiting for it then fails to start and its worker removes its folder)."""
        self.stopping = self.stopping or now
        if self.fork_server is not None:
            self.fork_server.close(now=now)

    def say(self, message: str) -> None:
        self.progress(message)

    def finish(self, outcome: Outcome) -> None:
        if self.stopping:  # the run was interrupted; what failed because of that is not news
            return
        with self._lock:
            self.outcomes.append(outcome)
            done = len(self.outcomes)
        if outcome.status == "ran":
            self.say(f"[{done:>{len(str(self.total))}}/{self.total}] ok     {outcome.report.report_id} ({outcome.seconds:.1f} s)")
        else:
            self.say(
                f"[{done:>{len(str(self.total))}}/{self.total}] FAILED {outcome.report.report_id}: notebooks/{outcome.report.notebook_path.name}, {outcome.message}"
            )

    def provenance_for(self, report: Report):
        from governance_study.study.provenance import collect

        provenance = collect(
            self.paths, parameters=report.parameters, notebook=report.notebook_path, git=self.git, derived=self.inputs.derived
        )
        provenance.cache_key = self.keys[report.report_id][0]
        return provenance

    def publish(self, report: Report, nb, provenance) -> None:
        """Export to HTML, replace the report atomically, then record its inputs key."""
        import nbformat

        from governance_study.study import downloads
        from governance_study.study.citation import build_citation, content_digest, load_citation
        from governance_study.study.render import ReportContext, notebook_to_html, write_text_atomic

        nb.metadata["title"] = report.title
        # the key now covers the claims this run showed, so that the next run compares like with like
        shown = claims_shown(nb)
        components = self.inputs.components(report, self.keys[report.report_id][1], shown)
        provenance.cache_key = self.inputs.key(report, self.keys[report.report_id][1], shown)
        # the files beside the report: tables and figure data as CSV, figures as SVG and PDF, the executed notebook
        items = downloads.collect(nb)
        kept = downloads.without_vectors(nb)
        citation = build_citation(
            load_citation(self.paths),
            commit=self.git.commit,
            dirty=self.git.dirty,
            report_title=report.title,
            report_id=report.report_id,
            generated_at=provenance.started_at,
            content_sha256=content_digest(kept),
        )
        ctx = ReportContext(
            report.report_id, report.title, self.study.title, report.index_href, provenance, citation, self.navigation.get(report.report_id)
        )
        html = notebook_to_html(downloads.with_links(kept, items, report.report_id, report.index_href.removesuffix("index.html")), ctx)
        target = report.html_path(self.paths)
        folder = downloads.write_files(self.paths.reports, report.report_id, items)
        notebook = target.with_suffix(".ipynb")
        try:
            write_text_atomic(notebook, nbformat.writes(kept))
            write_text_atomic(target, html)
        except OSError as exc:
            # the files beside the report are new already: say so, and make sure the next run redoes the report
            record_path(self.paths, report.report_id).unlink(missing_ok=True)
            raise RecordNotWritten(
                f"the report's published files were replaced but its HTML or notebook was not ({exc}); the next run reruns it"
            ) from exc
        files = [p.relative_to(self.paths.reports).as_posix() for p in sorted(folder.iterdir())]
        files.append(notebook.relative_to(self.paths.reports).as_posix())
        try:
            self._write_record(report, provenance, components, shown, html, files)
        except OSError as exc:
            raise RecordNotWritten(f"the report was written but its cache record was not ({exc}); the next run reruns it") from exc
        stale = self.paths.reports / FAILED_DIR / f"{report.report_id}.ipynb"
        stale.unlink(missing_ok=True)

    def _write_record(self, report: Report, provenance, components: dict[str, str], shown: list[str], html: str, files: list[str]) -> None:
        write_json(
            record_path(self.paths, report.report_id),
            {
                "key": provenance.cache_key,
                "components": components,
                "claims_shown": shown,
                "html_sha256": hashlib.sha256(html.encode("utf-8")).hexdigest(),
                "files": files,  # published beside the HTML (relative to reports/): the run wrote them, it may remove them
                "title": report.title,
                "output": report.output,
                "provenance": provenance.to_dict(),
            },
        )

    def failure(self, report: Report, scratch: Path, message: str, started: float, *, replaced: bool = False) -> Outcome:
        kept = None
        if scratch.is_file():
            kept = self.paths.reports / FAILED_DIR / f"{report.report_id}.ipynb"
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, kept)
            message += f" (executed notebook kept in {kept.relative_to(self.paths.root).as_posix()})"
        previous = report.html_path(self.paths)
        if not replaced:  # when the new HTML was already in place, saying the old one stayed would be false
            message += "; previous report left untouched" if previous.is_file() else "; no previous report"
        return Outcome(report, "failed", time.perf_counter() - started, message, kept)
