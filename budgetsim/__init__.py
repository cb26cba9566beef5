"""budgetsim: allocate a city's fiscal S&T budget across fund categories, support modes and years.

Public API::

    from budgetsim import load_scenario, solve
    result = solve(load_scenario("scenarios/baseline.yaml"))
    result.allocation      # pandas DataFrame
"""

from .api import solve
from .batch import BatchSummary, run_batch, run_batch_to_file
from .exceptions import (BudgetsimError, Problem, ScenarioError, ScenarioNotFoundError,
                         SolverError, SweepError)
from .explain import Explanation, explain
from .frontier import frontier
from .results import Result
from .scenario import Scenario, bundled_scenarios, load_scenario, load_scenario_text, scenario_from_dict
from .sweep import Sweep, load_sweep
from .uncertainty import Simulation, robustness, simulate

__version__ = "0.1.0"

__all__ = [
    "BatchSummary", "BudgetsimError", "Explanation", "Problem", "Result", "Scenario",
    "ScenarioError", "ScenarioNotFoundError", "Simulation", "SolverError", "Sweep", "SweepError",
    "bundled_scenarios", "explain", "frontier", "load_scenario", "load_scenario_text", "load_sweep",
    "robustness", "run_batch", "run_batch_to_file", "scenario_from_dict", "simulate", "solve", "__version__",
]
