"""The optimisation model: a validated scenario → a linear (or mixed-integer) program.

Columns: 万元 per channel (category × mode) × year; for channels with an absorptive
capacity, the segments of their own concave curve and the useful money they deliver; then
the piecewise-linear segments of each category-year's concave response (one column per
segment, bounded by its width; concavity makes the solver fill them in order, so no
integers are needed).  Rows: channel money = Σ its segments and useful money = Σ slope ×
segment (channels with a capacity), the link from useful money to effective resources, then every enabled rule from
:mod:`budgetsim.rules`.  Each grid is a coarse geometric grid plus a fine zone that follows
the optimum from pass to pass (see :func:`optimise`).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import itertools
import copy
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .curves import coarse_grid_matrix, fine_center, zoned_grid_matrix
from .evaluate import Evaluator
from ..exceptions import BudgetsimError
from .compiled import COUNTERS, FinalGrid, recall_anywhere, session_for, structure_key
from .lp import LinearProgram, LPSolution, read_highs_duals, time_limit_or_default
from .mechanics import Mechanics
from .rules import RULES
from ..scenario.loading import Scenario

OBJECTIVES = ("max-performance", "min-budget", "cvar")
SOLVERS = ("highs", "cbc")
GAP_TARGET = 5e-4  # linearisation gap kept below 0.05 % (the promise is 0.1 %)
# Many plans tie (modes are substitutes within a category, categories equalise at the
# margin).  Among (near-)ties prefer the plan closest to the status-quo split: a penalty of
# TIE_BREAK per 万元 of deviation, far below any real marginal value (~1e-5 points/万元
# for max-performance, 1 per 万元 for min-budget), so it never trades real performance.
INITIAL_RATIO = 1.3  # coarse first-pass grid: each breakpoint 30 % above the last
TIE_BREAK = {"max-performance": 1e-8, "min-budget": 1e-6, "cvar": 1e-8}


@dataclass(frozen=True)
class RiskSpec:
    """What the ``cvar`` objective needs: sampled curve-output multipliers and the tail.

    ``mult`` is C × I × S (category × indicator × sample).  The objective is
    (1 − ``weight``) × mean performance + ``weight`` × CVaR_α (the mean of the worst
    ``alpha`` share of samples), in the Rockafellar–Uryasev form: maximise
    η − Σ u_s / (α S) with u_s ≥ η − P_s, u_s ≥ 0.  Performance per sample stays linear
    in the segment columns because only curve *outputs* are uncertain here."""

    mult: np.ndarray
    alpha: float = 0.1
    weight: float = 1.0


@dataclass(frozen=True)
class OverX:
    """A row's coefficients over the allocation columns only (most rules' rows): it goes into the
    program without being spread over every column first."""

    coefs: np.ndarray


class RowMeta(NamedTuple):
    """What a model row stands for, for explanations and checks (a named tuple: made for every row
    of every solve, three times faster than a frozen dataclass)."""

    name: str
    rule: str | None
    year: int | None = None
    key: str | None = None
    param: float | None = None
    sense: str = "<="


@dataclass
class ModelBuilder:
    s: Scenario
    objective: str
    breakpoints: dict[tuple[int, int], np.ndarray]
    risk: RiskSpec | None = None
    lp: LinearProgram = field(default_factory=LinearProgram)
    rows: list[RowMeta] = field(default_factory=list)
    ev: Evaluator | None = field(default=None, repr=False)  # pass one in to share its matrices
    # breakpoints of the channels' own curves, per (channel, year); None: centred on the status quo
    channel_breakpoints: dict[tuple[int, int], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.ev is None:
            self.ev = Evaluator(self.s)
        self.mech = self.ev.mech
        self.years = self.s.years
        self.T = len(self.years)
        fixed = self.s.rule("fixed_figures")
        # years already spent (a rolling re-plan): their figures are fixed facts, so rows about
        # those years alone are left out; rows linking them to later years (growth, smoothing) stay
        self.spent_years = frozenset(fixed.spent_years) if fixed is not None else frozenset()
        if self.channel_breakpoints is None:
            start = self.mech.flatten(start_allocation(self.s))
            self.channel_breakpoints = channel_grid(channel_coarse_grids(self.mech), start, self.mech)

    def risk_cost_row(self) -> np.ndarray:
        """Index points of risk per 万元 of each channel-year: the scenario's price × the discounted
        expected losses (zero without a ``risk_price``).  Index points objectives only; the
        least-budget question counts 万元 and leaves risk to the risk-appetite rule."""
        price = self.s.spec.risk_price
        if price is None or price.points_per_wan == 0:
            return np.zeros(self.mech.n)
        return price.points_per_wan * (self.s.discount @ self.mech.expected_losses)

    # ---- helpers used by rule builders
    def X(self, row_over_x: np.ndarray) -> np.ndarray:
        """Embed a row over the allocation columns into a row over all columns."""
        v = np.zeros(self.lp.n_cols)
        v[self.x_cols] = row_over_x
        return v

    def over_x(self, row_over_x: np.ndarray) -> OverX:
        """A row over the allocation columns, for :meth:`add`."""
        return OverX(np.asarray(row_over_x, dtype=float))

    def indicator_total(self, iid: str) -> np.ndarray:
        """Row giving the modelled (linearised) plan total of indicator ``iid``."""
        return self._indicator_rows[self.s.indicators.index(iid)].sum(axis=0)

    def add(self, name: str, vec: np.ndarray | OverX, lo: float = -np.inf, hi: float = np.inf, *,
            rule: str | None = None, year: int | None = None, key: str | None = None,
            param: float | None = None, sense: str = "<=", const: float = 0.0) -> None:
        """Add row ``lo ≤ vec · columns + const ≤ hi`` (``vec`` dense over all columns, or over the
        allocation columns: :meth:`over_x`); ``const`` is the part no decision moves (e.g. money due
        on awards made before the plan), so the LP row gets ``lo − const … hi − const``."""
        if self._spent(rule, year):
            return
        const = float(const)
        if isinstance(vec, OverX):
            idx = np.flatnonzero(vec.coefs)
            self.lp.add_sparse_row(name, self.x_cols[idx], vec.coefs[idx], lo - const, hi - const)
        else:
            self.lp.add_row(name, vec, lo - const, hi - const)
        self.rows.append(RowMeta(name, rule, year, key, param, sense))

    def _spent(self, rule: str | None, year: int | None) -> bool:
        """A rule's row about a year already spent (a rolling re-plan) is left out; fixed figures stay."""
        return rule is not None and rule != "fixed_figures" and year in self.spent_years

    def add_x_rows(self, rows: list[tuple]) -> None:
        """Rows over a few allocation columns each, given sparse, in order: each ``(name, pos, coefs,
        lo, hi, rule, year, key, param, sense)`` with ``pos`` the columns' positions in the allocation
        (``Mechanics.col``, ascending) and ``coefs`` theirs (zeros are left out).  Rules about single
        channel-years write hundreds of one- or two-entry rows: their arrays are made here in one go."""
        if self.spent_years:
            rows = [r for r in rows if not self._spent(r[5], r[6])]
        if not rows:
            return
        sizes = np.fromiter((len(r[1]) for r in rows), np.int64, len(rows))
        total = int(sizes.sum())
        pos = np.fromiter(itertools.chain.from_iterable(r[1] for r in rows), np.int64, total)
        val = np.fromiter(itertools.chain.from_iterable(r[2] for r in rows), float, total)
        nz = val != 0
        if not nz.all():
            sizes = np.bincount(np.repeat(np.arange(len(rows)), sizes)[nz], minlength=len(rows))
            pos, val = pos[nz], val[nz]
        self.lp.add_ragged_rows([r[0] for r in rows], sizes, self.x_cols[pos], val,
                                [r[3] for r in rows], [r[4] for r in rows])
        self.rows += [RowMeta(r[0], *r[5:]) for r in rows]

    def add_block(self, names: list[str], idx: np.ndarray, val: np.ndarray, lo, hi, metas: list[dict]) -> None:
        """Structural rows (no rule's), a block at a time: see :meth:`LinearProgram.add_sparse_rows`."""
        self.lp.add_sparse_rows(names, idx, val, lo, hi)
        self.rows += [RowMeta(name, None, **meta) for name, meta in zip(names, metas)]

    # ---- the build
    def build(self) -> "ModelBuilder":
        s, mech, T = self.s, self.mech, self.T
        I = len(s.indicators)
        names = [f"x_{c}_{m}_{y}" for c, m in s.channels for y in self.years]
        self.x_cols = self.lp.add_cols(names, 0.0, np.inf)
        # channels with their own capacity: useful money and the segments of their curve
        self.useful_cols: dict[int, np.ndarray] = {}
        self.ch_seg_cols: dict[tuple[int, int], np.ndarray] = {}
        self.res_cols = self.x_cols.copy()  # per channel-year: the column resources are made of
        for j in mech.curve_channels:
            c, m = s.channels[j]
            self.useful_cols[j] = self.lp.add_cols([f"useful_{c}_{m}_{y}" for y in self.years], 0.0, np.inf)
            self.res_cols[j * T:(j + 1) * T] = self.useful_cols[j]
        # segments (one block of columns each: a fixed number per cell, so moving breakpoints never
        # changes the structure)
        self.ch_seg_cols.update(self._segment_block(
            "absorb", [(j, t) for j in mech.curve_channels for t in range(T)], self.channel_breakpoints,
            lambda j, t: f"{s.channels[j][0]}_{s.channels[j][1]}_{self.years[t]}"))
        self.seg_cols: dict[tuple[int, int], np.ndarray] = self._segment_block(
            "seg", [(c, t) for c in range(len(s.categories)) for t in range(T)], self.breakpoints,
            lambda c, t: f"{s.categories[c]}_{self.years[t]}")
        # deviation from the status quo, per channel-year (for the tie-break only)
        dev_names = [f"dev_{c}_{m}_{y}" for c, m in s.channels for y in self.years]
        self.dev_cols = self.lp.add_cols(dev_names, 0.0, np.inf)
        for rid in s.enabled_rules:
            if RULES[rid].columns is not None:
                RULES[rid].columns(self, s.rule(rid))
        if self.objective == "cvar":
            self._cvar_add_columns()
        n = self.lp.n_cols
        self.lp.freeze_cols()
        # modelled indicator output rows: I × T × n (segment part set by _set_segments)
        self._indicator_rows = np.zeros((I, T, n))
        self._set_segments(self.breakpoints)
        self._set_channel_segments(self.channel_breakpoints)
        # objective
        obj = np.zeros(n)
        if self.objective == "max-performance":
            obj = np.einsum("it,itn->n", self.ev.index_coef, self._indicator_rows)
            maximize = True
        elif self.objective == "min-budget":
            obj[self.x_cols] = mech.budget.sum(axis=0)
            # a reward far below a 万元 of budget (a tenth of the tie-break) for useful money, so
            # the channel segments fill in order (u = the curve of x, not less)
            for cols in self.useful_cols.values():
                obj[cols] = -0.1 * TIE_BREAK["min-budget"]
            maximize = False
        elif self.objective == "cvar":
            obj = self._cvar_rows()
            maximize = True
        else:
            raise BudgetsimError(f"unknown objective {self.objective!r}; allowed: {', '.join(OBJECTIVES)}")
        if maximize:  # expected fiscal losses at the bureau's price come off the objective
            obj[self.x_cols] -= self.risk_cost_row()
        # slightly different weights per channel-year, so that no two plans tie exactly (equal
        # total deviation, e.g. fund commitments moved between years with the same effect):
        # the optimum is then unique, and the same whichever basis HiGHS starts from
        k = np.arange(len(self.dev_cols))
        weights = TIE_BREAK[self.objective] * (1.0 + 0.1 * k / max(len(k), 1))
        obj[self.dev_cols] = -weights if maximize else weights
        self.lp.set_objective(obj, maximize)
        # channel rows: money = Σ its segments, useful money = Σ chord slope × segment (written
        # sparse, a block at a time: these structural rows are half the model's rows)
        cells = [(j, t) for j in mech.curve_channels for t in range(T)]
        self._useful_rows: dict[tuple[int, int], int] = {}
        if cells:
            segs = np.stack([self.ch_seg_cols[cell] for cell in cells])
            ones = np.ones((len(cells), 1))
            labels = [(f"{s.channels[j][0]}_{s.channels[j][1]}_{self.years[t]}", f"{s.channels[j][0]}.{s.channels[j][1]}",
                       self.years[t]) for j, t in cells]
            x_of = self.x_cols[[mech.col(j, t) for j, t in cells]][:, None]
            u_of = np.array([self.useful_cols[j][t] for j, t in cells])[:, None]
            self.add_block([f"channel_money_{lab}" for lab, _, _ in labels], np.hstack([x_of, segs]),
                           np.hstack([ones, -np.ones(segs.shape)]), 0.0, 0.0,
                           [dict(key=k, year=y, sense="=") for _, k, y in labels])
            self._useful_rows = {cell: len(self.rows) + k for k, cell in enumerate(cells)}
            self.add_block([f"channel_useful_{lab}" for lab, _, _ in labels], np.hstack([u_of, segs]),
                           np.hstack([ones, -np.stack([self.ch_slopes[cell] for cell in cells])]), 0.0, 0.0,
                           [dict(key=k, year=y, sense="=") for _, k, y in labels])
        # link rows: Σ segments = effective resources (made of channels' useful money, plus what
        # money decided before the plan still delivers: it fills the first segments)
        for c, cid in enumerate(s.categories):
            for t, y in enumerate(self.years):
                vec = np.zeros(n)
                vec[self.res_cols] = -mech.effective[c * T + t]
                vec[self.seg_cols[(c, t)]] = 1.0
                off = float(mech.resource_offset[c * T + t])
                self.add(f"effective_resources_{cid}_{y}", vec, lo=off, hi=off, sense="=")
        # tie-break rows: dev ≥ x − status quo and dev ≥ status quo − x (x columns come first)
        sq = mech.flatten(s.status_quo_allocation)
        pairs = np.stack([self.x_cols, self.dev_cols], axis=1)
        k = len(dev_names)
        names = [f"tie_break_{side}_{name[4:]}" for name in dev_names for side in ("above", "below")]
        self.add_block(names, np.repeat(pairs, 2, axis=0), np.tile([[-1.0, 1.0], [1.0, 1.0]], (k, 1)),
                       np.stack([-sq, sq], axis=1).ravel(), np.inf, [{}] * (2 * k))
        for rid in s.enabled_rules:
            RULES[rid].build(self, s.rule(rid))
        self._target_rows = {r.key: i for i, r in enumerate(self.rows) if r.rule == "indicator_targets"}
        return self

    def _segment_block(self, prefix: str, cells: list[tuple[int, int]], bps: dict, label) -> dict:
        """Columns for the segments of every cell's grid, added as one block (bounds 0…1 until the
        breakpoints set them); {cell: its columns}."""
        sizes = tuple(len(bps[cell]) - 1 for cell in cells)
        cols = self.lp.add_cols(_segment_names(prefix, tuple(label(*cell) for cell in cells), sizes), 0.0, 1.0)
        ends = np.cumsum(sizes)
        return {cell: cols[e - k:e] for cell, k, e in zip(cells, sizes, ends)}

    def _set_segments(self, bps: dict[tuple[int, int], np.ndarray]) -> None:
        """Segment widths (column bounds) and chord slopes (indicator rows) for breakpoints ``bps``.

        Vectorised per category over all years (every grid has the same length)."""
        s = self.s
        curves = self.ev.curves
        self.breakpoints = bps
        self.seg_slopes: dict[tuple[int, int], np.ndarray] = {}
        ub = self.lp.ub
        T, I = self.T, len(s.indicators)
        rows = np.arange(T)[:, None]
        for c, cid in enumerate(s.categories):
            bp = np.stack([bps[(c, t)] for t in range(T)])  # T × (K + 1)
            cols = np.stack([self.seg_cols[(c, t)] for t in range(T)])  # T × K
            widths = np.diff(bp, axis=1)
            ub[cols] = widths
            slopes = np.zeros((I, T, widths.shape[1]))
            for iid in s.spec.categories[cid].response:
                i = s.indicators.index(iid)
                slopes[i] = np.diff(curves[(cid, iid)].value(bp), axis=1) / widths
                self._indicator_rows[i][rows, cols] = slopes[i]
            for t in range(T):
                self.seg_slopes[(c, t)] = slopes[:, t, :]

    def _set_channel_segments(self, bps: dict[tuple[int, int], np.ndarray]) -> None:
        """Channel-curve segment widths (column bounds) and chord slopes (useful-money rows), all
        channel-years at once."""
        self.channel_breakpoints = bps
        self.ch_slopes: dict[tuple[int, int], np.ndarray] = {}
        if not self.ch_seg_cols:
            return
        cells = list(self.ch_seg_cols)
        bp = np.stack([bps[cell] for cell in cells])
        widths = np.diff(bp, axis=1)
        curves = self.mech.channel_curve(np.array([j for j, _ in cells]))
        slopes = np.diff(curves.value(bp), axis=1) / widths
        cols = np.stack([self.ch_seg_cols[cell] for cell in cells])
        self.lp.ub[cols] = widths
        self.ch_slopes.update(zip(cells, slopes))
        rows = getattr(self, "_useful_rows", None)
        if rows:  # each row is [useful money: 1, its segments: −slope]
            self.lp.set_rows_values([rows[cell] for cell in cells],
                                    np.hstack([np.ones((len(cells), 1)), -slopes]))

    @property
    def segment_columns(self) -> np.ndarray:
        return np.concatenate(list(self.seg_cols.values()) + list(self.ch_seg_cols.values()))

    def move_breakpoints(self, bps: dict[tuple[int, int], np.ndarray],
                         channel_bps: dict[tuple[int, int], np.ndarray] | None = None) -> None:
        """Re-place breakpoints (same count per category-year and channel-year): only numbers
        change — segment bounds, their objective costs and their coefficients in target rows
        and in the channels' useful-money rows."""
        self._set_segments(bps)
        if channel_bps is not None:
            self._set_channel_segments(channel_bps)
        seg = np.concatenate(list(self.seg_cols.values()))
        if self.objective == "max-performance":
            self.lp.obj[seg] = np.einsum("it,itn->n", self.ev.index_coef, self._indicator_rows[:, :, seg])
        for iid, r in self._target_rows.items():
            vec = self.lp.row(r)
            vec[seg] = self.indicator_total(iid)[seg]
            self.lp.set_row(r, vec)
        if self.objective == "cvar":
            for (c, i), r in self._points_rows.items():
                vec = self.lp.row(r)
                for t in range(self.T):
                    vec[self.seg_cols[(c, t)]] = -self.ev.index_coef[i, t] * self.seg_slopes[(c, t)][i]
                self.lp.set_row(r, vec)

    def _cvar_add_columns(self) -> None:
        """CVaR columns: one per (category, indicator) curve holding its index points (so each
        sample's row has one entry per curve, not per segment: S = 2,000 stays small), the
        VaR level η and one shortfall u_s per sample."""
        s, R = self.s, self.risk
        if R is None:
            raise BudgetsimError("objective cvar needs sampled multipliers (RiskSpec); use budgetsim.solve(..., "
                                 "objective='cvar')")
        pairs = [(c, s.indicators.index(iid)) for c, cid in enumerate(s.categories)
                 for iid in s.spec.categories[cid].response]
        # index points and performance are never negative (positive slopes, multipliers ≥ 0), so
        # y ≥ 0 and η ≥ 0 lose nothing and keep every column bounded below (PuLP/CBC need that)
        y_cols = self.lp.add_cols([f"points_{s.categories[c]}_{s.indicators[i]}" for c, i in pairs], 0.0, np.inf)
        eta = self.lp.add_cols(["cvar_var_level"], 0.0, np.inf)[0]
        u_cols = self.lp.add_cols([f"cvar_shortfall_{d}" for d in range(R.mult.shape[2])], 0.0, np.inf)
        self.cvar_cols = (pairs, y_cols, eta, u_cols)

    def _cvar_rows(self) -> np.ndarray:
        """Rows defining the per-curve points and each sample's shortfall; the objective."""
        s, T, R = self.s, self.T, self.risk
        pairs, y_cols, eta, u_cols = self.cvar_cols
        S = R.mult.shape[2]
        n = self.lp.n_cols
        coef = self.ev.index_coef
        self._points_rows: dict[tuple[int, int], int] = {}
        for k, (c, i) in enumerate(pairs):
            self._points_rows[(c, i)] = len(self.rows)
            vec = np.zeros(n)
            for t in range(T):
                vec[self.seg_cols[(c, t)]] = -coef[i, t] * self.seg_slopes[(c, t)][i]
            vec[y_cols[k]] = 1.0
            self.add(f"index_points_{s.categories[c]}_{s.indicators[i]}", vec, lo=0.0, hi=0.0, sense="=")
        m = np.array([R.mult[c, i] for c, i in pairs])  # pairs × S
        for d in range(S):
            vec = np.zeros(n)
            vec[y_cols] = m[:, d]
            vec[eta] = -1.0
            vec[u_cols[d]] = 1.0
            self.add(f"cvar_shortfall_def_{d}", vec, lo=0.0, sense=">=")
        obj = np.zeros(n)
        obj[y_cols] = (1 - R.weight) * m.mean(axis=1)
        obj[eta] = R.weight
        obj[u_cols] = -R.weight / (R.alpha * S)
        return obj

    # ---- reading a solution
    def allocation(self, sol: LPSolution) -> np.ndarray:
        x = np.maximum(sol.x[self.x_cols], 0.0)
        x[x < 1e-7] = 0.0
        return x

    def modelled_indicators(self, sol: LPSolution) -> np.ndarray:
        return self._indicator_rows @ sol.x


