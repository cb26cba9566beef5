from __future__ import annotations

from pathlib import Path

import pytest

import budgetsim as bs

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
IMPOSSIBLE = {"impossible_ambition"}


@pytest.fixture(autouse=True)
def _own_library(tmp_path_factory, monkeypatch):
    """Every test gets an empty scenario library of its own: nothing read from or written to the
    user's real one (~/.local/share/budgetsim), nothing carried from one test to the next."""
    monkeypatch.setenv("BUDGETSIM_LIBRARY", str(tmp_path_factory.mktemp("library") / "library.sqlite3"))


@pytest.fixture(scope="session")
def baseline() -> bs.Scenario:
    return bs.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def baseline_result(baseline) -> bs.Result:
    return bs.solve(baseline)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``fuzz_long`` run only when asked for: ``pytest -m fuzz_long``."""
    if "fuzz_long" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long fuzz run: pytest -m fuzz_long tests/test_fuzz.py")
    for item in items:
        if "fuzz_long" in item.keywords:
            item.add_marker(skip)
