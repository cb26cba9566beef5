"""budgetsim: allocate a city's fiscal S&T budget across fund categories, support modes and years.

Layers, lowest first (each imports only the ones below it)::

    exceptions, fileio, version      base: errors, atomic writes, the version
    scenario/                        files → validated Scenario
    model/                           Scenario → LP/MILP → solution
    results, solving                 a solution as tables; solve()
    analysis/                        explain, uncertainty
    runs/                            sweeps, batches, frontiers
    present/                         labels, charts, comparisons, workbooks, reports
    api, cli                         the public entry points

Public API::

    from budgetsim import load_scenario, solve
    result = solve(load_scenario("scenarios/baseline.yaml"))
    result.allocation      # pandas DataFrame
"""

from .api import (BatchSummary, Calibration, Explanation, Records, RecordsError, Result, Scenario, Simulation, Sweep,
                  bundled_scenarios, calibrate, explain, frontier, load_scenario, load_scenario_text, load_sweep,
                  read_records, robustness, run_batch, run_batch_to_file, scenario_from_dict, simulate, solve)
from .exceptions import (BudgetsimError, Problem, ScenarioError, ScenarioNotFoundError,
                         SolverError, SweepError)
from .version import __version__

__all__ = [
    "BatchSummary", "BudgetsimError", "Calibration", "Explanation", "Problem", "Records", "RecordsError", "Result",
    "Scenario", "ScenarioError", "ScenarioNotFoundError", "Simulation", "SolverError", "Sweep", "SweepError",
    "bundled_scenarios", "calibrate", "explain", "frontier", "load_scenario", "load_scenario_text", "load_sweep",
    "read_records", "robustness", "run_batch", "run_batch_to_file", "scenario_from_dict", "simulate", "solve", "__version__",
]
