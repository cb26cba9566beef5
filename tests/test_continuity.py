"""Continuity: the plan starts from last year's actual and moves within bands."""

import json

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.cli import main as cli_main
from budgetsim.model.continuity import base_year_decisions

from .conftest import BASELINE
from .rulecheck import violations


def test_stability_block_in_the_solve_json(capsys):
    """Must show 2: no channel-year moves beyond the band, 2026 within the band of 2025."""
    assert cli_main(["solve", str(BASELINE), "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)["stability"]
    assert st["base_year"] == 2025 and st["first_year"] == 2026
    assert st["band"] == pytest.approx(0.3)
    assert st["moves_above_band"] == 0 and st["moves_above_band_list"] == []
    assert abs(st["largest_change"]["change"]) <= st["band"] + 1e-6
    assert st["switches"] == 0
    for c, v in st["category_change_from_base"].items():
        assert abs(v["change"]) <= 0.2 + 1e-6, c  # category smoothing from 2025
    assert st["budget_change_from_base"] >= 0.03 - 1e-9


def test_first_plan_year_is_tied_to_the_status_quo_year(baseline_result):
    r = baseline_result
    base = base_year_decisions(r.scenario)
    first = r.x[:, 0]
    on = np.array([r.scenario.mode(m).on_budget for _, m in r.scenario.channels])
    rel = first[on] / base[on] - 1
    assert np.all(np.abs(rel) <= 0.3 + 1e-6)


def test_least_budget_never_cuts_below_the_growth_floor_from_last_year(baseline):
    """Must show 3: min-budget 2026 ≥ 2025 actual × (1 + min_growth)."""
    r = bs.solve(baseline, "min-budget")
    assert r.ok and violations(r) == []
    floor = baseline.spec.status_quo.budget_wan * (1 + baseline.rule("budget_growth_floor").min_growth)
    spent = r.budget["allocated_wan"].to_numpy()
    assert spent[0] >= floor - 1e-6 * floor
    assert np.all(np.diff(spent) >= 0)


def test_a_tighter_band_never_raises_performance(baseline):
    perf = []
    for band in (0.5, 0.3, 0.15):
        r = bs.solve(baseline.with_changes({"rules.channel_band.max_change": band}))
        assert r.ok and violations(r) == []
        perf.append(r.performance)
    assert perf[0] >= perf[1] - 1e-6 and perf[1] >= perf[2] - 1e-6


def test_stable_support_is_never_switched_off(baseline):
    s = baseline.with_changes({"rules.channel_band.enabled": False})
    r = bs.solve(s)
    assert r.ok and violations(r) == []
    keep = s.rule("stable_support_continuity").min_keep
    base = base_year_decisions(s)
    for j, (c, m) in enumerate(s.channels):
        if s.mode(m).support_type == "stable":
            row = np.concatenate(([base[j]], r.x[j]))
            assert np.all(row[1:] >= keep * row[:-1] - 1e-6), (c, m)
            assert np.all(row > 0)


def test_a_channel_new_in_the_plan_starts_small(baseline):
    """A channel unfunded in the status-quo year may start with at most start_wan."""
    split = {c: dict(v) for c, v in baseline.spec.status_quo.split.items()}
    moved = split["talent_environment"].pop("guidance_fund")
    split["talent_environment"]["competitive_grant"] += moved
    s = baseline.with_changes({"status_quo.split": split})
    r = bs.solve(s)
    assert r.ok and violations(r) == []
    j = s.channels.index(("talent_environment", "guidance_fund"))
    assert r.x[j, 0] <= s.rule("channel_band").start_wan + 1e-6
    st = r.stability
    assert st["switches"] <= 1  # at most its start
