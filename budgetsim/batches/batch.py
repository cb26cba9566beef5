"""Batch runs: many scenarios solved in parallel into one tidy table that survives interruption.

:func:`run_batch` takes scenario files, :class:`~budgetsim.scenario.Scenario` objects and
sweeps (:class:`~budgetsim.sweep.Sweep` or sweep files), solves each on local worker
processes or an existing Dask cluster, and returns one row per scenario: the varied inputs,
status, performance, status-quo performance, each indicator's plan total, leverage, budget
used and solver time.  A failed scenario is a row too (status ``infeasible`` or ``error`` with
the reason); it never stops the batch.

Reproducible and resumable: each row carries ``input_hash`` — a SHA-256 of the merged
scenario document, the objective and the solver — with the package version, solver and
seed.  With ``out=`` every finished row is appended (and flushed) to a JSON-lines journal next
to the output (``<out>.journal.jsonl``) as it arrives; the final file is written atomically
at the end.  A batch killed half way keeps what finished, and running it again solves only
the inputs whose hash is not in the journal.

Memory stays flat: points are generated lazily, at most a few scenarios per worker are in
flight, and finished rows go to the journal rather than piling up as solved models.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import BudgetsimError, Problem, ScenarioError, ScenarioNotFoundError, SweepError
from ..model.builder import OBJECTIVES, SOLVERS
from ..scenario.loading import Scenario
from ..scenario.reading import read_yaml
from .sweep import Sweep, is_sweep_document, load_sweep
from .executors import _DaskPool, _LocalPool, _default_workers, check_main_guard, result_row, solve_item
from .items import BatchItem, input_hash, iter_items
from .journal import Journal, journal_path
from .tables import BatchSummary, OUT_FORMATS, _assemble, _stream_write, read_table, summarise, write_table

__all__ = ["BatchItem", "BatchSummary", "EXECUTORS", "Journal", "OUT_FORMATS", "TIMING_COLUMNS", "input_hash",
           "iter_items", "journal_path", "read_table", "result_row", "run_batch", "run_batch_to_file", "solve_item",
           "summarise", "write_table"]

EXECUTORS = ("local", "dask")
#: columns that differ between two runs of the same inputs: timings, and the number of refinement
#: passes (a scenario a worker solved before starts on its final grid); everything else is reproducible
TIMING_COLUMNS = ("passes", "build_seconds", "solve_seconds", "wall_seconds")
_IN_FLIGHT_PER_WORKER = 4


def run_batch(items: Iterable[Any] | Any, *, workers: int | None = None, out: str | Path | None = None,
              executor: str = "local", address: str | None = None, progress: bool = True,
              objective: str | None = None, solver: str | None = None, fresh: bool = False) -> pd.DataFrame:
    """Solve many scenarios and return one tidy row per scenario.

    ``items``: scenario files, :class:`Scenario` objects, sweep files or :class:`Sweep` objects
    (or a list mixing them).  ``workers``: local worker processes (default: the CPU count;
    ``0`` solves in this process).  ``out``: a ``.parquet``, ``.csv`` or ``.xlsx`` file written
    atomically at the end, with a journal ``<out>.journal.jsonl`` beside it that makes the run
    resumable (``fresh=True`` ignores and replaces it).  ``executor="dask"`` sends the work to
    the Dask scheduler at ``address``.  ``objective``/``solver`` default to the sweep file's
    (else ``max-performance``/``highs``).

    Columns: ``scenario``, one ``in:<dotted.path>`` column per varied parameter, ``status``,
    ``message``, ``performance``, ``status_quo_performance``, ``performance_diff``, one
    ``ind:<indicator>`` column per indicator (plan total), ``leverage``, ``budget_used_wan``,
    ``budget_envelope_wan``, ``external_wan``, ``targets_met``/``targets_total``,
    ``linearisation_gap``, ``passes``, ``build_seconds``, ``solve_seconds``, ``wall_seconds``,
    ``source``, ``objective``, ``solver``, ``seed``, ``version``, ``input_hash``.
    """
    summary = _execute(items, workers=workers, out=out, executor=executor, address=address, progress=progress,
                       objective=objective, solver=solver, fresh=fresh)
    table = summary.table if out is None else read_table(out)
    table.attrs["resumed"] = summary.resumed
    return table


def run_batch_to_file(items: Iterable[Any] | Any, out: str | Path, **options: Any) -> "BatchSummary":
    """As :func:`run_batch`, but the table only goes to ``out`` (written in chunks straight from
    the journal) and a :class:`BatchSummary` comes back: memory stays flat however many rows."""
    return _execute(items, out=out, **options)


def _execute(items: Iterable[Any] | Any, *, workers: int | None = None, out: str | Path | None = None,
             executor: str = "local", address: str | None = None, progress: bool = True,
             objective: str | None = None, solver: str | None = None, fresh: bool = False) -> "BatchSummary":
    if executor not in EXECUTORS:
        raise BudgetsimError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
    if objective is not None and objective not in OBJECTIVES:
        raise BudgetsimError(f"unknown objective {objective!r}; allowed: {', '.join(OBJECTIVES)}")
    if solver is not None and solver not in SOLVERS:
        raise BudgetsimError(f"unknown solver {solver!r}; allowed: {', '.join(SOLVERS)}")
    if out is not None and Path(out).suffix.lower() not in OUT_FORMATS:
        raise BudgetsimError(f"--out {str(out)!r}: unknown format; allowed endings: {', '.join(OUT_FORMATS)}")
    if workers is not None and workers < 0:
        raise BudgetsimError(f"workers must be ≥ 0 (got {workers})")
    if executor == "local" and workers != 0:
        check_main_guard()  # before any work: an unguarded script would re-run itself in every worker

    items_list = [items] if isinstance(items, (str, Path, Scenario, Sweep)) else list(items)
    sweep_defaults = _sweep_defaults(items_list)
    objective = objective or sweep_defaults.get("objective") or "max-performance"
    solver = solver or sweep_defaults.get("solver") or "highs"

    # A first pass validates every input (bad sweep or missing file: raise before any work) and counts.
    total = sum(1 for _ in _count(items_list))

    journal = Journal(journal_path(out)) if out is not None else None
    if journal is not None and fresh and journal.path.exists():
        journal.path.unlink()
    done = journal.done_keys() if journal is not None else set()
    memory_rows: dict[str, dict] = {}
    order: list[str] = []          # input hash per item, in item order
    labels: list[str] = []

    bar = _progress_bar(total, progress)
    n_workers = _default_workers() if workers is None else workers
    n_workers = min(n_workers, max(1, total))  # no idle processes to start for a short batch
    pool: _LocalPool | _DaskPool | None = None
    if executor == "dask":
        pool = _DaskPool(address)
        slots = pool.slots
    elif n_workers > 0:
        pool = _LocalPool(n_workers)
        slots = n_workers
    else:
        slots = 1
    window = slots * _IN_FLIGHT_PER_WORKER
    pending: dict[Any, str] = {}
    submitted: set[str] = set()
    resumed = 0

    def record(row: dict) -> None:
        if journal is not None:
            journal.append(row)
        else:
            memory_rows[row["input_hash"]] = row
        bar.update(1)

    def drain(block_until: int) -> None:
        while len(pending) > block_until:
            for fut in pool.wait_one(set(pending)):
                pending.pop(fut)
                record(pool.result(fut))

    ok = False
    try:
        for item in iter_items(items_list):
            key = item.key(objective, solver)
            order.append(key)
            labels.append(item.label)
            if key in done or key in submitted:
                if key in done:
                    resumed += 1
                    bar.update(1)
                else:
                    bar.update(1)
                continue
            submitted.add(key)
            args = (item.doc, item.label, item.inputs, item.source, item.seed, item.error, objective, solver, key,
                    item.origin)
            if pool is None:
                record(solve_item(*args))
            else:
                pending[pool.submit(*args)] = key
                drain(window - 1)
        if pool is not None:
            drain(0)
        ok = True
    finally:
        bar.close()
        if pool is not None:
            pool.close(cancel=not ok)
        if journal is not None:
            journal.close()

    if journal is None:
        table = _assemble(order, labels, memory_rows.values())
        summary = BatchSummary(resumed=resumed)
        summary.add(table.to_dict(orient="records"))
        summary.table = table
        return summary
    summary = _stream_write(out, journal.path, order, labels)
    summary.resumed = resumed
    return summary


# ----------------------------------------------------------------------------- streaming the final file


def _count(items_list: list) -> Iterator[None]:
    for it in items_list:
        if isinstance(it, Sweep):
            yield from (None for _ in range(len(it)))
        elif isinstance(it, (str, Path)) and Path(it).is_file():
            try:
                doc, _ = read_yaml(it)
            except ScenarioError:
                yield None
                continue
            if is_sweep_document(doc):
                yield from (None for _ in range(len(load_sweep(it))))
            else:
                yield None
        elif isinstance(it, (str, Path)):
            raise ScenarioNotFoundError([Problem("", str(it), "file not found")], str(it))
        else:
            yield None


def _sweep_defaults(items_list: list) -> dict:
    """The objective/solver named by the sweep files (when they agree)."""
    found: dict[str, set] = {"objective": set(), "solver": set()}
    for it in items_list:
        sw = None
        if isinstance(it, Sweep):
            sw = it
        elif isinstance(it, (str, Path)) and Path(it).is_file():
            try:
                doc, _ = read_yaml(it)
            except ScenarioError:
                continue
            if is_sweep_document(doc):
                sw = load_sweep(it)
        if sw is not None:
            for k in found:
                v = getattr(sw.spec, k)
                if v:
                    found[k].add(v)
    out = {}
    for k, vals in found.items():
        if len(vals) > 1:
            raise SweepError([Problem(k, sorted(vals), "the sweeps in this batch name different values; "
                                      f"pass --{k} to choose one")])
        if vals:
            out[k] = vals.pop()
    return out


def _progress_bar(total: int, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        enabled = False
    if not enabled:
        return _NoBar()
    return tqdm(total=total, file=sys.stderr, unit="scen", desc="batch", dynamic_ncols=True, smoothing=0.1)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass
