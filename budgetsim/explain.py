"""Explanations of a plan: what one more 万元 buys, what each rule costs, why a plan is impossible.

:func:`explain` solves a scenario (or takes a solved :class:`~budgetsim.results.Result`)
and reads the model's rows through their :class:`~budgetsim.model.RowMeta`:

* **Marginal value of budget** — the dual of each year's budget-envelope row: index points
  per extra 万元 in that year.  HiGHS gets the problem as a native maximisation, so a row
  dual is d objective / d bound; each dual is checked against a central finite difference
  (the same linear program re-solved with that year's envelope moved by ±0.1 %).  The
  objective holds a tie-break of 1e-8 per 万元 of deviation from the status quo, so duals
  and differences may differ from pure performance by about that much.  For an integer
  plan the value is a central difference of MILP re-solves over ±1,000 万元, accurate to the
  MIP gap (1e-4 of the objective, ≈ 0.01 index points; reported as ``accuracy``).
* **Cost of each binding rule** — its dual (per unit of the row: 万元, or the indicator's
  unit for targets), the same per unit of the rule's own parameter, and the gain of a
  natural relaxation step (a share floor 1 percentage point lower, a leverage floor 0.1
  lower, a cap one tenth of its leading digit higher …), measured by re-solving the linear
  program with that row rebuilt at the relaxed parameter.  Rows of rules that do not bind
  are listed as slack, with the slack in the row's unit and in the rule's own unit.
* **Channels at the margin** — for each category × mode and year: the return of one more
  万元 through the response curves (the effective-resource link duals), the price the
  budget puts on that 万元, and the reduced cost (return minus every price; zero for
  funded channels, negative — the shortfall — for channels not worth funding).
* **Why impossible** — an elastic copy of the model gives every row of every soft rule a
  slack column (``row + σ ≥ lo``, ``row − σ ≤ hi``) and minimises the total relaxation.
  Rows of different rules have different units, so each slack is priced by the
  **relative change of the rule's own parameter** it amounts to: lowering a 15 % floor to
  14 % costs 1/15, a 4.0× leverage floor to 3.0× costs 1/4, a target of 150 to 120 costs
  1/5, a cap of 80,000 万元 raised to 88,000 costs 1/10.  Each yearly row counts on its
  own, so a rule that must give in all five years costs five times one that gives in one.
  The conversion from 万元 of slack to parameter units uses the rule's sensitivity at the
  status-quo split (e.g. a share floor's row moves by the year's budget per unit of share);
  parameters near zero are priced against a minimum magnitude (1 percentage point for
  shares and rates, 0.1 for leverage, one unit otherwise).  The elastic model runs on the
  same first-pass breakpoint grid as the solver, so it stays an LP (a MILP with lumpy
  rules).  Each row's slack is translated back exactly at the elastic plan: a share floor
  row ``spend − s·budget ≥ 0`` relaxed by σ 万元 means s → s − σ/budget; a leverage row,
  L → L − σ/fiscal; a target, target − σ; a cap, cap + σ; a growth floor, g − σ/previous
  spend; smoothing, d + σ/previous spend; a status-quo band, b + σ/level.  Diagnosed values
  are rounded outwards (floors down, caps up) so that applying them — one value per rule
  parameter, the loosest over the years — is sure to leave the elastic plan feasible.
  Rules listed as hard (default: ``budget_envelope``) are never relaxed; whole-project and
  minimum-ticket rows (``lumpy_funding``) are the integer structure and are never relaxed.

For integer (MILP) plans there are no duals: every marginal value comes from re-solves
(``method == 'resolves'``), and the report says so.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .evaluate import Evaluator
from .exceptions import BudgetsimError, SolverError
from .lp import LinearProgram, LPSolution
from .model import OBJECTIVES, ModelBuilder, RowMeta, coarse_grids
from .results import Result
from .rules import RULES, rule_label
from .scenario import Scenario, load_scenario

__all__ = ["Explanation", "explain", "DEFAULT_HARD"]

DEFAULT_HARD = ("budget_envelope",)
NEVER_RELAXED = frozenset({"lumpy_funding"})
# Relative MIP gap of re-solves: the plan's own.  Tighter gaps do not close in reasonable time on
# the lumpy scenario (3e-5 takes ~20× longer, 1e-5 minutes), so integer marginal values are
# accurate to about this gap times the objective, and gains below it are not reported as binding.
MIP_GAP = 1e-4
FD_REL_STEP = 1e-3  # finite-difference step: 0.1 % of the year's envelope (LP)

# per rule: unit kind of its parameter
UNIT = {
    "budget_envelope": "wan", "budget_growth_floor": "rate", "category_share_min": "share",
    "category_share_max": "share", "mode_share_min": "share", "mode_share_max": "share",
    "stable_competitive_band": "share", "leverage_floor": "ratio", "indicator_targets": "indicator",
    "category_smoothing": "rate", "status_quo_band": "rate", "contingent_liability_cap": "wan",
    "priority_floor": "share", "tax_expenditure_cap": "wan", "lumpy_funding": "wan",
}
WIDTH_RULES = frozenset({"category_smoothing", "status_quo_band"})  # relaxing always widens
MIN_MAGNITUDE = {"share": 0.01, "rate": 0.01, "ratio": 0.1, "indicator": 1.0, "wan": 1.0}
DECIMALS = {"share": 4, "rate": 4, "ratio": 2, "wan": 0}


MBV_COLUMNS = ["year", "value", "dual", "finite_difference", "rel_diff", "fd_step_wan", "envelope_wan",
               "value_per_1000_wan", "unit"]
BINDING_COLUMNS = ["id", "row", "label_zh", "label_en", "year", "key", "param", "shadow_price", "param_price",
                   "step", "relaxed_to", "gain_if_relaxed", "side", "unit", "sentence_zh", "sentence_en"]
SLACK_COLUMNS = ["id", "row", "label_zh", "label_en", "year", "key", "param", "slack", "slack_param", "side",
                 "unit"]
CHANNEL_COLUMNS = ["category", "mode", "amount_wan", "marginal_return", "rule_value", "budget_value",
                   "reduced_cost", "specific_rule_value", "status", "label_zh", "label_en"]
CHANNEL_YEAR_COLUMNS = ["category", "mode", "year", "amount_wan", "marginal_return", "rule_value", "budget_value",
                        "reduced_cost", "specific_rule_value", "status"]


def _nice_step(value: float) -> float:
    """One tenth of the value's leading power of ten (80,000 → 1,000; 150 → 10; 80 → 1)."""
    if not value or value <= 0:
        return 1.0
    return 10.0 ** (math.floor(math.log10(value)) - 1)


