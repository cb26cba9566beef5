"""Commitments: paid exactly by their schedules, and nothing due after the plan goes unreported."""

import numpy as np
import pytest

import budgetsim as bs

from .rulecheck import violations


def test_commitments_are_paid_exactly_by_their_schedules(baseline_result):
    r = baseline_result
    s, mech = r.scenario, r.mech
    f = r.funds
    for j in mech.fund_channels:
        c, m = s.channels[j]
        pay_in = s.mode(m).fund.pay_in
        g = f[(f["category"] == c) & (f["mode"] == m)].set_index("year")
        x = r.x[j]
        for t, y in enumerate(s.years):
            due = sum(pay_in[k] * x[t - k] for k in range(len(pay_in)) if t - k >= 0)
            assert g.loc[y, "paid_in_wan"] == pytest.approx(due, abs=1e-6)


def test_nothing_due_after_the_plan_goes_unreported(baseline_result):
    r = baseline_result
    committed = paid = 0.0
    for j in r.mech.fund_channels:
        committed += r.x[j].sum()
        paid += (r.mech.cash_kernel(j) @ r.x[j]).sum()
    due = r.summary()["due_after_plan_wan"]
    assert due > 0  # late commitments leave pay-ins after 2030
    assert paid + due == pytest.approx(committed, rel=1e-9)
    assert r.to_dict()["summary"]["due_after_plan_wan"] == pytest.approx(due)


def test_post_plan_pay_ins_can_be_capped(baseline, baseline_result):
    due = baseline_result.summary()["due_after_plan_wan"]
    cap = round(0.5 * due)
    r = bs.solve(baseline.with_changes({"rules.post_plan_commitments": {"cap_wan": cap}}))
    assert r.ok and violations(r) == []
    assert r.summary()["due_after_plan_wan"] <= cap + 1e-6
    assert r.summary()["net_performance"] <= baseline_result.summary()["net_performance"] + 1e-9
    assert np.isfinite(r.performance)
