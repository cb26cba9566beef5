"""The comparison tab: pinned scenarios side by side, their downloads, and removing pins."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from budgetsim.present import charts
from budgetsim.present.compare import MAX_COMPARED, compare, scenario_diff_yaml, slug, workbook_bytes
from budgetsim.present.labels import fmt_money, objective_label, t

from . import engine
from .page import Page, chart_block
from .state import remove_pin


def render_compare(p: Page) -> None:
    """Pinned scenarios side by side, downloads."""
    L = p.lang
    ss = st.session_state
    pins = ss["pins"]
    if not pins:
        st.info(t("no_pins", L))
    else:
        names = list(pins)
        ss.setdefault("compare_pick", names[-MAX_COMPARED:])
        ss["compare_pick"] = [n for n in ss["compare_pick"] if n in pins]
        chosen = st.multiselect(t("compare_pick", L), names, max_selections=MAX_COMPARED, key="compare_pick",
                                placeholder=t("pick_placeholder", L))
        if chosen:
            results = {n: engine.solve(pins[n]["scenario"], pins[n]["objective"]) for n in chosen}
            comp = compare(results, L)
            ckey = (L,) + tuple((n, engine.scenario_key(pins[n]["scenario"]), pins[n]["objective"])
                                for n in chosen)
            s = comp.summary
            view = pd.DataFrame({
                t("col_scenario", L): s["scenario"], t("col_objective", L): s["objective_label"],
                t("col_status", L): s["status_label"], t("col_performance", L): s["performance"],
                t("col_perf_diff", L): s["performance_diff"],
                t("col_budget", L): s["budget_allocated_wan"].map(lambda v: fmt_money(v, L, short=True)),
                t("col_external", L): s["external_wan"].map(lambda v: fmt_money(v, L, short=True)),
                t("col_leverage", L): s["leverage"],
                t("col_targets", L): [f"{m:.0f}/{n}" if pd.notna(m) else "—"
                                      for m, n in zip(s["targets_met"], s["targets_total"])]})
            st.markdown(f"**{t('compare_summary', L)}**")
            # a static table: its headers wrap, so every column stays in view at 1280 px (English headers are long)
            st.table(view.style.format({t("col_performance", L): "{:.2f}", t("col_perf_diff", L): "{:+.2f}",
                                        t("col_leverage", L): "{:.2f}×"}, na_rep="—"), hide_index=True)
            ind = comp.indicators.pivot_table(index="indicator_label", columns="scenario", values="plan_total",
                                              sort=False)[chosen]
            ind = ind.reset_index().rename(columns={"indicator_label": t("indicator", L)})
            st.markdown(f"**{t('compare_indicators', L)}**")
            st.dataframe(ind.style.format({n: "{:,.1f}" for n in chosen}, na_rep="—"), width="stretch",
                         hide_index=True, column_config={t("indicator", L): st.column_config.TextColumn(width="large")})
            left, right = st.columns(2)
            with left:
                chart_block(L, "cmp_allocation", ckey, lambda: charts.comparison_allocation_chart(comp),
                            charts.comparison_allocation_data(comp), "comparison_allocation")
            with right:
                chart_block(L, "cmp_indicators", ckey, lambda: charts.comparison_indicator_chart(comp),
                            charts.comparison_indicator_data(comp), "comparison_indicators")
            d = st.container(horizontal=True, gap="small")  # buttons as wide as their text: never cut
            d.download_button(t("download_xlsx", L), lambda: workbook_bytes(comp), file_name="comparison.xlsx",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key="dl_xlsx", on_click="ignore", icon=":material/download:")
            d.download_button(t("download_summary_csv", L), comp.csv("summary").encode("utf-8-sig"),
                              file_name="comparison_summary.csv", mime="text/csv", key="dl_sum_csv",
                              on_click="ignore", icon=":material/download:")
            d.download_button(t("download_alloc_csv", L), comp.csv("allocation").encode("utf-8-sig"),
                              file_name="comparison_allocation.csv", mime="text/csv", key="dl_alloc_csv",
                              on_click="ignore", icon=":material/download:")
        st.divider()
        st.markdown(f"**{t('pins', L)}**")
        for i, (name, pin) in enumerate(list(pins.items())):
            st.markdown(f"**{name}** — {pin['scenario'].title(L)} · {objective_label(pin['objective'], L)}")
            with st.container(horizontal=True, gap="small"):  # buttons as wide as their text: never cut
                st.download_button(t("download_yaml", L, name=name),
                                   scenario_diff_yaml(pin["scenario"], pin["base"], new_id=slug(name), title=name,
                                                      objective=pin["objective"]),
                                   file_name=f"{slug(name)}.yaml", mime="application/x-yaml", key=f"dl_yaml_{i}",
                                   help=t("yaml_help", L), on_click="ignore", icon=":material/download:")
                st.button(t("remove", L), key=f"rm_pin_{i}", help=t("remove_pin", L, name=name), on_click=remove_pin,
                          args=(name,))
