"""Data benchmarks: `governance-study check` and `build`, `import governance_study`, and the test suite.

Prints wall-clock figures and their ratios measured side by side in one run (the machine is noisy: compare
ratios, not absolute seconds). Each command runs in a fresh process, as a user would run it, `REPEAT` times;
the median is reported. Usage: python benchmarks/bench_data.py [--no-tests]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPEAT = 5


def timed(cmd: list[str], cwd: Path, repeat: int = REPEAT) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for folder in ("data/raw", "data/derived"):
            shutil.copytree(REPO / folder, project / folder)
        shutil.copy2(REPO / "pyproject.toml", project / "pyproject.toml")
        cli = str(BIN / "governance-study")
        python = sys.executable
        figures = {
            "python -c pass (interpreter start)": timed([python, "-c", "pass"], project),
            "import governance_study": timed([python, "-c", "import governance_study"], project),
            "import pandas (floor of any table work)": timed([python, "-c", "import pandas"], project),
            "import governance_study.verify.claims, .datasets": timed(
                [python, "-c", "import governance_study.datasets, governance_study.verify.claims"], project
            ),
            "governance-study check": timed([cli, "check"], project),
            "governance-study build": timed([cli, "build"], project),
        }
    if "--no-tests" not in sys.argv:
        figures["pytest -q (whole suite, after setup)"] = timed([python, "-m", "pytest", "-q", "-x"], REPO, repeat=1)
    base = figures["python -c pass (interpreter start)"]
    print(f"{'command':45s} {'median s':>9s} {'x interpreter start':>20s}")
    for name, seconds in figures.items():
        print(f"{name:45s} {seconds:9.3f} {seconds / base:20.1f}")
    print(f"build / check: {figures['governance-study build'] / figures['governance-study check']:.2f}")


if __name__ == "__main__":
    main()
