"""Benchmark: Monte Carlo draws per second, vectorised vs a per-draw loop; CVaR solve times.

    python bench/uncertainty.py [scenario.yaml] [--draws N] [--loop-draws M]

1. ``simulate``'s evaluation (all N draws of every uncertain parameter in one batch)
   against a Python loop over the same evaluation one draw at a time (M draws, the same
   code with a draws axis of 1), and against the naive loop that rebuilds the scenario
   with each draw's values (``with_changes``) and scores it — draws per second and ratios.
2. ``solve(objective="cvar")`` wall time at S = 200 and S = 2,000 samples against one
   deterministic ``solve`` (median of 3), with the LP's size.
All figures measured in this one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import budgetsim as bs  # noqa: E402
from budgetsim.scenario.distributions import Draws, sample  # noqa: E402
from budgetsim.model.evaluate import Evaluator  # noqa: E402
from budgetsim.analysis.uncertainty import evaluate_draws  # noqa: E402


def one_draw(d: Draws, k: int) -> Draws:
    return Draws(d.curve_mult[:, :, k:k + 1], {m: {p: v[k:k + 1] for p, v in ps.items()}
                                               for m, ps in d.mode_values.items()}, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--loop-draws", type=int, default=500)
    a = ap.parse_args()
    s = bs.load_scenario(a.scenario)
    r = bs.solve(s)
    ev = Evaluator(s)
    x = ev.mech.flatten(r.x)

    d = sample(s.spec, a.draws, np.random.default_rng(1))
    evaluate_draws(s, x, one_draw(d, 0), ev)  # warm caches
    t0 = time.perf_counter()
    batch = evaluate_draws(s, x, d, ev)
    t_batch = time.perf_counter() - t0

    m = min(a.loop_draws, a.draws)
    t0 = time.perf_counter()
    loop = np.array([evaluate_draws(s, x, one_draw(d, k), ev).performance[0] for k in range(m)])
    t_loop = time.perf_counter() - t0
    assert np.allclose(loop, batch.performance[:m], rtol=1e-12)

    naive_m = min(50, m)
    t0 = time.perf_counter()
    for k in range(naive_m):
        sk = s.with_changes({f"modes.{mo}.{p}": float(v[k]) for mo, ps in d.mode_values.items() for p, v in ps.items()})
        evk = Evaluator(sk)
        curves = {key: c.scaled(float(d.curve_mult[s.categories.index(key[0]), s.indicators.index(key[1]), k]))
                  for key, c in evk.curves.items()}
        perf = evk.evaluate(x, curves).performance
        assert np.isclose(perf, batch.performance[k], rtol=1e-9)
    t_naive = time.perf_counter() - t0

    rate_batch, rate_loop, rate_naive = a.draws / t_batch, m / t_loop, naive_m / t_naive
    print(f"scenario {s.id}: {len(s.channels)} channels × {len(s.years)} years, "
          f"{sum(len(ps) for ps in d.mode_values.values())} uncertain mode parameters")
    print(f"simulate evaluation, vectorised: {a.draws} draws in {t_batch * 1000:.1f} ms = {rate_batch:,.0f} draws/s")
    print(f"per-draw loop (same code, 1 draw a call): {m} draws in {t_loop * 1000:.1f} ms = {rate_loop:,.0f} draws/s"
          f"  -> vectorised is {rate_batch / rate_loop:,.0f}× faster")
    print(f"naive loop (rebuild the scenario per draw): {naive_m} draws in {t_naive * 1000:.1f} ms = "
          f"{rate_naive:,.0f} draws/s  -> vectorised is {rate_batch / rate_naive:,.0f}× faster")
    t0 = time.perf_counter()
    bs.simulate(r, a.draws, seed=1)
    print(f"whole simulate() (plan + status quo, sampling, tables not built): {a.draws} draws in "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms")

    det = []
    for _ in range(3):
        t0 = time.perf_counter()
        rd = bs.solve(s)
        det.append(time.perf_counter() - t0)
    t_det = statistics.median(det)
    print(f"deterministic solve: {t_det * 1000:.0f} ms (median of 3; {rd.run.builder.lp.n_rows} rows × "
          f"{rd.run.builder.lp.n_cols} columns, {rd.run.passes} passes)")
    for S in (200, 2000):
        t0 = time.perf_counter()
        rc = bs.solve(s, "cvar", samples=S, seed=0)
        t = time.perf_counter() - t0
        assert rc.ok
        print(f"cvar solve S = {S}: {t * 1000:.0f} ms = {t / t_det:.1f}× the deterministic solve "
              f"({rc.run.builder.lp.n_rows} rows × {rc.run.builder.lp.n_cols} columns, {rc.run.passes} passes, "
              f"HiGHS {rc.solve_seconds * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
