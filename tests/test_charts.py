"""Charts (budgetsim.present.charts): data behind each chart, specs, and PNG export with CJK text."""

from __future__ import annotations

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.present import charts
from budgetsim.present.compare import compare

from .conftest import SCENARIOS


def test_allocation_chart_draws_budget_money_only(baseline_result):
    r = baseline_result
    spec = charts.allocation_chart(r, "zh").to_dict()
    values = spec["datasets"][next(iter(spec["datasets"]))]
    total = sum(v["amount_wan"] for v in values)
    assert total == pytest.approx(r.budget["allocated_wan"].sum(), rel=1e-9)
    assert {v["category_label"] for v in values} == {"基础前沿类", "科技创新支撑类", "技术创新引导类",
                                                      "科技人才与环境类", "市级科技重大专项"}
    by_mode = charts.allocation_chart(r, "en", by="mode").to_dict()
    labels = {v["mode_label"] for v in by_mode["datasets"][next(iter(by_mode["datasets"]))]}
    assert "Tax incentive (R&D super-deduction)" not in labels and "Institutional (stable) funding" in labels


def test_plan_vs_status_quo_data(baseline_result):
    d = charts.plan_vs_status_quo_data(baseline_result, "en")
    plan = d[d["series"] == "plan"]["amount_wan"].sum()
    sq = d[d["series"] == "status_quo"]["amount_wan"].sum()
    assert plan == pytest.approx(baseline_result.budget["allocated_wan"].sum())
    assert sq == pytest.approx(baseline_result.budget["status_quo_wan"].sum())


def test_curve_data_points_lie_on_the_curve_with_their_slope(baseline_result):
    r = baseline_result
    cd = charts.curve_data(r, "basic_frontier", "original_results")
    curve = r.evaluator.curves[("basic_frontier", "original_results")]
    plan = cd["points"][cd["points"]["series"] == "plan"]
    np.testing.assert_allclose(plan["effective_wan"], r.evaluation.effective[0])
    np.testing.assert_allclose(plan["output"], curve.value(plan["effective_wan"].to_numpy()))
    assert cd["marginal_per_yi"] == pytest.approx(float(curve.slope(r.evaluation.effective[0]).mean()) * 1e4)
    assert np.all(np.diff(cd["curve"]["output"]) >= 0)


def test_indicator_data_relative_to_status_quo(baseline_result):
    d = charts.indicator_data(baseline_result)
    row = d.set_index("indicator").loc["transferred_results"]
    assert row["plan_rel"] == pytest.approx(100 * row["plan_total"] / row["status_quo_total"])
    assert row["target"] == 80


def test_charts_for_an_impossible_scenario_do_not_fail():
    r = bs.solve(SCENARIOS / "impossible_ambition.yaml")
    assert not r.ok
    assert charts.indicator_data(r)["plan_total"].isna().all()
    charts.plan_vs_status_quo_chart(r).to_dict()


def test_comparison_charts(baseline_result):
    c = compare({"a": baseline_result, "b": bs.solve(SCENARIOS / "budget_plus_10.yaml")}, "en")
    d = charts.comparison_allocation_data(c)
    assert d.groupby("scenario")["amount_wan"].sum()["a"] == pytest.approx(
        baseline_result.budget["allocated_wan"].sum())
    charts.comparison_allocation_chart(c).to_dict()
    charts.comparison_indicator_chart(c).to_dict()


def test_png_export(baseline_result):
    png = charts.to_png(charts.allocation_chart(baseline_result, "zh"), scale=1.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_png_export_from_a_spec(baseline_result):
    spec = charts.indicator_chart(baseline_result, "en").to_dict()
    assert charts.to_png(spec, scale=1.0)[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def explanation(baseline_result):
    return bs.explain(baseline_result)


@pytest.fixture(scope="module")
def simulation(baseline_result):
    return bs.simulate(baseline_result, 2000, 1)


def test_marginal_value_chart_draws_the_budget_duals(explanation):
    d = charts.marginal_value_data(explanation, "en")
    m = explanation.marginal_budget_value
    assert list(d["year"]) == [2026, 2027, 2028, 2029, 2030]
    np.testing.assert_allclose(d["per_1000_wan"], m["value"] * 1000)
    np.testing.assert_allclose(d["per_wan"], d["finite_difference"], rtol=0.01)  # the dual agrees with a re-solve
    assert (d["per_1000_wan"] > 0).all() and d["measure"].iloc[0] == "Index points per 1,000 万元"
    spec = charts.marginal_value_chart(explanation, "zh").to_dict()
    assert spec["title"] == "多给 1,000 万元预算能多得几分"


def test_performance_distribution_bins_every_draw(simulation):
    d = charts.performance_distribution_data(simulation, "zh", bins=30)
    assert set(d["series_label"]) == {"方案", "现状"}
    for series, g in d.groupby("series"):
        assert g["draws"].sum() == 2000
        assert g["share"].sum() == pytest.approx(1.0)
        v = simulation.plans[series].performance
        assert g["bin_start"].min() <= v.min() and g["bin_end"].max() >= v.max()
    pct = charts.performance_percentiles_data(simulation, "en")
    plan = pct[pct["series"] == "plan"].set_index("percentile")["value"]
    assert plan["P5"] < plan["P50"] < plan["P95"]
    assert plan["P50"] == pytest.approx(float(np.percentile(simulation.plans["plan"].performance, 50)))
    spec = charts.performance_distribution_chart(simulation, "en").to_dict()
    assert spec["title"] == "Performance index across 2,000 draws"


def test_distribution_png_export(simulation):
    png = charts.to_png(charts.performance_distribution_chart(simulation, "zh"), scale=1.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
