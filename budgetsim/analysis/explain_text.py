"""The readable report of an :class:`~budgetsim.explain.Explanation` (Chinese or English)."""

from __future__ import annotations

import math

import pandas as pd

from ..exceptions import BudgetsimError
from .wording import _key_label
from ..model.rules import rule_label

STATUS_TEXT = {
    "at_margin": ("处于边际：回报等于预算的边际价值", "at the margin: return equals the budget's value"),
    "at_margin_unfunded": ("未安排，但回报与预算价值持平", "unfunded, return level with the budget's value"),
    "not_worth_funding": ("不值得安排：回报低于预算价值", "not worth funding: return below the budget's value"),
    "held_up_by_rule": ("由针对本渠道的规则托底（下限）", "held up by a rule on this channel (a floor)"),
    "capped_by_rule": ("受针对本渠道的规则压低（上限或对其他渠道的下限）",
                       "held back by a rule on this channel (a cap, or a floor on its rivals)"),
}


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def explanation_text(ex, lang: str = "zh") -> str:
    if lang not in ("zh", "en"):
        raise BudgetsimError(f"lang: unknown language {lang!r}; allowed: zh, en")
    s = ex.scenario
    out: list[str] = [f"{s.title(lang)}  [{s.id}]"]
    out.append(_t(lang, "目标", "Objective") + f": {ex.objective}   " + _t(lang, "状态", "Status")
               + f": {ex.status}   " + _t(lang, "方法", "Method") + f": {ex.method}")
    note = _note(ex, lang)
    if note:
        out.append(note)
    out.append("")
    if ex.status == "infeasible":
        _infeasible(ex, lang, out)
    else:
        _optimal(ex, lang, out)
    return "\n".join(out).rstrip() + "\n"


def _note(ex, lang: str) -> str:
    hard = ", ".join(ex.hard) or _t(lang, "无", "none")
    if ex.status == "infeasible":
        if len(ex.conflicts):
            return _t(lang, f"没有任何方案能同时满足全部规则；以下是软性规则的最小放宽（硬性规则：{hard}）。",
                      f"No plan satisfies all active rules; below is the least relaxation of the soft rules "
                      f"(hard: {hard}).")
        return _t(lang, f"即使放宽全部软性规则仍无解：硬性规则（{hard}）与模型结构本身相互冲突。",
                  f"Even relaxing every soft rule leaves no plan: the hard rules ({hard}) and the model's "
                  "structure conflict by themselves.")
    if ex.method == "resolves":
        return _t(lang, f"整数规划（MILP）方案没有对偶值：以下边际值均由重新求解得出（共 {ex.resolves} 次），"
                        f"精度约 ±{ex.accuracy:.3f} 分（混合整数规划的最优性间隙）。",
                  f"Integer (MILP) plan: no duals exist; every marginal value below comes from re-solving "
                  f"the model ({ex.resolves} re-solves), accurate to about ±{ex.accuracy:.3f} points (the MIP gap).")
    return ""


