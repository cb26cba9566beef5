"""Support-mode mechanics: how a fiscal 万元 in a channel moves money and resources.

Everything here is linear in the allocation, so each quantity is a matrix over the
flattened decision vector ``x`` (channel-major: ``x[j * T + t]`` is channel ``j`` in
year ``t``).  The optimiser builds its rows from these matrices and the evaluator
multiplies them with allocations (one plan or a batch of draws) — one source of truth.

Per mode kind:

* grants (institutional, competitive, post-subsidy, guidance fund): a fiscal 万元 yields
  ``fiscal_effectiveness`` of its own plus ``leverage`` 万元 of external money counted at
  ``external_effectiveness``; results lag ``lag_years``, discounted at the plan's rate.
* risk pool: allocations top up a pool that carries over; banks lend ``leverage`` × the
  pool's available balance; the pool pays ``loss_share`` of losses (``npl_rate`` ×
  (1 − ``recovery_rate``)) each year; the contingent liability is loans × loss share.
* tax incentive: forgone revenue, off the S&T budget; counted in its own row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .scenario import Scenario


@dataclass(frozen=True, eq=False)
class Mechanics:
    scenario: Scenario

    @cached_property
    def J(self) -> int:
        return len(self.scenario.channels)

    @cached_property
    def T(self) -> int:
        return len(self.scenario.years)

    @property
    def n(self) -> int:
        return self.J * self.T

    def col(self, j: int, t: int) -> int:
        return j * self.T + t

    def _per_year_sum(self, weights: np.ndarray) -> np.ndarray:
        """T × n matrix summing channels with ``weights`` (length J) in each year."""
        m = np.zeros((self.T, self.n))
        for j, w in enumerate(weights):
            if w:
                for t in range(self.T):
                    m[t, self.col(j, t)] = w
        return m

    # ------------------------------------------------------------ channel facts
    @cached_property
    def on_budget(self) -> np.ndarray:
        s = self.scenario
        return np.array([s.mode(m).on_budget for _, m in s.channels], dtype=float)

    @cached_property
    def pool_channels(self) -> list[int]:
        s = self.scenario
        return [j for j, (_, m) in enumerate(s.channels) if s.mode(m).kind == "risk_pool"]

    def pool_q(self, j: int) -> float:
        """Share of a pool's available balance drawn for loan losses in a year."""
        m = self.scenario.mode(self.scenario.channels[j][1])
        p = m.pool
        return m.leverage * p.npl_rate * (1 - p.recovery_rate) * p.loss_share

    @cached_property
    def _pool_avail(self) -> dict[int, np.ndarray]:
        """Per pool channel: T × n matrix of the balance available for lending in each year."""
        out = {}
        for j in self.pool_channels:
            q = self.pool_q(j)
            m = np.zeros((self.T, self.n))
            for t in range(self.T):
                for s in range(t + 1):
                    m[t, self.col(j, s)] = (1 - q) ** (t - s)
            out[j] = m
        return out

    # ------------------------------------------------------------ money rows
    @cached_property
    def budget(self) -> np.ndarray:
        """T × n: fiscal S&T budget cash per year (off-budget modes excluded)."""
        return self._per_year_sum(self.on_budget)

    @cached_property
    def tax(self) -> np.ndarray:
        """T × n: forgone tax revenue per year (off-budget)."""
        return self._per_year_sum(1.0 - self.on_budget)

    @cached_property
    def category_spend(self) -> dict[str, np.ndarray]:
        s = self.scenario
        return {c: self._per_year_sum(np.array([float(cc == c) for cc, _ in s.channels]) * self.on_budget)
                for c in s.categories}

    @cached_property
    def mode_spend(self) -> dict[str, np.ndarray]:
        s = self.scenario
        return {m: self._per_year_sum(np.array([float(mm == m) for _, mm in s.channels]))
                for m in s.modes}

    def support_spend(self, support_type: str) -> np.ndarray:
        s = self.scenario
        w = np.array([float(s.mode(m).support_type == support_type) for _, m in s.channels]) * self.on_budget
        return self._per_year_sum(w)

    def loans(self, j: int) -> np.ndarray:
        m = self.scenario.mode(self.scenario.channels[j][1])
        return m.leverage * self._pool_avail[j]

    def pool_rows(self, j: int) -> dict[str, np.ndarray]:
        """T × n rows for a pool channel: available, loans, draws, balance, liability."""
        m = self.scenario.mode(self.scenario.channels[j][1])
        q = self.pool_q(j)
        avail = self._pool_avail[j]
        return {
            "available": avail,
            "loans": m.leverage * avail,
            "draws": q * avail,
            "balance": (1 - q) * avail,
            "liability": m.leverage * m.pool.loss_share * avail,
        }

    @cached_property
    def liability(self) -> np.ndarray:
        """T × n: contingent liability of all risk pools (loans × loss share)."""
        out = np.zeros((self.T, self.n))
        for j in self.pool_channels:
            out += self.pool_rows(j)["liability"]
        return out

    @cached_property
    def external(self) -> np.ndarray:
        """T × n: external money mobilised per year by on-budget modes (co-funding, loans, private capital)."""
        s = self.scenario
        out = np.zeros((self.T, self.n))
        for j, (_, mid) in enumerate(s.channels):
            m = s.mode(mid)
            if not m.on_budget:
                continue
            if m.kind == "risk_pool":
                out += self.loans(j)
            else:
                for t in range(self.T):
                    out[t, self.col(j, t)] += m.leverage
        return out

    @cached_property
    def tax_supported_rd(self) -> np.ndarray:
        """T × n: R&D spending carried by tax incentives (off-budget)."""
        s = self.scenario
        out = np.zeros((self.T, self.n))
        for j, (_, mid) in enumerate(s.channels):
            m = s.mode(mid)
            if not m.on_budget:
                for t in range(self.T):
                    out[t, self.col(j, t)] = m.leverage
        return out

    # ------------------------------------------------------------ resources
    @cached_property
    def effective(self) -> np.ndarray:
        """(C·T) × n: present-value effective resources per category and year."""
        s = self.scenario
        r = s.spec.plan.discount_rate
        C = len(s.categories)
        out = np.zeros((C * self.T, self.n))
        for j, (cid, mid) in enumerate(s.channels):
            c = s.categories.index(cid)
            m = s.mode(mid)
            lag = (1 + r) ** -m.lag_years
            if m.kind == "risk_pool":
                out[c * self.T:(c + 1) * self.T] += lag * m.external_effectiveness * self.loans(j)
            else:
                per = (m.fiscal_effectiveness + m.leverage * m.external_effectiveness) * lag
                for t in range(self.T):
                    out[c * self.T + t, self.col(j, t)] += per
        return out

    def effective_max(self, headroom: float = 1.5) -> np.ndarray:
        """An upper bound on each category-year's effective resources (for breakpoints)."""
        s = self.scenario
        xmax = np.zeros(self.n)
        budget = s.budget_wan
        tax_cap = s.rule("tax_expenditure_cap")
        tax = s.per_year(tax_cap.cap_wan) if tax_cap is not None else budget
        tax = np.where(np.isnan(tax), budget, tax)
        for j in range(self.J):
            xmax[j * self.T:(j + 1) * self.T] = budget if self.on_budget[j] else tax
        return np.maximum(self.effective @ xmax * headroom, 1.0)

    # ------------------------------------------------------------ helpers
    def flatten(self, x_jt: np.ndarray) -> np.ndarray:
        """channels × years (× draws) → flat decision vector(s)."""
        x_jt = np.asarray(x_jt, dtype=float)
        return x_jt.reshape((self.n,) + x_jt.shape[2:])

    def unflatten(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x).reshape((self.J, self.T) + np.asarray(x).shape[1:])
