"""Continuity: how a plan connects to last year's actual and moves from year to year.

The status-quo year (``status_quo.base_year``, the year before the plan) is the bureau's
last actual: its split × its budget gives each channel's decision and each category's cash in
that year.  Continuity rules (:mod:`budgetsim.model.rules`: the growth floor and category
smoothing from that year, the per-channel band, stable-support continuity) tie the first
plan year to it; :func:`stability` reports how far a plan moves.
"""

from __future__ import annotations

import numpy as np

from ..scenario.loading import Scenario

SWITCH_WAN = 1.0  # below 1 万元 a channel-year counts as not funded


def base_year_decisions(s: Scenario) -> np.ndarray:
    """Per channel: the status-quo year's decision in 万元 (its share of that year's budget;
    off-budget channels: the amount forgone that year)."""
    sq = s.spec.status_quo
    out = s.status_quo_shares * sq.budget_wan
    for j, (c, m) in enumerate(s.channels):
        if not s.mode(m).on_budget:
            out[j] = sq.off_budget_wan.get(c, {}).get(m, 0.0)
    return out


def base_year_category_cash(s: Scenario) -> dict[str, float]:
    """Per category: on-budget cash in the status-quo year (its split × that year's budget)."""
    split = s.spec.status_quo.split
    return {c: float(sum(split.get(c, {}).values()) * s.spec.status_quo.budget_wan) for c in s.categories}


def stability(s: Scenario, x: np.ndarray, category_cash: np.ndarray, band: float | None) -> dict:
    """How a plan moves: ``x`` is channels × years (decisions, 万元), ``category_cash`` categories ×
    years (on-budget cash).  Changes are relative to the year before (the first plan year: to the
    status-quo year); channels that go from funded to zero or back are *switches*."""
    prev_all = np.column_stack([base_year_decisions(s), x[:, :-1]])
    years = s.years
    largest = None
    moves, switches = [], []
    for j, (c, m) in enumerate(s.channels):
        if not s.mode(m).on_budget:
            continue
        for t, y in enumerate(years):
            prev, cur = float(prev_all[j, t]), float(x[j, t])
            if (prev >= SWITCH_WAN) != (cur >= SWITCH_WAN):
                switches.append({"category": c, "mode": m, "year": y, "from_wan": prev, "to_wan": cur,
                                 "switch": "off" if cur < SWITCH_WAN else "on"})
                continue
            if prev < SWITCH_WAN:
                continue
            change = cur / prev - 1.0
            rec = {"category": c, "mode": m, "year": y, "from_wan": prev, "to_wan": cur, "change": change}
            if largest is None or abs(change) > abs(largest["change"]):
                largest = rec
            if band is not None and abs(change) > band + 1e-6:
                moves.append(rec)
    base_cash = base_year_category_cash(s)
    first = {}
    for c_idx, c in enumerate(s.categories):
        b, v = base_cash[c], float(category_cash[c_idx, 0])
        first[c] = {"base_wan": b, "first_year_wan": v, "change": (v / b - 1.0) if b > 0 else None}
    base_total = float(s.spec.status_quo.budget_wan)
    first_total = float(category_cash[:, 0].sum())
    return {
        "base_year": s.spec.status_quo.base_year,
        "first_year": years[0],
        "band": band,
        "largest_change": largest,
        "moves_above_band": len(moves) if band is not None else None,
        "moves_above_band_list": moves,
        "switches": len(switches),
        "switch_list": switches,
        "budget_change_from_base": first_total / base_total - 1.0,
        "category_change_from_base": first,
    }
