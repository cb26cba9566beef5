import numpy as np

from budgetsim.mechanics import Mechanics


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
    per = (m.fiscal_effectiveness + m.leverage * m.external_effectiveness) / (1 + s.spec.plan.discount_rate) ** m.lag_years
    e = (mech.effective @ x).reshape(len(s.categories), -1)
    assert np.allclose(e[s.categories.index("basic_frontier")], 1000 * per)
    assert np.allclose(np.delete(e, s.categories.index("basic_frontier"), axis=0), 0)
    assert np.allclose(mech.external @ x, 1000 * m.leverage)


def test_effective_max_bounds_any_budget_feasible_plan(baseline):
    mech = Mechanics(baseline)
    rng = np.random.default_rng(0)
    for _ in range(20):
        w = rng.dirichlet(np.ones(mech.J))
        x = np.outer(w, baseline.budget_wan)
        assert np.all(mech.effective @ mech.flatten(x) <= mech.effective_max())
