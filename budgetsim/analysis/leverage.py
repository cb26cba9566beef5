"""Leverage, explained: per-year leverage beside the plan total, and the most each year can reach.

The leverage floor (``rules.leverage_floor``) holds year by year — external money in a year
≥ floor × that year's fiscal budget money — while the headline tile shows one plan total.  A
floor below what the plan reaches anyway changes nothing; a floor above what a year can reach
under the other rules makes the scenario impossible.  :func:`leverage_reach` says which, for
each year, before the user tries it:

* ``plan`` — the solved plan's leverage per year;
* ``free`` — the leverage of the best plan *without* the floor: a floor at or below it is idle;
* ``most`` — the highest leverage the year can reach under every other rule (budget, shares,
  caps, targets …): a floor above it is impossible.  It is a ratio (external ÷ fiscal), found by
  Dinkelbach's method — maximise external − r × fiscal, set r to the ratio reached, repeat —
  on the plan's own linearised model with the floor switched off;
* ``uniform_most`` — the highest single floor that every year can meet at once (bisection on
  feasibility; the years share the budget's growth and smoothing rules, so it can be below the
  lowest ``most``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.builder import ModelBuilder
from ..results import Result
from ..solving import solve

TOL = 1e-3  # leverage is shown to two decimals: differences below this are ties


@dataclass
class LeverageReach:
    """Per year: the plan's leverage, the floor, the level below which a floor is idle, the most
    the year can reach (``table``), and the highest floor all years can meet at once."""

    table: pd.DataFrame  # year, plan, floor, free, most, verdict (none | idle | binds | impossible | conflict)
    plan_total: float | None
    uniform_most: float
    idle_below: float  # a single floor at or below this changes nothing (the lowest ``free``)


def _floor_off(r: Result):
    s = r.scenario
    if getattr(s.spec.rules, "leverage_floor", None) is None or s.rule("leverage_floor") is None:
        return s
    return s.with_changes({"rules.leverage_floor.enabled": False})


def _ratio(mech, x: np.ndarray, t: int) -> float:
    """External ÷ fiscal money in year ``t`` (money due on awards made before the plan included)."""
    fiscal = float(mech.budget[t] @ x + mech.prior_budget[t])
    return float(mech.external[t] @ x + mech.prior_external[t]) / fiscal if fiscal > 0 else float("nan")


def _warm_instance(b: ModelBuilder):
    """A HiGHS instance holding ``b``'s program to maximise, for runs that change only the costs."""
    from ..model.lp import new_highs

    lp = b.lp.copy()
    lp.set_objective(np.zeros(lp.n_cols), True)
    lp.check_finite()
    h = new_highs()
    if lp.is_mip:
        h.setOptionValue("mip_rel_gap", 1e-4)
    lp.pass_to(h)
    return h, lp.is_mip


def _max_ratio(b: ModelBuilder, t: int, warm, iterations: int = 30) -> float:
    """The highest external ÷ fiscal ratio of year ``t`` over the builder's feasible set.

    ``warm`` (from :func:`_warm_instance`) holds the program: each step changes only the costs
    and runs from the last basis (a cold solve per step was most of a lever move's CPU)."""
    from ..model.lp import DEFAULT_TIME_LIMIT, read_highs_solution

    h, is_mip = warm
    mech = b.mech
    cols = np.arange(b.lp.n_cols, dtype=np.int32)
    r = 0.0
    for _ in range(iterations):  # Dinkelbach: the constant part (prior awards) does not move the argmax
        h.changeColsCost(cols.size, cols, b.X(mech.external[t] - r * mech.budget[t]))
        h.setOptionValue("time_limit", h.getRunTime() + DEFAULT_TIME_LIMIT)  # the run clock adds up
        h.run()
        sol = read_highs_solution(h, 0.0, is_mip)
        if not sol.ok:
            return float("nan")
        new = _ratio(mech, b.allocation(sol), t)
        if not np.isfinite(new) or new <= r + 1e-7:
            return max(r, new) if np.isfinite(new) else r
        r = new
    return r


def _all_years_feasible(b: ModelBuilder, ratio: float) -> bool:
    lp = b.lp.copy()
    mech = b.mech
    for t in range(b.T):
        const = mech.prior_external[t] - ratio * mech.prior_budget[t]
        lp.add_row(f"uniform_leverage_{b.years[t]}", b.X(mech.external[t] - ratio * mech.budget[t]), lo=-const)
    lp.set_objective(np.zeros(lp.n_cols), True)
    return lp.solve("highs").ok


def leverage_reach(r: Result) -> LeverageReach:
    """Per-year leverage of ``r``'s plan, what the floor does in each year, and the most reachable."""
    s = r.scenario
    free_s = _floor_off(r)
    b = ModelBuilder(free_s, "max-performance", r.run.builder.breakpoints).build()
    warm = _warm_instance(b)
    most = np.array([_max_ratio(b, t, warm) for t in range(b.T)])
    plan = r.leverage["leverage"].to_numpy(dtype=float) if r.ok else np.full(b.T, np.nan)
    rule = s.rule("leverage_floor")
    floor = s.per_year(rule.min_ratio) if rule is not None else np.full(b.T, np.nan)
    if r.ok and not np.any(plan <= floor + TOL):  # the floor holds nowhere: the plan is the free plan
        free = plan
    else:
        free_r = solve(free_s) if free_s is not s else r
        free = free_r.leverage["leverage"].to_numpy(dtype=float) if free_r.ok else np.full(b.T, np.nan)
    verdicts = []
    for t in range(b.T):
        f = floor[t]
        if np.isnan(f):
            verdicts.append("none")
        elif np.isfinite(most[t]) and f > most[t] + TOL:
            verdicts.append("impossible")
        elif np.isfinite(free[t]) and f <= free[t] + TOL:
            verdicts.append("idle")
        elif not np.isfinite(most[t]):
            verdicts.append("conflict")  # no plan meets the other rules, with or without the floor
        else:
            verdicts.append("binds")
    finite = most[np.isfinite(most)]
    lo, hi = 0.0, float(finite.min()) if len(finite) else 0.0
    if hi > 0 and _all_years_feasible(b, hi):
        lo = hi
    else:
        for _ in range(14):  # ≈ 1e-4 × the range
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _all_years_feasible(b, mid) else (lo, mid)
    table = pd.DataFrame({"year": s.years, "plan": plan, "floor": floor, "free": free, "most": most,
                          "verdict": verdicts})
    sm = r.summary()
    free_min = float(np.nanmin(free)) if np.isfinite(free).any() else float("nan")
    return LeverageReach(table, sm["leverage"], lo, free_min)
