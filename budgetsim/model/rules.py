"""Policy rules: one small named builder per rule, in one registry.

Each builder turns a rule's settings into named rows of the model, named from the
scenario's own ids (``category_share_min_basic_frontier_2028``).  Adding a rule means
adding a schema entry (:mod:`budgetsim.schema`) and one function here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from .continuity import base_year_category_cash, base_year_decisions

if TYPE_CHECKING:
    from .builder import ModelBuilder


@dataclass(frozen=True)
class RuleDef:
    id: str
    label_zh: str
    label_en: str
    build: Callable[["ModelBuilder", object], None]
    columns: Callable[["ModelBuilder", object], None] | None = None


RULES: dict[str, RuleDef] = {}


def rule(rule_id: str, label_zh: str, label_en: str, columns=None):
    def register(fn):
        RULES[rule_id] = RuleDef(rule_id, label_zh, label_en, fn, columns)
        return fn
    return register


def rule_label(scenario, rule_id: str, lang: str = "zh") -> str:
    """The rule's label: the scenario's own wording if given, else the registry's."""
    settings = getattr(scenario.spec.rules, rule_id, None)
    own = getattr(settings, f"label_{lang}", None) if settings is not None else None
    return own or getattr(RULES[rule_id], f"label_{lang}")


# ----------------------------------------------------------------------------- builders


@rule("budget_envelope", "年度预算总额", "Yearly budget envelope")
def _budget_envelope(m: "ModelBuilder", r) -> None:
    full = r.full_allocation and m.objective != "min-budget"
    for t, y in enumerate(m.years):
        b = m.s.budget_wan[t]
        m.add(f"budget_envelope_{y}", m.over_x(m.mech.budget[t]), lo=b if full else -np.inf, hi=b,
              rule="budget_envelope", year=y, param=b, sense="=" if full else "<=", const=m.mech.prior_budget[t])


def _from_base_year(m: "ModelBuilder") -> bool:
    """Whether the status-quo year is the bureau's last actual before the plan (rules then tie
    the first plan year to it)."""
    return m.s.spec.status_quo.base_year < m.years[0]


@rule("budget_growth_floor", "财政科技投入增长下限", "Budget growth floor")
def _growth_floor(m: "ModelBuilder", r) -> None:
    g = r.min_growth
    if _from_base_year(m):  # 持续稳定增长 from last year's actual to the first plan year
        y = m.years[0]
        base = float(m.s.spec.status_quo.budget_wan)
        m.add(f"budget_growth_floor_{y}", m.over_x(m.mech.budget[0]), lo=(1 + g) * base,
              rule="budget_growth_floor", year=y, param=g, sense=">=", const=m.mech.prior_budget[0])
    pb = m.mech.prior_budget
    for t in range(1, m.T):
        y = m.years[t]
        m.add(f"budget_growth_floor_{y}", m.over_x(m.mech.budget[t] - (1 + g) * m.mech.budget[t - 1]), lo=0.0,
              rule="budget_growth_floor", year=y, param=g, sense=">=", const=pb[t] - (1 + g) * pb[t - 1])


def _share_rows(m, rule_id, spend: dict, prior: dict, shares: dict, lower: bool) -> None:
    """``spend[key]`` (plus its prior awards ``prior[key]``) ≥ or ≤ share × the year's budget."""
    for key, s in shares.items():
        for t, y in enumerate(m.years):
            vec = m.over_x(spend[key][t] - s * m.mech.budget[t])
            m.add(f"{rule_id}_{key}_{y}", vec, lo=0.0 if lower else -np.inf, hi=np.inf if lower else 0.0,
                  rule=rule_id, year=y, key=key, param=s, sense=">=" if lower else "<=",
                  const=prior[key][t] - s * m.mech.prior_budget[t])


@rule("category_share_min", "专项类别占比下限", "Category share floor")
def _cat_min(m, r):
    _share_rows(m, "category_share_min", m.mech.category_spend, m.mech.prior_category, r.shares, lower=True)


