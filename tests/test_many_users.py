"""Two users of one workbench server at once: each sees its own answer, and one user's error is its own.

AppTest runs the page in this process, so two AppTest sessions share the engine's caches and the
compiled HiGHS sessions exactly as two browser sessions of one ``streamlit run`` do; here their
reruns run at the same time from two threads.  The same in Chromium, two browser contexts against
one ``streamlit run``, is ``test_browser.py::test_two_users_at_once_each_see_their_own_answer``.
The engine's admission gates (a few solves, one slow analysis at a time) are tested at the end.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from tests.apptest import open_page  # noqa: E402

import budgetsim as bs  # noqa: E402
from budgetsim.present.views import kpi_values  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _session(bundled_id: str):
    at = open_page(timeout=120)
    if bundled_id != "baseline":
        at.selectbox(key="bundled_choice_zh").set_value(bundled_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _budget_box(at):
    key = f"lv{at.session_state['lever_gen']}:budget.base_amount_wan"
    return next(w for w in at.number_input if w.key == key)


def test_two_sessions_moving_levers_at_once_keep_their_own_answers():
    # budgets each plan can meet in 2026 (an impossible one would add a diagnosis of seconds per step)
    users = {"budget_plus_10": [61_000, 64_500, 59_500, 66_500], "leverage_push": [59_000, 61_500, 60_000, 61_000]}
    sessions = {sid: _session(sid) for sid in users}
    bases = {sid: bs.load_scenario(ROOT / "scenarios" / f"{sid}.yaml") for sid in users}
    for step in range(4):
        errors: list[str] = []

        def move(sid: str) -> None:
            try:
                _budget_box(sessions[sid]).set_value(users[sid][step]).run()
            except BaseException as err:  # reported below
                errors.append(f"{sid}: {err!r}")

        threads = [threading.Thread(target=move, args=(sid,)) for sid in users]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=300)
        assert not errors, errors
        for sid, at in sessions.items():
            assert not at.exception, [e.value for e in at.exception]
            want = kpi_values(bs.solve(bases[sid].with_changes({"budget.base_amount_wan": users[sid][step]})))
            assert _tiles(at) == want, (sid, step)
    assert _tiles(sessions["budget_plus_10"]) != _tiles(sessions["leverage_push"])


def test_a_failed_solve_is_a_message_for_that_user_only():
    """Least budget with the targets switched off cannot be solved: that user gets a sentence, the
    other user's page is untouched."""
    broken, other = _session("baseline"), _session("budget_plus_10")
    before = _tiles(other)
    broken.session_state["grp_rules"] = True  # the rules group draws its switches only when open
    broken.run()
    key = f"lv{broken.session_state['lever_gen']}:rules.indicator_targets.enabled"
    next(w for w in broken.toggle if w.key == key).set_value(False).run()
    broken.radio(key="objective_zh").set_value("min-budget").run()
    assert not broken.exception, [e.value for e in broken.exception]
    assert broken.error and "无法求解当前设置" in broken.error[0].value and "indicator_targets" in broken.error[0].value
    assert not broken.metric
    other.run()
    assert not other.exception and not other.error
    assert _tiles(other) == before


def test_running_out_of_time_is_not_kept_for_the_next_user(monkeypatch):
    """A solve that ran out of time (on a busy server the limit counts the wait for other users) is
    shown to its user and solved again for the next one, never served from the cache."""
    import streamlit as st

    from workbench import engine

    st.cache_resource.clear()
    s = bs.load_scenario(ROOT / "scenarios" / "budget_plus_10.yaml").with_changes({"budget.growth_rate": 0.071})
    monkeypatch.setattr(engine, "APP_TIME_LIMIT", 1e-9)
    assert engine.solve(s, "max-performance").status == "time_limit"
    monkeypatch.setattr(engine, "APP_TIME_LIMIT", 60.0)
    assert engine.solve(s, "max-performance").ok


class _CountingGate(threading.BoundedSemaphore):
    """An admission gate that counts who came to it."""

    def __init__(self, places: int) -> None:
        super().__init__(places)
        self.arrived = 0

    def acquire(self, *args, **kwargs):
        self.arrived += 1  # under the GIL; only read once every thread has come
        return super().acquire(*args, **kwargs)

    __enter__ = acquire


def test_solves_are_admitted_a_few_at_a_time(monkeypatch):
    """More users than places: ``SOLVES_AT_ONCE`` solves run, the rest wait at the gate (their time
    limit not yet started), and every one gets its own answer when its turn comes."""
    import streamlit as st

    from workbench import engine

    st.cache_resource.clear()
    cap = engine.SOLVES_AT_ONCE
    gate = _CountingGate(cap)
    monkeypatch.setitem(engine._GATES, "solve", gate)
    base = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    budgets = [59_000 + 1_000 * i for i in range(cap + 3)]
    running, most, count_lock, go = [0], [0], threading.Lock(), threading.Event()
    real_solve = bs.solve

    def held_solve(*args, **kwargs):
        with count_lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            assert go.wait(120), "the test never let the solves go"
            return real_solve(*args, **kwargs)
        finally:
            with count_lock:
                running[0] -= 1

    monkeypatch.setattr(engine.bs, "solve", held_solve)
    got: dict[int, object] = {}

    def user(b: int) -> None:
        try:
            got[b] = engine.solve(base.with_changes({"budget.base_amount_wan": b}), "max-performance")
        except BaseException as err:  # reported below
            got[b] = err

    threads = [threading.Thread(target=user, args=(b,)) for b in budgets]
    for th in threads:
        th.start()
    for _ in range(1200):  # every user has come to the gate and the first ones are solving
        if gate.arrived == len(budgets) and running[0] == cap:
            break
        go.wait(0.1)
    arrived, first = gate.arrived, running[0]
    go.set()
    for th in threads:
        th.join(timeout=300)
    assert (arrived, first) == (len(budgets), cap)
    assert most[0] == cap
    monkeypatch.setattr(engine.bs, "solve", real_solve)
    for b in budgets:
        assert isinstance(got[b], bs.Result), got[b]
        want = kpi_values(real_solve(base.with_changes({"budget.base_amount_wan": b})))
        assert kpi_values(got[b]) == want, b


def test_slow_analyses_run_one_at_a_time_beside_solves(monkeypatch):
    """An explanation, a simulation and the leverage reach each take the analysis place (one), never
    a solve's place: a user explaining a plan does not hold up lever moves at the gate."""
    import streamlit as st

    from workbench import engine

    st.cache_resource.clear()
    seen: list[tuple[str, int, int]] = []  # (analysis, free analysis places, free solve places) inside

    def watch(name: str, real):
        def run(*args, **kwargs):
            seen.append((name, engine._GATES["analysis"]._value, engine._GATES["solve"]._value))
            return real(*args, **kwargs)
        return run

    for name in ("explain", "simulate", "leverage_reach"):
        monkeypatch.setattr(engine.bs, name, watch(name, getattr(bs, name)))
    s = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    r = engine.solve(s, "max-performance")
    engine.explain(s, "max-performance", r)
    engine.simulate(s, "max-performance", 200, 1, r)
    engine.leverage_reach(s, "max-performance", r)
    assert seen == [(n, 0, engine.SOLVES_AT_ONCE) for n in ("explain", "simulate", "leverage_reach")]
