"""Where a solve starts: a derived scenario starts at its origin's optimum, and its plan depends on
the scenario and its origin only (never on what was solved before, nor on how it was reached)."""

from __future__ import annotations

import numpy as np

import budgetsim as bs
from budgetsim.model import compiled
from budgetsim.model.builder import optimise

from .conftest import SCENARIOS


def test_the_origin_is_the_root_of_the_derivation(baseline):
    variant = bs.load_scenario(SCENARIOS / "budget_plus_10.yaml")  # extends: baseline
    assert variant.origin is not None and variant.origin.id == "baseline" and variant.origin.origin is None
    moved = variant.with_changes({"budget.growth_rate": 0.06})
    assert moved.origin.id == "baseline"  # not the variant: chains never grow
    assert baseline.origin is None and baseline.with_changes({}).origin is baseline


def test_a_derived_scenario_starts_at_its_origin(baseline):
    compiled.clear_sessions()
    bs.solve(baseline)
    before = compiled.counters().origin_starts
    r = bs.solve(baseline.with_changes({"budget.base_amount_wan": 61_500}))
    assert r.ok and compiled.counters().origin_starts == before + 1


def test_the_plan_does_not_depend_on_whether_the_origin_was_solved_first(baseline):
    child = baseline.with_changes({"budget.base_amount_wan": 62_345, "rules.leverage_floor.min_ratio": 1.2})
    compiled.clear_sessions()
    alone = bs.solve(child)  # solves the origin on the way
    compiled.clear_sessions()
    bs.solve(baseline)
    for other in ("leverage_push", "basic_research_push"):
        bs.solve(SCENARIOS / f"{other}.yaml")
    after = bs.solve(baseline.with_changes({"budget.base_amount_wan": 62_345, "rules.leverage_floor.min_ratio": 1.2}))
    np.testing.assert_array_equal(alone.run.x, after.run.x)
    cold = optimise(child, reuse=False)  # no session kept anywhere: the same start, the same plan
    np.testing.assert_allclose(cold.x, alone.run.x, rtol=1e-9, atol=1e-6)


def test_two_routes_from_different_roots_agree_within_the_resolution(baseline):
    """The same settings as a derived scenario and as a scenario of its own (no origin) start from
    different places; they agree within the model's resolution, not to the last digit."""
    derived = baseline.with_changes({"budget.base_amount_wan": 63_000})
    own = bs.scenario_from_dict(derived.raw)
    assert own.origin is None
    a, b = bs.solve(derived), bs.solve(own)
    assert abs(a.performance - b.performance) <= 1e-4 * abs(b.performance)
    assert a.linearisation_gap < 5e-4 and b.linearisation_gap < 5e-4
