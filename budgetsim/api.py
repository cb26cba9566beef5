"""The public entry points: one engine behind the CLI, the app and scripts."""

from __future__ import annotations

from pathlib import Path

from .model import optimise
from .results import INFEASIBLE_SENTENCE, Result
from .scenario import Scenario, load_scenario


def solve(scenario: Scenario | str | Path, objective: str = "max-performance", *, solver: str = "highs",
          time_limit: float | None = None) -> Result:
    """Solve a scenario (object or file path) for ``objective``.

    Returns a :class:`Result` whatever the outcome; check ``result.ok`` / ``result.status``
    (``optimal``, ``infeasible``, ``unbounded`` or ``error``).  Bad input raises
    :class:`~budgetsim.exceptions.ScenarioError` or :class:`~budgetsim.exceptions.BudgetsimError`.
    """
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    run = optimise(s, objective, solver=solver, time_limit=time_limit)
    status = run.solution.status
    if status == "optimal":
        message = ""
    elif status == "infeasible":
        message = INFEASIBLE_SENTENCE
    elif status == "unbounded":
        message = "The plan is unbounded: a mode without a budget row or cap can grow without limit."
    else:
        message = f"The solver stopped without a plan ({run.solution.message})."
    return Result(s, objective, status, run, message)
