"""The runner on fixture notebooks: execution, caching, failures, progress, atomic outputs, the index page.

``mini_project`` has not run yet; ``mini_after_run`` is a copy of it after one successful run (so that tests
about reruns do not pay for the first run).
"""

from __future__ import annotations

import ast
import html as html_lib
import json
import re
import time

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from conftest import write_notebook
from governance_study import study


def run(mini, lines, **kwargs):
    return study.run(mini.paths, progress=lines, **kwargs)


def statuses(result) -> dict[str, str]:
    return {o.report.report_id: o.status for o in result.outcomes}


def test_first_run_executes_everything_and_writes_reports(mini_project, lines):
    result = run(mini_project, lines)
    assert statuses(result) == {"ok": "ran", "districts/120101": "ran", "districts/120116": "ran"}
    reports = mini_project.paths.reports
    html = (reports / "ok.html").read_text(encoding="utf-8")
    assert '<p class="value">6 b</p>' in html  # the parameters from study.yaml were used
    assert "Cite this report" in html and 'id="provenance"' in html
    assert "x = 3" in html and ('label = "b"' in html or "label = &#34;b&#34;" in html)
    assert not re.search(r"<script", html, re.I)
    assert "leak = " not in html  # no code cells
    profile = (reports / "districts/120116.html").read_text(encoding="utf-8")
    assert "profile 120116" in profile
    assert 'href="../index.html"' in profile
    index = (reports / "index.html").read_text(encoding="utf-8")
    for href in ("ok.html", "districts/120101.html", "districts/120116.html"):
        assert f'href="{href}"' in index
    assert "Cite this study" in index
    # progress: what runs and why, one line per finished report, a summary
    assert "study: 3 report(s); 0 unchanged, 3 to run, 2 at a time" in lines.text
    assert "start  ok (new)" in lines.text
    assert re.search(r"\[\d/3\] ok +ok \(\d+\.\d s\)", lines.text)
    assert lines[-1].startswith("done in")
    assert mini_project.builds == [1]
    assert (reports / "ok.html").stat().st_mode & 0o044 == 0o044, "reports are readable like any other file"


POLLUTE = """\
import os, sys, warnings
import matplotlib, pandas
import governance_study.metrics
matplotlib.rcParams["lines.linewidth"] = 9.0
pandas.set_option("display.max_rows", 3)
os.environ["GS_POLLUTED"] = "yes"
os.chdir("/")
sys.path.insert(0, "/polluted")
warnings.simplefilter("error")
governance_study.metrics.resolution_table = lambda *a, **k: "patched"
leak = "from the polluting notebook"
"""

CHECK = """\
import os, sys, warnings
warm = [name for name in ("pandas", "matplotlib", "governance_study.metrics") if name in sys.modules]
import matplotlib, pandas
import governance_study.metrics
state = {
    "leak": "leak" in globals(),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "max_rows": pandas.get_option("display.max_rows"),
    "env": os.environ.get("GS_POLLUTED"),
    "cwd": os.path.basename(os.getcwd()),
    "sys.path": "/polluted" in sys.path,
    "warnings": any(f[0] == "error" and f[2] is Warning for f in warnings.filters),
    "patched": governance_study.metrics.resolution_table.__module__,
    "warm": warm,
}
print("STATE", sorted(state.items()))
"""


@pytest.mark.parametrize("fork_kernels", [True, False], ids=["forked", "new-interpreter"])
def test_no_state_crosses_from_one_notebook_to_the_next(mini_project, lines, fork_kernels):
    """A notebook that changes rcParams, pandas options, the environment, the working folder, sys.path, the
    warnings filters and a library function, then one that looks at all of them, in one worker: the second sees
    what a fresh kernel sees. Forked kernels also have the first one's imports already loaded (warm)."""
    write_notebook(mini_project.root / "notebooks/pollute.ipynb", "x = 1", [new_code_cell(POLLUTE)])
    write_notebook(mini_project.root / "notebooks/check.ipynb", "x = 1", [new_code_cell(CHECK)])
    mini_project.write_study(
        "title: Pollution\nreports:\n"
        "  - {notebook: pollute, title: Pollute, parameters: {x: 1}}\n"
        "  - {notebook: check, title: Check, parameters: {x: 1}}\n"
    )
    result = run(mini_project, lines, jobs=1, fork_kernels=fork_kernels)  # one worker: pollute runs first
    assert [o.report.report_id for o in result.outcomes if o.status == "ran"] == ["pollute", "check"], lines.text
    html = (mini_project.paths.reports / "check.html").read_text(encoding="utf-8")
    state = dict(ast.literal_eval(html_lib.unescape(re.search(r"STATE (\[.*?\])\n", html).group(1))))
    default = matplotlib.rcParamsDefault["lines.linewidth"]
    assert {k: v for k, v in state.items() if k != "warm"} == {
        "leak": False,
        "linewidth": default,
        "max_rows": 60,  # pandas' default
        "env": None,
        "cwd": "notebooks",
        "sys.path": False,
        "warnings": False,
        "patched": "governance_study.metrics.resolution",
    }
    # forked kernels start with the notebooks' imports done; a new interpreter has none of them
    assert state["warm"] == (["pandas", "matplotlib", "governance_study.metrics"] if fork_kernels else [])


