"""What publishing costs: `governance-study verify` against a cold `run` of the same reports, and the size of the
reports folder with its published files (CSV, SVG, PDF, notebooks, derived copy) against the HTML alone.

1. **Cold run**: `governance-study run --jobs N` in a fresh copy of the project (no reports, no cache; the
   derived data are rebuilt too).
2. **Verify**: `governance-study verify --jobs N` right after, in the same copy: nbval re-executes every
   published notebook and compares its outputs. Target: verify / run <= 1.
3. **Size**: the reports folder by kind of file; "HTML only" is what the folder held before reports published
   their files (the HTML pages and the index).

Every command runs in a fresh process in a temporary copy of the project; nothing is written to the repository.
The machine is shared and noisy: compare the ratio measured side by side, not absolute seconds.

Usage: python benchmarks/bench_publish.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_study import fresh_project, study_env  # noqa: E402 - the same fresh copy as the study benchmark

PYTHON = sys.executable


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=study_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-3000:] + done.stdout[-3000:], file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(argv[2:])}")
    return elapsed


def sizes(reports: Path) -> dict[str, int]:
    by_kind: dict[str, int] = defaultdict(int)
    for path in reports.rglob("*"):
        if path.is_file() and ".cache" not in path.relative_to(reports).parts:
            kind = "derived copy" if path.relative_to(reports).parts[0] == "derived" else path.suffix.lstrip(".")
            by_kind[kind] += path.stat().st_size
    return dict(by_kind)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    cli = [PYTHON, "-m", "governance_study.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        root = fresh_project(Path(tmp), "study")
        run_s = timed([*cli, "run", "--jobs", str(args.jobs)], root)
        verify_s = timed([*cli, "verify", "--jobs", str(args.jobs)], root)
        print(f"cold run (build included): {run_s:6.1f} s")
        print(f"verify (nbval, every report): {verify_s:6.1f} s")
        print(f"  ratio verify / run: {verify_s / run_s:.2f}  (target <= 1: {'met' if verify_s <= run_s else 'NOT met'})")
        by_kind = sizes(root / "reports")
        total = sum(by_kind.values())
        html_only = by_kind.get("html", 0)
        print(f"reports folder: {total / 1e6:.2f} MB; HTML alone {html_only / 1e6:.2f} MB; ratio {total / max(html_only, 1):.2f}")
        for kind, size in sorted(by_kind.items(), key=lambda item: -item[1]):
            print(f"  {kind:>13}: {size / 1e6:6.2f} MB")
    return 0


if __name__ == "__main__":
    os.environ.pop("GOVERNANCE_STUDY_ROOT", None)
    sys.exit(main())
