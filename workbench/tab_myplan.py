"""The 我的方案 / My plan tab: type a draft in, see its score, the rules it breaks and the optimum beside it;
lock cells as fixed figures and re-optimise the rest; improve within ±X % as moves; pin it to compare.

The draft lives in ``st.session_state`` (``mp_x``: channels × years in 万元, ``mp_locks``), and is kept while
the levers move as long as the scenario's channels and years stay the same.  Scoring is
:func:`budgetsim.check` on the cached optimum (pure evaluation: milliseconds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from budgetsim.exceptions import BudgetsimError, ScenarioError
from budgetsim.present.compare import MAX_COMPARED
from budgetsim.present.labels import fmt_money, label, t
from budgetsim.scenario.plans import plan_notes, plan_xlsx_bytes, read_plan

from . import engine
from .page import Page, wide
from .state import pin_plan

SHOWN_BREACHES = 3  # in words above the table; all of them in the table below


def _shape(p: Page) -> tuple:
    return (tuple(p.scenario.channels), tuple(p.scenario.years))


def _reset_outputs() -> None:
    ss = st.session_state
    for k in ("mp_improve_run", "mp_reopt_run", "mp_pin_notice"):
        ss.pop(k, None)


def set_draft(x: np.ndarray) -> None:
    """Replace the draft (a prefill, an upload, an adopted plan): the editor starts afresh from it."""
    ss = st.session_state
    ss["mp_x"] = np.array(x, dtype=float)
    ss["mp_gen"] = ss.get("mp_gen", 0) + 1
    _reset_outputs()


def _draft(p: Page) -> np.ndarray:
    ss = st.session_state
    if ss.get("mp_shape") != _shape(p):
        ss["mp_shape"] = _shape(p)
        ss["mp_locks"] = np.zeros((len(p.scenario.channels), len(p.scenario.years)), dtype=bool)
        set_draft(p.result.x if p.result.ok and not p.result.given else p.scenario.status_quo_allocation)
    if ss.get("mp_load") is not None:  # a saved plan loaded from the library (方案库)
        set_draft(ss.pop("mp_load"))
    return ss["mp_x"]


def _names(p: Page) -> tuple[list[str], list[str]]:
    s, L = p.scenario, p.lang
    return ([label(s, "categories", c, L) for c, _ in s.channels], [label(s, "modes", m, L) for _, m in s.channels])


def _on_upload(p_scenario, lang: str) -> None:
    ss = st.session_state
    up = ss.get(f"mp_upload_{ss.get('mp_upload_gen', 0)}")
    ss["mp_upload_errors"], ss["mp_upload_notice"] = [], ""
    if up is None:
        return
    try:
        plan = read_plan(p_scenario, up.getvalue(), up.name)
    except ScenarioError as err:
        ss["mp_upload_errors"] = [str(p) for p in err.problems] or [str(err)]
        return
    set_draft(plan.amounts)
    ss["mp_upload_notice"] = t("mp_upload_ok", lang, name=up.name)
    ss["mp_upload_gen"] = ss.get("mp_upload_gen", 0) + 1  # a fresh uploader: the same file can come again


def _editor(p: Page, x: np.ndarray) -> np.ndarray | None:
    """The editable table (years as columns); returns the edited draft, or None when a cell is blank."""
    L, s = p.lang, p.scenario
    cats, modes = _names(p)
    df = pd.DataFrame({t("category", L): cats, t("mode", L): modes})
    for k, y in enumerate(s.years):
        df[str(y)] = x[:, k]
    # pixel widths: every year stays in view at 1280 px next to the sidebar
    cfg = {t("category", L): st.column_config.TextColumn(disabled=True, width=120 if L == "zh" else 150),
           t("mode", L): st.column_config.TextColumn(disabled=True, width=190 if L == "zh" else 230)}
    cfg |= {str(y): st.column_config.NumberColumn(f"{y}（万元）" if L == "zh" else f"{y} (万元)", min_value=0.0,
                                                  format="localized", step=1.0, required=True, width=92)
            for y in s.years}
    edited = st.data_editor(df, key=f"mp_editor_{st.session_state['mp_gen']}", hide_index=True, width="stretch",
                            column_config=cfg, num_rows="fixed", height=35 * (len(df) + 1) + 3)
    st.caption(" ".join(plan_notes(s, L)[1:]))  # tax incentives are forgone revenue; funds are commitments
    vals = edited[[str(y) for y in s.years]].to_numpy(dtype=float)
    if np.isnan(vals).any():
        st.error(t("mp_blank", L))
        return None
    return np.maximum(vals, 0.0)


def _tiles(p: Page, c) -> None:
    L = p.lang
    sm = c.headline()
    k = st.columns([1.1, 1.1, 0.9, 0.8, 1.3])  # room for "32.14 亿元" at 1280 px
    opt = c.optimum_performance
    k[0].metric(t("mp_kpi_draft", L), f"{c.performance:.2f}",
                f"{c.performance - opt:+.2f} {t('mp_vs_opt', L)}" if opt is not None else None)
    k[1].metric(t("mp_kpi_opt", L), f"{opt:.2f}" if opt is not None else "—")
    k[2].metric(t("mp_kpi_breaches", L), f"{len(c.breaches)}")
    k[3].metric(t("kpi_leverage", L), f"{sm['leverage']:.2f}×" if sm["leverage"] is not None else "—")
    gap = sm["budget_allocated_wan"] - sm["budget_envelope_wan"]
    k[4].metric(t("mp_kpi_budget", L), fmt_money(sm["budget_allocated_wan"], L, short=True),
                f"{'-' if gap < 0 else '+'}{fmt_money(abs(gap), L, short=True)}" if abs(gap) > 0.5 else None,
                delta_color="off")


def _breaches(p: Page, c) -> None:
    L = p.lang
    st.markdown(f"**{t('mp_breaches', L)}**")
    if c.keeps_rules:
        st.success(t("mp_keeps_rules", L))
        return
    b = c.breaches
    lines = "\n".join(f"- {v}" for v in b[f"sentence_{L}"].head(SHOWN_BREACHES))
    more = t("mp_more_breaches", L, n=len(b) - SHOWN_BREACHES) if len(b) > SHOWN_BREACHES else ""
    st.error(lines + (f"\n\n{more}" if more else ""))
    tbl = pd.DataFrame({t("col_rule", L): b[f"label_{L}"], t("col_item", L): b[f"item_{L}"],
                        t("year", L): b["year"].astype("Int64").astype(str).replace("<NA>", "—"),
                        "limit": b[f"limit_text_{L}"], "value": b[f"value_text_{L}"], "excess": b[f"excess_{L}"]})
    zh = L == "zh"
    tbl = tbl.rename(columns={"limit": "限值" if zh else "Limit", "value": "本方案" if zh else "This plan",
                              "excess": "超出" if zh else "Excess"})
    with st.expander(f"{t('mp_breaches', L)}（{len(b)}）" if L == "zh" else f"{t('mp_breaches', L)} ({len(b)})"):
        st.dataframe(tbl, width="stretch", hide_index=True, column_config=wide(t("col_rule", L), t("col_item", L)))


def _locked_scenario(p: Page, x: np.ndarray, locks: np.ndarray):
    s = p.scenario
    if not locks.any():
        return s
    figures = [{"category": c, "mode": m, "year": y, "amount_wan": float(x[j, k]), "note": "locked in My plan"}
               for j, (c, m) in enumerate(s.channels) for k, y in enumerate(s.years) if locks[j, k]]
    own = s.rule("fixed_figures")
    if own is not None:  # the scenario's own fixed figures stay, except where a lock decides the cell
        locked = {(f["category"], f["mode"], f["year"]) for f in figures}
        for f in own.figures:
            for y in ([f.year] if f.year is not None else s.years):
                if (f.category, f.mode, y) not in locked:
                    figures.append({**f.model_dump(exclude_none=True), "year": y})
    raw = dict(s.raw.get("rules", {}).get("fixed_figures") or {})
    raw.update({"enabled": True, "figures": figures})
    return s.with_changes({"rules.fixed_figures": raw})


def _locks(p: Page, x: np.ndarray) -> np.ndarray:
    L, s, ss = p.lang, p.scenario, st.session_state
    cats, modes = _names(p)
    locks = ss["mp_locks"]
    with st.expander(t("mp_locks", L)):
        df = pd.DataFrame({t("category", L): cats, t("mode", L): modes, t("mp_lock_row", L): locks.all(axis=1)})
        for k, y in enumerate(s.years):
            df[str(y)] = locks[:, k]
        cfg = {t("category", L): st.column_config.TextColumn(disabled=True),
               t("mode", L): st.column_config.TextColumn(disabled=True)}
        edited = st.data_editor(df, key=f"mp_locks_{ss['mp_gen']}", hide_index=True, width="stretch",
                                column_config=cfg, num_rows="fixed")
        new = np.array(edited[[str(y) for y in s.years]].to_numpy(dtype=bool))
        new |= edited[t("mp_lock_row", L)].to_numpy(dtype=bool)[:, None]
        was_row = locks.all(axis=1)
        unrow = was_row & ~edited[t("mp_lock_row", L)].to_numpy(dtype=bool)
        new[unrow] = False  # un-ticking a whole row frees it
        ss["mp_locks"] = locks = new
        st.caption(t("mp_locked_n", L, n=int(locks.sum())))
        if st.button(t("mp_reopt", L), key="mp_reopt", disabled=not locks.any()):
            ss["mp_reopt_run"] = True
        if ss.get("mp_reopt_run") and locks.any():
            try:
                s2 = _locked_scenario(p, x, locks)
                r = engine.solve(s2, "max-performance")
            except BudgetsimError as err:
                st.error(str(err))
                return locks
            if r.ok:
                draft_perf = engine.check(s, x, p_optimum(p)).performance
                st.success(t("mp_reopt_result", L, n=int(locks.sum()), perf=f"{r.performance:.2f}",
                             diff=f"{r.performance - draft_perf:+.2f}"))
                st.button(t("mp_adopt", L), key="mp_adopt_reopt", on_click=set_draft, args=(r.x,))
            else:
                st.warning(t("mp_reopt_none", L) + " " + r.message)
    return locks


def p_optimum(p: Page):
    """The optimum the draft is checked against: the page's plan for max-performance, else that question's."""
    return p.result if p.objective == "max-performance" else engine.solve(p.scenario, "max-performance")


def _improve(p: Page, x: np.ndarray, locks: np.ndarray) -> None:
    L, ss = p.lang, st.session_state
    st.markdown(f"**{t('mp_improve', L)}**")
    c = st.columns([1, 1, 3])
    pct = c[0].number_input(t("mp_improve_pct", L), min_value=1.0, max_value=100.0, value=10.0, step=1.0,
                            key="mp_improve_pct", format="%.0f")
    c[1].markdown("&nbsp;")
    if c[1].button(t("mp_improve_go", L), key="mp_improve_go"):
        ss["mp_improve_run"] = True
    if not ss.get("mp_improve_run"):
        return
    try:
        with st.spinner("…"):
            imp = engine.improve(_locked_scenario(p, x, locks), x, pct / 100.0)
    except BudgetsimError as err:
        st.error(str(err))
        return
    msg = imp.message_zh if L == "zh" else imp.message_en
    (st.success if imp.status == "improved" else st.info if imp.status == "no_gain" else st.warning)(msg)
    if len(imp.moves):
        st.markdown(t("mp_moves", L))
        mv = imp.moves.head(10)
        words = mv[f"sentence_{L}"].str.replace(r"[:：][^:：]*$", "", regex=True)  # the gain has its own column
        table = pd.DataFrame({t("col_move", L): words, t("col_gain_points", L): mv["gain"]})
        st.dataframe(table.style.format({t("col_gain_points", L): "{:+.2f}"}), width="stretch", hide_index=True,
                     column_config=wide(t("col_move", L)))
        st.button(t("mp_adopt", L), key="mp_adopt_improve", on_click=set_draft, args=(imp.result.x,))


def _pin(p: Page, x: np.ndarray) -> None:
    """Pin the draft into the comparison; the scenario library keeps it (the scenario and the allocation)."""
    ss = st.session_state
    L = ss["lang"]
    n = sum(1 for v in ss["pins"].values() if "plan" in v) + 1
    name = t("mp_pin_name", L, n=n)
    while name in ss["pins"]:
        n += 1
        name = t("mp_pin_name", L, n=n)
    err = pin_plan(name, p.scenario, x)  # saved in the library with its allocation (or kept in this page)
    picked = [k for k in ss.get("compare_pick", []) if k in ss["pins"] and k != name]
    ss["compare_pick"] = (picked + [name])[-MAX_COMPARED:]
    ss["mp_pin_notice"] = t("mp_pinned", L, name=name) + (f" {err}" if err else "")


def render_myplan(p: Page) -> None:
    """The draft: editor, tiles beside the optimum, broken rules, locks, improvements, pin.

    A fragment: editing a cell reruns this tab only (the header, sidebar and other tabs stay as they
    are), so the draft's tiles follow an edit at once."""
    _myplan(p)


