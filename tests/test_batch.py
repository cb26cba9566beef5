"""Batch runs: the table equals one-by-one solves, failures are rows, runs resume, Dask = local."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import budgetsim as bs
from budgetsim.model import compiled
from budgetsim.batches.batch import TIMING_COLUMNS, journal_path, read_table
from budgetsim.batches.items import iter_items
from budgetsim.cli import main
from budgetsim.batches.sweep import sweep_from_dict

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
BAD_SCENARIO = ROOT / "tests" / "bad_scenarios" / "unknown_key.yaml"


def small_sweep(n: int = 4):
    return sweep_from_dict({"id": "small", "base": "baseline", "parameters": [
        {"path": "budget.base_amount_wan", "range": {"from": 59000, "to": 66000, "steps": n}, "integer": True}]})


def stable(df: pd.DataFrame) -> pd.DataFrame:
    """The reproducible part of a table (timings differ from run to run)."""
    return df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns]).reset_index(drop=True)


@pytest.fixture(scope="module")
def mixed_table():
    items = [SCEN / "baseline.yaml", SCEN / "budget_plus_10.yaml", SCEN / "impossible_ambition.yaml", BAD_SCENARIO]
    return items, bs.run_batch(items, workers=2, progress=False)


def test_batch_equals_solving_one_by_one(mixed_table):
    items, df = mixed_table
    assert list(df["scenario"]) == ["baseline", "budget_plus_10", "impossible_ambition", "unknown_key"]
    for path in items[:3]:
        r = bs.solve(path)
        row = df[df["scenario"] == Path(path).stem].iloc[0]
        assert row["status"] == r.status
        assert row["status_quo_performance"] == pytest.approx(r.status_quo_performance, rel=1e-9)
        if r.ok:
            assert row["performance"] == pytest.approx(r.performance, rel=1e-9)
            summ = r.summary()
            assert row["leverage"] == pytest.approx(summ["leverage"], rel=1e-9)
            assert row["budget_used_wan"] == pytest.approx(summ["budget_allocated_wan"], rel=1e-9)
            for rec in r.indicator_totals.itertuples():
                assert row[f"ind:{rec.indicator}"] == pytest.approx(rec.plan_total, rel=1e-9)


def test_failures_are_rows_and_the_rest_finish(mixed_table):
    _, df = mixed_table
    by = df.set_index("scenario")
    assert by.loc["baseline", "status"] == "optimal" and by.loc["budget_plus_10", "status"] == "optimal"
    assert by.loc["impossible_ambition", "status"] == "infeasible"
    assert np.isnan(by.loc["impossible_ambition", "performance"])
    assert "No plan satisfies" in by.loc["impossible_ambition", "message"]
    assert by.loc["unknown_key", "status"] == "error"
    assert "unexpected key" in by.loc["unknown_key", "message"]


def test_rows_carry_reproducibility_columns(mixed_table):
    _, df = mixed_table
    assert set(df["version"]) == {bs.__version__}
    assert set(df["solver"]) == {"highs"} and set(df["objective"]) == {"max-performance"}
    assert df["input_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert df["input_hash"].is_unique


def test_sweep_columns_and_hashes_are_reproducible():
    sw = small_sweep(3)
    a = bs.run_batch(sw, workers=0, progress=False)
    b = bs.run_batch(sw, workers=0, progress=False)
    pd.testing.assert_frame_equal(stable(a), stable(b))
    assert list(a["in:budget.base_amount_wan"]) == [59000, 62500, 66000]
    c = bs.run_batch(sw, workers=0, progress=False, objective="min-budget")
    assert set(c["input_hash"]).isdisjoint(a["input_hash"])  # the objective is part of the input


def test_parallel_equals_serial():
    sw = small_sweep(4)
    serial = bs.run_batch(sw, workers=0, progress=False)
    parallel = bs.run_batch(sw, workers=2, progress=False)
    pd.testing.assert_frame_equal(stable(serial), stable(parallel))


def test_order_does_not_change_a_row():
    """The batch's promise: a scenario's row is the same whatever was solved before it in the
    process (warm HiGHS sessions, remembered grids) — here a sweep forward, then backward."""
    sw = small_sweep(5)
    compiled.clear_sessions()
    forward = bs.run_batch(sw, workers=0, progress=False)
    items = list(iter_items(sw))[::-1]
    backward = bs.run_batch(items, workers=0, progress=False)
    by_hash = lambda df: stable(df.sort_values("input_hash").drop(columns=["item"], errors="ignore"))  # noqa: E731
    pd.testing.assert_frame_equal(by_hash(forward), by_hash(backward), check_exact=False, rtol=1e-9)


def test_resume_after_a_torn_journal_solves_only_the_missing(tmp_path):
    sw = small_sweep(4)
    out = tmp_path / "r.parquet"
    full = bs.run_batch(sw, workers=0, out=out, progress=False)
    jpath = journal_path(out)
    lines = jpath.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    # a kill after two rows, in the middle of writing the third
    jpath.write_bytes(b"".join(lines[:2]) + lines[2][:40])
    out.unlink()
    again = bs.run_batch(sw, workers=0, out=out, progress=False)
    assert again.attrs["resumed"] == 2
    rows = [json.loads(x) for x in jpath.read_bytes().splitlines()]
    assert len(rows) == 4 and len({r["input_hash"] for r in rows}) == 4  # the torn line was cut, 2 solved
    pd.testing.assert_frame_equal(stable(full), stable(read_table(out)))
    # a complete journal: nothing left to solve
    third = bs.run_batch(sw, workers=0, out=out, progress=False)
    assert third.attrs["resumed"] == 4
    assert len(jpath.read_bytes().splitlines()) == 4


def test_resume_after_sigkill(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "base: baseline\nparameters:\n  - path: budget.base_amount_wan\n"
        "    range: {from: 59000, to: 66000, steps: 8}\n    integer: true\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    cmd = [sys.executable, "-m", "budgetsim.cli", "batch", str(sweep), "--workers", "1", "--out", str(out),
           "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    jpath = journal_path(out)
    deadline = time.time() + 60
    while time.time() < deadline:
        if jpath.exists() and len(jpath.read_bytes().splitlines()) >= 2:
            break
        time.sleep(0.05)
    kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    os.kill(proc.pid, signal.SIGKILL)  # the batch, mid-run; its worker is orphaned
    proc.wait()
    gone_by = time.time() + 10
    while time.time() < gone_by and any(_alive(int(k)) for k in kids):
        time.sleep(0.1)
    assert not any(_alive(int(k)) for k in kids), "the workers of a killed batch must exit on their own"
    done_before = len(jpath.read_bytes().splitlines())
    assert 2 <= done_before < 8 and not out.exists()
    assert main(["batch", str(sweep), "--workers", "1", "--out", str(out), "--no-progress"]) == 0
    table = read_table(out)
    assert len(table) == 8 and table["input_hash"].is_unique
    assert (table["status"] == "optimal").all()
    rows = [json.loads(x) for x in jpath.read_bytes().splitlines() if x.endswith(b"}")]
    assert len({r["input_hash"] for r in rows}) == 8
    assert len(rows) <= 8 + 1  # at most the row being written at the kill is solved twice
    bs.run_batch(sweep, workers=0, progress=False, out=tmp_path / "fresh.csv")
    pd.testing.assert_frame_equal(stable(read_table(tmp_path / "fresh.csv")), stable(table))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_dask_equals_local():
    distributed = pytest.importorskip("distributed")
    sw = small_sweep(3)
    items = [sw, SCEN / "impossible_ambition.yaml"]
    local = bs.run_batch(items, workers=0, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = bs.run_batch(items, executor="dask", address=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(stable(local), stable(remote))


def test_outputs_parquet_csv_xlsx(tmp_path):
    sw = small_sweep(2)
    for ext in ("parquet", "csv", "xlsx"):
        out = tmp_path / f"r.{ext}"
        bs.run_batch(sw, workers=0, out=out, progress=False)
        t = read_table(out)
        assert len(t) == 2 and "performance" in t.columns and "in:budget.base_amount_wan" in t.columns


def test_streamed_file_equals_the_in_memory_table(tmp_path):
    items = [small_sweep(3), SCEN / "impossible_ambition.yaml", BAD_SCENARIO]
    memory = bs.run_batch(items, workers=0, progress=False)
    summary = bs.run_batch_to_file(items, tmp_path / "r.parquet", workers=0, progress=False)
    assert summary.n == 5 and summary.counts == {"optimal": 3, "infeasible": 1, "error": 1}
    streamed = read_table(tmp_path / "r.parquet")
    assert list(streamed.columns) == list(memory.columns)
    pd.testing.assert_frame_equal(stable(memory), stable(streamed), check_dtype=False)


def test_cli_bad_input_exits_2(tmp_path, capsys):
    bad = ROOT / "tests" / "bad_sweeps" / "unknown_path.yaml"
    assert main(["batch", str(bad), "--workers", "0", "--no-progress"]) == 2
    assert "parameters.0.path" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "missing.yaml"), "--no-progress"]) == 2
    assert main(["batch", str(SCEN / "baseline.yaml"), "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["batch", str(SCEN / "baseline.yaml"), "--executor", "dask"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["batch", str(SCEN / "baseline.yaml"), "--workers", "-1"])
    assert info.value.code == 2


def test_frontier_shows_diminishing_returns(tmp_path, capsys):
    df = bs.frontier(SCEN / "baseline.yaml", "budget.base_amount_wan", [59000, 61000, 63000, 65000])
    assert (df["status"] == "optimal").all()
    perf = df["performance"].to_numpy()
    assert np.all(np.diff(perf) > 0)
    marg = df["marginal_per_yi"].to_numpy()[1:]
    assert np.all(np.diff(marg) < 0)  # each extra 亿元 buys less
    assert df["marginal_per_yi"].iloc[1] == pytest.approx((perf[1] - perf[0]) / 0.2)
    out, chart = tmp_path / "f.csv", tmp_path / "f.html"
    code = main(["frontier", str(SCEN / "baseline.yaml"), "--param", "budget.base_amount_wan", "--from", "59000",
                 "--to", "65000", "--steps", "3", "--out", str(out), "--chart", str(chart)])
    assert code == 0
    assert len(pd.read_csv(out)) == 3
    assert "vega" in chart.read_text(encoding="utf-8")
    assert main(["frontier", str(SCEN / "baseline.yaml"), "--param", "budget.nope", "--from", "1", "--to", "2",
                 "--steps", "2"]) == 2
    assert "budget.nope" in capsys.readouterr().err


# ----------------------------------------------------------------- scripts without a __main__ guard


def test_an_unguarded_script_stops_at_once_with_one_sentence(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text("from budgetsim import run_batch\n"
                      f"df = run_batch([{str(SCEN / 'baseline.yaml')!r}], workers=2, progress=False)\n"
                      "print('should not get here')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert p.returncode == 1 and "should not get here" not in p.stdout
    assert "Traceback" not in p.stderr and "BrokenProcessPool" not in p.stderr
    assert p.stderr.count("\n") == 1 and 'if __name__ == "__main__":' in p.stderr and "workers=0" in p.stderr
    assert time.perf_counter() - t0 < 60


def test_the_guard_is_read_from_the_scripts_syntax(tmp_path):
    from budgetsim.batches.executors import _guarded

    script = tmp_path / "s.py"
    script.write_text("import x\n"            # 1
                      "def main():\n"         # 2
                      "    run()\n"           # 3
                      "main()\n"              # 4
                      "if __name__ == '__main__':\n"  # 5
                      "    main()\n"          # 6
                      "    other()\n"         # 7
                      "if '__main__' == __name__:\n"  # 8
                      "    main()\n")         # 9
    assert not _guarded(str(script), 4)
    assert _guarded(str(script), 6) and _guarded(str(script), 7) and _guarded(str(script), 9)
    assert not _guarded(str(script), 1)


def test_a_main_module_swapped_in_by_another_tool_is_not_taken_for_the_caller(tmp_path, monkeypatch):
    """Streamlit's AppTest (run earlier in the same process) leaves its script as the __main__
    module; run_batch is then called by the test runner, not by that script, and must run."""
    import types

    from budgetsim.batches.executors import check_main_guard

    script = tmp_path / "app_like.py"
    script.write_text("import budgetsim\nbudgetsim.run_batch([], workers=2)\n")  # unguarded, but not running
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    check_main_guard()  # no SystemExit: no frame of app_like.py is on the stack
