"""The meeting workbook (budgetsim.present.workbook), read back as a colleague's Excel would: openpyxl."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

import budgetsim as bs
from budgetsim.cli import main
from budgetsim.version import __version__

from .conftest import SCENARIOS

FILES = [SCENARIOS / f"{n}.yaml" for n in ("baseline", "budget_plus_10", "impossible_ambition")]


@pytest.fixture(scope="module")
def book_zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("wb") / "c.xlsx"
    assert main(["compare", *map(str, FILES), "--out", str(out)]) == 0
    return load_workbook(out)


def _rows(ws):
    return [[c for c in row] for row in ws.iter_rows()]


def _blocks(ws):
    """The allocation sheet's plan blocks: {plan name: (header, [rows of cells])}."""
    blocks, name, header = {}, None, None
    for row in _rows(ws):
        first = row[0].value
        if isinstance(first, str) and first.startswith("方案："):
            name, header = first.removeprefix("方案：").split("（")[0], None
            blocks[name] = (None, [])
        elif name and first == "专项类别":
            header = [c.value for c in row]
            blocks[name] = (header, [])
        elif name and header and first is not None and not str(first).startswith("*"):
            blocks[name][1].append(row)
    return blocks


def test_sheets_are_chinese_and_the_cover_says_where_figures_come_from(book_zh):
    assert book_zh.sheetnames == ["封面", "主要结果", "分配方案", "指标", "规则", "参数变动", "数据来源"]
    cover = {r[0].value: [c.value for c in r[1:]] for r in _rows(book_zh["封面"]) if r[0].value}
    assert cover["budgetsim 版本"][0] == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", cover["生成时间"][0])
    assert cover["对比参照"][0].startswith("现状")
    for name in ("baseline", "budget_plus_10", "impossible_ambition"):
        row = cover[name]
        assert re.fullmatch(r"[0-9a-f]{64}", row[5])  # input hash
        assert re.fullmatch(r"示例假设 \d+ 项 / 共 \d+ 项", row[4])
    assert cover["预算规模"][0] == "budget"  # the illustrative envelope is named
    assert "响应曲线：基础前沿类 → 高水平原创成果" in cover


def test_allocation_has_years_as_columns_and_totals_that_add_up(book_zh):
    ws = book_zh["分配方案"]
    blocks = _blocks(ws)
    assert set(blocks) >= {"baseline", "budget_plus_10", "impossible_ambition"}
    assert blocks["impossible_ambition"][0] is None  # no plan: no figures, a note instead
    for name in ("baseline", "budget_plus_10"):
        header, rows = blocks[name]
        assert header[2:7] == ["2026", "2027", "2028", "2029", "2030"]
        assert header[7] == "规划期合计"
        r = bs.solve(SCENARIOS / f"{name}.yaml")
        mode_rows, subtotal_rows, total = [], [], None
        pending = []
        for row in rows:
            values = [c.value for c in row[2:10]]
            assert all(isinstance(v, (int, float)) for v in values), (name, row[0].value, values)
            for c in row[2:10]:
                assert c.number_format == "#,##0"
            label_ = row[0].value
            if label_.endswith("小计"):
                sums = [sum(p[k] for p in pending) for k in range(8)]
                assert values == pytest.approx(sums, rel=1e-12, abs=1e-9)
                subtotal_rows.append(values)
                pending = []
            elif label_ == "预算资金合计":
                total = values
            elif total is None:
                pending.append(values)
                mode_rows.append(values)
        assert total == pytest.approx([sum(s[k] for s in subtotal_rows) for k in range(8)], rel=1e-12)
        # the budget total is the plan's budget, year by year and over the plan
        assert total[:5] == pytest.approx(list(r.budget["allocated_wan"]), rel=1e-9)
        assert total[5] == pytest.approx(sum(total[:5]), rel=1e-12)
        for v in mode_rows:  # plan total = the years; difference = plan total − reference
            assert v[5] == pytest.approx(sum(v[:5]), rel=1e-12, abs=1e-9)
            assert v[7] == pytest.approx(v[5] - v[6], abs=1e-6)


def test_formats_rules_and_changes(book_zh):
    summary = {r[0].value: r for r in _rows(book_zh["主要结果"])}
    perf = summary["绩效指数"]
    assert isinstance(perf[2].value, float) and perf[2].number_format == "0.00"
    assert summary["安排预算（万元）"][2].number_format == "#,##0"
    assert summary["杠杆率（倍）"][2].number_format == '0.00"×"'
    # every plan against the same reference: the baseline's status quo
    assert summary["较参照（分）"][2].value == pytest.approx(perf[2].value - perf[1].value)
    assert summary["较参照（分）"][3].value == pytest.approx(summary["绩效指数"][3].value - perf[1].value)
    inds = _rows(book_zh["指标"])
    assert inds[0][0].value == "指标"
    firms = next(r for r in inds if r[0].value == "新增高新技术企业")
    assert firms[2].value == 900 and firms[4].number_format == "#,##0"
    rules = _rows(book_zh["规则"])
    head = [c.value for c in rules[0]]
    assert head[:5] == ["方案", "规则", "启用", "规则设定", "是否卡住方案"]
    by = {(r[0].value, r[1].value): [c.value for c in r] for r in rules[1:]}
    lev = by[("baseline", "发挥财政资金杠杆效应（撬动外部资金 ≥ 1 倍）")]
    assert lev[3] == "杠杆率下限 1.00 倍" and lev[4] == "否"
    targets = by[("baseline", "规划期产出目标")]
    assert targets[4] == "是" and "900 家 → 890 家" in targets[5]
    assert isinstance(targets[6], float) and targets[6] > 0 and targets[7] > 0  # points, and 万元 equivalent
    changes = _rows(book_zh["参数变动"])
    assert [c.value for c in changes[0]] == ["方案", "参数", "单位", "基准值", "方案值"]
    got = {(r[0].value, r[1].value): r for r in changes[1:]}
    env = got[("budget_plus_10", "2026 年预算总额")]
    assert env[2].value == "万元" and env[3].value == 60000 and env[4].value == 66000
    assert env[4].number_format == "#,##0"
    assert got[("impossible_ambition", "杠杆率下限")][4].value == 4.0
    assert not any("." in str(r[1].value) and "_" in str(r[1].value) for r in changes[1:])  # no dotted paths


def test_english_workbook(tmp_path):
    out = tmp_path / "en.xlsx"
    assert main(["compare", *map(str, FILES[:2]), "--out", str(out), "--lang", "en"]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["Cover", "Summary", "Allocation", "Indicators", "Rules", "Changes", "Inputs"]
    rows = {r[0].value: r for r in wb["Changes"].iter_rows()}
    assert "budget_plus_10" in rows and rows["budget_plus_10"][1].value == "2026 budget envelope"


def test_a_share_change_is_a_percentage(tmp_path, baseline):
    from budgetsim.present.compare import compare
    from budgetsim.present.workbook import write_workbook

    s = baseline.with_changes({"rules.category_share_min.shares.basic_frontier": 0.15})
    c = compare({"floor15": bs.solve(s)}, "zh")
    wb = load_workbook(write_workbook(c, tmp_path / "s.xlsx"))
    row = next(r for r in wb["参数变动"].iter_rows() if r[0].value == "floor15")
    assert row[1].value == "基础前沿类 占比下限" and row[4].value == 0.15 and row[4].number_format == "0.0%"
