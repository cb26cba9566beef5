"""Checking a user's own plan (budgetsim.analysis.check): score, breaches in the rules' units, improve."""

from __future__ import annotations

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.analysis.check import improve_plan, rule_breaches
from budgetsim.exceptions import BudgetsimError

from .conftest import SCENARIOS


def test_the_optimum_as_a_draft_breaks_nothing_and_scores_the_same(baseline, baseline_result):
    c = bs.check(baseline, baseline_result.x, optimum=baseline_result)
    assert c.keeps_rules, c.breaches["sentence_en"].tolist()
    assert c.performance == pytest.approx(baseline_result.performance, abs=1e-9)
    assert c.gap == pytest.approx(0.0, abs=1e-9)
    assert c.plan.status == "given" and c.plan.ok


def test_the_status_quo_as_a_draft_scores_the_status_quo(baseline, baseline_result):
    c = bs.check(baseline, baseline.status_quo_allocation, optimum=baseline_result)
    assert c.performance == pytest.approx(baseline_result.status_quo_performance, abs=1e-9)
    assert c.gap == pytest.approx(baseline_result.performance - baseline_result.status_quo_performance)
    # the same tables as a solved plan
    for table in ("allocation", "indicator_totals", "performance_parts", "leverage", "pools", "funds", "cash_flows"):
        assert len(getattr(c.plan, table))
    assert c.plan.performance_parts["plan"].sum() == pytest.approx(c.performance)
    d = c.to_dict()
    assert {"performance", "breaches", "optimum", "gap", "plan"} <= set(d)


def _one(c, rule, year=None, key=None):
    b = c.breaches
    b = b[b["id"] == rule]
    if year is not None:
        b = b[b["year"] == year]
    if key is not None:
        b = b[b["key"] == key]
    assert len(b) == 1, (rule, year, key, c.breaches[["row", "excess"]].to_string())
    return b.iloc[0]


def _shares(r: bs.Result, t: int):
    mech, x = r.mech, r.mech.flatten(r.x)  # cash, money due on awards made before the plan included
    budget = float(mech.budget[t] @ x + mech.prior_budget[t])
    cat = {c: float(v[t] @ x + mech.prior_category[c][t]) / budget for c, v in mech.category_spend.items()}
    mode = {m: float(v[t] @ x + mech.prior_mode[m][t]) / budget for m, v in mech.mode_spend.items()}
    return budget, cat, mode


