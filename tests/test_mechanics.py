import numpy as np
import pytest

from budgetsim.model.mechanics import Mechanics


def _x_with(mech, s, channel, amounts):
    x = np.zeros((mech.J, mech.T))
    x[s.channels.index(channel)] = amounts
    return mech.flatten(x)


def test_pool_dynamics_carry_over_and_draws(baseline):
    s = baseline
    mech = Mechanics(s)
    j = s.channels.index(("tech_guidance", "risk_pool"))
    m = s.mode("risk_pool")
    x = _x_with(mech, s, ("tech_guidance", "risk_pool"), [1000, 0, 500, 0, 0])
    rows = {k: v @ x for k, v in mech.pool_rows(j).items()}
    q = m.leverage * m.pool.npl_rate * (1 - m.pool.recovery_rate) * m.pool.loss_share
    bal = 0.0
    for t, top_up in enumerate([1000, 0, 500, 0, 0]):
        avail = bal + top_up
        assert np.isclose(rows["available"][t], avail)
        assert np.isclose(rows["loans"][t], m.leverage * avail)
        # draws = loans × NPL × (1 − recovery) × the pool's loss share
        assert np.isclose(rows["draws"][t], rows["loans"][t] * m.pool.npl_rate * (1 - m.pool.recovery_rate)
                          * m.pool.loss_share)
        assert np.isclose(rows["liability"][t], rows["loans"][t] * m.pool.loss_share)
        bal = avail * (1 - q)
        assert np.isclose(rows["balance"][t], bal)
        assert rows["balance"][t] >= 0


def test_tax_is_never_in_the_budget_row(baseline):
    s = baseline
    mech = Mechanics(s)
    x = _x_with(mech, s, ("tech_guidance", "tax_incentive"), [100] * 5)
    assert np.allclose(mech.budget @ x, 0)
    assert np.allclose(mech.tax @ x, 100)
    assert np.allclose(mech.external @ x, 0)  # not counted as leverage of the budget


def test_grant_effective_resources_follow_mode_economics(baseline):
    s = baseline
    mech = Mechanics(s)
    x = _x_with(mech, s, ("basic_frontier", "competitive_grant"), [1000] * 5)
    m = s.mode("competitive_grant")
    per = m.fiscal_effectiveness + m.leverage * m.external_effectiveness
    e = (mech.effective @ x).reshape(len(s.categories), -1)
    # awarded each year, paid 50/30/20 % over three years, working lag_years after each payment;
    # what works after 2030 counts in 2030 at the plan's discount for the extra years
    T, r = len(s.years), s.spec.plan.discount_rate
    want = np.zeros(T)
    for award in range(T):
        for i, share in enumerate(m.payout):
            when = award + i + m.lag_years
            want[min(when, T - 1)] += share * (1 + r) ** -max(when - (T - 1), 0)
    first = np.r_[np.zeros(m.lag_years), np.cumsum(m.payout), np.ones(T)][:4]  # 50 %, 80 %, then all
    assert np.allclose(want[:4], first)
    assert np.allclose(e[s.categories.index("basic_frontier")], 1000 * per * want)
    assert np.allclose(np.delete(e, s.categories.index("basic_frontier"), axis=0), 0)
    assert np.allclose(mech.budget @ x, 1000 * np.array([0.5, 0.8, 1, 1, 1]))  # cash by the schedule
    assert np.allclose(mech.external @ x, m.leverage * (mech.budget @ x))  # co-funding follows the cash


def test_effective_max_bounds_any_budget_feasible_plan(baseline):
    mech = Mechanics(baseline)
    rng = np.random.default_rng(0)
    for _ in range(20):
        w = rng.dirichlet(np.ones(mech.J))
        x = np.outer(w, baseline.budget_wan)
        assert np.all(mech.effective @ mech.flatten(x) <= mech.effective_max())


# ----------------------------------------------------------------- pools, funds, post-subsidies, tax


def test_pool_balance_never_negative_and_carries_over(baseline):
    s = baseline
    mech = Mechanics(s)
    j = s.channels.index(("tech_guidance", "risk_pool"))
    m = s.mode("risk_pool")
    rng = np.random.default_rng(3)
    for _ in range(20):
        top_ups = rng.uniform(0, 10000, mech.T) * (rng.uniform(size=mech.T) > 0.3)
        x = _x_with(mech, s, ("tech_guidance", "risk_pool"), top_ups)
        rows = {k: v @ x for k, v in mech.pool_rows(j).items()}
        assert np.all(rows["balance"] >= 0) and np.all(rows["draws"] >= 0)
        assert np.all(rows["draws"] <= rows["available"])
        # what is not drawn stays: next year's available = this year's end balance + the new top-up
        assert np.allclose(rows["available"][1:], rows["balance"][:-1] + top_ups[1:])
        assert np.allclose(rows["draws"], rows["loans"] * m.pool.npl_rate * (1 - m.pool.recovery_rate)
                           * m.pool.loss_share)
        # money in = money drawn + money left
        assert np.isclose(top_ups.sum(), rows["draws"].sum() + rows["balance"][-1])


