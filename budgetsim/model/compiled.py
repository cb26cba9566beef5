"""The compiled model: one live HiGHS instance per model structure, re-solved warm.

A model's *structure* is its list of named columns and rows (plus integrality and
sense).  Scenarios that differ only in numbers — budget, floors, caps, ratios, curve
parameters, targets, weights, breakpoint positions — share a structure, and one
:class:`HighsSession` (one HiGHS instance).  A refinement pass hands it the whole program (one
``passModel`` on the arrays, 0.16 ms for the baseline) with the basis to start from (the pass
before's, or the origin's); other users of a session (the tie settling, explanations) may
instead push only the costs, bounds and coefficients that changed.  A different structure (a
rule switched on, a category added) gets its own session, transparently.

Many users at once (the workbench serves every browser session from threads of one process):

* A session's lock is held for one solve of one scenario (its refinement passes, see
  :func:`budgetsim.model.builder.optimise`), never for an explanation or a batch: a request
  waits for at most one solve of each request ahead of it on the same structure; other
  structures have their own sessions and locks.  HiGHS releases the GIL while it runs, so other
  threads keep working meanwhile.  Time spent waiting for the lock does not count against a
  request's time limit.
* A load may push only the numbers it promises changed (the tie settling: costs and bounds)
  only if no other request loaded its numbers in between; otherwise everything is compared
  again.  Without that check a request would silently solve with another user's budget or floors.
* Memory is bounded: at most ``MAX_SESSIONS`` structures are kept (least recently used
  dropped; HiGHS's copy of the model and its work arrays, and our copy of its rows, sparse: about
  0.2 MB for the baseline's 9,500 nonzeros), and each keeps at most ``MAX_GRIDS`` remembered final
  grids (:class:`FinalGrid`: the zone centres, the LP solution and HiGHS's basis on them, about
  0.1 MB each for the baseline).
* A scenario derived from another (its origin, see :func:`budgetsim.model.builder.optimise`)
  starts from the origin's remembered basis: :func:`recall_anywhere` finds it in any session.

HiGHS fixes its thread count at the first solve of a process; this module never changes it,
and every run's status is checked.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .lp import LinearProgram, LPSolution, new_highs, read_highs_solution, rerun_on_trouble, time_limit_or_default

MAX_SESSIONS = 8  # model structures kept warm (least recently used dropped)
MAX_GRIDS = 256  # remembered final grids per session (least recently used dropped)


@dataclass(frozen=True)
class FinalGrid:
    """What a settled solve leaves for later ones: where its fine zones ended (category-years,
    channel-years), its plan, the basis HiGHS ended on (before the tie settling) and where its
    zones started (the resources and channel money of its start allocation)."""

    centers: np.ndarray
    channel_centers: np.ndarray
    solution: LPSolution
    basis: object  # highspy.HighsBasis (None for an integer plan: nothing to start an LP from)
    start_resources: np.ndarray
    start_channels: np.ndarray


@dataclass
class Counters:
    builds: int = 0  # fresh passModel calls
    updates: int = 0  # in-place updates of an existing model
    changed_numbers: int = 0  # costs, bounds and coefficients pushed by updates
    cold_retries: int = 0  # warm runs without a definite answer, re-run from scratch
    origin_starts: int = 0  # first passes started from the origin scenario's final basis
    handovers: int = 0  # whole models handed to an existing instance (every refinement pass)


COUNTERS = Counters()


def structure_key(lp: LinearProgram) -> tuple:
    return (lp.maximize, tuple(lp.col_names), tuple(lp.row_names), lp.integrality.tobytes())


@dataclass(eq=False)
class HighsSession:
    """A HiGHS instance holding one model structure, and the numbers it currently holds."""

    key: tuple
    lock: threading.Lock = field(default_factory=threading.Lock)  # held for one load + run
    # final breakpoint-zone centres of scenarios solved in this session (by content hash)
    final_centers: OrderedDict = field(default_factory=OrderedDict)
    _grid_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _holder: weakref.ref | None = field(default=None, repr=False)  # the program whose numbers HiGHS holds

    def remember_grid(self, scenario_key: str, final: FinalGrid) -> None:
        """Keep a scenario's final grid (a revisit returns its plan; a scenario derived from it
        starts there)."""
        with self._grid_lock:
            self.final_centers[scenario_key] = final
            self.final_centers.move_to_end(scenario_key)
            while len(self.final_centers) > MAX_GRIDS:
                self.final_centers.popitem(last=False)

    def recall_grid(self, scenario_key: str) -> FinalGrid | None:
        """The final grid remembered for ``scenario_key``, or None (safe while others remember theirs)."""
        with self._grid_lock:
            return self.final_centers.get(scenario_key)

    def load(self, lp: LinearProgram, cols: np.ndarray | None = None, rows: list[int] | None = None,
             whole: bool = False, basis=None) -> int:
        """Hand ``lp`` to HiGHS: a fresh model the first time, else only what changed.

        ``cols``/``rows``, when given, promise that nothing changed outside those columns
        (costs, bounds) and those rows' coefficients at those columns (breakpoint moves),
        so only they are compared — a promise about ``lp``'s own previous load, so it is ignored
        when another program was loaded since.  ``basis`` (with ``whole``): the next run starts
        from it instead of from scratch.  Call with :attr:`lock` held.  Returns how many numbers
        were pushed."""
        # a NaN or an infinity never reaches HiGHS (a promise of changed rows: only they are new)
        partial = not whole and rows is not None and hasattr(self, "h") and self._holder is not None \
            and self._holder() is lp
        lp.check_finite(rows if partial else None)
        try:
            n = self._load(lp, cols, rows, whole)
            if basis is not None:
                self.h.setBasis(basis)
            return n
        except BaseException:  # half-pushed numbers: drop the instance, the next request builds afresh
            if hasattr(self, "h"):
                del self.h
            self._holder = None
            raise

    def _load(self, lp: LinearProgram, cols, rows, whole: bool = False) -> int:
        holder = self._holder() if self._holder is not None else None
        self._holder = weakref.ref(lp)
        if not hasattr(self, "h") or whole:
            if not hasattr(self, "h"):
                self.h = new_highs()
                COUNTERS.builds += 1
            else:
                COUNTERS.handovers += 1
            lp.pass_to(self.h)
            self._obj = lp.obj.copy()
            self._lb, self._ub = lp.lb.copy(), lp.ub.copy()
            self._lo, self._hi = np.asarray(lp.row_lo, dtype=float), np.asarray(lp.row_hi, dtype=float)
            # the rows HiGHS holds (the program replaces a row's arrays when it changes, never writes
            # into them, so holding the same arrays is holding a copy)
            self._row_idx, self._row_val = list(lp.row_idx), list(lp.row_val)
            return 0
        import highspy

        inf = highspy.kHighsInf
        n = 0
        if holder is not lp:  # another request's numbers are loaded: compare everything
            cols = rows = None
        scope = np.arange(lp.n_cols) if cols is None else np.asarray(cols)
        obj = lp.obj[scope]
        ch = obj != self._obj[scope]
        if ch.any():
            idx = scope[ch]
            self.h.changeColsCost(idx.size, idx.astype(np.int32), obj[ch])
            self._obj[idx] = obj[ch]
            n += idx.size
        lb, ub = lp.lb[scope], lp.ub[scope]
        ch = (lb != self._lb[scope]) | (ub != self._ub[scope])
        if ch.any():
            idx = scope[ch]
            self.h.changeColsBounds(idx.size, idx.astype(np.int32), lb[ch], np.minimum(ub[ch], inf))
            self._lb[idx], self._ub[idx] = lb[ch], ub[ch]
            n += idx.size
        if cols is None:
            lo, hi = np.asarray(lp.row_lo, dtype=float), np.asarray(lp.row_hi, dtype=float)
            idx = np.flatnonzero((lo != self._lo) | (hi != self._hi))
            if idx.size:
                self.h.changeRowsBounds(idx.size, idx.astype(np.int32), np.maximum(lo[idx], -inf),
                                        np.minimum(hi[idx], inf))
                self._lo[idx], self._hi[idx] = lo[idx], hi[idx]
                n += idx.size
        n += self._push_rows(lp, range(lp.n_rows) if cols is None else (rows if rows is not None else []))
        COUNTERS.updates += 1
        COUNTERS.changed_numbers += n
        return n

    def _push_rows(self, lp: LinearProgram, rows) -> int:
        """Push the coefficients of ``rows`` that differ from what HiGHS holds; how many.  Rows
        whose columns are the very ones HiGHS holds (new numbers only: breakpoint moves) are
        compared all at once."""
        held_idx, held_val = self._row_idx, self._row_val
        same, n = [], 0
        for r in rows:
            if lp.row_idx[r] is held_idx[r]:
                if lp.row_val[r] is not held_val[r]:
                    same.append(r)
            else:
                n += self._push_row(r, lp.row_idx[r], lp.row_val[r])
        if same:
            new = np.concatenate([lp.row_val[r] for r in same])
            d = np.flatnonzero(new != np.concatenate([held_val[r] for r in same]))
            where = np.repeat(same, [held_idx[r].size for r in same])[d]
            cols = np.concatenate([held_idx[r] for r in same])[d]
            for r, c, v in zip(where.tolist(), cols.tolist(), new[d].tolist()):
                self.h.changeCoeff(r, c, v)
            for r in same:
                held_val[r] = lp.row_val[r]
            n += d.size
        return n

    def _push_row(self, r: int, idx: np.ndarray, val: np.ndarray) -> int:
        """Push the coefficients of row ``r`` that differ from what HiGHS holds; how many."""
        old_idx, old_val = self._row_idx[r], self._row_val[r]
        if idx is old_idx and val is old_val:
            return 0
        if idx.shape == old_idx.shape and np.array_equal(idx, old_idx):
            d = np.flatnonzero(val != old_val)
            cols, new = idx[d], val[d]
        else:  # the row's nonzero pattern changed: compare over both patterns (absent = 0)
            both = np.union1d(idx, old_idx)
            now, before = np.zeros(both.size), np.zeros(both.size)
            now[np.searchsorted(both, idx)] = val
            before[np.searchsorted(both, old_idx)] = old_val
            d = np.flatnonzero(now != before)
            cols, new = both[d], now[d]
        for c, v in zip(cols.tolist(), new.tolist()):
            self.h.changeCoeff(r, c, v)
        self._row_idx[r], self._row_val[r] = idx, val
        return int(cols.size)

    def run(self, is_mip: bool, time_limit: float | None = None, mip_rel_gap: float = 1e-4,
            duals: bool = True) -> LPSolution:
        """Run from the basis HiGHS holds.  A warm run that ends without a definite answer
        (neither optimal nor infeasible, e.g. a numerical trouble in the kept factorisation)
        is run again from scratch before anyone sees it."""
        h = self.h
        limit = time_limit_or_default(time_limit)

        def set_limit(left: float) -> None:
            # HiGHS checks its time limit against the instance's run clock, which adds up over every
            # run of a long-lived session: without the offset, a session that had run for the limit
            # in all (minutes of a busy workbench) would time every later solve out at once
            h.setOptionValue("time_limit", h.getRunTime() + max(left, 0.0) if math.isfinite(left) else math.inf)

        set_limit(limit)
        if is_mip:
            h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        t0 = time.perf_counter()
        h.run()
        sol = read_highs_solution(h, time.perf_counter() - t0, is_mip, duals)
        if sol.status not in ("optimal", "infeasible", "time_limit"):
            COUNTERS.cold_retries += 1
            h.clearSolver()
            set_limit(limit - sol.solve_seconds)
            t0 = time.perf_counter()
            h.run()
            sol = read_highs_solution(h, sol.solve_seconds + time.perf_counter() - t0, is_mip)
            sol = rerun_on_trouble(h, sol, is_mip, limit)
        return sol


_SESSIONS: OrderedDict[tuple, HighsSession] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def session_for(lp: LinearProgram, reuse: bool = True) -> HighsSession:
    """The cached session for ``lp``'s structure (or a new one; never cached if not ``reuse``)."""
    key = structure_key(lp)
    if not reuse:
        return HighsSession(key)
    with _CACHE_LOCK:
        sess = _SESSIONS.get(key)
        if sess is None:
            sess = HighsSession(key)
            _SESSIONS[key] = sess
            while len(_SESSIONS) > MAX_SESSIONS:
                _SESSIONS.popitem(last=False)
        else:
            _SESSIONS.move_to_end(key)
        return sess


def recall_anywhere(scenario_key: str) -> tuple[tuple, FinalGrid] | None:
    """The final grid remembered for ``scenario_key`` in any kept session, with that session's
    structure key (so a caller can tell whether it fits its own model)."""
    with _CACHE_LOCK:
        sessions = list(_SESSIONS.values())
    for sess in sessions:
        found = sess.recall_grid(scenario_key)
        if found is not None:
            return sess.key, found
    return None


def clear_sessions() -> None:
    with _CACHE_LOCK:
        _SESSIONS.clear()


def counters() -> Counters:
    """Process-wide counts of fresh builds and in-place updates (for tests and benchmarks)."""
    return COUNTERS
