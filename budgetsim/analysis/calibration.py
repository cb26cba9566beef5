"""Calibration: a scenario's response curves fitted to a bureau's records, with honest uncertainty.

For each category × indicator curve that the records give outputs for:

1. **Resources.**  The recorded spending (year × category × mode, 万元) goes through the same
   support-mode kernels as the plan (:func:`budgetsim.model.mechanics.effective_kernel`: own
   effectiveness, leverage, lags, pool balances, fund pay-ins), giving the category's effective
   resources ``E`` per past year.  Recorded spending is cash paid, so it works ``lag_years`` after
   the payment, as in the plan (the years before the records at the first recorded year's level).
2. **Parameters a bureau can judge.**  The curve keeps its shape family and is written as its output
   at *current* spending ``E0`` (the records' last year) — the anchor — and its **elasticity** at
   ``E0`` (1 = output proportional to money, 0 = saturated); curves with a ceiling also have their
   **saturation** (share of the ceiling reached at ``E0``).
3. **MAP fit.**  Log outputs scatter around the curve with a noise level that is fitted too
   (log-normal errors, prior ``calibration.noise_cv``).  Priors: elasticity and saturation as given
   in the scenario's ``calibration.priors`` (literature where it exists, sources in ``references``),
   else the scenario's own curve at ``E0`` (sd 0.15); the level stays loose (``level_sd``, 1.0 on the
   log scale), so the data set it.  ``scipy.optimize.minimize`` (BFGS) from the prior curve.
4. **Posterior spread: Laplace.**  The inverse Hessian of the negative log posterior at the MAP.  A
   bootstrap needs many points to resample: with 5–10 yearly points most resamples repeat two or
   three years, the spread it gives is the data's alone (the prior is where thin data gets its
   shape) and it costs a fit per resample.  The Laplace approximation is one Hessian, deterministic,
   and combines data and prior as the fit does.
5. **How far the data moved it.**  ``data_weight`` = 1 − posterior variance / prior variance of
   the (logit) elasticity: 0 = the data taught nothing, 1 = the prior no longer matters.  Below 0.5
   — or with at most one point more than the curve has parameters — the prior dominates, and the
   report says so.  ``shift_sd``: the move of the elasticity from
   the prior mean, in prior standard deviations.

6. **Channel capacities** (``channels:``).  Recorded spending passes each channel's absorptive
   curve before the mode kernels, as in the plan.  A capacity is identified only by a channel's
   returns falling off *relative to its category's other channels* as it nears its limit: a
   Gauss–Newton information over the category's curves and its channels' log capacities (prior:
   the scenario's value, log sd ``CAPACITY_LOG_SD``) gives each a data weight; at 0.5 or more it is
   fitted jointly with the category's curves (their spread then includes it), otherwise the
   scenario's value is kept and the report and the calibrated file say "not identified by these
   records".  Records that move a category's channels together identify none (the recovery bench:
   0 of 300); a dominant channel run near its limit while the mix moves can be.

The calibrated scenario (:meth:`Calibration.document`) is an ``extends:`` diff: the fitted curves,
a reference naming the records file and its SHA-256, each indicator's ``reference_per_year`` set to
the records' last actual year (100 = "the last actual year's output"), the status quo set to that
year's actual split (so the plan is compared with what was really done), and an ``uncertainty:``
section whose entries for the fitted curves are log-normal output multipliers: the posterior's
spread over ±50 % of current spending (what the data cannot pin down) plus the fitted year-to-year
scatter averaged over the plan's years (σ²/T), the latter sharing one common shock across curves
(group ``records_years``) weighted by how much the records' residuals move together — so
``simulate`` and the ``cvar`` objective carry both.  :func:`calibrate` also finds which of the plan's
recommendations flip when a curve's elasticity moves to either end of its 90 % interval.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..exceptions import BudgetsimError
from ..model.curves import Curve, SaturatingExp, make_curve
from ..model.evaluate import scenario_curves
from ..model.mechanics import Mechanics, effective_kernel, mode_params, per_paid_wan
from ..scenario.distributions import resolve
from ..scenario.loading import BUNDLED_DIR, Scenario, deep_merge, load_scenario, scenario_from_dict
from ..scenario.records import Records, read_records
from ..scenario.schema import CURVE_PARAMS
from ..solving import solve

Z90 = 1.6448536269514722  # two-sided 90 % interval
PRIOR_DOMINATES = 0.5  # data weight below which the prior dominates
DEFAULT_ELASTICITY_SD = 0.15
DEFAULT_SATURATION_SD = 0.20
DEFAULT_LEVEL_SD = 1.0
NOISE_LOG_SD = 0.5  # spread of the noise-level prior (log scale: a factor of about 1.6)
RECORDS_REF = "records_calibration"
BAND_DRAWS = 400
CEILING = ("saturating_exp", "hill")


def _scipy_optimize():
    try:
        from scipy import optimize
    except ImportError:  # pragma: no cover - scipy ships with the app extra
        raise BudgetsimError("calibration needs scipy: pip install 'budgetsim[app]' (or pip install scipy)") from None
    return optimize


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


# ----------------------------------------------------------------------------- curve parametrisation


def curve_from_theta(kind: str, theta: np.ndarray, e0: float) -> dict[str, float]:
    """Natural parameters of a ``kind`` curve from (log output at e0, shape[, shape 2])."""
    y0 = float(np.exp(theta[0]))
    if kind == "saturating_exp":
        u = float(np.exp(theta[1]))
        return {"max": y0 / -np.expm1(-u), "scale": e0 / u}
    if kind == "log":
        u = float(np.exp(theta[1]))
        return {"coef": y0 / np.log1p(u), "scale": e0 / u}
    if kind == "power":
        p = float(_expit(theta[1]))
        return {"coef": y0 / (e0 / 1e4) ** p, "exponent": p}
    if kind == "hill":
        s, n = float(_expit(theta[1])), float(_expit(theta[2]))
        return {"max": y0 / s, "half": e0 * ((1 - s) / s) ** (1 / n), "n": n}
    raise BudgetsimError(f"calibration: unknown curve kind {kind!r}")


def theta_from_curve(kind: str, params: dict[str, float], e0: float) -> np.ndarray:
    y0 = float(make_curve(kind, **params).value(e0))
    a = np.log(max(y0, 1e-12))
    if kind in ("saturating_exp", "log"):
        return np.array([a, np.log(e0 / params["scale"])])
    if kind == "power":
        return np.array([a, _logit(min(params["exponent"], 0.995))])
    s = e0 ** params["n"] / (params["half"] ** params["n"] + e0 ** params["n"])
    return np.array([a, _logit(s), _logit(min(params["n"], 0.995))])


def elasticity(kind: str, theta: np.ndarray) -> float:
    """d log y / d log E at current spending (independent of the level)."""
    if kind == "saturating_exp":
        u = float(np.exp(theta[1]))
        return float(u * np.exp(-u) / -np.expm1(-u)) if u > 1e-9 else 1.0
    if kind == "log":
        u = float(np.exp(theta[1]))
        return u / ((1 + u) * np.log1p(u)) if u > 1e-9 else 1.0
    if kind == "power":
        return float(_expit(theta[1]))
    return float(_expit(theta[2]) * (1 - _expit(theta[1])))


def saturation(kind: str, theta: np.ndarray) -> float | None:
    """Share of the curve's ceiling reached at current spending (None: no ceiling)."""
    if kind == "saturating_exp":
        return float(-np.expm1(-np.exp(theta[1])))
    if kind == "hill":
        return float(_expit(theta[1]))
    return None


# ----------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class CurvePriors:
    elasticity: tuple[float, float]
    elasticity_source: str
    saturation: tuple[float, float] | None
    saturation_source: str | None
    level_sd: float
    noise_cv: float


def _prior_for(s: Scenario, c: str, i: str, kind: str, theta_scenario: np.ndarray) -> CurvePriors:
    """The priors of one curve: the most specific ``calibration.priors`` entry that gives each field,
    else the scenario's own curve at current spending."""
    cal = s.spec.calibration
    entries = list(cal.priors) if cal is not None else []

    def rank(p) -> int:
        return (p.category == c) * 2 + (p.indicator == i)

    chosen: dict[str, Any] = {}
    for p in sorted((p for p in entries if p.category in ("*", c) and p.indicator in ("*", i)), key=rank):
        for f in ("elasticity", "saturation", "level_sd"):
            if getattr(p, f) is not None:
                chosen[f] = (getattr(p, f), p.source)
    own_src = s.spec.categories[c].response[i].source
    if "elasticity" in chosen:
        el, el_src = (chosen["elasticity"][0].mean, chosen["elasticity"][0].sd), chosen["elasticity"][1]
    else:
        el, el_src = (float(np.clip(elasticity(kind, theta_scenario), 0.02, 0.98)), DEFAULT_ELASTICITY_SD), own_src
    sat, sat_src = None, None
    if kind in CEILING:
        if "saturation" in chosen:
            sat, sat_src = (chosen["saturation"][0].mean, chosen["saturation"][0].sd), chosen["saturation"][1]
        elif kind == "hill":  # three parameters: the shape needs both priors
            sat, sat_src = (float(np.clip(saturation(kind, theta_scenario), 0.02, 0.98)), DEFAULT_SATURATION_SD), own_src
    level = chosen["level_sd"][0] if "level_sd" in chosen else DEFAULT_LEVEL_SD
    return CurvePriors(el, el_src, sat, sat_src, float(level), cal.noise_cv if cal is not None else 0.10)


def _logit_normal(mean: float, sd: float) -> tuple[float, float]:
    """A prior (mean, sd) on a share as a normal on its logit (delta method, sd capped)."""
    return _logit(mean), min(sd / (mean * (1 - mean)), 5.0)


# ----------------------------------------------------------------------------- resources from records


@dataclass(frozen=True, eq=False)
class ChannelHistory:
    """One channel's recorded decisions and how they became the category's effective resources:
    the channel's useful money (its absorptive curve, as in the plan: capacity · (1 − e^(−x / capacity)))
    through its mode's kernel."""

    category: str
    mode: str
    spent: np.ndarray  # 万元 decided in each record year
    kernel: np.ndarray  # T × T: effective resources in year t per useful 万元 of year s
    capacity: float  # the scenario's absorptive capacity, 万元 a year (inf: none)
    early: np.ndarray  # T: resources per useful 万元 of the first record year's level, paid before the records

    def resources(self, capacity: float | None = None) -> np.ndarray:
        cap = self.capacity if capacity is None else capacity
        useful = self.spent if not np.isfinite(cap) else SaturatingExp(max=cap, scale=cap).value(self.spent)
        return self.kernel @ useful + self.early * useful[0]


def channel_histories(s: Scenario, rec: Records) -> tuple[list[int], list[ChannelHistory]]:
    """(years, one :class:`ChannelHistory` per channel with recorded spending), through the plan's
    mode kernels and channel capacities."""
    years = rec.years
    T = len(years)
    r = s.spec.plan.discount_rate
    caps = Mechanics(s).capacity
    spent = rec.spending.groupby(["category", "mode", "year"])["amount_wan"].sum()
    out = []
    for (c, m), g in spent.groupby(level=[0, 1]):
        x = np.zeros(T)
        for (_, _, y), v in g.items():
            x[years.index(int(y))] = v
        mode = s.mode(m)
        p = mode_params(mode)
        # recorded spending is cash paid (决算), so no payout schedule; results arrive lag years after
        # the payment (those beyond the records are not needed), and the years before the records are
        # taken at the first recorded year's level, as the plan takes the years before it
        early = np.zeros(T)
        if mode.kind != "risk_pool" and mode.on_budget:
            early[:min(mode.lag_years, T)] = per_paid_wan(mode, p)
        out.append(ChannelHistory(c, m, x, effective_kernel(mode, p, T, [1.0], 0.0, r),
                                  float(caps[s.channels.index((c, m))]), early))
    return years, out


def history_resources(s: Scenario, rec: Records) -> tuple[list[int], np.ndarray]:
    """(years, C × T effective resources) of the recorded spending, through the plan's mode kernels
    and channel capacities."""
    years, hist = channel_histories(s, rec)
    E = np.zeros((len(s.categories), len(years)))
    for h in hist:
        E[s.categories.index(h.category)] += h.resources()
    return years, E


# ----------------------------------------------------------------------------- one curve


@dataclass
class CurveFit:
    """The fit of one category × indicator curve."""

    category: str
    indicator: str
    kind: str
    n_points: int
    e0: float  # current (last actual year) effective resources, 万元
    prior_params: dict[str, float]
    params: dict[str, float]  # fitted (the prior's when there are no points)
    priors: CurvePriors
    theta: np.ndarray
    cov: np.ndarray  # posterior covariance of theta (Laplace)
    prior_cov: np.ndarray
    noise_cv: float
    observed: pd.DataFrame  # year, effective_wan, value, fitted, residual (relative)
    elasticity: float
    elasticity_interval: tuple[float, float]
    prior_elasticity: float
    saturation: float | None
    prior_saturation: float | None
    data_weight: float  # 1 − posterior / prior variance of the logit elasticity
    level_weight: float
    shift_sd: float  # elasticity move from the prior mean, in prior sds (logit scale)
    level_change: float  # fitted / prior output at current spending − 1
    output_cv: float  # posterior cv of the output over ±50 % of current spending
    band: pd.DataFrame  # effective_wan, fitted, low, high, prior
    elasticity_sd: float = float("nan")  # posterior sd of the logit of the elasticity
    band_halfwidth: float = float("nan")  # widest half-width of the 90 % band over ±50 % of e0 (relative)
    data_range: tuple[float, float] = (float("nan"), float("nan"))  # records' resources ÷ e0: lowest, highest
    warnings: list[str] = field(default_factory=list)

    @property
    def prior_dominates(self) -> bool:
        """The data cut less than half the prior's variance of the elasticity — or there are too few
        points to tell noise from shape (at most one more than the curve's parameters: the Laplace
        spread of a fit with fitted noise and ≤ 1 spare point is overconfident)."""
        return self.data_weight < PRIOR_DOMINATES or self.n_points <= len(self.theta) + 1

    @property
    def fitted(self) -> bool:
        return self.n_points > 0

    def curve(self) -> Curve:
        return make_curve(self.kind, **self.params)

    def elasticity_z(self, other: float) -> float:
        """How many posterior sds (logit scale) the fitted elasticity lies from ``other``."""
        return (_logit(self.elasticity) - _logit(other)) / self.elasticity_sd

    def shifted(self, z: float) -> dict[str, float]:
        """Parameters with the elasticity moved ``z`` posterior sds (the other parameters follow
        their posterior correlation with it)."""
        g = _grad(lambda th: _logit(elasticity(self.kind, th)), self.theta)
        var = float(g @ self.cov @ g)
        if var <= 0:
            return dict(self.params)
        theta = self.theta + self.cov @ g * (z / np.sqrt(var))
        return curve_from_theta(self.kind, theta, self.e0)


