"""The comparison tab: pinned scenarios side by side against ONE reference (the baseline's status quo
or a pin), what differs between them, the meeting workbook and brief, and removing pins."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from budgetsim.present import charts
from budgetsim.present.brief import brief_bytes
from budgetsim.present.compare import MAX_COMPARED, STATUS_QUO, compare, differences, scenario_diff_yaml, slug
from budgetsim.present.labels import objective_label, precise, t
from budgetsim.present.workbook import workbook_bytes

from budgetsim.scenario.plans import plan_xlsx_bytes

from . import engine
from .page import Page, chart_block
from .state import remove_pin


def _reference_choice(L: str, chosen: list[str]) -> str:
    """The one reference every difference is measured against: the baseline's status quo or a pin."""
    ss = st.session_state
    options = [STATUS_QUO] + chosen
    if ss.get("compare_ref") not in options:
        ss["compare_ref"] = STATUS_QUO
    return st.selectbox(t("ref_pick", L), options, key="compare_ref", help=precise("reference", L),
                        format_func=lambda o: t("ref_status_quo", L) if o == STATUS_QUO else o)


def _summary_view(comp, L: str) -> pd.DataFrame:
    """Headline figures per plan, the reference first; money as whole 万元 under a 万元 header."""
    s = comp.summary
    ref = comp.reference
    ref_row = {t("col_scenario", L): f"{'参照：' if L == 'zh' else 'Reference: '}{ref.name}",
               t("col_status", L): "", t("col_performance", L): ref.performance, t("col_vs_ref", L): 0.0,
               t("col_budget_wan", L): ref.budget_wan, t("col_external_wan", L): ref.external_wan,
               t("col_leverage", L): ref.leverage, t("col_targets", L): ""}
    rows = pd.DataFrame({
        t("col_scenario", L): s["scenario"], t("col_status", L): s["status_label"],
        t("col_performance", L): s["performance"], t("col_vs_ref", L): s["performance_diff"],
        t("col_budget_wan", L): s["budget_allocated_wan"], t("col_external_wan", L): s["external_wan"],
        t("col_leverage", L): s["leverage"],
        t("col_targets", L): [f"{m:.0f}/{n}" if pd.notna(m) else "—" for m, n in zip(s["targets_met"], s["targets_total"])]})
    if ref.key == STATUS_QUO:
        rows = pd.concat([pd.DataFrame([ref_row]), rows], ignore_index=True)
    return rows


def _pin_result(pin: dict):
    """A pin's result: a pinned draft is scored as given (no solve), a scenario is solved for its question."""
    if "plan" in pin:
        return engine.plan_result(pin["scenario"], pin["plan"])
    return engine.solve(pin["scenario"], pin["objective"])


