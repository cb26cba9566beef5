"""The explanation tab: binding rules and their cost, what one more 万元 buys, channels at the margin."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from budgetsim.exceptions import BudgetsimError
from budgetsim.present import charts, views
from budgetsim.present.labels import fmt_ratio, precise, t

from . import engine
from .page import Page, chart_block, wide


def render_explain(p: Page) -> None:
    """Binding rules and what each costs, what one more 万元 buys, channels at the margin (lazy, cached)."""
    L, scenario, objective, result, rkey = p.lang, p.scenario, p.objective, p.result, p.key
    if not result.ok:
        st.info(t("no_plan", L) + ("：" if L == "zh" else ": ") + t("see_diagnosis", L)
                if result.status == "infeasible" else t("no_plan", L))
        return
    mip = engine.is_mip(result)
    try:
        with st.spinner(t("explain_slow" if mip else "explain_running", L)):
            ex = engine.explain(scenario, objective, result)
    except BudgetsimError as err:
        st.error(t("explain_failed", L, err=str(err)))
        return
    if ex.method == "resolves":
        st.info(t("explain_resolves", L, n=ex.resolves, acc=f"{ex.accuracy:.3f}"))
    gain = views.gain_column(ex.objective, L)
    st.subheader(t("explain_binding", L), help=precise("binding", L) + "\n\n" + precise("rule_cost", L))
    bt = views.binding_table(ex, L)
    if not len(bt):
        st.caption(t("explain_binding_none", L))
    else:
        st.markdown("\n".join(f"- {x}" for x in bt[t("col_in_words", L)].head(5)))
        wan = views.wan_column(L)
        st.dataframe(bt.drop(columns=[t("col_in_words", L)]).style.format(
                         {gain: "{:,.0f}" if ex.objective == "min-budget" else "{:.2f}", wan: "{:,.0f}"}),
                     width="stretch", hide_index=True, height=min(38 + 35 * len(bt), 390),
                     column_config=wide(t("col_rule", L), t("col_item", L))
                     | {gain: st.column_config.NumberColumn(help=precise("rule_cost", L)),
                        wan: st.column_config.NumberColumn(help=precise("rule_cost", L))})
        st.download_button(t("download_csv", L), bt.to_csv(index=False).encode("utf-8-sig"),
                           file_name="binding_rules.csv", mime="text/csv", key="csv_binding_rules", on_click="ignore", icon=":material/download:")
    sl = views.slack_table(ex, L)
    with st.expander(t("explain_slack", L, n=len(sl)), expanded=False):
        st.caption(precise("slack", L))
        st.dataframe(sl, width="stretch", hide_index=True, column_config=wide(t("col_rule", L), t("col_item", L)))

    render_leverage(p)

    st.subheader(t("explain_mbv", L), help=precise("budget_value", L))
    mbv = charts.marginal_value_data(ex, L)
    if len(mbv) and (mbv["per_wan"].abs() < 1e-12).all():
        st.info(t("explain_mbv_none", L))
    elif len(mbv):
        left, right = st.columns([3, 2])
        with left:
            chart_block(L, "mbv", rkey, lambda: charts.marginal_value_chart(ex, L), mbv, "marginal_budget_value")
        with right:
            st.caption(t("explain_mbv_note", L))
            per = mbv["measure"].iloc[0]
            st.dataframe(pd.DataFrame({t("year", L): mbv["year"].astype(str), per: mbv["per_1000_wan"]})
                         .style.format({per: "{:.2f}"}), width="stretch", hide_index=True)

    st.subheader(t("explain_channels", L), help=precise("marginal_return", L))
    ch = views.channels_table(ex, L)
    funded = int((ex.channels["amount_wan"] > 0.5).sum())
    st.caption(t("explain_funded", L, n=funded, m=len(ex.channels) - funded) + " " + t("explain_channels_note", L))
    num = [t("col_return", L), t("col_via_rules", L), t("col_budget_value", L), t("col_shortfall", L)]
    def small(fmt: str):  # no "-0.000": a shortfall below the shown precision is none
        return lambda v: fmt.format(v) if abs(v) >= 5e-4 else fmt.format(0.0).lstrip("+")

    st.dataframe(ch.style.format({t("amount_wan", L): "{:,.0f}"} | {c: small("{:+.3f}") for c in num[1:2]}
                                 | {c: small("{:.3f}") for c in num[:1] + num[2:]}),
                 width="stretch", hide_index=True, height=38 + 35 * len(ch),
                 column_config=wide(t("col_channel", L)) | wide(t("col_verdict", L)))


def render_leverage(p: Page) -> None:
    """Leverage year by year: the plan's, the floor, the most each year can reach under the other rules
    and what the floor does there, so an idle or impossible floor says so before the user tries it."""
    L = p.lang
    if getattr(p.scenario.spec.rules, "leverage_floor", None) is None:
        return
    try:
        with st.spinner(t("lev_running", L)):
            lr = engine.leverage_reach(p.scenario, p.objective, p.result)
    except BudgetsimError as err:
        st.error(t("explain_failed", L, err=str(err)))
        return
    st.subheader(t("lev_title", L), help=precise("leverage", L))
    st.caption(views.leverage_sentence(lr, L) + " " + t("lev_plan_total", L, v=fmt_ratio(lr.plan_total, L)))
    st.dataframe(views.leverage_table(lr, L), width="stretch", hide_index=True)
