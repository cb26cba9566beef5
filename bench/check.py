"""Benchmark: checking a user's plan against one warm solve of the same scenario.

    python bench/check.py [scenario.yaml] [--repeat N]

Checking a draft is pure evaluation (true curves, every rule row at the draft) plus the cached
optimum, so it should cost a small fraction of a solve.  Printed, all measured in this run
(medians over N repeats): one warm solve (the scenario solved before in this process: what a
lever move costs), one check with the optimum at hand (what the 我的方案 tab does on every cell
edit), the same with a fresh draft each time (no cache anywhere), and the ratio check ÷ warm solve.
Also: the improve-within-±10 % step (one more solve with the band as fixed figures, moves priced).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import budgetsim as bs  # noqa: E402
from budgetsim.analysis.check import improve_plan  # noqa: E402


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    s = bs.load_scenario(a.scenario)
    r = bs.solve(s)  # cold: builds the HiGHS session
    warm = median_seconds(lambda: bs.solve(s), a.repeat)
    draft = s.status_quo_allocation
    check = median_seconds(lambda: bs.check(s, draft, optimum=r), a.repeat)
    rng = np.random.default_rng(0)
    fresh = median_seconds(lambda: bs.check(s, draft * rng.uniform(0.9, 1.1, draft.shape), optimum=r), a.repeat)
    c = bs.check(s, draft, optimum=r)
    improve = median_seconds(lambda: improve_plan(s, r.x * 0.95 + draft * 0.05, 0.10), max(3, a.repeat // 5))
    print(f"scenario {s.id}: {len(s.channels)} channels × {len(s.years)} years; the draft breaks "
          f"{len(c.breaches)} rule rows, scores {c.performance:.2f} (optimum {r.performance:.2f})")
    print(f"warm solve                  {warm * 1000:8.1f} ms")
    print(f"check (optimum at hand)     {check * 1000:8.1f} ms   ratio check / warm solve = {check / warm:.2f}")
    print(f"check (a new draft each)    {fresh * 1000:8.1f} ms   ratio = {fresh / warm:.2f}")
    print(f"improve within ±10 %        {improve * 1000:8.1f} ms   ratio = {improve / warm:.2f}")


if __name__ == "__main__":
    main()
