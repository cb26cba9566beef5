"""The engine as the workbench calls it: every solve, explanation and simulation cached by content.

Keys are hashes of the merged scenario document, so equal scenarios share one cached answer
whatever session asked first.
"""

from __future__ import annotations

import hashlib

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import ScenarioError


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


@st.cache_resource(show_spinner=False, max_entries=128)
def _solve(key: str, objective: str, _s: bs.Scenario) -> bs.Result:
    r = bs.solve(_s, objective)
    _ = (r.summary(), r.allocation, r.indicator_totals)  # fill the cached tables once
    return r


def solve(s: bs.Scenario, objective: str) -> bs.Result:
    return _solve(scenario_key(s), objective, s)


@st.cache_resource(show_spinner=False, max_entries=32)
def _explain(key: str, objective: str, _r: bs.Result):
    """The plan's explanation (or an impossible scenario's diagnosis), once per scenario + question."""
    return bs.explain(_r)


def explain(s: bs.Scenario, objective: str, r: bs.Result):
    return _explain(scenario_key(s), objective, r)


@st.cache_resource(show_spinner=False, max_entries=32)
def _simulate(key: str, objective: str, draws: int, seed: int, _r: bs.Result):
    """The plan and the status quo under ``draws`` draws, once per scenario + question + draws + seed."""
    return bs.simulate(_r, draws, seed)


def simulate(s: bs.Scenario, objective: str, draws: int, seed: int, r: bs.Result):
    return _simulate(scenario_key(s), objective, draws, seed, r)


def is_mip(r: bs.Result) -> bool:
    return bool(getattr(r.run.solution, "is_mip", False)) if r.run is not None else False


@st.cache_resource(show_spinner=False, max_entries=64)
def _check(key: str, plan_bytes: bytes, _s: bs.Scenario, _x, _optimum: bs.Result):
    return bs.check(_s, _x, optimum=_optimum)


def check(s: bs.Scenario, x, optimum: bs.Result):
    """A draft checked against its scenario (cached by scenario content and the draft's figures)."""
    import numpy as np

    x = np.ascontiguousarray(x, dtype=float)
    return _check(scenario_key(s), x.tobytes(), s, x, optimum)


def plan_result(s: bs.Scenario, x) -> bs.Result:
    """A pinned draft as a result (scored on the true curves, no solve)."""
    return check(s, x, solve(s, "max-performance")).plan


@st.cache_resource(show_spinner=False, max_entries=16)
def _improve(key: str, plan_bytes: bytes, within: float, _s: bs.Scenario, _x):
    from budgetsim.analysis.check import improve_plan

    return improve_plan(_s, _x, within)


def improve(s: bs.Scenario, x, within: float):
    import numpy as np

    x = np.ascontiguousarray(x, dtype=float)
    return _improve(scenario_key(s), x.tobytes(), within, s, x)
