"""How `governance-study build` grows with the number of claims: a generated corpus of 5,000, 50,000 and 100,000
claims (grids and party members sent down, in one district, 100 claims per generated article), each built in a
fresh copy of the project, with wall time, peak memory and the size of ``ratios.csv``.

The claims of one district and two indicators are the worst case for the ratio table (every grid figure with
every cadres figure, before the build paired each figure with the nearest one only). The growth ratio per 10x of
claims is the figure to read: about 10 is linear, about 100 quadratic.

Usage: python benchmarks/bench_build.py [--sizes 5000 50000 100000]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PER_ARTICLE = 100
WRAPPER = r"""
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"returncode": done.returncode, "stderr": done.stderr[-2000:],
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def generated_project(root: Path, claims: int) -> None:
    """A copy of the project whose raw data hold ``claims`` generated claims more (articles, manifest rows)."""
    for folder in ("data/raw", "notebooks"):
        shutil.copytree(REPO / folder, root / folder)
    for name in ("study.yaml", "CITATION.cff", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    with (root / "data/raw/claims.csv").open(encoding="utf-8", newline="") as f:
        fields = csv.DictReader(f).fieldnames
    manifest_rows, claim_rows = [], []
    for article in range((claims + PER_ARTICLE - 1) // PER_ARTICLE):
        source_id = f"gen-binhai-{article:06d}"
        quotes = []
        for j in range(min(PER_ARTICLE, claims - article * PER_ARTICLE)):
            i = article * PER_ARTICLE + j
            if i % 2:
                quote, text, indicator, unit, channel = f"精细划分{1000 + i}个网格", f"{1000 + i}个", "grids", "个", "grid"
            else:
                quote, text, indicator, unit, channel = (
                    f"{2000 + i}名党员干部下沉社区",
                    f"{2000 + i}名",
                    "cadres_sent_down",
                    "名",
                    "general",
                )
            quotes.append(quote)
            claim_rows.append(
                {name: "" for name in fields}
                | {
                    "claim_id": f"gen-{i:07d}",
                    "source_id": source_id,
                    "quote": quote,
                    "value_text": text,
                    "value": text[:-1],
                    "bound": "exact",
                    "unit": unit,
                    "indicator": indicator,
                    "channel": channel,
                    "district_code": "120116",
                    "period_end": "2024-01-01",
                    "period_rule": "generated for the benchmark",
                }
            )
        data = ("。".join(quotes) + "。\n").encode("utf-8")
        (root / "data/raw/sources" / f"{source_id}.txt").write_bytes(data)
        manifest_rows.append(
            [source_id, "生成的文章", "benchmark", "120116", "2024-01-01", "", "", "", hashlib.sha256(data).hexdigest(), "generated"]
        )
    with (root / "data/raw/sources.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(manifest_rows)
    with (root / "data/raw/claims.csv").open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=fields, lineterminator="\n").writerows(claim_rows)


def measure(root: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, sys.executable, "-m", "governance_study.cli", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["returncode"] != 0:
        raise SystemExit(f"build failed:\n{result['stderr']}")
    ratios = root / "data/derived/ratios.csv"
    return {
        "seconds": seconds,
        "rss_mb": result["max_rss_kb"] / 1024,
        "ratios_mb": ratios.stat().st_size / 1e6,
        "ratio_rows": sum(1 for _ in ratios.open(encoding="utf-8")) - 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000, 100000])
    args = parser.parse_args()
    results = {}
    print(f"{'claims':>8} {'build s':>9} {'peak RSS MB':>12} {'ratios.csv MB':>14} {'ratio rows':>11}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            generated_project(root, size)
            results[size] = r = measure(root)
        print(f"{size:>8} {r['seconds']:>9.1f} {r['rss_mb']:>12.0f} {r['ratios_mb']:>14.2f} {r['ratio_rows']:>11}")
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:]):
        factor = large / small
        growth = results[large]["seconds"] / results[small]["seconds"]
        print(
            f"{small} -> {large} claims ({factor:g}x): time x{growth:.1f}, per 10x of claims x{growth ** (1 / __import__('math').log10(factor)):.1f} "
            f"(linear: about 10); peak RSS x{results[large]['rss_mb'] / results[small]['rss_mb']:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
