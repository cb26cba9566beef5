"""The engine as the workbench calls it: every solve, explanation and simulation cached by content.

Keys are hashes of the merged scenario document, so equal scenarios share one cached answer
whatever session asked first.  The caches are shared by every user of the server, so each has a
size limit (least recently used dropped first) and an age limit (``CACHE_AGE``); with the
baseline's size:

* solves: ``SOLVES`` entries of about 4.5 MB (≈ 220 MB at most); a miss re-solves warm in 20–150 ms;
* explanations: ``EXPLANATIONS`` entries of about 0.1 MB; an integer plan's takes seconds to redo;
* simulations: ``SIMULATIONS`` entries of about 0.4 MB per 1,000 draws (≤ 160 MB at 50,000 draws);
* chart specs (:mod:`workbench.page`): ``CHART_SPECS`` entries of a few tens of kB.

Below them, :mod:`budgetsim.model.compiled` keeps at most 8 warm HiGHS sessions (one per model
structure) with at most 256 remembered grids each.  README "Many users at once" lists them all.
"""

from __future__ import annotations

import hashlib

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import ScenarioError
from budgetsim.library import Library, library_path

CACHE_AGE = 3600  # seconds an entry of any cache below lives, however often it is used
SOLVES = 48  # every user of a team of twenty keeps the plan on screen, and about one more
EXPLANATIONS = 32
SIMULATIONS = 8  # up to 50,000 draws each


@st.cache_resource(show_spinner=False)
def bundled() -> dict[str, bs.Scenario]:
    """The bundled scenarios by id (baseline first)."""
    out = {}
    for path in bs.bundled_scenarios():
        try:
            out[path.stem] = bs.load_scenario(path)
        except ScenarioError:  # a broken bundled file is skipped, never fatal for the page
            continue
    return out


def _canonical(obj) -> str:
    if isinstance(obj, dict):
        return "{" + ",".join(f"{k!r}:{_canonical(obj[k])}" for k in sorted(obj, key=str)) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in obj) + "]"
    return repr(obj)


def scenario_key(s: bs.Scenario) -> str:
    """A hash of the merged scenario document: equal documents share one cached solve."""
    return hashlib.sha256(_canonical(s.raw).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=SOLVES, ttl=CACHE_AGE)
def _solve(key: str, objective: str, _s: bs.Scenario) -> bs.Result:
    r = bs.solve(_s, objective)
    _ = (r.summary(), r.allocation, r.indicator_totals)  # fill the cached tables once
    return r


def solve(s: bs.Scenario, objective: str) -> bs.Result:
    return _solve(scenario_key(s), objective, s)


@st.cache_resource(show_spinner=False, max_entries=EXPLANATIONS, ttl=CACHE_AGE)
def _explain(key: str, objective: str, _r: bs.Result):
    """The plan's explanation (or an impossible scenario's diagnosis), once per scenario + question."""
    return bs.explain(_r)


def explain(s: bs.Scenario, objective: str, r: bs.Result):
    return _explain(scenario_key(s), objective, r)


@st.cache_resource(show_spinner=False, max_entries=SIMULATIONS, ttl=CACHE_AGE)
def _simulate(key: str, objective: str, draws: int, seed: int, _r: bs.Result):
    """The plan and the status quo under ``draws`` draws, once per scenario + question + draws + seed."""
    return bs.simulate(_r, draws, seed)


def simulate(s: bs.Scenario, objective: str, draws: int, seed: int, r: bs.Result):
    return _simulate(scenario_key(s), objective, draws, seed, r)


def is_mip(r: bs.Result) -> bool:
    return bool(getattr(r.run.solution, "is_mip", False)) if r.run is not None else False


@st.cache_resource(show_spinner=False, max_entries=8)
def _library(path: str) -> Library:
    return Library(path)


def library() -> Library:
    """The scenario library (``$BUDGETSIM_LIBRARY`` or the user's data directory), shared by every session."""
    return _library(str(library_path()))


@st.cache_resource(show_spinner=False, max_entries=256)
def saved_scenario(diff_yaml: str, name: str) -> bs.Scenario:
    """A saved scenario loaded from its YAML diff, once per text."""
    return bs.load_scenario_text(diff_yaml, f"library:{name}")
