"""Each channel's own absorptive capacity: useful money, the two-level concave LP, the mode mix."""

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.model.evaluate import Evaluator
from budgetsim.model.mechanics import Mechanics

from .rulecheck import violations
from .test_model import _one_year_doc


def _two_channel_doc(budget=10000.0, caps=(3000.0, 6000.0)):
    """One year, one category with a linear response, two grant modes with their own capacity."""
    doc = _one_year_doc(budget)
    doc["categories"] = {"c0": {"label_zh": "类", "label_en": "C", "response": {
        "i0": {"curve": "power", "coef": 100.0, "exponent": 1.0}}}}
    doc["indicators"] = {"i0": doc["indicators"]["i0"]}
    grant = doc["modes"]["grant"]
    doc["modes"] = {"a": {**grant, "label_en": "A"}, "b": {**grant, "label_en": "B", "fiscal_effectiveness": 0.8}}
    doc["eligibility"] = {"c0": ["a", "b"]}
    doc["status_quo"]["split"] = {"c0": {"a": 0.5, "b": 0.5}}
    doc["channels"] = {"c0": {"a": {"capacity_wan": caps[0]}, "b": {"units": 30, "unit_wan": caps[1] / 30}}}
    doc["rules"] = {"budget_envelope": {"full_allocation": True}}
    return doc


def test_useful_money_saturates_at_the_channel_capacity(baseline):
    mech = Mechanics(baseline)
    j = baseline.channels.index(("basic_frontier", "competitive_grant"))
    cap = mech.capacity[j]
    spec = baseline.spec.channels["basic_frontier"]["competitive_grant"]
    assert cap == spec.units * spec.unit_wan
    x = np.zeros(mech.n)
    x[mech.col(j, 0)] = cap
    u = mech.useful(x)
    assert u[mech.col(j, 0)] == pytest.approx(cap * (1 - np.exp(-1)))
    assert mech.useful_slope(x)[mech.col(j, 0)] == pytest.approx(np.exp(-1))
    # a risk pool's capacity is banks' lending demand divided by its leverage
    p = baseline.channels.index(("tech_guidance", "risk_pool"))
    pool = baseline.spec.channels["tech_guidance"]["risk_pool"]
    assert mech.capacity[p] == pytest.approx(pool.units * pool.unit_wan / baseline.mode("risk_pool").leverage)
    # the tax incentive has no capacity of its own: linear
    t = baseline.channels.index(("tech_guidance", "tax_incentive"))
    assert not np.isfinite(mech.capacity[t]) and t not in mech.curve_channels


def test_matches_the_closed_form_optimum_of_two_saturating_channels():
    """Linear category response a·E; channels deliver cap_k (1 − exp(−x_k/cap_k)) × f_k.
    Equal marginal returns a f_k exp(−x_k/cap_k) = λ with x_a + x_b = B give the optimum."""
    s = bs.scenario_from_dict(_two_channel_doc())
    r = bs.solve(s)
    assert r.ok
    ev = Evaluator(s)
    a = ev.index_coef[0, 0] * 100.0 / 1e4
    f = np.array([1.0, 0.8])
    cap = np.array([3000.0, 6000.0])
    B = 10000.0
    # x_k = cap_k (ln(a f_k) − ln λ); Σ x_k = B
    log_lam = (np.sum(cap * np.log(a * f)) - B) / cap.sum()
    x_star = cap * (np.log(a * f) - log_lam)
    assert np.all(x_star > 0)
    assert np.allclose(r.x[:, 0], x_star, rtol=5e-3, atol=5)
    best = float(np.sum(a * f * cap * (1 - np.exp(-x_star / cap))))
    assert r.performance == pytest.approx(best, rel=1e-3)  # the promise: within 0.1 %
    assert r.linearisation_gap < 1e-3


def test_without_capacities_a_channel_is_linear_as_before(baseline):
    plain = baseline.with_changes({"channels": {}})
    mech = Mechanics(plain)
    assert mech.curve_channels == []
    x = np.full(mech.n, 1000.0)
    assert np.array_equal(mech.useful(x), x)


def test_mode_mix_comes_from_the_channels_not_from_share_caps(baseline):
    """Must show 1: every mode_share rule off, no mode above half of the plan, four modes ≥ 3 %."""
    s = baseline.with_changes({"rules.mode_share_min.enabled": False, "rules.mode_share_max.enabled": False})
    r = bs.solve(s)
    assert r.ok and violations(r) == []
    a = r.allocation
    on = a[a["on_budget"]]
    shares = on.groupby("mode")["cash_wan"].sum() / on["cash_wan"].sum()
    assert shares.max() <= 0.5
    assert (shares >= 0.03).sum() >= 4


def test_capacity_is_given_one_way_only(baseline):
    with pytest.raises(bs.ScenarioError, match="capacity_wan or units"):
        baseline.with_changes({"channels.basic_frontier.institutional.capacity_wan": 5000})
    with pytest.raises(bs.ScenarioError, match="not eligible"):
        baseline.with_changes({"channels.basic_frontier.risk_pool": {"capacity_wan": 5000}})
    with pytest.raises(bs.ScenarioError, match="no absorptive capacity"):
        baseline.with_changes({"channels.tech_guidance.tax_incentive": {"capacity_wan": 5000}})