# For each rule kind: a scenario tightened past the draft (the baseline's optimum) by a known step,
# so the breach's excess in the rule's own unit is that step.
def test_each_rule_kind_is_flagged_with_its_excess(baseline, baseline_result):
    r, x = baseline_result, baseline_result.x
    t, y = 1, baseline.years[1]
    budget, cat, mode = _shares(r, t)
    cases = []
    cases.append(({"rules.category_share_min.shares.basic_frontier": round(cat["basic_frontier"] + 0.02, 6)},
                  "category_share_min", y, "basic_frontier", 0.02))
    cases.append(({"rules.category_share_max.shares.tech_guidance": round(cat["tech_guidance"] - 0.02, 6)},
                  "category_share_max", y, "tech_guidance", 0.02))
    cases.append(({"rules.mode_share_min.shares.institutional": round(mode["institutional"] + 0.02, 6)},
                  "mode_share_min", y, "institutional", 0.02))
    cases.append(({"rules.mode_share_max.shares.post_subsidy": round(mode["post_subsidy"] - 0.02, 6),
                   "rules.mode_share_max.enabled": True},  # optional policy, off in the baseline
                  "mode_share_max", y, "post_subsidy", 0.02))
    lev = r.leverage.set_index("year")["leverage"]
    cases.append(({"rules.leverage_floor.min_ratio": {y: round(float(lev[y]) + 0.1, 6)}},
                  "leverage_floor", y, None, 0.1))
    growth = float(r.budget["allocated_wan"].iloc[t] / r.budget["allocated_wan"].iloc[t - 1] - 1)
    cases.append(({"rules.budget_growth_floor.min_growth": round(growth + 0.01, 6),
                   "rules.budget_envelope.full_allocation": False}, "budget_growth_floor", y, None, 0.01))
    tot = r.indicator_totals.set_index("indicator")["plan_total"]
    target = round(float(tot["transferred_results"]) + 10)
    cases.append(({"rules.indicator_targets.targets.transferred_results": target},
                  "indicator_targets", None, "transferred_results", target - float(tot["transferred_results"])))
    liab = r.cash_flows.set_index("year")["contingent_liability_wan"]
    cases.append(({"rules.contingent_liability_cap.cap_wan": {y: round(float(liab[y]) - 100, 4)}},
                  "contingent_liability_cap", y, None, 100.0))
    tax = r.budget.set_index("year")["tax_forgone_wan"]
    cases.append(({"rules.tax_expenditure_cap.cap_wan": {y: round(float(tax[y]) - 100, 4)}},
                  "tax_expenditure_cap", y, None, 100.0))
    prio = cat["basic_frontier"] + cat["major_projects"]
    cases.append(({"rules.priority_floor.share_min": round(prio + 0.02, 6)}, "priority_floor", y, None, 0.02))
    mech, xf = r.mech, r.mech.flatten(x)
    stable = float(mech.support_spend("stable")[t] @ xf + mech.prior_support("stable")[t])
    both = stable + float(mech.support_spend("competitive")[t] @ xf + mech.prior_support("competitive")[t])
    cases.append(({"rules.stable_competitive_band.stable_share_min": round(stable / both + 0.02, 6)},
                  "stable_competitive_band", y, "min", 0.02))
    j = baseline.channels.index(("major_projects", "competitive_grant"))
    cases.append(({"rules.fixed_figures": {"figures": [{"category": "major_projects", "mode": "competitive_grant",
                                                        "year": y, "amount_wan": round(float(x[j, t]) + 500, 4)}]}},
                  "fixed_figures", y, "major_projects.competitive_grant", 500.0))
    for changes, rule, year, key, excess in cases:
        s = baseline.with_changes(changes)
        c = bs.check(s, x)
        row = _one(c, rule, year, key)
        assert row["excess"] == pytest.approx(excess, rel=1e-4, abs=1e-6), (rule, row["sentence_en"])
        assert row["sentence_zh"] and row["sentence_en"]


def test_smoothing_and_status_quo_band_breaches_in_their_own_rate(baseline, baseline_result):
    r, x = baseline_result, baseline_result.x
    spend = {c: r.mech.category_spend[c] @ r.mech.flatten(x) + r.mech.prior_category[c] for c in baseline.categories}
    change = {(c, t): spend[c][t] / spend[c][t - 1] - 1 for c in spend for t in range(1, len(baseline.years))}
    (c0, t0), biggest = max(change.items(), key=lambda kv: abs(kv[1]))
    s = baseline.with_changes({"rules.category_smoothing.max_change": round(abs(biggest) - 0.01, 6)})
    row = _one(bs.check(s, x), "category_smoothing", baseline.years[t0], c0)
    assert row["excess"] == pytest.approx(0.01, rel=1e-4)
    sq = {c: r.mech.category_spend[c] @ r.mech.flatten(baseline.status_quo_allocation) + r.mech.prior_category[c]
          for c in spend}
    dev = {(c, t): spend[c][t] / sq[c][t] - 1 for c in spend for t in range(len(baseline.years))}
    (c1, t1), big = max(dev.items(), key=lambda kv: abs(kv[1]))
    s = baseline.with_changes({"rules.status_quo_band": {"enabled": True, "band": round(abs(big) - 0.01, 6)}})
    row = _one(bs.check(s, x), "status_quo_band", baseline.years[t1], c1)
    assert row["excess"] == pytest.approx(0.01, rel=1e-4)


