"""The public entry points: one engine behind the CLI, the app and scripts.

Layer 8 — re-exports the questions a user asks (solve, explain, simulate, batches, frontiers)
from the layers that implement them, so scripts need one import.  May import every layer.
"""

from __future__ import annotations

from .analysis.calibration import Calibration, calibrate
from .analysis.check import PlanCheck, check
from .analysis.explain import Explanation, explain
from .analysis.leverage import LeverageReach, leverage_reach
from .analysis.uncertainty import Simulation, robustness, simulate
from .library import Library
from .results import Result
from .batches.batch import BatchSummary, run_batch, run_batch_to_file
from .batches.frontier import frontier
from .batches.sweep import Sweep, load_sweep
from .scenario.records import Records, RecordsError, read_records
from .scenario.loading import Scenario, bundled_scenarios, load_scenario, load_scenario_text, scenario_from_dict
from .scenario.plans import Plan, read_plan, write_plan
from .solving import solve

__all__ = ["LeverageReach", "leverage_reach", "BatchSummary", "Explanation", "Library", "Plan", "PlanCheck", "Result", "Scenario", "Simulation", "Sweep",
           "bundled_scenarios", "check", "read_plan", "write_plan",
           "explain", "frontier", "load_scenario", "load_scenario_text", "load_sweep", "robustness", "run_batch",
           "run_batch_to_file", "scenario_from_dict", "simulate", "solve",
           "Calibration", "Records", "RecordsError", "calibrate", "read_records"]
