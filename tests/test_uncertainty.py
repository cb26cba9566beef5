import json

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.cli import main
from budgetsim.scenario.distributions import sample
from budgetsim.analysis.uncertainty import cvar, evaluate_draws

from .conftest import BASELINE


def _param(path, **kw):
    return {"path": path, **kw}


def _with_uncertainty(s, params):
    return s.with_changes({"uncertainty": {"parameters": params}})


# ----------------------------------------------------------------- distributions and validation


def test_lognormal_has_mean_one_and_the_given_cv(baseline):
    s = _with_uncertainty(baseline, [_param("categories.major_projects.response.*", dist="lognormal", cv=0.3)])
    d = sample(s.spec, 40000, np.random.default_rng(0))
    m = d.curve_mult[s.categories.index("major_projects"), s.indicators.index("key_technologies")]
    assert abs(m.mean() - 1) < 0.01 and abs(m.std() / m.mean() - 0.3) < 0.01
    # certain curves keep multiplier 1
    assert np.all(d.curve_mult[s.categories.index("basic_frontier")] == 1)


def test_triangular_stays_in_bounds_and_groups_correlate(baseline):
    s = _with_uncertainty(baseline, [
        _param("modes.risk_pool.pool.npl_rate", dist="triangular", low=0.015, mode=0.025, high=0.035),
        _param("categories.basic_frontier.response.*", dist="lognormal", cv=0.3, correlation=0.8, group="g"),
        _param("categories.major_projects.response.*", dist="lognormal", cv=0.3, correlation=0.8, group="g"),
        _param("categories.talent_environment.response.*", dist="lognormal", cv=0.3),
    ])
    d = sample(s.spec, 20000, np.random.default_rng(1))
    npl = d.mode_values["risk_pool"]["pool.npl_rate"]
    assert npl.min() >= 0.015 and npl.max() <= 0.035 and abs(npl.mean() - 0.025) < 5e-4
    c = s.categories.index
    a = d.curve_mult[c("basic_frontier"), s.indicators.index("original_results")]
    b = d.curve_mult[c("major_projects"), s.indicators.index("key_technologies")]
    t = d.curve_mult[c("talent_environment"), s.indicators.index("high_level_talents")]
    assert np.corrcoef(np.log(a), np.log(b))[0, 1] > 0.7  # one common shock across categories
    assert abs(np.corrcoef(np.log(a), np.log(t))[0, 1]) < 0.05  # independent


@pytest.mark.parametrize("param, match", [
    (_param("categories.nowhere.response.*", dist="lognormal", cv=0.2), "unknown category id 'nowhere'"),
    (_param("modes.risk_pool.pool.colour", dist="lognormal", cv=0.2), "cannot be uncertain"),
    (_param("modes.institutional.pool.npl_rate", dist="lognormal", cv=0.2), "has no 'pool:' block"),
    (_param("modes.post_subsidy.leverage", dist="lognormal", cv=0.2), "leverage of a post_subsidy mode is derived"),
    (_param("categories.*.response.*", dist="lognormal"), "a lognormal needs cv"),
    (_param("categories.*.response.*", dist="triangular", low=1.2, mode=1.0, high=1.3), "low ≤ mode ≤ high"),
    (_param("modes.risk_pool.pool.loss_share", dist="triangular", low=0.3, mode=0.5, high=1.4), r"must lie in \[0, 1\]"),
    (_param("categories.*.response.*", dist="normal", cv=0.2), "must be one of"),
])
def test_bad_uncertainty_is_reported_with_its_path(baseline, param, match):
    with pytest.raises(bs.ScenarioError, match=match) as err:
        _with_uncertainty(baseline, [param])
    assert any(p.path.startswith("uncertainty.parameters.0") for p in err.value.problems)


def test_a_parameter_cannot_be_uncertain_twice(baseline):
    with pytest.raises(bs.ScenarioError, match="already uncertain"):
        _with_uncertainty(baseline, [_param("categories.*.response.*", dist="lognormal", cv=0.2),
                                     _param("categories.major_projects.response.rd_induced", dist="lognormal", cv=0.2)])