def _optimal(ex, lang: str, out: list[str]) -> None:
    s = ex.scenario
    if ex.performance is not None:
        out.append(_t(lang, "绩效指数", "Performance index") + f": {ex.performance:.2f}")
        out.append("")
    mbv = ex.marginal_budget_value
    if len(mbv) and (mbv["value"].abs() < 1e-12).all():
        out.append(_t(lang, "一、预算总额不构成约束：方案未用满预算，多一万元预算不改变结果。",
                      "1. The budget envelope does not bind: the plan spends less than it, so one more 万元 "
                      "changes nothing."))
        out.append("")
    elif len(mbv):
        out.append(_t(lang, "一、多一万元预算能买到什么（按年）", "1. What one more 万元 buys, year by year"))
        for _, r in mbv.iterrows():
            v = r["value"]
            if ex.objective != "min-budget":  # max-performance and cvar are both in index points
                line = _t(lang, f"  {r['year']} 年每多安排 1,000 万元，绩效指数多得 {v * 1000:.2f} 分",
                          f"  {r['year']}: one more 1,000 万元 adds {v * 1000:.4f} index points")
            else:
                line = _t(lang, f"  {r['year']} 年预算上限每放宽 1 万元，所需预算变化 {v:.4f} 万元",
                          f"  {r['year']}: one more 万元 of envelope changes the budget needed by {v:.4f} 万元")
            if ex.method == "lp-duals":
                line += _t(lang, f"（预算约束的对偶值 {v:.3e}/万元；上下挪动预算重新求解核对 {r['finite_difference']:.3e}，相差 "
                                 f"{r['rel_diff'] * 100:.3f}%）",
                           f" (dual {v:.3e} per 万元; finite difference {r['finite_difference']:.3e}, "
                           f"{r['rel_diff'] * 100:.3f} % apart)")
            else:
                line += _t(lang, f"（由重新求解的差分得出，步长 ±{r['fd_step_wan']:,.0f} 万元）",
                           f" (from re-solves, step ±{r['fd_step_wan']:,.0f} 万元)")
            out.append(line)
        out.append("")
    out.append(_t(lang, "二、卡住方案的规则（紧约束）：放宽一步能换来多少", "2. Binding rules and what they cost"))
    br = ex.binding_rules
    if not len(br):
        out.append(_t(lang, "  没有卡住方案的规则。", "  No rule binds."))
    for _, r in br.iterrows():
        out.append("  - " + r[f"sentence_{lang}"])
    sl = ex.slack_rules
    if len(sl):
        out.append("")
        out.append(_t(lang, "  有余量（不构成约束）的规则（各项最紧的一年）：",
                      "  Rules with slack (not binding; the tightest year of each):"))
        for rid, g in sl.groupby("id", sort=False):
            g = g.assign(_k=g["key"].fillna("")).sort_values("slack_param", kind="stable")
            g = g.groupby("_k", sort=False).head(1)  # the tightest year of each key
            rows = ", ".join(_slack_item(s, r, lang) for _, r in g.iterrows())
            out.append(f"  · {rule_label(s, rid, lang)}: {rows}")
    out.append("")
    out.append(_t(lang, "三、各渠道再投 1,000 万元的回报（边际回报，规划期按预算加权，单位：分）",
                  "3. Channels at the margin (plan average, index points per 1,000 万元)"))
    ch = ex.channels
    if len(ch):
        tbl = pd.DataFrame({
            _t(lang, "渠道", "channel"): ch[f"label_{lang}"],
            _t(lang, "安排(万元)", "amount (万元)"): ch["amount_wan"].round(0),
            _t(lang, "回报", "return"): (ch["marginal_return"] * 1000).round(4),
            _t(lang, "规则影响", "via rules"): (ch["rule_value"] * 1000).round(4),
            _t(lang, "预算价值", "budget value"): (ch["budget_value"] * 1000).round(4),
            _t(lang, "差额", "shortfall"): (ch["reduced_cost"] * 1000).round(4),
            _t(lang, "判断", "status"): [STATUS_TEXT[x][0 if lang == "zh" else 1] for x in ch["status"]]})
        out.append(tbl.to_string(index=False))
    if ex.risk is not None:
        out.append("")
        out.append(_t(lang, "四、风险的代价（杠杆与风险的权衡）", "4. What the risk costs (leverage versus risk)"))
        out.append("  " + ex.risk[f"sentence_{lang}"])


def _slack_item(s, r, lang: str) -> str:
    yr = "" if pd.isna(r["year"]) else f"{int(r['year'])}"
    key = _key_label(s, r["id"], r["key"], lang) if isinstance(r["key"], str) else ""
    where = " ".join(filter(None, [key, yr]))
    sp = r["slack_param"]
    if isinstance(sp, float) and math.isfinite(sp) and r["unit"] in ("", "×"):
        amount = ((f"{sp * 100:.1f} 个百分点" if lang == "zh" else f"{sp * 100:.1f} percentage points")
                  if r["unit"] == "" else f"{sp:.2f}×")
    else:
        amount = f"{r['slack']:,.1f} {r['unit']}".strip()
    return f"{where} {amount}".strip()


def _infeasible(ex, lang: str, out: list[str]) -> None:
    c = ex.conflicts
    if not len(c):
        return
    out.append(_t(lang, "为何不可行：以下规则须放宽（最小放宽量）", "Why impossible: the rules that must give (least relaxation)"))
    for _, r in c.iterrows():
        out.append("  - " + r[f"sentence_{lang}"])
    out.append("")
    out.append(_t(lang, "在情景文件中加入以下修改即可求解：", "Add these changes to the scenario file to make it solvable:"))
    out.append("")
    out.extend("    " + line for line in ex.yaml_diff().rstrip().splitlines())
    out.append("")
    if ex.relaxed_status == "optimal":
        out.append(_t(lang, f"已校验：放宽后的情景可以求解（绩效指数 {ex.relaxed_performance:.2f}）。",
                      f"Checked: the relaxed scenario solves (performance index {ex.relaxed_performance:.2f})."))
    elif ex.relaxed_status:
        out.append(_t(lang, f"注意：放宽后的情景求解状态为 {ex.relaxed_status}。",
                      f"Note: the relaxed scenario's status is {ex.relaxed_status}."))
