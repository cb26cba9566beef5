"""Frontiers: how performance and each indicator move as one scenario parameter moves.

:func:`frontier` solves a scenario at each value of one dotted parameter (above all the
budget, ``budget.base_amount_wan``) and returns a tidy table with the marginal value of the
parameter between neighbouring points — for the budget, the index points one more 亿元 buys,
which falls as the curves saturate.  :func:`frontier_chart` draws it with Altair (the
``app`` extra), and :func:`save_chart` writes ``.html``, ``.json`` or ``.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..exceptions import BudgetsimError, MISSING, Problem, ScenarioError, short_repr
from ..scenario.loading import Scenario, get_path, load_scenario

WAN_PER_YI = 10_000.0  # 1 亿元 = 10,000 万元


def _check_path(s: Scenario, path: str) -> None:
    current = get_path(s.raw, path)
    if current is MISSING:
        raise ScenarioError([Problem("--param", path, f"not a path of the scenario '{s.id}'")], s.source)
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ScenarioError([Problem("--param", path,
                                     f"must point at a number; the scenario has {short_repr(current)}")], s.source)


def frontier_values(start: float, stop: float, steps: int) -> list[float]:
    if steps < 2:
        raise BudgetsimError(f"--steps must be ≥ 2 (got {steps})")
    if not (np.isfinite(start) and np.isfinite(stop)) or stop <= start:
        raise BudgetsimError(f"--to must be greater than --from (got from {start}, to {stop})")
    return [float(round(v, 10)) for v in np.linspace(start, stop, steps)]


def frontier(scenario: Scenario | str | Path, path: str, values: Iterable[float], *,
             objective: str = "max-performance", solver: str = "highs", workers: int = 0,
             progress: bool = False) -> pd.DataFrame:
    """Solve ``scenario`` at each value of the dotted ``path``; one row per value.

    Columns: ``value`` (the parameter), every batch column (status, performance, status-quo
    performance, ``ind:<indicator>`` plan totals, leverage, budget used …) and
    ``marginal_performance`` — index points per unit of the parameter between this point and
    the previous one.  When the parameter is money in 万元 (the path ends in ``_wan``),
    ``marginal_per_yi`` gives index points per 亿元.  ``workers`` > 0 solves in parallel.
    """
    from .batch import run_batch

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_path(s, path)
    values = [float(v) for v in values]
    if len(values) < 2:
        raise BudgetsimError("a frontier needs at least two values")
    points = [s.with_changes({path: v}, new_id=f"{s.id}[{path}={v:g}]") for v in values]
    df = run_batch(points, workers=workers, progress=progress, objective=objective, solver=solver)
    df.insert(2, "parameter", path)
    df.insert(3, "value", values)
    perf = df["performance"].astype(float)
    df["marginal_performance"] = perf.diff() / df["value"].diff()
    if path.endswith("_wan"):
        df["marginal_per_yi"] = df["marginal_performance"] * WAN_PER_YI
    return df