def test_fund_and_post_subsidy_blocks_are_checked(baseline):
    with pytest.raises(bs.ScenarioError, match="pay-in shares must sum to 1"):
        baseline.with_changes({"modes.guidance_fund.fund.pay_in": [0.5, 0.3]})
    with pytest.raises(bs.ScenarioError, match=r"fee rate must lie in \[0, 0.02\]"):
        baseline.with_changes({"modes.guidance_fund.fund.management_fee": 0.03})
    with pytest.raises(bs.ScenarioError, match="fund terms only apply to kind guidance_fund"):
        baseline.with_changes({"modes.institutional.fund": {"pay_in": [1.0]}})
    with pytest.raises(bs.ScenarioError, match="derives leverage"):
        baseline.with_changes({"modes.post_subsidy.leverage": 9.0})


# ----------------------------------------------------------------- simulate


def test_simulate_is_reproducible_by_seed(baseline_result):
    a = bs.simulate(baseline_result, 300, seed=7)
    b = bs.simulate(baseline_result, 300, seed=7)
    c = bs.simulate(baseline_result, 300, seed=8)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["performance"] != c.to_dict()["performance"]
    json.dumps(a.to_dict())  # JSON-ready


def test_simulate_tables(baseline_result):
    sim = bs.simulate(baseline_result, 500, seed=2)
    perf = sim.performance.set_index("plan")
    assert set(perf.index) == {"plan", "status_quo"}
    assert (perf["p5"] < perf["p50"]).all() and (perf["p50"] < perf["p95"]).all()
    ind = sim.indicators
    met = ind[(ind["plan"] == "plan") & (ind["indicator"] == "transferred_results")]["prob_target_met"].iloc[0]
    assert 0 < met < 1
    losses = sim.losses.set_index(["plan", "loss"])
    assert (losses.loc[("plan", "total"), "mean"]
            == pytest.approx(losses.loc[("plan", "pool_draws"), "mean"] + losses.loc[("plan", "fund_write_offs"), "mean"]))
    assert 0 <= sim.prob_beats_status_quo["plan"] <= 1
    # with risk priced the plan holds its pools well below the liability cap; the status quo's
    # bigger pool breaks it in the worst draws of the loss share
    exp = sim.exposure.set_index("plan")
    cap = baseline_result.scenario.rule("contingent_liability_cap").cap_wan
    assert exp.loc["plan", "prob_above_cap"] == 0 and exp.loc["plan", "p95"] < cap
    assert 0 < exp.loc["status_quo", "prob_above_cap"] < 1 and exp.loc["status_quo", "p95"] < cap
    assert (exp["p5"] < exp["p50"]).all() and (exp["p50"] < exp["p95"]).all()


def test_vectorised_draws_equal_a_per_draw_loop(baseline, baseline_result):
    """Each draw scored on its own (a scenario rebuilt with the drawn values) gives the batch's number."""
    s = baseline
    d = sample(s.spec, 3, np.random.default_rng(5))
    x = baseline_result.mech.flatten(baseline_result.x)
    batch = evaluate_draws(s, x, d)
    from budgetsim.model.evaluate import Evaluator
    from budgetsim.model.mechanics import Mechanics
    for k in range(d.n):
        changes = {f"modes.{m}.{p}": float(v[k]) for m, ps in d.mode_values.items() for p, v in ps.items()}
        sk = s.with_changes(changes)
        evk = Evaluator(sk)
        curves = {key: c.scaled(float(d.curve_mult[s.categories.index(key[0]), s.indicators.index(key[1]), k]))
                  for key, c in evk.curves.items()}
        one = evk.evaluate(x, curves)
        assert one.performance == pytest.approx(batch.performance[k], rel=1e-9)
        loss = Mechanics(sk)
        pool_j = s.channels.index(("tech_guidance", "risk_pool"))
        assert (loss.pool_rows(pool_j)["draws"] @ x).sum() == pytest.approx(batch.losses["pool_draws"][:, k].sum())


# ----------------------------------------------------------------- CVaR


def test_cvar_helper():
    assert cvar(np.arange(10.0), 0.2) == pytest.approx(0.5)
    assert cvar(np.arange(10.0), 0.25) == pytest.approx((0 + 1 + 0.5 * 2) / 2.5)