def _grad(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    g = np.zeros(len(x))
    for k in range(len(x)):
        d = np.zeros(len(x))
        d[k] = h
        g[k] = (f(x + d) - f(x - d)) / (2 * h)
    return g


def _hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    n = len(x)
    H = np.zeros((n, n))
    f0 = f(x)
    for i in range(n):
        for j in range(i, n):
            di = np.zeros(n)
            dj = np.zeros(n)
            di[i] = h
            dj[j] = h
            if i == j:
                H[i, i] = (f(x + di) - 2 * f0 + f(x - di)) / h ** 2
            else:
                H[i, j] = H[j, i] = (f(x + di + dj) - f(x + di - dj) - f(x - di + dj) + f(x - di - dj)) / (4 * h * h)
    return H


def _safe_inv(H: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric matrix; eigenvalues clipped when it is not positive definite."""
    H = (H + H.T) / 2
    w, V = np.linalg.eigh(H)
    ok = bool(np.all(w > 1e-10))
    w = np.maximum(w, 1e-8)
    return (V / w) @ V.T, ok


class _CurveModel:
    """The negative log posterior of one curve: priors from the scenario, outputs ``y`` (NaN = no
    record), log-normal errors with a fitted noise level; the curve is parametrised at ``e0``.
    ``nlp(z, E)`` takes z = (theta, log noise sd) and the category's resources (so that a joint fit
    can move the channel capacities behind them)."""

    def __init__(self, s: Scenario, c: str, i: str, E: np.ndarray, y: np.ndarray, e0: float):
        cs = s.spec.categories[c].response[i]
        self.c, self.i, self.kind, self.e0 = c, i, cs.curve, e0
        self.prior_params = {k: float(getattr(cs, k)) for k in CURVE_PARAMS[self.kind]}
        self.theta_p = theta_from_curve(self.kind, self.prior_params, e0)
        self.pri = _prior_for(s, c, i, self.kind, self.theta_p)
        self.mu_e, self.tau_e = _logit_normal(*self.pri.elasticity)
        self.mu_s, self.tau_s = _logit_normal(*self.pri.saturation) if self.pri.saturation is not None else (0., 0.)
        self.y = y
        self.mask = np.isfinite(y) & (E > 0)
        self.n = int(self.mask.sum())
        yo = y[self.mask]
        self.kappa = 0.5 if self.n and np.any(yo <= 0) else 0.0
        self.log_yo = np.log(yo + self.kappa)
        self.log_sig_p = float(np.log(self.pri.noise_cv))

    @property
    def k(self) -> int:
        return len(self.theta_p)

    def prior_terms(self, th: np.ndarray) -> float:
        out = (th[0] - self.theta_p[0]) ** 2 / (2 * self.pri.level_sd ** 2)
        out += (_logit(elasticity(self.kind, th)) - self.mu_e) ** 2 / (2 * self.tau_e ** 2)
        if self.pri.saturation is not None:
            out += (_logit(saturation(self.kind, th)) - self.mu_s) ** 2 / (2 * self.tau_s ** 2)
        return out

    def nlp(self, z: np.ndarray, E: np.ndarray) -> float:
        th, log_sig = z[:-1], z[-1]
        out = self.prior_terms(th) + (log_sig - self.log_sig_p) ** 2 / (2 * NOISE_LOG_SD ** 2)
        if self.n:
            f = make_curve(self.kind, **curve_from_theta(self.kind, th, self.e0)).value(E[self.mask])
            if np.any(~np.isfinite(f)) or np.any(f + self.kappa <= 0):
                return 1e12
            r = self.log_yo - np.log(f + self.kappa)
            out += float(np.sum(r ** 2)) / (2 * np.exp(2 * log_sig)) + self.n * log_sig
        return float(out)

    def optimise(self, E: np.ndarray) -> np.ndarray:
        """The MAP z, from two starts: the prior curve moved to the data's level, and the prior curve.
        (Checked against twelve random restarts on the recovery records: never a better optimum.)"""
        optimize = _scipy_optimize()
        z_prior = np.concatenate([self.theta_p, [self.log_sig_p]])
        z0 = z_prior.copy()
        if self.n:  # start the level at the data (the anchor), the shape at the prior
            prior_at = make_curve(self.kind, **self.prior_params).value(E[self.mask])
            z0[0] = np.log(max(np.median(self.y[self.mask]), 1e-9)) + (
                self.theta_p[0] - np.log(max(float(np.median(prior_at)), 1e-12)))
        best = None
        for start in (z0, z_prior):
            res = optimize.minimize(lambda z: self.nlp(z, E), start, method="BFGS",
                                    options={"gtol": 1e-7, "maxiter": 2000})
            if best is None or res.fun < best.fun:
                best = res
        return best.x


def fit_curve(s: Scenario, c: str, i: str, E: np.ndarray, y: np.ndarray, years: list[int], e0: float,
              seed: int = 0) -> CurveFit:
    """MAP fit of one curve to resources ``E`` and outputs ``y`` (NaN = no record), Laplace spread."""
    m = _CurveModel(s, c, i, E, y, e0)
    return _summarise(m, m.optimise(E), E, years, seed)


def _summarise(m: _CurveModel, z: np.ndarray, E: np.ndarray, years: list[int], seed: int,
               cov_full: np.ndarray | None = None, extra_warnings: tuple[str, ...] = ()) -> CurveFit:
    """A fitted curve's report: Laplace spread (``cov_full``, the covariance of z, when a joint fit
    gave it: then it includes the fitted channel capacities' uncertainty), elasticity interval, data
    weight, band over 0–1.6 × current spending, residuals, warnings."""
    kind, e0, n, mask = m.kind, m.e0, m.n, m.mask
    Eo, yo = E[mask], m.y[mask]
    warnings: list[str] = list(extra_warnings)
    if cov_full is None:
        cov_full, ok = _safe_inv(_hessian(lambda zz: m.nlp(zz, E), z))
        if not ok:
            warnings.append("the posterior is not well curved at the fit; its spread is approximate")
    k = m.k
    theta, cov = z[:k], cov_full[:k, :k]
    prior_cov, _ = _safe_inv(_hessian(m.prior_terms, theta))
    g = _grad(lambda th: _logit(elasticity(kind, th)), theta)
    var_post, var_prior = float(g @ cov @ g), float(g @ prior_cov @ g)
    data_weight = float(np.clip(1 - var_post / var_prior, 0.0, 1.0)) if var_prior > 0 else 0.0
    level_weight = float(np.clip(1 - cov[0, 0] / prior_cov[0, 0], 0.0, 1.0))
    el = elasticity(kind, theta)
    sd_g = np.sqrt(max(var_post, 0.0))
    interval = (float(_expit(_logit(el) - Z90 * sd_g)), float(_expit(_logit(el) + Z90 * sd_g)))
    if kind == "saturating_exp" or kind == "log":  # elasticity < 1 always; the interval says so too
        interval = (interval[0], min(interval[1], 1.0))
    params = curve_from_theta(kind, theta, e0)
    curve = make_curve(kind, **params)
    prior_curve = make_curve(kind, **m.prior_params)

    # band: posterior draws of the curve
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(theta, cov, size=BAND_DRAWS, method="eigh")
    hi_e = max(1.6 * e0, 1.1 * float(Eo.max()) if n else 0.0)
    grid = np.linspace(0.0, hi_e, 81)[1:]
    vals = np.array([make_curve(kind, **curve_from_theta(kind, d, e0)).value(grid) for d in draws])
    band = pd.DataFrame({"effective_wan": grid, "fitted": curve.value(grid),
                         "low": np.quantile(vals, 0.05, axis=0), "high": np.quantile(vals, 0.95, axis=0),
                         "prior": prior_curve.value(grid)})
    near = (grid >= 0.5 * e0) & (grid <= 1.5 * e0)
    log_sd = np.std(np.log(np.maximum(vals[:, near], 1e-12)), axis=0)
    s_rms = float(np.sqrt(np.mean(log_sd ** 2)))
    output_cv = float(np.sqrt(np.expm1(s_rms ** 2)))
    fit_near = band["fitted"].to_numpy()[near]
    band_half = float(np.max((band["high"].to_numpy()[near] - band["low"].to_numpy()[near]) / 2
                             / np.maximum(fit_near, 1e-12))) if n else float("nan")

    fitted_o = curve.value(Eo) if n else np.array([])
    observed = pd.DataFrame({"year": np.asarray(years)[mask].astype(int), "effective_wan": Eo, "value": yo,
                             "fitted": fitted_o, "residual": (yo - fitted_o) / np.maximum(fitted_o, 1e-12)})
    if n and n < 3:
        warnings.append(f"only {n} point{'s' if n > 1 else ''}: the shape comes from the prior")
    if n and np.ptp(np.log(Eo)) < 0.1:
        warnings.append("spending hardly varied over the records (less than ±5 %): the data cannot tell the "
                        "curve's shape")
    return CurveFit(
        category=m.c, indicator=m.i, kind=kind, n_points=n, e0=e0, prior_params=m.prior_params, params=params,
        priors=m.pri, theta=theta, cov=cov, prior_cov=prior_cov, noise_cv=float(np.exp(z[-1])), observed=observed,
        elasticity=el, elasticity_interval=interval, prior_elasticity=m.pri.elasticity[0],
        saturation=saturation(kind, theta), prior_saturation=saturation(kind, m.theta_p),
        data_weight=data_weight, level_weight=level_weight,
        shift_sd=float((_logit(el) - m.mu_e) / m.tau_e),
        level_change=float(curve.value(e0) / max(float(prior_curve.value(e0)), 1e-12) - 1),
        output_cv=output_cv, band=band, band_halfwidth=band_half, elasticity_sd=float(sd_g),
        data_range=(float(Eo.min() / e0), float(Eo.max() / e0)) if n else (float("nan"), float("nan")),
        warnings=warnings)


# ----------------------------------------------------------------------------- channel capacities


CAPACITY_LOG_SD = 0.5  # prior on a channel's capacity: the scenario's figure, within a factor of about 1.6 (1 sd)


@dataclass
class ChannelFit:
    """What the records say about one channel's absorptive capacity.

    Identified when the records cut the prior variance of its log capacity by at least half
    (``data_weight`` ≥ 0.5, as for the curves): then it is fitted jointly with its category's curves.
    Otherwise the scenario's value is kept — a capacity shows only as the channel's returns falling
    off *relative to the category's other channels* as it nears its limit, and records that move all
    channels of a category together, or stay far below the limit, cannot tell it from the curve's
    own concavity."""

    category: str
    mode: str
    prior_wan: float  # the scenario's capacity
    capacity_wan: float  # fitted when identified, else the scenario's
    interval: tuple[float, float]  # 90 % posterior interval (the prior's when not identified)
    data_weight: float  # 1 − posterior / prior variance of log capacity (0 without outcomes)
    identified: bool
    peak_use: float  # the records' largest yearly decision ÷ the scenario's capacity
    mix_spread: float  # sd over the years of the channel's log share of its category's spending
    reason: str  # 'identified' | 'weak' | 'no_outcomes'

    @property
    def change(self) -> float:
        return self.capacity_wan / self.prior_wan - 1


def channel_status(ch: ChannelFit) -> str:
    """One line on what the records said about a channel's capacity (for the calibrated file)."""
    if ch.identified:
        lo, hi = ch.interval
        return (f"fitted {ch.capacity_wan:,.0f} (90 % {lo:,.0f}–{hi:,.0f}; scenario {ch.prior_wan:,.0f}; "
                f"data weight {ch.data_weight:.2f})")
    why = ("no outcomes recorded for this category" if ch.reason == "no_outcomes" else
           f"data weight {ch.data_weight:.2f}; records spent at most {ch.peak_use:.0%} of it a year")
    return f"not identified by these records; scenario value kept ({ch.prior_wan:,.0f}; {why})"


def _joint(models: list[_CurveModel], hist: list[ChannelHistory], free: list[int], log_prior: np.ndarray):
    """The category's joint negative log posterior over (each curve's z, log capacities of ``free``
    channels) — the curves share the channels' resources — and its Hessian at a point (assembled
    curve by curve: no curve's parameters touch another's, so the cross blocks are zero)."""
    sizes = [m.k + 1 for m in models]
    cut = np.cumsum([0] + sizes)

    def E_of(lc: np.ndarray) -> np.ndarray:
        caps = {j: float(np.exp(lc[k])) for k, j in enumerate(free)}
        return sum(h.resources(caps.get(j)) for j, h in enumerate(hist))

    def cap_prior(lc: np.ndarray) -> float:
        return float(np.sum((lc - log_prior[free]) ** 2)) / (2 * CAPACITY_LOG_SD ** 2)

    def f(phi: np.ndarray) -> float:
        E = E_of(phi[cut[-1]:])
        return sum(m.nlp(phi[cut[k]:cut[k + 1]], E) for k, m in enumerate(models)) + cap_prior(phi[cut[-1]:])

    def hess(phi: np.ndarray) -> np.ndarray:
        """Gauss–Newton information over (each curve's theta, log capacities), noise at its value in
        ``phi`` (zero rows and columns for the noise levels): positive semi-definite everywhere, so it
        measures what the records can identify even away from the joint optimum."""
        nc = len(free)
        H = np.zeros((len(phi), len(phi)))
        H[cut[-1]:, cut[-1]:] += np.eye(nc) / CAPACITY_LOG_SD ** 2
        for k, m in enumerate(models):
            d = m.k
            idx = np.r_[cut[k]:cut[k] + d, cut[-1]:cut[-1] + nc]
            sig = float(np.exp(phi[cut[k] + d]))

            def res(v, m=m, d=d, sig=sig):
                fv = make_curve(m.kind, **curve_from_theta(m.kind, v[:d], m.e0)).value(E_of(v[d:])[m.mask])
                return np.log(np.maximum(fv + m.kappa, 1e-300)) / sig
            v0 = phi[idx]
            J = np.column_stack([(res(v0 + h) - res(v0 - h)) / 2e-5 for h in np.eye(len(v0)) * 1e-5])
            H[np.ix_(idx, idx)] += J.T @ J
            H[np.ix_(idx[:d], idx[:d])] += _hessian(m.prior_terms, v0[:d])
        for k, m in enumerate(models):  # the noise levels: their own curvature, uncoupled
            H[cut[k] + m.k, cut[k] + m.k] = 2 * m.n + 1 / NOISE_LOG_SD ** 2
        return H
    return f, hess, cut


def _weights(H: np.ndarray, n_caps: int) -> tuple[np.ndarray, np.ndarray]:
    cov, _ = _safe_inv(H)
    var = np.diag(cov)[len(cov) - n_caps:]
    return np.clip(1 - var / CAPACITY_LOG_SD ** 2, 0.0, 1.0), cov


def _fit_category(s: Scenario, c: str, hist: list[ChannelHistory], ys: dict[str, np.ndarray], years: list[int],
                  seed: int) -> tuple[dict[tuple[str, str], CurveFit], list[ChannelFit], np.ndarray]:
    """Fit a category's curves and, where the records identify them, its channels' capacities."""
    optimize = _scipy_optimize()
    T = len(years)

    def anchor(E: np.ndarray) -> float:
        return float(E[-1]) if E[-1] > 0 else float(E[E > 0].mean()) if np.any(E > 0) else 0.0

    def resources(caps: dict[int, float]) -> np.ndarray:
        return sum((h.resources(caps.get(j)) for j, h in enumerate(hist)), np.zeros(T))

    E = resources({})
    e0 = anchor(E)
    if e0 <= 0:
        return {}, [], E
    models = {i: _CurveModel(s, c, i, E, y, e0) for i, y in ys.items()}
    zs = {i: m.optimise(E) for i, m in models.items()}
    data = [i for i, m in models.items() if m.n]
    capped = [j for j, h in enumerate(hist) if np.isfinite(h.capacity) and h.spent.max() > 0]
    log_prior = np.log(np.array([h.capacity for h in hist]))
    weights = {j: 0.0 for j in capped}
    free: list[int] = []
    if capped and data:
        ms = [models[i] for i in data]
        _, hess, _ = _joint(ms, hist, capped, log_prior)
        w, _ = _weights(hess(np.concatenate([zs[i] for i in data] + [log_prior[capped]])), len(capped))
        weights = dict(zip(capped, w))
        free = [j for j in capped if weights[j] >= PRIOR_DOMINATES]
    fitted_caps: dict[int, float] = {}
    while free:  # joint MAP over the curves and the identified capacities; drop any that stop being so
        ms = [models[i] for i in data]
        f, hess, cut = _joint(ms, hist, free, log_prior)
        start = np.concatenate([zs[i] for i in data] + [log_prior[free]])
        res = optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-6, "maxiter": 4000})
        w, _ = _weights(hess(res.x), len(free))
        weights.update(dict(zip(free, w)))
        keep = [j for j, wj in zip(free, w) if wj >= PRIOR_DOMINATES]
        if keep == free:
            fitted_caps = {j: float(np.exp(res.x[cut[-1] + k])) for k, j in enumerate(free)}
            break
        free = keep
    covs: dict[str, np.ndarray] = {}
    cap_cov = np.zeros((0, 0))
    if fitted_caps:  # re-anchor at the new current resources; the curves' spread includes the capacities'
        E = resources(fitted_caps)
        e0 = anchor(E)
        models = {i: _CurveModel(s, c, i, E, y, e0) for i, y in ys.items()}
        zs = {i: m.optimise(E) for i, m in models.items()}
        ms = [models[i] for i in data]
        log_fit = log_prior.copy()
        for j, v in fitted_caps.items():
            log_fit[j] = np.log(v)
        _, hess, cut = _joint(ms, hist, free, log_prior)
        w, cov = _weights(hess(np.concatenate([zs[i] for i in data] + [log_fit[free]])), len(free))
        weights.update(dict(zip(free, w)))
        for k, i in enumerate(data):
            covs[i] = cov[cut[k]:cut[k + 1], cut[k]:cut[k + 1]]
        cap_cov = cov[cut[-1]:, cut[-1]:]
    note = ("fitted jointly with the category's channel capacities",) if fitted_caps else ()
    fits = {(c, i): _summarise(m, zs[i], E, years, seed, covs.get(i), note if i in covs else ())
            for i, m in models.items()}
    total = sum(h.spent for h in hist if s.mode(h.mode).on_budget) + 1e-12
    channels = []
    for j in capped:
        h = hist[j]
        share = h.spent / total
        mix = float(np.std(np.log(share[share > 0]))) if np.sum(share > 0) > 1 else 0.0
        if j in fitted_caps:
            sd = float(np.sqrt(cap_cov[free.index(j), free.index(j)]))
            v = fitted_caps[j]
            interval, reason = (v * float(np.exp(-Z90 * sd)), v * float(np.exp(Z90 * sd))), "identified"
        else:
            v = h.capacity
            interval = (v * float(np.exp(-Z90 * CAPACITY_LOG_SD)), v * float(np.exp(Z90 * CAPACITY_LOG_SD)))
            reason = "weak" if data else "no_outcomes"
        channels.append(ChannelFit(c, h.mode, h.capacity, v, interval, float(weights[j]), j in fitted_caps,
                                   float(h.spent.max() / h.capacity), mix, reason))
    return fits, channels, E


