"""Reader-facing tables of an explanation and a simulation, and the KPI tiles' values, labelled in one language.

The app (and scripts) show these as they are: every column is already a label from the
scenario, the rule registry or :mod:`budgetsim.labels`, every value in the rule's own unit.
The numbers come unchanged from :class:`~budgetsim.explain.Explanation` and
:class:`~budgetsim.uncertainty.Simulation`; nothing here solves or draws.  No Streamlit.
"""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.explain import Explanation, _fmt_param, _key_label
from ..analysis.explain_text import STATUS_TEXT
from .labels import fmt_money, fmt_ratio, label, t, unit
from ..results import Result
from ..analysis.uncertainty import Simulation


def _year(v) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(int(v))


def _key(ex: Explanation, rid: str, key, lang: str) -> str:
    return _key_label(ex.scenario, rid, key, lang) if isinstance(key, str) else ""


def kpi_values(r: Result, lang: str = "zh") -> dict[str, str]:
    """The KPI tiles' values exactly as the workbench shows them, label → text: the plan's, or the
    status quo's when there is no plan.  Scripts that watch the page (``bench/load.py``) and the
    tests compare a page's tiles with these for the answer ``budgetsim.solve`` gives."""
    sm = r.summary()
    if not r.ok:
        return {t("kpi_performance", lang): f"{sm['status_quo_performance']:.2f}",
                t("kpi_external", lang): fmt_money(float(r.leverage["status_quo_external_wan"].sum()), lang,
                                                   short=True),
                t("kpi_leverage", lang): f"{sm['status_quo_leverage']:.2f}×",
                t("kpi_budget", lang): fmt_money(float(r.budget["status_quo_wan"].sum()), lang, short=True)}
    return {t("kpi_performance", lang): f"{sm['performance']:.2f}",
            t("kpi_external", lang): fmt_money(sm["external_wan"], lang, short=True),
            t("kpi_leverage", lang): f"{sm['leverage']:.2f}×",
            t("kpi_targets", lang): (f"{sm['targets_met']}/{sm['targets_total']}" if sm["targets_total"]
                                     else t("kpi_no_targets", lang)),
            t("kpi_budget", lang): fmt_money(sm["budget_allocated_wan"], lang, short=True)}


def gain_column(objective: str, lang: str) -> str:
    """The header of the gain column: 万元 saved for min-budget, else index points (of the robust
    objective for cvar)."""
    return t({"min-budget": "gain_wan", "cvar": "gain_cvar"}.get(objective, "gain_points"), lang)


def budget_value_per_wan(ex) -> float | None:
    """Index points one more 万元 buys over the plan, spread over the years as the envelopes are
    (Σ value × envelope ÷ Σ envelope); None when the budget does not bind or for min-budget."""
    m = getattr(ex, "marginal_budget_value", None)
    if m is None or not len(m) or ex.objective == "min-budget":
        return None
    w = m["envelope_wan"].to_numpy(dtype=float)
    v = float((m["value"].to_numpy(dtype=float) * w).sum() / w.sum())
    return v if v > 1e-12 else None


def wan_column(lang: str) -> str:
    """The header of the budget-equivalent column of rule costs."""
    return t("wb_gain_wan", lang)


def binding_table(ex: Explanation, lang: str = "zh") -> pd.DataFrame:
    """One row per binding rule row, largest gain first: rule, item, year, value now → one step
    looser, the gain of that step (and, for index points, the budget that would buy as much,
    in 万元), and the sentence that says it."""
    b = ex.binding_rules.sort_values("gain_if_relaxed", ascending=False, kind="stable")
    s = ex.scenario
    per_wan = budget_value_per_wan(ex)
    extra = {wan_column(lang): (b["gain_if_relaxed"].to_numpy(dtype=float) / per_wan)} if per_wan else {}
    # the gain right after the rule: the number that matters stays in view on a narrow screen
    return pd.DataFrame({
        t("col_rule", lang): b[f"label_{lang}"].to_numpy(),
        t("col_item", lang): [_key(ex, r, k, lang) for r, k in zip(b["id"], b["key"])],
        t("year", lang): [_year(y) for y in b["year"]],
        gain_column(ex.objective, lang): b["gain_if_relaxed"].to_numpy(dtype=float),
        **extra,
        t("col_now", lang): [_fmt_param(s, r, k if isinstance(k, str) else None, float(p), lang)
                             for r, k, p in zip(b["id"], b["key"], b["param"])],
        t("col_step_to", lang): [_fmt_param(s, r, k if isinstance(k, str) else None, float(p), lang)
                                 for r, k, p in zip(b["id"], b["key"], b["relaxed_to"])],
        t("col_in_words", lang): b[f"sentence_{lang}"].to_numpy(),
    })