@functools.lru_cache(maxsize=64)
def _segment_names(prefix: str, labels: tuple[str, ...], sizes: tuple[int, ...]) -> list[str]:
    """Column names of segment blocks (the same for every scenario of a structure: made once)."""
    return [f"{prefix}_{label}_{i}" for label, k in zip(labels, sizes) for i in range(k)]


@dataclass
class SolveRun:
    """Everything the last solve of :func:`optimise` produced."""

    builder: ModelBuilder
    solution: LPSolution
    x: np.ndarray | None
    build_seconds: float  # everything outside the solver: model build, hand-over, evaluation, refinement
    solve_seconds: float  # time inside HiGHS/CBC runs, summed over passes
    passes: int
    gap: float
    final: FinalGrid | None = None  # where it settled (HiGHS, continuous): a derived scenario starts there

    @property
    def total_seconds(self) -> float:
        return self.build_seconds + self.solve_seconds


def _gap(builder: ModelBuilder, sol: LPSolution, x: np.ndarray, ev=None) -> float:
    """How far the linearised objective (or targeted indicators) is from the true one at plan ``x``
    (``ev``: its evaluation on the true curves, when made already)."""
    ev = ev if ev is not None else builder.ev.evaluate(x)
    if builder.objective == "max-performance":
        true = ev.performance
        lin = float(np.einsum("it,itn,n->", builder.ev.index_coef, builder._indicator_rows, sol.x))
        return float(abs(true - lin) / max(abs(true), 1e-9))
    lin_ind = builder.modelled_indicators(sol).sum(axis=1)
    true_ind = ev.indicators.sum(axis=1)
    rel = np.abs(true_ind - lin_ind) / np.maximum(np.abs(true_ind), 1e-9)
    if builder.objective == "min-budget":
        # only the targeted indicators steer this LP: nothing makes it fill the segments of an
        # untargeted one in order, so its linear reading says nothing (its true value is reported)
        rel = rel[[builder.s.indicators.index(iid) for iid in builder._target_rows]]
    return float(rel.max()) if rel.size else 0.0


