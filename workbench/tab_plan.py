"""The plan tabs: allocation charts and table, response curves, indicators against targets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from budgetsim.present import charts
from budgetsim.present.labels import label, labels, precise, t, unit

from .page import Page, chart_block, lang_choice


def render_plan(p: Page) -> None:
    """Allocation charts and table."""
    L, result, rkey = p.lang, p.result, p.key
    if not result.ok:
        st.info(t("no_plan", L))
    else:
        by = lang_choice(st.radio, t("stack_by", L), ["category", "mode"], name="stack_by", lang=L,
                         horizontal=True, format_func=lambda v: t(v, L))
        left, right = st.columns(2)
        with left:
            chart_block(L, "allocation", rkey + (by,), lambda: charts.allocation_chart(result, L, by),
                        charts.allocation_data(result, L), f"allocation_{by}")
        with right:
            chart_block(L, "plan_vs_sq", rkey, lambda: charts.plan_vs_status_quo_chart(result, L),
                        charts.plan_vs_status_quo_data(result, L), "plan_vs_status_quo")
        st.markdown(f"**{t('alloc_table', L)}**")
        a = charts.allocation_data(result, L)
        a["mode_label"] = a["mode_label"].where(a["on_budget"], a["mode_label"] + " *")
        piv = a.pivot_table(index=["category_label", "mode_label"], columns="year", values="amount_wan",
                            sort=False).round(0)
        piv.index.names = [t("category", L), t("mode", L)]
        st.dataframe(piv.style.format("{:,.0f}"), width="stretch")
        if not a["on_budget"].all():
            st.caption(t("off_budget_note", L))


def render_curves(p: Page) -> None:
    """One category's response curve with the plan's points."""
    L, scenario, result, rkey = p.lang, p.scenario, p.result, p.key
    if not result.ok:
        st.info(t("no_plan", L))
    else:
        cats = labels(scenario, "categories", L)
        c = st.columns(2)
        cat = c[0].selectbox(t("curve_category", L), list(cats), key="curve_cat", format_func=cats.get)
        inds = list(scenario.spec.categories[cat].response)
        ind = c[1].selectbox(t("curve_indicator", L), inds, key=f"curve_ind_{cat}",
                             format_func=lambda i: label(scenario, "indicators", i, L))
        cd = charts.curve_data(result, cat, ind, L)
        st.metric(t("marginal", L), f"{cd['marginal_per_yi']:,.2f} {unit(scenario, ind, L)} / 亿元",
                  help=precise("marginal_return", L))
        st.caption(t("marginal_text", L, v=f"{cd['marginal_per_yi']:,.2f}", unit=unit(scenario, ind, L)))
        chart_block(L, "curve", rkey + (cat, ind), lambda: charts.response_curve_chart(result, cat, ind, L),
                    cd["points"], f"curve_{cat}_{ind}")


def render_indicators(p: Page) -> None:
    """Indicators against the status quo and the targets."""
    L, result, rkey = p.lang, p.result, p.key
    d = charts.indicator_data(result, L)
    if result.ok:
        chart_block(L, "indicators", rkey, lambda: charts.indicator_chart(result, L), d, "indicators")
    st.markdown(f"**{t('ind_table', L)}**")
    tbl = pd.DataFrame({
        t("indicator", L): d["indicator_label"], t("unit", L): d["unit"],
        t("plan", L): d["plan_total"], t("status_quo", L): d["status_quo_total"],
        t("target", L): pd.to_numeric(d["target"], errors="coerce"),  # no target: NaN, shown as "—", never "None"
        # words, not ✅/❌: emoji need a font a bureau's machine may not have
        t("met", L): d["target_met"].map({True: t("met_yes", L), False: t("met_no", L)}).fillna("—")})
    st.dataframe(tbl.style.format({t("plan", L): "{:,.0f}", t("status_quo", L): "{:,.0f}", t("target", L): "{:,.0f}"},
                                  na_rep="—"), width="stretch", hide_index=True)
