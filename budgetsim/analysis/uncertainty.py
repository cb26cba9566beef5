"""How sure are we: Monte Carlo evaluation of plans, CVaR, and the price of robustness.

:func:`simulate` scores the optimal plan and the status quo under N draws of the
scenario's uncertain parameters (:mod:`budgetsim.distributions`), vectorised over a
trailing draws axis: curve outputs scale by their multipliers, and drawn mode parameters
rebuild each channel's T × T kernel per draw (:meth:`Mechanics.effective_draws`), so
the whole batch is a few numpy operations per channel.  It reports percentiles of
performance and of each indicator, expected fiscal losses (risk-pool draws, fund
write-offs), the pools' contingent liability against its cap, the chance the plan beats
the status quo and the chance each target is met.

:func:`robustness` compares the deterministic plan with the CVaR plan (objective ``cvar``)
in sample and on fresh draws: the price of robustness is the mean performance given
up for a better tail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..scenario.distributions import sample
from ..model.evaluate import Evaluator, PlanDraws, cvar, evaluate_draws  # noqa: F401  (re-exported)
from ..exceptions import BudgetsimError
from ..scenario.loading import Scenario, load_scenario

PERCENTILES = (5, 50, 95)


@dataclass
class Simulation:
    """Plans under uncertainty: tables of percentiles and probabilities (``to_dict`` for JSON)."""

    scenario: Scenario
    draws: int
    seed: int | None
    plans: dict[str, PlanDraws] = field(repr=False)
    alpha: float = 0.1

    def _pct(self, v: np.ndarray) -> dict[str, float]:
        p = np.percentile(v, PERCENTILES)
        return {f"p{q}": float(x) for q, x in zip(PERCENTILES, p)} | {"mean": float(np.mean(v))}

    @property
    def performance(self) -> pd.DataFrame:
        """Per plan: P5 / P50 / P95 / mean and CVaR at ``alpha`` of the performance index."""
        rows = [{"plan": name, **self._pct(pd_.performance), f"cvar_{self.alpha:g}": cvar(pd_.performance, self.alpha)}
                for name, pd_ in self.plans.items()]
        return pd.DataFrame(rows)

    @property
    def indicators(self) -> pd.DataFrame:
        """Per plan and indicator: plan totals' percentiles, the target and the chance it is met."""
        s = self.scenario
        targets = s.targets
        rows = []
        for name, pd_ in self.plans.items():
            for i, iid in enumerate(s.indicators):
                v = pd_.indicator_totals[i]
                t = targets.get(iid)
                rows.append({"plan": name, "indicator": iid, **self._pct(v),
                             "target": t if t is not None else np.nan,
                             "prob_target_met": float(np.mean(v >= t)) if t is not None else np.nan})
        return pd.DataFrame(rows)

    @property
    def losses(self) -> pd.DataFrame:
        """Per plan: expected fiscal losses over the plan (万元) across draws."""
        rows = []
        for name, pd_ in self.plans.items():
            pool = pd_.losses["pool_draws"].sum(axis=0)
            fund = pd_.losses["fund_write_offs"].sum(axis=0)
            for kind, v in (("pool_draws", pool), ("fund_write_offs", fund), ("total", pool + fund)):
                rows.append({"plan": name, "loss": kind, **self._pct(v)})
        return pd.DataFrame(rows)

    @property
    def exposure(self) -> pd.DataFrame:
        """Per plan: the risk pools' peak-year contingent liability across draws, and the chance
        it exceeds the contingent-liability cap in some year (the cap holds at base values only)."""
        s = self.scenario
        rule = s.rule("contingent_liability_cap")
        caps = s.per_year(rule.cap_wan) if rule is not None else np.full(len(s.years), np.nan)
        rows = []
        for name, pd_ in self.plans.items():
            liab = pd_.losses["liability"]
            over = np.any(liab > np.where(np.isnan(caps), np.inf, caps)[:, None] * (1 + 1e-9), axis=0)
            rows.append({"plan": name, **self._pct(liab.max(axis=0)),
                         "prob_above_cap": float(over.mean()) if rule is not None else np.nan})
        return pd.DataFrame(rows)

    @property
    def prob_beats_status_quo(self) -> dict[str, float]:
        """Per plan other than the status quo: share of draws in which it scores higher (same draw)."""
        sq = self.plans["status_quo"].performance
        return {name: float(np.mean(p.performance > sq)) for name, p in self.plans.items() if name != "status_quo"}

    def to_dict(self) -> dict[str, Any]:
        def recs(df: pd.DataFrame) -> list[dict]:
            return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                    for r in df.to_dict(orient="records")]
        return {"scenario": self.scenario.id, "draws": self.draws, "seed": self.seed, "alpha": self.alpha,
                "performance": recs(self.performance), "prob_beats_status_quo": self.prob_beats_status_quo,
                "indicators": recs(self.indicators), "fiscal_losses": recs(self.losses),
                "contingent_liability": recs(self.exposure)}