def _natural_step(rule: str, param: float) -> float:
    unit = UNIT.get(rule, "wan")
    if unit in ("share",) or rule == "budget_growth_floor":
        return 0.01
    if rule in WIDTH_RULES:
        return 0.05
    if unit == "ratio":
        return 0.1
    return _nice_step(abs(param))


# ----------------------------------------------------------------------------- row algebra


@dataclass
class _Sens:
    """How row ``i`` moves per unit increase of its rule's parameter: vec += p·dvec, lo += p·dlo, hi += p·dhi."""

    dvec: np.ndarray | None  # over all columns, or None
    dlo: float
    dhi: float


def _row_sensitivity(b: ModelBuilder, meta: RowMeta) -> _Sens | None:
    """The derivative of a rule row with respect to the rule's parameter (None: not a rule row)."""
    s, mech, rid = b.s, b.mech, meta.rule
    if rid is None or meta.param is None:
        return None
    t = s.years.index(meta.year) if meta.year is not None else None
    if rid == "budget_envelope":
        return _Sens(None, 1.0, 1.0)
    if rid in ("indicator_targets",):
        return _Sens(None, 1.0, 0.0)
    if rid in ("contingent_liability_cap", "tax_expenditure_cap"):
        return _Sens(None, 0.0, 1.0)
    if rid in ("category_share_min", "category_share_max", "mode_share_min", "mode_share_max",
               "priority_floor", "leverage_floor"):
        return _Sens(-b.X(mech.budget[t]), 0.0, 0.0)
    if rid == "stable_competitive_band":
        both = mech.support_spend("stable") + mech.support_spend("competitive")
        return _Sens(-b.X(both[t]), 0.0, 0.0)
    if rid == "budget_growth_floor":
        return _Sens(-b.X(mech.budget[t - 1]), 0.0, 0.0)
    if rid == "category_smoothing":
        prev = b.X(mech.category_spend[meta.key][t - 1])
        return _Sens(-prev if meta.name.startswith("category_smoothing_up_") else prev, 0.0, 0.0)
    if rid == "status_quo_band":
        sq = s.status_quo_allocation
        rows = [j for j, (cc, _) in enumerate(s.channels) if cc == meta.key and mech.on_budget[j]]
        level = float(sq[rows, t].sum())
        if meta.name.startswith("status_quo_band_min_"):
            return _Sens(None, -level, 0.0)
        return _Sens(None, 0.0, level)
    return None  # lumpy_funding: structure, not a parameter


def _sens_at(sens: _Sens, x: np.ndarray, side: str) -> float:
    """d(row activity − bound)/d(param) at plan ``x`` for the bound on ``side``."""
    dv = float(sens.dvec @ x) if sens.dvec is not None else 0.0
    return dv - (sens.dlo if side == "lo" else sens.dhi)


def _loosen_dir(rule: str, side: str) -> float:
    """+1 if loosening the ``side`` bound means raising the parameter, −1 if lowering it."""
    if rule in WIDTH_RULES:
        return 1.0
    return -1.0 if side == "lo" else 1.0


def _row_vec(lp: LinearProgram, i: int) -> np.ndarray:
    return lp.A[i].copy()


def _modified(lp: LinearProgram, changes: dict[int, tuple[np.ndarray | None, float, float]]) -> LinearProgram:
    """A copy of ``lp`` with some rows replaced: {row: (dense vec or None, lo, hi)}."""
    out = lp.copy()
    for i, (vec, lo, hi) in changes.items():
        out.set_row(i, vec, lo, hi)
    return out


