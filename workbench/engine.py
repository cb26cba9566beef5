"""The engine as the workbench calls it: every solve, explanation and simulation cached by content.

Keys are hashes of the merged scenario document, so equal scenarios share one cached answer
whatever session asked first.  The caches are shared by every user of the server, so each has a
size limit (least recently used dropped first) and an age limit (``CACHE_AGE``); with the
baseline's size:

* solves: ``SOLVES`` entries of about 23 MB (≈ 370 MB at most); a miss re-solves warm in 0.1–0.3 s;
* explanations: ``EXPLANATIONS`` entries of about 0.1 MB; an integer plan's takes seconds to redo;
* simulations: ``SIMULATIONS`` entries of about 0.4 MB per 1,000 draws (≤ 160 MB at 50,000 draws);
* checked drafts: ``CHECKS`` entries of about 10 kB, but each keeps its optimum's solve alive
  (≤ 16 × 4.5 MB beyond the solves); a miss re-checks in a few ms;
* improved drafts: ``IMPROVEMENTS`` entries of about 0.1 MB;
* leverage reach: ``REACHES`` entries of a few kB;
* calibrations: ``CALIBRATIONS`` entries, well under 1 MB each;
* saved scenarios loaded from the library: ``SAVED`` entries of about 50 kB;
* chart specs (:mod:`workbench.page`): ``CHART_SPECS`` entries of 2–10 kB.

Two resources live as long as the process, with no age limit: the bundled scenarios (one entry)
and the library handle (one per library path, at most 8).  Below them,
:mod:`budgetsim.model.compiled` keeps at most 8 warm HiGHS sessions (one per model structure) with
at most 256 remembered grids each.  README "Many users at once" lists them all.

Every browser session reruns the page in a thread of this one process, and the threads share
Python's interpreter lock and the machine's cores.  Computations are therefore admitted a few at
a time (:func:`admitted`): at most ``SOLVES_AT_ONCE`` solves and ``ANALYSES_AT_ONCE`` slow
analyses (explanations and diagnoses, simulations, improvements, leverage reach, calibrations)
run at once, the others wait their turn.  A solve's time limit starts when it is admitted, so a
queue of other users never runs it out of time, and a slow analysis never takes a lever move's
place.
"""

from __future__ import annotations

import hashlib
import os
import threading

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import ScenarioError
from budgetsim.library import Library, library_path

CACHE_AGE = 3600  # seconds an entry of any cache below lives, however often it is used
SOLVES = 16  # ≈ 23 MB each at the baseline's size since the model grew (642 rows × 3,410 columns, dense)
EXPLANATIONS = 32
SIMULATIONS = 8  # up to 50,000 draws each
CHECKS = 16
IMPROVEMENTS = 16
REACHES = 64
SAVED = 256

# A solve in the app never holds a server thread for long: a shorter limit than the API's 60 s.
APP_TIME_LIMIT = 20.0

# Admission.  Left to themselves, twenty users' solves, diagnoses and leverage notes all ran at
# once: each solve is many short steps that let go of the interpreter lock (numpy, HiGHS) and
# then queue to get it back behind every other thread, so on 2 cores a solve of 0.1 s of CPU took
# 5–30 s of wall clock and some ran out of the 20 s limit (bench/load.py, 20 users).  Admitted a
# few at a time, each runs nearly as fast as alone, and the others wait (uncounted) for a turn.
SOLVES_AT_ONCE = max(2, min(4, os.cpu_count() or 2))
ANALYSES_AT_ONCE = 1  # each takes seconds of CPU: one at a time leaves the cores to lever moves
_GATES = {"solve": threading.BoundedSemaphore(SOLVES_AT_ONCE),
          "analysis": threading.BoundedSemaphore(ANALYSES_AT_ONCE)}


def admitted(kind: str) -> threading.BoundedSemaphore:
    """``with admitted(kind):`` runs its block when a ``kind`` place ("solve" or "analysis") is free."""
    return _GATES[kind]


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


class _Uncached(Exception):
    """Carries a result out of a cached function without caching it."""

    def __init__(self, result: bs.Result) -> None:
        super().__init__(result.status)
        self.result = result


@st.cache_resource(show_spinner=False, max_entries=SOLVES, ttl=CACHE_AGE)
def _solve(key: str, objective: str, _s: bs.Scenario) -> bs.Result:
    with admitted("solve"):  # the time limit starts here, after any wait for a place
        r = bs.solve(_s, objective, time_limit=APP_TIME_LIMIT)
    if r.status == "time_limit":
        # out of time may mean a busy server (the limit counts waiting for other users' solves),
        # not a hard scenario: the next request tries again instead of every user getting this
        raise _Uncached(r)
    _ = (r.summary(), r.allocation, r.indicator_totals)  # fill the cached tables once
    return r