@st.fragment
def _myplan(p: Page) -> None:
    L, s, ss = p.lang, p.scenario, st.session_state
    x = _draft(p)
    st.caption(t("mp_intro", L))
    c = st.columns([1, 1, 1.4, 2.6])
    c[0].button(t("mp_from_sq", L), key="mp_from_sq", on_click=set_draft, args=(s.status_quo_allocation,),
                width="stretch")
    opt = p_optimum(p)
    c[1].button(t("mp_from_opt", L), key="mp_from_opt", on_click=set_draft, args=(opt.x,), disabled=not opt.ok,
                help=None if opt.ok else t("mp_no_opt", L), width="stretch")
    c[2].download_button(t("mp_download", L), lambda: plan_xlsx_bytes(s, ss["mp_x"], L), file_name=f"{s.id}_plan.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="mp_download",
                         on_click="ignore", width="stretch", icon=":material/download:", help=t("mp_download_help", L))
    c[3].file_uploader(t("mp_upload", L), type=["xlsx", "csv"], help=t("mp_upload_help", L),
                       key=f"mp_upload_{ss.get('mp_upload_gen', 0)}", on_change=_on_upload, args=(s, L),
                       label_visibility="collapsed")
    if ss.get("mp_upload_errors"):
        st.error(t("mp_upload_bad", L) + "\n" + "\n".join(f"- {e}" for e in ss["mp_upload_errors"]))
    elif ss.get("mp_upload_notice"):
        st.success(ss["mp_upload_notice"])

    top = st.container()  # tiles and broken rules above the table, filled once the edits are in
    edited = _editor(p, x)
    if edited is not None and not np.array_equal(edited, x):
        ss["mp_x"] = x = edited
        _reset_outputs()
    chk = engine.check(s, x, opt)
    with top:
        _tiles(p, chk)
        st.caption(t("mp_check_ms", L, ms=f"{chk.seconds * 1000:.0f}"))
        _breaches(p, chk)
    locks = _locks(p, x)
    _improve(p, x, locks)
    st.divider()
    pc = st.columns([2, 3])
    pc[0].button(t("mp_pin", L), key="mp_pin", on_click=_pin, args=(p, x), width="stretch")
    if ss.get("mp_pin_notice"):  # stays until the draft changes
        pc[1].success(ss["mp_pin_notice"])
