"""Reader-facing explanation and simulation tables (budgetsim.present.views)."""

from __future__ import annotations

import pytest

import budgetsim as bs
from budgetsim.present import views

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def explanation(baseline_result):
    return bs.explain(baseline_result)


def test_binding_table_labels_values_and_gains(explanation):
    t = views.binding_table(explanation, "en")
    gain = "Gain of the step (points)"
    assert list(t[gain]) == sorted(t[gain], reverse=True)
    assert len(t) == len(explanation.binding_rules)
    top = t.iloc[0]
    env26 = t[t["Rule"].str.startswith("Yearly budget envelope") & (t["Year"] == "2026")].iloc[0]
    assert (env26["Now"], env26["One step looser"]) == ("60,000 万元", "61,000 万元")
    firms = t[t["Applies to"] == "New high-tech enterprises"].iloc[0]
    assert (firms["Rule"], firms["Now"], firms["One step looser"]) == (
        "Output targets over the plan", "900 firms", "890 firms")
    assert top[gain] == pytest.approx(explanation.binding_rules["gain_if_relaxed"].max())
    env = t[t["Rule"].str.startswith("Yearly budget envelope")]
    assert set(env["Year"]) == {"2026", "2027", "2028", "2029", "2030"}
    assert env["Now"].iloc[0].endswith("万元")


def test_slack_table_keeps_the_tightest_year_per_item(explanation):
    t = views.slack_table(explanation, "zh")
    sl = explanation.slack_rules
    assert len(t) == sl.assign(k=sl["key"].fillna("")).groupby(["id", "k"]).ngroups
    assert t["余量"].str.len().gt(0).all()


def test_channels_table_verdicts_in_words(explanation):
    t = views.channels_table(explanation, "zh")
    assert len(t) == len(explanation.channels)
    assert t["判断"].str.contains("[\u4e00-\u9fff]").all()
    ch = explanation.channels
    assert t["差额"].to_numpy() == pytest.approx(ch["reduced_cost"].to_numpy() * 1000)
    assert t["再投 1,000 万元的回报（分）"].to_numpy() == pytest.approx(ch["marginal_return"].to_numpy() * 1000)
    at_margin = (ch["status"] == "at_margin").to_numpy()
    assert (t.loc[at_margin, "差额"].abs() < 1e-6).all()


def test_conflicts_table_from_and_to_in_the_rules_units():
    ex = bs.explain(SCENARIOS / "impossible_ambition.yaml")
    t = views.conflicts_table(ex, "zh")
    assert len(t) == len(ex.conflicts)
    firms = t[t["对象"] == "新增高新技术企业"].iloc[0]
    assert firms["原值"] == "1,000 家" and firms["须放宽至"].endswith(" 家")
    lev = t[t["规则"].str.contains("杠杆")]
    assert list(lev["年份"]) == sorted(lev["年份"]) and (lev["原值"] == "4.00×").all()


def test_simulation_tables(baseline_result):
    sim = bs.simulate(baseline_result, 500, 3)
    p = views.performance_table(sim, "en")
    assert list(p["Series"]) == ["Plan", "Status quo"]
    assert (p["Low case"] < p["High case"]).all()
    tt = views.targets_table(sim, "en")
    met = tt.dropna(subset=["Target"])
    assert len(met) == 2 and met["Chance met (plan)"].between(0, 1).all()
    lo = views.losses_table(sim, "zh")
    assert list(lo["损失来源"]) == ["风险补偿资金池代偿", "引导基金核销", "合计"]
    assert lo["方案：均值"].iloc[2] == pytest.approx(lo["方案：均值"].iloc[:2].sum())


def test_robust_question_is_priced_in_points_not_budget(baseline):
    ex = bs.explain(bs.solve(baseline, "cvar", samples=200, seed=0))
    t = views.binding_table(ex, "en")
    gain = "Gain of the step (robust points)"
    assert gain in t.columns and len(t)
    assert all("robust objective" in x and "saves" not in x for x in t["In words"])