@rule("category_share_max", "专项类别占比上限", "Category share cap")
def _cat_max(m, r):
    _share_rows(m, "category_share_max", m.mech.category_spend, m.mech.prior_category, r.shares, lower=False)


@rule("mode_share_min", "支持方式占比下限", "Support-mode share floor")
def _mode_min(m, r):
    _share_rows(m, "mode_share_min", m.mech.mode_spend, m.mech.prior_mode, r.shares, lower=True)


@rule("mode_share_max", "支持方式占比上限", "Support-mode share cap")
def _mode_max(m, r):
    _share_rows(m, "mode_share_max", m.mech.mode_spend, m.mech.prior_mode, r.shares, lower=False)


@rule("stable_competitive_band", "稳定支持与竞争性支持协调区间", "Stable vs competitive funding band")
def _stable_band(m, r):
    stable = m.mech.support_spend("stable")
    both = stable + m.mech.support_spend("competitive")
    p_stable = m.mech.prior_support("stable")
    p_both = p_stable + m.mech.prior_support("competitive")
    for t, y in enumerate(m.years):
        if r.stable_share_min > 0:
            m.add(f"stable_share_min_{y}", m.over_x(stable[t] - r.stable_share_min * both[t]), lo=0.0,
                  rule="stable_competitive_band", year=y, key="min", param=r.stable_share_min, sense=">=",
                  const=p_stable[t] - r.stable_share_min * p_both[t])
        if r.stable_share_max < 1:
            m.add(f"stable_share_max_{y}", m.over_x(stable[t] - r.stable_share_max * both[t]), hi=0.0,
                  rule="stable_competitive_band", year=y, key="max", param=r.stable_share_max, sense="<=",
                  const=p_stable[t] - r.stable_share_max * p_both[t])


@rule("leverage_floor", "财政资金杠杆率下限", "Leverage floor")
def _leverage(m, r):
    ratios = m.s.per_year(r.min_ratio)
    for t, y in enumerate(m.years):
        if not np.isnan(ratios[t]):
            m.add(f"leverage_floor_{y}", m.over_x(m.mech.external[t] - ratios[t] * m.mech.budget[t]), lo=0.0,
                  rule="leverage_floor", year=y, param=float(ratios[t]), sense=">=",
                  const=m.mech.prior_external[t] - ratios[t] * m.mech.prior_budget[t])


@rule("indicator_targets", "规划期产出目标", "Output targets over the plan")
def _targets(m, r):
    for iid, target in r.targets.items():
        m.add(f"indicator_target_{iid}", m.indicator_total(iid), lo=target,
              rule="indicator_targets", key=iid, param=target, sense=">=")


@rule("category_smoothing", "类别年度波动限制", "Year-to-year smoothing per category")
def _smoothing(m, r):
    d = r.max_change
    if _from_base_year(m):
        y = m.years[0]
        for c, base in base_year_category_cash(m.s).items():
            spend, p = m.mech.category_spend[c], m.mech.prior_category[c]
            m.add(f"category_smoothing_up_{c}_{y}", m.over_x(spend[0]), hi=(1 + d) * base,
                  rule="category_smoothing", year=y, key=c, param=d, sense="<=", const=p[0])
            m.add(f"category_smoothing_down_{c}_{y}", m.over_x(spend[0]), lo=(1 - d) * base,
                  rule="category_smoothing", year=y, key=c, param=d, sense=">=", const=p[0])
    for c, spend in m.mech.category_spend.items():
        p = m.mech.prior_category[c]
        for t in range(1, m.T):
            y = m.years[t]
            m.add(f"category_smoothing_up_{c}_{y}", m.over_x(spend[t] - (1 + d) * spend[t - 1]), hi=0.0,
                  rule="category_smoothing", year=y, key=c, param=d, sense="<=", const=p[t] - (1 + d) * p[t - 1])
            m.add(f"category_smoothing_down_{c}_{y}", m.over_x(spend[t] - (1 - d) * spend[t - 1]), lo=0.0,
                  rule="category_smoothing", year=y, key=c, param=d, sense=">=", const=p[t] - (1 - d) * p[t - 1])


