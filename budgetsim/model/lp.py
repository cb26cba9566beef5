"""The optimisation problem in matrix form, and the solvers that run it.

:class:`LinearProgram` holds named columns and named rows as numpy arrays.  It solves
in-process with HiGHS (``highspy``: the matrices go over in one ``passModel`` call,
maximisation is passed as such, so duals keep their natural sign: d objective / d rhs),
and renders itself as a PuLP problem (:meth:`to_pulp`) — the readable definition that
CBC solves and that writes ``.lp``/``.mps`` files for audit.  Every solve's status is
checked; a HiGHS run that returns without a definite status is an error, never a plan.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import NonFiniteModelError

INF = float("inf")
# Every solve has a time limit (seconds, wall clock): the API's and the command line's default.
# The app uses a shorter one; `time_limit=math.inf` lifts it.  Running out of time is the
# status "time_limit", never a plan.
DEFAULT_TIME_LIMIT = 60.0
HIGHS_INF = 1e20  # HiGHS reads any bound at or beyond this as infinite: a finite bound must stay below it


def time_limit_or_default(time_limit: float | None) -> float:
    return DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)

_highs_banner_done = False


@contextlib.contextmanager
def _quiet_stdout():
    """Silence C-level stdout (HiGHS prints a banner when its first instance is created)."""
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def new_highs():
    """A silent ``highspy.Highs`` instance."""
    global _highs_banner_done
    import highspy

    if not _highs_banner_done:
        with _quiet_stdout():
            h = highspy.Highs()
        _highs_banner_done = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # returns per 万元 are ~1e-4 index points and channels at the margin differ by far less:
    # the default dual tolerance (1e-7) would leave the plan undetermined by ~0.1 %
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    return h


@dataclass
class LPSolution:
    status: str  # optimal | infeasible | unbounded | time_limit | error
    objective: float = float("nan")
    x: np.ndarray | None = None
    row_activity: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    solve_seconds: float = 0.0
    solver: str = "highs"
    is_mip: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "optimal"


@dataclass
class LinearProgram:
    """Columns and rows with names.

    Each row is kept sparse — its nonzero columns and their coefficients — since a row touches a
    handful of the thousands of columns (0.4 % of the baseline's matrix is nonzero).  The solver's
    compressed-row form (:meth:`csr`) is their concatenation, kept until a row changes; the dense
    matrix :attr:`A` is made on demand for analyses that read it, and is read-only: rows change
    through :meth:`add_row`, :meth:`set_row` and :meth:`set_coefs`."""

    maximize: bool = True
    col_names: list[str] = field(default_factory=list)
    col_lb: list[np.ndarray] = field(default_factory=list)
    col_ub: list[np.ndarray] = field(default_factory=list)
    col_int: list[np.ndarray] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)
    row_lo: list[float] = field(default_factory=list)
    row_hi: list[float] = field(default_factory=list)
    row_idx: list[np.ndarray] = field(default_factory=list)  # per row: its nonzero columns, ascending
    row_val: list[np.ndarray] = field(default_factory=list)  # per row: their coefficients
    obj: np.ndarray | None = None
    n_cols: int = 0
    _csr: tuple | None = field(default=None, repr=False)
    _stale: set | None = field(default=None, repr=False)  # rows whose values changed since _csr (same columns)
    _A: np.ndarray | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- building
    def add_cols(self, names: list[str], lb, ub, integer: bool = False) -> np.ndarray:
        n = len(names)
        start = self.n_cols
        self.col_names += names
        self.col_lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self.col_ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self.col_int.append(np.full(n, integer))
        self.n_cols += n
        self._A = None  # (the sparse rows need nothing: new columns are zero in every row)
        return np.arange(start, start + n)

    def add_row(self, name: str, coefs: np.ndarray, lo: float = -INF, hi: float = INF) -> int:
        """Add ``lo ≤ coefs · x ≤ hi`` where ``coefs`` is dense over all columns."""
        idx = np.flatnonzero(coefs)
        return self.add_sparse_row(name, idx, coefs[idx], lo, hi)

    def add_sparse_row(self, name: str, idx: np.ndarray, val: np.ndarray, lo: float = -INF,
                       hi: float = INF) -> int:
        """Add ``lo ≤ Σ val · x[idx] ≤ hi`` (``idx`` ascending and distinct, ``val`` nonzero)."""
        self.row_names.append(name)
        self.row_idx.append(np.asarray(idx, dtype=np.int64))
        self.row_val.append(np.asarray(val, dtype=float))
        self.row_lo.append(float(lo))
        self.row_hi.append(float(hi))
        self._changed()
        return len(self.row_names) - 1

    def add_sparse_rows(self, names: list[str], idx: np.ndarray, val: np.ndarray, lo, hi) -> None:
        """Add rows that each have as many entries: row k is ``lo[k] ≤ Σ val[k] · x[idx[k]] ≤ hi[k]``
        (``idx`` and ``val`` R × k, each row's columns ascending; ``lo``/``hi`` scalars or R)."""
        R = len(names)
        self.row_names += names
        self.row_idx += list(np.asarray(idx, dtype=np.int64).reshape(R, -1))
        self.row_val += list(np.asarray(val, dtype=float).reshape(R, -1))
        self.row_lo += np.broadcast_to(np.asarray(lo, dtype=float), (R,)).tolist()
        self.row_hi += np.broadcast_to(np.asarray(hi, dtype=float), (R,)).tolist()
        self._changed()

    def add_ragged_rows(self, names: list[str], sizes, idx: np.ndarray, val: np.ndarray, lo, hi) -> None:
        """Add rows of any lengths: row k has the next ``sizes[k]`` entries of ``idx``/``val`` (its
        columns ascending); ``lo``/``hi`` one per row."""
        ends = np.cumsum(sizes).tolist()
        idx, val = np.asarray(idx, dtype=np.int64), np.asarray(val, dtype=float)
        self.row_names += names
        self.row_idx += [idx[a:b] for a, b in zip([0] + ends[:-1], ends)]  # (np.split: 5× slower)
        self.row_val += [val[a:b] for a, b in zip([0] + ends[:-1], ends)]
        self.row_lo += [float(v) for v in lo]
        self.row_hi += [float(v) for v in hi]
        self._changed()

    def _changed(self) -> None:
        self._csr = self._stale = None
        self._A = None

    def _values_changed(self, i: int) -> None:
        """Row ``i`` has new values on the same columns: the compressed rows need only its values
        written again (a refinement pass changes a hundred of two thousand rows)."""
        if self._csr is not None:
            if self._stale is None:
                self._stale = set()
            self._stale.add(i)
        self._A = None

    def copy(self) -> "LinearProgram":
        """An independent copy (rows, bounds and costs can be changed without touching this one:
        rows are replaced, never written in place, so the copies share their arrays)."""
        return LinearProgram(
            maximize=self.maximize, col_names=list(self.col_names), col_lb=[self.lb.copy()],
            col_ub=[self.ub.copy()], col_int=[self.integrality.copy()], row_names=list(self.row_names),
            row_lo=list(self.row_lo), row_hi=list(self.row_hi), row_idx=list(self.row_idx),
            row_val=list(self.row_val), obj=None if self.obj is None else self.obj.copy(), n_cols=self.n_cols,
            _csr=self.csr() if self._csr is not None else None)

    def set_row(self, i: int, coefs: np.ndarray | None = None, lo: float | None = None,
                hi: float | None = None) -> None:
        """Replace row ``i``'s coefficients (dense over all columns) and/or its bounds."""
        if coefs is not None:
            idx = np.flatnonzero(coefs)
            same = np.array_equal(idx, self.row_idx[i])
            if same:
                idx = self.row_idx[i]  # the same columns: keep the array (a solver session compares values only)
            self.row_idx[i], self.row_val[i] = idx, np.asarray(coefs, dtype=float)[idx]
            if same:
                self._values_changed(i)
            else:
                self._changed()
        if lo is not None:
            self.row_lo[i] = float(lo)
        if hi is not None:
            self.row_hi[i] = float(hi)

    def set_coefs(self, i: int, cols: np.ndarray, vals: np.ndarray) -> None:
        """Row ``i``'s coefficients at columns ``cols`` become ``vals`` (the rest of the row stays)."""
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), cols.shape)
        idx, val = self.row_idx[i], self.row_val[i]
        keep = ~np.isin(idx, cols)
        nz = vals != 0
        idx = np.concatenate((idx[keep], cols[nz]))
        val = np.concatenate((val[keep], vals[nz]))
        order = np.argsort(idx, kind="stable")
        self.row_idx[i], self.row_val[i] = idx[order], val[order]
        self._changed()

    def set_values(self, i: int, vals: np.ndarray) -> None:
        """Row ``i`` keeps its columns and gets new coefficients ``vals`` (in its column order; a
        zero stays in the row as an explicit zero)."""
        self.set_rows_values([i], np.asarray(vals, dtype=float)[None, :])

    def set_rows_values(self, rows: list[int], vals: np.ndarray) -> None:
        """:meth:`set_values` for many rows of as many entries: row ``rows[k]`` gets ``vals[k]``."""
        vals = np.asarray(vals, dtype=float)
        for i, v in zip(rows, vals):
            if len(v) != len(self.row_idx[i]):
                raise ValueError(f"row {self.row_names[i]} has {len(self.row_idx[i])} entries, got {len(v)} values")
            self.row_val[i] = v
            self._values_changed(i)

    def freeze_cols(self) -> None:
        """Merge column blocks into single arrays, so ``lb``/``ub`` can be edited in place."""
        self.col_lb = [self.lb]
        self.col_ub = [self.ub]
        self.col_int = [self.integrality]

    @property
    def A(self) -> np.ndarray:
        """The constraint matrix, dense (rows × columns): a read-only view for analyses."""
        if self._A is None:
            start, index, value = self.csr()
            A = np.zeros((self.n_rows, self.n_cols))
            A[np.repeat(np.arange(self.n_rows), np.diff(start)), index] = value
            A.flags.writeable = False
            self._A = A
        return self._A

    def row(self, i: int) -> np.ndarray:
        """Row ``i``, dense over all columns."""
        v = np.zeros(self.n_cols)
        v[self.row_idx[i]] = self.row_val[i]
        return v

    def set_objective(self, coefs: np.ndarray, maximize: bool) -> None:
        self.obj = np.asarray(coefs, dtype=float)
        self.maximize = maximize

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @property
    def lb(self) -> np.ndarray:
        if len(self.col_lb) == 1:
            return self.col_lb[0]
        return np.concatenate(self.col_lb) if self.col_lb else np.zeros(0)

    @property
    def ub(self) -> np.ndarray:
        if len(self.col_ub) == 1:
            return self.col_ub[0]
        return np.concatenate(self.col_ub) if self.col_ub else np.zeros(0)

    @property
    def integrality(self) -> np.ndarray:
        return np.concatenate(self.col_int) if self.col_int else np.zeros(0, dtype=bool)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows in compressed-row form: (start, column index, value)."""
        if self._csr is None:
            lengths = np.fromiter(map(len, self.row_idx), dtype=np.int64, count=self.n_rows)
            start = np.zeros(self.n_rows + 1, dtype=np.int32)
            np.cumsum(lengths, out=start[1:])
            index = np.concatenate(self.row_idx).astype(np.int32) if self.n_rows else np.zeros(0, np.int32)
            value = np.concatenate(self.row_val) if self.n_rows else np.zeros(0)
            self._csr = (start, index, value)
        elif self._stale:  # new values in some rows: a new value array (one handed out before stays as it was)
            start, index, value = self._csr
            value = value.copy()
            for i in self._stale:
                value[start[i]:start[i + 1]] = self.row_val[i]
            self._csr = (start, index, value)
        self._stale = None
        return self._csr

    # ---------------------------------------------------------------- solving
    def _highs_arrays(self):
        """Costs, column bounds, row bounds (±inf as HiGHS's infinity) and the sense, as HiGHS takes them."""
        import highspy

        inf = highspy.kHighsInf
        lo, hi = np.asarray(self.row_lo, dtype=float), np.asarray(self.row_hi, dtype=float)
        cost = np.asarray(self.obj, dtype=float) if self.obj is not None else np.zeros(self.n_cols)
        sense = highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize
        return cost, self.lb, np.minimum(self.ub, inf), np.maximum(lo, -inf), np.minimum(hi, inf), sense

    def to_highs_lp(self):
        """The program as a ``HighsLp`` object (see :meth:`pass_to` for the fast hand-over)."""
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_ = self.n_cols
        lp.num_row_ = self.n_rows
        lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_, lp.sense_ = self._highs_arrays()
        start, index, value = self.csr()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = self.n_cols
        lp.a_matrix_.num_row_ = self.n_rows
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        if self.is_mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                               for b in self.integrality]
        return lp

    def pass_to(self, h) -> None:
        """Hand this program to HiGHS instance ``h`` in one call on the arrays themselves (a ``HighsLp``
        object copies its matrix element by element: ≈ 1 ms for the baseline, here ≈ 0.15 ms)."""
        import highspy

        start, index, value = self.csr()
        cost, lb, ub, lo, hi, sense = self._highs_arrays()
        h.passModel(self.n_cols, self.n_rows, int(start[-1]), int(highspy.MatrixFormat.kRowwise), int(sense), 0.0,
                    cost, lb, ub, lo, hi, start[:-1], index, value, self.integrality.astype(np.int32))

    def check_finite(self, rows=None) -> None:
        """Refuse to hand the solver a NaN or an infinity where a number must be finite.

        Costs and coefficients must be finite; bounds may be ±inf only on their own side (a
        column's upper bound, a row's open side) and a finite bound must stay below HiGHS's
        infinity (1e20), or HiGHS would silently drop it.  Validation keeps every scenario
        number finite and bounded, so this never fires on a valid scenario: it is the last
        guard against a model that would make HiGHS spin or lie.  ``rows``: only these rows'
        coefficients are looked at (the others were looked at when they were handed over)."""
        problems = []
        if self.obj is not None and not np.isfinite(self.obj).all():
            problems.append(("objective", self.col_names[int(np.flatnonzero(~np.isfinite(self.obj))[0])]))
        if rows is None:
            start, index, value = self.csr()
            bad = ~np.isfinite(value)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                r = int(np.searchsorted(start, k, side="right")) - 1
                problems.append((f"row {self.row_names[r]}", self.col_names[index[k]]))
        else:
            for r in rows:
                bad = ~np.isfinite(self.row_val[r])
                if bad.any():
                    problems.append((f"row {self.row_names[r]}", self.col_names[self.row_idx[r][np.argmax(bad)]]))
                    break
        lb, ub = self.lb, self.ub
        bad = np.isnan(lb) | np.isnan(ub) | (lb == INF) | (ub == -INF) | _huge(lb) | _huge(ub)
        if bad.any():
            problems.append(("column bounds", self.col_names[int(np.flatnonzero(bad)[0])]))
        lo, hi = np.asarray(self.row_lo, dtype=float), np.asarray(self.row_hi, dtype=float)
        bad = np.isnan(lo) | np.isnan(hi) | (lo == INF) | (hi == -INF) | _huge(lo) | _huge(hi)
        if bad.any():
            problems.append(("row bounds", self.row_names[int(np.flatnonzero(bad)[0])]))
        if problems:
            where = "; ".join(f"{what} at {name}" for what, name in problems)
            raise NonFiniteModelError(f"the model holds a number that is not finite or too large for the solver "
                                      f"({where}); no solve was started")

    def solve(self, solver: str = "highs", time_limit: float | None = None,
              mip_rel_gap: float = 1e-4) -> LPSolution:
        """Solve with ``solver`` within ``time_limit`` seconds (default :data:`DEFAULT_TIME_LIMIT`)."""
        self.check_finite()
        time_limit = time_limit_or_default(time_limit)
        if solver == "highs":
            return self._solve_highs(time_limit, mip_rel_gap)
        if solver == "cbc":
            return self._solve_pulp(time_limit, mip_rel_gap)
        raise ValueError(f"unknown solver {solver!r}; allowed: highs, cbc")

    def _solve_highs(self, time_limit, mip_rel_gap) -> LPSolution:

        h = new_highs()
        h.setOptionValue("time_limit", float(time_limit))
        if self.is_mip:
            h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        self.pass_to(h)
        t0 = time.perf_counter()
        h.run()
        sol = read_highs_solution(h, time.perf_counter() - t0, self.is_mip)
        return rerun_on_trouble(h, sol, self.is_mip, float(time_limit))

    def _solve_pulp(self, time_limit, mip_rel_gap) -> LPSolution:
        import pulp

        prob, cols, row_cons = self._build_pulp()
        # the same tight dual tolerance as HiGHS (see new_highs)
        opts = dict(msg=False, timeLimit=None if np.isinf(time_limit) else time_limit,
                    gapRel=mip_rel_gap if self.is_mip else None, options=["dualTolerance 1e-10"])
        with warnings.catch_warnings():
            # PuLP 3.3 flags its bundled CBC as deprecated; it is still the CBC that ships with it
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.COIN_CMD(**opts)
            if not solver.available():
                solver = pulp.PULP_CBC_CMD(**opts)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            prob.solve(solver)
        seconds = time.perf_counter() - t0
        status = {pulp.LpStatusOptimal: "optimal", pulp.LpStatusInfeasible: "infeasible",
                  pulp.LpStatusUnbounded: "unbounded"}.get(prob.status, "error")
        if status == "optimal" and prob.sol_status != pulp.LpSolutionOptimal and seconds >= 0.95 * time_limit:
            status = "time_limit"  # CBC stopped at the limit with a plan it could not prove optimal
        elif status == "error" and seconds >= 0.95 * time_limit:
            status = "time_limit"
        if status != "optimal":
            return LPSolution(status=status, solve_seconds=seconds, solver="cbc", is_mip=self.is_mip,
                              message=pulp.LpStatus.get(prob.status, "?"))
        x = np.array([v.varValue or 0.0 for v in cols])
        start, index, value = self.csr()
        activity = np.bincount(np.repeat(np.arange(self.n_rows), np.diff(start)), weights=value * x[index],
                               minlength=self.n_rows)
        duals = None if self.is_mip else np.array(
            [sum(c.pi for c in cs if c.pi is not None) for cs in row_cons])
        col_dual = None if self.is_mip else np.array([v.dj if v.dj is not None else np.nan for v in cols])
        obj = float(self.obj @ x) if self.obj is not None else 0.0
        return LPSolution("optimal", obj, x, activity, duals, col_dual, seconds, "cbc", self.is_mip)

    # ---------------------------------------------------------------- audit
    def to_pulp(self):
        """The same problem as a named PuLP model: (problem, columns in order)."""
        prob, cols, _ = self._build_pulp()
        return prob, cols

    def _build_pulp(self):
        import pulp

        sense = pulp.LpMaximize if self.maximize else pulp.LpMinimize
        prob = pulp.LpProblem("budgetsim", sense)
        lb, ub, integ = self.lb, self.ub, self.integrality
        cols = [prob.add_variable(name, lowBound=float(lb[i]),
                                  upBound=None if np.isinf(ub[i]) else float(ub[i]),
                                  cat=pulp.LpInteger if integ[i] else pulp.LpContinuous)
                for i, name in enumerate(self.col_names)]
        if self.obj is not None:
            nz = np.flatnonzero(self.obj)
            prob.setObjective(pulp.LpAffineExpression([(cols[i], float(self.obj[i])) for i in nz]))
        row_cons = []
        for name, idx, val, lo, hi in zip(self.row_names, self.row_idx, self.row_val, self.row_lo, self.row_hi):
            expr = pulp.LpAffineExpression([(cols[i], float(v)) for i, v in zip(idx, val)])
            made = []
            if lo == hi:
                made.append((pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=lo), name))
            else:
                if not np.isinf(lo):
                    made.append((pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=lo),
                                 name if np.isinf(hi) else f"{name}__lo"))
                if not np.isinf(hi):
                    made.append((pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=hi),
                                 name if np.isinf(lo) else f"{name}__hi"))
            for con, cname in made:
                prob.addConstraint(con, cname)
            row_cons.append([con for con, _ in made])
        return prob, cols, row_cons

    def write(self, path: str) -> None:
        """Write the model as ``.lp`` or ``.mps`` (by extension) for audit."""
        prob, _ = self.to_pulp()
        if path.endswith(".mps"):
            prob.writeMPS(path)
        else:
            prob.writeLP(path)


