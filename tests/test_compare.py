"""Comparisons, workbooks, CSV and YAML diffs (budgetsim.present.compare) and the ``budgetsim compare`` CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import yaml

import budgetsim as bs
from budgetsim.cli import main
from budgetsim.present.compare import (SHEETS, compare, dotted, scenario_diff, scenario_diff_yaml, slug, workbook_bytes,
                               write_workbook)
from budgetsim.exceptions import BudgetsimError
from budgetsim.present.levers import apply_levers

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def results(baseline_result):
    return {
        "基准": baseline_result,
        "plus10": bs.solve(SCENARIOS / "budget_plus_10.yaml"),
        "impossible": bs.solve(SCENARIOS / "impossible_ambition.yaml"),
    }


@pytest.fixture(scope="module")
def comparison(results):
    return compare(results, "zh")


def test_workbook_has_every_sheet_and_allocations_match_the_plans(comparison, results, tmp_path):
    path = write_workbook(comparison, tmp_path / "c.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == list(SHEETS)
    alloc = book["allocation"]
    for name, r in results.items():
        got = alloc[alloc["scenario"] == name]
        if r.ok:
            assert got["amount_wan"].sum() == pytest.approx(r.allocation["amount_wan"].sum(), rel=1e-9)
            per_year = got.groupby("year")["amount_wan"].sum()
            want = r.allocation.groupby("year")["amount_wan"].sum()
            np.testing.assert_allclose(per_year.to_numpy(), want.to_numpy(), rtol=1e-9)
        else:
            assert got["amount_wan"].isna().all()
    summary = book["summary"].set_index("scenario")
    assert summary.loc["plus10", "performance"] > summary.loc["基准", "performance"]
    assert summary.loc["impossible", "status"] == "infeasible"
    assert "No plan satisfies" in summary.loc["impossible", "message"]
    changes = book["changes"]
    assert set(changes.loc[changes["scenario"] == "plus10", "path"]) == {"budget.base_amount_wan"}
    assert set(changes.loc[changes["scenario"] == "impossible", "path"]) == {
        "rules.leverage_floor.min_ratio", "rules.indicator_targets.targets.transferred_results",
        "rules.indicator_targets.targets.new_hightech_firms",
        "rules.leverage_floor.label_zh", "rules.leverage_floor.label_en",  # the variant relabels its floor
        "rules.mode_share_max.enabled"}  # and keeps the optional support-mode caps on
    assert changes.loc[changes["scenario"] == "基准"].empty
    rules = book["rules"]
    assert set(rules["rule"]) >= {"budget_envelope", "leverage_floor", "status_quo_band"}


def test_workbook_bytes_and_file_hold_the_same_tables(comparison, tmp_path):
    from_bytes = pd.read_excel(io.BytesIO(workbook_bytes(comparison)), sheet_name=None)
    from_file = pd.read_excel(write_workbook(comparison, tmp_path / "w.xlsx"), sheet_name=None)
    for sheet in SHEETS:
        pd.testing.assert_frame_equal(from_bytes[sheet], from_file[sheet])


def test_cli_compare_writes_the_apps_workbook(tmp_path, capsys):
    files = [SCENARIOS / "baseline.yaml", SCENARIOS / "budget_plus_10.yaml"]
    out = tmp_path / "cli.xlsx"
    assert main(["compare", *map(str, files), "--out", str(out)]) == 0
    cli_book = pd.read_excel(out, sheet_name=None)
    app_book = pd.read_excel(io.BytesIO(workbook_bytes(compare(
        {p.stem: bs.solve(p) for p in files}, "zh"))), sheet_name=None)
    assert list(cli_book) == list(app_book) == list(SHEETS)
    for sheet in SHEETS:
        pd.testing.assert_frame_equal(cli_book[sheet], app_book[sheet], check_exact=False, rtol=1e-7)


def test_cli_compare_writes_charts(tmp_path):
    files = [str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "leverage_push.yaml")]
    assert main(["compare", *files, "--format", "csv", "--out", str(tmp_path / "s.csv"),
                 "--charts", str(tmp_path / "png"), "--lang", "en"]) == 0
    for name in ("comparison_allocation", "comparison_indicators"):
        assert (tmp_path / "png" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_compare_csv_and_bad_input(tmp_path, capsys):
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), "--format", "csv", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    df = pd.read_csv(io.StringIO(text))
    assert list(df["scenario"]) == ["baseline"] and df.loc[0, "objective_label"] == "Best performance for the budget"
    assert main(["compare", str(SCENARIOS / "baseline.yaml")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["compare", *[str(SCENARIOS / "baseline.yaml")] * 6, "--format", "csv"]) == 2
    assert "at most 5" in capsys.readouterr().err


def test_compare_refuses_nothing_and_too_many(baseline_result):
    with pytest.raises(BudgetsimError, match="at least one"):
        compare({})
    with pytest.raises(BudgetsimError, match="at most 5"):
        compare({str(i): baseline_result for i in range(6)})


def test_csv_tables(comparison):
    for sheet in SHEETS:
        df = pd.read_csv(io.StringIO(comparison.csv(sheet)))
        assert "scenario" in df.columns
    with pytest.raises(BudgetsimError, match="allowed"):
        comparison.csv("nope")


# ----------------------------------------------------------------------------- YAML diffs


def test_diff_lists_only_changed_paths(baseline):
    s, _ = apply_levers(baseline, {"budget.growth_rate": 7.0, "rules.leverage_floor.enabled": False,
                                   "rules.category_share_min.shares.basic_frontier": 15.0})
    doc = scenario_diff(s, baseline, new_id="my_plan", title="我的方案")
    assert doc["extends"] == "baseline" and doc["id"] == "my_plan" and doc["title"]["zh"] == "我的方案"
    changed = dotted({k: v for k, v in doc.items() if k not in ("extends", "id", "title", "description")})
    assert changed == {"budget.growth_rate": 0.07, "rules.leverage_floor.enabled": False,
                       "rules.category_share_min.shares.basic_frontier": 0.15}


@pytest.mark.parametrize("base_name", ["baseline", "budget_plus_10"])
def test_diff_yaml_round_trip_gives_the_same_plan(base_name, tmp_path, capsys):
    base = bs.load_scenario(SCENARIOS / f"{base_name}.yaml")
    s, changes = apply_levers(base, {"budget.growth_rate": 8.0, "rules.leverage_floor.min_ratio": 1.5,
                                     "dimensions.quality.weight": 0.5,
                                     "rules.indicator_targets.targets.transferred_results": 90.0})
    assert len(changes) == 4
    text = scenario_diff_yaml(s, base, new_id=slug("方案 A"), title="方案 A")
    assert f"extends: {base_name}" in text and "budgetsim solve" in text
    doc = yaml.safe_load(text)
    assert "modes" not in doc and "categories" not in doc  # a diff, not a copy
    path = tmp_path / "plan_a.yaml"
    path.write_text(text, encoding="utf-8")
    want = bs.solve(s)
    got = bs.solve(bs.load_scenario(path))
    assert got.ok and want.ok
    np.testing.assert_allclose(got.x, want.x, atol=1e-6)
    # and through the CLI, as a user would
    assert main(["solve", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["performance"] == pytest.approx(want.performance, abs=1e-9)


def test_diff_of_a_standalone_scenario_is_the_whole_document(baseline):
    doc = scenario_diff(baseline)
    assert "extends" not in doc and "categories" in doc


def test_diff_keeps_a_changed_curve_whole(baseline):
    s = baseline.with_changes(diff={"categories": {"basic_frontier": {"response": {
        "original_results": {"curve": "saturating_exp", "max": 150, "scale": 10000}}}}})
    doc = scenario_diff(s, baseline)
    assert doc["categories"]["basic_frontier"]["response"]["original_results"] == {
        "curve": "saturating_exp", "max": 150, "scale": 10000}


def test_slug():
    assert slug("方案 1") == "方案_1"
    assert slug("  ") == "scenario"
    assert slug("a/b:c") == "a_b_c"