# ----------------------------------------------------------------------------- the whole scenario


@dataclass
class Calibration:
    """The result of :func:`calibrate`: every curve's fit, the calibrated scenario, what flips."""

    base: Scenario
    records: Records
    years: list[int]
    effective: np.ndarray  # C × T resources of the recorded years
    fits: dict[tuple[str, str], CurveFit]
    reference_levels: pd.DataFrame  # indicator, old, new, basis
    scenario: Scenario
    flips: pd.DataFrame | None = None
    plan_performance: float | None = None
    channels: list[ChannelFit] = field(default_factory=list)  # channels with a capacity in the scenario

    @property
    def year_correlation(self) -> float:
        """How much the curves' yearly scatter moves together (good and bad years for all): the mean
        correlation, across the fitted curves, of their log residuals by year (0 when independent or
        when fewer than 3 curves or 4 years make it unknowable)."""
        rows = [f.observed.set_index("year")["residual"] for f in self.fits.values() if f.n_points >= 4]
        if len(rows) < 3:
            return 0.0
        m = pd.concat(rows, axis=1).dropna()
        if len(m) < 4:
            return 0.0
        r = np.log1p(m.to_numpy().clip(-0.99, None))
        c = np.corrcoef(r.T)
        off = c[~np.eye(len(c), dtype=bool)]
        off = off[np.isfinite(off)]
        return float(np.clip(off.mean(), 0.0, 1.0)) if len(off) else 0.0

    @property
    def curves(self) -> pd.DataFrame:
        """One row per curve: points, elasticity (prior, fitted, 90 % interval), data weight, flags."""
        rows = []
        for (c, i), f in self.fits.items():
            rows.append({
                "category": c, "indicator": i, "curve": f.kind, "points": f.n_points, "current_wan": f.e0,
                "prior_elasticity": f.prior_elasticity, "elasticity": f.elasticity,
                "elasticity_low": f.elasticity_interval[0], "elasticity_high": f.elasticity_interval[1],
                "saturation": f.saturation, "prior_saturation": f.prior_saturation,
                "data_weight": f.data_weight, "level_weight": f.level_weight, "shift_sd": f.shift_sd,
                "level_change": f.level_change, "noise_cv": f.noise_cv, "output_cv": f.output_cv,
                "prior_dominates": f.prior_dominates,
                "rmse_rel": float(np.sqrt(np.mean(f.observed["residual"] ** 2))) if f.n_points else np.nan,
                "params": f.params, "prior_params": f.prior_params, "prior_source": f.priors.elasticity_source,
            })
        return pd.DataFrame(rows)

    def document(self, out_path: str | Path | None = None) -> dict:
        """The calibrated scenario as an ``extends:`` diff on the base (a YAML-ready mapping)."""
        return _document(self, out_path)

    def yaml_text(self, out_path: str | Path | None = None) -> str:
        head = (f"# Calibrated by `budgetsim calibrate` from {self.records.name} (sha256 {self.records.sha256[:16]}…),\n"
                f"# records {self.years[0]}–{self.years[-1]}.  Curves fitted by maximum a posteriori estimation,\n"
                "# spread by the Laplace approximation; the index's reference levels are the last actual year's\n"
                "# outputs (100 = that year's output).  See the calibration report for each curve's fit.\n")
        if self.channels:
            head += "# Channel capacities (channels:, 万元 a year):\n" + "".join(
                f"#   {ch.category}.{ch.mode}: {channel_status(ch)}\n" for ch in self.channels)
        return head + yaml.safe_dump(self.document(out_path), allow_unicode=True, sort_keys=False, width=110)