def coarse_grids(s: Scenario, mech: Mechanics, ratio: float = INITIAL_RATIO) -> dict[tuple[int, int], np.ndarray]:
    """The coarse geometric breakpoint grid of every category-year (before any fine zone)."""
    T = len(s.years)
    grids = coarse_grid_matrix(mech.effective_max(), ratio)
    return {(c, t): grids[c * T + t] for c in range(len(s.categories)) for t in range(T)}


def start_allocation(s: Scenario) -> np.ndarray:
    """Where the first grid's fine zones go: the status quo, with fixed figures put in (an exact figure
    replaces its channel-year, a floor or a cap clips it), so that a fixed plan sits on breakpoints."""
    x = s.status_quo_allocation.copy()
    fixed = s.rule("fixed_figures")
    for f in (fixed.figures if fixed is not None else []):
        j = s.channels.index((f.category, f.mode))
        for y in ([f.year] if f.year is not None else s.years):
            t = s.years.index(y)
            if f.amount_wan is not None:
                x[j, t] = f.amount_wan
            else:
                x[j, t] = min(max(x[j, t], f.min_wan or 0.0), f.max_wan if f.max_wan is not None else np.inf)
    return x


CHANNEL_RATIO = 2.0  # channel curves' coarse grid: each breakpoint twice the last (the fine zone does the work)


