"""Why a plan is impossible: an elastic copy of the model and the least relaxation of the rules.

See :mod:`budgetsim.analysis.explain` for the method; this module holds its implementation.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import BudgetsimError
from ..model.builder import ModelBuilder, RowMeta, coarse_grids
from ..model.evaluate import Evaluator
from ..model.rules import rule_label
from ..scenario.loading import Scenario
from .explanation import Explanation, _empty_conflicts, _int_years
from .sensitivity import _Sens, _loosen_dir, _row_sensitivity, _sens_at
from .wording import BINDING_COLUMNS, CHANNEL_COLUMNS, CHANNEL_YEAR_COLUMNS, MBV_COLUMNS, MIN_MAGNITUDE, NEVER_RELAXED, SLACK_COLUMNS, UNIT, _fmt_param, _key_label, _round_out, _unit_text

MAX_DIAGNOSIS_ROUNDS = 3
GRID_RULES = frozenset({"budget_envelope", "tax_expenditure_cap"})  # they set the curves' range


def _diagnose(s: Scenario, objective: str, hard: tuple[str, ...], solver: str) -> Explanation:
    """Elastic diagnosis; if the relaxed scenario still fails (its own breakpoint grid moved,
    e.g. because a relaxed tax cap widened the curves' range), diagnose the relaxed scenario
    again and add what it needs — at most a few rounds, each on the solver's own grid."""
    from ..solving import solve

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
            lp.set_coefs(i, [col], [1.0 if side == "lo" else -1.0])
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


# the single number a rule's rows are relaxed through: rules.<rule>.<field>
PARAM_FIELD = {
    "leverage_floor": "min_ratio", "contingent_liability_cap": "cap_wan", "tax_expenditure_cap": "cap_wan",
    "budget_growth_floor": "min_growth", "category_smoothing": "max_change", "status_quo_band": "band",
    "priority_floor": "share_min", "channel_band": "max_change", "stable_support_continuity": "min_keep",
    "risk_appetite": "max_loss_share", "post_plan_commitments": "cap_wan",
}


def _param_path(s: Scenario, rid: str, meta: RowMeta, side: str) -> str:
    if rid in PARAM_FIELD:
        return f"rules.{rid}.{PARAM_FIELD[rid]}"
    if rid == "budget_envelope":
        return "budget.per_year_wan"
    if rid in ("category_share_min", "category_share_max", "mode_share_min", "mode_share_max"):
        return f"rules.{rid}.shares.{meta.key}"
    if rid == "stable_competitive_band":
        return f"rules.{rid}.stable_share_{meta.key}"
    if rid == "indicator_targets":
        return f"rules.indicator_targets.targets.{meta.key}"
    if rid == "fixed_figures":
        i = fixed_figure_index(s, meta)
        field = {"=": "amount_wan", ">=": "min_wan", "<=": "max_wan"}[meta.sense]
        return f"rules.fixed_figures.figures.{i}.{field}"
    raise BudgetsimError(f"no parameter path for rule {rid!r}")  # pragma: no cover


def fixed_figure_index(s: Scenario, meta: RowMeta) -> int:
    """Which entry of ``rules.fixed_figures.figures`` a fixed-figure row comes from."""
    c, m = meta.key.split(".", 1)
    for i, f in enumerate(s.rule("fixed_figures").figures):
        if f.category == c and f.mode == m and f.year in (None, meta.year):
            return i
    raise BudgetsimError(f"no fixed figure for row {meta.name!r}")  # pragma: no cover


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

