"""budgetsim: allocate a city's fiscal S&T budget across fund categories, support modes and years.

Layers, lowest first (each imports only the ones below it)::

    exceptions, fileio, version      base: errors, atomic writes, the version
    scenario/                        files → validated Scenario
    model/                           Scenario → LP/MILP → solution
    results, solving                 a solution as tables; solve()
    analysis/                        explain, uncertainty
    batches/                         sweeps, batches, frontiers
    present/                         labels, charts, comparisons, workbooks, reports
    library/                         saved scenarios (SQLite), archives to pass them on
    api, cli                         the public entry points

Public API::

    from budgetsim import load_scenario, solve
    result = solve(load_scenario("scenarios/baseline.yaml"))
    result.allocation      # pandas DataFrame
"""

from .api import (BatchSummary, Explanation, LeverageReach, leverage_reach, Library, Plan, PlanCheck, Result, Scenario, Simulation, Sweep,
                  bundled_scenarios, check, explain, frontier, load_scenario, load_scenario_text, load_sweep, robustness, run_batch,
                  run_batch_to_file, scenario_from_dict, read_plan, simulate, solve, write_plan)
from .api import Calibration, Records, RecordsError, calibrate, read_records  # calibration (issue 14)
from .exceptions import (BudgetsimError, LibraryError, Problem, ScenarioError, ScenarioNotFoundError,
                         SolverError, SweepError)
from .scenario.plans import PlanError
from .version import __version__

__all__ = [
    "LeverageReach", "leverage_reach",
    "Plan", "PlanCheck", "PlanError", "check", "read_plan", "write_plan",
    "BatchSummary", "BudgetsimError", "Explanation", "Library", "LibraryError", "Problem", "Result", "Scenario",
    "ScenarioError", "ScenarioNotFoundError", "Simulation", "SolverError", "Sweep", "SweepError",
    "bundled_scenarios", "explain", "frontier", "load_scenario", "load_scenario_text", "load_sweep",
    "robustness", "run_batch", "run_batch_to_file", "scenario_from_dict", "simulate", "solve", "__version__",
    "Calibration", "Records", "RecordsError", "calibrate", "read_records",
]