def _base_link(base: Scenario, out_path: str | Path | None) -> tuple[str | None, dict]:
    """(``extends`` value, the base's own changes to repeat) for a diff written at ``out_path``.

    A bundled base, or one in the output's folder, is extended by name.  Otherwise (an upload, a
    scenario moved by levers, a file elsewhere) the diff extends the base's own base and repeats
    the base's own changes; a base that extends nothing is written out whole."""
    src = Path(base.source)
    if src.is_file():
        here = Path(out_path).resolve().parent if out_path is not None else None
        if src.resolve().parent == BUNDLED_DIR.resolve() or (here is not None and src.resolve().parent == here):
            return src.stem, {}
    own = {k: v for k, v in base.own.items() if k not in ("extends", "id", "title", "description")}
    if base.spec.extends:
        return base.spec.extends, own
    whole = {k: v for k, v in base.raw.items() if k not in ("extends", "id", "title", "description")}
    return None, whole


def _round(x: float, digits: int = 5) -> float:
    return float(f"{x:.{digits}g}")


def _document(cal: Calibration, out_path) -> dict:
    s = cal.base
    rec = cal.records
    ref_text = (f"{rec.name}: bureau records {cal.years[0]}–{cal.years[-1]} (sha256 {rec.sha256}); "
                "curves fitted by budgetsim calibrate (MAP, Laplace spread)"
                + ("; the records mark their figures as illustrative, so the fitted figures stay illustrative"
                   if rec.illustrative else ""))
    src = "illustrative" if rec.illustrative else RECORDS_REF
    extends, repeated = _base_link(s, out_path)
    doc: dict[str, Any] = {
        "extends": extends,
        "id": f"{s.id}_calibrated",
        "title": {"zh": f"{s.title('zh')}（按记录校准）", "en": f"{s.title('en')} (calibrated to records)"},
        "description": {
            "zh": f"响应曲线按 {rec.name}（{cal.years[0]}–{cal.years[-1]} 年）拟合；指数 100 = {cal.years[-1]} 年实际产出。",
            "en": f"Response curves fitted to {rec.name} ({cal.years[0]}–{cal.years[-1]}); index 100 = the "
                  f"{cal.years[-1]} actual output."},
        "references": {RECORDS_REF: {"text": ref_text}},
    }
    inds: dict[str, Any] = {}
    for r in cal.reference_levels.itertuples():
        if r.basis != "unchanged":
            inds[r.indicator] = {"reference_per_year": _round(r.new), "source": src}
    if inds:
        doc["indicators"] = inds
    cats: dict[str, Any] = {}
    for (c, i), f in cal.fits.items():
        if not f.fitted:
            continue
        cats.setdefault(c, {"response": {}})["response"][i] = (
            {"curve": f.kind} | {k: _round(v) for k, v in f.params.items()} | {"source": src})
    if cats:
        doc["categories"] = cats
    sq = _status_quo_section(cal, src)
    if sq is not None:
        doc["status_quo"] = sq
    chans: dict[str, Any] = {}
    for ch in cal.channels:
        if ch.identified:
            spec = s.spec.channels[ch.category][ch.mode]
            if spec.capacity_wan is not None:
                entry = {"capacity_wan": _round(ch.capacity_wan, 4)}
            else:  # the ticket is known; the records moved the count (whole projects, firms, deals)
                entry = {"units": max(1, round(spec.units * ch.capacity_wan / ch.prior_wan))}
            chans.setdefault(ch.category, {})[ch.mode] = entry | {"source": src}
    if chans:
        doc["channels"] = chans
    doc["uncertainty"] = _uncertainty_section(cal, src)
    if repeated:
        doc = deep_merge(repeated, doc) | {k: doc[k] for k in ("extends", "id", "title", "description")}
        doc = {"extends": extends, **{k: v for k, v in doc.items() if k != "extends"}}
    if extends is None:
        del doc["extends"]
    return doc


