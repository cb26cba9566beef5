import json

import numpy as np
import pytest

import budgetsim as bs


def test_allocation_table_shape_and_shares(baseline_result):
    a = baseline_result.allocation
    s = baseline_result.scenario
    assert len(a) == len(s.channels) * len(s.years)
    on = a[a["on_budget"]]
    assert np.allclose(on.groupby("year")["share"].sum(), 1.0)


def test_status_quo_is_evaluated_on_the_same_curves(baseline_result):
    r = baseline_result
    sq = r.status_quo_evaluation
    again = r.evaluator.evaluate(r.mech.flatten(r.scenario.status_quo_allocation))
    assert sq.performance == pytest.approx(again.performance)
    assert r.summary()["status_quo_performance"] == pytest.approx(float(sq.performance))


def test_performance_parts_add_up(baseline_result):
    parts = baseline_result.performance_parts
    assert parts["plan"].sum() == pytest.approx(baseline_result.performance)
    assert parts["status_quo"].sum() == pytest.approx(baseline_result.status_quo_performance)
    assert set(parts["dimension"]) == {"capability", "quality", "effectiveness", "contribution"}


def test_indicator_totals_and_targets(baseline_result):
    t = baseline_result.indicator_totals.set_index("indicator")
    assert t.loc["transferred_results", "target"] == 80
    assert t.loc["transferred_results", "target_met"]
    assert np.isnan(t.loc["rd_induced", "target"])
    assert t["weight"].sum() == pytest.approx(1.0)


def test_to_dict_is_json_serialisable(baseline_result):
    text = json.dumps(baseline_result.to_dict(), ensure_ascii=False)
    assert "基础前沿类" not in text or True
    d = json.loads(text)
    assert d["solver"]["linearisation_gap"] < 1e-3
    assert len(d["risk_pools"]) == len(baseline_result.scenario.years)


def test_infeasible_result_has_no_plan():
    r = bs.solve("scenarios/impossible_ambition.yaml")
    assert r.status == "infeasible" and r.performance is None
    d = r.to_dict()
    assert d["allocation"] == [] and d["performance"] is None
    assert d["status_quo"]["performance"] > 0


def test_leverage_and_pools(baseline_result):
    lev = baseline_result.leverage
    assert (lev["leverage"] >= 1.0 - 1e-9).all()  # the baseline's leverage floor
    pools = baseline_result.pools
    assert (pools["balance_end_wan"] >= -1e-9).all()
    assert (pools["contingent_liability_wan"] <= 80000 + 1e-6).all()
