"""Uncertain parameters: which scenario parameters are uncertain, and drawing them.

A scenario's ``uncertainty.parameters`` lists dotted paths with a distribution:

* ``categories.<category>.response.<indicator>`` — the curve's *output multiplier*
  (base 1; the same curve shape scaled up or down);
* ``modes.<mode>.<parameter>`` — a mode parameter (:data:`MODE_PARAMS`).

``*`` in place of an id matches every id (e.g. ``categories.*.response.*``); the items a
wildcard matches may share a common shock (``correlation``, an equicorrelated Gaussian
copula); entries naming the same ``group`` share that shock across entries (e.g. across
categories).  ``lognormal`` multiplies the base value by a mean-1 log-normal factor with the
given coefficient of variation; ``triangular`` gives the value itself (low / mode / high).

This module knows only the scenario's structure (no solver, no evaluation), so the
validator can use :func:`resolve` to check paths and :func:`sample` is reused by the
Monte Carlo evaluator and the CVaR optimiser.  Randomness is passed in as a
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema import ScenarioSpec, UncertainParameter, bounds_at

# mode parameters that may be uncertain, with the range a drawn value is clipped to: the
# schema's own bounds for that field (one place says what is sensible)
_MODE_PARAM_NAMES = (
    "fiscal_effectiveness", "leverage", "external_effectiveness",
    "pool.npl_rate", "pool.loss_share", "pool.recovery_rate",
    "fund.management_fee", "fund.write_off_rate", "fund.return_multiple",
    "post_subsidy.subsidy_rate", "post_subsidy.success_rate",
)
MODE_PARAMS: dict[str, tuple[float, float]] = {
    name: (bounds_at(f"modes.m.{name}").lo, bounds_at(f"modes.m.{name}").hi) for name in _MODE_PARAM_NAMES
}
# a curve's output multiplier (base 1) is a multiplier like any other
_MULTIPLIER = bounds_at("modes.m.leverage")
CURVE_MULTIPLIER = (_MULTIPLIER.lo, _MULTIPLIER.hi)


@dataclass(frozen=True)
class Target:
    """One uncertain quantity: a curve output ('curve', category, indicator) or ('mode', mode, param)."""

    kind: str
    a: str
    b: str

    @property
    def path(self) -> str:
        return f"categories.{self.a}.response.{self.b}" if self.kind == "curve" else f"modes.{self.a}.{self.b}"


def base_value(spec: ScenarioSpec, t: Target) -> float:
    if t.kind == "curve":
        return 1.0
    m = spec.modes[t.a]
    obj = m
    for part in t.b.split("."):
        obj = getattr(obj, part)
    return float(obj)


def resolve(spec: ScenarioSpec, path: str) -> tuple[list[Target], str]:
    """The targets ``path`` names, or ([], reason) when it names none."""
    parts = path.split(".")
    if len(parts) == 4 and parts[0] == "categories" and parts[2] == "response":
        _, cid, _, iid = parts
        if cid != "*" and cid not in spec.categories:
            return [], f"unknown category id '{cid}'; known: {sorted(spec.categories)} or '*'"
        out = []
        for c, cat in spec.categories.items():
            if cid not in ("*", c):
                continue
            for i in cat.response:
                if iid in ("*", i):
                    out.append(Target("curve", c, i))
        if not out:
            return [], f"no response curve matches; category '{cid}' has curves for {sorted(spec.categories[cid].response) if cid != '*' else 'its indicators'}"
        return out, ""
    if len(parts) >= 3 and parts[0] == "modes":
        mid, param = parts[1], ".".join(parts[2:])
        if mid != "*" and mid not in spec.modes:
            return [], f"unknown mode id '{mid}'; known: {sorted(spec.modes)} or '*'"
        if param not in MODE_PARAMS:
            return [], f"'{param}' cannot be uncertain; allowed mode parameters: {list(MODE_PARAMS)}"
        block = param.split(".")[0] if "." in param else None
        out = [Target("mode", m, param) for m, mode in spec.modes.items()
               if mid in ("*", m) and (block is None or getattr(mode, block) is not None)]
        if not out:
            return [], f"mode '{mid}' has no '{block}:' block, so '{param}' does not apply"
        if param == "leverage" and any(spec.modes[t.a].post_subsidy is not None for t in out):
            return [], ("the leverage of a post_subsidy mode is derived: make post_subsidy.success_rate "
                        "or post_subsidy.subsidy_rate uncertain instead")
        return out, ""
    return [], ("path must be categories.<category>.response.<indicator> (an output multiplier) or "
                "modes.<mode>.<parameter>; '*' matches every id")


def parameter_problems(spec: ScenarioSpec) -> list[tuple[str, object, str]]:
    """(path, value, reason) for every problem of the uncertainty section."""
    out: list[tuple[str, object, str]] = []
    if spec.uncertainty is None:
        return out
    seen: dict[Target, int] = {}
    for k, p in enumerate(spec.uncertainty.parameters):
        where = f"uncertainty.parameters.{k}"
        targets, reason = resolve(spec, p.path)
        if not targets:
            out.append((f"{where}.path", p.path, reason))
        for t in targets:
            if t in seen:
                out.append((f"{where}.path", p.path, f"{t.path} is already uncertain in "
                            f"uncertainty.parameters.{seen[t]}"))
            seen.setdefault(t, k)
        if p.dist == "lognormal":
            if p.cv is None:
                out.append((f"{where}.cv", None, "a lognormal needs cv (coefficient of variation, e.g. 0.2)"))
            for key in ("low", "mode", "high"):
                if getattr(p, key) is not None:
                    out.append((f"{where}.{key}", getattr(p, key), "only triangular takes low/mode/high; "
                                "a lognormal takes cv"))
        else:
            vals = (p.low, p.mode, p.high)
            if None in vals:
                out.append((where, None, "a triangular needs low, mode and high"))
            elif not p.low <= p.mode <= p.high:
                out.append((f"{where}.mode", p.mode, f"need low ≤ mode ≤ high; got {p.low}, {p.mode}, {p.high}"))
            elif targets:
                lo, hi = CURVE_MULTIPLIER if targets[0].kind == "curve" else MODE_PARAMS[targets[0].b]
                if p.low < lo or p.high > hi:
                    out.append((f"{where}.low", p.low, f"values of {targets[0].b if targets[0].kind == 'mode' else 'an output multiplier'} "
                                f"must lie in [{lo:g}, {hi:g}]"))
            if p.cv is not None:
                out.append((f"{where}.cv", p.cv, "only lognormal takes cv; a triangular takes low/mode/high"))
    return out


def _norm_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z) with Abramowitz–Stegun 7.1.26 for erf (error < 1.5e-7, ample for sampling)."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def _draw(p: UncertainParameter, base: np.ndarray, draws: int, rng: np.random.Generator,
          common: dict[str, np.ndarray]) -> np.ndarray:
    """k × draws values for the k items ``p`` matches (base values ``base``); ``common``
    holds each group's common shock (drawn on first use)."""
    k = len(base)
    rho = p.correlation
    z = rng.standard_normal((k, draws))
    if rho > 0:
        if p.group is None:
            shock = rng.standard_normal((1, draws))
        else:
            if p.group not in common:
                common[p.group] = rng.standard_normal((1, draws))
            shock = common[p.group]
        z = np.sqrt(rho) * shock + np.sqrt(1 - rho) * z
    if p.dist == "lognormal":
        sigma = np.sqrt(np.log1p(p.cv ** 2))
        return base[:, None] * np.exp(sigma * z - sigma ** 2 / 2)
    a, m, b = p.low, p.mode, p.high
    if b == a:
        return np.full((k, draws), a)
    u = _norm_cdf(z)
    fc = (m - a) / (b - a)
    left = a + np.sqrt(u * (b - a) * (m - a))
    right = b - np.sqrt((1 - u) * (b - a) * (b - m))
    return np.where(u < fc, left, right)


