"""Recovery of known curves from noisy records, over many seeds (the figures behind tests/test_calibration.py).

    python bench/calibration_recovery.py [--seeds 12] [--years 8] [--spread 0.3] [--noise 0.05]

Per seed: the baseline's curves moved at random (output at current spending by up to e^±0.25, elasticity
by up to ±0.1) are the truth; records are drawn from it (each category's spending spread evenly over
±spread in a random order, log-normal noise); the baseline (indicator targets and the continuity rules
off, as in the tests, so plans compare on the same rules) is calibrated to them.  Printed: the worst
curve's error over ±30 % and ±50 % of status-quo spending, the share of curves within 10 % (and of the
prior curves, for comparison), the share of the true curve inside the fit's 90 % band, the elasticity
errors in posterior sds, the channel capacities the records identified, and how far the plan optimised
on the fitted curves falls short of the true optimum when both are scored on the true curves.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import budgetsim as bs  # noqa: E402
from budgetsim.analysis.calibration import (Z90, calibrate, elasticity, history_resources,  # noqa: E402
                                            perturbed_curves, scenario_with_curves, status_quo_records,
                                            synthetic_records, theta_from_curve)
from budgetsim.model.evaluate import Evaluator, scenario_curves  # noqa: E402


def one(s: bs.Scenario, seed: int, years: int, spread: float, noise: float) -> dict:
    rng = np.random.default_rng(seed)
    truth = perturbed_curves(s, rng)
    rec = synthetic_records(s, scenario_with_curves(s, truth), list(range(2026 - years, 2026)), spread, noise, rng)
    cal = calibrate(s, rec, flips=False)
    true = scenario_curves(scenario_with_curves(s, truth))
    _, e_sq = history_resources(s, status_quo_records(s))
    prior = scenario_curves(s)
    e30, e50, p50, inside, z = [], [], [], [], []
    for (c, i), f in cal.fits.items():
        e0 = e_sq[s.categories.index(c), 0]
        for width, out in ((0.3, e30), (0.5, e50)):
            g = np.linspace((1 - width) * e0, (1 + width) * e0, 41)
            out.append(float(np.max(np.abs(f.curve().value(g) / true[(c, i)].value(g) - 1))))
        p50.append(float(np.max(np.abs(prior[(c, i)].value(g) / true[(c, i)].value(g) - 1))))
        z.append(f.elasticity_z(elasticity(f.kind, theta_from_curve(f.kind, truth[(c, i)], f.e0))))
        b = f.band[(f.band.effective_wan >= 0.5 * e0) & (f.band.effective_wan <= 1.5 * e0)]
        v = true[(c, i)].value(b.effective_wan.to_numpy())
        inside.append(float(np.mean((v >= b.low) & (v <= b.high))))
    on_truth = scenario_with_curves(cal.scenario, truth)
    best, fitted = bs.solve(on_truth), bs.solve(cal.scenario)
    score = Evaluator(on_truth).evaluate(fitted.mech.flatten(fitted.x)).performance
    return {"seed": seed, "worst30": max(e30), "worst50": max(e50), "within10": float(np.mean(np.array(e50) < 0.1)),
            "prior10": float(np.mean(np.array(p50) < 0.1)), "z": z, "within30": float(np.mean(np.array(e30) < 0.1)),
            "capacities": sum(ch.identified for ch in cal.channels), "channels": len(cal.channels),
            "inside_band": float(np.mean(inside)), "plan_gap": 1 - score / best.performance}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--spread", type=float, default=0.3)
    ap.add_argument("--noise", type=float, default=0.05)
    a = ap.parse_args()
    s = bs.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    # as in tests/test_calibration.py: indicator targets would hold on the fitted curves and not the true
    # ones, and the synthetic history's 2025 (the calibrated status quo) is ±30 % off the plan's envelope,
    # which the continuity rules tie 2026 to
    s = s.with_changes({"rules.indicator_targets.enabled": False, "rules.channel_band.enabled": False,
                        "rules.category_smoothing.enabled": False, "rules.budget_growth_floor.enabled": False,
                        "rules.stable_support_continuity.enabled": False})
    t0 = time.perf_counter()
    rows = []
    print(f"{'seed':>4} {'worst ±30%':>11} {'worst ±50%':>11} {'≤10% ±50%':>10} {'in 90% band':>11} {'plan gap':>9}")
    for seed in range(a.seeds):
        r = one(s, seed, a.years, a.spread, a.noise)
        rows.append(r)
        print(f"{seed:>4} {r['worst30']:>11.1%} {r['worst50']:>11.1%} {r['within10']:>10.1%} {r['inside_band']:>11.1%} "
              f"{r['plan_gap']:>9.3%}", flush=True)
    col = lambda k: np.array([r[k] for r in rows])  # noqa: E731
    print(f"\n{a.seeds} seeds, {a.years} years, spending ±{a.spread:.0%}, noise {a.noise:.0%} "
          f"({time.perf_counter() - t0:.0f} s):")
    z = np.concatenate([r["z"] for r in rows])
    print(f"  within the data (±30 %): {col('within30').mean():.1%} of curves within 10 %; worst curve max "
          f"{col('worst30').max():.1%}, median {np.median(col('worst30')):.1%}")
    print(f"  over ±50 %: {col('within10').mean():.1%} of curves within 10 % (the prior curves alone: "
          f"{col('prior10').mean():.1%}); every curve within 10 % in {int((col('worst50') < 0.1).sum())} of "
          f"{a.seeds} seeds; worst {col('worst50').max():.1%}")
    print(f"  true curve inside the 90 % band: {col('inside_band').mean():.1%} of the ±50 % range; elasticity "
          f"errors in posterior sds: sd {z.std():.2f}, |z| > 1.645 in {np.mean(np.abs(z) > Z90):.1%} (nominal 10 %)")
    print(f"  channel capacities identified: {int(col('capacities').sum())} of {int(col('channels').sum())}")
    print(f"  plan gap on the true curves: max {col('plan_gap').max():.3%}, mean {col('plan_gap').mean():.3%} "
          f"(required ≤ 1 %)")


if __name__ == "__main__":
    main()
