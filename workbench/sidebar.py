"""The sidebar: language, start scenario (bundled, uploaded or pasted), the question and the levers.

The page solves and draws its tiles before the sidebar (:func:`current_choice` reads the question
and the levers from the session state, where the browser has put every widget's value before the
rerun starts); :func:`render_sidebar` then draws the widgets and returns what they hold.
"""

from __future__ import annotations

import streamlit as st

import budgetsim as bs
from budgetsim.model.builder import OBJECTIVES
from budgetsim.present.labels import objective_label, t
from budgetsim.present.levers import Lever, lever_changes, levers_for

from .engine import bundled
from .page import lang_choice
from .state import load_text, on_bundled_change, on_paste, on_reset, source_label

LEVER_GROUPS = (("budget", True), ("categories", False), ("support", True), ("targets", False),
                ("weights", False), ("rules", False))


def lever_key(gen: int, lv: Lever) -> str:
    """A lever widget's key: new with each start scenario (``lever_gen``), so the levers start from its values."""
    return f"lv{gen}:{lv.path}"


def lever_values(levers: list[Lever]) -> dict[str, object]:
    """Each moved lever's value: as its widget holds it, else as kept from the last run that drew it.

    A closed group's widgets are not drawn (forty of the baseline's forty-five levers sit in closed
    groups), and Streamlit forgets the state of a widget a run does not draw; so every run keeps
    the values of the widgets it finds (``lever_kept``, for the current ``lever_gen`` only), and a
    group opened again starts its widgets from them."""
    ss = st.session_state
    gen = ss["lever_gen"]
    kept_gen, kept = ss.get("lever_kept", (gen, {}))
    kept = dict(kept) if kept_gen == gen else {}
    kept.update({lv.path: ss[key] for lv in levers if (key := lever_key(gen, lv)) in ss})
    ss["lever_kept"] = (gen, kept)
    return kept


def current_choice() -> tuple[bs.Scenario, str, dict]:
    """The start scenario, the question and the levers' changes as the session holds them, without
    drawing a widget: what :func:`render_sidebar` will return once it has drawn them."""
    ss = st.session_state
    base: bs.Scenario = ss["base"]
    objective = ss["objective"] if ss.get("objective") in OBJECTIVES else next(iter(OBJECTIVES))
    levers = levers_for(base)
    return base, objective, lever_changes(levers, lever_values(levers))


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
        values = lever_values(levers)  # the closed groups' levers keep their values here
        for group, expanded in LEVER_GROUPS:
            group_levers = [lv for lv in levers if lv.group == group]
            if group == "budget" and not group_levers:
                st.caption(t("per_year_budget_note", L))
            if not group_levers:
                continue
            # a closed group draws nothing (the browser would build its widgets for nobody to see);
            # opening it reruns the page, which then draws them
            box = st.expander(t(f"grp_{group}", L), expanded=expanded, key=f"grp_{group}", on_change="rerun")
            if box.open is False:
                continue
            with box:
                for lv in group_levers:
                    key, value = lever_key(gen, lv), values.get(lv.path, lv.value)
                    if lv.kind == "toggle":
                        values[lv.path] = st.toggle(lv.label(L), value=bool(value), key=key)
                    elif lv.path == "budget.base_amount_wan" or lv.group == "targets":
                        values[lv.path] = st.number_input(lv.label(L), min_value=float(lv.lo),
                                                          max_value=float(lv.hi), value=float(value),
                                                          step=float(lv.step), key=key)
                    else:
                        values[lv.path] = st.slider(lv.label(L), min_value=float(lv.lo), max_value=float(lv.hi),
                                                    value=float(value), step=float(lv.step), key=key)
        changes = lever_changes(levers, values)
        st.button(t("reset", L), key="reset", on_click=on_reset, disabled=not changes)
    return base, objective, changes