@rule("channel_band", "各渠道年度变动区间", "Year-on-year band per channel")
def _channel_band(m, r):
    """x[j, t] within ±max_change of x[j, t−1] (the first plan year: of the status-quo year's
    decision).  A channel unfunded in the status-quo year may start with up to ``start_wan`` in
    the first plan year; a funded one never drops to zero (so is never switched off and on)."""
    s, b = m.s, r.max_change
    base = base_year_decisions(s)
    first, col = _from_base_year(m), m.mech.col
    rows = []
    for j, (c, mo) in enumerate(s.channels):
        if not s.mode(mo).on_budget:
            continue  # forgone tax follows its own rules
        key = f"{c}.{mo}"
        for t, y in enumerate(m.years):
            if t == 0:
                if not first:
                    continue
                pos, up, down = (col(j, 0),), (1.0,), (1.0,)
                hi = (1 + b) * base[j] if base[j] > 0 else r.start_wan
                lo = (1 - b) * base[j]
            else:  # x[j, t−1] comes first among the allocation's columns
                pos, up, down = (col(j, t - 1), col(j, t)), (-(1 + b), 1.0), (-(1 - b), 1.0)
                hi, lo = 0.0, 0.0
            rows += [(f"channel_band_up_{c}_{mo}_{y}", pos, up, -np.inf, hi, "channel_band", y, key, b, "<="),
                     (f"channel_band_down_{c}_{mo}_{y}", pos, down, lo, np.inf, "channel_band", y, key, b, ">=")]
    m.add_x_rows(rows)


@rule("stable_support_continuity", "稳定支持不中断", "Stable support is not switched off")
def _stable_continuity(m, r):
    """Stable (institutional) channels keep at least ``min_keep`` of last year's amount."""
    s, k = m.s, r.min_keep
    base = base_year_decisions(s)
    first, col = _from_base_year(m), m.mech.col
    rows = []
    for j, (c, mo) in enumerate(s.channels):
        if s.mode(mo).support_type != "stable" or not s.mode(mo).on_budget:
            continue
        for t, y in enumerate(m.years):
            if t == 0:
                if not first or base[j] <= 0:
                    continue
                pos, coefs, lo = (col(j, 0),), (1.0,), k * base[j]
            else:
                pos, coefs, lo = (col(j, t - 1), col(j, t)), (-k, 1.0), 0.0
            rows.append((f"stable_support_continuity_{c}_{mo}_{y}", pos, coefs, lo, np.inf,
                         "stable_support_continuity", y, f"{c}.{mo}", k, ">="))
    m.add_x_rows(rows)


@rule("tax_entitlement", "税收优惠为法定权益（按预测计）", "Tax incentive as an entitlement (a forecast)")
def _tax_entitlement(m, r):
    """Forgone tax of each entitlement channel-year: the forecast, plus at most the city top-up."""
    s = m.s
    top = s.per_year(r.top_up_max_wan)
    rows = []
    for c, by_mode in r.forecast_wan.items():
        for mo, value in by_mode.items():
            j = s.channels.index((c, mo))
            fc = s.per_year(value)
            for t, y in enumerate(m.years):
                if np.isnan(fc[t]):
                    continue
                pos, key, f = (m.mech.col(j, t),), f"{c}.{mo}", float(fc[t])
                up = float(np.nan_to_num(top[t]))
                if up <= 0:
                    rows.append((f"tax_entitlement_{c}_{mo}_{y}", pos, (1.0,), f, f, "tax_entitlement", y, key, f, "="))
                    continue
                rows += [(f"tax_entitlement_{c}_{mo}_{y}", pos, (1.0,), f, np.inf, "tax_entitlement", y, key, f, ">="),
                         (f"tax_top_up_{c}_{mo}_{y}", pos, (1.0,), -np.inf, f + up, "tax_entitlement", y, key, f + up,
                          "<=")]
    m.add_x_rows(rows)


