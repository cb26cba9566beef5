"""The sidebar: language, start scenario (bundled, uploaded or pasted), the question and the levers."""

from __future__ import annotations

import streamlit as st

import budgetsim as bs
from budgetsim.model.builder import OBJECTIVES
from budgetsim.present.labels import objective_label, t
from budgetsim.present.levers import lever_changes, levers_for

from .engine import bundled
from .page import lang_choice
from .state import load_text, on_bundled_change, on_paste, on_reset, source_label

LEVER_GROUPS = (("budget", True), ("categories", False), ("support", True), ("targets", False),
                ("weights", False), ("rules", False))


def render_sidebar() -> tuple[bs.Scenario, str, dict]:
    """Draw the sidebar; return the start scenario, the question and the levers' changes to it."""
    ss = st.session_state
    with st.sidebar:
        st.radio(t("language", ss["lang"]), ["zh", "en"], key="lang", horizontal=True,
                 format_func=lambda v: {"zh": "中文", "en": "English"}[v])
        L = ss["lang"]

        st.subheader(t("start_from", L))
        ids = list(bundled())
        # one key per language: the option labels are part of the widget, so a switch must make a new one
        current = ss["base_source"].split(":", 1)[1] if ss["base_source"].startswith("bundled:") else ss["bundled_id"]
        st.selectbox(t("bundled", L), ids, key=f"bundled_choice_{L}", on_change=on_bundled_change, args=(L,),
                     index=ids.index(current) if current in ids else 0,
                     format_func=lambda sid: bundled()[sid].title(L))
        up = st.file_uploader(t("upload", L), type=["yaml", "yml"], help=t("upload_help", L),
                              key=f"uploader_{ss['lever_gen']}")
        if up is not None and up.file_id != ss["last_upload_id"]:
            ss["last_upload_id"] = up.file_id
            if load_text(up.getvalue(), up.name):
                st.rerun()
        with st.expander(t("paste", L)):
            st.text_area(t("paste", L), key="paste_text", height=140, label_visibility="collapsed",
                         placeholder="extends: baseline\nbudget:\n  base_amount_wan: 66000")
            st.button(t("paste_load", L), key="paste_load", on_click=on_paste)
        if ss["upload_errors"]:
            st.error(t("upload_bad", L) + "\n" + "\n".join(f"- {e}" for e in ss["upload_errors"]))
        elif ss["upload_notice"]:
            st.success(ss["upload_notice"])

        base: bs.Scenario = ss["base"]
        st.caption(f"{t('loaded_from', L)}{'：' if L == 'zh' else ': '}**{base.title(L)}**"
                   f"{'（' if L == 'zh' else ' ('}{source_label(ss['base_source'], L)}{'）' if L == 'zh' else ')'}")

        st.subheader(t("levers", L))
        objective = lang_choice(st.radio, t("question", L), list(OBJECTIVES), name="objective", lang=L,
                                format_func=lambda o: objective_label(o, L))
        gen = ss["lever_gen"]
        levers = levers_for(base)
        values: dict[str, object] = {}
        for group, expanded in LEVER_GROUPS:
            group_levers = [lv for lv in levers if lv.group == group]
            if group == "budget" and not group_levers:
                st.caption(t("per_year_budget_note", L))
            if not group_levers:
                continue
            with st.expander(t(f"grp_{group}", L), expanded=expanded):
                for lv in group_levers:
                    key = f"lv{gen}:{lv.path}"
                    if lv.kind == "toggle":
                        values[lv.path] = st.toggle(lv.label(L), value=lv.value, key=key)
                    elif lv.path == "budget.base_amount_wan" or lv.group == "targets":
                        values[lv.path] = st.number_input(lv.label(L), min_value=float(lv.lo),
                                                          max_value=float(lv.hi), value=float(lv.value),
                                                          step=float(lv.step), key=key)
                    else:
                        values[lv.path] = st.slider(lv.label(L), min_value=float(lv.lo), max_value=float(lv.hi),
                                                    value=float(lv.value), step=float(lv.step), key=key)
        changes = lever_changes(levers, values)
        st.button(t("reset", L), key="reset", on_click=on_reset, disabled=not changes)
    return base, objective, changes
