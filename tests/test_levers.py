"""Levers: what the workbench lets a user move, mapped to dotted scenario paths (budgetsim.present.levers)."""

from __future__ import annotations

import pytest

import budgetsim as bs
from budgetsim.exceptions import ScenarioError
from budgetsim.present.levers import GROUPS, apply_levers, lever_changes, levers_for

from .conftest import SCENARIOS


def test_baseline_offers_every_group(baseline):
    levers = levers_for(baseline)
    assert {lv.group for lv in levers} == set(GROUPS)
    paths = {lv.path: lv for lv in levers}
    assert paths["budget.base_amount_wan"].value == 60000
    assert paths["budget.growth_rate"].value == pytest.approx(5.0)  # shown in percent
    assert paths["rules.category_share_min.shares.basic_frontier"].value == pytest.approx(10.0)
    assert paths["rules.category_share_max.shares.basic_frontier"].value == pytest.approx(100.0)  # no cap
    assert paths["rules.leverage_floor.min_ratio"].value == 1.0
    assert paths["rules.indicator_targets.targets.transferred_results"].value == 80
    assert paths["rules.status_quo_band.enabled"].value is False
    assert "rules.budget_envelope.enabled" not in paths
    assert paths["dimensions.quality.weight"].label("en") == "Quality"
    assert "基础前沿类" in paths["rules.category_share_min.shares.basic_frontier"].label("zh")


def test_untouched_levers_change_nothing(baseline):
    levers = levers_for(baseline)
    assert lever_changes(levers, {lv.path: lv.value for lv in levers}) == {}
    s, changes = apply_levers(baseline, {lv.path: lv.value for lv in levers})
    assert s is baseline and changes == {}


def test_moved_levers_become_scenario_units(baseline):
    s, changes = apply_levers(baseline, {"budget.growth_rate": 6.5, "rules.status_quo_band.enabled": True,
                                         "rules.category_share_max.shares.basic_frontier": 40.0})
    assert changes == {"budget.growth_rate": 0.065, "rules.status_quo_band.enabled": True,
                       "rules.category_share_max.shares.basic_frontier": 0.4}
    assert s.spec.budget.growth_rate == 0.065
    assert "status_quo_band" in s.enabled_rules
    assert s.spec.rules.category_share_max.shares["basic_frontier"] == 0.4


def test_invalid_lever_values_raise_scenario_error_naming_the_path(baseline):
    with pytest.raises(ScenarioError, match="stable_share"):
        apply_levers(baseline, {"rules.stable_competitive_band.stable_share_min": 90.0})


def test_every_bundled_scenario_offers_levers():
    for path in bs.bundled_scenarios():
        s = bs.load_scenario(path)
        levers = levers_for(s)
        assert levers and lever_changes(levers, {lv.path: lv.value for lv in levers}) == {}


def test_more_budget_through_a_lever_raises_performance(baseline_result, baseline):
    s, _ = apply_levers(baseline, {"budget.base_amount_wan": 66000})
    assert bs.solve(s).performance > baseline_result.performance
    assert bs.solve(s).performance == pytest.approx(bs.solve(SCENARIOS / "budget_plus_10.yaml").performance)


def test_unusual_values_widen_the_lever_ranges(baseline):
    s = baseline.with_changes({"budget.growth_rate": 0.4, "rules.leverage_floor.min_ratio": 12.0,
                               "dimensions.capability.weight": 50, "dimensions.quality.weight": 30,
                               "dimensions.effectiveness.weight": 10, "dimensions.contribution.weight": 10})
    for lv in levers_for(s):
        if lv.kind == "number":
            assert lv.lo <= lv.value <= lv.hi, lv
    weights = [lv for lv in levers_for(s) if lv.group == "weights"]
    assert all(lv.step == 1.0 and lv.hi >= 100 for lv in weights)


def test_lever_ranges_stay_inside_the_schema_bounds():
    from budgetsim.scenario.schema import bounds_at
    for path in bs.bundled_scenarios():
        for lv in levers_for(bs.load_scenario(path)):
            b = bounds_at(lv.path)
            if lv.kind != "number" or b is None:
                continue
            assert b.lo <= lv.to_scenario(lv.lo) and lv.to_scenario(lv.hi) <= b.hi, (lv.path, lv.lo, lv.hi, b)


def test_a_huge_budget_never_offers_a_slider_past_the_bound(baseline):
    from budgetsim.scenario.schema import MAX_WAN
    s = baseline.with_changes({"budget.base_amount_wan": MAX_WAN * 0.9})
    lv = {x.path: x for x in levers_for(s)}["budget.base_amount_wan"]
    assert lv.hi == MAX_WAN  # 4 × the budget would be past it


def test_a_per_year_leverage_floor_has_a_lever_per_year(baseline):
    s = baseline.with_changes({"rules.leverage_floor.min_ratio": {2026: 1.0, 2028: 2.5}})
    lv = {x.path: x for x in levers_for(s)}
    assert "rules.leverage_floor.min_ratio" not in lv
    assert lv["rules.leverage_floor.min_ratio.2028"].value == 2.5
    assert lv["rules.leverage_floor.min_ratio.2026"].label("zh") == "2026 年杠杆率下限（倍）"
    s2, changes = apply_levers(s, {"rules.leverage_floor.min_ratio.2028": 2.0})
    assert changes == {"rules.leverage_floor.min_ratio.2028": 2.0}
    assert s2.spec.rules.leverage_floor.min_ratio == {2026: 1.0, 2028: 2.0}