def test_fresh_kernels_work_too(mini_project, lines):
    result = run(mini_project, lines, fork_kernels=False, only=["districts/120101"])
    assert statuses(result)["districts/120101"] == "ran"


def test_unchanged_rerun_skips_everything_quickly(mini_after_run, lines):
    reports = mini_after_run.paths.reports
    before = {p: p.read_bytes() for p in reports.rglob("*.html") if p.name != "index.html"}
    started = time.perf_counter()
    result = run(mini_after_run, lines)
    elapsed = time.perf_counter() - started
    assert set(statuses(result).values()) == {"unchanged"}
    assert "3 unchanged, 0 to run" in lines.text
    assert "derived data up to date" in lines.text and mini_after_run.builds == []
    assert elapsed < 1.0, f"an unchanged rerun took {elapsed:.2f} s"
    assert {p: p.read_bytes() for p in before} == before
    # a report edited by hand is regenerated, and only it
    (reports / "ok.html").write_text("tampered", encoding="utf-8")
    lines.clear()
    result = run(mini_after_run, lines)
    assert statuses(result) == {"ok": "ran", "districts/120101": "unchanged", "districts/120116": "unchanged"}
    assert "start  ok (report missing or edited)" in lines.text
    assert "tampered" not in (reports / "ok.html").read_text(encoding="utf-8")


def test_a_change_reruns_only_what_it_affects(mini_after_run, lines):
    text = mini_after_run.paths.study_file.read_text().replace('{x: 3, label: "b"}', '{x: 4, label: "b"}')
    mini_after_run.write_study(text)
    result = run(mini_after_run, lines)
    assert statuses(result) == {"ok": "ran", "districts/120101": "unchanged", "districts/120116": "unchanged"}
    assert "start  ok (changed: parameters)" in lines.text
    assert '<p class="value">8 b</p>' in (mini_after_run.paths.reports / "ok.html").read_text(encoding="utf-8")
    # new raw data: rebuilt, and every report's inputs changed
    (mini_after_run.paths.raw / "claims.csv").write_text("claim_id,district_code\na,120101\nb,120116\nc,120116\n")
    lines.clear()
    result = run(mini_after_run, lines, only=["ok"])
    # rebuilt, but "ok" loads no derived table, so its key does not cover the derived data: nothing it reads changed
    assert statuses(result)["ok"] == "unchanged" and mini_after_run.builds == [1]
    lines.clear()
    result = run(mini_after_run, lines, force=True, only=["ok"])
    assert statuses(result)["ok"] == "ran"
    assert "(--force)" in lines.text and "start  ok (--force)" in lines.text