def test_budget_envelope_and_lumpy_breaches_in_wan(baseline, baseline_result):
    x = baseline_result.x.copy()
    j = baseline.channels.index(("major_projects", "competitive_grant"))
    x[j, 0] -= 1300.0
    s = baseline.with_changes({"rules.lumpy_funding.enabled": True})
    c = bs.check(s, x)
    env = _one(c, "budget_envelope", baseline.years[0])
    # 1,300 万元 less awarded: the budget misses the first instalment of it that year
    short = 1300.0 * baseline_result.mech.schedule(j)[0]
    assert env["excess"] == pytest.approx(short, rel=1e-6) and env["unit"] == "万元"
    lumpy = c.breaches[(c.breaches["id"] == "lumpy_funding") & (c.breaches["year"] == baseline.years[0])]
    n = x[j, 0] / 2000
    assert lumpy["excess"].iloc[0] == pytest.approx(abs(n - round(n)) * 2000)


def test_breaches_below_rounding_are_not_reported(baseline, baseline_result):
    x = np.round(baseline_result.x, 2)  # what a plan file holds
    assert len(rule_breaches(baseline, x, baseline_result.run.builder)) == 0


def test_bad_plan_arrays_are_rejected(baseline):
    with pytest.raises(BudgetsimError, match="channels × years"):
        bs.check(baseline, np.zeros((3, 2)))
    x = baseline.status_quo_allocation.copy()
    x[0, 0] = -1
    with pytest.raises(BudgetsimError, match="not negative"):
        bs.check(baseline, x)


def test_explain_refuses_a_given_plan(baseline, baseline_result):
    given = bs.Result.of_plan(baseline, baseline_result.x)
    with pytest.raises(BudgetsimError, match="check"):
        bs.explain(given)


# ----------------------------------------------------------------------------- fixed figures


def _amount(r: bs.Result, c: str, m: str, y: int) -> float:
    a = r.allocation
    return float(a[(a["category"] == c) & (a["mode"] == m) & (a["year"] == y)]["amount_wan"].iloc[0])


@pytest.mark.parametrize("path,unit", [("baseline.yaml", None), ("major_projects_lumpy.yaml", 2000)])
def test_fixed_figures_are_honoured_exactly_by_lp_and_milp(path, unit):
    s = bs.load_scenario(SCENARIOS / path)
    # figures a plan can reach within the channel band from 2025 (±30 % a year)
    figs = [{"category": "major_projects", "mode": "competitive_grant", "amount_wan": 10000},
            {"category": "basic_frontier", "mode": "institutional", "year": 2027, "min_wan": 5000, "max_wan": 5200},
            {"category": "talent_environment", "mode": "competitive_grant", "year": 2029, "max_wan": 2000}]
    r = bs.solve(s.with_changes({"rules.fixed_figures": {"figures": figs}}))
    assert r.ok and r.is_mip == (unit is not None)
    for y in s.years:
        assert _amount(r, "major_projects", "competitive_grant", y) == pytest.approx(10000, abs=1e-6)
    assert 5000 - 1e-6 <= _amount(r, "basic_frontier", "institutional", 2027) <= 5200 + 1e-6
    assert _amount(r, "talent_environment", "competitive_grant", 2029) <= 2000 + 1e-6


def test_fixing_every_cell_returns_the_plan_itself(baseline, baseline_result):
    from budgetsim.scenario.plans import with_fixed_years

    x = baseline_result.x
    for spent in (False, True):
        r = bs.solve(with_fixed_years(baseline, x, baseline.years, spent=spent))
        assert r.ok
        np.testing.assert_allclose(r.x, x, atol=1e-6)


def test_rolling_replan_keeps_the_spent_year_and_reoptimises_the_rest(baseline, baseline_result):
    from budgetsim.scenario.plans import with_fixed_years

    x = baseline_result.x.copy()
    x[0, 0] = 2000.0  # 2026's actual: stable basic research cut by 40 % from 2025 (a year already spent)
    r = bs.solve(with_fixed_years(baseline, x, [2026]))
    assert r.ok
    np.testing.assert_allclose(r.x[:, 0], x[:, 0], atol=1e-6)
    assert np.abs(r.x[:, 1:] - x[:, 1:]).max() > 100  # later years moved to make up for it
    assert bs.check(baseline.with_changes({}), r.x).breaches["year"].dropna().eq(2026).any()