def _relaxed_row(lp: LinearProgram, i: int, sens: _Sens, dp: float):
    vec = _row_vec(lp, i) + dp * sens.dvec if sens.dvec is not None else None
    lo, hi = lp.row_lo[i], lp.row_hi[i]
    lo = lo + dp * sens.dlo if np.isfinite(lo) else lo
    hi = hi + dp * sens.dhi if np.isfinite(hi) else hi
    return vec, lo, hi


def _solve(lp: LinearProgram, solver: str, start: np.ndarray | None = None) -> LPSolution:
    """Solve; an integer program gets ``start`` (a plan known to stay feasible) as its incumbent, so a
    loosened rule never comes back worse than the plan within the gap."""
    if not lp.is_mip:
        return lp.solve(solver)
    if solver != "highs" or start is None:
        return lp.solve(solver, mip_rel_gap=MIP_GAP)
    import highspy

    from .lp import new_highs, read_highs_solution

    h = new_highs()
    h.setOptionValue("mip_rel_gap", MIP_GAP)
    h.passModel(lp.to_highs_lp())
    given = highspy.HighsSolution()
    given.col_value = list(start)
    given.value_valid = True
    h.setSolution(given)
    h.run()
    return read_highs_solution(h, 0.0, True)


def _objective(sol: LPSolution, maximize: bool) -> float:
    return sol.objective if sol.ok else (-math.inf if maximize else math.inf)


# ----------------------------------------------------------------------------- labels and formats


def _key_label(s: Scenario, rule: str, key: str | None, lang: str) -> str:
    if key is None:
        return ""
    spec = s.spec
    for src in (spec.categories, spec.modes, spec.indicators):
        if key in src:
            return getattr(src[key], f"label_{lang}")
    if rule == "stable_competitive_band":
        return {"min": ("稳定支持占比下限", "stable share floor"),
                "max": ("稳定支持占比上限", "stable share cap")}[key][0 if lang == "zh" else 1]
    return key


def _unit_text(s: Scenario, rule: str, key: str | None, lang: str) -> str:
    u = UNIT.get(rule, "wan")
    if u == "indicator" and key in s.spec.indicators:
        return getattr(s.spec.indicators[key], f"unit_{lang}")
    return {"share": "", "rate": "", "ratio": "×", "wan": "万元"}[u]


def _fmt_param(s: Scenario, rule: str, key: str | None, v: float | None, lang: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    u = UNIT.get(rule, "wan")
    if u in ("share", "rate"):
        return f"{v * 100:.2f} %".replace(".00 %", " %")
    if u == "ratio":
        return f"{v:.2f}×"
    if u == "wan":
        return f"{v:,.0f} 万元"
    unit = _unit_text(s, rule, key, lang)
    txt = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}"
    return f"{txt} {unit}".strip()


def _round_out(rule: str, v: float, direction: float, original: float) -> float:
    """Round a relaxed value outwards (further in the loosening direction)."""
    u = UNIT.get(rule, "wan")
    if u == "indicator":
        d = 0 if abs(original - round(original)) < 1e-9 else 2
    else:
        d = DECIMALS[u]
    f = 10.0 ** d
    out = math.floor(v * f + 1e-9) / f if direction < 0 else math.ceil(v * f - 1e-9) / f
    if u == "share":
        out = min(max(out, 0.0), 1.0)
    if u in ("indicator", "wan", "ratio") or rule in WIDTH_RULES:
        out = max(out, 0.0)
    return float(out)


# ----------------------------------------------------------------------------- the result object


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
        for path, value in self.relaxation_changes.items():
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
        }

    def text(self, lang: str = "zh") -> str:
        from .explain_text import explanation_text

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


def explain(scenario_or_result: Scenario | Result | str | Path, *, hard=DEFAULT_HARD,
            objective: str = "max-performance", solver: str = "highs") -> Explanation:
    """Explain a plan: marginal value of budget, cost of binding rules, channels at the margin;
    or, for an impossible scenario, the least relaxation of the soft rules that makes it solvable.

    ``scenario_or_result`` is a :class:`Scenario`, a path to a scenario file, or a solved
    :class:`Result` (its objective is used).  ``hard`` lists rule ids never relaxed.
    Raises :class:`BudgetsimError` for an unknown rule id or objective and
    :class:`SolverError` when the solver stops without a plan for another reason.
    """
    from .api import solve

    hard = tuple(hard or ())
    unknown = [h for h in hard if h not in RULES]
    if unknown:
        raise BudgetsimError(f"hard: unknown rule id(s) {unknown}; allowed: {', '.join(RULES)}")
    if isinstance(scenario_or_result, Result):
        result = scenario_or_result
        objective = result.objective
    else:
        if objective not in OBJECTIVES:
            raise BudgetsimError(f"unknown objective {objective!r}; allowed: {', '.join(OBJECTIVES)}")
        s = scenario_or_result if isinstance(scenario_or_result, Scenario) else load_scenario(scenario_or_result)
        result = solve(s, objective, solver=solver)
    s = result.scenario
    if result.status == "infeasible":
        return _diagnose(s, objective, hard, solver)
    if not result.ok:
        raise SolverError(f"{s.id}: the solver stopped without a plan ({result.status}: {result.message})")
    return _explain_optimal(result, hard, solver)