def channel_coarse_grids(mech: Mechanics, ratio: float = CHANNEL_RATIO) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The coarse grids of the curve channel-years (cells, one grid per row), from 0 to far beyond
    anything the budget allows (the last breakpoint caps the channel, so it must never bind):
    three times the year's envelope (divided by a fund's first pay-in share) or 20 capacities."""
    xmax = mech.channel_max()
    cells, tops = [], []
    for j in mech.curve_channels:
        m = mech.scenario.mode(mech.scenario.channels[j][1])
        stretch = 3.0 / (m.fund.pay_in[0] if m.fund is not None and m.fund.pay_in[0] > 0 else 1.0)
        for t in range(mech.T):
            cells.append((j, t))
            tops.append(max(stretch * xmax[mech.col(j, t)], 20.0 * mech.capacity[j]))
    return cells, coarse_grid_matrix(np.array(tops), ratio, floor_share=1e-4) if cells else np.zeros((0, 2))


def channel_grid(coarse: tuple[list[tuple[int, int]], np.ndarray], x: np.ndarray,
                 mech: Mechanics) -> dict[tuple[int, int], np.ndarray]:
    """Channel grids with their fine zone centred on flat allocation ``x``."""
    cells, grids = coarse
    if not cells:
        return {}
    centers = fine_center(x[[mech.col(j, t) for j, t in cells]], grids[:, -1] * 1e-2)
    return dict(zip(cells, zoned_grid_matrix(grids, centers)))


def _scenario_key(s: Scenario, objective: str, risk: RiskSpec | None) -> str:
    # Scenario.fingerprint: the same content written in another key order gets another key, which
    # only costs the shortcut (the passes find the same final LP)
    h = hashlib.sha1(s.fingerprint)
    if s.origin is not None:  # where its solve starts is part of what it gives
        h.update(s.origin.fingerprint)
    h.update(objective.encode())
    if risk is not None:
        h.update(np.ascontiguousarray(risk.mult).tobytes())
        h.update(f"{risk.alpha}/{risk.weight}".encode())
    return h.hexdigest()


def _settle_ties(builder: ModelBuilder, session, sol: LPSolution, time_left: float) -> LPSolution:
    """The final plan made unique among the plans of equal performance.

    Plans often tie: moving money between two categories' modes can leave every category's
    effective resources — hence every indicator and the index — exactly where they were.  The
    tie-break's tiny price on deviations from the status quo (``TIE_BREAK``) sits below HiGHS's
    tolerances, so which of the tied plans a run returns depends on the basis it started from,
    i.e. on what was solved before.  Here the curves' segments are fixed at the optimum (the
    effective resources, unique, stay put) and the deviation alone is minimised, with its
    channel-year weights now far above the tolerances: one plan, whatever the start.  The
    duals and the objective stay those of the optimum (this plan is optimal there too)."""
    lp, seg = builder.lp, builder.segment_columns
    lb, ub, obj = lp.lb[seg].copy(), lp.ub[seg].copy(), lp.obj.copy()
    try:
        lp.lb[seg] = lp.ub[seg] = np.clip(sol.x[seg], lb, ub)
        lp.obj = np.zeros(lp.n_cols)
        lp.obj[builder.dev_cols] = obj[builder.dev_cols] / TIE_BREAK[builder.objective]
        session.load(lp, cols=np.arange(lp.n_cols), rows=[])
        tied = session.run(False, time_left)
    finally:
        lp.lb[seg], lp.ub[seg], lp.obj = lb, ub, obj
    if not tied.ok:  # pragma: no cover - the optimum itself is feasible here
        return sol
    return dataclasses.replace(sol, x=tied.x, row_activity=tied.row_activity,
                               solve_seconds=sol.solve_seconds + tied.solve_seconds)


def _ratio(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new / old element by element, 1 where ``old`` is zero."""
    return np.divide(new, old, out=np.ones_like(new, dtype=float), where=old > 0)