def _fund(s):
    return ("tech_guidance", "guidance_fund"), s.mode("guidance_fund").fund


def test_fund_pay_ins_sum_to_commitments(baseline):
    s = baseline
    mech = Mechanics(s)
    ch, f = _fund(s)
    j = s.channels.index(ch)
    commit = np.array([1000.0, 0, 0, 0, 500.0])
    x = _x_with(mech, s, ch, commit)
    rows = {k: v @ x for k, v in mech.fund_rows(j).items()}
    # a 2026 commitment is paid in 40/30/30 % over 2026–2028
    assert np.allclose(rows["paid_in"][:3], 1000 * np.array(f.pay_in[:3]) + [0, 0, 0])
    # everything committed is either paid in within the plan or owed after it
    assert np.isclose(rows["paid_in"].sum() + rows["unpaid"][-1], commit.sum())
    assert np.isclose(rows["unpaid"][-1], 500 * (1 - f.pay_in[0]))
    # the budget is charged the pay-ins, not the commitments; private money follows the pay-ins
    assert np.allclose(mech.budget @ x, rows["paid_in"])
    assert np.allclose(mech.external @ x, s.mode("guidance_fund").leverage * rows["paid_in"])
    # fees ≤ 2 %/yr over the pay-in years come off the invested money
    assert np.allclose(rows["fees"] + rows["invested"], rows["paid_in"])
    assert np.allclose(rows["fees"], f.management_fee * len(f.pay_in) * rows["paid_in"])
    assert np.allclose(rows["write_offs"], f.write_off_rate * rows["invested"])


def test_fund_returns_are_discounted(baseline):
    s = baseline
    mech = Mechanics(s)
    ch, f = _fund(s)
    j = s.channels.index(ch)
    x = _x_with(mech, s, ch, [1000.0, 0, 0, 0, 0])
    rows = {k: v @ x for k, v in mech.fund_rows(j).items()}
    t = np.arange(mech.T)
    want = rows["invested"] * (1 - f.write_off_rate) * f.return_multiple * (1 + f.return_discount) ** -(t + f.return_after_years)
    assert np.allclose(rows["returns_value"], want)
    assert rows["returns_value"].sum() < rows["invested"].sum() * (1 - f.write_off_rate) * f.return_multiple
    # with returns after 8 years nothing comes back within a five-year plan
    assert np.allclose(rows["returned"], 0)
    # a shorter fund returns money inside the plan, R years after it was invested
    short = s.with_changes({"modes.guidance_fund.fund.return_after_years": 2})
    ms = Mechanics(short)
    rs = {k: v @ x for k, v in ms.fund_rows(j).items()}
    assert np.allclose(rs["returned"][2:], f.return_multiple * (1 - f.write_off_rate) * rs["invested"][:-2])
    assert np.all(rs["at_work"] >= -1e-9)


def test_effective_draws_match_the_matrix_at_base_values(baseline):
    s = baseline
    mech = Mechanics(s)
    rng = np.random.default_rng(0)
    x = mech.flatten(rng.uniform(0, 5000, (mech.J, mech.T)))
    base = mech.resources(x).reshape(len(s.categories), mech.T)
    D = 4
    values = {"risk_pool": {"pool.npl_rate": np.full(D, s.mode("risk_pool").pool.npl_rate)},
              "guidance_fund": {"fund.management_fee": np.full(D, s.mode("guidance_fund").fund.management_fee)},
              "post_subsidy": {"post_subsidy.success_rate": np.full(D, 0.8)}}
    e = mech.effective_draws(x, values)
    assert e.shape == (len(s.categories), mech.T, D)
    assert np.allclose(e, base[:, :, None])
    # a worse NPL draws the pool down faster: fewer loans, fewer resources in later years
    values["risk_pool"]["pool.npl_rate"] = np.array([0.015, 0.025, 0.035, 0.05])
    e2 = mech.effective_draws(x, values)
    c = s.categories.index("tech_guidance")
    assert np.all(np.diff(e2[c, -1]) < 0)
    losses = mech.fiscal_losses_draws(x, values, D)
    assert np.all(np.diff(losses["pool_draws"][0]) > 0)


