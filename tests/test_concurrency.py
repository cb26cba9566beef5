"""Many users at once: the shared engine (one warm HiGHS session per model structure) under threads.

The workbench serves every browser session from threads of one process, and they all solve through
the same compiled sessions (:mod:`budgetsim.model.compiled`).  Each answer must be the one its own
scenario gets when solved alone, and a slow request must not hold the others up.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.model import compiled

from .conftest import SCENARIOS

THREADS = 8


def _scenarios(baseline) -> list[bs.Scenario]:
    """Eight different scenarios; five share the baseline's structure (so their passes interleave in
    one HiGHS session), three have structures of their own (one of them impossible)."""
    # envelopes a plan can reach from 2025's 5.7 亿元 (growth floor 3 %, smoothing 20 %)
    same_structure = [baseline.with_changes({"budget.base_amount_wan": 59_000 + 2_000 * i,
                                             "rules.leverage_floor.min_ratio": 1.0 + 0.1 * i})
                      for i in range(5)]
    own = [bs.load_scenario(SCENARIOS / f"{name}.yaml")
           for name in ("leverage_push", "incremental_budgeting", "impossible_ambition")]
    return same_structure + own


def _same_answer(got: bs.Result, alone: bs.Result) -> list[str]:
    """What differs between two answers to one scenario: status, performance, every headline figure
    (the KPI tiles and the rest of the summary) and every indicator's plan total.

    Channel splits are not compared: tied plans (equal performance, equal headline figures) may
    share money differently between substitutable channels within HiGHS's tolerances."""
    if got.status != alone.status:
        return [f"status {got.status} != {alone.status}"]
    out = []
    for k, v in alone.summary().items():
        w = got.summary()[k]
        if isinstance(v, float) and not math.isclose(w, v, rel_tol=1e-6, abs_tol=1e-6):
            out.append(f"{k}: {w} != {v}")
        elif not isinstance(v, float) and w != v:
            out.append(f"{k}: {w} != {v}")
    if alone.ok:
        a = alone.indicator_totals.set_index("indicator")["plan_total"]
        g = got.indicator_totals.set_index("indicator")["plan_total"]
        if not np.allclose(g.loc[a.index], a, rtol=1e-6, atol=1e-6):
            out.append(f"indicator totals {g.to_dict()} != {a.to_dict()}")
    return out


def test_eight_threads_get_the_answers_they_get_alone(baseline):
    scenarios = _scenarios(baseline)
    alone = []
    for s in scenarios:
        compiled.clear_sessions()
        alone.append(bs.solve(s))
    assert sum(r.ok for r in alone) == THREADS - 1
    compiled.clear_sessions()
    problems = []
    for round_ in range(3):  # the first round builds and refines; later ones start on remembered grids
        got: list[bs.Result | BaseException | None] = [None] * THREADS
        start = threading.Barrier(THREADS)

        def work(i: int) -> None:
            start.wait()
            try:
                got[i] = bs.solve(scenarios[i])
            except BaseException as err:  # reported below, never lost in a thread
                got[i] = err

        threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        for i, r in enumerate(got):
            if not isinstance(r, bs.Result):
                problems.append(f"round {round_}, scenario {i}: {r!r}")
                continue
            problems += [f"round {round_}, scenario {i}: {p}" for p in _same_answer(r, alone[i])]
    assert not problems, "\n".join(problems)


class _TimedLock:
    """A session lock that records who held it and for how long."""

    def __init__(self, lock, phase: dict) -> None:
        self.lock, self.phase, self.holds = lock, phase, []

    def __enter__(self):
        self.lock.acquire()
        self.who, self.t0 = threading.current_thread().name, time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.holds.append((self.who, self.phase["now"], time.perf_counter() - self.t0))
        self.lock.release()