def test_cvar_plan_has_the_better_tail_in_and_out_of_sample(baseline):
    rb = bs.robustness(baseline, alpha=0.1, samples=150, seed=4, fresh_draws=4000, fresh_seed=99)
    ins, fresh = rb["in_sample"], rb["fresh"]
    # on its own draws the CVaR plan is at least as good in the tail (up to the linearisation)
    assert ins["cvar"]["cvar"] >= ins["deterministic"]["cvar"] - 1e-3
    # and it pays for that in the mean
    assert ins["price_of_robustness"] >= -1e-3
    # on fresh draws of every uncertain parameter the better tail holds (small tolerance)
    assert fresh["cvar"]["cvar"] >= fresh["deterministic"]["cvar"] - 0.05


def test_cvar_without_uncertainty_is_the_deterministic_plan(baseline, baseline_result):
    certain = baseline.with_changes({"uncertainty": None})
    det = baseline_result.mech.resources(baseline_result.mech.flatten(baseline_result.x))
    for samples in (1, 20):
        r = bs.solve(certain, "cvar", samples=samples, seed=1)
        assert r.ok
        assert r.performance == pytest.approx(baseline_result.performance, rel=1e-9)
        # the same resources in every category and year: the same plan up to exact ties
        # between channels (e.g. fund commitments moved between years with equal effect)
        assert np.allclose(r.mech.resources(r.mech.flatten(r.x)), det, rtol=1e-7, atol=1e-4)


def test_cvar_weight_zero_is_mean_performance(baseline):
    r = bs.solve(baseline, "cvar", samples=50, seed=1, cvar_weight=0.0)
    assert r.ok and "cvar" in r.to_dict()


def test_cvar_rejects_bad_settings(baseline):
    with pytest.raises(bs.BudgetsimError, match="alpha must lie in"):
        bs.solve(baseline, "cvar", alpha=0.0)


# ----------------------------------------------------------------- CLI


def test_cli_simulate_twice_the_same(capsys):
    from budgetsim.model import compiled

    outs = []
    for _ in range(2):
        compiled.clear_sessions()  # as in a fresh process (warm starts may move the last digits)
        code = main(["simulate", str(BASELINE), "--draws", "300", "--seed", "1", "--format", "json"])
        assert code == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]
    assert {"performance", "prob_beats_status_quo", "indicators", "fiscal_losses"} <= set(outs[0])
    code = main(["simulate", str(BASELINE), "--draws", "300", "--seed", "1"])
    text = capsys.readouterr().out
    assert code == 0 and "P(plan beats the status quo)" in text and "p95" in text


def test_cli_simulate_bad_draws(capsys):
    with pytest.raises(SystemExit) as e:
        main(["simulate", str(BASELINE), "--draws", "0"])
    assert e.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_cli_solve_cvar_reports_robustness(capsys):
    code = main(["solve", str(BASELINE), "--objective", "cvar", "--samples", "60", "--check-draws", "500",
                 "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["objective"] == "cvar"
    assert {"in_sample", "fresh"} <= set(d["robustness"]) and d["cvar"]["samples"] == 60


def test_cvar_solves_with_cbc_too(baseline):
    h = bs.solve(baseline, "cvar", samples=20, seed=2)
    c = bs.solve(baseline, "cvar", samples=20, seed=2, solver="cbc")
    assert c.ok and c.to_dict()["cvar"]["cvar"] == pytest.approx(h.to_dict()["cvar"]["cvar"], rel=1e-4)


def test_cli_solve_table_shows_pools_funds_and_cash_flows(capsys):
    code = main(["solve", str(BASELINE), "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    for heading in ("Risk-compensation pools", "loans", "contingent liability", "Guidance funds", "commitments",
                    "Cash flows and risk exposure", "risk exposure"):
        assert heading in out


def test_cli_validate_names_a_bad_uncertainty_path(capsys, tmp_path):
    bad = tmp_path / "bad_uncertainty.yaml"
    bad.write_text("extends: baseline\nid: bad_uncertainty\nuncertainty:\n  parameters:\n"
                   "    - {path: modes.risk_pool.pool.npl, dist: triangular, low: 0.01, mode: 0.02, high: 0.03}\n"
                   "    - {path: categories.basic_frontier.response.*, dist: lognormal, cv: 0.2, low: 0.5}\n",
                   encoding="utf-8")
    code = main(["validate", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert "uncertainty.parameters.0.path" in err and "'pool.npl' cannot be uncertain" in err
    assert "uncertainty.parameters.1.low" in err and "a lognormal takes cv" in err