def _huge(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v) & (np.abs(v) >= HIGHS_INF)


# Other ways to run a program on which HiGHS's default simplex ends without a definite answer
# (model status Unknown or Not Set: numerical trouble on badly scaled numbers, e.g. a curve whose
# outputs are 10⁻⁸ of the others): without scaling, then the interior-point method.
TROUBLE_OPTIONS = ({"simplex_scale_strategy": 0}, {"solver": "ipm"})


def rerun_on_trouble(h, sol: LPSolution, is_mip: bool, time_limit: float) -> LPSolution:
    """``sol`` itself when definite (optimal, infeasible, time limit, unbounded); else the first
    definite answer of :data:`TROUBLE_OPTIONS`, each run from scratch within what is left of
    ``time_limit``.  The instance's options are restored afterwards."""
    spent = sol.solve_seconds
    for opts in TROUBLE_OPTIONS:
        if sol.status != "error" or is_mip or spent >= time_limit:
            break
        before = {k: _option(h, k) for k in opts}
        for k, v in opts.items():
            h.setOptionValue(k, v)
        h.setOptionValue("time_limit", h.getRunTime() + max(time_limit - spent, 0.0))
        h.clearSolver()
        t0 = time.perf_counter()
        h.run()
        spent += time.perf_counter() - t0
        sol = read_highs_solution(h, spent, is_mip)
        for k, v in before.items():
            h.setOptionValue(k, v)
    return sol


