import numpy as np
import pytest

import budgetsim as bs
from budgetsim.model.evaluate import Evaluator
from budgetsim.model.builder import optimise

from .conftest import SCENARIOS
from .rulecheck import violations


def _one_year_doc(budget=10000.0):
    """One year, three categories with exponential curves, one mode, only a budget."""
    cats = {f"c{k}": {"label_zh": f"类{k}", "label_en": f"C{k}",
                      "response": {f"i{k}": {"curve": "saturating_exp", "max": mx, "scale": sc}}}
            for k, (mx, sc) in enumerate([(100, 3000), (60, 1500), (150, 8000)])}
    inds = {f"i{k}": {"label_zh": "x", "label_en": "x", "unit_zh": "项", "unit_en": "n", "dimension": "d",
                      "weight": w, "reference_per_year": 50} for k, w in enumerate([1.0, 2.0, 1.0])}
    return {
        "id": "closed_form", "title": {"zh": "t", "en": "t"}, "description": {"zh": "d", "en": "d"},
        "plan": {"years": [2026], "discount_rate": 0.0},
        "budget": {"base_year": 2026, "base_amount_wan": budget},
        "dimensions": {"d": {"label_zh": "维", "label_en": "D", "weight": 1.0}},
        "indicators": inds, "categories": cats,
        "modes": {"grant": {"label_zh": "资助", "label_en": "Grant", "kind": "competitive_grant",
                            "support_type": "competitive", "fiscal_effectiveness": 1.0, "leverage": 0.0,
                            "external_effectiveness": 0.0}},
        "eligibility": {c: ["grant"] for c in cats},
        "status_quo": {"base_year": 2025, "budget_wan": budget,
                       "split": {"c0": {"grant": 0.4}, "c1": {"grant": 0.3}, "c2": {"grant": 0.3}}},
        "rules": {"budget_envelope": {"full_allocation": False}},
    }


def test_matches_closed_form_optimum_of_exponential_curves():
    s = bs.scenario_from_dict(_one_year_doc())
    r = bs.solve(s)
    assert r.ok
    ev = Evaluator(s)
    # objective Σ a_k (1 − exp(−x_k / s_k)) with a_k = index coefficient × max
    coef = ev.index_coef[:, 0]
    a = np.array([100, 60, 150]) * coef
    sc = np.array([3000, 1500, 8000])
    # equal marginal returns a_k/s_k · exp(−x_k/s_k) = λ, Σ x_k = B
    log_lam = (np.sum(sc * np.log(a / sc)) - 10000) / sc.sum()
    x_star = sc * (np.log(a / sc) - log_lam)
    assert np.all(x_star > 0)
    x = r.x[:, 0]
    assert np.allclose(x, x_star, rtol=5e-3, atol=10)
    best = float(np.sum(a * (1 - np.exp(-x_star / sc))))
    assert r.performance == pytest.approx(best, rel=1e-4)
    # marginal returns equal across funded channels
    marg = a / sc * np.exp(-x / sc)
    assert marg.max() / marg.min() < 1.01


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_solves_and_obeys_its_rules(path):
    r = bs.solve(path)
    if path.stem.startswith("impossible"):
        assert r.status == "infeasible"
        assert "explain" in r.message
        return
    assert r.ok, r.message
    assert violations(r) == []
    assert r.linearisation_gap < 1e-3


def test_baseline_beats_status_quo(baseline_result):
    assert baseline_result.performance > baseline_result.status_quo_performance


def test_linearisation_gap_is_reported_and_small(baseline_result):
    gap = baseline_result.linearisation_gap
    assert 0 <= gap < 1e-3


def test_fine_zone_follows_the_optimum_until_it_settles(baseline):
    import budgetsim.model.builder as model
    run = optimise(baseline, initial_ratio=4.0, reuse=False)
    assert run.passes > 1
    assert run.gap < model.GAP_TARGET
    e = run.builder.mech.resources(run.x)
    # every category-year's optimum sits inside its fine zone (breakpoints within ±1 %)
    for (c, t), bp in run.builder.breakpoints.items():
        v = e[c * len(baseline.years) + t]
        if v > 1.0:
            assert np.any(np.abs(bp - v) <= 0.011 * v)


