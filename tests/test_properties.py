"""Properties over random but valid scenario changes (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetsim as bs

from .conftest import BASELINE
from .rulecheck import violations

BASE = bs.load_scenario(BASELINE)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

changes = st.fixed_dictionaries({
    "budget.base_amount_wan": st.floats(45000, 90000),
    "budget.growth_rate": st.floats(0.03, 0.10),
    "rules.category_share_min.shares.basic_frontier": st.floats(0.0, 0.25),
    "rules.leverage_floor.min_ratio": st.floats(0.0, 2.0),
    "rules.stable_competitive_band.stable_share_max": st.floats(0.3, 0.8),
    "rules.indicator_targets.targets.transferred_results": st.floats(0, 90),
    "rules.category_smoothing.max_change": st.floats(0.1, 0.5),
    "modes.risk_pool.pool.loss_share": st.floats(0.3, 0.8),
})


@SETTINGS
@given(changes)
def test_budget_never_exceeded_and_every_rule_holds(ch):
    s = BASE.with_changes(ch)
    r = bs.solve(s)
    if r.status == "infeasible":
        return
    assert r.ok
    assert (r.budget["allocated_wan"] <= r.budget["envelope_wan"] * (1 + 1e-9)).all()
    assert violations(r) == []


@SETTINGS
@given(st.floats(58720, 62000), st.floats(1.0, 1.09))  # envelopes reachable from 2025: 58,711 … 67,890 万元
def test_more_budget_never_lowers_the_optimum(base, factor):
    lo = bs.solve(BASE.with_changes({"budget.base_amount_wan": base}))
    hi = bs.solve(BASE.with_changes({"budget.base_amount_wan": base * factor}))
    assert lo.ok and hi.ok
    # true-curve performance, within the linearisation tolerance
    assert hi.performance >= lo.performance * (1 - 1e-3)


@SETTINGS
@given(st.lists(st.floats(0, 1), min_size=5, max_size=5))
def test_evaluator_is_monotone_in_money(weights):
    from budgetsim.model.evaluate import Evaluator
    ev = Evaluator(BASE)
    x = np.outer(np.array(weights + [0.5] * (len(BASE.channels) - 5)), BASE.budget_wan) / 10
    p1 = ev.evaluate(ev.mech.flatten(x)).performance
    p2 = ev.evaluate(ev.mech.flatten(x * 1.1)).performance
    assert p2 >= p1
