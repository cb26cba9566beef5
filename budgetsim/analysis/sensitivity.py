"""How a model row moves with its rule's parameter, and re-solving a modified linear program.

Shared by the explanation of a solved plan (rule costs) and the diagnosis of an impossible one.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ..model.builder import ModelBuilder, RowMeta
from ..model.continuity import base_year_category_cash, base_year_decisions
from ..model.lp import LinearProgram, LPSolution
from .wording import MIP_GAP, UNIT, WIDTH_RULES


def _nice_step(value: float) -> float:
    """One tenth of the value's leading power of ten (80,000 → 1,000; 150 → 10; 80 → 1)."""
    if not value or value <= 0:
        return 1.0
    return 10.0 ** (math.floor(math.log10(value)) - 1)


def _natural_step(rule: str, param: float) -> float:
    unit = UNIT.get(rule, "wan")
    if unit in ("share",) or rule == "budget_growth_floor":
        return 0.01
    if rule in WIDTH_RULES:
        return 0.05
    if unit == "ratio":
        return 0.1
    return _nice_step(abs(param))


# ----------------------------------------------------------------------------- row algebra


@dataclass
class _Sens:
    """How row ``i`` moves per unit increase of its rule's parameter: vec += p·dvec, its constant part
    (money due on awards made before the plan) += p·dconst, lo += p·dlo, hi += p·dhi."""

    dvec: np.ndarray | None  # over all columns, or None
    dlo: float
    dhi: float
    dconst: float = 0.0


def _row_sensitivity(b: ModelBuilder, meta: RowMeta) -> _Sens | None:
    """The derivative of a rule row with respect to the rule's parameter (None: not a rule row)."""
    s, mech, rid = b.s, b.mech, meta.rule
    if rid is None or meta.param is None:
        return None
    t = s.years.index(meta.year) if meta.year is not None else None
    if rid == "budget_envelope":
        return _Sens(None, 1.0, 1.0)
    if rid in ("indicator_targets",):
        return _Sens(None, 1.0, 0.0)
    if rid in ("contingent_liability_cap", "tax_expenditure_cap"):
        return _Sens(None, 0.0, 1.0)
    if rid == "tax_entitlement":  # the forecast (and forecast + top-up) itself
        return _Sens(None, 1.0 if meta.sense in ("=", ">=") else 0.0, 1.0 if meta.sense in ("=", "<=") else 0.0)
    if rid == "fixed_figures":  # the figure itself: an exact one moves both bounds, a floor or a cap its own
        return _Sens(None, 1.0 if meta.sense in ("=", ">=") else 0.0, 1.0 if meta.sense in ("=", "<=") else 0.0)
    if rid in ("category_share_min", "category_share_max", "mode_share_min", "mode_share_max",
               "priority_floor", "leverage_floor"):
        return _Sens(-b.X(mech.budget[t]), 0.0, 0.0, -float(mech.prior_budget[t]))
    if rid == "stable_competitive_band":
        both = mech.support_spend("stable") + mech.support_spend("competitive")
        p_both = mech.prior_support("stable") + mech.prior_support("competitive")
        return _Sens(-b.X(both[t]), 0.0, 0.0, -float(p_both[t]))
    # continuity rows of the first plan year are tied to the status-quo year's actual (a constant)
    up = meta.name.startswith(f"{rid}_up_")
    if rid == "budget_growth_floor":
        if t == 0:
            return _Sens(None, float(s.spec.status_quo.budget_wan), 0.0)
        return _Sens(-b.X(mech.budget[t - 1]), 0.0, 0.0, -float(mech.prior_budget[t - 1]))
    if rid == "category_smoothing":
        if t == 0:
            base = base_year_category_cash(s)[meta.key]
            return _Sens(None, 0.0, base) if up else _Sens(None, -base, 0.0)
        prev = b.X(mech.category_spend[meta.key][t - 1])
        p_prev = float(mech.prior_category[meta.key][t - 1])
        return _Sens(-prev, 0.0, 0.0, -p_prev) if up else _Sens(prev, 0.0, 0.0, p_prev)
    if rid in ("channel_band", "stable_support_continuity"):
        j = s.channels.index(tuple(meta.key.split(".", 1)))
        if t == 0:
            base = float(base_year_decisions(s)[j])
            if rid == "stable_support_continuity":
                return _Sens(None, base, 0.0)
            return _Sens(None, 0.0, base) if up else _Sens(None, -base, 0.0)
        prev = np.zeros(len(b.x_cols))
        prev[mech.col(j, t - 1)] = 1.0
        prev = b.X(prev)
        return _Sens(prev if (rid == "channel_band" and not up) else -prev, 0.0, 0.0)
    if rid == "risk_appetite":
        return _Sens(None, 0.0, float(s.budget_wan[t]))
    if rid == "post_plan_commitments":
        return _Sens(None, 0.0, 1.0)
    if rid == "status_quo_band":
        # the status quo's cash that year, 续拨 included (as the rule takes it)
        level = float(mech.category_spend[meta.key][t] @ mech.flatten(s.status_quo_allocation)
                      + mech.prior_category[meta.key][t])
        if meta.name.startswith("status_quo_band_min_"):
            return _Sens(None, -level, 0.0)
        return _Sens(None, 0.0, level)
    return None  # lumpy_funding: structure, not a parameter


