"""Benchmark: one baseline solve — model build, solve, total, and the ratio of the total
to HiGHS's own solve time on the same linear programs.

    python bench/solve.py [scenario.yaml] [--repeat N]

"HiGHS's own time" hands each LP our path solved (every refinement pass) to a fresh
``highspy.Highs`` and times ``run()`` alone (no modelling, no hand-over); our total is the wall time
of a cold ``optimise(..., reuse=False)`` — a fresh HiGHS model, as for the first solve of a
process (build, hand-over, all refinement passes, evaluation on the true curves).  A warm
re-solve (what a lever move costs) is printed too.
Medians over N repeats, all in one run.  Target: total < 3× HiGHS's own time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import budgetsim as bs  # noqa: E402
from budgetsim.model.lp import new_highs  # noqa: E402
from budgetsim.model.builder import optimise  # noqa: E402


def highs_own_seconds(lp, repeat: int) -> float:
    import highspy

    model = lp.to_highs_lp()
    times = []
    for _ in range(repeat):
        h = new_highs()
        h.passModel(model)
        t0 = time.perf_counter()
        h.run()
        times.append(time.perf_counter() - t0)
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--repeat", type=int, default=15)
    a = ap.parse_args()
    s = bs.load_scenario(a.scenario)
    bs.solve(s)  # warm-up: imports, first HiGHS instance
    totals, builds, solves = [], [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        r = optimise(s, reuse=False)
        totals.append(time.perf_counter() - t0)
        builds.append(r.build_seconds)
        solves.append(r.solve_seconds)
    warm = []
    for i in range(a.repeat):
        moved = s.with_changes({"budget.base_amount_wan": float(s.spec.budget.base_amount_wan or 60000) + 10 * i})
        t0 = time.perf_counter()
        bs.solve(moved)
        warm.append(time.perf_counter() - t0)
    trace: list = []
    run = optimise(s, trace=trace, reuse=False)
    own = [highs_own_seconds(lp, a.repeat) for lp in trace]
    total = statistics.median(totals)
    print(f"scenario            {s.id}")
    print(f"passes              {run.passes}  (final LP: {trace[-1].n_cols} columns, {trace[-1].n_rows} rows)")
    print(f"linearisation gap   {run.gap * 100:.5f} %")
    print(f"model build         {statistics.median(builds) * 1000:8.2f} ms  (everything outside the solver)")
    print(f"solve (in HiGHS)    {statistics.median(solves) * 1000:8.2f} ms")
    print(f"total (wall)        {total * 1000:8.2f} ms")
    print(f"HiGHS own, same LPs {sum(own) * 1000:8.2f} ms  (run() alone on each pass's LP)")
    print(f"HiGHS own, final LP {own[-1] * 1000:8.2f} ms")
    ratio = total / sum(own)
    print(f"ratio total / HiGHS own (same LPs)  {ratio:.2f}x   target < 3x: {'met' if ratio < 3 else 'NOT met'}")
    print(f"ratio total / HiGHS own (final LP)  {total / own[-1]:.2f}x   (refinement passes included in the total)")
    print(f"warm re-solve after a small budget move (compiled session): {statistics.median(warm) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
