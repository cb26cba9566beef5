"""Leverage explained (budgetsim.analysis.leverage): per year, what the floor does and the most reachable."""

from __future__ import annotations

import pytest

import budgetsim as bs
from budgetsim.present import views


@pytest.fixture(scope="module")
def reach(baseline_result):
    return bs.leverage_reach(baseline_result)


def test_a_low_floor_is_idle_and_the_most_reachable_is_a_true_limit(reach, baseline, baseline_result):
    d = reach.table
    assert list(d["year"]) == baseline.years
    assert (d["verdict"] == "idle").all()  # the baseline's 1× floor changes nothing in any year
    assert (d["most"] >= d["plan"] - 1e-6).all()
    assert reach.plan_total == pytest.approx(baseline_result.summary()["leverage"])
    most = reach.uniform_most
    assert 1.0 < most <= d["most"].min() + 1e-9
    # the limit is real: just below it solves, just above it is impossible
    assert bs.solve(baseline.with_changes({"rules.leverage_floor.min_ratio": round(most - 0.01, 2)})).ok
    assert bs.solve(baseline.with_changes({"rules.leverage_floor.min_ratio": round(most + 0.02, 2)})).status \
        == "infeasible"


def test_a_floor_between_the_plan_and_the_limit_binds(baseline, reach):
    d = reach.table.set_index("year")
    y = int(d.index[-1])
    if d.loc[y, "most"] - d.loc[y, "plan"] < 0.05:
        pytest.skip("the plan already reaches the most in the last year")
    mid = (d.loc[y, "plan"] + d.loc[y, "most"]) / 2
    s = baseline.with_changes({"rules.leverage_floor.min_ratio": {y: round(mid, 3)}})
    lr = bs.leverage_reach(bs.solve(s))
    v = lr.table.set_index("year")
    assert v.loc[y, "verdict"] == "binds" and v.loc[y, "plan"] == pytest.approx(round(mid, 3), abs=1e-4)
    assert (v.drop(index=y)["verdict"] == "none").all()


def test_an_impossible_floor_says_so(baseline, reach):
    high = baseline.with_changes({"rules.leverage_floor.min_ratio": reach.uniform_most + 0.5,
                                  "rules.indicator_targets.enabled": False})
    r = bs.solve(high)
    assert r.status == "infeasible"
    lr = bs.leverage_reach(r)
    first = lr.table.iloc[0]  # the tightest year: the plan's first reaches least
    assert first["verdict"] == "impossible" and first["floor"] > first["most"]
    assert views.leverage_table(lr, "zh")["下限的作用"].iloc[0] == "做不到（超过最高可达）"


def test_leverage_words(reach):
    zh = views.leverage_sentence(reach, "zh")
    assert zh == ("杠杆率下限逐年考核：不超过 1.70 倍时不起作用（方案已达到），1.70 倍至 1.96 倍之间会压低绩效，"
                  "超过 1.96 倍就做不到（其他规则下最高可达）。")  # the 2026 reach, tied to 2025 by continuity
    tbl = views.leverage_table(reach, "en")
    assert list(tbl.columns) == ["Year", "Plan's leverage", "Leverage floor", "Most reachable under the other rules",
                                 "What the floor does"]
    assert tbl["What the floor does"].str.startswith("idle").all()


def test_a_floor_that_costs_performance_gets_its_own_range():
    from types import SimpleNamespace

    lr = SimpleNamespace(uniform_most=3.004, idle_below=2.0)
    assert views.leverage_sentence(lr, "zh") == ("杠杆率下限逐年考核：不超过 2.00 倍时不起作用（方案已达到），"
                                                  "2.00 倍至 3.00 倍之间会压低绩效，超过 3.00 倍就做不到（其他规则下最高可达）。")
    assert "between 2.00× and 3.00×" in views.leverage_sentence(lr, "en")