def test_fixed_figures_are_validated():
    s = bs.load_scenario(SCENARIOS / "baseline.yaml")
    bad = {"figures": [{"category": "basic_frontier", "mode": "risk_pool", "amount_wan": 10},
                       {"category": "major_projects", "mode": "competitive_grant", "year": 2040, "amount_wan": 1},
                       {"category": "major_projects", "mode": "post_subsidy"},
                       {"category": "major_projects", "mode": "post_subsidy", "amount_wan": 1, "min_wan": 0},
                       {"category": "tech_guidance", "mode": "risk_pool", "min_wan": 9, "max_wan": 3}]}
    with pytest.raises(bs.ScenarioError) as err:
        s.with_changes({"rules.fixed_figures": bad})
    text = str(err.value)
    for needle in ("figures.0", "not eligible", "figures.1.year", "figures.2: give amount_wan",
                   "figures.3.amount_wan", "figures.4.min_wan"):
        assert needle in text, text


def test_explain_prices_fixed_figures_and_the_diagnosis_relaxes_them(baseline):
    s = baseline.with_changes({"rules.fixed_figures": {"figures": [
        {"category": "major_projects", "mode": "competitive_grant", "year": 2026, "amount_wan": 10000}]}})
    ex = bs.explain(s)
    row = ex.binding_rules[ex.binding_rules["id"] == "fixed_figures"]
    assert len(row) == 1 and "10,000 万元" in row["sentence_zh"].iloc[0]
    s2 = baseline.with_changes({"rules.fixed_figures": {"figures": [
        {"category": "major_projects", "mode": "competitive_grant", "year": 2026, "amount_wan": 40000}]}})
    ex2 = bs.explain(s2)
    assert ex2.status == "infeasible" and "fixed_figures" in set(ex2.conflicts["id"])
    assert ex2.relaxed_status == "optimal"
    assert "- category: major_projects" in ex2.yaml_diff()


# ----------------------------------------------------------------------------- improve


def test_improve_never_lowers_performance_and_keeps_every_rule(baseline, baseline_result):
    # a draft that keeps every rule but is not the best: the optimum with major-project awards held at
    # 9,000 万元 a year (the optimum awards 10,100–10,800)
    held = baseline.with_changes({"rules.fixed_figures": {"figures": [
        {"category": "major_projects", "mode": "competitive_grant", "amount_wan": 9000}]}})
    draft = bs.solve(held).x
    c = bs.check(baseline, draft, optimum=baseline_result, improve=0.10)
    assert c.keeps_rules
    imp = c.improvement
    assert imp.status in ("improved", "no_gain")
    assert imp.performance >= c.performance - 1e-9
    assert imp.gain > 0.01
    assert len(rule_breaches(baseline, imp.result.x, baseline_result.run.builder)) == 0
    assert np.all(imp.result.x <= draft * 1.10 + 1e-3) and np.all(imp.result.x >= draft * 0.90 - 1e-3)
    assert len(imp.moves) and imp.moves["gain"].is_monotonic_decreasing
    assert "万元" in imp.moves["sentence_zh"].iloc[0] and " in 20" in imp.moves["sentence_en"].iloc[0]
    assert imp.performance <= baseline_result.performance + 1e-6


def test_improve_says_when_no_plan_within_the_band_keeps_the_rules(baseline, baseline_result):
    x = baseline_result.x.copy()
    j = baseline.channels.index(("basic_frontier", "competitive_grant"))
    x[j, 1] *= 0.5  # 2027: basic research cut in half
    t = 1
    others = [k for k in range(len(x)) if k != j and baseline.mode(baseline.channels[k][1]).on_budget]
    x[others, t] *= 1 + (baseline_result.x[j, t] - x[j, t]) / x[others, t].sum()  # the year still adds up
    imp = improve_plan(baseline, x, 0.02)
    assert imp.status == "impossible"
    assert imp.blocking is not None and len(imp.blocking)
    assert "±2%" in imp.message_zh and "±2 %" in imp.message_en