@rule("risk_appetite", "风险偏好：预期损失上限", "Risk appetite: cap on expected losses")
def _risk_appetite(m, r):
    """Expected fiscal losses (pool draws, fund write-offs) each year ≤ max_loss_share × the envelope."""
    for t, y in enumerate(m.years):
        cap = r.max_loss_share * float(m.s.budget_wan[t])
        m.add(f"risk_appetite_{y}", m.over_x(m.mech.expected_losses[t]), hi=cap,
              rule="risk_appetite", year=y, param=r.max_loss_share, sense="<=", const=m.mech.prior_losses[t])


@rule("post_plan_commitments", "规划期后到期支付上限", "Cap on pay-ins due after the plan")
def _post_plan(m, r):
    """Commitments made in the plan whose pay-ins fall due after it, in total ≤ cap_wan."""
    m.add("post_plan_commitments", m.over_x(m.mech.due_after_plan), hi=float(r.cap_wan),
          rule="post_plan_commitments", param=float(r.cap_wan), sense="<=")


@rule("status_quo_band", "增量预算：现状分配浮动区间", "Band around the status-quo split")
def _sq_band(m, r):
    sq = m.mech.flatten(m.s.status_quo_allocation)
    b = r.band
    for c, spend in m.mech.category_spend.items():
        p = m.mech.prior_category[c]
        cash = spend @ sq + p  # the status quo's cash per year (payouts and pay-ins, not awards)
        for t, y in enumerate(m.years):
            level = float(cash[t])
            m.add(f"status_quo_band_min_{c}_{y}", m.over_x(spend[t]), lo=(1 - b) * level,
                  rule="status_quo_band", year=y, key=c, param=b, sense=">=", const=p[t])
            m.add(f"status_quo_band_max_{c}_{y}", m.over_x(spend[t]), hi=(1 + b) * level,
                  rule="status_quo_band", year=y, key=c, param=b, sense="<=", const=p[t])


@rule("contingent_liability_cap", "风险补偿或有负债上限", "Contingent-liability cap")
def _liability(m, r):
    caps = m.s.per_year(r.cap_wan)
    for t, y in enumerate(m.years):
        if not np.isnan(caps[t]) and m.mech.pool_channels:
            m.add(f"contingent_liability_cap_{y}", m.over_x(m.mech.liability[t]), hi=float(caps[t]),
                  rule="contingent_liability_cap", year=y, param=float(caps[t]), sense="<=")


@rule("priority_floor", "重点领域（应用基础研究与重大共性关键技术）投入下限",
      "Priority floor (applied basic research, generic key technologies)")
def _priority(m, r):
    spend = sum(m.mech.category_spend[c] for c in r.categories)
    p = sum(m.mech.prior_category[c] for c in r.categories)
    for t, y in enumerate(m.years):
        m.add(f"priority_floor_{y}", m.over_x(spend[t] - r.share_min * m.mech.budget[t]), lo=0.0,
              rule="priority_floor", year=y, param=r.share_min, sense=">=",
              const=p[t] - r.share_min * m.mech.prior_budget[t])


@rule("tax_expenditure_cap", "税收优惠（税式支出）上限", "Tax-expenditure cap")
def _tax(m, r):
    caps = m.s.per_year(r.cap_wan)
    for t, y in enumerate(m.years):
        if not np.isnan(caps[t]):
            m.add(f"tax_expenditure_cap_{y}", m.over_x(m.mech.tax[t]), hi=float(caps[t]),
                  rule="tax_expenditure_cap", year=y, param=float(caps[t]), sense="<=")


