"""The plan file (budgetsim.scenario.plans): Excel and CSV, round trips, every problem at its cell; the CLI."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import openpyxl
import pytest

import budgetsim as bs
from budgetsim.cli import EXIT_BREAKS_RULES, EXIT_INPUT, EXIT_OK, main
from budgetsim.scenario.plans import PlanError, plan_csv_text, read_plan, write_plan

from .conftest import BASELINE


@pytest.mark.parametrize("name,layout", [("p.xlsx", "wide"), ("p.csv", "wide"), ("p.csv", "long")])
def test_template_round_trips_through_check(tmp_path, baseline, baseline_result, name, layout):
    path = write_plan(baseline, baseline_result.x, tmp_path / name, layout=layout)
    plan = read_plan(baseline, path)
    np.testing.assert_allclose(plan.amounts, baseline_result.x, atol=0.005)
    c = bs.check(baseline, plan, optimum=baseline_result)
    got = c.plan.allocation.set_index(["category", "mode", "year"])["amount_wan"]
    for j, (cat, m) in enumerate(baseline.channels):
        for t, y in enumerate(baseline.years):
            assert got[(cat, m, y)] == pytest.approx(plan.amounts[j, t])
    assert c.keeps_rules  # rounding to 0.01 万元 breaks nothing
    assert c.performance == pytest.approx(baseline_result.performance, abs=1e-4)


def test_labels_in_either_language_and_gbk_csv(tmp_path, baseline):
    x = baseline.status_quo_allocation
    text = plan_csv_text(baseline, x, "zh").replace("basic_frontier,", ",").replace(",institutional,", ",,")
    (tmp_path / "gbk.csv").write_bytes(text.encode("gbk"))
    plan = read_plan(baseline, tmp_path / "gbk.csv")
    assert plan.encoding == "gbk"
    np.testing.assert_allclose(plan.amounts, x, atol=0.005)
    head, *rows = list(csv.reader(io.StringIO(plan_csv_text(baseline, x, "en"))))
    buf = io.StringIO()
    csv.writer(buf).writerows([head] + [r[:2] + ["", ""] + r[4:] for r in rows])  # English labels only
    (tmp_path / "en.csv").write_text(buf.getvalue(), encoding="utf-8")
    np.testing.assert_allclose(read_plan(baseline, tmp_path / "en.csv").amounts, x, atol=0.005)


def test_every_problem_is_listed_at_once_with_its_cell(tmp_path, baseline):
    path = write_plan(baseline, baseline.status_quo_allocation, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["plan"]
    ws["E3"] = -5                      # negative
    ws["F4"] = "abc"                   # not a number
    ws["G5"] = None                    # blank but required
    ws["A6"] = "nonsense"              # unknown category (its id column still names it)
    ws["C6"] = "nonsense"
    ws["D7"] = "risk_pool"             # ineligible for innovation support
    ws["B7"] = "风险补偿资金池（苏科贷等）"
    ws["J2"] = 2031                    # extra year
    ws["I2"] = None                    # missing year 2030
    wb.save(path)
    with pytest.raises(PlanError) as err:
        read_plan(baseline, path)
    text = str(err.value)
    for needle in ("plan!J2: year outside the plan", "missing year column(s) [2030]", "plan!E3: negative",
                   "plan!F4: not a number", "plan!G5: blank", "plan!A6: unknown category",
                   "plan!C6: unknown category", "plan!D7: support mode", "not eligible for 科技创新支撑类",
                   "no row for 科技创新支撑类 × 竞争性项目资助"):
        assert needle in text, text
    assert err.value.problems[0].path.startswith("plan!")


def test_wrong_sheet_missing_file_and_ending(tmp_path, baseline):
    path = write_plan(baseline, baseline.status_quo_allocation, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["plan"].title = "Sheet1"
    wb.save(path)
    with pytest.raises(PlanError, match="no sheet named 'plan'"):
        read_plan(baseline, path)
    with pytest.raises(PlanError, match="not found"):
        read_plan(baseline, tmp_path / "nope.xlsx")
    (tmp_path / "p.txt").write_text("x")
    with pytest.raises(PlanError, match=r"\.xlsx or \.csv"):
        read_plan(baseline, tmp_path / "p.txt")
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(PlanError, match="not an Excel"):
        read_plan(baseline, tmp_path / "junk.xlsx")


def test_long_csv_problems(tmp_path, baseline):
    text = plan_csv_text(baseline, baseline.status_quo_allocation, layout="long").splitlines()
    text[1] = text[1].replace(",2026,", ",2035,")     # a year outside the plan (and 2026 then missing)
    text.append(text[2])                              # the same channel-year twice
    (tmp_path / "l.csv").write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(PlanError) as err:
        read_plan(baseline, tmp_path / "l.csv")
    text = str(err.value)
    assert "B2: not a plan year" not in text and "C2: not a plan year" in text
    assert "already has a row" in text and "missing year(s) [2026]" in text


# ----------------------------------------------------------------------------- CLI


def test_cli_template_check_and_exit_codes(tmp_path, capsys):
    p = tmp_path / "p.xlsx"
    assert main(["plan-template", str(BASELINE), "--out", str(p)]) == EXIT_OK
    assert main(["check", str(BASELINE), "--plan", str(p), "--format", "json"]) == EXIT_OK
    d = json.loads(capsys.readouterr().out)
    assert d["keeps_rules"] and d["gap"] == pytest.approx(0.0, abs=1e-3)
    wb = openpyxl.load_workbook(p)
    ws = wb["plan"]
    assert ws["D4"].value == "competitive_grant" and ws["C4"].value == "basic_frontier" and ws["F2"].value == 2027
    assert ws["D3"].value == "institutional" and ws["C3"].value == "basic_frontier"
    # basic research, 2027: no new awards at all, so the category falls below its floor (only the
    # instalments of earlier awards are paid that year)
    ws["F3"] = 0
    ws["F4"] = 0
    wb.save(p)
    assert main(["check", str(BASELINE), "--plan", str(p), "--format", "json"]) == EXIT_BREAKS_RULES
    d = json.loads(capsys.readouterr().out)
    floor = [b for b in d["breaches"] if b["id"] == "category_share_min" and b["key"] == "basic_frontier"]
    assert len(floor) == 1 and floor[0]["year"] == 2027 and floor[0]["excess"] > 0
    assert d["gap"] > 0 and d["optimum"]["performance"] > d["performance"]
    assert main(["check", str(BASELINE), "--plan", str(tmp_path / "missing.xlsx")]) == EXIT_INPUT
    assert "plan file not found" in capsys.readouterr().err


def test_cli_solve_fix_years(tmp_path, capsys, baseline):
    p = tmp_path / "p.csv"
    x = baseline.status_quo_allocation
    write_plan(baseline, x, p)
    assert main(["solve", str(BASELINE), "--fix", str(p), "--fix-years", "2026", "--format", "json"]) == EXIT_OK
    d = json.loads(capsys.readouterr().out)
    got = {(a["category"], a["mode"], a["year"]): a["amount_wan"] for a in d["allocation"]}
    for j, (c, m) in enumerate(baseline.channels):
        assert got[(c, m, 2026)] == pytest.approx(round(x[j, 0], 2), abs=1e-6)
    assert max(abs(got[(c, m, 2028)] - x[j, 2]) for j, (c, m) in enumerate(baseline.channels)) > 100
    assert main(["solve", str(BASELINE), "--fix", str(p)]) == EXIT_INPUT
    assert main(["solve", str(BASELINE), "--fix", str(p), "--fix-years", "2040"]) == EXIT_INPUT
    assert "not plan years" in capsys.readouterr().err