def _sens_at(sens: _Sens, x: np.ndarray, side: str) -> float:
    """d(row activity − bound)/d(param) at plan ``x`` for the bound on ``side``."""
    dv = float(sens.dvec @ x) if sens.dvec is not None else 0.0
    return dv + sens.dconst - (sens.dlo if side == "lo" else sens.dhi)


def _loosen_dir(rule: str, side: str) -> float:
    """+1 if loosening the ``side`` bound means raising the parameter, −1 if lowering it."""
    if rule in WIDTH_RULES:
        return 1.0
    return -1.0 if side == "lo" else 1.0


def _row_vec(lp: LinearProgram, i: int) -> np.ndarray:
    return lp.row(i)


def _modified(lp: LinearProgram, changes: dict[int, tuple[np.ndarray | None, float, float]]) -> LinearProgram:
    """A copy of ``lp`` with some rows replaced: {row: (dense vec or None, lo, hi)}."""
    out = lp.copy()
    for i, (vec, lo, hi) in changes.items():
        out.set_row(i, vec, lo, hi)
    return out


def _relaxed_row(lp: LinearProgram, i: int, sens: _Sens, dp: float):
    vec = _row_vec(lp, i) + dp * sens.dvec if sens.dvec is not None else None
    lo, hi = lp.row_lo[i], lp.row_hi[i]
    # the LP holds the row's constant part in its bounds (lo − const … hi − const)
    lo = lo + dp * (sens.dlo - sens.dconst) if np.isfinite(lo) else lo
    hi = hi + dp * (sens.dhi - sens.dconst) if np.isfinite(hi) else hi
    return vec, lo, hi


def _solve(lp: LinearProgram, solver: str, start: np.ndarray | None = None,
           hint: np.ndarray | None = None, resolver: MipResolver | None = None) -> LPSolution:
    """Solve; an integer program gets ``start`` (a plan known to stay feasible) as its incumbent, so a
    loosened rule never comes back worse than the plan within the gap.  With HiGHS an integer
    program is first tried by :meth:`MipResolver.certified` (``hint``: a plan that may or may not
    stay feasible, e.g. the unmodified optimum; ``resolver``: one kept across re-solves, warm)."""
    if not lp.is_mip:
        return lp.solve(solver)
    if solver != "highs":
        return lp.solve(solver, mip_rel_gap=MIP_GAP)
    resolver = resolver or MipResolver()
    quick = resolver.certified(lp, [v for v in (start, hint) if v is not None]) if resolver.certify else None
    if quick is not None:
        return quick
    if start is None:
        return lp.solve(solver, mip_rel_gap=MIP_GAP)
    import highspy

    from ..model.lp import DEFAULT_TIME_LIMIT, new_highs, read_highs_solution

    lp.check_finite()
    h = new_highs()
    h.setOptionValue("mip_rel_gap", MIP_GAP)
    h.setOptionValue("time_limit", DEFAULT_TIME_LIMIT)
    lp.pass_to(h)
    given = highspy.HighsSolution()
    given.col_value = list(start)
    given.value_valid = True
    h.setSolution(given)
    h.run()
    return read_highs_solution(h, 0.0, True)