_UNSETTLED: "collections.OrderedDict[str, None]" = collections.OrderedDict()  # origins that left no final grid
_UNSETTLED_LOCK = threading.Lock()


def _origin_final(origin: Scenario, objective: str, risk: RiskSpec | None, time_limit: float,
                  reuse: bool) -> tuple[tuple, FinalGrid] | None:
    """The final grid of the scenario a scenario was derived from, with its model's structure key
    (solved now if no session remembers it), or None if it did not settle (impossible, out of time,
    an integer plan): then its derived scenarios start from the status quo, without asking again."""
    key = _scenario_key(origin, objective, risk)
    found = recall_anywhere(key) if reuse else None
    if found is None and key not in _UNSETTLED:
        run = optimise(origin, objective, time_limit=time_limit, risk=risk, reuse=reuse)
        found = (structure_key(run.builder.lp), run.final) if run.final is not None else None
        if found is None and run.solution.status != "time_limit":  # (out of time may settle another time)
            with _UNSETTLED_LOCK:
                _UNSETTLED[key] = None
                while len(_UNSETTLED) > 1024:
                    _UNSETTLED.popitem(last=False)
    return found


def optimise(s: Scenario, objective: str = "max-performance", solver: str = "highs",
             gap_target: float = GAP_TARGET, max_passes: int = 12, time_limit: float | None = None,
             initial_ratio: float = INITIAL_RATIO, trace: list | None = None, reuse: bool = True,
             risk: RiskSpec | None = None) -> SolveRun:
    """Build and solve, moving a fine zone of breakpoints onto the optimum until it settles.

    Each category-year's grid is a coarse geometric grid plus a fine zone (±0.5 %…+25 %)
    centred on the current optimum (at first: the status quo's resources).  After each pass the zone moves to the new optimum;
    the plan is final when every category-year's optimum stayed within ±1 % of its zone's centre
    and every channel-year's within ±2 % (so the allocation itself is resolved to about 0.5 % per
    category and 1 % per channel, not only the flat performance value)
    and the true-vs-linear gap is below ``gap_target``.  Moving a zone changes numbers,
    not structure, so with HiGHS all passes — and later scenarios of the same structure
    (``reuse``) — run warm in one solver instance (:mod:`budgetsim.compiled`).
    ``trace``, if given, collects a copy of the linear program of every pass.  ``time_limit``
    (seconds, default :data:`~budgetsim.model.lp.DEFAULT_TIME_LIMIT`) bounds all passes
    together: when it runs out the run ends with status ``time_limit`` and no plan."""
    if objective not in OBJECTIVES:
        raise BudgetsimError(f"unknown objective {objective!r}; allowed: {', '.join(OBJECTIVES)}")
    if solver not in SOLVERS:
        raise BudgetsimError(f"unknown solver {solver!r}; allowed: {', '.join(SOLVERS)}")
    if objective == "min-budget" and s.rule("indicator_targets") is None:
        raise BudgetsimError("objective min-budget needs targets: enable rules.indicator_targets "
                             "with at least one target")
    t_start = time.perf_counter()
    limit = time_limit_or_default(time_limit)
    solve_s = 0.0
    ev = Evaluator(s)  # one set of mechanics matrices for the whole solve (builder and result share it)
    mech = ev.mech
    e_max = mech.effective_max()
    T = len(s.years)
    coarse = coarse_grid_matrix(e_max, initial_ratio)
    cells = [(c, t) for c in range(len(s.categories)) for t in range(T)]

    def grid(centers: np.ndarray) -> dict:
        return dict(zip(cells, zoned_grid_matrix(coarse, centers)))

    # Where a scenario starts depends on the scenario alone, never on what else was solved before:
    # the status quo's resources, from scratch (the whole model handed to HiGHS); or, for a scenario
    # derived from another by with_changes (a lever move, a sweep point), that origin's final zones
    # and basis (the origin is solved first if no session remembers it).  Later passes run warm from
    # the pass before, all under the session's lock; the final plan is made unique by
    # :func:`_settle_ties`.  So a scenario gets the same plan whether it is solved first or after a
    # thousand others, on one worker or many.  The one shortcut: a scenario solved before in this
    # session gets its own final solution back.
    ch_coarse = channel_coarse_grids(mech)
    ch_idx = np.array([mech.col(j, t) for j in mech.curve_channels for t in range(T)], dtype=int)

    def ch_grid(cc: np.ndarray) -> dict:
        xx = np.zeros(mech.n)
        xx[ch_idx] = cc
        return channel_grid(ch_coarse, xx, mech)

    x_start = mech.flatten(start_allocation(s))
    start_resources, start_channels = mech.resources(x_start), x_start[ch_idx]
    centers, ch_centers = fine_center(start_resources, e_max), start_channels
    # a scenario derived from another (with_changes) starts where that one ended: its zones, moved
    # as far as the two start allocations differ (a bigger budget scales them up), and its basis
    origin = _origin_final(s.origin, objective, risk, limit, reuse) if solver == "highs" and s.origin else None
    if origin is not None and (origin[1].basis is None or origin[1].centers.shape != centers.shape
                               or origin[1].channel_centers.shape != ch_centers.shape):
        origin = None  # an integer plan (no basis), or other categories, years or channels
    if origin is not None:
        centers = fine_center(origin[1].centers * _ratio(start_resources, origin[1].start_resources), e_max)
        ch_centers = origin[1].channel_centers * _ratio(start_channels, origin[1].start_channels)
    builder = ModelBuilder(s, objective, grid(centers), risk, ev=ev, channel_breakpoints=ch_grid(ch_centers)).build()
    session = session_for(builder.lp, reuse) if solver == "highs" else None
    key = _scenario_key(s, objective, risk) if session is not None else None
    remembered = session.recall_grid(key) if session is not None else None

    def done(sol, x, passes, gap, final=None) -> SolveRun:
        total = time.perf_counter() - t_start
        return SolveRun(builder, sol, x, total - solve_s, solve_s, passes, gap, final)

    if remembered is not None and limit - (time.perf_counter() - t_start) > 0:
        builder.move_breakpoints(grid(remembered.centers), ch_grid(remembered.channel_centers))
        builder.lp.check_finite()  # the same guard as a solve, though HiGHS is not asked again
        x = builder.allocation(remembered.solution)
        return done(remembered.solution, x, 1, _gap(builder, remembered.solution, x), remembered)
    start_basis = None
    if origin is not None and origin[0] == session.key and not builder.lp.is_mip:
        start_basis = origin[1].basis
    elif origin is not None:  # another structure (a rule switched on, say): the status quo's zones, from scratch
        centers, ch_centers = fine_center(start_resources, e_max), start_channels
        builder.move_breakpoints(grid(centers), ch_grid(ch_centers))
    # the limit is this request's own: time spent waiting for other users' solves on this structure
    # (the session's lock) does not count, so a queue of other users never runs a request out of time
    queued = time.perf_counter()
    with session.lock if session is not None else contextlib.nullcontext():
        waited = time.perf_counter() - queued
        for passes in range(1, max_passes + 1):
            if trace is not None:
                trace.append(copy.deepcopy(builder.lp))
            left = limit - (time.perf_counter() - t_start - waited)
            if left <= 0:
                return done(LPSolution("time_limit", message=f"time limit of {limit:g} s reached after "
                                       f"{passes - 1} pass(es)"), None, passes - 1, float("nan"))
            if session is not None:
                # every pass hands HiGHS the whole program (one call on its arrays: cheaper than
                # pushing the ~1,000 numbers a zone move changes one by one) and where to start: the
                # pass before's basis; for the first, the origin's, or none (from scratch)
                if passes > 1:
                    start_basis = None if builder.lp.is_mip else session.h.getBasis()
                elif start_basis is not None:
                    COUNTERS.origin_starts += 1
                session.load(builder.lp, whole=True, basis=start_basis)
                sol = session.run(builder.lp.is_mip, left, duals=False)  # the final pass's are read below
            else:
                sol = builder.lp.solve(solver, time_limit=left)
            solve_s += sol.solve_seconds
            if not sol.ok:
                return done(sol, None, passes, float("nan"))
            x = builder.allocation(sol)
            true = builder.ev.evaluate(x)
            gap = _gap(builder, sol, x, true)
            e_star = fine_center(true.effective.ravel(), e_max)
            x_star = x[ch_idx]
            # a category-year within ±1 % of its zone's centre (0.5 % segments there), a channel-year
            # within ±2 % (1 % segments there: its money is resolved to 1 %, its useful money far finer)
            settled = bool(np.all(np.abs(e_star - centers) <= 0.01 * centers + 1e-6 * e_max)
                           and np.all(np.abs(x_star - ch_centers) <= 0.02 * ch_centers + 1.0))
            if (settled and gap <= gap_target) or passes == max_passes:
                basis = None
                if session is not None and not builder.lp.is_mip:
                    basis = session.h.getBasis()
                    if sol.row_dual is None:
                        row_dual, col_dual = read_highs_duals(session.h)
                        sol = dataclasses.replace(sol, row_dual=row_dual, col_dual=col_dual)
                if session is not None and objective == "max-performance" and not builder.lp.is_mip:
                    unique = _settle_ties(builder, session, sol, limit - (time.perf_counter() - t_start - waited))
                    solve_s += unique.solve_seconds - sol.solve_seconds
                    sol, x = unique, builder.allocation(unique)
                final = None
                if session is not None and settled:
                    final = FinalGrid(centers, ch_centers, sol, basis, start_resources, start_channels)
                    session.remember_grid(key, final)
                return done(sol, x, passes, gap, final)
            centers, ch_centers = e_star, x_star
            builder.move_breakpoints(grid(centers), ch_grid(ch_centers))
    raise AssertionError("unreachable")  # pragma: no cover
