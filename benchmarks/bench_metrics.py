"""Metric benchmarks: the full build with every table, and the reporting audit over 10,000 synthetic rates.

Figures are medians of REPEAT runs in this process, printed with ratios measured side by side (the machine is
noisy: compare ratios). The synthetic rates are seeded: each statistic has a received count n (20..20,000), a
closed count k and a reported rate written from k/n with one or two decimals, rounded half-up, truncated, or
off by one last digit, so the audit meets consistent and inconsistent figures in realistic proportions.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

from governance_study.derived.build import build_derived, compute_tables
from governance_study.metrics import audit_table, resolution_table
from governance_study.metrics.examples import claim, claims_frame
from governance_study.paths import ProjectPaths

REPO = Path(__file__).resolve().parents[1]
REPEAT = 3


def synthetic_claims(n_rates: int, seed: int = 20261123) -> pd.DataFrame:  # noqa: F821
    rng = random.Random(seed)
    rows = []
    for i in range(n_rates):
        n = rng.randint(20, 20_000)
        k = rng.randint(int(n * 0.6), n)
        decimals = rng.choice((1, 2))
        rounding = rng.choice((ROUND_HALF_UP, ROUND_DOWN))
        pct = (Decimal(100 * k) / Decimal(n)).quantize(Decimal(1).scaleb(-decimals), rounding=rounding)
        if rng.random() < 0.2:
            pct = min(pct + Decimal(1).scaleb(-decimals), Decimal(100))
        group = f"s{i}"
        district = f"1201{rng.randint(1, 19):02d}"
        rows += [
            claim(f"{group}-received", "requests_received", f"{n}件", group_id=group, district_code=district),
            claim(f"{group}-closed", "requests_closed", f"{k}件", group_id=group, district_code=district),
            claim(f"{group}-rate", "closure_rate", f"{pct}%", group_id=group, district_code=district),
        ]
    return claims_frame(rows)


def median_seconds(fn, repeat: int = REPEAT) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(REPO / "data/raw", Path(tmp) / "data/raw")
        (Path(tmp) / "pyproject.toml").write_text("")
        paths = ProjectPaths(Path(tmp))
        build_derived(paths)  # warm imports (pandas, pandera, statsmodels) once, as a long session would
        t_compute = median_seconds(lambda: compute_tables(paths))
        t_build = median_seconds(lambda: build_derived(paths))
    claims = synthetic_claims(10_000)
    t_audit = median_seconds(lambda: audit_table(claims), repeat=1)
    t_resolution = median_seconds(lambda: resolution_table(claims), repeat=1)
    audit = audit_table(claims)
    grim = audit[audit["check"] == "grim"]
    print(f"{'step':58s} {'median s':>9s}")
    print(f"{'compute all derived tables of the corpus (in memory)':58s} {t_compute:9.3f}")
    print(f"{'build_derived of the corpus (compute + atomic write)':58s} {t_build:9.3f}")
    print(f"{'audit_table over 10,000 synthetic rates':58s} {t_audit:9.3f}")
    print(f"{'resolution_table over the same 10,000 statistics':58s} {t_resolution:9.3f}")
    print(f"audit rows: {len(audit)}; grim rows flagged: {int(grim['is_flagged'].sum())} of {len(grim)}")
    print(f"audit per rate: {t_audit / 10_000 * 1e6:.0f} us")


if __name__ == "__main__":
    main()
