import time

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.model import compiled
from budgetsim.model.builder import optimise

from .conftest import SCENARIOS


def test_lever_change_updates_the_model_instead_of_rebuilding(baseline):
    compiled.clear_sessions()
    bs.solve(baseline)
    before = compiled.counters().builds, compiled.counters().updates
    r = bs.solve(baseline.with_changes({"budget.base_amount_wan": 63000,
                                        "rules.category_share_min.shares.basic_frontier": 0.12}))
    assert r.ok
    after = compiled.counters().builds, compiled.counters().updates
    assert after[0] == before[0], "a change of numbers must not build a new HiGHS model"
    assert after[1] > before[1]


def test_structural_change_builds_a_new_model_transparently(baseline):
    compiled.clear_sessions()
    bs.solve(baseline)
    builds = compiled.counters().builds
    r = bs.solve(baseline.with_changes({"rules.status_quo_band.enabled": True}))
    assert r.ok
    assert compiled.counters().builds == builds + 1


@pytest.mark.parametrize("change", [
    {"budget.base_amount_wan": 66000},  # reachable from 2025's 57,000 within the 20 % smoothing
    {"rules.leverage_floor.min_ratio": 1.8},
    {"categories.tech_guidance.response.rd_induced.coef": 60000},
    {"dimensions.quality.weight": 0.5},
    {"rules.indicator_targets.targets.transferred_results": 95},
])
def test_warm_resolve_equals_a_cold_solve(baseline, change):
    compiled.clear_sessions()
    bs.solve(baseline)  # leave a warm session behind
    s = baseline.with_changes(change)
    warm = bs.solve(s)
    cold = optimise(s, reuse=False)
    assert warm.ok
    # the same scenario solved again (from a different warm start) agrees to solver precision
    assert warm.performance == pytest.approx(float(bs.solve(s).evaluation.performance), rel=1e-6)
    cold_perf = float(warm.evaluator.evaluate(cold.x).performance)
    assert warm.performance == pytest.approx(cold_perf, rel=2e-4)


def test_infeasible_then_feasible_in_one_session(baseline):
    compiled.clear_sessions()
    bad = baseline.with_changes({"rules.leverage_floor.min_ratio": 9.0})
    assert bs.solve(bad).status == "infeasible"
    assert bs.solve(baseline).ok


def test_milp_resolves_through_the_session():
    compiled.clear_sessions()
    s = bs.load_scenario(SCENARIOS / "major_projects_lumpy.yaml")
    a = bs.solve(s)
    b = bs.solve(s.with_changes({"budget.base_amount_wan": 62000}))
    assert a.ok and b.ok and b.is_mip
    mp = b.allocation.query("category == 'major_projects' and mode == 'competitive_grant'")["amount_wan"]
    assert np.allclose(mp / 2000, np.round(mp / 2000), atol=1e-6)


@pytest.mark.parametrize("name", ["baseline", "leverage_push", "transfer_target_100", "incremental_budgeting"])
def test_same_scenario_same_plan_whatever_was_solved_before(name):
    """Warm starts must not change the answer: a plan solved after others equals a cold solve."""
    s = bs.load_scenario(SCENARIOS / f"{name}.yaml")
    cold = optimise(s, reuse=False)
    compiled.clear_sessions()
    for other in ("budget_plus_10", "basic_research_push", "leverage_push"):
        bs.solve(SCENARIOS / f"{other}.yaml")
    warm = bs.solve(s)
    assert np.allclose(warm.run.x, cold.x, rtol=1e-6, atol=1e-3)


def test_run_batch_goes_through_the_compiled_path(baseline):
    """A batch of scenarios of one structure builds one HiGHS model and updates it in place."""
    compiled.clear_sessions()
    items = [baseline.with_changes({"budget.base_amount_wan": 60000 + 1000 * i}) for i in range(4)]
    before = compiled.counters().builds, compiled.counters().updates
    df = bs.run_batch(items, workers=0, progress=False)
    assert (df["status"] == "optimal").all()
    assert compiled.counters().builds == before[0] + 1
    assert compiled.counters().updates > before[1] + 3


def test_a_long_lived_session_keeps_its_time_limit_per_run(baseline):
    """HiGHS measures its time limit on the instance's run clock, which adds up over the runs of a
    warm session: each run still gets the whole limit however long the session has run before."""
    compiled.clear_sessions()
    sess = compiled.session_for(bs.solve(baseline).run.builder.lp)
    with sess.lock:
        t0 = time.perf_counter()
        sess.h.clearSolver()
        assert sess.run(False).ok
        # a limit each run stays well within (≈ 1 ms a run on an idle machine, tens of ms under load)
        limit = max(0.25, 20 * (time.perf_counter() - t0))
        deadline = time.perf_counter() + 120
        i = 0
        while sess.h.getRunTime() <= 2 * limit and time.perf_counter() < deadline:
            sess.h.clearSolver()  # a cold run each time, so the session's clock grows quickly
            sol = sess.run(False, time_limit=limit)
            assert sol.ok, (i, sol.status, sess.h.getRunTime(), limit)
            i += 1
    assert sess.h.getRunTime() > 2 * limit
