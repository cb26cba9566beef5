"""Solving: a scenario → a :class:`~budgetsim.results.Result` (the one solve entry every layer above uses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .scenario.distributions import sample
from .exceptions import BudgetsimError
from .model.builder import RiskSpec, optimise
from .model.lp import time_limit_or_default
from .results import INFEASIBLE_SENTENCE, Result, time_limit_sentence
from .scenario.loading import Scenario, load_scenario


def solve(scenario: Scenario | str | Path, objective: str = "max-performance", *, solver: str = "highs",
          time_limit: float | None = None, alpha: float = 0.1, cvar_weight: float = 1.0, samples: int = 500,
          seed: int = 0) -> Result:
    """Solve a scenario (object or file path) for ``objective``.

    Returns a :class:`Result` whatever the outcome; check ``result.ok`` / ``result.status``
    (``optimal``, ``infeasible``, ``unbounded`` or ``error``).  Bad input raises
    :class:`~budgetsim.exceptions.ScenarioError` or :class:`~budgetsim.exceptions.BudgetsimError`.

    ``objective="cvar"`` maximises (1 − ``cvar_weight``) × mean + ``cvar_weight`` × CVaR at
    level ``alpha`` of performance over ``samples`` draws (``seed``) of the scenario's
    uncertain curve outputs; uncertain mode parameters are held at their base values
    there (they would make each draw's resources differ and the LP grow with S × segments).

    ``time_limit`` (seconds, all refinement passes together; default
    :data:`~budgetsim.model.lp.DEFAULT_TIME_LIMIT` = 60, ``math.inf`` for none): when it runs
    out the result has status ``time_limit`` and no plan.
    """
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    risk = None
    if objective == "cvar":
        if not 0 < alpha <= 1:
            raise BudgetsimError(f"alpha must lie in (0, 1] (the tail share, e.g. 0.1), got {alpha}")
        if not 0 <= cvar_weight <= 1:
            raise BudgetsimError(f"cvar_weight must lie in [0, 1] (1 = pure CVaR), got {cvar_weight}")
        if samples < 1:
            raise BudgetsimError(f"samples must be at least 1, got {samples}")
        draws = sample(s.spec, samples, np.random.default_rng(seed), modes=False)
        risk = RiskSpec(draws.curve_mult, alpha, cvar_weight)
    run = optimise(s, objective, solver=solver, time_limit=time_limit, risk=risk)
    status = run.solution.status
    if status == "optimal":
        message = ""
    elif status == "infeasible":
        message = INFEASIBLE_SENTENCE
    elif status == "time_limit":
        message = time_limit_sentence(time_limit_or_default(time_limit))
    elif status == "unbounded":
        message = "The plan is unbounded: a mode without a budget row or cap can grow without limit."
    else:
        message = f"The solver stopped without a plan ({run.solution.message})."
    return Result(s, objective, status, run, message, risk=risk)
