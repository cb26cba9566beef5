"""Hostile input, fuzzed (hypothesis): nothing hangs, nothing lies, nothing leaks.

Take the baseline, set one to three random places (any key or list item of the merged
document) to a hostile value (inf, nan, ±1e308, 0, negative, text, lists, mappings, deep
nests, huge text, huge numbers) or a number to a valid but extreme value (the ends of its
bounds, so that many files reach the solver), write it out as YAML as a user would, and run ``validate``
and ``solve`` in-process.  Only these may come out, each quickly: a ``ScenarioError`` (a
bad file, with a message), or a ``Scenario`` whose solve is optimal (every rule holds),
infeasible or out of time.  Never another exception, never a NaN in a plan.

`make test` runs FUZZ_EXAMPLES examples (200 under CI=true, 60 otherwise);
``pytest -m fuzz_long tests/test_fuzz.py`` runs 5,000 (BUDGETSIM_FUZZ_EXAMPLES overrides both).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetsim as bs
from budgetsim.scenario.loading import get_path, set_path
from budgetsim.scenario.schema import bounds_at

from .conftest import BASELINE

BASE = bs.load_scenario(BASELINE)
SOLVE_LIMIT = 10.0  # seconds: the fuzzed solve's time limit
QUICK = 30.0  # seconds: generous, for a machine shared by many (a hang is minutes; typical is < 0.1 s)
_DEFAULT = 200 if os.environ.get("CI", "").lower() in ("1", "true", "yes") else 60
FUZZ_EXAMPLES = int(os.environ.get("BUDGETSIM_FUZZ_EXAMPLES", _DEFAULT))
LONG_EXAMPLES = int(os.environ.get("BUDGETSIM_FUZZ_EXAMPLES", 5000))


def _paths(node, prefix: str = "") -> list[str]:
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        p = f"{prefix}.{k}" if prefix else str(k)
        out.append(p)
        out += _paths(v, p)
    return out


PATHS = sorted(_paths(BASE.raw))


def _nest(depth: int):
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


HOSTILE = st.sampled_from([
    math.inf, -math.inf, math.nan, 1e308, -1e308, 1e20, 0, 0.0, -1, -1e-9, -60000, 10 ** 400,
    True, None, "", "x", "60000", ".inf", "基础前沿类", "x" * 200_000,
    [], [1, 2, 3], [math.inf], {"a": 1}, {}, {"curve": "hill", "max": 1, "half": 1, "n": 5},
    _nest(30), [0] * 5_000, {f"k{i}": i for i in range(2_000)},
]) | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10 ** 30, 10 ** 30)


def _edges(b) -> list:
    """Valid but extreme values of a bounded number: its ends and just inside them."""
    lo = b.lo + (1 if b.whole else 1e-9) if b.lo_open else b.lo
    vals = [lo, b.hi, (lo + b.hi) / 2, lo + (1 if b.whole else 1e-6 * max(1.0, abs(lo)))]
    return [int(v) if b.whole else float(v) for v in vals]


NUMBER_PATHS = [p for p in PATHS if isinstance(get_path(BASE.raw, p), (int, float))
                and not isinstance(get_path(BASE.raw, p), bool) and bounds_at(p) is not None]
HOSTILE_CHANGE = st.tuples(st.sampled_from(PATHS), HOSTILE)
EDGE_CHANGE = st.sampled_from(NUMBER_PATHS).flatmap(
    lambda p: st.tuples(st.just(p), st.sampled_from(_edges(bounds_at(p)))))
# hostile values anywhere, and valid-but-extreme numbers (so that many fuzzed files reach the solver)
CHANGES = st.lists(st.one_of(HOSTILE_CHANGE, EDGE_CHANGE), min_size=1, max_size=3).map(dict)


def _document(changes: dict) -> dict:
    doc = BASE.raw
    for path, value in changes.items():
        try:
            doc = set_path(doc, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change removed this place
            continue
    return doc


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # writing the file is not under test: the fast one


def check_hostile(changes: dict) -> str:
    text = yaml.dump(_document(changes), Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    t0 = time.perf_counter()
    try:
        s = bs.load_scenario_text(text, "fuzzed")
    except bs.ScenarioError as err:
        assert err.problems and str(err)  # a message naming what is wrong
        assert len(str(err)) < 30_000, "a message must not echo a huge value or list thousands of problems"
        assert time.perf_counter() - t0 < QUICK, "validation must be quick"
        return "invalid"
    assert time.perf_counter() - t0 < QUICK, "validation must be quick"
    t1 = time.perf_counter()
    try:
        r = bs.solve(s, time_limit=SOLVE_LIMIT)
    except bs.BudgetsimError as err:  # e.g. min-budget without targets: a sentence, not a crash
        assert "Traceback" not in str(err)
        return "refused"
    assert time.perf_counter() - t1 < SOLVE_LIMIT + QUICK, "a solve must stop at its time limit"
    assert r.status in ("optimal", "infeasible", "time_limit"), (r.status, r.message)
    if r.ok:
        assert np.isfinite(r.x).all() and math.isfinite(r.performance)
        assert (r.budget["allocated_wan"] <= r.budget["envelope_wan"] * (1 + 1e-6) + 1e-6).all()
    else:
        assert r.message
    return r.status


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CHANGES)
def test_hostile_values_give_a_scenario_error_or_an_honest_result(changes):
    check_hostile(changes)


@pytest.mark.fuzz_long
@settings(max_examples=LONG_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CHANGES)
def test_hostile_values_long_run(changes):
    check_hostile(changes)


@pytest.mark.parametrize("changes", [
    {"rules.indicator_targets.targets.transferred_results": math.inf},
    {"categories.basic_frontier.response.original_results.max": math.inf},
    {"budget.base_amount_wan": 1e20},
    {"modes.risk_pool.leverage": math.inf},
    {"uncertainty.parameters.0.cv": math.inf},
    {"title.zh": _nest(30)},
    {"plan.years": [0] * 5_000},
    {"indicators.rd_induced": {f"k{i}": i for i in range(2_000)}},
])
def test_the_issues_reproductions_are_scenario_errors(changes):
    assert check_hostile(changes) == "invalid"


def test_the_paths_cover_the_whole_document():
    assert len(PATHS) > 500
    assert "categories.basic_frontier.response.original_results.max" in PATHS
    assert "rules.lumpy_funding.projects.0.unit_wan" in PATHS
    assert "budget.base_amount_wan" in NUMBER_PATHS and len(NUMBER_PATHS) > 100
