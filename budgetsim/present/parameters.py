"""Scenario parameters in words: a dotted path (``rules.leverage_floor.min_ratio``) → its label and unit.

The workbook's changes sheet, the brief's assumptions and the app's "what differs between the
pins" list show parameters as a reader names them (``2026 年预算总额``, ``技术创新引导类 占比下限``)
with a unit, never as dotted paths.  :func:`describe` returns a :class:`Param` (label, unit,
kind); :func:`param_value` turns a raw value into what a cell or a sentence shows (shares as
fractions the caller formats as %, 万元 as numbers, switches as 启用/关闭).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.rules import rule_label
from .labels import fmt_pct, label, t

# kind: wan (万元), share (a fraction shown as %), ratio (×), count (whole units), number, bool, text
_MODE_PARAMS = {
    "fiscal_effectiveness": ("财政资金有效系数", "effectiveness of fiscal money", "number"),
    "leverage": ("杠杆倍数（外部资金 ÷ 财政资金）", "leverage (external ÷ fiscal)", "ratio"),
    "external_effectiveness": ("外部资金有效系数", "effectiveness of external money", "number"),
    "lag_years": ("见效滞后（年）", "lag (years)", "count"),
    "pool.npl_rate": ("贷款不良率", "non-performing loan rate", "share"),
    "pool.loss_share": ("资金池代偿比例", "pool's share of losses", "share"),
    "pool.recovery_rate": ("损失回收率", "recovery rate", "share"),
    "fund.management_fee": ("基金管理费（每年）", "management fee (a year)", "share"),
    "fund.write_off_rate": ("预期核销比例", "expected write-off rate", "share"),
    "fund.return_multiple": ("回收倍数", "return multiple", "ratio"),
    "fund.return_after_years": ("回收年限（年）", "years until returns", "count"),
    "fund.return_discount": ("回收资金折现率", "discount on returns", "share"),
    "fund.pay_in": ("出资进度", "pay-in schedule", "text"),
    "post_subsidy.subsidy_rate": ("补助比例", "subsidy rate", "share"),
    "post_subsidy.success_rate": ("验收通过率", "verification success rate", "share"),
    "pool": ("资金池条款", "pool terms", "text"),
    "fund": ("基金条款", "fund terms", "text"),
    "post_subsidy": ("后补助条款", "post-subsidy terms", "text"),
}
_RULE_PARAMS = {
    "budget_envelope.full_allocation": ("预算须全额安排", "budget fully allocated", "bool"),
    "budget_growth_floor.min_growth": ("预算年增长下限", "lowest yearly budget growth", "share"),
    "stable_competitive_band.stable_share_min": ("稳定支持占比下限", "stable-support share, lowest", "share"),
    "stable_competitive_band.stable_share_max": ("稳定支持占比上限", "stable-support share, highest", "share"),
    "leverage_floor.min_ratio": ("杠杆率下限", "leverage floor", "ratio"),
    "category_smoothing.max_change": ("类别年度波动上限", "largest yearly change per category", "share"),
    "status_quo_band.band": ("较现状分配的浮动区间（±）", "band around the status quo (±)", "share"),
    "contingent_liability_cap.cap_wan": ("或有负债上限", "contingent-liability cap", "wan"),
    "tax_expenditure_cap.cap_wan": ("税式支出上限（每年）", "tax-expenditure cap (a year)", "wan"),
    "priority_floor.share_min": ("重点领域合计占比下限", "priority categories' share, lowest", "share"),
    "priority_floor.categories": ("重点领域", "priority categories", "text"),
}
_SHARE_RULES = {"category_share_min": ("categories", "占比下限", "share floor"),
                "category_share_max": ("categories", "占比上限", "share cap"),
                "mode_share_min": ("modes", "占比下限", "share floor"),
                "mode_share_max": ("modes", "占比上限", "share cap")}
UNIT_TEXT = {"wan": ("万元", "万元"), "share": ("%", "%"), "ratio": ("倍", "×"), "bool": ("", ""),
             "text": ("", ""), "number": ("", ""), "count": ("", "")}


@dataclass(frozen=True)
class Param:
    """A parameter as a reader names it: ``label`` in the language, ``unit`` text and ``kind``."""

    path: str
    label: str
    unit: str
    kind: str


def _zh(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _p(path: str, label_: str, kind: str, lang: str, unit: str | None = None) -> Param:
    return Param(path, label_, unit if unit is not None else UNIT_TEXT[kind][0 if lang == "zh" else 1], kind)


def _year_suffix(parts: list[str], lang: str) -> str:
    return _zh(lang, f"（{parts[0]} 年）", f" ({parts[0]})") if parts and parts[0].isdigit() else ""


def describe(scenario, path: str, lang: str = "zh") -> Param:
    """The label, unit and kind of the scenario parameter at ``path`` (a dotted path)."""
    s = scenario
    parts = path.split(".")
    head, rest = parts[0], parts[1:]
    sep = "：" if lang == "zh" else ": "
    if head == "plan" and not rest:
        return _p(path, _zh(lang, "规划期（年份、贴现率）", "plan period (years, discount rate)"), "text", lang)
    if head == "budget" and not rest:
        return _p(path, _zh(lang, "预算规模", "budget envelope"), "text", lang)
    if head == "modes" and len(rest) == 1 and rest[0] in s.spec.modes:
        return _p(path, _zh(lang, f"支持方式：{label(s, 'modes', rest[0], lang)}",
                            f"support mode: {label(s, 'modes', rest[0], lang)}"), "text", lang)
    if head == "budget" and rest:
        if rest[0] == "base_amount_wan":
            year = s.spec.budget.base_year or s.years[0]
            return _p(path, _zh(lang, f"{year} 年预算总额", f"{year} budget envelope"), "wan", lang)
        if rest[0] == "growth_rate":
            return _p(path, _zh(lang, "预算年增长率", "yearly budget growth"), "share", lang)
        if rest[0] == "per_year_wan" and len(rest) > 1:
            return _p(path, _zh(lang, f"{rest[1]} 年预算总额", f"{rest[1]} budget envelope"), "wan", lang)
        if rest[0] == "base_year":
            return _p(path, _zh(lang, "预算基年", "budget base year"), "count", lang)
    if head == "plan" and rest:
        if rest[0] == "discount_rate":
            return _p(path, _zh(lang, "贴现率（每年）", "discount rate (a year)"), "share", lang)
        if rest[0] == "years":
            return _p(path, _zh(lang, "规划年份", "plan years"), "text", lang)
    if head == "rules" and len(rest) >= 2:
        rid, key = rest[0], rest[1]
        name = rule_label(s, rid, lang)
        if key == "enabled":
            return _p(path, f"{name}{sep}{_zh(lang, '是否启用', 'switched on')}", "bool", lang)
        if key in ("label_zh", "label_en", "reference"):
            return _p(path, f"{name}{sep}{_zh(lang, '名称', 'label') if key != 'reference' else _zh(lang, '依据', 'reference')}",
                      "text", lang)
        if rid in _SHARE_RULES and key == "shares" and len(rest) >= 3:
            kind, zh, en = _SHARE_RULES[rid]
            return _p(path, f"{label(s, kind, rest[2], lang)} {_zh(lang, zh, en)}", "share", lang)
        if rid == "indicator_targets" and key == "targets" and len(rest) >= 3:
            iid = rest[2]
            unit = getattr(s.spec.indicators[iid], f"unit_{lang}") if iid in s.spec.indicators else ""
            return _p(path, _zh(lang, f"{label(s, 'indicators', iid, lang)} 目标（规划期合计）",
                                f"{label(s, 'indicators', iid, lang)} target (plan total)"), "count", lang, unit)
        spec = _RULE_PARAMS.get(f"{rid}.{key}")
        if spec is not None:
            zh, en, kind = spec
            return _p(path, _zh(lang, zh, en) + _year_suffix(rest[2:], lang), kind, lang)
        if rid == "lumpy_funding":
            return _p(path, f"{name}{sep}{'.'.join(rest[1:])}", "text", lang)
    if head == "modes" and len(rest) >= 2 and rest[0] in s.spec.modes:
        spec = _MODE_PARAMS.get(".".join(rest[1:3]) if len(rest) >= 3 else rest[1])
        mode = label(s, "modes", rest[0], lang)
        if spec is not None:
            zh, en, kind = spec
            return _p(path, f"{mode}{sep}{_zh(lang, zh, en)}", kind, lang)
        return _p(path, f"{mode}{sep}{'.'.join(rest[1:])}", "text", lang)
    if head == "categories" and rest and rest[0] in s.spec.categories:
        cat = label(s, "categories", rest[0], lang)
        if len(rest) >= 3 and rest[1] == "response":
            ind = label(s, "indicators", rest[2], lang)
            return _p(path, _zh(lang, f"响应曲线：{cat} → {ind}", f"response curve: {cat} → {ind}"), "text", lang)
        return _p(path, _zh(lang, f"专项类别：{cat}", f"fund category: {cat}"), "text", lang)
    if head == "indicators" and rest and rest[0] in s.spec.indicators:
        ind = label(s, "indicators", rest[0], lang)
        if len(rest) >= 2 and rest[1] == "weight":
            return _p(path, _zh(lang, f"{ind} 权重", f"{ind} weight"), "number", lang)
        if len(rest) >= 2 and rest[1] == "reference_per_year":
            return _p(path, _zh(lang, f"{ind} 满分参考水平（每年）", f"{ind} reference level (a year)"), "count", lang,
                      getattr(s.spec.indicators[rest[0]], f"unit_{lang}"))
        return _p(path, _zh(lang, f"指标：{ind}", f"indicator: {ind}"), "text", lang)
    if head == "dimensions" and rest and rest[0] in s.spec.dimensions:
        dim = label(s, "dimensions", rest[0], lang)
        if len(rest) >= 2 and rest[1] == "weight":
            return _p(path, _zh(lang, f"评价维度“{dim}”权重", f"weight of the {dim} dimension"), "number", lang)
        return _p(path, _zh(lang, f"评价维度：{dim}", f"dimension: {dim}"), "text", lang)
    if head == "status_quo":
        if rest and rest[0] == "budget_wan":
            return _p(path, _zh(lang, "现状年度预算", "status-quo budget"), "wan", lang)
        if len(rest) >= 3 and rest[0] == "split":
            return _p(path, _zh(lang, f"现状占比：{label(s, 'categories', rest[1], lang)} · {label(s, 'modes', rest[2], lang)}",
                                f"status-quo share: {label(s, 'categories', rest[1], lang)} · "
                                f"{label(s, 'modes', rest[2], lang)}"), "share", lang)
        if len(rest) >= 3 and rest[0] == "off_budget_wan":
            return _p(path, _zh(lang, f"现状税式支出：{label(s, 'categories', rest[1], lang)}",
                                f"status-quo forgone tax: {label(s, 'categories', rest[1], lang)}"), "wan", lang)
        return _p(path, _zh(lang, "现状分配", "status quo"), "text", lang)
    if head == "uncertainty":
        if len(rest) >= 2 and rest[0] == "parameters" and rest[1].isdigit():
            entries = s.spec.uncertainty.parameters if s.spec.uncertainty else []
            k = int(rest[1])
            target = entries[k].path if k < len(entries) else ""
            return _p(path, _zh(lang, f"不确定参数：{target}", f"uncertain parameter: {target}"), "text", lang)
        return _p(path, _zh(lang, "不确定性设定", "uncertainty settings"), "text", lang)
    return _p(path, path, "text", lang)


def param_value(p: Param, value: Any, lang: str = "zh") -> Any:
    """What a cell shows for ``value``: numbers stay numbers (the cell's format adds % or 万元),
    switches become 启用/关闭, lists and mappings become short text."""
    if value is None:
        return None
    if p.kind == "bool" or isinstance(value, bool):
        return t("on", lang) if value else t("off", lang)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {param_value(p, v, lang)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def param_text(p: Param, value: Any, lang: str = "zh") -> str:
    """``value`` with its unit, for a sentence or a table of text (``12 %``, ``66,000 万元``, ``4.00 倍``)."""
    v = param_value(p, value, lang)
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return "—" if v is None else str(v)
    if p.kind == "share":
        return fmt_pct(float(v), 0 if abs(v * 100 - round(v * 100)) < 1e-9 else 1)
    if p.kind == "wan":
        return f"{v:,.0f} 万元"
    if p.kind == "ratio":
        return f"{v:.2f} {p.unit}"
    if p.kind == "count":
        return f"{v:,.0f} {p.unit}".strip()
    return f"{v:,.4g}"