def slack_table(ex: Explanation, lang: str = "zh") -> pd.DataFrame:
    """Rules with room to spare: the tightest year of each rule and item, with its slack."""
    sl = ex.slack_rules
    if not len(sl):
        return pd.DataFrame(columns=[t("col_rule", lang), t("col_item", lang), t("year", lang), t("col_slack", lang)])
    sl = sl.assign(_k=sl["key"].fillna("")).sort_values("slack_param", kind="stable")
    sl = sl.groupby(["id", "_k"], sort=False).head(1)
    amounts = []
    for _, r in sl.iterrows():
        sp = r["slack_param"]
        if isinstance(sp, float) and math.isfinite(sp) and r["unit"] in ("", "×"):
            amounts.append((f"{sp * 100:.1f} 个百分点" if lang == "zh" else f"{sp * 100:.1f} percentage points")
                           if r["unit"] == "" else f"{sp:.2f}×")
        else:
            amounts.append(f"{r['slack']:,.1f} {r['unit']}".strip())
    return pd.DataFrame({
        t("col_rule", lang): sl[f"label_{lang}"].to_numpy(),
        t("col_item", lang): [_key(ex, r, k, lang) for r, k in zip(sl["id"], sl["key"])],
        t("year", lang): [_year(y) for y in sl["year"]],
        t("col_slack", lang): amounts,
    })


def channels_table(ex: Explanation, lang: str = "zh") -> pd.DataFrame:
    """Each category × mode channel: money over the plan, what 1,000 万元 more returns, what the
    budget is worth, the shortfall (zero when funded) and the verdict in words."""
    ch = ex.channels
    return pd.DataFrame({
        t("col_channel", lang): ch[f"label_{lang}"].to_numpy(),
        t("amount_wan", lang): ch["amount_wan"].to_numpy(dtype=float),
        t("col_return", lang): (ch["marginal_return"] * 1000).to_numpy(dtype=float),
        t("col_via_rules", lang): (ch["rule_value"] * 1000).to_numpy(dtype=float),
        t("col_budget_value", lang): (ch["budget_value"] * 1000).to_numpy(dtype=float),
        t("col_shortfall", lang): (ch["reduced_cost"] * 1000).to_numpy(dtype=float),
        t("col_verdict", lang): [STATUS_TEXT.get(x, (x, x))[0 if lang == "zh" else 1] for x in ch["status"]],
    })


def conflicts_table(ex: Explanation, lang: str = "zh") -> pd.DataFrame:
    """The rules that must give for an impossible scenario: from → to in the rule's own unit
    (grouped by rule, the rule that gives most first; years in order within a rule)."""
    c = ex.conflicts
    if len(c):
        first = {rid: i for i, rid in enumerate(dict.fromkeys(c["id"]))}
        c = c.assign(_o=c["id"].map(first), _k=c["key"].fillna(""), _y=c["year"].astype("float"))
        c = c.sort_values(["_o", "_k", "_y"], kind="stable")
    s = ex.scenario
    fmt = (lambda r, k, v: _fmt_param(s, r, k if isinstance(k, str) else None, float(v), lang))
    return pd.DataFrame({
        t("col_rule", lang): c[f"label_{lang}"].to_numpy(),
        t("col_item", lang): [_key(ex, r, k, lang) for r, k in zip(c["id"], c["key"])],
        t("year", lang): [_year(y) for y in c["year"]],
        t("col_from", lang): [fmt(r, k, v) for r, k, v in zip(c["id"], c["key"], c["from"])],
        t("col_to", lang): [fmt(r, k, v) for r, k, v in zip(c["id"], c["key"], c["to"])],
        t("col_in_words", lang): c[f"sentence_{lang}"].to_numpy(),
    })


# ----------------------------------------------------------------------------- uncertainty


def _series(name: str, lang: str) -> str:
    return t(name, lang) if name in ("plan", "status_quo") else name