def test_slow_requests_hold_a_shared_lock_for_one_solve_at_most(monkeypatch):
    """Explaining the integer scenario (MILP re-solves), 10,000 draws and diagnosing the impossible
    scenario run beside lever moves on the same structures.  The explanation and the simulation take
    no shared lock at all (their re-solves run on HiGHS instances of their own); the diagnosis takes
    one for each check of a relaxed plan, a solve like any lever move's, and lets it go in between:
    a lever move never waits behind a slow request for longer than one solve."""
    from budgetsim import solving

    lumpy = bs.load_scenario(SCENARIOS / "major_projects_lumpy.yaml")
    impossible = bs.load_scenario(SCENARIOS / "impossible_ambition.yaml")
    compiled.clear_sessions()
    r = bs.solve(lumpy)
    bs.solve(impossible)
    bs.explain(impossible)  # every structure the slow thread will touch exists now
    phase = {"now": "explain+simulate"}  # what the slow thread is doing
    shared = list(compiled._SESSIONS.values())
    locks = [_TimedLock(sess.lock, phase) for sess in shared]
    for sess, lock in zip(shared, locks):
        sess.lock = lock
    solves: list[str] = []  # who called budgetsim.solve
    real_solve = solving.solve

    def counted_solve(*args, **kwargs):
        solves.append(threading.current_thread().name)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(solving, "solve", counted_solve)

    def slow() -> None:
        bs.explain(r)
        bs.simulate(r, 10_000, seed=1)
        phase["now"] = "diagnosis"
        bs.explain(impossible)

    th = threading.Thread(target=slow, name="slow")
    th.start()
    moves = 0
    while th.is_alive() or moves < 2:
        assert bs.solve(lumpy.with_changes({"budget.base_amount_wan": 60_000 + 200 * (moves % 20)})).ok
        moves += 1
    th.join(timeout=300)
    holds = [(what, sec) for lock in locks for who, what, sec in lock.holds if who == "slow"]
    assert not [sec for what, sec in holds if what == "explain+simulate"]
    # the diagnosis: one hold per solve of a relaxed plan (each solve takes the lock once)
    assert 1 <= len(holds) <= solves.count("slow"), (holds, solves.count("slow"))


def test_a_session_never_trusts_numbers_another_request_loaded(baseline):
    """The partial update of a refinement pass (segment columns only) is ignored when another
    program was loaded in between: the solve then compares everything."""
    from budgetsim.model.builder import ModelBuilder, coarse_grids
    from budgetsim.model.mechanics import Mechanics

    a = baseline.with_changes({"budget.base_amount_wan": 59_000})  # both reachable from 2025 (continuity)
    b = baseline.with_changes({"budget.base_amount_wan": 66_000})
    lp_a = ModelBuilder(a, "max-performance", coarse_grids(a, Mechanics(a))).build().lp
    lp_b = ModelBuilder(b, "max-performance", coarse_grids(b, Mechanics(b))).build().lp
    sess = compiled.session_for(lp_a, reuse=False)
    with sess.lock:
        sess.load(lp_a)
        sess.load(lp_b)
        # a's next pass promises that only segment columns moved — but b's budget rows are loaded
        sess.load(lp_a, cols=np.arange(0), rows=[])
        alone = lp_a.solve("highs")
        assert sess.run(False).objective == pytest.approx(alone.objective, rel=1e-9)


def test_the_time_limit_is_each_requests_own(baseline):
    """Time spent waiting for other users' solves on the same structure does not count against a
    request's time limit: a request that waited longer than its limit still gets its plan."""
    compiled.clear_sessions()
    warm = bs.solve(baseline)
    sess = compiled.session_for(warm.run.builder.lp)
    s = baseline.with_changes({"budget.base_amount_wan": 61_000})
    # another user's long solve on the same structure: the lock is held a second longer than the limit;
    # the request's own work (a warm solve of ~0.1 s) has the whole 6 s, ample on a busy machine
    sess.lock.acquire()
    release = threading.Timer(7.0, sess.lock.release)
    release.start()
    try:
        t0 = time.perf_counter()
        r = bs.solve(s, time_limit=6.0)
        waited = time.perf_counter() - t0
    finally:
        release.join()
    assert waited > 6.0
    assert r.ok, r.message
    # its own time still counts: nothing is solved in a microsecond
    assert bs.solve(s.with_changes({"budget.base_amount_wan": 62_000}), time_limit=1e-6).status == "time_limit"
