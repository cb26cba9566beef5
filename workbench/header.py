"""The top of the page: KPI tiles, the impossible-plan diagnosis and the pin bar."""

from __future__ import annotations

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import BudgetsimError
from budgetsim.model.rules import rule_label
from budgetsim.present import views
from budgetsim.present.compare import MAX_COMPARED, scenario_diff_yaml
from budgetsim.scenario.provenance import inputs_sentence
from budgetsim.present.labels import fmt_money, fmt_ratio, objective_label, precise, status_label, t

from . import engine
from .page import Page, wide
from .state import apply_relaxations, save_current


def _per_year_leverage(r: bs.Result, L: str) -> str:
    """The leverage tile's help: the floor holds year by year, so show each year beside the total."""
    lev = r.leverage
    years = "；".join(f"{int(y)}：{fmt_ratio(v, L)}" for y, v in zip(lev["year"], lev["leverage"])) if L == "zh" \
        else "; ".join(f"{int(y)}: {fmt_ratio(v, L)}" for y, v in zip(lev["year"], lev["leverage"]))
    return f"{t('lev_title', L)}：{years}。\n\n{precise('leverage', L)}" if L == "zh" else \
        f"{t('lev_title', L)}: {years}.\n\n{precise('leverage', L)}"


def kpi_tiles(r: bs.Result, L: str) -> None:
    sm, v = r.summary(), views.kpi_values(r, L)
    if r.ok:
        c = st.columns(5)
        c[0].metric(t("kpi_performance", L), v[t("kpi_performance", L)],
                    f"{sm['performance_diff']:+.2f} {t('kpi_vs_sq', L)}", help=precise("performance_index", L))
        c[1].metric(t("kpi_external", L), v[t("kpi_external", L)])
        c[2].metric(t("kpi_leverage", L), v[t("kpi_leverage", L)],
                    f"{sm['leverage'] - sm['status_quo_leverage']:+.2f}× {t('kpi_vs_sq', L)}",
                    help=_per_year_leverage(r, L))
        c[3].metric(t("kpi_targets", L), v[t("kpi_targets", L)])
        saved = sm["budget_allocated_wan"] - sm["budget_envelope_wan"]
        c[4].metric(t("kpi_budget", L), v[t("kpi_budget", L)],
                    (f"{'-' if saved < 0 else '+'}{fmt_money(abs(saved), L, short=True)} {t('kpi_vs_envelope', L)}"
                     if abs(saved) > 0.5 else None), delta_color="inverse",
                    help=f"{t('col_envelope_total', L)}: {fmt_money(sm['budget_envelope_wan'], L)}")
    else:
        hint = {"infeasible": t("infeasible_hint", L),
                "time_limit": t("time_limit_hint", L, s=f"{engine.APP_TIME_LIMIT:g}")}.get(r.status, "")
        st.warning(f"**{t('infeasible', L) if r.status == 'infeasible' else status_label(r.status, L)}** " + hint)
        st.markdown(f"**{t('status_quo_tiles', L)}**")
        c = st.columns(4)
        for col, (name, text) in zip(c, v.items()):
            col.metric(name, text)


def render_header(p: Page) -> None:
    """Title, caption and the scenario's name and description."""
    L, scenario, ss = p.lang, p.scenario, st.session_state
    st.title(t("app_title", L))
    st.caption(t("app_caption", L))
    st.markdown(f"**{scenario.title(L)}** — "
                f"{scenario.spec.description.en if L == 'en' else scenario.spec.description.zh}"
                + (f"  \n_{t('changed_n', L, n=len(p.changes))}_" if p.changes else "")
                + (f"  \n_{t('relaxed_note', L)}_" if ss["base_source"].startswith("relaxed:") else ""))


def render_tiles(p: Page) -> None:
    """The KPI tiles and the solve-time line under them."""
    kpi_tiles(p.result, p.lang)
    secs = p.result.build_seconds + p.result.solve_seconds
    st.caption(t("solve_time", p.lang, ms=f"{secs * 1000:.0f}", src=objective_label(p.objective, p.lang))
               + " · " + inputs_sentence(p.scenario, p.lang))


def render_tile_notes(p: Page) -> None:
    """Under the tiles: the leverage floor's note, and the diagnosis when the plan is impossible.
    Both may take an analysis (seconds for a diagnosis): the page draws them after the sidebar."""
    render_leverage_note(p)
    if p.result.status == "infeasible":
        render_diagnosis(p)


def render_leverage_note(p: Page) -> None:
    """Where the leverage floor does something: below which value it is idle, above which impossible
    (the floor holds year by year; the tile shows the plan total)."""
    if getattr(p.scenario.spec.rules, "leverage_floor", None) is None:
        return
    try:
        lr = engine.leverage_reach(p.scenario, p.objective, p.result)
    except BudgetsimError:
        return
    st.caption(views.leverage_sentence(lr, p.lang), help=precise("leverage", p.lang))