def simulate(scenario_or_result, draws: int = 10_000, seed: int | None = None, *,
             rng: np.random.Generator | None = None, plans: dict[str, np.ndarray] | None = None,
             alpha: float = 0.1) -> Simulation:
    """Evaluate the optimal plan and the status quo under ``draws`` draws of the uncertain parameters.

    ``scenario_or_result``: a :class:`~budgetsim.results.Result` (its plan is used), a
    :class:`Scenario` or a path (solved for max-performance first).  Randomness comes from
    ``rng`` or ``numpy.random.default_rng(seed)``; the same seed gives the same numbers.
    ``plans`` adds more allocations (name → channels × years) to score on the same draws."""
    from ..solving import solve
    from ..results import Result

    if draws < 1:
        raise BudgetsimError(f"draws must be at least 1, got {draws}")
    if isinstance(scenario_or_result, Result):
        result = scenario_or_result
    else:
        s = scenario_or_result if isinstance(scenario_or_result, Scenario) else load_scenario(scenario_or_result)
        result = solve(s)
    if not result.ok:
        raise BudgetsimError(f"no plan to simulate: the solve ended {result.status}. {result.message}")
    s = result.scenario
    rng = rng if rng is not None else np.random.default_rng(seed)
    d = sample(s.spec, draws, rng)
    ev = Evaluator(s)
    mech = ev.mech
    allocs = {"plan": result.x, "status_quo": s.status_quo_allocation} | dict(plans or {})
    out = {name: evaluate_draws(s, mech.flatten(x), d, ev) for name, x in allocs.items()}
    return Simulation(s, draws, seed, out, alpha)


def robustness(scenario: Scenario | str, alpha: float = 0.1, cvar_weight: float = 1.0, samples: int = 500,
               seed: int = 0, fresh_draws: int = 10_000, fresh_seed: int | None = None,
               cvar_result=None) -> dict[str, Any]:
    """The price of robustness: deterministic plan vs CVaR plan, in sample and on fresh draws.

    In sample = the CVaR optimiser's own ``samples`` draws (curve-output uncertainty only);
    fresh = ``fresh_draws`` new draws of *every* uncertain parameter (mode parameters too)."""
    from ..solving import solve

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    det = solve(s)
    rob = cvar_result if cvar_result is not None else solve(s, "cvar", alpha=alpha, cvar_weight=cvar_weight,
                                                           samples=samples, seed=seed)
    if not (det.ok and rob.ok):
        raise BudgetsimError("no plan to compare: a solve did not reach an optimum")
    ev = Evaluator(s)
    mech = ev.mech
    in_sample = sample(s.spec, samples, np.random.default_rng(seed), modes=False)
    fresh_seed = seed + 1_000_003 if fresh_seed is None else fresh_seed
    fresh = sample(s.spec, fresh_draws, np.random.default_rng(fresh_seed))
    out: dict[str, Any] = {"alpha": alpha, "cvar_weight": cvar_weight, "samples": samples, "seed": seed,
                           "fresh_draws": fresh_draws, "fresh_seed": fresh_seed}
    for label, d in (("in_sample", in_sample), ("fresh", fresh)):
        row = {}
        for name, r in (("deterministic", det), ("cvar", rob)):
            perf = evaluate_draws(s, mech.flatten(r.x), d, ev).performance
            row[name] = {"mean": float(perf.mean()), "cvar": cvar(perf, alpha), "p5": float(np.percentile(perf, 5))}
        row["price_of_robustness"] = row["deterministic"]["mean"] - row["cvar"]["mean"]
        row["tail_gain"] = row["cvar"]["cvar"] - row["deterministic"]["cvar"]
        out[label] = row
    out["deterministic_performance"] = det.performance
    out["cvar_plan_performance"] = rob.performance
    return out


def _format_table(df: pd.DataFrame, cols: list[str], digits: int = 2) -> str:
    return df[cols].round(digits).to_string(index=False)


def simulation_text(sim: Simulation) -> str:
    """The text report ``budgetsim simulate`` prints."""
    lines = [f"{sim.scenario.title('en')}  [{sim.scenario.id}]",
             f"Monte Carlo: {sim.draws} draws, seed {sim.seed}", "",
             "Performance index (P5 / P50 / P95, mean, CVaR of the worst "
             f"{sim.alpha:.0%})"]
    perf = sim.performance
    lines.append(_format_table(perf, list(perf.columns)))
    lines.append("")
    for name, p in sim.prob_beats_status_quo.items():
        lines.append(f"P({name} beats the status quo) = {p:.4f}")
    lines.append("")
    ind = sim.indicators
    lines.append("Indicators, plan totals (P5 / P50 / P95; chance the target is met)")
    lines.append(_format_table(ind, ["plan", "indicator", "p5", "p50", "p95", "target", "prob_target_met"], 3))
    lines.append("")
    lines.append("Expected fiscal losses over the plan, 万元 (risk-pool draws, fund write-offs)")
    lines.append(_format_table(sim.losses, ["plan", "loss", "p5", "p50", "p95", "mean"], 0))
    lines.append("")
    lines.append("Risk pools' contingent liability in the peak year, 万元, and the chance it exceeds the cap")
    lines.append(_format_table(sim.exposure, ["plan", "p5", "p50", "p95", "mean", "prob_above_cap"], 3))
    return "\n".join(lines) + "\n"


def robustness_text(rb: dict[str, Any]) -> str:
    lines = [f"Robustness (CVaR at α = {rb['alpha']:g}, weight {rb['cvar_weight']:g}, "
             f"{rb['samples']} samples, seed {rb['seed']})"]
    for label, title in (("in_sample", "in sample (the optimiser's draws, curve outputs only)"),
                         ("fresh", f"fresh draws ({rb['fresh_draws']}, seed {rb['fresh_seed']}, all uncertain parameters)")):
        r = rb[label]
        lines.append(f"  {title}:")
        for name in ("deterministic", "cvar"):
            v = r[name]
            lines.append(f"    {name:<13} mean {v['mean']:8.3f}   CVaR {v['cvar']:8.3f}   P5 {v['p5']:8.3f}")
        lines.append(f"    price of robustness (mean given up) {r['price_of_robustness']:+.3f}; "
                     f"tail gain (CVaR) {r['tail_gain']:+.3f}")
    return "\n".join(lines) + "\n"
