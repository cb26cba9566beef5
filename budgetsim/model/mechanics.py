"""Support-mode mechanics: how a fiscal 万元 in a channel moves money and resources.

Everything here is linear in the allocation, so each quantity is a matrix over the
flattened decision vector ``x`` (channel-major: ``x[j * T + t]`` is channel ``j`` in
year ``t``).  The optimiser builds its rows from these matrices and the evaluator
multiplies them with allocations (one plan or a batch of draws) — one source of truth.
Each channel's effect is a T × T *kernel* (year of money → year of effect) built from its
mode's parameters by :func:`effective_kernel`; with parameters given as arrays of draws
the same function gives T × T × D kernels for the Monte Carlo evaluator.

Per mode kind:

* grants (institutional, competitive, post-subsidy, guidance fund): a fiscal 万元 yields
  ``fiscal_effectiveness`` of its own plus ``leverage`` 万元 of external money counted at
  ``external_effectiveness``.  The decision is the *award*: the budget pays it by the channel's
  payout schedule (``payout`` on the channel or its mode; a fund's ``pay_in``; otherwise all in
  the award year), and each payment works where it is paid.  Results arrive ``lag_years``
  after the payment (a delay, not a discount: the index discounts later years at the plan's
  rate); results that arrive after the plan's last year are added to that year at
  ``plan.results_after_plan`` × the discount for the extra years (0: not counted).
  Money paid before the plan (the status-quo year's level in the years before it) and awards
  made before it (``prior_awards``, 续拨) give the plan's early years results of their own
  (:attr:`Mechanics.resource_offset`); 续拨 also takes budget (:meth:`Mechanics.prior_sum`).
  A ``post_subsidy:`` block derives the leverage from the subsidy and success rates
  (:class:`~budgetsim.schema.PostSubsidyTerms`): the budget pays only for verified successes.
* guidance fund with a ``fund:`` block: the decision is the *commitment*; the budget is
  charged the pay-ins (``pay_in`` shares of the commitment in that year and the next ones),
  private capital comes in at ``leverage`` per paid-in fiscal 万元, management fees
  (``management_fee`` × the number of pay-in years, a simplification) come off the invested
  money, ``write_off_rate`` of it is expected to be lost, and the rest comes back
  ``return_multiple`` times ``return_after_years`` after it was invested (mostly beyond the
  plan), valued today at ``return_discount``.  Commitments late in the plan leave pay-ins
  owed after it (reported as unpaid commitments).
* risk pool: allocations top up a pool that carries over; banks lend ``leverage`` × the
  pool's available balance; the pool pays ``loss_share`` of losses (``npl_rate`` ×
  (1 − ``recovery_rate``)) each year; the contingent liability is loans × loss share.
* tax incentive: forgone revenue, off the S&T budget; counted in its own row.

Each channel may also have its own absorptive capacity (``channels:`` in the scenario,
:class:`~budgetsim.scenario.schema.ChannelSpec`): of ``x`` 万元 decided in a year, only the
*useful money* u = cap · (1 − exp(−x / cap)) turns into effective resources (the kernels act
on u, :meth:`Mechanics.useful`), while cash, loans, private money and losses follow ``x``
itself — money beyond what a channel can place still costs and still carries risk.  The
category's response curve then acts on the sum of what its channels deliver; both levels are
concave, so the optimiser stays an exact LP with refined breakpoints.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .continuity import base_year_decisions
from .curves import SaturatingExp
from ..scenario.loading import Scenario, content_digest
from ..scenario.schema import Mode


def mode_params(m: Mode, over: dict | None = None) -> dict:
    """A mode's mechanics parameters by dotted name, with ``over`` (floats or arrays of draws) applied.

    A post-subsidy's leverage is re-derived when its subsidy or success rate is overridden."""
    p: dict = {"fiscal_effectiveness": m.fiscal_effectiveness, "leverage": m.leverage,
               "external_effectiveness": m.external_effectiveness}
    for block in ("pool", "fund", "post_subsidy"):
        terms = getattr(m, block)
        if terms is not None:
            for k in type(terms).model_fields:
                if k != "source":
                    p[f"{block}.{k}"] = getattr(terms, k)
    if over:
        p.update(over)
        if m.post_subsidy is not None and ("post_subsidy.subsidy_rate" in over or "post_subsidy.success_rate" in over):
            p["leverage"] = 1.0 / (np.asarray(p["post_subsidy.subsidy_rate"]) * p["post_subsidy.success_rate"]) - 1.0
    return p


