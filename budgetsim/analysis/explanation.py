"""The :class:`Explanation` object: what :func:`~budgetsim.analysis.explain.explain` found, as tables and JSON."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..scenario.loading import Scenario, get_path
from .explain_text import explanation_text


@dataclass
class Explanation:
    """What :func:`explain` found.  DataFrames are ready for tables; :meth:`to_dict` for JSON."""

    scenario: Scenario
    objective: str
    status: str  # 'optimal' | 'infeasible'
    method: str  # 'lp-duals' | 'resolves'
    hard: tuple[str, ...]
    marginal_budget_value: pd.DataFrame
    binding_rules: pd.DataFrame
    slack_rules: pd.DataFrame
    channels: pd.DataFrame
    channels_by_year: pd.DataFrame
    conflicts: pd.DataFrame
    performance: float | None = None
    objective_value: float | None = None
    relaxation_changes: dict[str, Any] = field(default_factory=dict)
    relaxed_status: str | None = None  # status of the relaxed scenario when re-solved
    relaxed_performance: float | None = None
    message: str = ""
    resolves: int = 0  # re-solves run for the marginal values
    accuracy: float = 0.0  # objective units: the MIP gap for integer plans, 0 for LP duals
    risk: dict[str, Any] | None = None  # expected losses, their price, the leverage floor's trade-off (analysis.risk)

    # --------------------------------------------------------------- the relaxed scenario
    def relaxed_scenario(self) -> Scenario:
        """The scenario with the diagnosed changes applied (the scenario itself when feasible)."""
        if not self.relaxation_changes:
            return self.scenario
        return self.scenario.with_changes(copy.deepcopy(self.relaxation_changes))

    def yaml_diff(self) -> str:
        """The diagnosed changes as a YAML diff to put in the scenario file."""
        if not self.relaxation_changes:
            return ""
        doc: dict = {}
        relaxed = None
        for path, value in self.relaxation_changes.items():
            parts = path.split(".")
            for k in range(1, len(parts)):  # a change inside a list: a diff replaces lists whole
                if isinstance(get_path(self.scenario.raw, ".".join(parts[:k]), None), list):
                    relaxed = relaxed or self.relaxed_scenario()
                    path = ".".join(parts[:k])
                    value = get_path(relaxed.raw, path)
                    break
            node = doc
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False)

    # --------------------------------------------------------------- exports
    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.id,
            "status": self.status,
            "objective": self.objective,
            "method": self.method,
            "hard": list(self.hard),
            "performance": self.performance,
            "message": self.message,
            "resolves": self.resolves,
            "accuracy": self.accuracy,
            "marginal_budget_value": _records(self.marginal_budget_value),
            "binding_rules": _records(self.binding_rules),
            "slack_rules": _records(self.slack_rules),
            "channels": _records(self.channels),
            "channels_by_year": _records(self.channels_by_year),
            "conflicts": _records(self.conflicts),
            "relaxed_changes": copy.deepcopy(self.relaxation_changes),
            "relaxed_yaml": self.yaml_diff(),
            "relaxed_status": self.relaxed_status,
            "relaxed_performance": self.relaxed_performance,
            "risk": self.risk,
        }

    def text(self, lang: str = "zh") -> str:
        return explanation_text(self, lang)


def _int_years(df: pd.DataFrame) -> pd.DataFrame:
    """Years as nullable integers (plan-wide rows such as targets have none)."""
    if "year" in df.columns and len(df):
        df["year"] = pd.array([None if y is None or (isinstance(y, float) and math.isnan(y)) else int(y)
                               for y in df["year"]], dtype="Int64")
    return df


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (np.floating, float)):
                v = float(v)
                clean[k] = v if math.isfinite(v) else None
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                clean[k] = int(v)
            elif isinstance(v, np.bool_):
                clean[k] = bool(v)
            else:
                clean[k] = None if v is pd.NA else v
        out.append(clean)
    return out


# ----------------------------------------------------------------------------- entry point


def _empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "row", "label_zh", "label_en", "year", "key", "from", "to", "to_exact",
                                 "relaxation", "unit", "path", "sentence_zh", "sentence_en"])
