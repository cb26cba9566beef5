from __future__ import annotations

from pathlib import Path

import pytest

import budgetsim as bs

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
IMPOSSIBLE = {"impossible_ambition"}


@pytest.fixture(scope="session")
def baseline() -> bs.Scenario:
    return bs.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def baseline_result(baseline) -> bs.Result:
    return bs.solve(baseline)
