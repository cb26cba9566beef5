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
from budgetsim.present.compare import SHEETS, compare, differences, dotted, scenario_diff, scenario_diff_yaml, slug
from budgetsim.present.workbook import workbook_bytes
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


def test_tables_match_the_plans_and_one_reference(comparison, results):
    alloc = comparison.allocation
    for name, r in results.items():
        got = alloc[alloc["scenario"] == name]
        if r.ok:
            assert got["amount_wan"].sum() == pytest.approx(r.allocation["amount_wan"].sum(), rel=1e-9)
            per_year = got.groupby("year")["amount_wan"].sum()
            want = r.allocation.groupby("year")["amount_wan"].sum()
            np.testing.assert_allclose(per_year.to_numpy(), want.to_numpy(), rtol=1e-9)
        else:
            assert got["amount_wan"].isna().all()
    summary = comparison.summary.set_index("scenario")
    assert summary.loc["plus10", "performance"] > summary.loc["基准", "performance"]
    assert summary.loc["impossible", "status"] == "infeasible"
    assert "No plan satisfies" in summary.loc["impossible", "message"]
    # ONE reference: the baseline's status quo for every plan (not each plan's own, which scales with its budget)
    ref = results["基准"].status_quo_performance
    assert (summary["reference_performance"] == ref).all()
    assert summary.loc["plus10", "performance_diff"] == pytest.approx(summary.loc["plus10", "performance"] - ref)
    assert summary.loc["plus10", "status_quo_performance"] != pytest.approx(ref)
    ind = comparison.indicators
    firms = ind[ind["indicator"] == "new_hightech_firms"].set_index("scenario")
    # bars against the one reference: their ratio is the ratio of the plans' totals
    tot = {k: float(results[k].indicator_totals.set_index("indicator").loc["new_hightech_firms", "plan_total"])
           for k in ("基准", "plus10")}
    assert firms.loc["plus10", "relative"] / firms.loc["基准", "relative"] == pytest.approx(
        tot["plus10"] / tot["基准"], rel=1e-6)
    changes = comparison.changes
    assert set(changes.loc[changes["scenario"] == "plus10", "path"]) == {"budget.base_amount_wan"}
    assert set(changes.loc[changes["scenario"] == "impossible", "path"]) == {
        "rules.leverage_floor.min_ratio", "rules.indicator_targets.targets.transferred_results",
        "rules.indicator_targets.targets.new_hightech_firms",  # the relabelled floor is no parameter
        "rules.mode_share_max.enabled"}  # and it keeps the optional support-mode caps on
    assert changes.loc[changes["scenario"] == "基准"].empty
    labels = dict(zip(changes["path"], changes["parameter"]))
    assert labels["budget.base_amount_wan"] == "2026 年预算总额"
    assert labels["rules.leverage_floor.min_ratio"] == "杠杆率下限"
    rules = comparison.rules
    assert set(rules["rule"]) >= {"budget_envelope", "leverage_floor", "status_quo_band"}
    base_rules = rules[rules["scenario"] == "基准"].set_index("rule")
    assert base_rules.loc["leverage_floor", "setting"] == "杠杆率下限 1.00 倍"
    assert bool(base_rules.loc["budget_envelope", "binds"]) and not bool(base_rules.loc["leverage_floor", "binds"])


def test_a_pin_as_the_reference(results):
    c = compare(results, "zh", reference="plus10")
    s = c.summary.set_index("scenario")
    assert s.loc["plus10", "performance_diff"] == pytest.approx(0.0)
    assert s.loc["基准", "performance_diff"] == pytest.approx(s.loc["基准", "performance"] - s.loc["plus10", "performance"])
    a = c.allocation[c.allocation["scenario"] == "plus10"]
    np.testing.assert_allclose(a["diff_wan"].to_numpy(), 0.0, atol=1e-9)
    with pytest.raises(BudgetsimError, match="no solution"):
        compare(results, "zh", reference="impossible")
    with pytest.raises(BudgetsimError, match="unknown reference"):
        compare(results, "zh", reference="nope")


def test_differences_list_labelled_parameters_per_plan(comparison):
    d = differences(comparison)
    row = d.set_index("参数").loc["2026 年预算总额"]
    assert row["基准值"] == "60,000 万元" and row["plus10"] == "66,000 万元" and row["基准"] == "60,000 万元"
    assert d.set_index("参数").loc["杠杆率下限", "impossible"] == "4.00 倍"


def test_cli_compare_writes_the_apps_workbook(tmp_path, capsys):
    from budgetsim.present.workbook import sheet_names

    files = [SCENARIOS / "baseline.yaml", SCENARIOS / "budget_plus_10.yaml"]
    out = tmp_path / "cli.xlsx"
    assert main(["compare", *map(str, files), "--out", str(out)]) == 0
    results = {p.stem: bs.solve(p) for p in files}
    app = compare(results, "zh", explanations={n: bs.explain(r) for n, r in results.items()})
    cli_book = pd.read_excel(out, sheet_name=None, header=None)
    app_book = pd.read_excel(io.BytesIO(workbook_bytes(app)), sheet_name=None, header=None)
    assert list(cli_book) == list(app_book) == sheet_names("zh")
    for sheet in sheet_names("zh")[1:]:  # the cover holds the time it was made
        # duals of warm and cold solves agree to about 1e-4: the rule costs are compared at that precision
        pd.testing.assert_frame_equal(cli_book[sheet], app_book[sheet], check_exact=False, rtol=1e-3)


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