# ----------------------------------------------------------------------------- optimal plans


def _explain_optimal(result: Result, hard: tuple[str, ...], solver: str) -> Explanation:
    s, objective = result.scenario, result.objective
    b: ModelBuilder = result.run.builder
    sol: LPSolution = result.run.solution
    lp = b.lp
    is_mip = lp.is_mip or sol.row_dual is None
    method = "resolves" if is_mip else "lp-duals"
    maximize = lp.maximize
    sign = 1.0 if maximize else -1.0
    x = sol.x
    obj0 = sol.objective
    lo, hi = np.array(lp.row_lo), np.array(lp.row_hi)
    act = sol.row_activity
    resolves: dict[str, int] = {"count": 0}
    cache: dict[tuple, float] = {}

    def resolve(changes, warm: bool = False) -> float:
        """Re-solve with some rows changed; ``warm``: the changes only loosen, the optimum stays feasible."""
        key = tuple((i, None if v is None else v.tobytes(), float(l), float(h)) for i, (v, l, h) in changes.items())
        if key not in cache:
            resolves["count"] += 1
            cache[key] = _objective(_solve(_modified(lp, changes), solver, x if warm else None), maximize)
        return cache[key]

    # ---- marginal value of budget, per year
    mbv = []
    for i, meta in enumerate(b.rows):
        if meta.rule != "budget_envelope":
            continue
        bound = meta.param
        # integer plans move in steps: difference over the rule's natural step (1,000 万元 on 6 亿元),
        # which is also the step of the envelope's own entry among the binding rules (one re-solve, reused)
        d = _natural_step("budget_envelope", bound) if is_mip else bound * FD_REL_STEP

        def moved(delta, i=i):
            l = lo[i] + delta if np.isfinite(lo[i]) else lo[i]
            h = hi[i] + delta if np.isfinite(hi[i]) else hi[i]
            return resolve({i: (None, l, h)})

        up, down = moved(d), moved(-d)
        fd = (up - down) / (2 * d) if math.isfinite(up) and math.isfinite(down) else (
            (up - obj0) / d if math.isfinite(up) else (obj0 - down) / d)
        dual = float(sol.row_dual[i]) if not is_mip else float("nan")
        value = fd if is_mip else dual
        rel = abs(dual - fd) / max(abs(fd), 1e-300) if not is_mip else float("nan")
        mbv.append({"year": meta.year, "value": value, "dual": dual, "finite_difference": fd,
                    "rel_diff": rel, "fd_step_wan": d, "envelope_wan": bound,
                    "value_per_1000_wan": value * 1000.0,
                    "unit": "万元 per 万元" if objective == "min-budget" else "index points per 万元"})
    mbv_df = pd.DataFrame(mbv, columns=MBV_COLUMNS)

    # ---- rules: binding or slack
    tol_obj = (MIP_GAP if is_mip else 1e-6) * max(abs(obj0), 1.0)
    binding, slack = [], []
    for i, meta in enumerate(b.rows):
        rid = meta.rule
        if rid is None:
            continue
        sens = _row_sensitivity(b, meta)
        label_zh, label_en = rule_label(s, rid, "zh"), rule_label(s, rid, "en")
        base = {"id": rid, "row": meta.name, "label_zh": label_zh, "label_en": label_en, "year": meta.year,
                "key": meta.key, "param": meta.param}
        scale = max(1.0, abs(lo[i]) if np.isfinite(lo[i]) else 0.0, abs(hi[i]) if np.isfinite(hi[i]) else 0.0)
        at_lo = np.isfinite(lo[i]) and act[i] - lo[i] <= 1e-7 * scale
        at_hi = np.isfinite(hi[i]) and hi[i] - act[i] <= 1e-7 * scale
        if not (at_lo or at_hi) or sens is None:
            if sens is None and (at_lo or at_hi):
                continue  # structural rows of lumpy funding: tight by construction
            gap_lo = act[i] - lo[i] if np.isfinite(lo[i]) else math.inf
            gap_hi = hi[i] - act[i] if np.isfinite(hi[i]) else math.inf
            side = "lo" if gap_lo <= gap_hi else "hi"
            sl = min(gap_lo, gap_hi)
            sp = float("nan")
            if sens is not None:
                q = _sens_at(sens, x, side)
                sp = abs(sl / q) if abs(q) > 1e-12 else float("nan")
            slack.append({**base, "slack": float(sl), "slack_param": sp, "side": side,
                          "unit": _unit_text(s, rid, meta.key, "en")})
            continue
        # which side to loosen: for an equality row the dual's sign tells (LP); try both for MILP
        if at_lo and at_hi:
            if not is_mip:
                side = "hi" if sign * sol.row_dual[i] > 0 else "lo"
            else:
                side = None
        else:
            side = "lo" if at_lo else "hi"
        sides = [side] if side else ["hi", "lo"]
        best = None
        for sd in sides:
            direction = _loosen_dir(rid, sd)
            step = _natural_step(rid, meta.param)
            if direction < 0 and UNIT.get(rid) != "wan":
                step = min(step, max(meta.param, 0.0))
            if step <= 0:
                continue
            dp = direction * step
            new = _relaxed_row(lp, i, sens, dp)
            gain = sign * (resolve({i: new}, warm=True) - obj0)
            q = _sens_at(sens, x, sd)
            if best is None or gain > best[0]:
                best = (gain, sd, step, dp, q)
        if best is None:
            continue
        gain, sd, step, dp, q = best
        if is_mip:
            # the step moves the row's bound by −dp·q (its own unit); the objective moved by sign·gain
            shadow = sign * gain / (-dp * q) if abs(dp * q) > 0 else float("nan")
        else:
            shadow = float(sol.row_dual[i])
        param_price = -shadow * q  # d objective / d parameter
        if abs(gain) <= tol_obj and (is_mip or abs(param_price * step) <= tol_obj):
            # costless here (LP), or not measurable within the MIP gap: listed as tight, slack 0
            slack.append({**base, "slack": 0.0, "slack_param": 0.0, "side": sd,
                          "unit": _unit_text(s, rid, meta.key, "en")})
            continue
        p_to = meta.param + dp
        binding.append({**base, "shadow_price": shadow, "param_price": param_price, "step": step,
                        "relaxed_to": p_to, "gain_if_relaxed": gain, "side": sd,
                        "unit": _unit_text(s, rid, meta.key, "en"),
                        "sentence_zh": _bind_sentence(s, rid, meta, p_to, gain, objective, "zh"),
                        "sentence_en": _bind_sentence(s, rid, meta, p_to, gain, objective, "en")})
    binding_df = _int_years(pd.DataFrame(binding, columns=BINDING_COLUMNS))
    if len(binding_df):
        binding_df = binding_df.sort_values("gain_if_relaxed", ascending=False, kind="stable").reset_index(drop=True)
    slack_df = _int_years(pd.DataFrame(slack, columns=SLACK_COLUMNS))

    # ---- channels at the margin
    chan_year, chan = _channels(result, b, sol, is_mip, maximize)
    perf = result.performance
    return Explanation(s, objective, "optimal", method, hard, mbv_df, binding_df, slack_df, chan, chan_year,
                       _empty_conflicts(), performance=perf, objective_value=obj0, resolves=resolves["count"],
                       accuracy=MIP_GAP * abs(obj0) if is_mip else 0.0,
                       message=("Integer (MILP) plan: no duals exist; every marginal value here comes from "
                                f"re-solving the model ({resolves['count']} re-solves).") if is_mip else "")


