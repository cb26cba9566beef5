import json
import subprocess
import sys

import pytest

from budgetsim.cli import main

from .conftest import BASELINE, ROOT, SCENARIOS

BAD = ROOT / "tests" / "bad_scenarios"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_solve_json_has_the_promised_keys(capsys):
    code, out, _ = run(capsys, "solve", BASELINE, "--format", "json")
    assert code == 0
    d = json.loads(out)
    for key in ("status", "performance", "allocation", "indicators", "budget", "status_quo"):
        assert key in d
    assert d["status"] == "optimal"
    assert isinstance(d["performance"], float)
    rec = d["allocation"][0]
    assert {"category", "mode", "year", "amount_wan"} <= set(rec)
    # per year the on-budget allocation sums to at most the budget
    modes_off = {"tax_incentive"}
    for b in d["budget"]:
        spent = sum(r["cash_wan"] for r in d["allocation"] if r["year"] == b["year"] and r["mode"] not in modes_off)
        assert spent <= b["envelope_wan"] * (1 + 1e-9)
    assert d["performance"] > d["status_quo"]["performance"]
    assert {"performance", "allocation", "indicators", "budget"} <= set(d["status_quo"])


def test_solve_table_and_csv(capsys, tmp_path):
    code, out, _ = run(capsys, "solve", BASELINE, "--lang", "en")
    assert code == 0 and "Performance index" in out and "Risk-compensation pools" in out
    code, out, _ = run(capsys, "solve", BASELINE)
    assert code == 0 and "基础前沿类" in out
    dest = tmp_path / "plan.csv"
    code, _, err = run(capsys, "solve", BASELINE, "--format", "csv", "--out", dest)
    assert code == 0 and dest.read_text().startswith("category,mode,year,amount_wan")


def test_min_budget_objective(capsys):
    code, out, _ = run(capsys, "solve", BASELINE, "--objective", "min-budget", "--format", "json")
    assert code == 0
    assert json.loads(out)["objective"] == "min-budget"


def test_impossible_exits_3_with_one_clear_sentence(capsys):
    code, out, err = run(capsys, "solve", SCENARIOS / "impossible_ambition.yaml")
    assert code == 3
    assert "No plan satisfies all active rules" in err


@pytest.mark.parametrize("bad", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_validate_bad_files_exit_2_naming_the_path(capsys, bad):
    code, out, err = run(capsys, "validate", bad)
    assert code == 2
    assert str(bad) in err


def test_validate_good_files(capsys):
    code, out, _ = run(capsys, "validate", *sorted(SCENARIOS.glob("*.yaml")))
    assert code == 0 and out.count(": ok") == len(list(SCENARIOS.glob("*.yaml")))


def test_solve_bad_file_exits_2(capsys):
    code, _, err = run(capsys, "solve", BAD / "min_above_max.yaml")
    assert code == 2 and "min above max" in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "solve", tmp_path / "missing.yaml")
    assert code == 2 and "not found" in err


def test_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(BASELINE), "--objective", "max-fun"])
    assert info.value.code == 2


def test_scenarios_lists_bundled(capsys):
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    for p in SCENARIOS.glob("*.yaml"):
        assert p.name in out


def test_console_script_json_is_clean_stdout():
    """The HiGHS banner must not leak into machine-readable output."""
    proc = subprocess.run([sys.executable, "-m", "budgetsim.cli", "solve", str(BASELINE), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)


def test_running_out_of_time_has_its_own_exit_code(capsys):
    from budgetsim.cli import EXIT_TIME_LIMIT

    code, out, err = run(capsys, "solve", BASELINE, "--time-limit", "0.000001")
    assert code == EXIT_TIME_LIMIT == 5
    assert "ran out of time" in err and "Traceback" not in err
    code, _, err = run(capsys, "explain", BASELINE, "--time-limit", "0.000001")
    assert code == 5 and "ran out of time" in err
    with pytest.raises(SystemExit) as info:
        main(["solve", str(BASELINE), "--time-limit", "-1"])
    assert info.value.code == 2
    assert "5 the solver ran out of time" in sys.modules["budgetsim.cli"].__doc__


# ----------------------------------------------------------------------------- calibration (issue 14)


def test_records_template_round_trips_through_calibrate(capsys, tmp_path):
    r = tmp_path / "r.xlsx"
    code, _, err = run(capsys, "records-template", BASELINE, "--out", r)
    assert code == 0 and r.is_file() and "wrote" in err
    code, out, _ = run(capsys, "calibrate", BASELINE, "--records", r, "--out", tmp_path / "c.yaml", "--no-flips",
                       "--lang", "en")
    assert code == 0 and out.count("Prior dominates") == 19
    code, out, _ = run(capsys, "solve", tmp_path / "c.yaml", "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "optimal"


def test_calibrate_example_writes_scenario_and_report(capsys, tmp_path):
    records = SCENARIOS / "records" / "yangzhou_example_2016_2025.csv"
    c, html = tmp_path / "c.yaml", tmp_path / "c.html"
    code, out, err = run(capsys, "calibrate", BASELINE, "--records", records, "--out", c, "--report", html)
    assert code == 0 and c.is_file() and html.is_file(), err
    assert "绩效指数参照水平" in out and "<svg" in html.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "simulate", c, "--draws", "500", "--seed", "1", "--format", "json")
    assert code == 0 and json.loads(out)


def test_calibrate_bad_records_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("表 table,年度 year,专项类别 category,支持方式 mode,指标 indicator,项目编号 project,数值 value\n"
                   "支出,2024,基础前沿类,机构式资助,,,abc\n", encoding="utf-8")
    code, _, err = run(capsys, "calibrate", BASELINE, "--records", bad, "--out", tmp_path / "c.yaml")
    assert code == 2 and "bad.csv line 2, 数值 value: amount (万元): text in a number cell" in err
    code, _, err = run(capsys, "records-template", BASELINE, "--out", tmp_path / "r.txt")
    assert code == 2 and "allowed endings are .xlsx, .csv" in err
    assert not (tmp_path / "c.yaml").exists()
