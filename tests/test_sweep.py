"""Sweep files: parsing, expansion (grid, zip, Latin hypercube) and validation messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from budgetsim import SweepError, load_sweep
from budgetsim.batches.sweep import bundled_sweeps, sweep_from_dict

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad_sweeps"


def test_bundled_sweeps_load_and_expand():
    paths = {p.stem: p for p in bundled_sweeps()}
    assert {"budget_x_basic_floor", "uncertainty_lhs"} <= set(paths)
    grid = load_sweep(paths["budget_x_basic_floor"])
    pts = list(grid.points())
    assert len(grid) == len(pts) == 40
    assert pts[0].changes == {"budget.base_amount_wan": 59000, "rules.category_share_min.shares.basic_frontier": 0.10}
    assert pts[-1].changes == {"budget.base_amount_wan": 68100, "rules.category_share_min.shares.basic_frontier": 0.35}
    assert len({tuple(p.changes.values()) for p in pts}) == 40
    # every point is a valid scenario with the change applied
    s = next(grid.scenarios())
    assert s.spec.budget.base_amount_wan == 59000
    assert s.rule("category_share_min").shares["basic_frontier"] == pytest.approx(0.10)


def test_lhs_is_a_latin_hypercube_and_reproducible():
    sw = load_sweep(ROOT / "scenarios" / "sweeps" / "uncertainty_lhs.yaml")
    a = [p.changes for p in sw.points()]
    b = [p.changes for p in load_sweep(ROOT / "scenarios" / "sweeps" / "uncertainty_lhs.yaml").points()]
    assert a == b and len(a) == sw.spec.samples == 40
    for p in sw.spec.parameters:
        vals = np.array([c[p.path] for c in a], dtype=float)
        lo, hi = p.range.start, p.range.stop
        assert vals.min() >= lo - 1 and vals.max() <= hi + 1
        strata = np.floor((vals - lo) / (hi - lo) * len(vals)).clip(0, len(vals) - 1)
        if not p.integer:  # one point in each of the N equal strata
            assert sorted(strata.astype(int)) == list(range(len(vals)))
    assert all(isinstance(c["budget.base_amount_wan"], int) for c in a)


def test_lhs_seed_changes_points():
    doc = {"base": "baseline", "design": "lhs", "samples": 5, "seed": 1,
           "parameters": [{"path": "rules.leverage_floor.min_ratio", "range": {"from": 0.5, "to": 2.0}}]}
    a = [p.changes for p in sweep_from_dict(doc).points()]
    b = [p.changes for p in sweep_from_dict({**doc, "seed": 2}).points()]
    assert a != b


def test_zip_pairs_values():
    doc = {"base": "baseline", "design": "zip", "parameters": [
        {"path": "budget.base_amount_wan", "values": [50000, 70000]},
        {"path": "rules.leverage_floor.min_ratio", "values": [1.0, 2.0]}]}
    sw = sweep_from_dict(doc)
    assert [p.changes for p in sw.points()] == [
        {"budget.base_amount_wan": 50000, "rules.leverage_floor.min_ratio": 1.0},
        {"budget.base_amount_wan": 70000, "rules.leverage_floor.min_ratio": 2.0}]


def test_range_is_inclusive_linspace():
    sw = sweep_from_dict({"base": "baseline", "parameters": [
        {"path": "rules.leverage_floor.min_ratio", "range": {"from": 1.0, "to": 2.0, "steps": 3}}]})
    assert [p.changes["rules.leverage_floor.min_ratio"] for p in sw.points()] == [1.0, 1.5, 2.0]


BAD_FILES = [
    ("unknown_path.yaml", r"parameters\.0\.path: not a path of the base scenario 'baseline'.*base_amount_wan"),
    ("unknown_key.yaml", r"designn: unexpected key 'designn'; allowed keys are \[.*'design'"),
    ("lhs_no_seed.yaml", r"seed: design 'lhs' needs a seed"),
    ("range_reversed.yaml", r"parameters\.0\.range\.to: must be ≥ from \(3\.0\) \(got 1\.0\)"),
    ("values_and_range.yaml", r"parameters\.0: give exactly one of 'values'"),
    ("zip_lengths.yaml", r"parameters: design 'zip' pairs values element by element"),
    ("unknown_base.yaml", r"base: unknown base scenario; known: \[.*'baseline'.*\(got 'no_such_scenario'\)"),
    ("not_a_number.yaml", r"parameters\.0\.values\.1: must be a number like the base value \(0\.1\) \(got 'lots'\)"),
    ("points_at_mapping.yaml", r"parameters\.0\.path: points at a mapping"),
    ("bad_design.yaml", r"design: must be one of .*'grid'.*\(got 'sobol'\)"),
]


@pytest.mark.parametrize("name,pattern", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_sweep_files_are_rejected_with_a_clear_message(name, pattern):
    with pytest.raises(SweepError, match=pattern) as info:
        load_sweep(BAD / name)
    assert "problem" in str(info.value) and "in sweep" in str(info.value)
    assert all(p.path for p in info.value.problems)


def test_every_bad_sweep_file_is_covered():
    assert {p.name for p in BAD.glob("*.yaml")} == {b[0] for b in BAD_FILES}


def test_missing_sweep_file():
    with pytest.raises(SweepError, match="sweep file not found"):
        load_sweep(BAD / "nope.yaml")