def performance_table(sim: Simulation, lang: str = "zh") -> pd.DataFrame:
    """P5 / P50 / P95 (headed in plain words: low, middle, high case), mean and CVaR (the mean of
    the worst tenth) of the performance index, plan and status quo."""
    p = sim.performance
    cv = next(c for c in p.columns if c.startswith("cvar_"))
    return pd.DataFrame({
        t("series", lang): [_series(x, lang) for x in p["plan"]],
        t("pct_low", lang): p["p5"].to_numpy(), t("pct_mid", lang): p["p50"].to_numpy(),
        t("pct_high", lang): p["p95"].to_numpy(),
        t("mean", lang): p["mean"].to_numpy(),
        t("cvar_col", lang, pct=f"{sim.alpha * 100:.0f}"): p[cv].to_numpy(),
    })


def targets_table(sim: Simulation, lang: str = "zh") -> pd.DataFrame:
    """Each indicator's plan total (P5 / P50 / P95) and the chance its target is met, plan vs status quo."""
    s = sim.scenario
    ind = sim.indicators
    plan = ind[ind["plan"] == "plan"].set_index("indicator")
    sq = ind[ind["plan"] == "status_quo"].set_index("indicator")
    ids = list(plan.index)
    return pd.DataFrame({
        t("indicator", lang): [label(s, "indicators", i, lang) for i in ids],
        t("unit", lang): [unit(s, i, lang) for i in ids],
        t("target", lang): plan["target"].to_numpy(dtype=float),
        t("prob_met_plan", lang): plan["prob_target_met"].to_numpy(dtype=float),
        t("prob_met_sq", lang): sq.loc[ids, "prob_target_met"].to_numpy(dtype=float),
        t("pct_low", lang): plan["p5"].to_numpy(), t("pct_mid", lang): plan["p50"].to_numpy(),
        t("pct_high", lang): plan["p95"].to_numpy(),
    })


def losses_table(sim: Simulation, lang: str = "zh") -> pd.DataFrame:
    """Expected fiscal losses over the plan (万元): risk-pool draws, fund write-offs, total; plan vs status quo."""
    lo = sim.losses
    rows = []
    for kind in ("pool_draws", "fund_write_offs", "total"):
        p = lo[(lo["plan"] == "plan") & (lo["loss"] == kind)].iloc[0]
        q = lo[(lo["plan"] == "status_quo") & (lo["loss"] == kind)].iloc[0]
        rows.append({t("col_loss", lang): t(f"loss_{kind}", lang),
                     t("loss_plan_mean", lang): p["mean"], t("loss_plan_p95", lang): p["p95"],
                     t("loss_sq_mean", lang): q["mean"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- leverage, year by year


def leverage_table(lr, lang: str = "zh") -> pd.DataFrame:
    """Per year: the plan's leverage, the floor, the most the year can reach under the other rules,
    and what the floor does there (idle, binds, impossible), from :func:`budgetsim.analysis.leverage.leverage_reach`."""
    d = lr.table
    verdict = {"none": t("lev_none", lang), "idle": t("lev_idle", lang), "binds": t("lev_binds", lang),
               "impossible": t("lev_impossible", lang), "conflict": t("lev_conflict", lang)}
    return pd.DataFrame({
        t("year", lang): d["year"].astype(str).to_numpy(),
        t("lev_year_plan", lang): [fmt_ratio(v, lang) for v in d["plan"]],
        t("lev_floor", lang): [fmt_ratio(v, lang) for v in d["floor"]],
        t("lev_reach", lang): [fmt_ratio(v, lang) for v in d["most"]],
        t("lev_verdict", lang): [verdict[v] for v in d["verdict"]],
    })


def leverage_sentence(lr, lang: str = "zh") -> str:
    """One sentence: up to which single floor the rule changes nothing, above which it is impossible.

    Both limits are cut (not rounded) to the two decimals shown, so "up to X" is always idle and a
    floor one step above the shown "most" is always impossible."""
    if not math.isfinite(lr.uniform_most) or lr.uniform_most <= 0:
        return t("lev_conflict", lang)
    most = math.floor(lr.uniform_most * 100 + 1e-9) / 100
    idle = math.floor((lr.idle_below if math.isfinite(lr.idle_below) else lr.uniform_most) * 100 + 1e-9) / 100
    idle = min(idle, most)
    key = "lev_summary" if most - idle < 0.01 + 1e-9 else "lev_summary_between"
    return t(key, lang, idle=fmt_ratio(idle, lang), most=fmt_ratio(most, lang))
