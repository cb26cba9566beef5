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


def test_a_slow_explanation_does_not_hold_up_lever_moves():
    """Explaining the integer scenario (dozens of MILP re-solves, seconds) and simulating 10,000 draws
    run beside lever moves of the same integer scenario: the moves share the structure's HiGHS session
    with nobody slow, so each takes about as long as alone, not as long as the explanation."""
    s = bs.load_scenario(SCENARIOS / "major_projects_lumpy.yaml")
    compiled.clear_sessions()
    r = bs.solve(s)  # the session is built and warm
    moves = [s.with_changes({"budget.base_amount_wan": 60_000 + 1_000 * k}) for k in range(1, 5)]
    alone_times = []
    for m in moves[:2]:
        t0 = time.perf_counter()
        assert bs.solve(m).ok
        alone_times.append(time.perf_counter() - t0)

    slow_seconds: dict[str, float] = {}

    def slow() -> None:
        t0 = time.perf_counter()
        bs.explain(r)
        bs.simulate(r, 10_000, seed=1)
        slow_seconds["explain+simulate"] = time.perf_counter() - t0

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.5)  # the explanation is under way
    busy_times = []
    for m in moves[2:]:
        t0 = time.perf_counter()
        assert bs.solve(m).ok
        busy_times.append(time.perf_counter() - t0)
    th.join(timeout=300)
    assert "explain+simulate" in slow_seconds
    # two cores shared with the slow thread: a move may take a few times longer, never the explanation's time
    assert max(busy_times) < max(2.0, 10 * max(alone_times)), (busy_times, alone_times)
    assert max(busy_times) < slow_seconds["explain+simulate"] / 3, (busy_times, slow_seconds)


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