def _with_integers(lp: LinearProgram, fixed: np.ndarray | None) -> LinearProgram:
    """``lp`` as a linear program: integers relaxed (``fixed`` None) or fixed at ``fixed``'s values.
    Shares ``lp``'s rows (read only); only the column bounds and kinds are its own."""
    out = copy.copy(lp)
    integ = lp.integrality
    lb, ub = lp.lb.copy(), lp.ub.copy()
    if fixed is not None:
        lb[integ] = ub[integ] = fixed[integ]
    out.col_lb, out.col_ub, out.col_int = [lb], [ub], [np.zeros(lp.n_cols, dtype=bool)]
    return out


class MipResolver:
    """Re-solves of one integer program with a few rows changed, to the accuracy of a MILP run.

    The LP relaxation bounds the integer optimum; a plan with its integers fixed (at a
    candidate's values or at the relaxation's, rounded) and the rest re-optimised is feasible.
    When the two are within the MIP gap of each other — the test a MILP run stops on — that
    plan is the answer, from a few warm LP solves instead of a branch-and-cut run (whose
    presolve, cuts and heuristics dominate on these models).  The relaxations and the fixed
    programs each live in one HiGHS instance that only takes what changed between re-solves."""

    def __init__(self, certify: bool = True) -> None:
        from ..model.compiled import HighsSession

        # off when certifying is known to fail here (the unchanged model's relaxation is already
        # wider than the gap: a minimum ticket's switch relaxes to a fraction): straight to MILP runs
        self.certify = certify
        self._relax = HighsSession(("relaxation",))
        self._fixed = HighsSession(("integers fixed",))

    @staticmethod
    def _run(session, lp: LinearProgram) -> LPSolution:
        session.load(lp)
        return session.run(False)

    def certified(self, lp: LinearProgram, candidates: list[np.ndarray]) -> LPSolution | None:
        """The certified plan of ``lp``, an infeasible status when even the relaxation is, or None
        when no candidate comes within the gap of the bound (then a MILP run decides)."""
        relax = self._run(self._relax, _with_integers(lp, None))
        if relax.status == "infeasible":
            return LPSolution("infeasible", is_mip=True, message="the LP relaxation is infeasible")
        if not relax.ok:
            return None
        integ = lp.integrality
        best, tried = None, set()
        for cand in [*candidates, relax.x]:
            ints = np.round(cand[integ])
            if ints.tobytes() in tried:
                continue
            tried.add(ints.tobytes())
            fixed = cand.copy()
            fixed[integ] = ints
            sol = self._run(self._fixed, _with_integers(lp, fixed))
            if sol.ok and (best is None or (sol.objective > best.objective) == lp.maximize):
                best = sol
        if best is None or abs(relax.objective - best.objective) > MIP_GAP * max(abs(best.objective), 1.0):
            return None
        return LPSolution("optimal", best.objective, best.x, best.row_activity, None, None,
                          relax.solve_seconds + best.solve_seconds, "highs", True,
                          "integers certified within the MIP gap by the LP relaxation")


def _objective(sol: LPSolution, maximize: bool) -> float:
    return sol.objective if sol.ok else (-math.inf if maximize else math.inf)


