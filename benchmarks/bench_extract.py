"""Throughput, linearity and memory of `governance-study extract` on a synthetic corpus.

The corpus is generated from the five seed articles: many files, each one seed whose Arabic digit runs are
replaced by random digits of the same length (seeded, so every run generates the same corpus), until the
target size is reached. Two corpora: 1x (5 MB) and 10x (50 MB). `extract --format csv` runs on each with
--jobs 1 and --jobs 2, in a fresh process as a user would run it, writing to a file in the temporary folder.

Printed per run: wall time, MB/s and candidates/s (wall clock), CPU seconds of the process tree, peak RSS of the
largest process (getrusage of the children, in a wrapper process per run) and peak RSS summed over the process
tree (sampled every 50 ms with psutil, when installed). Then the 10x/1x time ratio (linear growth: at most 11)
and the memory ratio (streaming: about 1). The machine is shared and noisy: compare ratios measured side by
side, not absolute seconds. Usage: python benchmarks/bench_extract.py [--small-mb 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "data" / "raw" / "sources"
DIGITS = re.compile(r"[0-9]+")

# Runs `extract` and reports its wall time, CPU time and the largest RSS in its process tree (KiB). Run in its
# own process so that RUSAGE_CHILDREN covers exactly one extract run (pool workers are reaped by extract, so
# their peak reaches us through it).
WRAPPER = r"""
import json, resource, subprocess, sys, time
argv, out = json.loads(sys.argv[1]), sys.argv[2]
with open(out, "wb") as f:
    started = time.perf_counter()
    subprocess.run(argv, stdout=f, check=True)
    wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_kib": usage.ru_maxrss}))
"""


def generate(folder: Path, target_bytes: int, seed: int) -> tuple[int, int]:
    """Write perturbed copies of the seed articles into ``folder`` until ``target_bytes``; (bytes, files)."""
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    templates = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        templates.append((path.stem, DIGITS.split(text), [len(m) for m in DIGITS.findall(text)]))
    written = files = 0
    while written < target_bytes:
        stem, parts, lengths = templates[files % len(templates)]
        pieces = [parts[0]]
        for length, tail in zip(lengths, parts[1:]):
            digits = str(rng.randrange(10 ** (length - 1) if length > 1 else 0, 10**length))
            pieces += [digits, tail]
        data = "".join(pieces).encode("utf-8")
        (folder / f"synthetic-{files:06d}-{stem}.txt").write_bytes(data)
        written += len(data)
        files += 1
    return written, files


def tree_rss_sampler(pid: int):
    """A function that, called repeatedly, returns the largest summed RSS (bytes) of ``pid`` and its children."""
    try:
        import psutil
    except ImportError:
        return None
    peak = 0

    def sample() -> int:
        nonlocal peak
        try:
            root = psutil.Process(pid)
            total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return peak
        peak = max(peak, total)
        return peak

    return sample


def run_extract(corpus: Path, jobs: int, work: Path) -> dict:
    """One timed extract run over ``corpus``: wall, cpu, RSS figures and the number of candidates written."""
    out = work / "extract-output.csv"
    argv = [sys.executable, "-m", "governance_study.cli", "extract", str(corpus), "--format", "csv", "--jobs", str(jobs)]
    wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, json.dumps(argv), str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    sample = tree_rss_sampler(wrapper.pid)
    tree_peak = 0
    while wrapper.poll() is None:
        if sample is not None:
            tree_peak = sample()
        time.sleep(0.05)
    report = json.loads(wrapper.stdout.read())
    if wrapper.returncode != 0:
        raise SystemExit(f"extract failed on {corpus} (exit {wrapper.returncode})")
    with out.open("rb") as f:
        candidates = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1  # minus the header
    report |= {"candidates": candidates, "tree_peak_mib": tree_peak / 2**20 if tree_peak else None, "output_mb": out.stat().st_size / 1e6}
    out.unlink()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=float, default=5.0, help="size of the 1x corpus in MB (10x is ten times it)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the 1x corpus (median reported); 10x runs once")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        sizes = {}
        for name, factor in (("1x", 1), ("10x", 10)):
            sizes[name] = generate(work / name, int(args.small_mb * factor * 1e6), seed=factor)
        print(
            f"generated: 1x = {sizes['1x'][0] / 1e6:.1f} MB in {sizes['1x'][1]} files, "
            f"10x = {sizes['10x'][0] / 1e6:.1f} MB in {sizes['10x'][1]} files ({time.perf_counter() - started:.1f} s)"
        )
        tiny = work / "tiny"
        tiny.mkdir()
        shutil.copy2(next(iter(sorted((work / "1x").glob("*.txt")))), tiny / "one.txt")
        fixed = statistics.median(run_extract(tiny, 1, work)["wall"] for _ in range(args.repeat))
        print(f"fixed cost (one ~10 KB file, --jobs 1: interpreter, imports, reference data): {fixed:.2f} s")
        results: dict[tuple[str, int], dict] = {}
        for name in ("1x", "10x"):
            for jobs in (1, 2):
                repeats = args.repeat if name == "1x" else 1
                runs = [run_extract(work / name, jobs, work) for _ in range(repeats)]
                best = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
                results[(name, jobs)] = best
        header = f"{'corpus':7s}{'jobs':>5s}{'MB':>8s}{'wall s':>9s}{'MB/s':>8s}{'cand/s':>10s}{'cand.':>10s}{'CPU s':>8s}{'MB/CPU-s':>10s}{'max RSS MiB':>13s}{'tree RSS MiB':>14s}"
        print(header)
        for (name, jobs), r in results.items():
            mb = sizes[name][0] / 1e6
            tree = f"{r['tree_peak_mib']:.0f}" if r["tree_peak_mib"] else "n/a"
            print(
                f"{name:7s}{jobs:5d}{mb:8.1f}{r['wall']:9.2f}{mb / r['wall']:8.2f}{r['candidates'] / r['wall']:10.0f}"
                f"{r['candidates']:10d}{r['cpu']:8.2f}{mb / r['cpu']:10.2f}{r['max_rss_kib'] / 1024:13.0f}{tree:>14s}"
            )
        for jobs in (1, 2):
            small, big = results[("1x", jobs)], results[("10x", jobs)]
            marginal = (sizes["10x"][0] / 1e6) / max(big["wall"] - fixed, 1e-9)
            print(
                f"--jobs {jobs}: 10x/1x time ratio {big['wall'] / small['wall']:.2f} (linear: <= 11); "
                f"throughput without the fixed cost {marginal:.2f} MB/s; "
                f"peak RSS 10x/1x {big['max_rss_kib'] / small['max_rss_kib']:.2f}"
            )
        speedup = results[("10x", 1)]["wall"] / results[("10x", 2)]["wall"]
        print(f"--jobs 2 speed-up on 10x: {speedup:.2f}")
        load = os.getloadavg()
        print(
            f"load average at the end (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; "
            f"at the start: {load_at_start[0]:.2f} (other processes slow wall-clock figures, not MB/CPU-s)"
        )


if __name__ == "__main__":
    main()