def _status_quo_section(cal: Calibration, src: str) -> dict | None:
    """The status quo as the records' last actual year: its on-budget split, total and forgone tax.

    Every channel of the base's split is written (0 where nothing was spent), because a diff's
    mappings merge key by key and a channel left out would keep the base's share."""
    s, last = cal.base, cal.years[-1]
    spent = cal.records.spending[cal.records.spending["year"] == last]
    on = {(r.category, r.mode): float(r.amount_wan) for r in spent.itertuples() if s.mode(r.mode).on_budget}
    off = {(r.category, r.mode): float(r.amount_wan) for r in spent.itertuples() if not s.mode(r.mode).on_budget}
    total = sum(on.values())
    if total <= 0:
        return None
    keys = sorted(set(on) | {(c, m) for c, ms in s.spec.status_quo.split.items() for m in ms},
                  key=lambda cm: s.channels.index(cm) if cm in s.channels else len(s.channels))
    shares = {cm: round(on.get(cm, 0.0) / total, 6) for cm in keys}
    biggest = max(shares, key=shares.get)
    shares[biggest] = round(shares[biggest] + 1.0 - sum(shares.values()), 6)
    split: dict[str, dict[str, float]] = {}
    for (c, m), v in shares.items():
        split.setdefault(c, {})[m] = v
    out: dict[str, Any] = {"base_year": int(last), "budget_wan": _round(total, 7), "split": split, "source": src}
    off_keys = set(off) | {(c, m) for c, ms in s.spec.status_quo.off_budget_wan.items() for m in ms}
    if off_keys:
        out["off_budget_wan"] = {}
        for c, m in sorted(off_keys):
            out["off_budget_wan"].setdefault(c, {})[m] = _round(off.get((c, m), 0.0), 7)
    return out


