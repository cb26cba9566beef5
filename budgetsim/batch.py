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

import copy
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import BudgetsimError, Problem, ScenarioError, ScenarioNotFoundError, SweepError
from .fileio import atomic_write
from .model import OBJECTIVES, SOLVERS
from .scenario import Scenario, _key, load_scenario, parse_yaml, scenario_from_dict
from .sweep import Sweep, is_sweep_document, load_sweep

EXECUTORS = ("local", "dask")
OUT_FORMATS = (".parquet", ".csv", ".xlsx")
#: columns that differ between two runs of the same inputs: timings, and the number of refinement
#: passes (a scenario a worker solved before starts on its final grid); everything else is reproducible
TIMING_COLUMNS = ("passes", "build_seconds", "solve_seconds", "wall_seconds")
_IN_FLIGHT_PER_WORKER = 4


# ----------------------------------------------------------------------------- items


@dataclass(frozen=True)
class BatchItem:
    """One scenario to solve: the merged document (validated in the worker) and its inputs."""

    label: str
    doc: dict | None            # merged scenario document; None when the file could not be read
    inputs: dict[str, Any]      # the varied parameters (dotted path -> value)
    source: str
    seed: int | None = None
    error: str = ""             # set when the scenario is unusable before solving

    def key(self, objective: str, solver: str) -> str:
        return input_hash(self.doc if self.doc is not None else {"unreadable": self.source, "error": self.error},
                          objective, solver)


def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)  # 60000 and 60000.0 are the same input
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def input_hash(doc: dict, objective: str, solver: str) -> str:
    """SHA-256 of the merged scenario document + objective + solver.

    Key order does not matter, nor does the scenario's ``id`` (a name, not an input): the
    same settings reached from two sweeps share one hash and are solved once."""
    doc = {k: v for k, v in doc.items() if k != "id"}
    payload = json.dumps({"scenario": _canonical(doc), "objective": objective, "solver": solver},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _sweep_items(sweep: Sweep) -> Iterator[BatchItem]:
    base = sweep.base.raw
    for pt in sweep.points():
        doc = copy.deepcopy(base)  # one copy per point, then the changes in place
        for path, value in pt.changes.items():
            _set_in_place(doc, path, value)
        doc["id"] = pt.label
        yield BatchItem(pt.label, doc, dict(pt.changes), sweep.source, sweep.seed)


def _set_in_place(doc: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        key = _key(part, node)
        if key not in node or not isinstance(node[key], dict):
            node[key] = {}
        node = node[key]
    node[_key(parts[-1], node)] = value


def _file_items(path: Path) -> Iterator[BatchItem]:
    if not path.is_file():
        raise ScenarioNotFoundError([Problem("", str(path), "file not found")], str(path))
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    except ScenarioError as err:
        yield BatchItem(path.stem, None, {}, str(path), error=_one_line(err))
        return
    if is_sweep_document(doc):
        yield from _sweep_items(load_sweep(path))
        return
    try:
        s = load_scenario(path)
    except ScenarioNotFoundError:
        raise
    except ScenarioError as err:
        yield BatchItem(path.stem, doc, {}, str(path), error=_one_line(err))
        return
    yield BatchItem(s.id, s.raw, {}, str(path))


def iter_items(items: Iterable[Any] | Any) -> Iterator[BatchItem]:
    """Expand scenario files, Scenario objects, sweep files and Sweep objects into batch items.

    A missing file or an invalid sweep raises (bad input); an invalid scenario file becomes an
    item that is reported as an ``error`` row."""
    if isinstance(items, (str, Path, Scenario, Sweep)):
        items = [items]
    for it in items:
        if isinstance(it, Sweep):
            yield from _sweep_items(it)
        elif isinstance(it, Scenario):
            yield BatchItem(it.id, it.raw, {}, it.source)
        elif isinstance(it, (str, Path)):
            yield from _file_items(Path(it))
        elif isinstance(it, BatchItem):
            yield it
        else:
            raise BudgetsimError(f"cannot run {type(it).__name__!r} in a batch; give scenario files, Scenario "
                                 "objects, sweep files or Sweep objects")


def _one_line(err: Exception) -> str:
    if isinstance(err, ScenarioError):
        return "; ".join(str(p) for p in err.problems)
    return str(err).replace("\n", " ")


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

        from .lp import new_highs

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


def solve_item(doc: dict | None, label: str, inputs: dict, source: str, seed: int | None, error: str,
               objective: str, solver: str, key: str) -> dict:
    """Solve one scenario document and return its table row (never raises)."""
    from . import __version__
    from .api import solve

    _worker_setup()
    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": label, **{f"in:{k}": v for k, v in inputs.items()}}
    meta = {"source": source, "objective": objective, "solver": solver, "seed": seed,
            "version": __version__, "input_hash": key}
    if error:
        return {**row, "status": "error", "message": error, **meta, "wall_seconds": time.perf_counter() - t0}
    try:
        s = scenario_from_dict(doc, source=source)
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


# ----------------------------------------------------------------------------- journal


class Journal:
    """Append-only JSON lines, flushed and fsync'd per row; a torn last line is ignored on read."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def done_keys(self) -> set[str]:
        return {row["input_hash"] for row in self.rows()}

    def rows(self) -> Iterator[dict]:
        if not self.path.is_file():
            return
        with open(self.path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # the write that was interrupted
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and "input_hash" in row:
                    yield row

    def _repair_tail(self) -> None:
        """Cut a torn last line (a kill in the middle of a write) before appending."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            cut = data.rfind(b"\n") + 1
            f.truncate(cut)

    def append(self, row: dict) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _json_default(v: Any) -> Any:
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def journal_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".journal.jsonl")


# ----------------------------------------------------------------------------- executors


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
            args = (item.doc, item.label, item.inputs, item.source, item.seed, item.error, objective, solver, key)
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

_CHUNK = 1000


class BatchSummary:
    """Counts and ranges of a finished batch, gathered while its rows stream past."""

    def __init__(self, resumed: int = 0):
        self.n = 0
        self.resumed = resumed
        self.counts: dict[str, int] = {}
        self.perf: tuple[float, float] | None = None
        self.sq: tuple[float, float] | None = None
        self.best: tuple[float, str] | None = None
        self.errors: list[tuple[str, str]] = []
        self.table: pd.DataFrame | None = None

    def add(self, rows: Iterable[dict]) -> None:
        for r in rows:
            self.n += 1
            st = r.get("status")
            self.counts[st] = self.counts.get(st, 0) + 1
            if st == "optimal":
                p, q = float(r["performance"]), float(r["status_quo_performance"])
                self.perf = (p, p) if self.perf is None else (min(self.perf[0], p), max(self.perf[1], p))
                self.sq = (q, q) if self.sq is None else (min(self.sq[0], q), max(self.sq[1], q))
                if self.best is None or p > self.best[0]:
                    self.best = (p, str(r["scenario"]))
            elif st == "error" and len(self.errors) < 3:
                self.errors.append((str(r["scenario"]), str(r.get("message", ""))))

    def text(self) -> str:
        if not self.n:
            return "no scenarios"
        parts = [f"{self.n} scenarios: " + ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))]
        if self.perf is not None:
            parts.append(f"performance {self.perf[0]:.2f} … {self.perf[1]:.2f} "
                         f"(status quo {self.sq[0]:.2f} … {self.sq[1]:.2f}); best: {self.best[1]}")
        if self.resumed:
            parts.append(f"{self.resumed} taken from the journal of an earlier run, {self.n - self.resumed} solved now")
        parts += [f"error in {s}: {m[:160]}" for s, m in self.errors]
        return "\n".join(parts)


