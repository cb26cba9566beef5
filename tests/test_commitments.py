"""Commitments: multi-year awards and fund commitments are paid exactly by their schedules, awards
made before the plan (续拨) take budget first, nothing due after the plan goes unreported, and a
mode's lag is a delay."""

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.model.mechanics import Mechanics

from .rulecheck import violations


def test_every_channel_is_paid_exactly_by_its_schedule(baseline_result):
    r = baseline_result
    s, mech = r.scenario, r.mech
    a = r.allocation.set_index(["category", "mode", "year"])
    seen = set()
    for j, (c, m) in enumerate(s.channels):
        sched = mech.schedule(j)
        seen.add(tuple(sched))
        x = r.x[j]
        for t, y in enumerate(s.years):
            due = sum(sched[k] * x[t - k] for k in range(len(sched)) if t - k >= 0) + mech.prior_cash[j, t]
            assert a.loc[(c, m, y), "cash_wan"] == pytest.approx(due, abs=1e-6)
    # the baseline has grants paid over three years (two schedules) and fund pay-ins
    assert {(0.5, 0.3, 0.2), (0.4, 0.3, 0.3), (1.0,)} <= seen


def test_fund_pay_ins_follow_pay_in(baseline_result):
    r = baseline_result
    s, f = r.scenario, r.funds
    for j in r.mech.fund_channels:
        c, m = s.channels[j]
        pay_in = s.mode(m).fund.pay_in
        g = f[(f["category"] == c) & (f["mode"] == m)].set_index("year")
        for t, y in enumerate(s.years):
            due = sum(pay_in[k] * r.x[j][t - k] for k in range(len(pay_in)) if t - k >= 0)
            assert g.loc[y, "paid_in_wan"] == pytest.approx(due, abs=1e-6)


def test_nothing_due_after_the_plan_goes_unreported(baseline_result):
    r = baseline_result
    awarded = paid = 0.0
    for j in range(r.mech.J):
        if not r.mech.on_budget[j]:
            continue
        awarded += r.x[j].sum()
        paid += (r.mech.cash_kernel(j) @ r.x[j]).sum()
    due = r.summary()["due_after_plan_wan"]
    assert due > 0  # late awards and commitments leave payments after 2030
    assert paid + due == pytest.approx(awarded, rel=1e-9)
    assert r.to_dict()["summary"]["due_after_plan_wan"] == pytest.approx(due)
    # never free: the baseline charges them against a stated post-plan allowance
    assert due <= r.scenario.rule("post_plan_commitments").cap_wan + 1e-6


def test_post_plan_payments_can_be_capped_tighter(baseline, baseline_result):
    due = baseline_result.summary()["due_after_plan_wan"]
    cap = round(0.8 * due)
    r = bs.solve(baseline.with_changes({"rules.post_plan_commitments.cap_wan": cap}))
    assert r.ok and violations(r) == []
    assert r.summary()["due_after_plan_wan"] <= cap + 1e-6
    assert r.summary()["net_performance"] <= baseline_result.summary()["net_performance"] + 1e-9


def test_prior_awards_take_budget_first(baseline, baseline_result):
    r = baseline_result
    mech = r.mech
    prior = mech.prior_budget
    assert prior[0] == pytest.approx(17328) and prior[1] == pytest.approx(7752) and not prior[2:].any()
    b = r.budget
    new_cash = mech.budget @ mech.flatten(r.x)
    # the envelope is fully allocated: the plan's own awards get what 续拨 leaves
    np.testing.assert_allclose(new_cash + prior, baseline.budget_wan, rtol=1e-9)
    np.testing.assert_allclose(b["allocated_wan"], baseline.budget_wan, rtol=1e-9)
    np.testing.assert_allclose(b["prior_awards_wan"], prior)
    # the category rows count them: 2026 within ±20 % of 2025 per category, 续拨 included
    base = {c: sum(v.values()) * baseline.spec.status_quo.budget_wan for c, v in baseline.spec.status_quo.split.items()}
    a = r.allocation
    cash = a[a["on_budget"]].groupby(["category", "year"])["cash_wan"].sum()
    for c, level in base.items():
        assert abs(cash[(c, 2026)] / level - 1) <= 0.2 + 1e-6


def test_money_decided_before_the_plan_still_delivers(baseline):
    mech = Mechanics(baseline)
    T, C = mech.T, len(baseline.categories)
    c = baseline.categories.index("tech_guidance")
    j = baseline.channels.index(("tech_guidance", "guidance_fund"))  # works two years after each pay-in
    off = mech.resource_offset.reshape(C, T)
    assert (off[c, :2] > 0).all()
    np.testing.assert_allclose(mech.resources(np.zeros(mech.n)).reshape(C, T), off)  # nothing decided: the offset
    # the fund's 2026–27 results come from money paid before the plan (2024–25 at the 2025 level) and
    # from 续拨 pay-ins (2026 pay-ins work in 2028): none of the plan's own commitments reach them
    per = mech.kernel(j)[2, 0] / baseline.mode("guidance_fund").fund.pay_in[0]
    fund_only = mech.channel_offset(j, mech.params(j))
    assert fund_only[0] == pytest.approx(per * base_level(baseline, j))
    assert fund_only[2] == pytest.approx(per * mech.prior_cash[j, 0])
    e = mech.effective.reshape(C, T, mech.n)
    assert not e[c, :2, [mech.col(j, t) for t in range(T)]].any()


def base_level(s, j):
    from budgetsim.model.continuity import base_year_decisions
    return float(base_year_decisions(s)[j])


def test_a_lag_is_a_delay(baseline):
    mech = Mechanics(baseline)
    T, r = mech.T, baseline.spec.plan.discount_rate
    j = baseline.channels.index(("tech_guidance", "guidance_fund"))  # lag 2, paid in 40/30/30
    m = baseline.mode("guidance_fund")
    k = mech.kernel(j)
    per = k[2, 0] / m.fund.pay_in[0]
    assert per > 0 and not k[:2, 0].any()
    # a commitment of 2026 is paid in 2026–28 and works in 2028–30
    np.testing.assert_allclose(k[2:, 0], per * np.array(m.fund.pay_in))
    # 2030's commitment works in 2032–34: counted in 2030 at the discount for the extra years
    assert k[T - 1, T - 1] == pytest.approx(per * sum(sh / (1 + r) ** (i + 2) for i, sh in enumerate(m.fund.pay_in)))
    none_after = Mechanics(baseline.with_changes({"plan.results_after_plan": 0.0}))
    assert not none_after.kernel(j)[:, T - 1].any()


def test_results_after_the_plan_not_counted_never_score_higher(baseline, baseline_result):
    r = bs.solve(baseline.with_changes({"plan.results_after_plan": 0.0}))
    assert r.ok and violations(r) == []
    assert r.performance < baseline_result.performance


@pytest.mark.parametrize("diff, path, words", [
    ({"modes.competitive_grant.payout": [0.5, 0.3]}, "modes.competitive_grant.payout", "sum to 1"),
    ({"modes.risk_pool.payout": [1.0]}, "modes.risk_pool.payout", "not a risk_pool"),
    ({"channels.major_projects.competitive_grant.payout": [0.6, 0.6]},
     "channels.major_projects.competitive_grant.payout", "sum to 1"),
    ({"prior_awards.due_wan.basic_frontier.competitive_grant": {2031: 100}},
     "prior_awards.due_wan.basic_frontier.competitive_grant.2031", "outside the plan"),
    ({"prior_awards.due_wan.basic_frontier.risk_pool": {2026: 100}},
     "prior_awards.due_wan.basic_frontier.risk_pool", "not eligible"),
    ({"prior_awards.due_wan.tech_guidance.risk_pool": {2026: 100}},
     "prior_awards.due_wan.tech_guidance.risk_pool", "not money due"),
])
def test_bad_schedules_and_prior_awards_are_named(baseline, diff, path, words):
    with pytest.raises(bs.ScenarioError) as e:
        baseline.with_changes(diff)
    hits = [p for p in e.value.problems if p.path == path]
    assert hits, [p.path for p in e.value.problems]
    assert words in hits[0].reason