def test_a_failing_notebook_is_named_kept_and_does_not_stop_the_others(mini_after_run, lines):
    mini = mini_after_run
    mini.add_report("  - notebook: bad\n    title: Bad\n    parameters: {x: 1}\n")
    nb_path = mini.paths.notebooks / "bad.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    broken_source = nb.cells[2].source
    nb.cells[2].source = "print('fine', y)"  # first a working version, so that a previous report exists
    nbformat.write(nb, str(nb_path))
    assert statuses(run(mini, lines, only=["bad"]))["bad"] == "ran"
    previous = (mini.paths.reports / "bad.html").read_bytes()

    nb.cells[2].source = broken_source
    nbformat.write(nb, str(nb_path))
    lines.clear()
    # one worker, the failing notebook first: the reports queued after it still run (in a new kernel)
    result = run(mini, lines, force=True, jobs=1, only=["bad", "ok", "profile"])
    assert statuses(result) == {"ok": "ran", "districts/120101": "ran", "districts/120116": "ran", "bad": "failed"}
    failure_line = next(line for line in lines if "FAILED bad" in line)
    assert "notebooks/bad.ipynb" in failure_line
    assert "cell 3 (`raise ValueError(f'boom {y}')`)" in failure_line
    assert "ValueError: boom 2" in failure_line
    assert "1 FAILED" in lines[-1]
    kept = mini.paths.reports / "_failed/bad.ipynb"
    executed = nbformat.read(str(kept), as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert (mini.paths.reports / "bad.html").read_bytes() == previous, "the previous report is left untouched"
    index = (mini.paths.reports / "index.html").read_text(encoding="utf-8")
    assert "FAILED: previous version shown" in index and "boom 2" in index
    nb.cells[2].source = "print('fixed', y)"
    nbformat.write(nb, str(nb_path))
    assert study.run_study(mini.paths, only=["bad"]) == 0  # the CLI's exit status (1 when a report failed)
    assert not kept.exists(), "a fixed notebook's failed copy is cleared"


def test_a_failure_without_previous_report_leaves_no_html(mini_after_run, lines):
    mini_after_run.add_report("  - notebook: bad\n    title: Bad\n    parameters: {x: 5}\n")
    result = run(mini_after_run, lines, only=["bad"])
    assert statuses(result)["bad"] == "failed"
    assert "no previous report" in result.by_id()["bad"].message
    assert not (mini_after_run.paths.reports / "bad.html").exists()
    assert statuses(result)["ok"] == "skipped"
    assert "not selected" in (mini_after_run.paths.reports / "index.html").read_text(encoding="utf-8")


def test_reports_the_study_no_longer_declares_are_removed(mini_after_run, lines):
    (mini_after_run.paths.raw / "claims.csv").write_text("claim_id,district_code\na,120101\n")
    run(mini_after_run, lines, only=["profile"])
    assert (mini_after_run.paths.reports / "districts/120116.html").exists(), "--only never deletes"
    lines.clear()
    # one report to run (its parameters change), to see that --jobs 8 starts no more workers than reports
    mini_after_run.write_study(mini_after_run.paths.study_file.read_text().replace('{x: 3, label: "b"}', '{x: 5, label: "b"}'))
    run(mini_after_run, lines, jobs=8)
    assert not (mini_after_run.paths.reports / "districts/120116.html").exists()
    assert "removed districts/120116.html" in lines.text
    assert "1 unchanged, 1 to run, 1 at a time" in lines.text  # --jobs 8, but no more workers than reports


def test_record_holds_provenance(mini_after_run):
    record = json.loads((mini_after_run.paths.cache_dir / "reports/ok.json").read_text())
    prov = record["provenance"]
    assert prov["parameters"] == {"x": 3, "label": "b"}
    assert prov["notebook"] == "notebooks/ok.ipynb"
    assert set(prov["derived_sha256"]) == {"claims.csv"}
    assert prov["versions"]["papermill"] and prov["versions"]["python"]
    assert prov["duration_s"] > 0 and re.fullmatch(r"[0-9a-f]{64}", prov["cache_key"])
    # the fixture notebook loads no derived table, so no table (and no claim) is part of its key
    assert set(record["components"]) == {"notebook", "parameters", "library source", "versions", "CITATION.cff", "kernel", "navigation"}
    assert record["claims_shown"] == []


def test_kernel_dies_mid_notebook(mini_project, lines):
    path = mini_project.paths.notebooks / "ok.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(new_code_cell("import os\nos._exit(1)"))
    nbformat.write(nb, str(path))
    result = run(mini_project, lines, jobs=1, only=["ok", "districts/120101"])
    message = result.by_id()["ok"].message
    assert statuses(result)["ok"] == "failed"
    assert "DeadKernelError" in message or "died" in message
    assert message.startswith("cell 4 (`import os`)"), message  # the cell that killed the kernel is named
    assert "executed notebook kept in reports/_failed/ok.ipynb" in message
    assert statuses(result)["districts/120101"] == "ran", "the next report runs in a new kernel"


def test_a_cell_timeout_names_the_cell_and_keeps_the_notebook(mini_project, lines):
    from conftest import MINI_STUDY

    path = mini_project.paths.notebooks / "ok.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(new_code_cell("import time\ntime.sleep(30)"))
    nbformat.write(nb, str(path))
    mini_project.write_study(MINI_STUDY + "execution:\n  cell_timeout_s: 2\n")
    result = run(mini_project, lines, jobs=1, only=["ok"])
    message = result.by_id()["ok"].message
    assert statuses(result)["ok"] == "failed"
    assert message.startswith("cell 4 (`import time`)") and "timed out" in message.lower(), message
    assert "executed notebook kept in reports/_failed/ok.ipynb" in message
    assert (mini_project.paths.reports / "_failed/ok.ipynb").is_file()


def test_a_record_that_cannot_be_written_is_reported_exactly(mini_project, lines):
    """The new HTML is in place when the record write fails: the failure says so (never "previous report left
    untouched"), and the final summary names the failed report without repeating its message."""
    record = mini_project.paths.cache_dir / "reports" / "ok.json"
    record.mkdir(parents=True)  # a folder where the record file goes: writing it fails
    result = run(mini_project, lines)
    failed = {o.report.report_id: o.message for o in result.failed}
    assert set(failed) == {"ok"}
    assert "the report was written but its cache record was not" in failed["ok"] and "the next run reruns it" in failed["ok"]
    assert "left untouched" not in failed["ok"] and "no previous report" not in failed["ok"]
    assert (mini_project.paths.reports / "ok.html").is_file()
    summary = [line for line in lines if line.startswith("done in")][0]
    assert "1 FAILED (ok: see above or the index)" in summary and "cache record" not in summary


def test_a_kernel_that_fails_to_start_leaves_no_folder(mini_project, lines, monkeypatch):
    """A failed kernel start is a failed report, and its socket folder (gs-kernel-*) is removed with it."""
    import tempfile
    from pathlib import Path

    from jupyter_client.manager import AsyncKernelManager

    async def broken(self, **kwargs):
        raise RuntimeError("no kernel today")

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", broken)
    private = mini_project.root / "tmp"  # a temporary folder of its own: other runs on the machine do not count
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    result = run(mini_project, lines, only=["ok"])
    assert [o.report.report_id for o in result.failed] == ["ok"]
    assert "no kernel today" in result.failed[0].message
    assert not list(Path(private).glob("gs-kernel-*"))


def test_sigterm_ends_a_run_like_ctrl_c_and_leaves_no_kernel_folder(tmp_path):
    """SIGTERM during `governance-study run`: one line, exit status 130, no gs-kernel-* folder left behind, and
    the derived data as the build left them."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from _project import copy_project, processes_with

    root = copy_project(tmp_path / "project")
    private = tmp_path / "tmp"  # the run's own temporary folder: other runs on the machine do not count
    private.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GOVERNANCE_STUDY_ROOT"} | {"TMPDIR": str(private)}
    process = subprocess.Popen(
        [sys.executable, "-m", "governance_study.cli", "run", "--force"], cwd=root, env=env, stderr=subprocess.PIPE, text=True
    )
    seen = []
    deadline = time.monotonic() + 120
    for line in process.stderr:  # wait until a notebook is executing in a kernel
        seen.append(line)
        if "  start  " in line or time.monotonic() > deadline:
            break
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, "".join(seen) + rest
    assert "governance-study run: interrupted" in rest and "Traceback" not in rest
    assert not list(private.glob("gs-kernel-*"))
    # no kernel and no fork server outlives the run (kernels watch the fork server and exit within a second)
    marker = f"GOVERNANCE_STUDY_ROOT={root}".encode()
    deadline = time.monotonic() + 5
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left


def test_a_report_whose_html_cannot_be_written_after_its_files_says_so(mini_after_run, lines, monkeypatch):
    """The files beside the report were replaced, the HTML was not: the message says exactly that (not "previous
    report left untouched"), and the record is removed so that the next run redoes the report."""
    from governance_study.study import cache, render

    original = render.write_text_atomic

    def fail_on_html(path, text):
        if str(path).endswith("ok.html"):
            raise OSError(28, "No space left on device")
        return original(path, text)

    monkeypatch.setattr(render, "write_text_atomic", fail_on_html)
    result = run(mini_after_run, lines, force=True, only=["ok"])
    [failed] = result.failed
    assert "the report's published files were replaced but its HTML or notebook was not" in failed.message
    assert "No space left on device" in failed.message and "left untouched" not in failed.message
    assert not cache.record_path(mini_after_run.paths, "ok").exists()
