"""The library tab: every saved pin and draft (kept in the scenario library across reloads and
restarts), with load, rename, delete, a YAML download of each and a zip of them all."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from budgetsim.exceptions import BudgetsimError
from budgetsim.library import archive_bytes
from budgetsim.present.compare import slug
from budgetsim.present.labels import fmt_money, fmt_time, objective_label, t

from . import engine
from .page import Page
from .state import delete_entry, load_entry, rename_entry


def render_library(p: Page) -> None:
    """The saved scenarios as a table, and what can be done with one of them."""
    L, ss = p.lang, st.session_state
    lib = engine.library()
    try:
        entries = lib.entries()
    except BudgetsimError as err:
        st.error(t("lib_unavailable", L, err=str(err)))
        return
    st.caption(t("lib_caption", L, path=lib.path, n=len(entries), pins=sum(e.kind == "pin" for e in entries),
                 drafts=sum(e.kind == "draft" for e in entries)))
    if notice := ss.pop("library_notice", None):
        getattr(st, notice[0])(notice[1])
    for name, err in ss.get("broken_entries", []):
        st.warning(t("lib_broken_entry", L, name=name, err=err))
    if not entries:
        st.info(t("lib_empty", L))
        return

    def fig(h: dict, key: str, fmt: str) -> str:
        v = h.get(key)
        return fmt.format(v) if isinstance(v, (int, float)) else "—"

    table = pd.DataFrame({
        t("col_id", L): [e.id for e in entries],
        t("col_name", L): [e.name for e in entries],
        t("col_kind", L): [t(f"lib_kind_{e.kind}", L) for e in entries],
        t("col_objective", L): [objective_label(e.objective, L) for e in entries],
        t("col_performance", L): [fig(e.headline, "performance", "{:.2f}") for e in entries],
        t("col_perf_diff", L): [fig(e.headline, "performance_diff", "{:+.2f}") for e in entries],
        t("kpi_budget", L): [fmt_money(e.headline.get("budget_allocated_wan"), L, short=True) for e in entries],
        t("col_author", L): [e.author or "—" for e in entries],
        t("col_saved", L): [fmt_time(e.updated_at) for e in entries],
        t("col_notes", L): [e.notes or "" for e in entries]})
    st.table(table, hide_index=True)  # a static table wraps its cells: every column in view at 1280 px

    by_id = {e.id: e for e in entries}
    pick = st.selectbox(t("lib_pick", L), list(by_id), key="lib_pick", placeholder=t("pick_placeholder", L),
                        format_func=lambda i: f"{by_id[i].name} · {t('lib_kind_' + by_id[i].kind, L)} · "
                                              f"{fmt_time(by_id[i].updated_at)}")
    e = by_id[pick]
    st.caption(t("lib_detail", L, kind=t(f"lib_kind_{e.kind}", L), question=objective_label(e.objective, L),
                 author=e.author or t("no_author", L), saved=fmt_time(e.updated_at)))
    with st.container(horizontal=True, gap="small"):  # buttons as wide as their text: never cut
        st.button(t("lib_load", L), key=f"lib_load_{e.id}", type="primary", on_click=load_entry, args=(e.id,),
                  help=t("lib_load_help", L), icon=":material/upload_file:")
        st.download_button(t("download_yaml", L, name=e.name), e.diff_yaml, file_name=f"{slug(e.name)}.yaml",
                           mime="application/x-yaml", key=f"lib_yaml_{e.id}", help=t("yaml_help", L),
                           on_click="ignore", icon=":material/download:")
    c = st.columns([3, 2], vertical_alignment="bottom")
    c[0].text_input(t("lib_rename_to", L), value=e.name, key=f"lib_new_name_{e.id}")
    c[1].button(t("lib_rename", L), key=f"lib_rename_{e.id}", on_click=rename_entry,
                args=(e.id, f"lib_new_name_{e.id}"), width="stretch", icon=":material/edit:")
    c = st.columns([3, 2], vertical_alignment="bottom")
    sure = c[0].checkbox(t("lib_delete_confirm", L, name=e.name), key=f"lib_sure_{e.id}")
    c[1].button(t("lib_delete", L), key=f"lib_delete_{e.id}", on_click=delete_entry, args=(e.id, e.name),
                disabled=not sure, width="stretch", icon=":material/delete:")
    st.divider()
    st.download_button(t("lib_download_zip", L), lambda: archive_bytes(lib.entries()), file_name="budgetsim_library.zip",
                       mime="application/zip", key="lib_zip", on_click="ignore", icon=":material/download:")
