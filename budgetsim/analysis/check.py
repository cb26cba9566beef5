"""Checking a user's own plan: its score, the rules it breaks, the optimum beside it, and the best plan nearby.

:func:`check` takes a scenario and a draft (万元 per category × mode × year: a
:class:`~budgetsim.scenario.plans.Plan`, a channels × years array or a plan file) and answers
the finance bureau's four questions:

* **What does it score?** — the draft as a :class:`~budgetsim.results.Result` with status
  ``given``: the same tables as a solved plan (performance and its four dimensions,
  indicators, leverage, pools, funds, cash flows), on the true curves.
* **Which rules does it break, by how much?** — every row the model builds for the scenario's
  active rules (:mod:`budgetsim.model.rules`, read through their
  :class:`~budgetsim.model.builder.RowMeta`) is evaluated at the draft.  A row's breach is in
  万元; the rule's sensitivity to its own parameter (:mod:`.sensitivity`) turns it into the
  rule's own unit — the value of the parameter at which the draft would just comply (its
  share, leverage, growth, change, amount …), so the excess is ``|value − limit|`` in
  percentage points, ×, 万元 or the indicator's unit.  Output targets are checked on the
  true-curve totals, whole projects and minimum tickets on the amounts themselves.  Breaches
  below half a 万元 on a row (rounding in a file) are not reported.
* **How far from the best plan?** — the optimum for the same scenario, and the gap in points.
* **What are the few changes that gain the most?** (:func:`improve`) — the best plan that keeps
  every rule and stays within ±X % of the draft in each channel-year: the scenario solved with
  those bands as fixed figures (floors and caps), then split into moves, each priced alone on
  the true curves ("move 1,200 万元 from … to … in 2027: +0.40 points").  When no plan within
  the bands keeps the rules, the impossible-scenario diagnosis — with the bands held hard —
  names the rules that prevent it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import BudgetsimError
from ..model.builder import ModelBuilder
from ..model.rules import rule_label
from ..results import Result
from ..scenario.loading import Scenario, load_scenario
from ..scenario.plans import Plan, read_plan
from .sensitivity import _row_sensitivity, _sens_at
from .wording import UNIT, _fmt_param, _key_label, _unit_text

ROW_TOLERANCE_WAN = 0.5  # a row breached by less than half a 万元 is rounding, not a breach
MOVE_MIN_WAN = 1.0  # changes below 1 万元 are not worth a sentence
TEXT_MOVES = 10  # moves listed in the text report (all are in the table)
BREACH_COLUMNS = ["id", "row", "label_zh", "label_en", "year", "key", "item_zh", "item_en", "side", "limit",
                  "value", "excess", "unit", "excess_zh", "excess_en", "sentence_zh", "sentence_en"]
MOVE_COLUMNS = ["year", "from_category", "from_mode", "to_category", "to_mode", "amount_wan", "gain",
                "sentence_zh", "sentence_en"]
BAND_RULE = "fixed_figures"
HARD_FOR_BANDS = ("budget_envelope", "fixed_figures")


# ----------------------------------------------------------------------------- results


@dataclass
class Improvement:
    """The best plan within ±``within`` of the draft in every channel-year, as moves."""

    within: float
    status: str  # improved | no_gain | impossible
    draft_performance: float
    result: Result | None = None  # the improved plan (status 'given', on the original scenario)
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MOVE_COLUMNS))
    blocking: pd.DataFrame | None = None  # impossible: the rules that must give, and by how much
    message_zh: str = ""
    message_en: str = ""

    @property
    def performance(self) -> float | None:
        return self.result.performance if self.result is not None else None

    @property
    def gain(self) -> float:
        return (self.performance - self.draft_performance) if self.result is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = {"within": self.within, "status": self.status, "draft_performance": self.draft_performance,
             "performance": self.performance, "gain": self.gain if self.result is not None else None,
             "moves": _records(self.moves), "message_zh": self.message_zh, "message_en": self.message_en}
        if self.result is not None:
            d["allocation"] = [{"category": c, "mode": m, "year": int(y), "amount_wan": float(self.result.x[j, t])}
                               for j, (c, m) in enumerate(self.result.scenario.channels)
                               for t, y in enumerate(self.result.scenario.years)]
        if self.blocking is not None:
            d["blocking"] = _records(self.blocking[[c for c in ("id", "row", "year", "key", "from", "to",
                                                                 "sentence_zh", "sentence_en")
                                                    if c in self.blocking.columns]])
        return d


@dataclass
class PlanCheck:
    """A draft checked against its scenario: ``plan`` (status ``given``), ``breaches``, ``optimum``, the gap."""

    scenario: Scenario
    plan: Result
    optimum: Result
    breaches: pd.DataFrame
    improvement: Improvement | None = None
    seconds: float = 0.0  # the check itself (evaluation and rules), without the optimum's solve

    @property
    def keeps_rules(self) -> bool:
        return len(self.breaches) == 0

    @property
    def performance(self) -> float:
        return float(self.plan.performance)

    @property
    def optimum_performance(self) -> float | None:
        return self.optimum.performance

    @property
    def gap(self) -> float | None:
        """Points the optimum scores above the draft (None when the scenario has no optimum)."""
        return self.optimum.performance - self.performance if self.optimum.ok else None

    def headline(self) -> dict[str, Any]:
        """The figures of the draft's tiles, straight from the money matrices (no tables: an edit in the
        workbench needs them in milliseconds)."""
        mech = self.plan.mech
        xf = mech.flatten(self.plan.x)
        fiscal, external = float((mech.budget @ xf).sum()), float((mech.external @ xf).sum())
        return {"performance": self.performance, "optimum_performance": self.optimum_performance,
                "gap": self.gap, "breaches": int(len(self.breaches)), "budget_allocated_wan": fiscal,
                "budget_envelope_wan": float(self.scenario.budget_wan.sum()),
                "leverage": external / fiscal if fiscal > 0 else None}

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan.to_dict()
        plan.pop("solver", None)
        d = {"scenario": self.scenario.id, "performance": self.performance,
             "keeps_rules": self.keeps_rules, "breach_count": int(len(self.breaches)),
             "breaches": _records(self.breaches),
             "optimum": {"status": self.optimum.status, "performance": self.optimum.performance,
                         "allocation": [{"category": c, "mode": m, "year": int(y),
                                         "amount_wan": float(self.optimum.x[j, t])}
                                        for j, (c, m) in enumerate(self.scenario.channels)
                                        for t, y in enumerate(self.scenario.years)] if self.optimum.ok else []},
             "gap": self.gap, "plan": plan, "check_seconds": self.seconds}
        if self.improvement is not None:
            d["improvement"] = self.improvement.to_dict()
        return d

    def text(self, lang: str = "zh") -> str:
        return check_text(self, lang)


# ----------------------------------------------------------------------------- rule breaches


def _item(s: Scenario, rid: str, key: str | None, lang: str) -> str:
    return _key_label(s, rid, key, lang)


def _excess_text(s: Scenario, rid: str, key: str | None, excess: float, unit_kind: str, lang: str) -> str:
    if unit_kind in ("share", "rate"):
        return f"{excess * 100:.2f} 个百分点" if lang == "zh" else f"{excess * 100:.2f} percentage points"
    if unit_kind == "ratio":
        return f"{excess:.2f}×"
    if unit_kind == "indicator":
        unit = _unit_text(s, rid, key, lang)
        return f"{excess:,.1f} {unit}".strip()
    return f"{excess:,.0f} 万元"


def _value_text(s: Scenario, rid: str, key: str | None, v: float, unit_kind: str, lang: str) -> str:
    if unit_kind == "indicator":
        return f"{v:,.1f} {_unit_text(s, rid, key, lang)}".strip()
    return _fmt_param(s, rid, key, v, lang)


def _sentence(rec: dict, lang: str) -> str:
    label, item, year = rec[f"label_{lang}"], rec[f"item_{lang}"], rec["year"]
    lim, val, exc = rec[f"limit_text_{lang}"], rec[f"value_text_{lang}"], rec[f"excess_{lang}"]
    floor = rec["value"] < rec["limit"]  # in the rule's own terms: below a floor, or above a cap / band
    if lang == "zh":
        where = "，".join(filter(None, [item, f"{year} 年" if year is not None else ""]))
        where = f"（{where}）" if where else ""
        what = f"低于下限，差 {exc}" if floor else f"超出限值 {exc}"
        return f"{label}{where}：限值 {lim}，本方案 {val}，{what}。"
    where = ", ".join(filter(None, [item, str(year) if year is not None else ""]))
    where = f" ({where})" if where else ""
    what = f"short by {exc}" if floor else f"over by {exc}"
    return f"{label}{where}: limit {lim}, this plan {val} — {what}."


def rule_breaches(s: Scenario, x: np.ndarray, builder: ModelBuilder, plan: Result | None = None) -> pd.DataFrame:
    """Every active rule's rows the plan ``x`` (channels × years, 万元) breaks, in the rules' own units.

    ``builder`` is a model of ``s`` (any objective: the rule rows are the same), e.g. the
    optimum's; ``plan`` the plan's own scored result, for the true-curve indicator totals."""
    mech = builder.mech
    xf = mech.flatten(np.asarray(x, dtype=float))
    lp = builder.lp
    full = np.zeros(lp.n_cols)
    full[builder.x_cols] = xf
    plan = plan if plan is not None else Result.of_plan(s, x, builder.ev)
    totals = dict(zip(s.indicators, plan.evaluation.indicators.sum(axis=1)))  # on the true curves
    idx, A = _rule_rows(builder)
    act = A @ xf
    recs = []
    for i, a in zip(idx, act):
        meta = builder.rows[i]
        lo, hi = lp.row_lo[i], lp.row_hi[i]
        rid = meta.rule
        kind = UNIT.get(rid, "wan")
        if rid == "indicator_targets":  # on the true curves, not the linearised rows
            value = float(totals[meta.key])
            if value >= meta.param * (1 - 1e-6):
                continue
            recs.append(_record(s, meta, "lo", meta.param, value, meta.param - value, kind))
            continue
        if np.isfinite(lo) and a < lo - ROW_TOLERANCE_WAN:
            side, short = "lo", lo - a
        elif np.isfinite(hi) and a > hi + ROW_TOLERANCE_WAN:
            side, short = "hi", a - hi
        else:
            continue
        sens = _row_sensitivity(builder, meta)
        q = _sens_at(sens, full, side) if sens is not None else 0.0
        if sens is None or abs(q) < 1e-12 or meta.param is None:
            # a row without a parameter sensitivity: the breach in the row's own unit (万元)
            recs.append(_record(s, meta, side, lo if side == "lo" else hi, a, short, "wan"))
            continue
        value = meta.param - ((a - (lo if side == "lo" else hi)) / q)
        recs.append(_record(s, meta, side, meta.param, value, abs(value - meta.param), kind))
    recs += _lumpy_breaches(s, x, builder)
    df = pd.DataFrame(recs, columns=BREACH_COLUMNS + ["limit_text_zh", "limit_text_en", "value_text_zh",
                                                      "value_text_en"])
    return df


def _rule_rows(builder: ModelBuilder) -> tuple[list[int], np.ndarray]:
    """The builder's rule rows (but whole projects) and their coefficients on the allocation columns, taken
    once per model: rule rows over the allocation never change between refinement passes."""
    cached = builder.__dict__.get("_check_rule_rows")
    if cached is None:
        idx = [i for i, m in enumerate(builder.rows) if m.rule is not None and m.rule != "lumpy_funding"]
        A = builder.lp.A[np.ix_(idx, builder.x_cols)] if idx else np.zeros((0, len(builder.x_cols)))
        cached = builder.__dict__["_check_rule_rows"] = (idx, A)
    return cached


def _record(s: Scenario, meta, side: str, limit: float, value: float, excess: float, kind: str,
            texts: dict | None = None) -> dict:
    rid, key = meta.rule, meta.key
    rec = {"id": rid, "row": meta.name, "label_zh": rule_label(s, rid, "zh"), "label_en": rule_label(s, rid, "en"),
           "year": meta.year, "key": key, "item_zh": _item(s, rid, key, "zh"), "item_en": _item(s, rid, key, "en"),
           "side": side, "limit": float(limit), "value": float(value), "excess": float(excess),
           "unit": {"share": "share", "rate": "rate", "ratio": "×", "wan": "万元"}.get(kind) or
           _unit_text(s, rid, key, "en")}
    for lang in ("zh", "en"):
        rec[f"limit_text_{lang}"] = _fmt_param(s, rid, key, limit, lang)
        rec[f"value_text_{lang}"] = _value_text(s, rid, key, value, kind, lang)
        rec[f"excess_{lang}"] = _excess_text(s, rid, key, excess, kind, lang)
    if texts:
        rec.update(texts)
    rec["sentence_zh"] = _sentence(rec, "zh")
    rec["sentence_en"] = _sentence(rec, "en")
    return rec


def _lumpy_breaches(s: Scenario, x: np.ndarray, builder: ModelBuilder) -> list[dict]:
    """Whole projects (an amount that is not a whole number of projects) and minimum tickets."""
    r = s.rule("lumpy_funding")
    if r is None:
        return []
    out = []
    rows = {m.name: m for m in builder.rows if m.rule == "lumpy_funding"}
    for pu in r.projects:
        j = s.channels.index((pu.category, pu.mode))
        for t, y in enumerate(s.years):
            v = float(x[j, t])
            n = v / pu.unit_wan
            off = abs(n - round(n)) * pu.unit_wan
            if off > ROW_TOLERANCE_WAN:
                meta = rows[f"whole_projects_{pu.category}_{pu.mode}_{y}"]
                rec = _record(s, meta, "hi", pu.unit_wan, v, off, "wan")
                rec["limit_text_zh"] = f"整项目（每项 {pu.unit_wan:,.0f} 万元）"
                rec["limit_text_en"] = f"whole projects of {pu.unit_wan:,.0f} 万元"
                rec["value_text_zh"] = f"{v:,.0f} 万元（{n:.2f} 项）"
                rec["value_text_en"] = f"{v:,.0f} 万元 ({n:.2f} projects)"
                rec["sentence_zh"] = (f"{rec['label_zh']}（{rec['item_zh']}，{y} 年）："
                                      f"须为整项目（每项 {pu.unit_wan:,.0f} "
                                      f"万元），本方案 {v:,.0f} 万元，即 {n:.2f} 项，差 {off:,.0f} 万元成整。")
                rec["sentence_en"] = (f"{rec['label_en']} ({rec['item_en']}, {y}): whole projects of "
                                      f"{pu.unit_wan:,.0f} 万元; this plan {v:,.0f} 万元 = {n:.2f} projects, "
                                      f"{off:,.0f} 万元 off a whole number.")
                out.append(rec)
    for mt in r.min_tickets:
        j = s.channels.index((mt.category, mt.mode))
        for t, y in enumerate(s.years):
            v = float(x[j, t])
            if ROW_TOLERANCE_WAN < v < mt.min_wan - ROW_TOLERANCE_WAN:
                meta = rows[f"min_ticket_{mt.category}_{mt.mode}_{y}"]
                out.append(_record(s, meta, "lo", mt.min_wan, v, mt.min_wan - v, "wan"))
    return out


# ----------------------------------------------------------------------------- check


def _as_array(s: Scenario, plan) -> np.ndarray:
    if isinstance(plan, Plan):
        return plan.amounts
    if isinstance(plan, (str, Path)):
        return read_plan(s, plan).amounts
    x = np.asarray(plan, dtype=float)
    shape = (len(s.channels), len(s.years))
    if x.shape != shape:
        raise BudgetsimError(f"a plan is channels × years = {shape[0]} × {shape[1]} (万元), got {x.shape}")
    if not np.all(np.isfinite(x)) or (x < 0).any():
        raise BudgetsimError("a plan's amounts must be finite and not negative (万元)")
    return x


def check(scenario: Scenario | str | Path, plan, *, optimum: Result | None = None, improve: float | None = None,
          solver: str = "highs") -> PlanCheck:
    """Check a draft: its score on the true curves, every rule it breaks, the optimum and the gap.

    ``plan``: a :class:`Plan`, a channels × years array (万元, the scenario's channel order) or a
    plan file.  ``optimum``: the scenario's solved result, if already at hand (it is solved
    otherwise).  ``improve``: a share (0.10 = ±10 %) for :func:`improve`."""
    import time

    from ..solving import solve

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    x = _as_array(s, plan)
    if optimum is None:
        optimum = solve(s, solver=solver)
    elif optimum.scenario is not s and optimum.scenario.raw != s.raw:
        raise BudgetsimError("check: the optimum given is for another scenario")
    t0 = time.perf_counter()
    given = Result.of_plan(s, x, optimum.evaluator)
    breaches = rule_breaches(s, x, optimum.run.builder, given)
    _ = given.performance
    seconds = time.perf_counter() - t0
    out = PlanCheck(s, given, optimum, breaches, seconds=seconds)
    if improve is not None:
        out.improvement = improve_plan(s, x, improve, draft=given, breaches=breaches, solver=solver)
    return out


# ----------------------------------------------------------------------------- improve


def band_figures(s: Scenario, x: np.ndarray, within: float) -> list[dict]:
    """Fixed figures that hold every channel-year within ±``within`` of ``x``, merged with the scenario's own
    fixed figures (an exact figure stays exact; a floor or cap tightens the band)."""
    lo, hi = x * (1 - within), x * (1 + within)
    exact = np.full(x.shape, np.nan)
    own = s.rule("fixed_figures")
    for f in (own.figures if own is not None else []):
        j = s.channels.index((f.category, f.mode))
        for y in ([f.year] if f.year is not None else s.years):
            t = s.years.index(y)
            if f.amount_wan is not None:
                exact[j, t] = f.amount_wan
            if f.min_wan is not None:
                lo[j, t] = max(lo[j, t], f.min_wan)
            if f.max_wan is not None:
                hi[j, t] = min(hi[j, t], f.max_wan)
    out = []
    for j, (c, m) in enumerate(s.channels):
        for t, y in enumerate(s.years):
            if not np.isnan(exact[j, t]):
                out.append({"category": c, "mode": m, "year": y, "amount_wan": float(exact[j, t])})
            else:
                out.append({"category": c, "mode": m, "year": y, "min_wan": round(float(lo[j, t]), 4),
                            "max_wan": round(float(max(hi[j, t], lo[j, t])), 4)})
    return out


def with_band(s: Scenario, x: np.ndarray, within: float) -> Scenario:
    """The scenario with every channel-year held within ±``within`` of ``x`` (as fixed figures)."""
    own = s.rule("fixed_figures")
    rule = {"enabled": True, "figures": band_figures(s, x, within)}
    if own is None:
        rule["label_zh"] = f"在草案 ±{within * 100:g}% 内调整"
        rule["label_en"] = f"Within ±{within * 100:g} % of the draft"
    return s.with_changes({"rules.fixed_figures": {**(s.raw.get("rules", {}).get("fixed_figures") or {}), **rule}})


def improve_plan(s: Scenario, x: np.ndarray, within: float, *, draft: Result | None = None,
                 breaches: pd.DataFrame | None = None, solver: str = "highs") -> Improvement:
    """The best plan that keeps every rule within ±``within`` (a share) of the draft ``x``, as ranked moves."""
    from ..solving import solve
    from .explain import explain

    if not 0 < within <= 10:
        raise BudgetsimError(f"improve: the band must be a positive share, e.g. 0.10 for ±10 %, got {within}")
    draft = draft if draft is not None else Result.of_plan(s, x)
    base = float(draft.performance)
    pct = f"{within * 100:g}"
    r = solve(with_band(s, x, within), solver=solver)
    if r.status == "infeasible":
        ex = explain(r, hard=HARD_FOR_BANDS, solver=solver)
        blocking = ex.conflicts
        if len(blocking):
            zh = "需放宽：" + "；".join(blocking["sentence_zh"])
            en = "What must give: " + "; ".join(blocking["sentence_en"])
        else:  # nothing else can give: the band itself is too narrow for the budget
            zh = (f"在此范围内{rule_label(s, 'budget_envelope', 'zh')}无法满足，"
                  "放宽其他规则也无济于事；请扩大改动幅度。")
            en = (f"the {rule_label(s, 'budget_envelope', 'en')} cannot be met within the band whatever the other "
                  "rules; widen the band.")
        return Improvement(within, "impossible", base, blocking=blocking,
                           message_zh=f"在草案 ±{pct}% 范围内，没有任何方案能满足全部规则。{zh}",
                           message_en=f"No plan within ±{pct} % of the draft keeps every rule: {en}")
    if not r.ok:
        raise BudgetsimError(f"improve: the solver stopped without a plan ({r.status}: {r.message})")
    better = Result.of_plan(s, r.x, draft.evaluator)
    breaks = breaches if breaches is not None else rule_breaches(s, x, r.run.builder, draft)
    if better.performance <= base + 1e-9 and len(breaks) == 0:
        return Improvement(within, "no_gain", base, result=draft,
                           message_zh=f"在草案 ±{pct}% 范围内已无更优方案：草案即为最优。",
                           message_en=f"No better plan within ±{pct} % of the draft: the draft is the best there.")
    moves = plan_moves(s, x, better.x, draft.evaluator, base)
    gain = better.performance - base
    if len(breaks):
        zh = (f"草案违反规则 {len(breaks)} 处；在 ±{pct}% 范围内满足全部规则的最优方案得分 {better.performance:.2f}"
              f"（{gain:+.2f} 分）。")
        en = (f"The draft breaks {len(breaks)} rule rows; the best plan within ±{pct} % that keeps every rule scores "
              f"{better.performance:.2f} ({gain:+.2f} points).")
    else:
        zh = f"在草案 ±{pct}% 范围内的最优方案得分 {better.performance:.2f}，提高 {gain:.2f} 分。"
        en = f"The best plan within ±{pct} % of the draft scores {better.performance:.2f}: {gain:+.2f} points."
    return Improvement(within, "improved", base, result=better, moves=moves, message_zh=zh, message_en=en)


def plan_moves(s: Scenario, x: np.ndarray, x_new: np.ndarray, ev, base: float) -> pd.DataFrame:
    """The change from ``x`` to ``x_new`` as moves within each year (largest cut to largest increase first;
    on-budget and off-budget money apart), each priced alone on the true curves, best first."""
    on = np.array([s.mode(m).on_budget for _, m in s.channels])
    d = x_new - x
    moves = []  # (t, from j | None, to j | None, amount)
    for t in range(len(s.years)):
        for group in (on, ~on):
            give = [[j, -d[j, t]] for j in np.flatnonzero(group) if d[j, t] < -MOVE_MIN_WAN]
            take = [[j, d[j, t]] for j in np.flatnonzero(group) if d[j, t] > MOVE_MIN_WAN]
            give.sort(key=lambda v: -v[1])
            take.sort(key=lambda v: -v[1])
            while give and take:
                a = min(give[0][1], take[0][1])
                moves.append((t, give[0][0], take[0][0], a))
                give[0][1] -= a
                take[0][1] -= a
                give = sorted([g for g in give if g[1] > MOVE_MIN_WAN], key=lambda v: -v[1])
                take = sorted([g for g in take if g[1] > MOVE_MIN_WAN], key=lambda v: -v[1])
            moves += [(t, j, None, a) for j, a in give] + [(t, None, j, a) for j, a in take]
    if not moves:
        return pd.DataFrame(columns=MOVE_COLUMNS)
    mech = ev.mech
    cand = np.repeat(mech.flatten(x)[:, None], len(moves), axis=1)
    for k, (t, jf, jt, a) in enumerate(moves):
        if jf is not None:
            cand[mech.col(jf, t), k] -= a
        if jt is not None:
            cand[mech.col(jt, t), k] += a
    gains = np.asarray(ev.evaluate(cand).performance) - base
    recs = []
    for (t, jf, jt, a), g in zip(moves, gains):
        y = s.years[t]
        names = {lang: [(_channel_name(s, j, lang) if j is not None else None) for j in (jf, jt)]
                 for lang in ("zh", "en")}
        recs.append({"year": y, "from_category": s.channels[jf][0] if jf is not None else None,
                     "from_mode": s.channels[jf][1] if jf is not None else None,
                     "to_category": s.channels[jt][0] if jt is not None else None,
                     "to_mode": s.channels[jt][1] if jt is not None else None,
                     "amount_wan": float(a), "gain": float(g),
                     "sentence_zh": _move_sentence(y, a, g, *names["zh"], "zh"),
                     "sentence_en": _move_sentence(y, a, g, *names["en"], "en")})
    return pd.DataFrame(recs, columns=MOVE_COLUMNS).sort_values("gain", ascending=False,
                                                                kind="stable").reset_index(drop=True)


def _channel_name(s: Scenario, j: int, lang: str) -> str:
    c, m = s.channels[j]
    return f"{getattr(s.spec.categories[c], f'label_{lang}')} × {getattr(s.spec.modes[m], f'label_{lang}')}"


def _move_sentence(year: int, amount: float, gain: float, frm: str | None, to: str | None, lang: str) -> str:
    amt = f"{amount:,.0f} 万元"
    if lang == "zh":
        pts = f"{gain:+.2f} 分"
        if frm and to:
            return f"{year} 年：从「{frm}」调出 {amt} 至「{to}」：{pts}"
        return f"{year} 年：{'「' + to + '」增加' if to else '「' + frm + '」减少'} {amt}：{pts}"
    pts = f"{gain:+.2f} points"
    if frm and to:
        return f"move {amt} from {frm} to {to} in {year}: {pts}"
    return f"{'add' if to else 'cut'} {amt} {'to' if to else 'from'} {to or frm} in {year}: {pts}"


# ----------------------------------------------------------------------------- text


def check_text(c: PlanCheck, lang: str = "zh") -> str:
    zh = lang == "zh"
    s = c.scenario
    out = [f"{s.title(lang)}  [{s.id}]"]
    sq = c.plan.status_quo_performance
    out.append((f"草案绩效指数 {c.performance:.2f}（现状 {sq:.2f}）" if zh else
                f"Draft performance {c.performance:.2f} (status quo {sq:.2f})"))
    if c.optimum.ok:
        gap = round(c.gap, 2) + 0.0  # no '-0.00' for a draft that is the optimum
        out.append((f"最优方案 {c.optimum_performance:.2f}，差距 {gap:.2f} 分" if zh else
                    f"Optimum {c.optimum_performance:.2f}; gap {gap:.2f} points"))
    else:
        out.append("本情景本身不可行：没有任何方案能同时满足全部规则"
                   "（用 budgetsim explain 查看哪些规则冲突、各需放宽多少）。"
                   if zh else "This scenario has no plan that keeps every rule: " + c.optimum.message)
    out.append("")
    if c.keeps_rules:
        out.append("草案满足全部规则。" if zh else "The draft keeps every rule.")
    else:
        out.append(f"草案违反规则 {len(c.breaches)} 处：" if zh else f"The draft breaks {len(c.breaches)} rule rows:")
        out += [f"  - {v}" for v in c.breaches[f"sentence_{lang}"]]
    parts = c.plan.performance_parts
    out.append("")
    out.append("按评价维度（指数点）：" if zh else "By evaluation dimension (index points):")
    out += [f"  {getattr(r, f'label_{lang}')}: {r.plan:.2f} ({r.diff:+.2f})" for r in parts.itertuples()]
    imp = c.improvement
    if imp is not None:
        out.append("")
        out.append(imp.message_zh if zh else imp.message_en)
        if len(imp.moves):
            out.append("调整建议（按单项增益排序）：" if zh else "Moves, ranked by what each gains alone:")
            top = imp.moves.head(TEXT_MOVES)
            out += [f"  - {v}" for v in top[f"sentence_{lang}"]]
            rest = imp.moves.iloc[TEXT_MOVES:]
            if len(rest):
                out.append(f"  …… 另有 {len(rest)} 项较小调整（单项合计 {rest['gain'].sum():+.2f} 分）" if zh else
                           f"  … and {len(rest)} smaller moves (together {rest['gain'].sum():+.2f} points alone)")
    return "\n".join(out) + "\n"


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (float, np.floating)):
                clean[k] = None if math.isnan(v) else float(v)
            elif isinstance(v, (np.integer,)):
                clean[k] = int(v)
            elif v is pd.NA:
                clean[k] = None
            else:
                clean[k] = v
        out.append(clean)
    return out
