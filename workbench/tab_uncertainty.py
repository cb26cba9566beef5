"""The uncertainty tab: the plan and the status quo under the scenario's uncertain parameters."""

from __future__ import annotations

import streamlit as st

from budgetsim.exceptions import BudgetsimError
from budgetsim.present import charts, views
from budgetsim.present.labels import fmt_money, plain, precise, t

from . import engine
from .page import Page, chart_block


def render_uncertainty(p: Page) -> None:
    """The plan and the status quo under the scenario's uncertainty (lazy, cached per draws + seed)."""
    L, scenario, objective, result, rkey = p.lang, p.scenario, p.objective, p.result, p.key
    if not result.ok:
        st.info(t("no_plan", L))
        return
    c = st.columns([1, 1, 3])
    draws = int(c[0].number_input(t("unc_draws", L), min_value=100, max_value=50_000, value=2_000, step=500,
                                  key="unc_draws"))
    seed = int(c[1].number_input(t("unc_seed", L), min_value=0, max_value=2**31 - 1, value=1, step=1,
                                 key="unc_seed"))
    if scenario.spec.uncertainty is None:
        st.info(t("unc_none", L))
    try:
        with st.spinner(t("unc_running", L)):
            sim = engine.simulate(scenario, objective, draws, seed, result)
    except BudgetsimError as err:
        st.error(t("unc_failed", L, err=str(err)))
        return
    st.caption(t("unc_caption", L, n=f"{draws:,}")
               + (" " + t("unc_min_budget_note", L) if objective == "min-budget" else ""))
    perf = sim.performance.set_index("plan")
    losses = sim.losses.set_index(["plan", "loss"])
    k = st.columns(3)
    k[0].metric(t("unc_prob_beats", L), f"{sim.prob_beats_status_quo['plan']:.1%}")
    k[1].metric(t("unc_perf_p50", L), f"{perf.loc['plan', 'p50']:.2f}",
                f"{perf.loc['plan', 'p50'] - perf.loc['status_quo', 'p50']:+.2f} {t('kpi_vs_sq', L)}",
                help=f"{plain('likely_range', L)}：{perf.loc['plan', 'p5']:.2f} – {perf.loc['plan', 'p95']:.2f}。"
                     f"{precise('likely_range', L)}" if L == "zh" else
                f"{plain('likely_range', L)}: {perf.loc['plan', 'p5']:.2f} – {perf.loc['plan', 'p95']:.2f}. "
                f"{precise('likely_range', L)}")
    loss, sq_loss = losses.loc[("plan", "total"), "mean"], losses.loc[("status_quo", "total"), "mean"]
    k[2].metric(t("unc_loss_mean", L), fmt_money(loss, L, short=True),
                f"{'+' if loss >= sq_loss else '-'}{fmt_money(abs(loss - sq_loss), L, short=True)} {t('kpi_vs_sq', L)}",
                delta_color="inverse")
    left, right = st.columns([1, 1])
    with left:
        chart_block(L, "distribution", rkey + (draws, seed), lambda: charts.performance_distribution_chart(sim, L),
                    charts.performance_distribution_data(sim, L), "performance_distribution")
    with right:
        st.markdown(f"**{t('unc_perf', L)}**")
        pt = views.performance_table(sim, L)
        pct_cols = [t("pct_low", L), t("pct_mid", L), t("pct_high", L)]
        st.dataframe(pt.style.format({c: "{:.2f}" for c in pt.columns[1:]}), width="stretch", hide_index=True,
                     column_config={c: st.column_config.NumberColumn(help=t("pct_help", L)) for c in pct_cols}
                     | {pt.columns[-1]: st.column_config.NumberColumn(help=precise("worst_tenth", L))})
        st.markdown(f"**{t('unc_losses', L)}**")
        lt = views.losses_table(sim, L)
        st.dataframe(lt.style.format({c: "{:,.0f}" for c in lt.columns[1:]}), width="stretch", hide_index=True)
    st.markdown(f"**{t('unc_targets', L)}**")
    tt = views.targets_table(sim, L)
    tt = tt[tt[t("target", L)].notna()]
    if not len(tt):
        st.caption(t("unc_no_targets", L))
    else:
        probs = [t("prob_met_plan", L), t("prob_met_sq", L)]
        pct_cols = [t("pct_low", L), t("pct_mid", L), t("pct_high", L)]
        st.dataframe(tt.style.format({p: "{:.1%}" for p in probs} | {c: "{:,.0f}" for c in pct_cols}
                                     | {t("target", L): "{:,.0f}"}), width="stretch", hide_index=True,
                     column_config={c: st.column_config.NumberColumn(help=t("pct_help", L)) for c in pct_cols})