def solve(s: bs.Scenario, objective: str) -> bs.Result:
    try:
        return _solve(scenario_key(s), objective, s)
    except _Uncached as out:
        return out.result


@st.cache_resource(show_spinner=False, max_entries=EXPLANATIONS, ttl=CACHE_AGE)
def _explain(key: str, objective: str, _r: bs.Result):
    """The plan's explanation (or an impossible scenario's diagnosis), once per scenario + question."""
    with admitted("analysis"):
        return bs.explain(_r)


def explain(s: bs.Scenario, objective: str, r: bs.Result):
    return _explain(scenario_key(s), objective, r)


@st.cache_resource(show_spinner=False, max_entries=SIMULATIONS, ttl=CACHE_AGE)
def _simulate(key: str, objective: str, draws: int, seed: int, _r: bs.Result):
    """The plan and the status quo under ``draws`` draws, once per scenario + question + draws + seed."""
    with admitted("analysis"):
        return bs.simulate(_r, draws, seed)


def simulate(s: bs.Scenario, objective: str, draws: int, seed: int, r: bs.Result):
    return _simulate(scenario_key(s), objective, draws, seed, r)


def is_mip(r: bs.Result) -> bool:
    return bool(getattr(r.run.solution, "is_mip", False)) if r.run is not None else False


@st.cache_resource(show_spinner=False, max_entries=CHECKS, ttl=CACHE_AGE)
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


@st.cache_resource(show_spinner=False, max_entries=IMPROVEMENTS, ttl=CACHE_AGE)
def _improve(key: str, plan_bytes: bytes, within: float, _s: bs.Scenario, _x):
    from budgetsim.analysis.check import improve_plan

    with admitted("analysis"):
        return improve_plan(_s, _x, within)


def improve(s: bs.Scenario, x, within: float):
    import numpy as np

    x = np.ascontiguousarray(x, dtype=float)
    return _improve(scenario_key(s), x.tobytes(), within, s, x)


@st.cache_resource(show_spinner=False, max_entries=8)
def _library(path: str) -> Library:
    return Library(path)


def library() -> Library:
    """The scenario library (``$BUDGETSIM_LIBRARY`` or the user's data directory), shared by every session."""
    return _library(str(library_path()))


@st.cache_resource(show_spinner=False, max_entries=SAVED, ttl=CACHE_AGE)
def saved_scenario(diff_yaml: str, name: str) -> bs.Scenario:
    """A saved scenario loaded from its YAML diff, once per text."""
    return bs.load_scenario_text(diff_yaml, f"library:{name}")


@st.cache_resource(show_spinner=False, max_entries=REACHES, ttl=CACHE_AGE)
def _leverage_reach(key: str, objective: str, _r: bs.Result):
    """Per-year leverage and the most each year can reach, once per scenario + question."""
    with admitted("analysis"):
        return bs.leverage_reach(_r)


def leverage_reach(s: bs.Scenario, objective: str, r: bs.Result):
    return _leverage_reach(scenario_key(s), objective, r)


def baseline_result() -> bs.Result | None:
    """The bundled baseline's solve: its status quo is the comparisons' default reference."""
    base = bundled().get("baseline")
    return solve(base, "max-performance") if base is not None else None


CALIBRATIONS = 8  # a calibration holds 19 curve fits and their bands: well under 1 MB


@st.cache_resource(show_spinner=False, max_entries=CALIBRATIONS, ttl=CACHE_AGE)
def _calibrate(key: str, sha: str, name: str, _s: bs.Scenario, _data: bytes):
    with admitted("analysis"):
        return bs.calibrate(_s, _data, records_name=name)


def calibrate(s: bs.Scenario, data: bytes, name: str):
    """The scenario calibrated to a records file, once per scenario + file content."""
    return _calibrate(scenario_key(s), hashlib.sha256(data).hexdigest(), name, s, data)


@st.cache_resource(show_spinner=False, max_entries=256)
def _saved_plan(entry_id: int, updated_at: str, _entry, _scenario):
    return _entry.plan_array(_scenario)


def saved_plan(entry, scenario):
    """A saved user's plan as an array in ``scenario``'s order, once per entry version."""
    return _saved_plan(entry.id, entry.updated_at + str(entry.name), entry, scenario)