def _bind_sentence(s: Scenario, rid: str, meta: RowMeta, p_to: float, gain: float, objective: str,
                   lang: str) -> str:
    label = rule_label(s, rid, lang)
    key = _key_label(s, rid, meta.key, lang)
    frm = _fmt_param(s, rid, meta.key, meta.param, lang)
    to = _fmt_param(s, rid, meta.key, p_to, lang)
    if lang == "zh":
        where = "".join(filter(None, [f"{key}" if key else "", f"{meta.year} 年" if meta.year else ""]))
        where = f"（{where}）" if where else ""
        what = {"min-budget": f"预算节省 {gain:,.1f} 万元",
                "cvar": f"稳健目标（均值与 CVaR 加权）提高 {gain:.4f} 分"}.get(objective, f"绩效指数提高 {gain:.4f} 分")
        return f"{label}{where}为紧约束：由 {frm} 放宽至 {to}，{what}。"
    where = ", ".join(filter(None, [key, str(meta.year) if meta.year else ""]))
    where = f" ({where})" if where else ""
    what = {"min-budget": f"saves {gain:,.1f} 万元 of budget",
            "cvar": f"adds {gain:.4f} points to the robust objective (mean and CVaR weighted)"}.get(
                objective, f"adds {gain:.4f} points to the performance index")
    return f"{label}{where} binds: relaxing it from {frm} to {to} {what}."


def _specific(meta: RowMeta, c: str, m: str, s: Scenario) -> bool:
    """Whether a rule row is about this channel in particular (not the budget as a whole)."""
    if meta.key in (c, m, f"{c}.{m}"):
        return True
    if meta.rule in ("tax_expenditure_cap", "contingent_liability_cap", "stable_competitive_band"):
        return True
    if meta.rule == "priority_floor":
        settings = s.rule("priority_floor")
        return settings is not None and c in settings.categories
    return False