def _scale(k: np.ndarray, f) -> np.ndarray:
    """Kernel ``k`` (T × T or T × T × D) times factor ``f`` (a number or D draws)."""
    f = np.asarray(f, dtype=float)
    if f.ndim == 0:
        return k * float(f)
    return (k if k.ndim == 3 else k[:, :, None]) * f


def pay_in_kernel(pay_in: list[float], T: int) -> np.ndarray:
    """T × T: cash paid in year t per 万元 committed in year s (by the schedule ``pay_in``)."""
    k = np.zeros((T, T))
    for s in range(T):
        for lag, share in enumerate(pay_in):
            if s + lag < T:
                k[s + lag, s] = share
    return k


def pool_kernel(q, T: int) -> np.ndarray:
    """T × T (× D): pool balance available in year t per 万元 put in in year s (draws ``q`` a year)."""
    q = np.asarray(q, dtype=float)
    age = np.subtract.outer(np.arange(T), np.arange(T))
    mask = age >= 0
    if q.ndim == 0:
        return np.where(mask, (1 - float(q)) ** np.maximum(age, 0), 0.0)
    return np.where(mask[:, :, None], (1 - q)[None, None, :] ** np.maximum(age, 0)[:, :, None], 0.0)


def pool_draw_rate(p: dict):
    """Share of a pool's available balance drawn for loan losses in a year (at most all of it:
    validation keeps the base value below 1; extreme draws are capped)."""
    return np.minimum(p["leverage"] * p["pool.npl_rate"] * (1 - p["pool.recovery_rate"]) * p["pool.loss_share"], 1.0)


def result_kernel(schedule: list[float], lag: int, T: int, after_weight: float, discount_rate: float
                  ) -> np.ndarray:
    """T × T: results in plan year t per 万元 decided in year s, paid by ``schedule`` and working
    ``lag`` years after each payment.  Results after the last plan year are added to it at
    ``after_weight`` × (1 + rate)^−(years beyond it)."""
    k = np.zeros((T, T))
    for s in range(T):
        for i, share in enumerate(schedule):
            e = s + i + lag
            if e < T:
                k[e, s] += share
            else:
                k[T - 1, s] += share * after_weight * (1 + discount_rate) ** -(e - T + 1)
    return k


def effective_kernel(m: Mode, p: dict, T: int, schedule: list[float], after_weight: float,
                     discount_rate: float) -> np.ndarray:
    """T × T (× D): effective resources in year t per 万元 of the channel's decision in year s."""
    if m.kind == "risk_pool":  # the balance lends within the plan; what is left is the next plan's
        delay = np.eye(T, k=-m.lag_years)
        return _scale(delay @ pool_kernel(pool_draw_rate(p), T), p["leverage"] * p["external_effectiveness"])
    return _scale(result_kernel(schedule, m.lag_years, T, after_weight, discount_rate), per_paid_wan(m, p))


def per_paid_wan(m: Mode, p: dict):
    """Effective resources per fiscal 万元 paid (a number, or D draws); not for risk pools."""
    per = np.asarray(p["fiscal_effectiveness"]) + np.asarray(p["leverage"]) * p["external_effectiveness"]
    if m.fund is not None:
        per = per * (1 - np.asarray(p["fund.management_fee"]) * len(m.fund.pay_in))
    return per


# The sections of a scenario file the mechanics are made of, and nothing else: the budget, the rules,
# the indicators and the curves' weights are not read by any cached matrix below (the budget only by
# :meth:`Mechanics.channel_max`, computed on each call).  Validation checks each section on its own,
# so equal sections here are equal parts of the validated scenario.
MECHANICS_SECTIONS = ("plan", "dimensions", "categories", "modes", "eligibility", "status_quo", "channels",
                      "prior_awards")
_SHARED: "OrderedDict[bytes, dict]" = OrderedDict()  # key of those sections → the matrices made for them
_SHARED_LOCK = threading.Lock()
MAX_SHARED = 64


