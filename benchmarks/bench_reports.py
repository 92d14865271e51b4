"""Where the time of each report goes: kernel start, imports, loading, key findings, computation, plotting,
display and HTML export, with every report of the study run one after another in one reused kernel (as the
runner's workers do), and a district profile in a warm kernel.

Each report's notebook gets its parameters (papermill ``prepare_only``), then runs cell by cell through nbclient
in one kernel started once; each cell's wall time goes to a category by what the cell calls. The export is the
package's own HTML export. Run it against another checkout with ``--root PATH`` (its ``src/`` goes first on
``sys.path`` of this process and of the kernel) to compare two versions side by side in one run.

Usage: python benchmarks/bench_reports.py [--root PATH ...]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ("imports", "load", "findings", "compute", "plotting", "display")


def category(source: str) -> str:
    """The job of a cell, by what it calls (the first that applies)."""
    if re.search(r"^\s*(from|import) ", source, re.M):
        return "imports"
    if "key_findings" in source:
        return "findings"
    if "plots." in source:
        return "plotting"
    if "show_" in source or "sources_appendix" in source:
        return "display"
    if re.search(r"\bmetrics\.|report_for|_for\(|district_profile|attempt\(|select\(|compare_resolution", source):
        return "compute"
    if "datasets.load" in source:
        return "load"
    return "display"


CHILD = r"""
import json, re, sys, time
from pathlib import Path
root = Path(sys.argv[1])
sys.path.insert(0, str(root / "src"))
import os
os.environ["GOVERNANCE_STUDY_ROOT"] = str(root)
import nbformat, papermill
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
sys.path.insert(0, sys.argv[2])
from bench_reports import category
from governance_study.paths import ProjectPaths
from governance_study.study.spec import load_study, expand
try:
    from governance_study.study.render import notebook_to_html, ReportContext
    from governance_study.study.citation import build_citation, load_citation
    from governance_study.study.provenance import collect
except ImportError:  # the layout before the stages
    from governance_study.export import notebook_to_html, ReportContext
    from governance_study.citation import build_citation, load_citation
    from governance_study.provenance import collect

paths = ProjectPaths(root)
reports = expand(load_study(paths), paths)
out = {"reports": [], "kernel_start": None}
started = time.perf_counter()
km = KernelManager(kernel_name="python3")
km.start_kernel(cwd=str(root), env={**os.environ, "PYTHONPATH": str(root / "src")})
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
out["kernel_start"] = time.perf_counter() - started
tmp = Path(sys.argv[3])
for i, report in enumerate(reports + [r for r in reports if r.output.startswith("districts/")][:1]):
    prepared = tmp / f"{i}.ipynb"
    papermill.execute_notebook(str(report.notebook_path), str(prepared), parameters=report.parameters,
                               prepare_only=True, progress_bar=False)
    nb = nbformat.read(str(prepared), as_version=4)
    client = NotebookClient(nb, km=km, kernel_name="python3", timeout=600)
    times = {c: 0.0 for c in ("imports", "load", "findings", "compute", "plotting", "display")}
    total_started = time.perf_counter()
    with client.setup_kernel():
        client.execute_cell(nbformat.v4.new_code_cell("%reset -f"), 0)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t = time.perf_counter()
            client.execute_cell(cell, index)
            times[category(cell.source)] += time.perf_counter() - t
    execute = time.perf_counter() - total_started
    t = time.perf_counter()
    prov = collect(paths, parameters=report.parameters, notebook=report.notebook_path)
    citation = build_citation(load_citation(paths), commit=None, dirty=None, report_title=report.title,
                              report_id=report.report_id, generated_at=prov.started_at)
    notebook_to_html(nb, ReportContext(report.report_id, report.title, "study", "index.html", prov, citation))
    times["export"] = time.perf_counter() - t
    warm_repeat = i == len(reports)
    out["reports"].append({"id": report.report_id + (" (again, warm)" if warm_repeat else ""), "execute": execute, **times})
kc.stop_channels(); km.shutdown_kernel(now=True)
print(json.dumps(out))
"""


def measure(root: Path) -> dict:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(root / "src"), "PYTHONHASHSEED": "0"}
        env.pop("MPLBACKEND", None)
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), str(REPO / "benchmarks"), tmp],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{root}: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", action="append", type=Path, help="a checkout to measure (default: this one)")
    args = parser.parse_args()
    roots = args.root or [REPO]
    results = {root: measure(root) for root in roots}
    for root, result in results.items():
        print(f"== {root}: kernel start {result['kernel_start']:.2f} s (once; then reused with %reset -f)")
        header = f"{'report':34}{'execute':>9}" + "".join(f"{c:>10}" for c in (*CATEGORIES, "export"))
        print(header)
        for r in result["reports"]:
            print(f"{r['id']:34}{r['execute']:9.2f}" + "".join(f"{r[c]:10.2f}" for c in (*CATEGORIES, "export")))
        study = [r for r in result["reports"] if "warm" not in r["id"]]
        sums = {c: sum(r[c] for r in study) for c in (*CATEGORIES, "export")}
        total = sum(r["execute"] for r in study) + sums["export"]
        print(f"{'all reports':34}{sum(r['execute'] for r in study):9.2f}" + "".join(f"{sums[c]:10.2f}" for c in (*CATEGORIES, "export")))
        print(f"share of the total {total:.1f} s: " + ", ".join(f"{c} {100 * sums[c] / total:.0f}%" for c in (*CATEGORIES, "export")))
        profiles = [r["execute"] for r in result["reports"] if r["id"].startswith("districts/") and "warm" not in r["id"]]
        warm = [r["execute"] for r in result["reports"] if "warm" in r["id"]]
        if profiles:
            print(
                f"district profile in a warm kernel: median {statistics.median(profiles):.2f} s of {len(profiles)}"
                + (f"; the first profile again: {warm[0]:.2f} s" if warm else "")
                + "  (target <= 1 s)"
            )
    if len(results) == 2:
        (a, ra), (b, rb) = results.items()
        ta = sum(r["execute"] for r in ra["reports"] if "warm" not in r["id"])
        tb = sum(r["execute"] for r in rb["reports"] if "warm" not in r["id"])
        print(f"execute, all reports: {b} / {a} = {tb / ta:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