def test_min_budget_reaches_targets_with_less_money(baseline):
    full = bs.solve(baseline)
    least = bs.solve(baseline, "min-budget")
    assert least.ok
    assert violations(least) == []
    spent = least.budget["allocated_wan"].sum()
    assert spent < full.budget["allocated_wan"].sum()
    # a little less money than the minimum cannot meet the targets: shrink the envelope below it
    per_year = least.budget["allocated_wan"].to_numpy() * 0.97
    tight = baseline.with_changes(diff={"budget": {"base_year": None, "base_amount_wan": None, "per_year_wan":
                                                   {y: float(v) for y, v in zip(baseline.years, per_year)}}})
    assert bs.solve(tight, "min-budget").status == "infeasible"


def test_min_budget_without_targets_is_refused(baseline):
    s = baseline.with_changes({"rules.indicator_targets.enabled": False})
    with pytest.raises(bs.BudgetsimError, match="min-budget needs targets"):
        bs.solve(s, "min-budget")


def test_cbc_and_highs_agree(baseline):
    h = bs.solve(baseline, solver="highs")
    c = bs.solve(baseline, solver="cbc")
    assert c.ok
    assert c.performance == pytest.approx(h.performance, rel=1e-4)


def test_lumpy_funding_is_a_milp_in_whole_projects():
    r = bs.solve(SCENARIOS / "major_projects_lumpy.yaml")
    assert r.ok and r.is_mip
    a = r.allocation
    mp = a[(a["category"] == "major_projects") & (a["mode"] == "competitive_grant")]["amount_wan"]
    assert np.allclose(mp / 2000, np.round(mp / 2000), atol=1e-6)
    assert violations(r) == []


def test_model_writes_named_lp_file(baseline_result, tmp_path):
    path = tmp_path / "baseline.lp"
    baseline_result.run.builder.lp.write(str(path))
    text = path.read_text()
    assert "category_share_min_basic_frontier_2028" in text
    assert "leverage_floor_2030" in text


def test_unknown_objective_and_solver(baseline):
    with pytest.raises(bs.BudgetsimError, match="unknown objective"):
        bs.solve(baseline, "max-fun")
    with pytest.raises(bs.BudgetsimError, match="unknown solver"):
        bs.solve(baseline, solver="gurobi")


# ----------------------------------------------------------------- time limits and finite models


def test_every_solve_has_a_time_limit_and_running_out_is_a_status(baseline):
    from budgetsim.model.lp import DEFAULT_TIME_LIMIT

    assert 0 < DEFAULT_TIME_LIMIT < float("inf")
    r = bs.solve(baseline, time_limit=1e-9)
    assert r.status == "time_limit" and not r.ok and r.run.x is None
    assert "ran out of time" in r.message and "--time-limit" in r.message
    assert r.to_dict()["status"] == "time_limit" and r.to_dict()["performance"] is None
    assert bs.solve(baseline, time_limit=30).ok  # and a later solve in the same session is unharmed


def test_a_milp_out_of_time_gives_no_plan():
    r = bs.solve(bs.load_scenario(SCENARIOS / "major_projects_lumpy.yaml"), time_limit=1e-9)
    assert r.status == "time_limit" and r.run.x is None


def test_a_nan_never_reaches_the_solver(baseline, monkeypatch):
    from budgetsim.exceptions import NonFiniteModelError
    from budgetsim.model import builder as builder_mod
    from budgetsim.model.lp import LinearProgram

    lp = LinearProgram()
    lp.add_cols(["a", "b"], 0.0, np.inf)
    lp.add_row("r", np.array([1.0, np.nan]), -np.inf, 1.0)
    lp.set_objective(np.array([1.0, 1.0]), True)
    with pytest.raises(NonFiniteModelError, match="row r"):
        lp.solve()
    lp.set_row(0, np.array([1.0, 1.0]), hi=1e21)  # HiGHS would read 1e21 as 'no bound': a lie
    with pytest.raises(NonFiniteModelError, match="row bounds at r"):
        lp.solve()
    lp.set_row(0, hi=1.0)
    lp.set_objective(np.array([np.inf, 1.0]), True)
    with pytest.raises(NonFiniteModelError, match="objective"):
        lp.solve()

    # a curve that would return NaN (validation stops every such scenario; this is the last guard)
    real = builder_mod.ModelBuilder._set_segments

    def poisoned(self, bps):
        real(self, bps)
        self.lp.ub[self.segment_columns[0]] = np.nan

    monkeypatch.setattr(builder_mod.ModelBuilder, "_set_segments", poisoned)
    with pytest.raises(NonFiniteModelError, match="column bounds"):
        optimise(baseline, reuse=False)
    with pytest.raises(NonFiniteModelError):
        optimise(baseline)  # the warm HiGHS session path checks too