def _uncertainty_section(cal: Calibration, src: str) -> dict:
    """The base's uncertain parameters, with every fitted curve's entry replaced by its posterior spread."""
    spec = cal.base.spec
    fitted = {(c, i) for (c, i), f in cal.fits.items() if f.fitted}
    out: list[dict] = []
    if spec.uncertainty is not None:
        for k, p in enumerate(spec.uncertainty.parameters):
            entry = p.model_dump(exclude_defaults=True)
            entry.setdefault("dist", p.dist)
            targets, _ = resolve(spec, p.path)
            keep = [t for t in targets if not (t.kind == "curve" and (t.a, t.b) in fitted)]
            if len(keep) == len(targets):
                out.append(entry)
                continue
            if p.correlation > 0 and p.group is None:
                entry["group"] = f"split_{k}"  # split entries keep their common shock
            for t in keep:
                out.append(entry | {"path": t.path})
    T = len(cal.base.years)
    rho = cal.year_correlation
    for (c, i), f in cal.fits.items():
        if f.fitted:
            v_post, v_year = np.log1p(f.output_cv ** 2), f.noise_cv ** 2 / T
            entry = {"path": f"categories.{c}.response.{i}", "dist": "lognormal",
                     "cv": max(_round(float(np.sqrt(np.expm1(v_post + v_year))), 3), 0.001), "source": src}
            share = rho * v_year / (v_post + v_year)
            if share >= 0.001:
                entry |= {"correlation": _round(share, 3), "group": "records_years"}
            out.append(entry)
    return {"source": src, "parameters": out}


def _reference_levels(s: Scenario, rec: Records, years: list[int], E: np.ndarray,
                      fits: dict[tuple[str, str], CurveFit]) -> pd.DataFrame:
    """Each indicator's output in the records' last year: observed where recorded, else the fitted
    curve at that year's resources; indicators without any record keep their reference."""
    last = years[-1]
    obs = rec.outcomes[rec.outcomes["year"] == last].set_index(["category", "indicator"])["value"]
    rows = []
    for iid, ind in s.spec.indicators.items():
        total, n_obs, n_fit = 0.0, 0, 0
        for c in s.categories:
            if iid not in s.spec.categories[c].response:
                continue
            if (c, iid) in obs.index:
                total += float(obs[(c, iid)])
                n_obs += 1
            else:
                f = fits[(c, iid)]
                total += float(f.curve().value(E[s.categories.index(c), -1]))
                n_fit += f.fitted
        if n_obs == 0 or total <= 0:
            rows.append((iid, ind.reference_per_year, ind.reference_per_year, "unchanged", n_obs, n_fit))
        else:
            rows.append((iid, ind.reference_per_year, total, "observed" if n_fit == 0 else "observed+fitted",
                         n_obs, n_fit))
    return pd.DataFrame(rows, columns=["indicator", "old", "new", "basis", "observed_curves", "fitted_curves"])


def calibrate(scenario: Scenario | str | Path, records: Records | str | Path | bytes, *,
              flips: bool = True, seed: int = 0, records_name: str | None = None) -> Calibration:
    """Fit ``scenario``'s response curves to a bureau's ``records`` (file path, bytes or :class:`Records`).

    Returns a :class:`Calibration`: ``.fits`` per curve, ``.curves`` (one row per curve),
    ``.scenario`` (the calibrated scenario), ``.yaml_text()`` (the ``extends:`` file), and, with
    ``flips``, ``.flips``: the plan's recommendations that change within the curves' bands.
    Raises :class:`~budgetsim.scenario.records.RecordsError` listing every problem of the file."""
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    rec = records if isinstance(records, Records) else read_records(records, s, name=records_name)
    years, hist = channel_histories(s, rec)
    E = np.zeros((len(s.categories), len(years)))
    out = rec.outcomes.groupby(["category", "indicator", "year"])["value"].sum()
    fits: dict[tuple[str, str], CurveFit] = {}
    channels: list[ChannelFit] = []
    for c in s.categories:
        ys = {}
        for i in s.spec.categories[c].response:
            y = np.full(len(years), np.nan)
            if (c, i) in out.index.droplevel(2):
                for yr, v in out.loc[(c, i)].items():
                    y[years.index(int(yr))] = v
            ys[i] = y
        f_c, ch_c, E[s.categories.index(c)] = _fit_category(s, c, [h for h in hist if h.category == c], ys,
                                                             years, seed)
        fits.update(f_c)
        channels += ch_c
    for (c, i) in [(c, i) for c in s.categories for i in s.spec.categories[c].response]:
        if (c, i) not in fits:  # no spending at all in this category: nothing to anchor on
            fits[(c, i)] = _unfitted(s, c, i, len(years))
    fits = {k: fits[k] for k in [(c, i) for c in s.categories for i in s.spec.categories[c].response]}
    refs = _reference_levels(s, rec, years, E, fits)
    cal = Calibration(s, rec, years, E, fits, refs, scenario=s, channels=channels)
    doc = cal.document()
    merged = deep_merge(s.raw, {k: v for k, v in doc.items() if k != "extends"})
    if doc.get("extends"):
        merged["extends"] = doc["extends"]
    cal.scenario = scenario_from_dict(merged, source=f"{s.source} + {rec.name}", own=doc,
                                      base_path=Path(s.source) if Path(s.source).is_file() else None,
                                      origin=s.origin if s.origin is not None else s)  # it extends s
    if flips:
        cal.flips, cal.plan_performance = recommendation_flips(cal)
    return cal


def _unfitted(s: Scenario, c: str, i: str, T: int) -> CurveFit:
    cs = s.spec.categories[c].response[i]
    params = {k: float(getattr(cs, k)) for k in CURVE_PARAMS[cs.curve]}
    nan = float("nan")
    empty = pd.DataFrame(columns=["year", "effective_wan", "value", "fitted", "residual"])
    pri = CurvePriors((nan, nan), cs.source, None, None, DEFAULT_LEVEL_SD, 0.1)
    return CurveFit(c, i, cs.curve, 0, 0.0, params, params, pri, np.array([]), np.zeros((0, 0)), np.zeros((0, 0)),
                    nan, empty, nan, (nan, nan), nan, None, None, 0.0, 0.0, 0.0, 0.0, 0.0,
                    pd.DataFrame(columns=["effective_wan", "fitted", "low", "high", "prior"]),
                    warnings=["no spending recorded in this category: the curve stays as it was"])


# ----------------------------------------------------------------------------- recommendations that flip


FLIP_TOL = 0.05  # a channel moves 'up' / 'down' when its plan total is 5 % above / below the status quo
FUNDED_TOL = 0.005  # a channel is funded when it gets at least 0.5 % of the plan's budget


def recommendations(result) -> pd.DataFrame:
    """Per channel: the plan's total over the years vs the status quo, as a recommendation
    (``up`` / ``down`` / ``hold`` / ``off``)."""
    a = result.allocation.groupby(["category", "mode"], sort=False)[["amount_wan", "status_quo_wan"]].sum()
    total = float(a["amount_wan"].sum())
    rec = []
    for (c, m), r in a.iterrows():
        plan, sq = float(r["amount_wan"]), float(r["status_quo_wan"])
        if plan < FUNDED_TOL * total:
            d = "off"
        elif plan > sq * (1 + FLIP_TOL):
            d = "up"
        elif plan < sq * (1 - FLIP_TOL):
            d = "down"
        else:
            d = "hold"
        rec.append((c, m, plan, sq, d))
    return pd.DataFrame(rec, columns=["category", "mode", "plan_wan", "status_quo_wan", "recommendation"])


