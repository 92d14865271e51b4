"""The whole study, cold, against the same notebooks executed one after another with nbconvert; an unchanged
rerun; peak memory.

1. **Baseline**: every report of the study as a notebook with its parameters injected (papermill
   ``prepare_only``, not timed), then ``python -m nbconvert --execute --to html`` on each, one after another,
   as a researcher without the runner would do it.
2. **Cold study**: ``governance-study run --jobs N`` in a fresh copy of the project (no reports, no cache, so the
   derived data are rebuilt too). Target: at most 0.4 of the baseline.
   The same cold study with ``fork_kernels: false`` (a new interpreter per notebook) is timed right after it;
   the ratio says what the fork server saves.
3. **Unchanged rerun**: the same command again, nothing changed (median of ``--repeat`` runs). Target: under 1 s.
4. **Memory**: peak RSS of the largest single process (``getrusage(RUSAGE_CHILDREN)`` in a fresh wrapper process
   per command) and the peak of the whole process tree (driver plus kernels), sampled every 50 ms from /proc.

Every command runs in a fresh process in a temporary copy of the project; nothing is written to the repository.
The machine is shared and noisy: compare the ratio measured side by side, not absolute seconds.

Usage: python benchmarks/bench_study.py [--jobs 2] [--repeat 3] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

#: Runs ``argv`` and prints the children's peak RSS (kB) as JSON on the last line of stderr.
WRAPPER = r"""
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"returncode": done.returncode, "max_rss_kb": peak}), file=sys.stderr)
"""


def _tree_rss_kb(root_pid: int) -> int:
    """Sum of VmRSS over ``root_pid`` and its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
                        break
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier += children
    return sum(rss.get(p, 0) for p in tree)


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Wall time, exit status, peak RSS of the largest process and of the process tree, for one command."""
    peak_tree = 0
    started = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-c", WRAPPER, *cmd], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_rss_kb(proc.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    lines = err.strip().splitlines()
    info = json.loads(lines[-1]) if lines else {"returncode": proc.returncode, "max_rss_kb": 0}
    return {
        "seconds": elapsed,
        "returncode": info["returncode"],
        "max_rss_mb": info["max_rss_kb"] / 1024,
        "tree_peak_mb": peak_tree / 1024,
        "stderr": "\n".join(lines[:-1]),
        "stdout": out,
    }


def fresh_project(parent: Path, name: str) -> Path:
    root = parent / name
    for folder in ("data/raw", "notebooks"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "data/derived").mkdir(parents=True)
    for file in ("study.yaml", "CITATION.cff"):
        shutil.copy2(REPO / file, root / file)
    return root


def study_env(root: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVERNANCE_STUDY_ROOT"}
    if root is not None:
        env["GOVERNANCE_STUDY_ROOT"] = str(root)
    return env


def prepare_baseline(root: Path, target: Path) -> list[Path]:
    """The study's reports as notebooks with their parameters injected (papermill prepare_only)."""
    import papermill

    from governance_study.paths import ProjectPaths
    from governance_study.study import expand, load_study

    paths = ProjectPaths(root)
    reports = expand(load_study(paths), paths)
    target.mkdir(parents=True)
    out = []
    for report in reports:
        path = target / (report.report_id.replace("/", "_") + ".ipynb")
        papermill.execute_notebook(
            str(report.notebook_path), str(path), parameters=report.parameters, prepare_only=True, progress_bar=False
        )
        out.append(path)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="unchanged reruns to time (median)")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    cli = ["-m", "governance_study.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-study-") as tmp:
        tmp = Path(tmp)
        # the baseline's project: derived data built once (not timed), then the notebooks one by one
        baseline = None
        if not args.skip_baseline:
            base_root = fresh_project(tmp, "baseline")
            subprocess.run([PYTHON, *cli, "build"], cwd=base_root, check=True, capture_output=True, env=study_env())
            notebooks = prepare_baseline(base_root, tmp / "baseline-notebooks")
            print(f"baseline: {len(notebooks)} notebooks through `python -m nbconvert --execute --to html`, one after another")
            per = []
            tree_peak = rss_peak = 0.0
            started = time.perf_counter()
            for nb in notebooks:
                m = measure([PYTHON, "-m", "nbconvert", "--execute", "--to", "html", str(nb)], tmp, study_env(base_root))
                if m["returncode"] != 0:
                    print(m["stderr"][-2000:], file=sys.stderr)
                    raise SystemExit(f"nbconvert failed on {nb.name}")
                per.append(m["seconds"])
                tree_peak, rss_peak = max(tree_peak, m["tree_peak_mb"]), max(rss_peak, m["max_rss_mb"])
            baseline = time.perf_counter() - started
            print(
                f"  total {baseline:6.1f} s  (per notebook: median {statistics.median(per):.1f} s, max {max(per):.1f} s)"
                f"  peak RSS largest process {rss_peak:.0f} MB, process tree {tree_peak:.0f} MB"
            )

        root = fresh_project(tmp, "study")
        cold = measure([PYTHON, *cli, "run", "--jobs", str(args.jobs)], root, study_env())
        if cold["returncode"] != 0:
            print(cold["stderr"][-3000:], file=sys.stderr)
            raise SystemExit("the study failed")
        reports = len(list((root / "reports").rglob("*.html")))
        print(
            f"cold study (`governance-study run --jobs {args.jobs}`, build included): {cold['seconds']:6.1f} s, "
            f"{reports} HTML files; peak RSS largest process {cold['max_rss_mb']:.0f} MB, process tree "
            f"{cold['tree_peak_mb']:.0f} MB"
        )
        if baseline:
            ratio = cold["seconds"] / baseline
            print(f"  ratio study / baseline: {ratio:.2f}  (target <= 0.40: {'met' if ratio <= 0.4 else 'NOT met'})")

        # the same cold study with a new interpreter per notebook (no fork server), side by side
        plain = fresh_project(tmp, "study-new-interpreters")
        study_yaml = plain / "study.yaml"
        study_yaml.write_text(
            re.sub(r"fork_kernels: true.*", "fork_kernels: false", study_yaml.read_text(encoding="utf-8")), encoding="utf-8"
        )
        slow = measure([PYTHON, *cli, "run", "--jobs", str(args.jobs)], plain, study_env())
        if slow["returncode"] != 0:
            print(slow["stderr"][-3000:], file=sys.stderr)
            raise SystemExit("the study with fork_kernels: false failed")
        print(
            f"cold study, a new interpreter per notebook (`fork_kernels: false`): {slow['seconds']:6.1f} s; "
            f"forked kernels / new interpreters: {cold['seconds'] / slow['seconds']:.2f}"
        )

        reruns = [measure([PYTHON, *cli, "run"], root, study_env()) for _ in range(args.repeat)]
        for r in reruns:
            if r["returncode"] != 0 or "0 to run" not in r["stderr"]:
                raise SystemExit(f"the unchanged rerun did work:\n{r['stderr']}")
        median = statistics.median(r["seconds"] for r in reruns)
        print(
            f"unchanged rerun: median {median:.2f} s of {args.repeat} (min {min(r['seconds'] for r in reruns):.2f} s)"
            f"  (target < 1 s: {'met' if median < 1 else 'NOT met'}); peak RSS {max(r['max_rss_mb'] for r in reruns):.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
