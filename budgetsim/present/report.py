"""Human-readable reports: money in 万元/亿元 and the text table the CLI prints."""

from __future__ import annotations

import pandas as pd

from .labels import YI, fmt_money  # noqa: F401  (re-exported: budgetsim.report.fmt_money)
from ..results import Result
from ..scenario.provenance import inputs_sentence


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def text_report(r: Result, lang: str = "zh") -> str:
    s = r.scenario
    spec = s.spec
    out: list[str] = []
    out.append(f"{s.title(lang)}  [{s.id}]")
    out.append(_t(lang, "目标", "Objective") + f": {r.objective}   " + _t(lang, "状态", "Status") + f": {r.status}")
    if not r.ok:
        out.append(r.message)
        return "\n".join(out) + "\n"
    sm = r.summary()
    out.append(_t(lang, "绩效指数", "Performance index") +
               f": {sm['performance']:.2f}   " + _t(lang, "现状", "status quo") +
               f": {sm['status_quo_performance']:.2f}   " + _t(lang, "差值", "difference") +
               f": {sm['performance_diff']:+.2f}")
    out.append(_t(lang, "预算安排", "Budget allocated") + f": {fmt_money(sm['budget_allocated_wan'], lang)} / "
               + fmt_money(sm["budget_envelope_wan"], lang) + "   " + _t(lang, "撬动外部资金", "External money")
               + f": {fmt_money(sm['external_wan'], lang)} ({_t(lang, '杠杆', 'leverage')} {sm['leverage']:.2f}×, "
               + _t(lang, "现状", "status quo") + f" {sm['status_quo_leverage']:.2f}×)")
    if sm["targets_total"]:
        out.append(_t(lang, "目标达成", "Targets met") + f": {sm['targets_met']}/{sm['targets_total']}")
    if sm["risk_price_points_per_wan"]:
        out.append(_t(lang, "风险定价", "Risk priced") + ": " + _t(
            lang, f"预期损失 {fmt_money(sm['expected_losses_wan'], lang)}，扣 {sm['risk_cost_points']:.2f} 分，"
                  f"扣除风险后 {sm['net_performance']:.2f}",
            f"expected losses {fmt_money(sm['expected_losses_wan'], lang)} cost {sm['risk_cost_points']:.2f} "
            f"points; net of risk {sm['net_performance']:.2f}"))
    st = r.stability
    if st is not None:
        lc = st["largest_change"]
        band = f"±{st['band'] * 100:.0f}%" if st["band"] is not None else _t(lang, "未设", "none")
        out.append(_t(lang, "平稳性", "Stability") + ": " + _t(
            lang, f"渠道年度变动最大 {lc['change'] * 100:+.1f}%（区间 {band}），启停 {st['switches']} 次，"
                  f"{st['first_year']} 年预算较 {st['base_year']} 年 {st['budget_change_from_base'] * 100:+.1f}%",
            f"largest channel change {lc['change'] * 100:+.1f} % (band {band}), {st['switches']} on/off switches, "
            f"{st['first_year']} budget {st['budget_change_from_base'] * 100:+.1f} % on {st['base_year']}")
            if lc is not None else _t(lang, "无", "none"))
    if sm["due_after_plan_wan"]:
        out.append(_t(lang, "规划期后到期的承诺", "Commitments due after the plan") +
                   f": {fmt_money(sm['due_after_plan_wan'], lang)}")
    out.append(inputs_sentence(s, lang))
    out.append("")

    parts = r.performance_parts
    out.append(_t(lang, "按评价维度（指数点）", "By evaluation dimension (index points)"))
    tbl = pd.DataFrame({
        _t(lang, "维度", "dimension"): parts[f"label_{lang}"],
        _t(lang, "方案", "plan"): parts["plan"].round(2),
        _t(lang, "现状", "status quo"): parts["status_quo"].round(2),
        _t(lang, "差值", "diff"): parts["diff"].round(2)})
    out.append(tbl.to_string(index=False))
    out.append("")

    out.append(_t(lang, "分配（万元）", "Allocation (万元)"))
    a = r.allocation.copy()
    a["cat"] = a["category"].map(lambda c: spec.categories[c].__getattribute__(f"label_{lang}"))
    a["mod"] = a["mode"].map(lambda m: spec.modes[m].__getattribute__(f"label_{lang}"))
    piv = a.pivot_table(index=["cat", "mod"], columns="year", values="amount_wan", sort=False).round(0)
    piv.index.names = [_t(lang, "类别", "category"), _t(lang, "方式", "mode")]
    out.append(piv.to_string())
    out.append("")

    b = r.budget
    out.append(_t(lang, "年度预算（万元）", "Budget per year (万元)"))
    out.append(pd.DataFrame({
        _t(lang, "年份", "year"): b["year"], _t(lang, "预算总额", "envelope"): b["envelope_wan"].round(0),
        _t(lang, "已安排", "allocated"): b["allocated_wan"].round(0),
        _t(lang, "税式支出", "tax forgone"): b["tax_forgone_wan"].round(0)}).to_string(index=False))
    out.append("")

    t = r.indicator_totals
    out.append(_t(lang, "指标（规划期合计）", "Indicators (plan total)"))
    out.append(pd.DataFrame({
        _t(lang, "指标", "indicator"): t[f"label_{lang}"], _t(lang, "单位", "unit"): t[f"unit_{lang}"],
        _t(lang, "方案", "plan"): t["plan_total"].round(1), _t(lang, "现状", "status quo"): t["status_quo_total"].round(1),
        _t(lang, "差值", "diff"): t["diff"].round(1), _t(lang, "目标", "target"): t["target"],
        _t(lang, "达成", "met"): t["target_met"]}).to_string(index=False))
    out.append("")

    lev = r.leverage
    out.append(_t(lang, "杠杆（万元）", "Leverage (万元)"))
    out.append(pd.DataFrame({
        _t(lang, "年份", "year"): lev["year"], _t(lang, "财政资金", "fiscal"): lev["fiscal_wan"].round(0),
        _t(lang, "外部资金", "external"): lev["external_wan"].round(0),
        _t(lang, "杠杆率", "leverage"): lev["leverage"].round(2),
        _t(lang, "现状杠杆率", "status quo"): lev["status_quo_leverage"].round(2)}).to_string(index=False))
    if len(r.pools):
        out.append("")
        p = r.pools
        out.append(_t(lang, "风险补偿资金池（万元）", "Risk-compensation pools (万元)"))
        out.append(pd.DataFrame({
            _t(lang, "年份", "year"): p["year"], _t(lang, "当年注资", "top-up"): p["allocation_wan"].round(0),
            _t(lang, "可用余额", "available"): p["available_wan"].round(0),
            _t(lang, "支持贷款", "loans"): p["loans_wan"].round(0),
            _t(lang, "预期代偿", "expected draws"): p["expected_draws_wan"].round(0),
            _t(lang, "年末余额", "balance"): p["balance_end_wan"].round(0),
            _t(lang, "或有负债", "contingent liability"): p["contingent_liability_wan"].round(0)}).to_string(index=False))
    if len(r.funds):
        out.append("")
        f = r.funds.groupby("year", as_index=False).sum(numeric_only=True)
        out.append(_t(lang, "引导基金（万元）", "Guidance funds (万元)"))
        out.append(pd.DataFrame({
            _t(lang, "年份", "year"): f["year"], _t(lang, "认缴承诺", "commitments"): f["commitment_wan"].round(0),
            _t(lang, "实缴出资", "paid in"): f["paid_in_wan"].round(0),
            _t(lang, "管理费", "fees"): f["fees_wan"].round(0),
            _t(lang, "社会资本", "private"): f["private_wan"].round(0),
            _t(lang, "预期核销", "write-offs"): f["expected_write_offs_wan"].round(0),
            _t(lang, "未来回收现值", "returns PV"): f["returns_value_wan"].round(0),
            _t(lang, "未缴承诺", "unpaid"): f["unpaid_commitments_wan"].round(0)}).to_string(index=False))
    cf = r.cash_flows
    out.append("")
    out.append(_t(lang, "资金流与风险敞口（万元）", "Cash flows and risk exposure (万元)"))
    out.append(pd.DataFrame({
        _t(lang, "年份", "year"): cf["year"], _t(lang, "财政支出", "fiscal cash"): cf["fiscal_cash_out_wan"].round(0),
        _t(lang, "其中续拨", "of which prior awards"): cf["prior_awards_wan"].round(0),
        _t(lang, "税式支出", "tax forgone"): cf["tax_forgone_wan"].round(0),
        _t(lang, "回收", "returned"): cf["returned_wan"].round(0),
        _t(lang, "在投/在池", "at work"): cf["still_at_work_wan"].round(0),
        _t(lang, "撬动外部资金", "external"): cf["external_wan"].round(0),
        _t(lang, "预期损失", "exp. losses"): cf["expected_losses_wan"].round(0),
        _t(lang, "风险敞口", "risk exposure"): cf["risk_exposure_wan"].round(0)}).to_string(index=False))
    if r.run is None:  # a given plan: scored, not solved
        return "\n".join(out) + "\n"
    out.append("")
    out.append(_t(lang, "求解", "Solver") + f": {r.run.solution.solver}{' (MILP)' if r.is_mip else ''}, "
               + _t(lang, "建模", "build") + f" {r.build_seconds * 1000:.1f} ms, "
               + _t(lang, "求解", "solve") + f" {r.solve_seconds * 1000:.1f} ms, "
               + _t(lang, "线性化误差", "linearisation gap") + f" {r.linearisation_gap * 100:.4f} %, "
               + _t(lang, "轮次", "passes") + f" {r.run.passes}")
    return "\n".join(out) + "\n"
