"""Benchmark: batch throughput and memory, all measured in one run.

    python bench/batch.py [--n 1000] [--big-n 10000] [--workers 2] [--repeat 15]

Scenarios come from a Latin-hypercube sweep on the baseline (budget, leverage floor,
basic-research share floor).  Prints

* one plain in-process solve (median of ``--repeat``), the reference time;
* scenarios per second for ``--n`` scenarios at 1 worker and at ``--workers`` workers, the
  parallel efficiency (rate at W ÷ (W × rate at 1)), and the wall time per scenario at one
  worker as a multiple of a plain solve (the batch machinery's overhead: worker start-up,
  hashing, hand-over, the row's figures, the journal and the final Parquet file);
* the peak resident memory (parent and the largest worker, from ``getrusage``) of a run of
  ``--n`` and of ``--big-n`` scenarios at ``--workers`` workers, each in a fresh process, and
  their ratio (target: within 10 %).

Every run writes Parquet + journal to a temporary folder, as a real batch does.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import budgetsim as bs  # noqa: E402
from budgetsim.batches.sweep import sweep_from_dict  # noqa: E402


def make_sweep(n: int):
    return sweep_from_dict({
        "id": f"bench{n}", "base": "baseline", "design": "lhs", "samples": n, "seed": 7,
        "parameters": [
            {"path": "budget.base_amount_wan", "range": {"from": 48000, "to": 78000}, "integer": True},
            {"path": "rules.leverage_floor.min_ratio", "range": {"from": 0.5, "to": 2.5}},
            {"path": "rules.category_share_min.shares.basic_frontier", "range": {"from": 0.06, "to": 0.22}},
        ]})


def timed_batch(n: int, workers: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        df = bs.run_batch(make_sweep(n), workers=workers, out=Path(d) / "r.parquet", progress=False)
        wall = time.perf_counter() - t0
    assert len(df) == n
    return wall, df["status"].value_counts().to_dict()


def memory_child(n: int, workers: int) -> None:
    """Run in a fresh process: one batch, then print peak RSS of this process and its workers."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        # what `budgetsim batch SWEEP --out r.parquet` runs: rows stream from the journal to the file
        summary = bs.run_batch_to_file(make_sweep(n), Path(d) / "r.parquet", workers=workers, progress=False)
        rows = len(pd.read_parquet(Path(d) / "r.parquet", columns=["item"]))
        wall = time.perf_counter() - t0
    assert summary.n == rows == n
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"n": n, "rows": rows, "parent_mib": me, "worker_mib": kids, "seconds": wall}))


def memory_run(n: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--_memory", str(n), "--workers", str(workers)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="scenarios for the throughput runs")
    ap.add_argument("--big-n", type=int, default=10000, help="scenarios for the large memory run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--_memory", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._memory is not None:
        memory_child(a._memory, a.workers)
        return

    import os
    print(f"budgetsim {bs.__version__}; {os.cpu_count()} CPUs visible "
          f"(load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})")
    s = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    bs.solve(s)
    plain = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        r = bs.solve(s)
        plain.append(time.perf_counter() - t0)
        assert r.ok
    plain_s = statistics.median(plain)
    print(f"plain solve (baseline, in-process, median of {a.repeat}): {plain_s * 1000:.1f} ms")

    rates = {}
    for w in [] if a.skip_throughput else sorted({1, a.workers}):
        wall, counts = timed_batch(a.n, w)
        rates[w] = a.n / wall
        print(f"{a.n} scenarios at {w} worker{'s' if w > 1 else ''}: {wall:.1f} s = {rates[w]:.1f} scenarios/s "
              f"({counts})")
    if a.workers > 1 and not a.skip_throughput:
        eff = rates[a.workers] / (a.workers * rates[1])
        print(f"parallel efficiency at {a.workers} workers: {eff:.0%}")
    if rates:
        per = 1 / rates[1]
        print(f"per-scenario wall time at 1 worker: {per * 1000:.1f} ms = {per / plain_s:.2f}× a plain solve")

    if a.skip_memory:
        return
    small = memory_run(a.n, a.workers)
    big = memory_run(a.big_n, a.workers)
    for m in (small, big):
        print(f"peak RSS, {m['n']} scenarios at {a.workers} workers ({m['seconds']:.0f} s): "
              f"parent {m['parent_mib']:.1f} MiB, largest worker {m['worker_mib']:.1f} MiB")
    print(f"memory ratio {a.big_n} vs {a.n}: parent {big['parent_mib'] / small['parent_mib']:.3f}, "
          f"worker {big['worker_mib'] / small['worker_mib']:.3f} (target ≤ 1.10)")


if __name__ == "__main__":
    main()