def test_post_subsidy_derives_leverage(baseline):
    m = baseline.mode("post_subsidy")
    assert np.isclose(m.leverage, 1 / (m.post_subsidy.subsidy_rate * m.post_subsidy.success_rate) - 1)
    worse = baseline.with_changes({"modes.post_subsidy.post_subsidy.success_rate": 0.5})
    assert np.isclose(worse.mode("post_subsidy").leverage, 1 / (0.25 * 0.5) - 1)


def test_tax_incentive_stays_out_of_the_budget_in_a_solved_plan(baseline_result):
    r = baseline_result
    tax = r.allocation[r.allocation["mode"] == "tax_incentive"].groupby("year")["amount_wan"].sum().to_numpy()
    assert tax.sum() > 0  # the plan does use the tax incentive …
    assert np.allclose(r.cash_flows["fiscal_cash_out_wan"], r.budget["allocated_wan"])
    assert np.allclose(r.cash_flows["tax_forgone_wan"], tax)  # … counted apart
    assert np.all(r.budget["allocated_wan"] <= r.scenario.budget_wan * (1 + 1e-9))
    cap = r.scenario.per_year(r.scenario.rule("tax_expenditure_cap").cap_wan)
    assert np.all(tax <= cap * (1 + 1e-9))


def test_results_report_pools_funds_and_cash_flows(baseline_result):
    r = baseline_result
    d = r.to_dict()
    assert {"risk_pools", "funds", "cash_flows"} <= set(d)
    cf = r.cash_flows
    assert len(cf) == len(r.scenario.years)
    assert np.allclose(cf["fund_commitments_wan"], r.funds.groupby("year")["commitment_wan"].sum())
    assert np.allclose(cf["contingent_liability_wan"], r.pools.groupby("year")["contingent_liability_wan"].sum())
    assert np.allclose(cf["expected_losses_wan"], cf["pool_expected_draws_wan"] + cf["fund_expected_write_offs_wan"])
    assert (cf["risk_exposure_wan"] >= cf["contingent_liability_wan"] - 1e-9).all()


def test_a_guidance_fund_without_fund_terms_is_a_plain_multiplier(baseline):
    plain = baseline.with_changes({"modes.guidance_fund.fund": None, "uncertainty": None})
    mech = Mechanics(plain)
    x = _x_with(mech, plain, ("tech_guidance", "guidance_fund"), [1000.0] * 5)
    assert np.allclose(mech.budget @ x, 1000.0)  # cash = allocation, no pay-in schedule
    assert mech.fund_channels == []
    m = plain.mode("guidance_fund")
    per = m.fiscal_effectiveness + m.leverage * m.external_effectiveness
    e = (mech.effective @ x).reshape(len(plain.categories), -1)
    r, lag = plain.spec.plan.discount_rate, m.lag_years  # paid at once, working two years later
    last = 1 + sum((1 + r) ** -k for k in range(1, lag + 1))  # 2028's money in 2030, 2029's and 2030's after
    assert np.allclose(e[plain.categories.index("tech_guidance")], 1000 * per * np.array([0, 0, 1, 1, last]))


def test_scenarios_with_the_same_mechanics_share_its_matrices(baseline):
    """A budget or rule change (a sweep point, a lever move) starts with the matrices made for the
    first scenario of equal mechanics, read-only; a mode change gets its own; the budget-bound
    ``channel_max`` is always the scenario's own."""
    first = Mechanics(baseline)
    made = first.effective, first.budget, first.category_spend
    bigger = baseline.with_changes({"budget.base_amount_wan": 70000.0, "rules.leverage_floor.min_ratio": 1.2})
    same = Mechanics(bigger)
    assert same.effective is made[0] and same.budget is made[1] and same.category_spend is made[2]
    assert not same.effective.flags.writeable and not next(iter(same.category_spend.values())).flags.writeable
    assert same.channel_max().max() > first.channel_max().max()  # the budget is read on each call

    other = baseline.with_changes({"modes.competitive_grant.leverage": 0.9})
    own = Mechanics(other)
    assert own.external is not first.external
    j = other.channels.index(("basic_frontier", "competitive_grant"))
    col = own.col(j, 0)
    assert own.external[0, col] == pytest.approx(0.9 * own.budget[0, col])
    assert first.external[0, col] == pytest.approx(0.5 * first.budget[0, col])
