"""Performance on the true curves: allocation → resources → indicators → index.

The same code scores the optimiser's plan, the status quo and (vectorised over a
trailing axis) any batch of allocations.  The performance index is 100 × the weighted
sum of indicators, each discounted over the plan and divided by its reference level
sustained over the plan; so 100 means "every indicator at its reference level".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .curves import Curve, make_curve
from .mechanics import Mechanics
from ..scenario.distributions import Draws
from ..scenario.loading import Scenario
from ..scenario.schema import CURVE_PARAMS

INDEX_SCALE = 100.0


def scenario_curves(s: Scenario) -> dict[tuple[str, str], Curve]:
    out = {}
    for cid, cat in s.spec.categories.items():
        for iid, cs in cat.response.items():
            out[(cid, iid)] = make_curve(cs.curve, **{k: getattr(cs, k) for k in CURVE_PARAMS[cs.curve]})
    return out


@dataclass
class Evaluation:
    """Outputs of one allocation (arrays may carry a trailing draws axis)."""

    effective: np.ndarray  # C × T
    output: np.ndarray  # C × I × T, indicator output by category
    indicators: np.ndarray  # I × T
    contributions: np.ndarray  # I: index points per indicator
    performance: float | np.ndarray


@dataclass(frozen=True, eq=False)
class Evaluator:
    scenario: Scenario

    @cached_property
    def mech(self) -> Mechanics:
        return Mechanics(self.scenario)

    @cached_property
    def curves(self) -> dict[tuple[str, str], Curve]:
        return scenario_curves(self.scenario)

    @cached_property
    def weights(self) -> np.ndarray:
        """Final weight of each indicator (dimension weight × share within dimension), summing to 1."""
        s = self.scenario.spec
        dim_total = sum(d.weight for d in s.dimensions.values())
        w = np.zeros(len(s.indicators))
        for did, dim in s.dimensions.items():
            members = [i for i, ind in enumerate(s.indicators.values()) if ind.dimension == did]
            inner = sum(list(s.indicators.values())[i].weight for i in members)
            for i in members:
                if inner > 0:
                    w[i] = dim.weight / dim_total * list(s.indicators.values())[i].weight / inner
        return w

    @cached_property
    def references(self) -> np.ndarray:
        """Reference level of each indicator, discounted over the plan."""
        s = self.scenario
        return np.array([ind.reference_per_year for ind in s.spec.indicators.values()]) * s.discount.sum()

    @cached_property
    def index_coef(self) -> np.ndarray:
        """I × T: index points per unit of indicator output in year t."""
        return INDEX_SCALE * (self.weights / self.references)[:, None] * self.scenario.discount[None, :]

    def evaluate(self, x: np.ndarray, curves: dict[tuple[str, str], Curve] | None = None,
                 effective: np.ndarray | None = None) -> Evaluation:
        """Score flat allocation(s) ``x`` (n or n × D) on the true curves.

        ``curves`` may carry per-draw output multipliers (see :meth:`Curve.scaled`);
        ``effective`` (C × T × D) replaces the resources computed from ``x`` when the mode
        parameters themselves are drawn (:meth:`Mechanics.effective_draws`)."""
        s = self.scenario
        curves = curves or self.curves
        C, I, T = len(s.categories), len(s.indicators), len(s.years)
        x = np.asarray(x, dtype=float)
        if effective is not None:
            e = np.asarray(effective, dtype=float)
            extra = e.shape[2:]
        else:
            extra = x.shape[1:]
            e = self.mech.resources(x).reshape((C, T) + extra)
        out = np.zeros((C, I, T) + extra)
        for (cid, iid), curve in curves.items():
            out[s.categories.index(cid), s.indicators.index(iid)] = curve.value(e[s.categories.index(cid)])
        ind = out.sum(axis=0)
        coef = self.index_coef.reshape((I, T) + (1,) * len(extra))
        contrib = (ind * coef).sum(axis=1)
        return Evaluation(e, out, ind, contrib, contrib.sum(axis=0))


# --- many draws at once (Monte Carlo and the CVaR objective) ---------------------------

def cvar(values: np.ndarray, alpha: float) -> float:
    """Mean of the worst ``alpha`` share of ``values`` (lower tail; Rockafellar–Uryasev at its optimum)."""
    v = np.sort(np.asarray(values, dtype=float))
    k = alpha * len(v)
    whole = int(np.floor(k))
    total = v[:whole].sum() + (k - whole) * (v[whole] if whole < len(v) else 0.0)
    return float(total / k)


@dataclass
class PlanDraws:
    """One plan under the draws: performance (D), indicator totals (I × D), fiscal losses (T × D each)."""

    performance: np.ndarray
    indicator_totals: np.ndarray
    losses: dict[str, np.ndarray]


def evaluate_draws(s: Scenario, x: np.ndarray, d: Draws, ev: Evaluator | None = None) -> PlanDraws:
    """Score flat allocation ``x`` (length n) under every draw in ``d`` at once."""
    ev = ev or Evaluator(s)
    mech = ev.mech
    C, T = len(s.categories), len(s.years)
    if d.modes_uncertain:
        e = mech.effective_draws(x, d.mode_values)
    else:
        e = np.broadcast_to(mech.resources(x).reshape(C, T, 1), (C, T, d.n))
    curves = {(cid, iid): curve.scaled(d.curve_mult[s.categories.index(cid), s.indicators.index(iid)])
              for (cid, iid), curve in ev.curves.items()}
    out = ev.evaluate(x, curves, effective=e)
    losses = mech.fiscal_losses_draws(x, d.mode_values, d.n)
    return PlanDraws(np.asarray(out.performance), out.indicators.sum(axis=1), losses)
