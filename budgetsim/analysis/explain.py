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

import math
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import BudgetsimError, SolverError, TimeLimitError
from ..model.builder import OBJECTIVES, ModelBuilder, RowMeta
from ..model.lp import LPSolution
from ..model.rules import RULES, rule_label
from ..results import Result
from ..scenario.loading import Scenario, load_scenario
from .diagnosis import _diagnose
from .risk import risk_tradeoff
from .explanation import Explanation, _empty_conflicts, _int_years
from .sensitivity import MipResolver, _loosen_dir, _modified, _natural_step, _objective, _relaxed_row, _row_sensitivity, _sens_at, _solve
from .wording import BINDING_COLUMNS, CHANNEL_COLUMNS, CHANNEL_YEAR_COLUMNS, DEFAULT_HARD, FD_REL_STEP, MBV_COLUMNS, MIP_GAP, SLACK_COLUMNS, UNIT, _fmt_param, _key_label, _unit_text

__all__ = ["Explanation", "explain", "DEFAULT_HARD"]


def explain(scenario_or_result: Scenario | Result | str | Path, *, hard=DEFAULT_HARD,
            objective: str = "max-performance", solver: str = "highs",
            time_limit: float | None = None) -> Explanation:
    """Explain a plan: marginal value of budget, cost of binding rules, channels at the margin;
    or, for an impossible scenario, the least relaxation of the soft rules that makes it solvable.

    ``scenario_or_result`` is a :class:`Scenario`, a path to a scenario file, or a solved
    :class:`Result` (its objective is used).  ``hard`` lists rule ids never relaxed.
    Raises :class:`BudgetsimError` for an unknown rule id or objective and
    :class:`SolverError` when the solver stops without a plan for another reason.
    """
    from ..solving import solve

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
        result = solve(s, objective, solver=solver, time_limit=time_limit)
    s = result.scenario
    if result.given:
        raise BudgetsimError("explain needs a solved plan (duals, re-solves); a plan you give is checked with "
                             "budgetsim check / budgetsim.check()")
    if result.status == "infeasible":
        return _diagnose(s, objective, hard, solver)
    if result.status == "time_limit":
        raise TimeLimitError(f"{s.id}: {result.message}")
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
    resolves: dict[str, int] = {"count": 0}
    cache: dict[tuple, float] = {}
    resolver = MipResolver() if is_mip else None
    if is_mip:
        # gains are measured from the best plan known for the rules as they are: a re-solve may find
        # a plan within the gap that beats the one the solve stopped at, and that is no gain of a rule
        base_sol = _solve(lp, solver, x, hint=x, resolver=resolver)
        base = _objective(base_sol, maximize)
        if math.isfinite(base) and sign * (base - obj0) > 0:
            obj0 = base
        # the unchanged model could not be certified from LPs: its neighbours will not be either
        certify = solver == "highs" and base_sol.message.startswith("integers certified")

    wanted: dict[tuple, tuple[dict, bool]] | None = {} if is_mip else None  # a first pass lists the re-solves

    def run(changes, warm: bool, with_resolver) -> float:
        return _objective(_solve(_modified(lp, changes), solver, x if warm else None, hint=x,
                                 resolver=with_resolver), maximize)

    def resolve(changes, warm: bool = False) -> float:
        """Re-solve with some rows changed; ``warm``: the changes only loosen, the optimum stays feasible."""
        key = tuple((i, None if v is None else v.tobytes(), float(l), float(h)) for i, (v, l, h) in changes.items())
        if key not in cache:
            if wanted is not None:  # listing: what is asked does not depend on the answers
                wanted.setdefault(key, (changes, warm))
                return obj0
            resolves["count"] += 1
            cache[key] = run(changes, warm, resolver)
        return cache[key]

    def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return _rule_tables(s, b, sol, objective, is_mip, obj0, resolve)

    if is_mip:
        # integer re-solves are branch-and-cut runs, each in its own HiGHS instance (which lets go
        # of Python's lock while it runs): list them all, run them side by side, then read them
        tables()
        todo, wanted = wanted, None
        local = threading.local()  # a resolver (warm LP sessions) per thread

        def one(cw) -> float:
            if not hasattr(local, "resolver"):
                local.resolver = MipResolver(certify)
            return run(*cw, local.resolver)

        for key, value in zip(todo, _parallel(one, list(todo.values()))):
            cache[key] = value
        resolves["count"] += len(todo)
    mbv_df, binding_df, slack_df = tables()

    # ---- channels at the margin
    chan_year, chan = _channels(result, b, sol, is_mip, maximize)
    perf = result.performance
    return Explanation(s, objective, "optimal", method, hard, mbv_df, binding_df, slack_df, chan, chan_year,
                       _empty_conflicts(), performance=perf, objective_value=obj0, resolves=resolves["count"],
                       risk=risk_tradeoff(result, solver),
                       accuracy=MIP_GAP * abs(obj0) if is_mip else 0.0,
                       message=("Integer (MILP) plan: no duals exist; every marginal value here comes from "
                                f"re-solving the model ({resolves['count']} re-solves).") if is_mip else "")