def _journal_offsets(path: Path, wanted: set[str]) -> dict[str, int]:
    """Byte offset of the last journal line of each wanted input hash."""
    offsets: dict[str, int] = {}
    pos = 0
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            try:
                h = json.loads(line).get("input_hash")
            except (json.JSONDecodeError, AttributeError):
                h = None
            if h in wanted:
                offsets[h] = pos
            pos += len(line)
    return offsets


def _ordered_chunks(path: Path, order: list[str], labels: list[str], offsets: dict[str, int]) -> Iterator[list[dict]]:
    """The rows in item order, ``_CHUNK`` at a time, read back from the journal by offset."""
    buf: list[dict] = []
    with open(path, "rb") as f:
        for i, (h, label) in enumerate(zip(order, labels)):
            f.seek(offsets[h])
            row = json.loads(f.readline())
            row.pop("scenario", None)
            buf.append({"item": i, "scenario": label, **row})
            if len(buf) >= _CHUNK:
                yield buf
                buf = []
    if buf:
        yield buf


def _stream_write(out: str | Path, jpath: Path, order: list[str], labels: list[str]) -> BatchSummary:
    """Write the final table from the journal in item order, a chunk at a time, atomically."""
    out = Path(out)
    offsets = _journal_offsets(jpath, set(order))
    missing = [h for h in order if h not in offsets]
    if missing:  # pragma: no cover - every submitted input is journaled before we get here
        raise BudgetsimError(f"{len(missing)} results missing from the journal {jpath}")
    chunks = lambda: _ordered_chunks(jpath, order, labels, offsets)  # noqa: E731
    summary = BatchSummary()
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            schemas = [pa.Table.from_pylist(ch).schema for ch in chunks()]
            schema = pa.unify_schemas(schemas, promote_options="permissive")
            schema = pa.schema([schema.field(n) for n in _column_order(schema.names)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            schema = None  # e.g. one input column holding numbers and names: the in-memory path copes
        if schema is not None:
            def write(tmp: str) -> None:
                with pq.ParquetWriter(tmp, schema) as w:
                    for ch in chunks():
                        summary.add(ch)
                        w.write_table(pa.Table.from_pylist(ch, schema=schema))
            atomic_write(out, write)
            return summary
    elif suffix == ".csv":
        cols: list[str] = []
        for ch in chunks():
            for row in ch:
                cols.extend(k for k in row if k not in cols)
        cols = _column_order(cols)

        def write_csv(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                for k, ch in enumerate(chunks()):
                    summary.add(ch)
                    pd.DataFrame.from_records(ch, columns=cols).to_csv(fh, index=False, header=k == 0)
        atomic_write(out, write_csv)
        return summary
    # .xlsx (and the parquet fallback) need the whole table at once
    table = pd.concat([pd.DataFrame.from_records(ch) for ch in chunks()], ignore_index=True)
    table = table[_column_order(table.columns)]
    summary.add(table.to_dict(orient="records"))
    write_table(table, out)
    return summary


def _count(items_list: list) -> Iterator[None]:
    for it in items_list:
        if isinstance(it, Sweep):
            yield from (None for _ in range(len(it)))
        elif isinstance(it, (str, Path)) and Path(it).is_file():
            try:
                doc = parse_yaml(Path(it).read_text(encoding="utf-8"), str(it))
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
                doc = parse_yaml(Path(it).read_text(encoding="utf-8"), str(it))
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


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def _assemble(order: list[str], labels: list[str], rows: Iterable[dict], chunk: int = 2000) -> pd.DataFrame:
    """One row per item, in item order (the last journal row of each hash wins).

    Rows are read in chunks straight into columns, so assembling 100,000 rows never holds
    100,000 row dicts at once."""
    wanted = set(order)
    parts: list[pd.DataFrame] = []
    buf: list[dict] = []
    for row in rows:
        if row["input_hash"] in wanted:
            buf.append(row)
        if len(buf) >= chunk:
            parts.append(pd.DataFrame.from_records(buf))
            buf = []
    if buf:
        parts.append(pd.DataFrame.from_records(buf))
    del wanted
    index = pd.DataFrame({"item": range(len(order)), "scenario": labels, "input_hash": order})
    if not parts:
        return index.iloc[0:0]
    found = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    found = found.drop_duplicates("input_hash", keep="last").drop(columns=["scenario"], errors="ignore")
    df = index.merge(found, on="input_hash", how="left", validate="many_to_one")
    return df[_column_order(df.columns)].reset_index(drop=True)


def _column_order(cols) -> list[str]:
    head = ["item", "scenario"] + sorted(c for c in cols if c.startswith("in:"))
    core = ["status", "message", "performance", "status_quo_performance", "performance_diff"]
    inds = [c for c in cols if c.startswith("ind:")]
    tail = ["leverage", "budget_used_wan", "budget_envelope_wan", "external_wan", "targets_met", "targets_total",
            "linearisation_gap", "passes", "build_seconds", "solve_seconds", "wall_seconds",
            "source", "objective", "solver", "seed", "version", "input_hash"]
    ordered = [c for c in head + core + inds + tail if c in cols]
    return ordered + [c for c in cols if c not in ordered]


def write_table(df: pd.DataFrame, out: str | Path) -> Path:
    """Write the table atomically as Parquet, CSV or Excel (by the file's ending)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise BudgetsimError("writing Parquet needs pyarrow: pip install 'budgetsim[batch]'") from exc
        return atomic_write(out, lambda tmp: _parquet_safe(df).to_parquet(tmp, index=False))
    if suffix == ".csv":
        return atomic_write(out, lambda tmp: df.to_csv(tmp, index=False))
    if suffix == ".xlsx":
        def write_xlsx(tmp: str) -> None:
            with open(tmp, "wb") as fh:  # the temporary name has no .xlsx ending: hand pandas a handle
                df.to_excel(fh, index=False, engine="openpyxl")
        return atomic_write(out, write_xlsx)
    raise BudgetsimError(f"{out}: unknown format; allowed endings: {', '.join(OUT_FORMATS)}")


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: an input column mixing numbers and names becomes text."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 and not kinds <= {int, float}:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


def read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    return pd.read_excel(path)


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


def summarise(df: pd.DataFrame) -> str:
    """A few lines for the end of a batch: counts by status, performance range, best point."""
    summary = BatchSummary(resumed=df.attrs.get("resumed", 0))
    summary.add(df.to_dict(orient="records"))
    return summary.text()
