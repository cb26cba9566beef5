"""Labels and money formats (budgetsim.present.labels)."""

from __future__ import annotations

import math
import re

import pytest
from pathlib import Path

from budgetsim.present.labels import UI, fmt_money, label, t
from budgetsim.present.report import fmt_money as report_fmt_money

ROOT = Path(__file__).resolve().parent.parent


def test_every_ui_string_has_both_languages_and_the_same_fields():
    for key, (zh, en) in UI.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_key_the_app_uses_exists():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("([a-z_0-9]+)"', source))
    assert used and used <= set(UI), used - set(UI)


def test_money_in_wan_and_yi():
    assert fmt_money(4500) == "4,500 万元"
    assert fmt_money(63000) == "6.30 亿元"
    assert fmt_money(63000, "en") == "6.30 亿元 (100M yuan)"
    assert fmt_money(63000, "en", short=True) == "6.30 亿元"
    assert fmt_money(None) == "—" and fmt_money(math.nan) == "—"
    assert report_fmt_money is fmt_money  # one implementation


def test_scenario_labels(baseline):
    assert label(baseline, "categories", "basic_frontier", "zh") == "基础前沿类"
    assert label(baseline, "modes", "risk_pool", "en") == "Risk-compensation loan pool"
    assert t("kpi_performance", "en") == "Performance index"


def test_scenario_problems_in_chinese_keep_the_path_and_the_english_reason():
    import budgetsim as bs
    from budgetsim.present.labels import problem_text

    with pytest.raises(bs.ScenarioError) as err:
        bs.load_scenario_text("extends: baseline\nbudget:\n  base_amount_wan: -5\n  colour: red\n", "x")
    texts = {p.path: problem_text(p, "zh") for p in err.value.problems}
    assert texts["budget.base_amount_wan"].startswith("`budget.base_amount_wan`：应在区间 (0, ")
    assert "（当前值 -5）" in texts["budget.base_amount_wan"] and "原文：" in texts["budget.base_amount_wan"]
    assert texts["budget.colour"].startswith("`budget.colour`：无法识别的键“colour”；允许的键：")
    assert "原文：unexpected key 'colour'" in texts["budget.colour"]
    assert {problem_text(p, "en") for p in err.value.problems} == {str(p) for p in err.value.problems}
    odd = bs.Problem("rules.x", 1, "a reason nobody translated")
    assert problem_text(odd, "zh") == "`rules.x`：a reason nobody translated（当前值 1）"