def _channels(result: Result, b: ModelBuilder, sol: LPSolution, is_mip: bool, maximize: bool):
    """Per channel-year: return of one more 万元, what the rules add or take, the budget's price, reduced cost.

    ``marginal_return`` is the return through the response curves (including the value of
    meeting output targets); ``rule_value`` is what the 万元 is worth through every rule row
    it enters (negative when it tightens a binding cap, positive when it helps a binding
    floor); ``budget_value`` is the envelope's dual; ``reduced_cost`` = return + rule value −
    budget value: zero for funded channels, the shortfall for unfunded ones.  For integer
    plans the duals are those of the LP with the integers fixed at the optimum."""
    s, mech = result.scenario, b.mech
    lp = b.lp
    if is_mip:
        fixed = lp.copy()
        lb, ub = lp.lb.copy(), lp.ub.copy()
        integ = lp.integrality
        lb[integ] = np.round(sol.x[integ])
        ub[integ] = np.round(sol.x[integ])
        fixed.col_lb, fixed.col_ub = [lb], [ub]
        fixed.col_int = [np.zeros(lp.n_cols, dtype=bool)]
        sol = fixed.solve()
        if not sol.ok:  # pragma: no cover - the fixed LP holds the MILP's own optimum
            raise SolverError("the LP with integers fixed at the optimum did not solve")
    y = sol.row_dual
    sgn = 1.0 if maximize else -1.0
    budget_rows = [i for i, m in enumerate(b.rows) if m.rule == "budget_envelope"]
    link_rows = [i for i, m in enumerate(b.rows) if m.name.startswith("effective_resources_")]
    rule_rows = [i for i, m in enumerate(b.rows) if m.rule not in (None, "budget_envelope")]

    def contrib(rows) -> np.ndarray:
        out = np.zeros(len(b.x_cols))
        A = lp.A
        for i in rows:
            out -= A[i, b.x_cols] * y[i]
        return out * sgn

    ret, rules_v, budget_v = contrib(link_rows), contrib(rule_rows), -contrib(budget_rows)
    specific_v = {}
    for j, (c, m) in enumerate(s.channels):
        rows = [i for i in rule_rows if _specific(b.rows[i], c, m, s)]
        specific_v[j] = contrib(rows)
    rc = sol.col_dual[b.x_cols] * sgn
    x_all = result.run.x
    recs = []
    for j, (c, m) in enumerate(s.channels):
        for t, yr in enumerate(s.years):
            k = mech.col(j, t)
            amount = float(x_all[k]) if x_all is not None else 0.0
            recs.append({"category": c, "mode": m, "year": yr, "amount_wan": amount,
                         "marginal_return": float(ret[k]), "rule_value": float(rules_v[k]),
                         "budget_value": float(budget_v[k]), "reduced_cost": float(rc[k]),
                         "specific_rule_value": float(specific_v[j][k])})
    by_year = pd.DataFrame(recs, columns=[c for c in CHANNEL_YEAR_COLUMNS if c != "status"])
    by_year["status"] = [_channel_status(r.amount_wan, r.marginal_return, r.budget_value, r.reduced_cost,
                                         r.specific_rule_value) for r in by_year.itertuples()]
    w = pd.Series(s.budget_wan / s.budget_wan.sum(), index=s.years)
    agg = []
    for (c, m), g in by_year.groupby(["category", "mode"], sort=False):
        wt = g["year"].map(w).to_numpy()
        vals = {col: float((g[col] * wt).sum()) for col in
                ("marginal_return", "rule_value", "budget_value", "reduced_cost", "specific_rule_value")}
        amount = float(g["amount_wan"].sum())
        agg.append({"category": c, "mode": m, "amount_wan": amount, **vals,
                    "status": _channel_status(amount, vals["marginal_return"], vals["budget_value"],
                                              vals["reduced_cost"], vals["specific_rule_value"]),
                    "label_zh": f"{s.spec.categories[c].label_zh} × {s.spec.modes[m].label_zh}",
                    "label_en": f"{s.spec.categories[c].label_en} × {s.spec.modes[m].label_en}"})
    chan = pd.DataFrame(agg, columns=CHANNEL_COLUMNS)
    return by_year, chan


def _channel_status(amount: float, ret: float, price: float, rc: float, specific: float) -> str:
    tol = 0.01 * max(abs(price), abs(ret), 1e-12)
    if amount <= 1e-6:
        return "not_worth_funding" if rc < -tol else "at_margin_unfunded"
    if specific < -tol:
        return "capped_by_rule"
    if specific > tol:
        return "held_up_by_rule"
    return "at_margin"


def _empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "row", "label_zh", "label_en", "year", "key", "from", "to", "to_exact",
                                 "relaxation", "unit", "path", "sentence_zh", "sentence_en"])


# ----------------------------------------------------------------------------- impossible scenarios


MAX_DIAGNOSIS_ROUNDS = 3
GRID_RULES = frozenset({"budget_envelope", "tax_expenditure_cap"})  # they set the curves' range