def mechanics_key(s: Scenario) -> bytes:
    """A digest of the sections the mechanics are made of (their content as written)."""
    return content_digest([s.raw.get(k) for k in MECHANICS_SECTIONS])


def _read_only(value):
    """``value`` with its arrays (and those in a dict or list of them) made read-only: shared below."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, dict):
        for v in value.values():
            _read_only(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _read_only(v)
    return value


class _shared:
    """A cached property of :class:`Mechanics` made once for every Mechanics of equal
    :data:`MECHANICS_SECTIONS` (read-only, since it is shared)."""

    def __init__(self, func) -> None:
        self.func, self.__doc__ = func, func.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        store = obj._store
        try:
            value = store[self.name]
        except KeyError:  # (two threads may both make it: the first one kept is everyone's)
            value = store.setdefault(self.name, _read_only(self.func(obj)))
        obj.__dict__[self.name] = value  # the instance's own copy of the reference: found first next time
        return value


@dataclass(frozen=True, eq=False)
class Mechanics:
    """The money and results mechanics of a scenario: every matrix from decisions to cash, external
    money, losses and effective resources, each made on first use.

    A sweep or a lever move changes the budget or the rules, not the mechanics: the matrices are made
    once for all scenarios of equal :data:`MECHANICS_SECTIONS` and shared (read-only)."""

    scenario: Scenario

    def __post_init__(self) -> None:
        key = mechanics_key(self.scenario)
        with _SHARED_LOCK:
            store = _SHARED.get(key)
            if store is None:
                store = _SHARED[key] = {}
                while len(_SHARED) > MAX_SHARED:
                    _SHARED.popitem(last=False)
            else:
                _SHARED.move_to_end(key)
        object.__setattr__(self, "_store", store)

    @_shared
    def J(self) -> int:
        return len(self.scenario.channels)

    @_shared
    def T(self) -> int:
        return len(self.scenario.years)

    @property
    def n(self) -> int:
        return self.J * self.T

    def col(self, j: int, t: int) -> int:
        return j * self.T + t

    def _mode(self, j: int) -> Mode:
        return self.scenario.mode(self.scenario.channels[j][1])

    def schedule(self, j: int) -> list[float]:
        """Shares of channel ``j``'s decision paid in its year and the years after: the channel's own
        ``payout``, else its mode's, else a fund's ``pay_in``, else all at once."""
        c, mid = self.scenario.channels[j]
        spec = self.scenario.spec.channels.get(c, {}).get(mid)
        m = self._mode(j)
        if spec is not None and spec.payout is not None:
            return list(spec.payout)
        if m.payout is not None:
            return list(m.payout)
        return list(m.fund.pay_in) if m.fund is not None else [1.0]

    def cash_kernel(self, j: int) -> np.ndarray:
        """T × T: cash out in year t per 万元 of the channel's decision in year s (its schedule)."""
        return pay_in_kernel(self.schedule(j), self.T)

    # ------------------------------------------------------------ before the plan
    @_shared
    def prior_cash(self) -> np.ndarray:
        """J × T: money due in each plan year on awards made before the plan (续拨, ``prior_awards``)."""
        s = self.scenario
        out = np.zeros((self.J, self.T))
        pa = s.spec.prior_awards
        if pa is None:
            return out
        for c, by_mode in pa.due_wan.items():
            for mid, by_year in by_mode.items():
                j = s.channels.index((c, mid))
                out[j] = np.nan_to_num(s.per_year(by_year))
        return out

    def prior_sum(self, weights: np.ndarray) -> np.ndarray:
        """T: prior awards' cash per year summed over channels with ``weights`` (length J) — the
        constant part of the cash rows built by the same weights."""
        return np.asarray(weights, dtype=float) @ self.prior_cash

    @_shared
    def prior_budget(self) -> np.ndarray:
        return self.prior_sum(self.on_budget)

    @_shared
    def prior_category(self) -> dict[str, np.ndarray]:
        return {c: self.prior_sum(self._category_weights(c)) for c in self.scenario.categories}

    @_shared
    def prior_mode(self) -> dict[str, np.ndarray]:
        return {m: self.prior_sum(self._mode_weights(m)) for m in self.scenario.modes}

    def prior_support(self, support_type: str) -> np.ndarray:
        return self.prior_sum(self._support_weights(support_type))

    # channel weights of the cash rows (on-budget money of a category, a mode, a support type); the
    # matrices (``category_spend`` …) and their prior-award constants (``prior_category`` …) share them
    def _category_weights(self, c: str) -> np.ndarray:
        return np.array([float(cc == c) for cc, _ in self.scenario.channels]) * self.on_budget

    def _mode_weights(self, m: str) -> np.ndarray:
        return np.array([float(mm == m) for _, mm in self.scenario.channels])

    def _support_weights(self, support_type: str) -> np.ndarray:
        s = self.scenario
        return np.array([float(s.mode(m).support_type == support_type) for _, m in s.channels]) * self.on_budget

    @_shared
    def prior_external(self) -> np.ndarray:
        """T: external money brought in by the prior awards' payments (co-funding, private capital)."""
        return self.prior_sum(np.array([self._mode(j).leverage * self.on_budget[j] for j in range(self.J)]))

    @_shared
    def prior_losses(self) -> np.ndarray:
        """T: expected write-offs on funds' pay-ins due on commitments made before the plan."""
        w = np.zeros(self.J)
        for j in self.fund_channels:
            f = self._mode(j).fund
            w[j] = f.write_off_rate * (1 - f.management_fee * len(f.pay_in))
        return self.prior_sum(w)

    def channel_offset(self, j: int, p: dict) -> np.ndarray:
        """T or T × D: channel ``j``'s results in the plan's years from money paid before the plan
        (the status-quo year's level, held in the ``lag`` years before it) and from its prior
        awards, with parameters ``p`` (numbers or D draws)."""
        m, T = self._mode(j), self.T
        if m.kind == "risk_pool" or not self.on_budget[j]:
            return np.zeros(T)  # a pool starts the plan empty; forgone tax follows its own year
        plan = self.scenario.spec.plan
        paid = np.zeros(T)
        paid[:min(m.lag_years, T)] = base_year_decisions(self.scenario)[j]
        paid += result_kernel([1.0], m.lag_years, T, plan.results_after_plan, plan.discount_rate) @ self.prior_cash[j]
        per = np.asarray(per_paid_wan(m, p), dtype=float)
        return paid * float(per) if per.ndim == 0 else paid[:, None] * per[None, :]

    @_shared
    def resource_offset(self) -> np.ndarray:
        """C·T: effective resources in each category-year from money decided before the plan."""
        s, T = self.scenario, self.T
        out = np.zeros(len(s.categories) * T)
        for j, (cid, _) in enumerate(s.channels):
            c = s.categories.index(cid)
            out[c * T:(c + 1) * T] += self.channel_offset(j, self.params(j))
        return out

    def _block(self, j: int, k: np.ndarray) -> np.ndarray:
        """T × n matrix with the T × T kernel ``k`` in channel ``j``'s columns."""
        m = np.zeros((self.T, self.n))
        m[:, j * self.T:(j + 1) * self.T] = k
        return m

    def _per_year_sum(self, weights: np.ndarray) -> np.ndarray:
        """T × n matrix summing channels' cash with ``weights`` (length J) in each year."""
        m = np.zeros((self.T, self.n))
        for j, w in enumerate(weights):
            if w:
                m[:, j * self.T:(j + 1) * self.T] = w * self.cash_kernel(j)
        return m

    # ------------------------------------------------------------ channel facts
    @_shared
    def on_budget(self) -> np.ndarray:
        s = self.scenario
        return np.array([s.mode(m).on_budget for _, m in s.channels], dtype=float)

    @_shared
    def pool_channels(self) -> list[int]:
        return [j for j in range(self.J) if self._mode(j).kind == "risk_pool"]

    @_shared
    def fund_channels(self) -> list[int]:
        return [j for j in range(self.J) if self._mode(j).fund is not None]

    @_shared
    def capacity(self) -> np.ndarray:
        """Per channel: absorptive capacity in 万元 a year (``inf``: no limit of its own)."""
        s = self.scenario
        out = np.full(self.J, np.inf)
        for j, (c, m) in enumerate(s.channels):
            spec = s.spec.channels.get(c, {}).get(m)
            if spec is None:
                continue
            if spec.capacity_wan is not None:
                out[j] = spec.capacity_wan
            elif spec.units is not None:
                demand = spec.units * spec.unit_wan
                mode = self._mode(j)
                out[j] = demand / mode.leverage if mode.kind == "risk_pool" else demand
        return out

    @_shared
    def curve_channels(self) -> list[int]:
        """Channels with an absorptive capacity (a concave curve of their own)."""
        return [j for j in range(self.J) if np.isfinite(self.capacity[j])]

    def channel_curve(self, j: int | np.ndarray) -> SaturatingExp:
        """Useful money per year of channel ``j`` as a function of its decision x (万元); for an
        array of channels, their curves at once (one row of an argument each)."""
        if np.ndim(j):
            cap = self.capacity[np.asarray(j)][:, None]
        else:
            cap = float(self.capacity[j])
        return SaturatingExp(max=cap, scale=cap)

    @_shared
    def _curve_cells(self) -> tuple[np.ndarray, SaturatingExp]:
        """The flat channel-years of the curve channels, and their curves (one per row)."""
        cells = np.array([self.col(j, t) for j in self.curve_channels for t in range(self.T)], dtype=int)
        return cells, self.channel_curve(np.repeat(np.array(self.curve_channels, dtype=int), self.T))

    def _on_curves(self, x: np.ndarray, what: str, out: np.ndarray) -> np.ndarray:
        """``out`` with the curve channel-years replaced by their curves' ``what`` (value, slope) at ``x``."""
        cells, curves = self._curve_cells
        if cells.size:
            v = getattr(curves, what)(x[cells] if x.ndim > 1 else x[cells, None])
            out[cells] = v if x.ndim > 1 else v[:, 0]
        return out

    def useful(self, x: np.ndarray) -> np.ndarray:
        """Flat allocation(s) ``x`` (n or n × D) → the useful money each channel-year places."""
        x = np.asarray(x, dtype=float)
        if not self.curve_channels:
            return x
        return self._on_curves(x, "value", x.copy())

    def useful_slope(self, x: np.ndarray) -> np.ndarray:
        """d useful / d x, element by element (1 for channels without a capacity)."""
        x = np.asarray(x, dtype=float)
        return self._on_curves(x, "slope", np.ones_like(x))

    def resources(self, x: np.ndarray) -> np.ndarray:
        """(C·T) (× D): effective resources of flat allocation(s) ``x``, with what money decided
        before the plan still delivers."""
        x = np.asarray(x, dtype=float)
        off = self.resource_offset
        return self.effective @ self.useful(x) + (off if x.ndim == 1 else off[:, None])

    def params(self, j: int, over: dict | None = None) -> dict:
        return mode_params(self._mode(j), over)

    def pool_q(self, j: int) -> float:
        """Share of a pool's available balance drawn for loan losses in a year."""
        return float(pool_draw_rate(self.params(j)))

    @_shared
    def _pool_avail(self) -> dict[int, np.ndarray]:
        """Per pool channel: T × n matrix of the balance available for lending in each year."""
        return {j: self._block(j, pool_kernel(self.pool_q(j), self.T)) for j in self.pool_channels}

    # ------------------------------------------------------------ money rows
    @_shared
    def budget(self) -> np.ndarray:
        """T × n: fiscal S&T budget cash per year (off-budget modes excluded; fund pay-ins, not commitments)."""
        return self._per_year_sum(self.on_budget)

    @_shared
    def tax(self) -> np.ndarray:
        """T × n: forgone tax revenue per year (off-budget)."""
        return self._per_year_sum(1.0 - self.on_budget)

    @_shared
    def category_spend(self) -> dict[str, np.ndarray]:
        return {c: self._per_year_sum(self._category_weights(c)) for c in self.scenario.categories}

    @_shared
    def mode_spend(self) -> dict[str, np.ndarray]:
        return {m: self._per_year_sum(self._mode_weights(m)) for m in self.scenario.modes}

    def support_spend(self, support_type: str) -> np.ndarray:
        return self._per_year_sum(self._support_weights(support_type))

    def loans(self, j: int) -> np.ndarray:
        return self._mode(j).leverage * self._pool_avail[j]

    def pool_rows(self, j: int) -> dict[str, np.ndarray]:
        """T × n rows for a pool channel: available, loans, draws, balance, liability."""
        m = self._mode(j)
        q = self.pool_q(j)
        avail = self._pool_avail[j]
        return {
            "available": avail,
            "loans": m.leverage * avail,
            "draws": q * avail,
            "balance": (1 - q) * avail,
            "liability": m.leverage * m.pool.loss_share * avail,
        }

    def fund_rows(self, j: int) -> dict[str, np.ndarray]:
        """T × n rows for a guidance-fund channel (see the module docstring for the cash flows)."""
        m, T = self._mode(j), self.T
        f = m.fund
        pay = self.cash_kernel(j)
        cum = np.tril(np.ones((T, T)))
        invested = (1 - f.management_fee * len(f.pay_in)) * pay
        surviving = (1 - f.write_off_rate) * invested
        back = np.eye(T, k=-f.return_after_years) @ surviving  # cost basis of money back in year t
        years_out = np.arange(T) + f.return_after_years
        return {
            "commitment": self._block(j, np.eye(T)),
            "paid_in": self._block(j, pay),
            "fees": self._block(j, pay - invested),
            "invested": self._block(j, invested),
            "private": self._block(j, m.leverage * pay),
            "write_offs": self._block(j, f.write_off_rate * invested),
            "returned": self._block(j, f.return_multiple * back),
            "returns_value": self._block(j, (f.return_multiple * (1 + f.return_discount) ** -years_out)[:, None]
                                         * surviving),
            "at_work": self._block(j, cum @ (surviving - back)),
            "unpaid": self._block(j, cum @ (np.eye(T) - pay)),
        }

    @_shared
    def liability(self) -> np.ndarray:
        """T × n: contingent liability of all risk pools (loans × loss share)."""
        out = np.zeros((self.T, self.n))
        for j in self.pool_channels:
            out += self.pool_rows(j)["liability"]
        return out

    @_shared
    def expected_losses(self) -> np.ndarray:
        """T × n: expected fiscal losses per year — risk pools' draws for loan losses and guidance
        funds' expected write-offs (the same rows the pool and fund tables report)."""
        out = np.zeros((self.T, self.n))
        for j in self.pool_channels:
            out += self.pool_rows(j)["draws"]
        for j in self.fund_channels:
            out += self.fund_rows(j)["write_offs"]
        return out

    @_shared
    def due_after_plan(self) -> np.ndarray:
        """n: cash each 万元 of a channel-year's decision still owes after the plan's last year
        (pay-in or payout shares that fall beyond it)."""
        out = np.zeros(self.n)
        for j in range(self.J):
            out[j * self.T:(j + 1) * self.T] = 1.0 - self.cash_kernel(j).sum(axis=0)
        return np.maximum(out, 0.0)

    @_shared
    def external(self) -> np.ndarray:
        """T × n: external money mobilised per year by on-budget modes (co-funding, loans, private capital)."""
        out = np.zeros((self.T, self.n))
        for j in range(self.J):
            m = self._mode(j)
            if not m.on_budget:
                continue
            if m.kind == "risk_pool":
                out += self.loans(j)
            else:
                out += self._block(j, m.leverage * self.cash_kernel(j))
        return out

    @_shared
    def tax_supported_rd(self) -> np.ndarray:
        """T × n: R&D spending carried by tax incentives (off-budget)."""
        out = np.zeros((self.T, self.n))
        for j in range(self.J):
            m = self._mode(j)
            if not m.on_budget:
                out += self._block(j, m.leverage * np.eye(self.T))
        return out

    # ------------------------------------------------------------ resources
    @_shared
    def effective(self) -> np.ndarray:
        """(C·T) × n: effective resources per category and year per 万元 of useful money decided."""
        s = self.scenario
        T = self.T
        out = np.zeros((len(s.categories) * T, self.n))
        for j, (cid, _) in enumerate(s.channels):
            c = s.categories.index(cid)
            out[c * T:(c + 1) * T, j * T:(j + 1) * T] += self.kernel(j)
        return out

    def kernel(self, j: int, p: dict | None = None) -> np.ndarray:
        """T × T (× D): channel ``j``'s effective kernel (parameters ``p``, default its mode's)."""
        plan = self.scenario.spec.plan
        return effective_kernel(self._mode(j), p if p is not None else self.params(j), self.T, self.schedule(j),
                                plan.results_after_plan, plan.discount_rate)

    def effective_draws(self, x: np.ndarray, mode_values: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
        """C × T × D effective resources of flat allocation(s) ``x`` (n or n × D) when mode
        parameters take the drawn values ``mode_values`` (mode id → parameter → D values)."""
        s, T = self.scenario, self.T
        x = np.asarray(x, dtype=float)
        D = next(iter(next(iter(mode_values.values())).values())).shape[0] if mode_values else (
            x.shape[1] if x.ndim == 2 else 1)
        out = np.zeros((len(s.categories), T, D))
        u = self.useful(x)
        for j, (cid, mid) in enumerate(s.channels):
            xj = u[j * T:(j + 1) * T]
            p = self.params(j, mode_values.get(mid))
            off = self.channel_offset(j, p)
            out[s.categories.index(cid)] += off if off.ndim == 2 else off[:, None]
            if not np.any(xj):
                continue
            out[s.categories.index(cid)] += _apply(self.kernel(j, p), xj, D)
        return out

    def fiscal_losses_draws(self, x: np.ndarray, mode_values: dict[str, dict[str, np.ndarray]],
                            draws: int) -> dict[str, np.ndarray]:
        """Expected fiscal losses per year (T × D): risk-pool draws and fund write-offs under drawn
        parameters; also the pools' contingent liability (``liability``, loans × loss share)."""
        T = self.T
        x = np.asarray(x, dtype=float)
        out = {"pool_draws": np.zeros((T, draws)), "fund_write_offs": np.zeros((T, draws)),
               "liability": np.zeros((T, draws))}
        for j, (_, mid) in enumerate(self.scenario.channels):
            m = self._mode(j)
            xj = x[j * T:(j + 1) * T]
            if m.kind != "risk_pool" and m.fund is None:
                continue
            p = self.params(j, mode_values.get(mid))
            if m.kind == "risk_pool":
                q = pool_draw_rate(p)
                avail = pool_kernel(q, T)
                out["pool_draws"] += _apply(_scale(avail, q), xj, draws)
                out["liability"] += _apply(_scale(avail, np.asarray(p["leverage"]) * p["pool.loss_share"]), xj, draws)
            else:
                invest = 1 - np.asarray(p["fund.management_fee"]) * len(m.fund.pay_in)
                k = _scale(self.cash_kernel(j), invest * np.asarray(p["fund.write_off_rate"]))
                out["fund_write_offs"] += _apply(k, xj, draws)
        return out

    def effective_max(self, headroom: float = 1.5) -> np.ndarray:
        """An upper bound on each category-year's effective resources (for breakpoints)."""
        return np.maximum(self.resources(self.channel_max()) * headroom, 1.0)

    def channel_max(self) -> np.ndarray:
        """An upper bound on each channel-year's decision (n), for the channel curves' breakpoints."""
        s = self.scenario
        xmax = np.zeros(self.n)
        tax_cap = s.rule("tax_expenditure_cap")
        tax = s.per_year(tax_cap.cap_wan) if tax_cap is not None else s.budget_wan
        for j in range(self.J):
            xmax[j * self.T:(j + 1) * self.T] = s.budget_wan if self.on_budget[j] else np.where(
                np.isnan(tax), s.budget_wan, tax)
        return xmax

    # ------------------------------------------------------------ helpers
    def flatten(self, x_jt: np.ndarray) -> np.ndarray:
        """channels × years (× draws) → flat decision vector(s)."""
        x_jt = np.asarray(x_jt, dtype=float)
        return x_jt.reshape((self.n,) + x_jt.shape[2:])

    def unflatten(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x).reshape((self.J, self.T) + np.asarray(x).shape[1:])


def _apply(k: np.ndarray, xj: np.ndarray, draws: int | None = None) -> np.ndarray:
    """Kernel (T × T or T × T × D) applied to a channel's money (T or T × D) → T × D (or T)."""
    if k.ndim == 3:
        out = np.einsum("tsd,sd->td", k, xj) if xj.ndim == 2 else np.einsum("tsd,s->td", k, xj)
    else:
        out = k @ xj
    if draws is not None and out.ndim == 1:
        out = np.repeat(out[:, None], draws, axis=1)
    return out
