"""budgetsim: allocate a city's fiscal S&T budget across fund categories, support modes and years.

Public API::

    from budgetsim import load_scenario, solve
    result = solve(load_scenario("scenarios/baseline.yaml"))
    result.allocation      # pandas DataFrame
"""

from .api import solve
from .exceptions import (BudgetsimError, InfeasibleError, Problem, ScenarioError, ScenarioNotFoundError,
                         SolverError)
from .explain import Explanation, explain
from .results import Result
from .scenario import Scenario, bundled_scenarios, load_scenario, load_scenario_text, scenario_from_dict
from .uncertainty import Simulation, robustness, simulate

__version__ = "0.1.0"

__all__ = [
    "BudgetsimError", "Explanation", "InfeasibleError", "Problem", "Result", "Scenario", "ScenarioError",
    "ScenarioNotFoundError", "Simulation", "SolverError", "bundled_scenarios", "explain", "load_scenario",
    "load_scenario_text", "robustness", "scenario_from_dict", "simulate", "solve", "__version__",
]
