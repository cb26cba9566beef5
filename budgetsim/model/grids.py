"""Breakpoint grids: where the refinement loop of :func:`~budgetsim.model.builder.optimise` puts them.

Every category-year's concave response enters the LP as segments on a grid of fixed size:
a coarse geometric grid over [0, e_max] plus a fine zone around a *centre*.  This module
holds the two decisions about those grids that cost passes:

* :func:`coarse_grid_matrix` — every coarse grid at once.  The geometric grid has the same
  number of points whatever ``e_max`` is (it runs from a fixed share of ``e_max`` up to
  ``e_max``), so all grids are one template scaled per category-year.
* :func:`predict_centers` — where the next pass's fine zone goes.  An LP optimum on a grid
  sits on a breakpoint (or inside a segment when a rule pins it), so the allocation it shows
  is only as fine as the grid.  The LP's duals say more: the dual of a category-year's
  resource link row is what one more unit of effective resources is worth there, and at
  the true optimum that equals the slope of the value curve (the objective's and the bound
  targets' weights on the indicator curves).  Solving slope = dual between the neighbouring
  breakpoints places the next zone nearer the optimum than the breakpoint itself, so the
  loop settles in fewer passes.  The prediction is a function of the current pass's LP
  solution only, so a scenario walks the same sequence of grids whatever was solved before.
"""

from __future__ import annotations

import numpy as np

from .curves import fine_center

PREDICT_POINTS = 48  # candidate points per bracket when solving slope = dual


def coarse_grid_matrix(e_max: np.ndarray, ratio: float, floor_share: float = 5e-4) -> np.ndarray:
    """All coarse grids, one row per category-year: 0, then geometric from
    ``floor_share · e_max`` up to ``e_max`` (the same points as
    :func:`~budgetsim.model.curves.initial_breakpoints`, vectorised)."""
    e_max = np.asarray(e_max, dtype=float)
    n = int(np.ceil(np.log(1.0 / floor_share) / np.log(ratio))) + 1
    template = np.concatenate(([0.0], np.geomspace(floor_share, 1.0, n)))
    grids = e_max[:, None] * template[None, :]
    grids[:, -1] = e_max  # the last point exactly e_max (no rounding above the bound)
    return grids


def _value_weights(builder, sol) -> np.ndarray | None:
    """I × T: what one unit of each indicator's output is worth in the LP at this solution
    (the objective's index coefficient, plus the price of each bound target row)."""
    s = builder.s
    v = np.zeros((len(s.indicators), builder.T))
    if builder.objective == "max-performance":
        v += builder.ev.index_coef
    elif builder.objective != "min-budget":
        return None
    y = sol.row_dual
    for iid, r in builder._target_rows.items():
        v[s.indicators.index(iid)] -= y[r]
    return v


def predict_centers(builder, sol, e_lp: np.ndarray, e_max: np.ndarray) -> np.ndarray:
    """Fine-zone centres for the next pass, from this pass's solution ``sol``.

    ``e_lp`` is the effective resources of each category-year at the LP optimum.  Where it
    sits on a breakpoint, the centre is the point between the neighbouring breakpoints where
    the value curve's slope equals the link row's dual; elsewhere (a rule pins it inside a
    segment; no duals, as for an integer model) it is ``e_lp`` itself."""
    out = np.asarray(e_lp, dtype=float).copy()
    link = getattr(builder, "link_rows", None)
    if sol.row_dual is None or link is None or builder.lp.is_mip:
        return fine_center(out, e_max)
    v = _value_weights(builder, sol)
    if v is None:
        return fine_center(out, e_max)
    s, T = builder.s, builder.T
    mu = sol.row_dual[link]
    # minimising, the value curve's slope rises towards the dual from below: flip both
    scale = 1.0 if builder.lp.maximize else -1.0
    mu, v = mu * scale, v * scale
    u = np.linspace(0.0, 1.0, PREDICT_POINTS)
    for c, cid in enumerate(s.categories):
        bp = np.stack([builder.breakpoints[(c, t)] for t in range(T)])  # T × (K + 1)
        e = out[c * T:(c + 1) * T]
        tol = 1e-8 * bp[:, -1] + 1e-7 * e  # LP tolerances: on a breakpoint up to these
        j = np.clip(np.argmin(np.abs(bp - e[:, None]), axis=1), 0, bp.shape[1] - 1)
        rows = np.arange(T)
        on = np.abs(bp[rows, j] - e) <= tol
        if not on.any():
            continue
        lo = bp[rows, np.maximum(j - 1, 0)]
        hi = bp[rows, np.minimum(j + 1, bp.shape[1] - 1)]
        pts = lo[:, None] + (hi - lo)[:, None] * u[None, :]  # T × P
        slope = np.zeros_like(pts)
        for iid in s.spec.categories[cid].response:
            i = s.indicators.index(iid)
            slope += v[i][:, None] * builder.ev.curves[(cid, iid)].slope(pts)
        target = mu[c * T:(c + 1) * T][:, None]
        above = slope >= target  # concave: True first, then False
        k = above.sum(axis=1)  # number of points whose slope is still above the dual
        inside = (k > 0) & (k < PREDICT_POINTS)
        kk = np.clip(k, 1, PREDICT_POINTS - 1)
        s0, s1 = slope[rows, kk - 1], slope[rows, kk]
        p0, p1 = pts[rows, kk - 1], pts[rows, kk]
        w = np.where(s0 > s1, (s0 - target[:, 0]) / np.where(s0 > s1, s0 - s1, 1.0), 0.5)
        guess = np.where(inside, p0 + np.clip(w, 0.0, 1.0) * (p1 - p0), np.where(k == 0, lo, hi))
        ok = on & np.isfinite(guess) & np.all(np.isfinite(slope), axis=1)
        e[ok] = guess[ok]
    return fine_center(out, e_max)