def _diagnose(s: Scenario, objective: str, hard: tuple[str, ...], solver: str) -> Explanation:
    """Elastic diagnosis; if the relaxed scenario still fails (its own breakpoint grid moved,
    e.g. because a relaxed tax cap widened the curves' range), diagnose the relaxed scenario
    again and add what it needs — at most a few rounds, each on the solver's own grid."""
    from .api import solve

    current = s
    merged: dict[str, dict] = {}  # row name -> record (from = the original value)
    changes: dict[str, Any] = {}
    method = "resolves" if _is_mip(s) else "lp-duals"
    relaxed_status, relaxed_perf = None, None
    for round_ in range(MAX_DIAGNOSIS_ROUNDS):
        # later rounds hold the rules that shape the breakpoint grid (budget, tax cap) where round one
        # left them, so the grid stops moving and another rule makes up the small remainder
        out = None
        if round_ > 0:
            held = tuple(sorted(set(hard) | {r["id"] for r in merged.values() if r["id"] in GRID_RULES}))
            out = _elastic(current, objective, held, solver)
        if out is None:
            out = _elastic(current, objective, hard, solver)
        if out is None:
            if not merged:
                msg = ("Even relaxing every soft rule leaves no plan: the hard rules "
                       f"({', '.join(hard) or 'none'}) and the model's structure conflict by themselves.")
                return Explanation(s, objective, "infeasible", method, hard, *_empties(), _empty_conflicts(),
                                   message=msg)
            break
        recs, round_changes, params = out
        if round_ == 0:
            original = params
        for rec in recs:
            rec = {**rec, "from": original.get(rec["row"], rec["from"])}
            if rec["row"] in merged:
                rec["relaxation"] += merged[rec["row"]]["relaxation"]
            merged[rec["row"]] = rec
        changes.update(round_changes)
        try:
            current = s.with_changes(copy.deepcopy(changes))
            r2 = solve(current, objective, solver=solver)
        except BudgetsimError as err:  # a relaxed value the schema rejects: say so, never hide it
            relaxed_status = f"invalid: {err}"
            break
        relaxed_status, relaxed_perf = r2.status, r2.performance
        if r2.status != "infeasible":
            break
    recs = list(merged.values())
    for rec in recs:
        rec["sentence_zh"] = _conflict_sentence(s, rec, "zh")
        rec["sentence_en"] = _conflict_sentence(s, rec, "en")
    conflicts = _int_years(pd.DataFrame(recs, columns=list(_empty_conflicts().columns)))
    if len(conflicts):
        conflicts = conflicts.sort_values("relaxation", ascending=False, kind="stable").reset_index(drop=True)
    return Explanation(s, objective, "infeasible", method, hard, *_empties(), conflicts,
                       relaxation_changes=changes, relaxed_status=relaxed_status,
                       relaxed_performance=relaxed_perf,
                       message=("No plan satisfies all active rules; the least relaxation of the soft rules "
                                f"(hard: {', '.join(hard) or 'none'}) is listed below."))


def _is_mip(s: Scenario) -> bool:
    lumpy = s.rule("lumpy_funding")
    return lumpy is not None and bool(lumpy.projects or lumpy.min_tickets)


def _empties() -> tuple[pd.DataFrame, ...]:
    """Empty tables with their columns, for an impossible scenario (no plan to explain)."""
    return tuple(pd.DataFrame(columns=cols) for cols in (MBV_COLUMNS, BINDING_COLUMNS, SLACK_COLUMNS,
                                                          CHANNEL_COLUMNS, CHANNEL_YEAR_COLUMNS))


def _elastic(s: Scenario, objective: str, hard: tuple[str, ...], solver: str):
    """One elastic solve on the solver's first-pass grid: (conflict records, scenario changes,
    every rule row's parameter), or None when even the fully relaxed model has no plan."""
    ev = Evaluator(s)
    b = ModelBuilder(s, objective, coarse_grids(s, ev.mech), ev=ev).build()
    mech = b.mech
    lp = b.lp.copy()
    x_sq = np.zeros(lp.n_cols)
    x_sq[b.x_cols] = mech.flatten(s.status_quo_allocation)
    elastic: list[tuple[int, int, str, _Sens]] = []  # (row, column, side, sens)
    costs = []
    for i, meta in enumerate(b.rows):
        rid = meta.rule
        if rid is None or rid in hard or rid in NEVER_RELAXED:
            continue
        sens = _row_sensitivity(b, meta)
        if sens is None:
            continue
        for side, bound in (("lo", lp.row_lo[i]), ("hi", lp.row_hi[i])):
            if not np.isfinite(bound):
                continue
            q = abs(_sens_at(sens, x_sq, side))
            if q < 1e-9:
                t = s.years.index(meta.year) if meta.year is not None else 0
                q = float(s.budget_wan[t]) if sens.dvec is not None else 1.0
            mag = max(abs(meta.param), MIN_MAGNITUDE[UNIT.get(rid, "wan")])
            col = lp.add_cols([f"elastic_{side}_{meta.name}"], 0.0, np.inf)[0]
            lp.A[i, col] = 1.0 if side == "lo" else -1.0
            elastic.append((i, col, side, sens))
            costs.append(1.0 / (mag * q))
    obj = np.zeros(lp.n_cols)
    for (_, col, _, _), w in zip(elastic, costs):
        obj[col] = w
    lp.set_objective(obj, maximize=False)
    sol = lp.solve(solver)
    if not sol.ok:
        return None
    x, x_plan = sol.x, sol.x[:b.lp.n_cols]
    recs = []
    grouped: dict[str, list] = {}
    for (i, col, side, sens), w in zip(elastic, costs):
        sigma = float(x[col])
        meta = b.rows[i]
        bound = lp.row_lo[i] if side == "lo" else lp.row_hi[i]
        if sigma <= 1e-7 * max(1.0, abs(bound)):
            continue
        rid = meta.rule
        q = _sens_at(sens, x_plan, side)
        direction = _loosen_dir(rid, side)
        exact = meta.param + (sigma / q if side == "lo" else -sigma / q) if abs(q) > 1e-12 else math.nan
        to = _round_out(rid, exact, direction, meta.param) if math.isfinite(exact) else math.nan
        path = _param_path(s, rid, meta, side)
        recs.append({"id": rid, "row": meta.name, "label_zh": rule_label(s, rid, "zh"),
                     "label_en": rule_label(s, rid, "en"), "year": meta.year, "key": meta.key,
                     "from": meta.param, "to": to, "to_exact": exact, "relaxation": sigma * w,
                     "unit": _unit_text(s, rid, meta.key, "en"), "path": path})
        grouped.setdefault(path, []).append((meta, to, direction))
    return recs, _scenario_changes(s, grouped), {m.name: m.param for m in b.rows if m.rule is not None}