def _flipped(a: str, b: str) -> bool:
    """A recommendation flips when its direction reverses (up ↔ down) or funding starts or stops."""
    return {a, b} == {"up", "down"} or (a == "off") != (b == "off")


def recommendation_flips(cal: Calibration, z: float = Z90) -> tuple[pd.DataFrame, float | None]:
    """For each fitted curve, re-plan with its elasticity at either end of its 90 % interval and list
    the channels whose recommendation flips (up ↔ down, funded ↔ not funded)."""
    base = solve(cal.scenario)
    cols = ["category", "indicator", "end", "elasticity", "channel_category", "channel_mode", "from", "to",
            "plan_wan", "shifted_wan", "performance_change"]
    if not base.ok:
        return pd.DataFrame(columns=cols), None
    ref = recommendations(base).set_index(["category", "mode"])
    rows = []
    for (c, i), f in cal.fits.items():
        if not f.fitted:
            continue
        for end, sign in (("low", -1.0), ("high", 1.0)):
            params = f.shifted(sign * z)
            spec = {"curve": f.kind} | {k: _round(v) for k, v in params.items()} | {"source": RECORDS_REF}
            variant = cal.scenario.with_changes(diff={"categories": {c: {"response": {i: spec}}}})
            r = solve(variant)
            if not r.ok:
                continue
            new = recommendations(r).set_index(["category", "mode"])
            el = elasticity(f.kind, theta_from_curve(f.kind, params, f.e0))
            for key, row in ref.iterrows():
                a, b = row["recommendation"], new.loc[key, "recommendation"]
                if _flipped(a, b):
                    rows.append((c, i, end, el, key[0], key[1], a, b, row["plan_wan"], new.loc[key, "plan_wan"],
                                 r.performance - base.performance))
    return pd.DataFrame(rows, columns=cols), base.performance


# ----------------------------------------------------------------------------- template example


def status_quo_records(s: Scenario) -> Records:
    """The scenario's own status quo as one year of records (the template's example rows): the
    status-quo split of ``status_quo.budget_wan`` and the outputs the scenario's curves give for it."""
    year = s.spec.status_quo.base_year
    rows = []
    for j, (c, m) in enumerate(s.channels):
        share = s.status_quo_shares[j]
        amount = share * s.spec.status_quo.budget_wan if s.mode(m).on_budget else \
            s.spec.status_quo.off_budget_wan.get(c, {}).get(m, 0.0)
        rows.append((year, c, m, float(amount)))
    spending = pd.DataFrame(rows, columns=["year", "category", "mode", "amount_wan"])
    tmp = Records(spending, pd.DataFrame(columns=["year", "category", "indicator", "value", "origin"]),
                  pd.DataFrame(), "status quo")
    _, E = history_resources(s, tmp)
    curves = scenario_curves(s)
    out = [(year, c, i, float(curves[(c, i)].value(E[s.categories.index(c), 0])), "outcomes")
           for c in s.categories for i in s.spec.categories[c].response]
    outcomes = pd.DataFrame(out, columns=["year", "category", "indicator", "value", "origin"])
    return Records(spending, outcomes, pd.DataFrame(), "status quo")


def scenario_with_curves(s: Scenario, curves: dict[tuple[str, str], dict[str, float]]) -> Scenario:
    """``s`` with some curves' parameters replaced (same family), e.g. to make known 'true' curves."""
    diff: dict[str, Any] = {"categories": {}}
    for (c, i), params in curves.items():
        kind = s.spec.categories[c].response[i].curve
        diff["categories"].setdefault(c, {"response": {}})["response"][i] = {"curve": kind} | dict(params)
    return s.with_changes(diff=copy.deepcopy(diff))


def synthetic_records(s: Scenario, truth: Scenario, years: list[int], spread: float, noise: float,
                      rng: np.random.Generator, name: str = "synthetic.csv", common: float = 0.0) -> Records:
    """Records drawn from known curves (recovery tests, examples): each category's status-quo
    spending scaled by factors evenly spread over ±``spread`` in a random order of the ``years``,
    outputs from ``truth``'s curves times log-normal noise of sd ``noise``, a ``common`` share of
    whose variance is one shock per year shared by every curve (good and bad years)."""
    sq = status_quo_records(s).spending
    rows = []
    for c in s.categories:
        mult = rng.permutation(np.linspace(1 - spread, 1 + spread, len(years)))
        for k, y in enumerate(years):
            for r in sq[sq["category"] == c].itertuples():
                rows.append((y, c, r.mode, float(r.amount_wan * mult[k])))
    spending = pd.DataFrame(rows, columns=["year", "category", "mode", "amount_wan"])
    empty = pd.DataFrame(columns=["year", "category", "indicator", "value", "origin"])
    yrs, E = history_resources(truth, Records(spending, empty, pd.DataFrame(), name))
    out = []
    shock = rng.standard_normal(len(yrs)) if common > 0 else np.zeros(len(yrs))
    for (c, i), curve in scenario_curves(truth).items():
        for k, y in enumerate(yrs):
            z = np.sqrt(common) * shock[k] + np.sqrt(1 - common) * rng.standard_normal() if common > 0 else \
                rng.normal(0.0, 1.0)
            v = float(curve.value(E[s.categories.index(c), k])) * float(np.exp(noise * z))
            out.append((y, c, i, v, "outcomes"))
    return Records(spending, pd.DataFrame(out, columns=empty.columns), pd.DataFrame(), name,
                   hashlib.sha256(spending.to_csv().encode() + str(out).encode()).hexdigest())


def perturbed_curves(s: Scenario, rng: np.random.Generator, level: float = 0.25,
                     shift: float = 0.1) -> dict[tuple[str, str], dict[str, float]]:
    """The scenario's curves moved at random: the output at status-quo spending by a factor up to
    e^±``level``, the elasticity there by up to ±``shift`` (kept in (0.05, 0.97)) — 'true' curves for
    recovery tests and example records, as parameters by (category, indicator)."""
    optimize = _scipy_optimize()
    _, e_sq = history_resources(s, status_quo_records(s))
    out = {}
    for c in s.categories:
        e0 = float(e_sq[s.categories.index(c), 0])
        for i, cs in s.spec.categories[c].response.items():
            th = theta_from_curve(cs.curve, {k: float(getattr(cs, k)) for k in CURVE_PARAMS[cs.curve]}, e0)
            if level:
                th[0] += rng.uniform(-level, level)
            target = float(np.clip(elasticity(cs.curve, th) + rng.uniform(-shift, shift), 0.05, 0.97))
            j = 2 if cs.curve == "hill" else 1

            def gap(b: float, th=th, j=j, kind=cs.curve) -> float:
                return elasticity(kind, np.r_[th[:j], b, th[j + 1:]]) - target
            try:
                th[j] = optimize.brentq(gap, -8, 8)
            except ValueError:  # the target is out of the family's reach: keep the shape
                pass
            out[(c, i)] = curve_from_theta(cs.curve, th, e0)
    return out