def render_diagnosis(p: Page) -> None:
    """An impossible scenario: which rules must give and by how much, the YAML, and a button to apply it."""
    L, scenario, ss = p.lang, p.scenario, st.session_state
    try:
        with st.spinner(t("diag_running", L)):
            ex = engine.explain(scenario, p.objective, p.result)
    except BudgetsimError as err:
        st.error(t("explain_failed", L, err=str(err)))
        return
    st.subheader(t("diag_title", L))
    st.caption(t("diag_hard", L, hard="、".join(rule_label(scenario, h, L) for h in ex.hard) or "—"))
    if not len(ex.conflicts):
        st.error(t("diag_none", L))
        return
    tbl = views.conflicts_table(ex, L)
    st.dataframe(tbl.drop(columns=[t("col_in_words", L)]), width="stretch", hide_index=True,
                 column_config=wide(t("col_rule", L), t("col_item", L)))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(t("diag_yaml", L))
        st.code(ex.yaml_diff(), language="yaml")
    with right:
        if ex.relaxed_status == "optimal":
            st.success(t("diag_checked", L, perf=f"{ex.relaxed_performance:.2f}"))
        else:
            st.warning(t("diag_unchecked", L, status=status_label(ex.relaxed_status or "error", L)))
        st.button(t("diag_apply", L), key="apply_relaxations", type="primary", on_click=apply_relaxations,
                  args=(ex,), help=t("diag_apply_help", L), disabled=ex.relaxed_status != "optimal")
        relaxed_yaml = (scenario_diff_yaml(ex.relaxed_scenario(), ss["base_ref"], new_id=f"{scenario.id}_relaxed",
                                           objective=p.objective)
                        if ss["base_ref"] is not None else ex.yaml_diff())
        st.download_button(t("diag_download", L), relaxed_yaml, file_name=f"{scenario.id}_relaxed.yaml",
                           mime="application/x-yaml", key="dl_relaxed_yaml", help=t("yaml_help", L),
                           on_click="ignore", icon=":material/download:")


def _default_name(lang: str) -> str:
    """'方案 N' with the first N no saved pin or draft of this library uses."""
    ss = st.session_state
    taken = set(ss["pins"]) | set(ss.get("draft_names", ()))
    n = len(ss["pins"]) + 1
    while t("pin_default", lang, n=n) in taken:
        n += 1
    return t("pin_default", lang, n=n)


def _save(kind: str) -> None:
    """Pin the current settings (they join the comparison) or save them as a draft, in the library."""
    ss = st.session_state
    lang, gen = ss["lang"], ss.setdefault("pin_gen", 0)
    name = " ".join((ss.get(f"pin_name_{gen}_{lang}") or "").split()) or _default_name(lang)
    existed = name in (ss["pins"] if kind == "pin" else ss.get("draft_names", ()))
    err = save_current(kind, name, notes=ss.get(f"pin_notes_{gen}") or "", author=ss.get("pin_author") or "")
    if kind == "pin":
        picked = [n for n in ss.get("compare_pick", list(ss["pins"])[:-1]) if n in ss["pins"] and n != name]
        ss["compare_pick"] = (picked + [name])[-MAX_COMPARED:]  # a new pin joins the comparison at once
    done = t("pinned" if kind == "pin" else "draft_saved", lang, name=name) + (
        " " + t("pin_exists", lang) if existed else "")
    ss["pin_notice"] = ("warning", f"{done} {err}") if err else ("success", done)
    ss["pin_gen"] = gen + 1  # fresh name and notes boxes for the next one


def render_pin_bar(L: str) -> None:
    ss = st.session_state
    gen = ss.setdefault("pin_gen", 0)
    try:
        ss["draft_names"] = [e.name for e in engine.library().entries("draft")]
    except BudgetsimError:
        ss["draft_names"] = []
    pc = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    pc[0].text_input(t("pin_name", L), value=_default_name(L), key=f"pin_name_{gen}_{L}",
                     label_visibility="collapsed", placeholder=t("pin_name", L))
    pc[1].button(t("pin", L), key="pin", on_click=_save, args=("pin",), width="stretch", icon=":material/push_pin:")
    pc[2].button(t("save_draft", L), key="save_draft", on_click=_save, args=("draft",), width="stretch",
                 icon=":material/bookmark:")
    with pc[3].popover(t("pin_details", L), width="stretch", icon=":material/edit_note:"):
        st.text_input(t("pin_author", L), key="pin_author")
        st.text_area(t("pin_notes", L), key=f"pin_notes_{gen}", height=100)
    if ss.get("pin_notice"):
        level, text = ss.pop("pin_notice")
        getattr(st, level)(text)
    if ss.get("library_error"):
        st.warning(t("lib_unavailable", L, err=ss["library_error"]))
