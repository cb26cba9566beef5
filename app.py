"""budgetsim what-if workbench (Streamlit): a thin screen over the budgetsim package.

Run with ``make run`` (or ``streamlit run app.py``).  All model logic, labels, charts,
comparisons and exports live in ``budgetsim/``; the screens live in ``workbench/``.  This file
lays the page out: scenario → solve → header and tiles → sidebar → notes under the tiles → pin bar
→ tabs.  The tiles are the answer people wait for, so they are drawn first: the question and the
levers are read from the session state (the browser sends every widget's value with the rerun),
and the sidebar's widgets are drawn after the tiles (the sidebar is its own part of the screen,
so what the user sees does not change).  A newly opened page shows its tiles alone first and draws
the rest once they are on screen (:mod:`workbench.first_paint`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `workbench` beside this file, however it is run

from budgetsim.exceptions import BudgetsimError, ScenarioError  # noqa: E402
from budgetsim.present.labels import problem_text, t  # noqa: E402
from workbench import engine  # noqa: E402
from workbench.first_paint import wait_for_first_paint  # noqa: E402
from workbench.header import render_header, render_pin_bar, render_tile_notes, render_tiles  # noqa: E402
from workbench.page import Page  # noqa: E402
from workbench.sidebar import current_choice, render_sidebar  # noqa: E402
from workbench.state import init_state  # noqa: E402
from workbench.tab_calibration import render_calibration  # noqa: E402
from workbench.tab_compare import render_compare  # noqa: E402
from workbench.style import apply_style  # noqa: E402
from workbench.tab_explain import render_explain  # noqa: E402
from workbench.tab_library import render_library  # noqa: E402
from workbench.tab_myplan import render_myplan  # noqa: E402
from workbench.tab_plan import render_curves, render_indicators, render_plan  # noqa: E402
from workbench.tab_uncertainty import render_uncertainty  # noqa: E402

st.set_page_config(page_title="budgetsim", page_icon=":material/bar_chart:", layout="wide")
init_state()
ss = st.session_state

# ----------------------------------------------------------------------------- scenario → solve
L = ss["lang"]
apply_style(L)
base, objective, changes = current_choice()  # what the sidebar's widgets hold; they are drawn below

lever_problems: list[str] = []
try:
    scenario = base.with_changes(changes) if changes else base
    ss["last_good"] = (scenario, changes)
except ScenarioError as err:  # a lever combination the scenario rejects: keep the last good plan
    lever_problems = [problem_text(p, L) for p in err.problems]
    scenario, changes = ss.get("last_good", (base, {}))
    if scenario is None:
        scenario, changes = base, {}

try:
    result = engine.solve(scenario, objective)
except BudgetsimError as err:  # this session's settings only (e.g. least budget with no targets on)
    st.error(t("solve_failed", L, err=str(err)))
    render_sidebar()
    st.stop()
page = Page(L, scenario, objective, result, changes)

# ----------------------------------------------------------------------------- header and tiles, sidebar, pins
render_header(page)
if lever_problems:
    st.error(t("lever_errors", L) + "\n" + "\n".join(f"- {p}" for p in lever_problems))
render_tiles(page)
if wait_for_first_paint(L):  # a new page: the rest is drawn in the run the page asks for once the tiles show
    st.stop()
under_tiles = st.container()  # filled after the sidebar: the notes may take an analysis

drawn = render_sidebar()
if (drawn[0] is not base or drawn[1:] != (objective, changes)) and not ss.get("redrawn"):
    ss["redrawn"] = True  # the widgets disagree with what the page read before drawing them: solve again, once
    st.rerun()
ss["redrawn"] = False
with under_tiles:
    render_tile_notes(page)
render_pin_bar(L)

# ----------------------------------------------------------------------------- tabs
# Fixed tab titles: a title that changed (e.g. with a pin count) would send the user back to the first
# tab.  The tabs track which one is open, so hidden tabs cost nothing on a rerun (a lever move).
TABS = (("tab_plan", render_plan), ("tab_explain", render_explain), ("tab_curves", render_curves),
        ("tab_indicators", render_indicators), ("tab_uncertainty", render_uncertainty),
        ("tab_myplan", render_myplan), ("tab_compare", render_compare), ("tab_library", render_library),
        ("cal_tab", render_calibration))
# One tab widget per language (its titles are part of it); the open tab is kept by its id, so a
# language switch opens the same tab in the other language instead of jumping back to the first.
tab_titles = {k: t(k, L) for k, _ in TABS}
open_tab = ss.get("open_tab") if ss.get("open_tab") in tab_titles else None
if open_tab and f"tab_{L}" not in ss:  # this language's tab widget is new: open the tab that was open
    ss[f"tab_{L}"] = tab_titles[open_tab]
tabs = st.tabs(list(tab_titles.values()), key=f"tab_{L}", on_change="rerun")
ss["open_tab"] = next((k for k, v in tab_titles.items() if v == ss.get(f"tab_{L}")), open_tab)
for tab, (_, render) in zip(tabs, TABS):
    with tab:
        if tab.open is not False:  # None (state not tracked) means render
            render(page)