@rule("fixed_figures", "固定数额（已批续拨项目、已签承诺、已执行年度）",
      "Fixed figures (approved projects, signed commitments, years already spent)")
def _fixed(m, r):
    """One row per fixed channel-year: exact (=), or a floor and/or a cap, in 万元.

    Rows are named ``fixed_figure_<category>_<mode>_<year>`` (``_min_``/``_max_`` for floors and
    caps); their key is ``category.mode``, their parameter the figure itself."""
    s = m.s
    rows = []
    for f in r.figures:
        j = s.channels.index((f.category, f.mode))
        key, name = f"{f.category}.{f.mode}", f"{f.category}_{f.mode}"
        for y in ([f.year] if f.year is not None else m.years):
            pos = (m.mech.col(j, m.years.index(y)),)
            if f.amount_wan is not None:
                a = float(f.amount_wan)
                rows.append((f"fixed_figure_{name}_{y}", pos, (1.0,), a, a, "fixed_figures", y, key, a, "="))
                continue
            if f.min_wan is not None:
                rows.append((f"fixed_figure_min_{name}_{y}", pos, (1.0,), f.min_wan, np.inf, "fixed_figures", y, key,
                             float(f.min_wan), ">="))
            if f.max_wan is not None:
                rows.append((f"fixed_figure_max_{name}_{y}", pos, (1.0,), -np.inf, f.max_wan, "fixed_figures", y, key,
                             float(f.max_wan), "<="))
    m.add_x_rows(rows)


def _lumpy_columns(m: "ModelBuilder", r) -> None:
    """Integer columns: project counts and on/off switches for minimum tickets."""
    s = m.s
    m.lumpy_projects = []
    for pu in r.projects:
        j = s.channels.index((pu.category, pu.mode))
        names = [f"projects_{pu.category}_{pu.mode}_{y}" for y in m.years]
        cols = m.lp.add_cols(names, 0.0, np.inf, integer=True)
        m.lumpy_projects.append((j, pu.unit_wan, cols))
    m.lumpy_tickets = []
    for mt in r.min_tickets:
        j = s.channels.index((mt.category, mt.mode))
        names = [f"funded_{mt.category}_{mt.mode}_{y}" for y in m.years]
        cols = m.lp.add_cols(names, 0.0, 1.0, integer=True)
        m.lumpy_tickets.append((j, mt.min_wan, cols))


@rule("lumpy_funding", "整项目立项与最低资助额度", "Whole projects and minimum ticket sizes",
      columns=_lumpy_columns)
def _lumpy(m, r):
    s = m.s
    for j, unit, cols in m.lumpy_projects:
        c, mo = s.channels[j]
        for t, y in enumerate(m.years):
            vec = np.zeros(m.lp.n_cols)
            vec[m.x_cols[m.mech.col(j, t)]] = 1.0
            vec[cols[t]] = -unit
            m.add(f"whole_projects_{c}_{mo}_{y}", vec, lo=0.0, hi=0.0,
                  rule="lumpy_funding", year=y, key=f"{c}.{mo}", param=unit, sense="=")
    for j, min_wan, cols in m.lumpy_tickets:
        c, mo = s.channels[j]
        for t, y in enumerate(m.years):
            big = float(s.budget_wan[t]) * 2
            vec = np.zeros(m.lp.n_cols)
            vec[m.x_cols[m.mech.col(j, t)]] = 1.0
            lo = vec.copy()
            lo[cols[t]] = -min_wan
            m.add(f"min_ticket_{c}_{mo}_{y}", lo, lo=0.0,
                  rule="lumpy_funding", year=y, key=f"{c}.{mo}", param=min_wan, sense=">=")
            hi = vec.copy()
            hi[cols[t]] = -big
            m.add(f"min_ticket_switch_{c}_{mo}_{y}", hi, hi=0.0,
                  rule="lumpy_funding", year=y, key=f"{c}.{mo}", param=min_wan, sense="<=")
