"""Results: a solved plan as tidy tables, with the status quo beside it.

:class:`Result` turns the solver's numbers into pandas DataFrames (allocation,
budget, indicators, performance by dimension, leverage, risk pools), computes the same
figures for the status-quo split on the same true curves, and serialises all of it to a
JSON-ready dict with stable top-level keys for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .model.evaluate import Evaluation, Evaluator, cvar, evaluate_draws
from .model.mechanics import Mechanics
from .model.continuity import stability
from .model.builder import RiskSpec, SolveRun
from .model.rules import RULES, rule_label
from .scenario.distributions import Draws
from .scenario.loading import Scenario
from .scenario.provenance import inputs_summary

GIVEN = "given"  # the status of a plan a user gave (scored, not solved)
INFEASIBLE_SENTENCE = ("No plan satisfies all active rules of this scenario at once; "
                       "run `budgetsim explain` to see which rules conflict and by how much.")


def time_limit_sentence(limit: float) -> str:
    """What a user reads when a solve ran out of time (no plan is shown)."""
    return (f"The solver ran out of time ({limit:g} s) before it could prove a plan optimal; no plan is shown. "
            f"Allow more time (--time-limit SECONDS, or time_limit= in Python) or simplify the scenario "
            f"(fewer whole-project rules, coarser targets).")


@dataclass
class Result:
    scenario: Scenario
    objective: str
    status: str
    run: SolveRun | None = field(repr=False)
    message: str = ""
    risk: RiskSpec | None = field(default=None, repr=False)  # the samples of a cvar solve
    given_x: np.ndarray | None = field(default=None, repr=False)  # a user's plan (status 'given'), J × T
    given_evaluator: Evaluator | None = field(default=None, repr=False)

    @classmethod
    def of_plan(cls, scenario: Scenario, x: np.ndarray, evaluator: Evaluator | None = None,
                message: str = "") -> "Result":
        """A plan the user gave (channels × years, 万元), scored on the true curves with the same tables
        as a solved plan; its status is ``given`` and it has no solver run."""
        x = np.asarray(x, dtype=float)
        ev = evaluator if evaluator is not None and evaluator.scenario is scenario else Evaluator(scenario)
        if x.shape != (ev.mech.J, ev.mech.T):
            raise ValueError(f"a plan is channels × years = {ev.mech.J} × {ev.mech.T}, got {x.shape}")
        return cls(scenario, GIVEN, GIVEN, None, message, given_x=x.copy(), given_evaluator=ev)

    # ------------------------------------------------------------------ basics
    @property
    def ok(self) -> bool:
        """Whether there is a plan to show: solved to optimality, or given by the user."""
        return self.status in ("optimal", GIVEN)

    @property
    def given(self) -> bool:
        return self.status == GIVEN

    @property
    def mech(self) -> Mechanics:
        return self.evaluator.mech  # the solve's own matrices, not built again

    @property
    def evaluator(self) -> Evaluator:
        return self.run.builder.ev if self.run is not None else self.given_evaluator

    @cached_property
    def x(self) -> np.ndarray:
        """Allocation, channels × years, 万元 (zeros when there is no plan)."""
        if self.given_x is not None:
            return self.given_x
        if self.run.x is None:
            return np.zeros((self.mech.J, self.mech.T))
        return self.mech.unflatten(self.run.x)

    @cached_property
    def status_quo_x(self) -> np.ndarray:
        return self.scenario.status_quo_allocation

    @cached_property
    def evaluation(self) -> Evaluation | None:
        return self.evaluator.evaluate(self.mech.flatten(self.x)) if self.ok else None

    @cached_property
    def status_quo_evaluation(self) -> Evaluation:
        return self.evaluator.evaluate(self.mech.flatten(self.status_quo_x))

    @property
    def performance(self) -> float | None:
        return float(self.evaluation.performance) if self.ok else None

    @property
    def status_quo_performance(self) -> float:
        return float(self.status_quo_evaluation.performance)

    @property
    def linearisation_gap(self) -> float:
        return self.run.gap if self.run is not None else 0.0

    @property
    def build_seconds(self) -> float:
        return self.run.build_seconds if self.run is not None else 0.0

    @property
    def solve_seconds(self) -> float:
        return self.run.solve_seconds if self.run is not None else 0.0

    @property
    def is_mip(self) -> bool:
        return self.run is not None and self.run.builder.lp.is_mip

    # ------------------------------------------------------------------ tables
    def _labels(self, kind: str, ids: list[str], lang: str) -> list[str]:
        src = getattr(self.scenario.spec, kind)
        return [getattr(src[i], f"label_{lang}") for i in ids]

    @cached_property
    def allocation(self) -> pd.DataFrame:
        s = self.scenario
        rows = []
        prior = self.mech.prior_cash
        spend = self.mech.budget @ self.mech.flatten(self.x) + self.mech.prior_budget
        for j, (c, m) in enumerate(s.channels):
            on = s.mode(m).on_budget
            # cash out per year: payouts (a fund's pay-ins) on the plan's awards, plus money due on
            # awards made before the plan (续拨)
            cash = self.mech.cash_kernel(j) @ self.x[j] + prior[j]
            sq_cash = self.mech.cash_kernel(j) @ self.status_quo_x[j] + prior[j]
            for t, y in enumerate(s.years):
                amt = float(self.x[j, t])
                rows.append({
                    "category": c, "mode": m, "year": y, "amount_wan": amt,
                    "cash_wan": float(cash[t]),
                    "prior_awards_wan": float(prior[j, t]),
                    "share": cash[t] / spend[t] if on and spend[t] > 0 else np.nan,
                    "on_budget": on,
                    "status_quo_wan": float(self.status_quo_x[j, t]),
                    "status_quo_cash_wan": float(sq_cash[t]),
                    "diff_wan": amt - float(self.status_quo_x[j, t]),
                })
        return pd.DataFrame(rows)

    @cached_property
    def budget(self) -> pd.DataFrame:
        s, mech = self.scenario, self.mech
        x, sq = mech.flatten(self.x), mech.flatten(self.status_quo_x)
        prior = mech.prior_budget
        alloc = mech.budget @ x + prior
        return pd.DataFrame({
            "year": s.years, "envelope_wan": s.budget_wan, "allocated_wan": alloc,
            "prior_awards_wan": prior,
            "unallocated_wan": s.budget_wan - alloc, "status_quo_wan": mech.budget @ sq + prior,
            "tax_forgone_wan": mech.tax @ x, "status_quo_tax_forgone_wan": mech.tax @ sq,
        })

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Indicator output per year: plan, status quo, difference."""
        s = self.scenario
        plan = self.evaluation.indicators if self.ok else np.full((len(s.indicators), len(s.years)), np.nan)
        sq = self.status_quo_evaluation.indicators
        rows = []
        for i, iid in enumerate(s.indicators):
            for t, y in enumerate(s.years):
                rows.append({"indicator": iid, "year": y, "value": float(plan[i, t]),
                             "status_quo": float(sq[i, t]), "diff": float(plan[i, t] - sq[i, t])})
        return pd.DataFrame(rows)

    @cached_property
    def indicator_totals(self) -> pd.DataFrame:
        """Indicators over the whole plan, with weights, targets and index points."""
        s = self.scenario
        targets = s.targets
        plan_ev, sq_ev = self.evaluation, self.status_quo_evaluation
        rows = []
        for i, (iid, ind) in enumerate(s.spec.indicators.items()):
            total = float(plan_ev.indicators[i].sum()) if self.ok else np.nan
            sq_total = float(sq_ev.indicators[i].sum())
            target = targets.get(iid)
            rows.append({
                "indicator": iid, "label_zh": ind.label_zh, "label_en": ind.label_en,
                "unit_zh": ind.unit_zh, "unit_en": ind.unit_en, "dimension": ind.dimension,
                "weight": float(self.evaluator.weights[i]),
                "plan_total": total, "status_quo_total": sq_total, "diff": total - sq_total,
                "target": target if target is not None else np.nan,
                "target_met": (bool(total >= target * (1 - 1e-6)) if target is not None and self.ok else None),
                "index_points": float(plan_ev.contributions[i]) if self.ok else np.nan,
                "status_quo_points": float(sq_ev.contributions[i]),
            })
        return pd.DataFrame(rows)

    @cached_property
    def performance_parts(self) -> pd.DataFrame:
        """Index points by evaluation dimension (能力/质量/实效/贡献)."""
        s = self.scenario
        tot = self.indicator_totals
        rows = []
        for did, dim in s.spec.dimensions.items():
            part = tot[tot["dimension"] == did]
            plan = float(part["index_points"].sum()) if self.ok else np.nan
            sq = float(part["status_quo_points"].sum())
            rows.append({"dimension": did, "label_zh": dim.label_zh, "label_en": dim.label_en,
                         "weight": dim.weight, "plan": plan, "status_quo": sq, "diff": plan - sq})
        return pd.DataFrame(rows)

    @cached_property
    def leverage(self) -> pd.DataFrame:
        s, mech = self.scenario, self.mech
        x, sq = mech.flatten(self.x), mech.flatten(self.status_quo_x)
        pb, pe = mech.prior_budget, mech.prior_external  # awards made before the plan count too
        fiscal, ext = mech.budget @ x + pb, mech.external @ x + pe
        sq_fiscal, sq_ext = mech.budget @ sq + pb, mech.external @ sq + pe
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame({
                "year": s.years, "fiscal_wan": fiscal, "external_wan": ext,
                "leverage": np.where(fiscal > 0, ext / fiscal, np.nan),
                "status_quo_external_wan": sq_ext,
                "status_quo_leverage": np.where(sq_fiscal > 0, sq_ext / sq_fiscal, np.nan),
                "tax_supported_rd_wan": mech.tax_supported_rd @ x,
            })

    @cached_property
    def pools(self) -> pd.DataFrame:
        """Risk-compensation pools per year: balance, loans, expected draws, contingent liability."""
        s, mech = self.scenario, self.mech
        x = mech.flatten(self.x)
        rows = []
        for j in mech.pool_channels:
            c, m = s.channels[j]
            pr = {k: v @ x for k, v in mech.pool_rows(j).items()}
            for t, y in enumerate(s.years):
                rows.append({"category": c, "mode": m, "year": y, "allocation_wan": float(self.x[j, t]),
                             "available_wan": pr["available"][t], "loans_wan": pr["loans"][t],
                             "expected_draws_wan": pr["draws"][t], "balance_end_wan": pr["balance"][t],
                             "contingent_liability_wan": pr["liability"][t]})
        return pd.DataFrame(rows, columns=["category", "mode", "year", "allocation_wan", "available_wan",
                                           "loans_wan", "expected_draws_wan", "balance_end_wan",
                                           "contingent_liability_wan"])

    @cached_property
    def funds(self) -> pd.DataFrame:
        """Guidance funds per year: commitments, pay-ins, fees, private capital, expected write-offs,
        money returned within the plan, the present value of later returns, money still at work and
        commitments not yet paid in."""
        s, mech = self.scenario, self.mech
        x = mech.flatten(self.x)
        cols = ["category", "mode", "year", "commitment_wan", "paid_in_wan", "fees_wan", "invested_wan",
                "private_wan", "expected_write_offs_wan", "returned_wan", "returns_value_wan",
                "at_work_wan", "unpaid_commitments_wan"]
        keys = ["commitment", "paid_in", "fees", "invested", "private", "write_offs", "returned",
                "returns_value", "at_work", "unpaid"]
        rows = []
        for j in mech.fund_channels:
            c, m = s.channels[j]
            fr = {k: v @ x for k, v in mech.fund_rows(j).items()}
            for t, y in enumerate(s.years):
                rows.append(dict(zip(cols, [c, m, y] + [float(fr[k][t]) for k in keys])))
        return pd.DataFrame(rows, columns=cols)

    @cached_property
    def cash_flows(self) -> pd.DataFrame:
        """Per year, all modes together: fiscal cash out, money returned or still at work, external
        money mobilised, expected fiscal losses and risk exposure (万元).

        ``risk_exposure_wan`` = risk pools' contingent liability + fiscal money in funds
        (at work) + fund commitments not yet paid in.  Forgone tax revenue is shown apart,
        never in the fiscal cash out."""
        s, mech = self.scenario, self.mech
        x = mech.flatten(self.x)
        T = len(s.years)
        zero = np.zeros(T)
        pools, funds = self.pools, self.funds

        def by_year(df, col):
            return df.groupby("year")[col].sum().reindex(s.years).to_numpy() if len(df) else zero

        pool_bal, pool_draws = by_year(pools, "balance_end_wan"), by_year(pools, "expected_draws_wan")
        liab = by_year(pools, "contingent_liability_wan")
        at_work, unpaid = by_year(funds, "at_work_wan"), by_year(funds, "unpaid_commitments_wan")
        # write-offs on fund pay-ins due on commitments made before the plan count in their year
        write_offs = by_year(funds, "expected_write_offs_wan") + mech.prior_losses
        return pd.DataFrame({
            "year": s.years,
            "fiscal_cash_out_wan": mech.budget @ x + mech.prior_budget,
            "prior_awards_wan": mech.prior_budget,
            "tax_forgone_wan": mech.tax @ x,
            "fund_commitments_wan": by_year(funds, "commitment_wan"),
            "fund_paid_in_wan": by_year(funds, "paid_in_wan"),
            "returned_wan": by_year(funds, "returned_wan"),
            "returns_value_wan": by_year(funds, "returns_value_wan"),
            "still_at_work_wan": pool_bal + at_work,
            "external_wan": mech.external @ x + mech.prior_external,
            "pool_expected_draws_wan": pool_draws,
            "fund_expected_write_offs_wan": write_offs,
            "expected_losses_wan": pool_draws + write_offs,
            "contingent_liability_wan": liab,
            "unpaid_commitments_wan": unpaid,
            "risk_exposure_wan": liab + at_work + unpaid,
        })

    @cached_property
    def rules(self) -> pd.DataFrame:
        s = self.scenario
        rows = []
        for rid in RULES:
            settings = getattr(s.spec.rules, rid, None)
            if settings is None:
                continue
            rows.append({"id": rid, "label_zh": rule_label(s, rid, "zh"), "label_en": rule_label(s, rid, "en"),
                         "enabled": settings.enabled, "reference": settings.reference or ""})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ export
    def summary(self) -> dict[str, Any]:
        """Headline numbers (for KPI tiles, batch rows and the text report)."""
        lev = self.leverage
        fiscal = float(lev["fiscal_wan"].sum())
        ext = float(lev["external_wan"].sum())
        sq_fiscal = float(self.budget["status_quo_wan"].sum())
        sq_ext = float(lev["status_quo_external_wan"].sum())
        tot = self.indicator_totals
        targets = tot.dropna(subset=["target"])
        return {
            "status": self.status,
            "performance": self.performance,
            "status_quo_performance": self.status_quo_performance,
            "performance_diff": (self.performance - self.status_quo_performance) if self.ok else None,
            "budget_allocated_wan": float(self.budget["allocated_wan"].sum()) if self.ok else None,
            "budget_envelope_wan": float(self.scenario.budget_wan.sum()),
            "external_wan": ext if self.ok else None,
            "leverage": ext / fiscal if self.ok and fiscal > 0 else None,
            "status_quo_leverage": sq_ext / sq_fiscal if sq_fiscal > 0 else None,
            "targets_met": int(targets["target_met"].sum()) if self.ok else None,
            "targets_total": int(len(targets)),
            "fund_commitments_wan": float(self.cash_flows["fund_commitments_wan"].sum()) if self.ok else None,
            "expected_losses_wan": float(self.cash_flows["expected_losses_wan"].sum()) if self.ok else None,
            "peak_risk_exposure_wan": float(self.cash_flows["risk_exposure_wan"].max()) if self.ok else None,
            # risk priced: the index minus the expected losses at the bureau's price (the objective)
            "risk_price_points_per_wan": (self.scenario.spec.risk_price.points_per_wan
                                          if self.scenario.spec.risk_price is not None else None),
            "risk_cost_points": self.risk_cost_points,
            "net_performance": (self.performance - self.risk_cost_points) if self.ok else None,
            "status_quo_risk_cost_points": self.risk_cost(self.mech.flatten(self.status_quo_x)),
            "due_after_plan_wan": self.due_after_plan_wan,
            "inputs_sourced": self.inputs["sourced"],
            "inputs_illustrative": self.inputs["illustrative"],
        }

    def risk_cost(self, x_flat: np.ndarray) -> float:
        """Index points the plan's expected losses cost at the scenario's ``risk_price`` (0 without one)."""
        price = self.scenario.spec.risk_price
        if price is None:
            return 0.0
        return float(price.points_per_wan * self.scenario.discount @ (self.mech.expected_losses @ x_flat))

    @property
    def risk_cost_points(self) -> float | None:
        return self.risk_cost(self.mech.flatten(self.x)) if self.ok else None

    @property
    def due_after_plan_wan(self) -> float | None:
        """Pay-ins and payouts of commitments made in the plan that fall due after it (万元)."""
        return float(self.mech.due_after_plan @ self.mech.flatten(self.x)) if self.ok else None

    @cached_property
    def inputs(self) -> dict[str, Any]:
        """How many of the scenario's inputs are sourced and which are illustrative
        (:mod:`budgetsim.scenario.provenance`): ``sourced``, ``illustrative``, ``total``, ``illustrative_paths``."""
        return inputs_summary(self.scenario)

    @cached_property
    def stability(self) -> dict[str, Any] | None:
        """How the plan moves from year to year and from the status-quo year
        (:func:`budgetsim.model.continuity.stability`); None without a plan."""
        if not self.ok:
            return None
        s = self.scenario
        cash = np.array([self.mech.category_spend[c] @ self.mech.flatten(self.x) + self.mech.prior_category[c]
                         for c in s.categories])
        band = s.rule("channel_band")
        return stability(s, self.x, cash, band.max_change if band is not None else None)

    def to_dict(self) -> dict[str, Any]:
        s = self.scenario
        sq_alloc = [{"category": c, "mode": m, "year": y, "amount_wan": float(self.status_quo_x[j, t])}
                    for j, (c, m) in enumerate(s.channels) for t, y in enumerate(s.years)]
        tot = self.indicator_totals
        ind_year = self.indicators

        def ind_records(col_total: str, col_year: str) -> list[dict]:
            out = []
            for _, r in tot.iterrows():
                per = ind_year[ind_year["indicator"] == r["indicator"]]
                rec = {"id": r["indicator"], "label_zh": r["label_zh"], "label_en": r["label_en"],
                       "unit_zh": r["unit_zh"], "unit_en": r["unit_en"], "dimension": r["dimension"],
                       "total": _num(r[col_total]),
                       "per_year": {int(y): _num(v) for y, v in zip(per["year"], per[col_year])}}
                if col_total == "plan_total":
                    rec["target"] = _num(r["target"])
                    rec["target_met"] = r["target_met"]
                out.append(rec)
            return out

        budget = self.budget
        lev = self.leverage
        d: dict[str, Any] = {
            "scenario": s.id,
            "title": {"zh": s.title("zh"), "en": s.title("en")},
            "objective": self.objective,
            "status": self.status,
            "message": self.message,
            "performance": self.performance,
            "performance_by_dimension": [
                {"dimension": r.dimension, "label_zh": r.label_zh, "label_en": r.label_en,
                 "plan": _num(r.plan), "status_quo": _num(r.status_quo), "diff": _num(r.diff)}
                for r in self.performance_parts.itertuples()],
            "allocation": [] if not self.ok else [
                {"category": r.category, "mode": r.mode, "year": int(r.year), "amount_wan": float(r.amount_wan),
                 "cash_wan": float(r.cash_wan), "share": _num(r.share)} for r in self.allocation.itertuples()],
            "indicators": ind_records("plan_total", "value") if self.ok else [],
            "budget": [{"year": int(r.year), "envelope_wan": float(r.envelope_wan),
                        "allocated_wan": _num(r.allocated_wan) if self.ok else None,
                        "tax_forgone_wan": _num(r.tax_forgone_wan) if self.ok else None}
                       for r in budget.itertuples()],
            "leverage": [] if not self.ok else [
                {"year": int(r.year), "fiscal_wan": float(r.fiscal_wan), "external_wan": float(r.external_wan),
                 "leverage": _num(r.leverage)} for r in lev.itertuples()],
            "risk_pools": [] if not self.ok else _records(self.pools),
            "funds": [] if not self.ok else _records(self.funds),
            "cash_flows": [] if not self.ok else _records(self.cash_flows),
            "status_quo": {
                "performance": self.status_quo_performance,
                "allocation": sq_alloc,
                "indicators": ind_records("status_quo_total", "status_quo"),
                "budget": [{"year": int(r.year), "allocated_wan": float(r.status_quo_wan),
                            "tax_forgone_wan": float(r.status_quo_tax_forgone_wan)} for r in budget.itertuples()],
                "leverage": [{"year": int(r.year), "external_wan": float(r.status_quo_external_wan),
                              "leverage": _num(r.status_quo_leverage)} for r in lev.itertuples()],
            },
            "difference": {
                "performance": (self.performance - self.status_quo_performance) if self.ok else None,
                "indicators": {r.indicator: _num(r.diff) for r in tot.itertuples()} if self.ok else {},
            },
            "summary": self.summary(),
            "stability": _jsonable(self.stability),
            "inputs": self.inputs,
            "solver": None if self.run is None else {
                "name": self.run.solution.solver, "mip": self.is_mip,
                "build_seconds": self.build_seconds, "solve_seconds": self.solve_seconds,
                "total_seconds": self.run.total_seconds,
                "passes": self.run.passes,
                "linearisation_gap": _num(self.linearisation_gap),
                "rows": self.run.builder.lp.n_rows, "columns": self.run.builder.lp.n_cols,
            },
        }
        if self.risk is not None and self.ok:
            d["cvar"] = self.cvar_summary()
        return d

    def cvar_summary(self) -> dict[str, Any]:
        """For a cvar solve: the plan's mean and CVaR on the optimiser's own samples (true curves)."""
        R = self.risk
        perf = evaluate_draws(self.scenario, self.mech.flatten(self.x), Draws(R.mult, {}, R.mult.shape[2]),
                              self.evaluator).performance
        return {"alpha": R.alpha, "weight": R.weight, "samples": int(R.mult.shape[2]),
                "mean": float(perf.mean()), "cvar": cvar(perf, R.alpha)}


def _jsonable(v: Any) -> Any:
    """Plain JSON values (numpy numbers → float/int, NaN → None) through dicts and lists."""
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    return _num(v)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (int(v) if k == "year" else (_num(v) if isinstance(v, (float, np.floating)) else v))
                    for k, v in rec.items()})
    return out
