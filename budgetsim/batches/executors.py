"""Where batch items are solved: the per-item solve and its result row, local worker processes, a Dask cluster."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


from ..exceptions import BudgetsimError, ScenarioError
from ..scenario.loading import content_digest, scenario_from_dict
from .items import _one_line






# ----------------------------------------------------------------------------- the worker side

_worker_ready = False


def _worker_setup() -> None:
    """Once per process: one solver thread (HiGHS fixes its thread pool at the first solve)."""
    global _worker_ready
    if _worker_ready:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        import highspy
        import numpy as np

        from ..model.lp import new_highs

        h = new_highs()
        h.setOptionValue("threads", 1)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = 1, 0
        lp.col_cost_ = np.array([1.0])
        lp.col_lower_ = np.array([0.0])
        lp.col_upper_ = np.array([1.0])
        h.passModel(lp)
        h.run()  # the first run starts HiGHS's scheduler with one thread for this process
    except Exception:  # pragma: no cover - solving still works with HiGHS's default threads
        pass
    _worker_ready = True


_ORIGINS: dict[bytes, Any] = {}  # this worker's origin scenarios, by content (validated once, not per item)


def _origin(doc: dict | None, source: str):
    if doc is None:
        return None
    key = content_digest(doc)
    if key not in _ORIGINS:
        if len(_ORIGINS) >= 16:
            _ORIGINS.clear()
        _ORIGINS[key] = scenario_from_dict(doc, source=source)
    return _ORIGINS[key]


def solve_item(doc: dict | None, label: str, inputs: dict, source: str, seed: int | None, error: str,
               objective: str, solver: str, key: str, origin: dict | None = None) -> dict:
    """Solve one scenario document and return its table row (never raises).  ``origin``: the
    document of the scenario it derives from (its solve starts at that one's optimum, as
    :func:`~budgetsim.solving.solve` of the scenario itself would)."""
    from ..version import __version__
    from ..solving import solve

    _worker_setup()
    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": label, **{f"in:{k}": v for k, v in inputs.items()}}
    meta = {"source": source, "objective": objective, "solver": solver, "seed": seed,
            "version": __version__, "input_hash": key}
    if error:
        return {**row, "status": "error", "message": error, **meta, "wall_seconds": time.perf_counter() - t0}
    try:
        s = scenario_from_dict(doc, source=source, origin=_origin(origin, source))
        r = solve(s, objective, solver=solver)
        row.update(result_row(r))
    except ScenarioError as err:
        row.update(status="error", message=_one_line(err))
    except Exception as err:  # one scenario never stops the batch
        row.update(status="error", message=f"{type(err).__name__}: {err}")
    row.update(meta)
    row["wall_seconds"] = time.perf_counter() - t0
    return row


def result_row(r) -> dict[str, Any]:
    """The headline figures of a :class:`~budgetsim.results.Result` as one flat row."""
    summ = r.summary()
    row: dict[str, Any] = {
        "status": r.status, "message": r.message,
        "performance": summ["performance"],
        "status_quo_performance": summ["status_quo_performance"],
        "performance_diff": summ["performance_diff"],
    }
    tot = r.indicator_totals
    for rec in tot.itertuples():
        row[f"ind:{rec.indicator}"] = None if not r.ok else float(rec.plan_total)
    row.update({
        "leverage": summ["leverage"],
        "budget_used_wan": summ["budget_allocated_wan"],
        "budget_envelope_wan": summ["budget_envelope_wan"],
        "external_wan": summ["external_wan"],
        "targets_met": summ["targets_met"],
        "targets_total": summ["targets_total"],
        "linearisation_gap": float(r.linearisation_gap) if r.ok else None,
        "passes": int(r.run.passes),
        "build_seconds": float(r.build_seconds),
        "solve_seconds": float(r.solve_seconds),
    })
    return row


# ----------------------------------------------------------------------------- local workers

UNGUARDED = ("budgetsim: run_batch(..., workers=N) starts worker processes that re-run your script {script} "
             "from the top; put the call under `if __name__ == \"__main__\":` (see the README's examples), "
             "or use workers=0 to solve in this process.")


def check_main_guard() -> None:
    """Stop at once, with one sentence, when local workers would re-run an unguarded script.

    Worker processes are started with *spawn* (a forked child would inherit HiGHS's thread
    pool in a broken state), and spawn re-imports the caller's main script in every worker.
    A script that calls run_batch at its top level, outside ``if __name__ == "__main__":``,
    would then start batches inside its own workers and die with ``BrokenProcessPool``.  We
    find the main script's top-level line that led here and check, in the script's own syntax
    tree, that it sits under such a guard.  Interactive sessions, notebooks, ``python -c``
    and test runners have no script to re-run and pass."""
    import multiprocessing as mp

    if getattr(mp.current_process(), "_inheriting", False):  # we are a worker re-running the script
        raise SystemExit(UNGUARDED.format(script=_main_script() or "(your script)"))
    script = _main_script()
    if script is None:
        return
    frame = sys._getframe(1)
    line = None
    while frame is not None:
        # the main script's own top level (a runner such as `python -m pytest` also runs a
        # `<module>` frame named __main__, but of another file than the __main__ module's)
        if (frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
                and _same_file(frame.f_code.co_filename, script)):
            line = frame.f_lineno
        frame = frame.f_back
    if line is None:
        return
    if not _guarded(script, line):
        raise SystemExit(UNGUARDED.format(script=script))


def _main_script() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if path and os.path.isfile(path) else None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _guarded(script: str, line: int) -> bool:
    """Whether ``line`` of ``script`` lies inside an ``if __name__ == "__main__":`` block."""
    import ast

    try:
        with open(script, "rb") as f:
            tree = ast.parse(f.read(2_000_000))
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: let it run rather than refuse a script that may be fine
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test):
            end = getattr(node, "end_lineno", None) or line
            if node.body and node.body[0].lineno <= line <= end:
                return True
    return False


def _is_main_test(test) -> bool:
    import ast

    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and consts == ["__main__"]


# ----------------------------------------------------------------------------- journal


def _local_worker_init(parent_pid: int) -> None:
    """A local worker: one solver thread, and exit when the batch that started it is gone.

    Killed with SIGKILL, the batch cannot stop its workers; without this watch they would wait
    forever for work that never comes."""
    import threading

    _worker_setup()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="budgetsim-parent-watch", daemon=True).start()


class _LocalPool:
    def __init__(self, workers: int):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a forked child would inherit a parent's HiGHS thread pool in a broken state
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                        initializer=_local_worker_init, initargs=(os.getpid(),))

    def submit(self, *args):
        return self.pool.submit(solve_item, *args)

    def wait_one(self, pending: set):
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        return done

    def result(self, fut) -> dict:
        return fut.result()

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class _DaskPool:
    def __init__(self, address: str | None):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover
            raise BudgetsimError("the dask executor needs dask[distributed]: pip install 'budgetsim[batch]'") \
                from exc
        if not address:
            raise BudgetsimError("--executor dask needs --address tcp://HOST:PORT of a running Dask scheduler")
        try:
            self.client = Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise BudgetsimError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from exc
        self._owns = True
        n = sum(w.get("nthreads", 1) for w in self.client.scheduler_info().get("workers", {}).values())
        self.slots = max(1, n)

    def submit(self, *args):
        # pure=False: the key must not depend on arguments (rows carry timings)
        return self.client.submit(solve_item, *args, pure=False)

    def wait_one(self, pending: set):
        from distributed import wait

        with self.client.as_current():
            done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done)

    def result(self, fut) -> dict:
        return fut.result()

    def close(self, cancel: bool = False) -> None:
        if self._owns:
            self.client.close()


# ----------------------------------------------------------------------------- the driver


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)