def _parallel(fn, items: list) -> list:
    """``fn`` over ``items`` on as many threads as the machine has cores (in order)."""
    if len(items) <= 1:
        return [fn(it) for it in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(len(items), os.cpu_count() or 1))) as pool:
        return list(pool.map(fn, items))


def _rule_tables(s: Scenario, b: ModelBuilder, sol: LPSolution, objective: str, is_mip: bool, obj0: float,
                 resolve) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The marginal value of budget per year, the binding rules and the slack ones, re-solving
    through ``resolve`` (integer plans) or reading the duals (LP)."""
    lp = b.lp
    maximize = lp.maximize
    sign = 1.0 if maximize else -1.0
    x = sol.x
    lo, hi = np.array(lp.row_lo), np.array(lp.row_hi)
    act = sol.row_activity

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
        if rid is None or (rid == "tax_entitlement" and meta.sense == "="):
            continue  # the entitlement's forecast is national law's result, not a rule to relax
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
            if not math.isfinite(gain):
                continue  # this step makes the plan impossible (e.g. a forecast pushed past its cap)
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
    return mbv_df, binding_df, slack_df


def _pts(v: float) -> str:
    """Index points for a reader: two decimals, or two significant digits when smaller."""
    return f"{v:.2f}" if abs(v) >= 0.01 else f"{v:.2g}"


def _bind_sentence(s: Scenario, rid: str, meta: RowMeta, p_to: float, gain: float, objective: str,
                   lang: str) -> str:
    label = rule_label(s, rid, lang)
    key = _key_label(s, rid, meta.key, lang)
    frm = _fmt_param(s, rid, meta.key, meta.param, lang)
    to = _fmt_param(s, rid, meta.key, p_to, lang)
    if lang == "zh":
        where = "，".join(filter(None, [f"{key}" if key else "", f"{meta.year} 年" if meta.year else ""]))
        where = f"（{where}）" if where else ""
        what = {"min-budget": f"预算节省 {gain:,.0f} 万元",
                "cvar": f"稳健目标（兼顾平均与最差一成情形）多得 {_pts(gain)} 分"}.get(objective,
                                                                              f"绩效指数多得 {_pts(gain)} 分")
        return f"{label}{where}卡住了方案：由 {frm} 放宽至 {to}，{what}。"
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
    meeting output targets), net of the risk price of the channel's expected losses; ``rule_value`` is what the 万元 is worth through every rule row
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
    # a 万元 turns into resources directly, or through its channel's own curve (channel_money rows)
    link_rows = [i for i, m in enumerate(b.rows) if m.name.startswith(("effective_resources_", "channel_money_"))]
    rule_rows = [i for i, m in enumerate(b.rows) if m.rule not in (None, "budget_envelope")]

    def contrib(rows) -> np.ndarray:
        out = np.zeros(len(b.x_cols))
        A = lp.A
        for i in rows:
            out -= A[i, b.x_cols] * y[i]
        return out * sgn

    ret, rules_v, budget_v = contrib(link_rows), contrib(rule_rows), -contrib(budget_rows)
    ret = ret + lp.obj[b.x_cols] * sgn  # net of the risk price (expected losses × points per 万元)
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





# ----------------------------------------------------------------------------- impossible scenarios