def _param_path(s: Scenario, rid: str, meta: RowMeta, side: str) -> str:
    if rid == "budget_envelope":
        return "budget.per_year_wan"
    if rid in ("category_share_min", "category_share_max", "mode_share_min", "mode_share_max"):
        return f"rules.{rid}.shares.{meta.key}"
    if rid == "stable_competitive_band":
        return f"rules.{rid}.stable_share_{meta.key}"
    if rid == "leverage_floor":
        return "rules.leverage_floor.min_ratio"
    if rid == "indicator_targets":
        return f"rules.indicator_targets.targets.{meta.key}"
    if rid in ("contingent_liability_cap", "tax_expenditure_cap"):
        return f"rules.{rid}.cap_wan"
    if rid == "budget_growth_floor":
        return "rules.budget_growth_floor.min_growth"
    if rid == "category_smoothing":
        return "rules.category_smoothing.max_change"
    if rid == "status_quo_band":
        return "rules.status_quo_band.band"
    if rid == "priority_floor":
        return "rules.priority_floor.share_min"
    raise BudgetsimError(f"no parameter path for rule {rid!r}")  # pragma: no cover


_PER_YEAR_PATHS = {"budget.per_year_wan", "rules.leverage_floor.min_ratio",
                   "rules.contingent_liability_cap.cap_wan", "rules.tax_expenditure_cap.cap_wan"}


def _scenario_changes(s: Scenario, grouped: dict[str, list]) -> dict[str, Any]:
    """One value per rule parameter (the loosest over the years), or per year where the rule has years."""
    changes: dict[str, Any] = {}
    for path, items in grouped.items():
        items = [it for it in items if math.isfinite(it[1])]
        if not items:
            continue
        if path in _PER_YEAR_PATHS:
            rid = items[0][0].rule
            if rid == "budget_envelope":
                base = {y: float(v) for y, v in zip(s.years, s.budget_wan)}
            else:
                settings = s.rule(rid)
                raw = settings.min_ratio if rid == "leverage_floor" else settings.cap_wan
                arr = s.per_year(raw)
                base = {y: float(v) for y, v in zip(s.years, arr) if not math.isnan(v)}
            for meta, to, direction in items:
                old = base.get(meta.year, to)
                base[meta.year] = min(old, to) if direction < 0 else max(old, to)
            unit = UNIT[rid]
            base = {y: (int(v) if unit == "wan" and float(v).is_integer() else v) for y, v in base.items()}
            if rid == "budget_envelope":
                src = s.spec.budget.source
                changes["budget"] = {"per_year_wan": base, "source": src}
            else:
                changes[path] = base
            continue
        direction = items[0][2]
        vals = [to for _, to, _ in items]
        v = min(vals) if direction < 0 else max(vals)
        if UNIT.get(items[0][0].rule) == "indicator" and float(v).is_integer():
            v = int(v)
        changes[path] = v
    return changes


def _conflict_sentence(s: Scenario, rec: dict, lang: str) -> str:
    rid, key, year = rec["id"], rec["key"], rec["year"]
    label = rec[f"label_{lang}"]
    k = _key_label(s, rid, key, lang)
    frm = _fmt_param(s, rid, key, rec["from"], lang)
    to = _fmt_param(s, rid, key, rec["to"], lang)
    if lang == "zh":
        where = "".join(filter(None, [f"{year} 年" if year else "", k]))
        where = f"（{where}）" if where else ""
        verb = "调整为" if rid == "budget_envelope" else "放宽至"  # the envelope may have to move either way
        return f"{label}{where}须由 {frm} {verb} {to}"
    where = ", ".join(filter(None, [k, str(year) if year else ""]))
    where = f" ({where})" if where else ""
    return f"{label}{where} must give: {frm} → {to}"
