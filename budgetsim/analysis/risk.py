"""Leverage versus risk: what a plan's expected fiscal losses cost, and what its leverage floor
buys with them.

Expected losses are risk-pool draws and guidance-fund write-offs (万元).  With a
``risk_price`` in the scenario they come off the objective at that price (index points per
万元, discounted like the index); :func:`risk_tradeoff` reports them in 万元 and in points and,
when a leverage floor is on, re-solves the plan without it to show what the floor adds in
leverage, in expected losses and in net points.
"""

from __future__ import annotations

from typing import Any

from ..results import Result
from ..solving import solve

INDEX_OBJECTIVES = ("max-performance", "cvar")


def _yi(wan: float) -> str:
    return f"{wan / 1e4:,.2f} 亿元"


def _facts(r: Result) -> dict[str, Any]:
    sm = r.summary()
    return {"performance": r.performance, "net_performance": sm["net_performance"],
            "risk_cost_points": sm["risk_cost_points"], "expected_losses_wan": sm["expected_losses_wan"],
            "leverage": sm["leverage"], "peak_risk_exposure_wan": sm["peak_risk_exposure_wan"]}


def risk_tradeoff(result: Result, solver: str = "highs") -> dict[str, Any]:
    """The risk block of ``explain``: losses, their price, and the leverage floor's trade-off."""
    s = result.scenario
    price = s.spec.risk_price.points_per_wan if s.spec.risk_price is not None else None
    cf = result.cash_flows
    out: dict[str, Any] = {
        "price_points_per_wan": price,
        "per_year": [{"year": int(y), "pool_draws_wan": float(p), "fund_write_offs_wan": float(w),
                      "expected_losses_wan": float(e)}
                     for y, p, w, e in zip(cf["year"], cf["pool_expected_draws_wan"],
                                           cf["fund_expected_write_offs_wan"], cf["expected_losses_wan"])],
        **_facts(result),
        "status_quo_risk_cost_points": result.summary()["status_quo_risk_cost_points"],
        "without_leverage_floor": None,
    }
    lev = s.rule("leverage_floor")
    if lev is not None and result.objective in INDEX_OBJECTIVES:
        free = solve(s.with_changes({"rules.leverage_floor.enabled": False}), result.objective, solver=solver)
        if free.ok:
            out["without_leverage_floor"] = _facts(free)
    out["sentence_zh"], out["sentence_en"] = _sentences(out, s.rule("leverage_floor") is not None)
    return out


def _sentences(r: dict[str, Any], has_floor: bool) -> tuple[str, str]:
    losses, cost, price = r["expected_losses_wan"], r["risk_cost_points"], r["price_points_per_wan"]
    if price:
        zh = (f"规划期预期财政损失（风险池代偿与基金核销）合计 {_yi(losses)}，按每亿元 {price * 1e4:.2f} 分的风险定价，"
              f"从绩效指数中扣除 {cost:.2f} 分（指数 {r['performance']:.2f}，扣除风险后 {r['net_performance']:.2f}）。")
        en = (f"Expected fiscal losses over the plan (pool draws, fund write-offs): {_yi(losses)}; at the bureau's "
              f"price of {price * 1e4:.2f} index points per 亿元 they cost {cost:.2f} points (index "
              f"{r['performance']:.2f}, net of risk {r['net_performance']:.2f}).")
    else:
        zh = f"规划期预期财政损失合计 {_yi(losses)}；情景未设风险定价（risk_price），损失不计入目标。"
        en = f"Expected fiscal losses over the plan: {_yi(losses)}; the scenario sets no risk_price, so they are not priced."
    free = r["without_leverage_floor"]
    if free is not None:
        d_loss = losses - free["expected_losses_wan"]
        d_net = free["net_performance"] - r["net_performance"]
        d_risk = cost - free["risk_cost_points"]
        d_index = r["performance"] - free["performance"]
        zh += (f"杠杆率下限把杠杆率从 {free['leverage']:.2f} 倍推到 {r['leverage']:.2f} 倍，预期损失多 {_yi(d_loss)}"
               f"（风险代价 {d_risk:+.2f} 分），绩效指数变化 {d_index:+.2f} 分，扣除风险后净代价 {d_net:.2f} 分；"
               f"风险敞口峰值 {_yi(free['peak_risk_exposure_wan'])} → {_yi(r['peak_risk_exposure_wan'])}。")
        en += (f" The leverage floor pushes leverage from {free['leverage']:.2f}× to {r['leverage']:.2f}×: "
               f"{_yi(d_loss)} more expected losses ({d_risk:+.2f} points of risk), the index {d_index:+.2f} points, "
               f"a net cost of {d_net:.2f} points; peak risk exposure {_yi(free['peak_risk_exposure_wan'])} → "
               f"{_yi(r['peak_risk_exposure_wan'])}.")
    elif has_floor:
        zh += "（不设杠杆率下限的方案无解或目标不计指数，未比较。）"
        en += " (Without the leverage floor no comparable plan was solved.)"
    return zh, en