def _option(h, name: str):
    """An option's value (some highspy versions answer (status, value))."""
    v = h.getOptionValue(name)
    return v[1] if isinstance(v, tuple) else v


def read_highs_duals(h) -> tuple[np.ndarray, np.ndarray]:
    """(row duals, column duals) of the LP solution ``h`` holds."""
    sol = h.getSolution()
    return np.array(sol.row_dual), np.array(sol.col_dual)


def read_highs_solution(h, seconds: float, is_mip: bool, duals: bool = True) -> LPSolution:
    """What ``h`` ended on; ``duals=False`` leaves an LP's duals unread (None: intermediate passes
    need the plan only; :func:`read_highs_duals` reads them later, while ``h`` still holds them)."""
    import highspy

    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    if status == S.kOptimal:
        sol = h.getSolution()
        info = h.getInfo()
        return LPSolution(
            "optimal", float(info.objective_function_value), np.array(sol.col_value),
            np.array(sol.row_value), None if is_mip or not duals else np.array(sol.row_dual),
            None if is_mip or not duals else np.array(sol.col_dual), seconds, "highs", is_mip)
    if status in (S.kInfeasible, S.kUnboundedOrInfeasible):
        return LPSolution("infeasible", solve_seconds=seconds, is_mip=is_mip, message=h.modelStatusToString(status))
    if status == S.kUnbounded:
        return LPSolution("unbounded", solve_seconds=seconds, is_mip=is_mip, message=h.modelStatusToString(status))
    if status == S.kTimeLimit:
        return LPSolution("time_limit", solve_seconds=seconds, is_mip=is_mip, message=h.modelStatusToString(status))
    return LPSolution("error", solve_seconds=seconds, is_mip=is_mip, message=h.modelStatusToString(status))
