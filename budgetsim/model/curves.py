"""Response curves: how a category's effective resources turn into indicator output.

One class per curve shape.  Each curve gives its value and slope on numpy arrays
(vectorised over years, categories and Monte Carlo draws alike), says whether it is
concave, and yields the chords the optimiser uses as piecewise-linear segments.  The
optimiser and the evaluator call the same :meth:`Curve.value`, so reported performance
is always measured on the true curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..scenario.schema import CURVE_PARAMS


@dataclass(frozen=True)
class Curve:
    """Base class; subclasses are frozen dataclasses of their parameters."""

    kind: ClassVar[str] = ""

    def value(self, e: np.ndarray | float) -> np.ndarray:
        raise NotImplementedError

    def slope(self, e: np.ndarray | float) -> np.ndarray:
        raise NotImplementedError

    @property
    def concave(self) -> bool:
        return True

    def scaled(self, factor: float | np.ndarray) -> "Curve":
        """The same curve with its output multiplied by ``factor``."""
        raise NotImplementedError

    def chords(self, breakpoints: np.ndarray) -> np.ndarray:
        """Slopes of the chords between consecutive breakpoints (decreasing when concave)."""
        b = np.asarray(breakpoints, dtype=float)
        y = self.value(b)
        return np.diff(y) / np.diff(b)


@dataclass(frozen=True)
class SaturatingExp(Curve):
    """y = max · (1 − exp(−E / scale)): output approaches ``max`` as resources grow."""

    max: float
    scale: float
    kind: ClassVar[str] = "saturating_exp"

    def value(self, e):
        e = np.asarray(e, dtype=float)
        return self.max * -np.expm1(-e / self.scale)

    def slope(self, e):
        e = np.asarray(e, dtype=float)
        return self.max / self.scale * np.exp(-e / self.scale)

    def scaled(self, factor):
        return SaturatingExp(max=self.max * factor, scale=self.scale)


@dataclass(frozen=True)
class Power(Curve):
    """y = coef · (E / 10 000)^exponent, 0 < exponent ≤ 1 (E in 万元, so per 亿元 of resources)."""

    coef: float
    exponent: float
    kind: ClassVar[str] = "power"

    def value(self, e):
        e = np.maximum(np.asarray(e, dtype=float), 0.0)
        return self.coef * (e / 1e4) ** self.exponent

    def slope(self, e):
        e = np.maximum(np.asarray(e, dtype=float), 1e-9)
        return self.coef * self.exponent / 1e4 * (e / 1e4) ** (self.exponent - 1.0)

    @property
    def concave(self) -> bool:
        return 0.0 < self.exponent <= 1.0

    def scaled(self, factor):
        return Power(coef=self.coef * factor, exponent=self.exponent)


@dataclass(frozen=True)
class Log(Curve):
    """y = coef · ln(1 + E / scale)."""

    coef: float
    scale: float
    kind: ClassVar[str] = "log"

    def value(self, e):
        e = np.asarray(e, dtype=float)
        return self.coef * np.log1p(e / self.scale)

    def slope(self, e):
        e = np.asarray(e, dtype=float)
        return self.coef / (self.scale + e)

    def scaled(self, factor):
        return Log(coef=self.coef * factor, scale=self.scale)


@dataclass(frozen=True)
class Hill(Curve):
    """y = max · E^n / (half^n + E^n).  Concave only for n ≤ 1; n > 1 is S-shaped."""

    max: float
    half: float
    n: float
    kind: ClassVar[str] = "hill"

    def value(self, e):
        e = np.maximum(np.asarray(e, dtype=float), 0.0)
        en = e**self.n
        return self.max * en / (self.half**self.n + en)

    def slope(self, e):
        e = np.maximum(np.asarray(e, dtype=float), 1e-9)
        hn = self.half**self.n
        en = e**self.n
        return self.max * self.n * hn * e ** (self.n - 1) / (hn + en) ** 2

    @property
    def concave(self) -> bool:
        return 0.0 < self.n <= 1.0

    def scaled(self, factor):
        return Hill(max=self.max * factor, half=self.half, n=self.n)


CURVES: dict[str, type[Curve]] = {c.kind: c for c in (SaturatingExp, Power, Log, Hill)}
assert set(CURVES) == set(CURVE_PARAMS), "scenario.schema.CURVE_PARAMS and model.curves.CURVES name the same shapes"


def make_curve(kind: str, **params: float) -> Curve:
    """Build a curve from its name and parameters (as written in a scenario file)."""
    return CURVES[kind](**params)


def initial_breakpoints(e_max: float, ratio: float = 1.12, floor_share: float = 5e-4) -> np.ndarray:
    """0, then a geometric grid from ``floor_share · e_max`` up to ``e_max``.

    A geometric grid keeps the relative chord error the same at every scale, which
    matters because the optimum of a category may sit anywhere between a few 万元 and
    the whole budget.
    """
    return coarse_grid_matrix(np.array([e_max], dtype=float), ratio, floor_share)[0]


def coarse_grid_matrix(e_max: np.ndarray, ratio: float, floor_share: float = 5e-4) -> np.ndarray:
    """:func:`initial_breakpoints` for many ``e_max`` at once, one grid per row.  The grid has
    the same number of points whatever ``e_max`` is, so the rows are one template scaled."""
    e_max = np.maximum(np.asarray(e_max, dtype=float), 1e-6 / floor_share)
    n = int(np.ceil(np.log(1.0 / floor_share) / np.log(ratio))) + 1
    template = np.concatenate(([0.0], np.geomspace(floor_share, 1.0, n)))
    grids = e_max[:, None] * template[None, :]
    grids[:, -1] = e_max  # the last point exactly e_max
    return grids


FINE_OFFSETS = np.array([0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 1.0, 1.005, 1.01, 1.02, 1.05, 1.1, 1.25])
CENTER_FLOOR = 1e-3  # a fine zone is never centred below this share of the grid's range
MIN_GAP = 1e-7  # smallest segment, as a share of the grid's range


def fine_center(e: np.ndarray | float, e_max: np.ndarray | float) -> np.ndarray:
    """Where the fine zone of a grid goes for an optimum at ``e`` (never at zero)."""
    return np.maximum(e, CENTER_FLOOR * np.asarray(e_max))


def zoned_breakpoints(coarse: np.ndarray, center: float) -> np.ndarray:
    """The coarse grid plus a fine zone (±0.5 % … +25 %) around ``center``.

    The number of breakpoints never changes with ``center``, so moving the zone only
    changes numbers (segment widths and slopes), never the model's structure: the same
    solver instance can re-solve warm.  Points that would coincide are pushed apart by
    a tiny gap instead of being dropped."""
    return zoned_grid_matrix(np.asarray(coarse, dtype=float)[None, :], np.array([center], dtype=float))[0]


def zoned_grid_matrix(coarse: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """:func:`zoned_breakpoints` of every row of ``coarse`` around ``centers`` at once."""
    merged = np.sort(np.concatenate((coarse, centers[:, None] * FINE_OFFSETS[None, :]), axis=1), axis=1)
    steps = (MIN_GAP * coarse[:, -1])[:, None] * np.arange(merged.shape[1])[None, :]
    return np.maximum.accumulate(merged - steps, axis=1) + steps