@dataclass
class Draws:
    """Sampled parameters: curve output multipliers and mode parameter values."""

    curve_mult: np.ndarray  # C × I × D (1 where the curve is certain or absent)
    mode_values: dict[str, dict[str, np.ndarray]]  # mode id → parameter → D values
    n: int

    @property
    def modes_uncertain(self) -> bool:
        return bool(self.mode_values)


def sample(spec: ScenarioSpec, draws: int, rng: np.random.Generator, *, modes: bool = True) -> Draws:
    """Draw every uncertain parameter ``draws`` times (a scenario without uncertainty gives base values).

    ``modes=False`` keeps mode parameters at their base values (the CVaR optimiser's view)."""
    cats, inds = list(spec.categories), list(spec.indicators)
    mult = np.ones((len(cats), len(inds), draws))
    mode_values: dict[str, dict[str, np.ndarray]] = {}
    if spec.uncertainty is not None:
        common: dict[str, np.ndarray] = {}
        for p in spec.uncertainty.parameters:
            targets, _ = resolve(spec, p.path)
            base = np.array([base_value(spec, t) for t in targets])
            vals = _draw(p, base, draws, rng, common)  # always drawn, so the stream does not depend on `modes`
            for t, v in zip(targets, vals):
                if t.kind == "curve":
                    mult[cats.index(t.a), inds.index(t.b)] = np.clip(v, *CURVE_MULTIPLIER)
                elif modes:
                    lo, hi = MODE_PARAMS[t.b]
                    mode_values.setdefault(t.a, {})[t.b] = np.clip(v, lo, hi)
    return Draws(mult, mode_values, draws)
