"""Records files: the template round-trips, and every bad file gets its message with its cell."""

from __future__ import annotations

import openpyxl
import pytest

from budgetsim.analysis.calibration import status_quo_records
from budgetsim.scenario.records import RecordsError, read_records, records_csv, template_csv, template_rows, \
    write_template

from .conftest import SCENARIOS

EXAMPLE = SCENARIOS / "records" / "yangzhou_example_2016_2025.csv"
HEAD = "表 table,年度 year,专项类别 category,支持方式 mode,指标 indicator,项目编号 project,数值 value,备注 note\n"


def _csv(tmp_path, body: str, name="r.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes((HEAD + body).encode(encoding))
    return p


def _problems(path, scenario) -> list[str]:
    with pytest.raises(RecordsError) as err:
        read_records(path, scenario)
    return [str(p) for p in err.value.problems]


def test_xlsx_template_round_trips(baseline, tmp_path):
    path = write_template(baseline, tmp_path / "r.xlsx", status_quo_records(baseline))
    wb = openpyxl.load_workbook(path)
    assert {"说明 readme", "代码表 codes", "支出 spending", "产出 outcomes", "项目 projects"} <= set(wb.sheetnames)
    assert wb["支出 spending"]["A1"].value == "年度 year"
    assert wb["支出 spending"]["B2"].value == "基础前沿类"  # Chinese labels, not ids
    rec = read_records(path, baseline)
    sq = status_quo_records(baseline)
    assert rec.years == [baseline.spec.status_quo.base_year]
    assert rec.spending["amount_wan"].sum() == pytest.approx(sq.spending["amount_wan"].sum(), rel=1e-4)
    assert len(rec.outcomes) == len(sq.outcomes) and len(rec.sha256) == 64


def test_csv_template_and_example_read(baseline, tmp_path):
    path = write_template(baseline, tmp_path / "r.csv", status_quo_records(baseline))
    assert path.read_text(encoding="utf-8").startswith("表 table")
    assert len(read_records(path, baseline).spending) == len(baseline.channels)
    rec = read_records(EXAMPLE, baseline)
    assert rec.years == list(range(2016, 2026))
    firms = rec.outcomes.query("year == 2022 and indicator == 'new_hightech_firms'")["value"].sum()
    assert firms == 214  # 30 % (assumed) of the 712 firms newly recognised in 2022
    rd = rec.outcomes.query("year == 2022 and indicator == 'rd_induced'")["value"].sum()
    assert rd == pytest.approx(176_000, abs=3)  # 10 % (assumed) of the city's 17.6 bn yuan R&D
    again = tmp_path / "again.csv"
    again.write_text(records_csv(rec, baseline), encoding="utf-8")
    assert read_records(again, baseline).outcomes["value"].sum() == pytest.approx(rec.outcomes["value"].sum())


def test_gbk_csv_is_read(baseline, tmp_path):
    p = _csv(tmp_path, "支出,2024,基础前沿类,机构式资助,,,100,\n支出,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,,,80,\n"
             "产出,2024,基础前沿类,,发明专利授权,,30,\n", encoding="gbk")
    rec = read_records(p, baseline)
    assert rec.spending["amount_wan"].sum() == 180 and rec.outcomes["value"].iloc[0] == 30
    assert any("GB18030" in w for w in rec.warnings), rec.warnings  # read, with a notice naming the encoding


def test_every_problem_at_once_with_its_cell(baseline, tmp_path):
    body = ("支出,2023,基础前沿类,机构式资助,,,100,\n"
            "支出,2023,no_such_category,机构式资助,,,100,\n"          # line 3: unknown category
            "支出,2023,基础前沿类,风险补偿资金池（苏科贷等）,,,50,\n"     # line 4: mode not eligible
            "支出,2023,基础前沿类,机构式资助,,,90,\n"                  # line 5: duplicate of line 2
            "支出,2024,基础前沿类,机构式资助,,,-5,\n"                  # line 6: negative spend
            "支出,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,,,一百,\n"  # line 7: text in a number cell
            "支出,2026,基础前沿类,机构式资助,,,100,\n"                 # line 8: a plan year, and 2025 is missing
            "产出,2023,基础前沿类,,专利数,,12,\n"                      # line 9: unknown indicator
            "产出,2023,基础前沿类,,新增高新技术企业,,3,\n"              # line 10: no such curve in the category
            "账本,2023,基础前沿类,,,,1,\n")                            # line 11: unknown table
    msgs = _problems(_csv(tmp_path, body), baseline)
    text = "\n".join(msgs)
    assert "r.csv line 3, 专项类别 category: unknown category" in text and "basic_frontier (基础前沿类)" in text
    assert "line 4, 支持方式 mode" in text and "not eligible" in text
    assert "r.csv line 5: duplicate row" in text and "line 2" in text
    assert "line 6, 数值 value: amount (万元): must not be negative (got '-5')" in text
    assert "line 7, 数值 value: amount (万元): text in a number cell" in text and "(got '一百')" in text
    assert "r.csv: records are for past years: the plan starts in 2026" in text
    assert "r.csv: missing years in the spending table" in text and "(got [2025])" in text
    assert "line 9, 指标 indicator: unknown indicator" in text
    assert "line 10, 指标 indicator" in text and "has no response curve for 'new_hightech_firms'" in text
    assert "line 11, 表 table: unknown table" in text
    assert len(msgs) >= 10


def test_xlsx_cells_are_named(baseline, tmp_path):
    rows = template_rows(baseline)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "支出 spending"
    for r in rows["spending"] + [[2024, "基础前沿类", "机构式资助", "n/a"], [2024, "基础前沿类", "竞争性项目资助（揭榜制、包干制）", 5]]:
        ws.append(r[:4])
    out = wb.create_sheet("产出 outcomes")
    out.append(rows["outcomes"][0][:4])
    out.append([2024, "basic_frontier", "invention_patents", 3])
    wb.save(tmp_path / "bad.xlsx")
    msgs = _problems(tmp_path / "bad.xlsx", baseline)
    assert any(m.startswith("支出 spending!D2: amount (万元): text in a number cell") for m in msgs), msgs


def test_missing_sheet_and_column(baseline, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "支出"
    wb.active.append(["年度", "专项类别", "金额（万元）"])
    wb.save(tmp_path / "bad.xlsx")
    msgs = "\n".join(_problems(tmp_path / "bad.xlsx", baseline))
    assert "needs a column '支持方式 mode'" in msgs
    assert "no sheet named '产出' (or 'outcomes')" in msgs


def test_projects_fill_outcomes(baseline, tmp_path):
    body = ("支出,2024,基础前沿类,机构式资助,,,100,\n支出,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,,,80,\n"
            "项目,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,,P1,50,\n"
            "项目,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,发明专利授权,P1,7,\n"
            "项目,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,,P2,60,\n"
            "项目,2024,基础前沿类,竞争性项目资助（揭榜制、包干制）,发明专利授权,P2,4,\n")
    rec = read_records(_csv(tmp_path, body), baseline)
    row = rec.outcomes.iloc[0]
    assert (row["indicator"], row["value"], row["origin"]) == ("invention_patents", 11, "projects")
    assert any("more than the 80 万元 spent" in w for w in rec.warnings)


def test_template_csv_has_the_tidy_columns(baseline):
    text = template_csv(template_rows(baseline, status_quo_records(baseline)))
    assert text.splitlines()[0] == HEAD.strip()
    assert text.count("\n支出,") == len(baseline.channels)


def test_gaps_orphans_and_duplicate_projects(baseline, tmp_path):
    body = ("支出,2023,基础前沿类,机构式资助,,,100,\n支出,2023,基础前沿类,竞争性项目资助（揭榜制、包干制）,,,80,\n"
            "支出,2024,基础前沿类,机构式资助,,,100,\n"                       # competitive grant missing in 2024
            "产出,2022,基础前沿类,,发明专利授权,,5,\n"                        # outcomes in a year without spending
            "项目,2023,基础前沿类,竞争性项目资助（揭榜制、包干制）,,P1,10,\n"
            "项目,2023,基础前沿类,竞争性项目资助（揭榜制、包干制）,,P1,12,\n")  # the same project's amount twice
    text = "\n".join(_problems(_csv(tmp_path, body), baseline))
    assert "spending for basic_frontier × competitive_grant has no row for these years" in text and "[2024]" in text
    assert "outcomes for years without spending rows" in text and "[2022]" in text
    assert "r.csv line 7, 数值 value" in text and "project 'P1' already has its amount at r.csv line 6" in text


def test_calibration_priors_are_checked(baseline):
    import budgetsim as bs
    with pytest.raises(bs.ScenarioError) as err:
        baseline.with_changes({"calibration.priors": [{"indicator": "rd_induced", "elasticity": {"mean": 1.5, "sd": 0.1}}]})
    assert "calibration.priors.0.elasticity.mean" in str(err.value) and "[0.001, 0.999]" in str(err.value)
    with pytest.raises(bs.ScenarioError) as err:
        baseline.with_changes({"calibration.priors": [
            {"category": "basic_frontier", "indicator": "new_hightech_firms", "elasticity": {"mean": 0.5, "sd": 0.1}},
            {"indicator": "no_such", "elasticity": {"mean": 0.5, "sd": 0.1}, "source": "nowhere"},
            {"category": "*"}]})
    text = str(err.value)
    assert "calibration.priors.0.indicator" in text and "has no curve for it" in text
    assert "calibration.priors.1.indicator: unknown indicator id" in text
    assert "calibration.priors.1.source: unknown reference id" in text
    assert "calibration.priors.2: give at least one of elasticity, saturation, level_sd" in text