def render_compare(p: Page) -> None:
    """Pinned scenarios side by side against one reference, what differs between them, downloads."""
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
            results = {n: _pin_result(pins[n]) for n in chosen}
            ref = _reference_choice(L, [n for n in chosen if results[n].ok])
            comp = compare(results, L, reference=ref, reference_result=engine.baseline_result())
            ckey = (L, ref) + tuple((n, engine.scenario_key(pins[n]["scenario"]), pins[n]["objective"],
                                     hash(pins[n]["plan"].tobytes()) if "plan" in pins[n] else None)
                                    for n in chosen)
            st.markdown(f"**{t('compare_summary', L)}**", help=precise("reference", L))
            view = _summary_view(comp, L)
            money = [t("col_budget_wan", L), t("col_external_wan", L)]
            # a static table: its headers wrap, so every column stays in view at 1280 px (English headers are long)
            st.table(view.style.format({t("col_performance", L): "{:.2f}", t("col_vs_ref", L): "{:+.2f}",
                                        t("col_leverage", L): "{:.2f}×"} | {c: "{:,.0f}" for c in money},
                                       na_rep="—"), hide_index=True)
            st.markdown(f"**{t('differs_title', L)}**")
            diff = differences(comp)
            if len(diff):
                st.dataframe(diff, width="stretch", hide_index=True,
                             column_config={t("col_param", L): st.column_config.TextColumn(width="large")})
            else:
                st.caption(t("differs_none", L))
            # every chosen plan keeps its column and every indicator its row, in file order: an impossible
            # plan has no figures (—), never a KeyError
            rows = pd.MultiIndex.from_tuples(list(dict.fromkeys(zip(comp.indicators["indicator_label"],
                                                                    comp.indicators["unit"]))),
                                             names=["indicator_label", "unit"])
            ind = comp.indicators.pivot(index=["indicator_label", "unit"], columns="scenario",
                                        values="plan_total").reindex(index=rows, columns=chosen)
            refcol = f"{'参照：' if L == 'zh' else 'Reference: '}{comp.reference.name}"
            first = comp.indicators[comp.indicators["scenario"] == chosen[0]].set_index("indicator_label")
            ind.insert(0, refcol, first["reference_total"].reindex(ind.index.get_level_values(0)).to_numpy())
            ind = ind.reset_index().rename(columns={"indicator_label": t("indicator", L), "unit": t("unit", L)})
            st.markdown(f"**{t('compare_indicators', L)}**")
            st.dataframe(ind.style.format({n: "{:,.0f}" for n in [refcol, *chosen]}, na_rep="—"), width="stretch",
                         hide_index=True, column_config={t("indicator", L): st.column_config.TextColumn(width="large")})
            left, right = st.columns(2)
            with left:
                chart_block(L, "cmp_allocation", ckey, lambda: charts.comparison_allocation_chart(comp),
                            charts.comparison_allocation_data(comp), "comparison_allocation")
            with right:
                chart_block(L, "cmp_indicators", ckey, lambda: charts.comparison_indicator_chart(comp),
                            charts.comparison_indicator_data(comp), "comparison_indicators")
            _downloads(comp, results, chosen, pins, L)
        st.divider()
        st.markdown(f"**{t('pins', L)}**")
        for i, (name, pin) in enumerate(list(pins.items())):
            st.markdown(f"**{name}** — {pin['scenario'].title(L)} · {objective_label(pin['objective'], L)}")
            with st.container(horizontal=True, gap="small"):  # buttons as wide as their text: never cut
                if "plan" in pin:  # a pinned draft (我的方案): its plan file, not a scenario diff
                    st.download_button(t("download_plan", L, name=name),
                                       plan_xlsx_bytes(pin["scenario"], pin["plan"], L),
                                       file_name=f"{slug(name)}.xlsx", key=f"dl_plan_{i}", on_click="ignore",
                                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                       icon=":material/download:")
                else:
                    st.download_button(t("download_yaml", L, name=name),
                                       scenario_diff_yaml(pin["scenario"], pin["base"], new_id=slug(name), title=name,
                                                          objective=pin["objective"]),
                                       file_name=f"{slug(name)}.yaml", mime="application/x-yaml", key=f"dl_yaml_{i}",
                                       help=t("yaml_help", L), on_click="ignore", icon=":material/download:")
                st.button(t("remove", L), key=f"rm_pin_{i}", help=t("remove_pin", L, name=name), on_click=remove_pin,
                          args=(name,))


def _downloads(comp, results, chosen, pins, L: str) -> None:
    """The meeting workbook, the leadership brief and the tables as CSV.  The workbook and the brief
    are made only when asked for (they explain every plan; the brief also simulates the recommended one)."""
    ok = [n for n in chosen if results[n].ok and not results[n].given]  # drafts have nothing to explain

    def explained() -> dict:
        return {n: engine.explain(pins[n]["scenario"], pins[n]["objective"], results[n]) for n in ok}

    def workbook() -> bytes:
        comp.explanations.update(explained())
        return workbook_bytes(comp)

    d = st.container(horizontal=True, gap="small")  # buttons as wide as their text: never cut
    d.download_button(t("download_xlsx", L), workbook, file_name="comparison.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      key="dl_xlsx", on_click="ignore", icon=":material/download:")
    if ok:
        rec = d.selectbox(t("brief_pick", L), ok, key="brief_pick", label_visibility="collapsed",
                          help=t("brief_pick", L), width=180)

        def brief() -> bytes:
            comp.explanations.update(explained())
            sim = engine.simulate(pins[rec]["scenario"], pins[rec]["objective"], 2_000, 1, results[rec])
            return brief_bytes(comp, rec, sim)

        d.download_button(t("download_brief", L), brief, file_name=f"brief_{slug(rec)}.docx",
                          mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                          key="dl_brief", on_click="ignore", icon=":material/download:")
    d.download_button(t("download_summary_csv", L), comp.csv("summary").encode("utf-8-sig"),
                      file_name="comparison_summary.csv", mime="text/csv", key="dl_sum_csv",
                      on_click="ignore", icon=":material/download:")
    d.download_button(t("download_alloc_csv", L), comp.csv("allocation").encode("utf-8-sig"),
                      file_name="comparison_allocation.csv", mime="text/csv", key="dl_alloc_csv",
                      on_click="ignore", icon=":material/download:")
