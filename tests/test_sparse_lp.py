"""The linear program keeps its rows sparse: the solver's form, the dense view and row edits agree."""

from __future__ import annotations

import numpy as np
import pytest

from budgetsim.model.lp import LinearProgram


def _lp() -> LinearProgram:
    lp = LinearProgram()
    lp.add_cols(["a", "b", "c", "d"], 0.0, 10.0)
    lp.add_row("r0", np.array([1.0, 0.0, 2.0, 0.0]), hi=8.0)
    lp.add_sparse_row("r1", np.array([1, 3]), np.array([1.0, -1.0]), lo=0.0)
    lp.add_sparse_rows(["r2", "r3"], np.array([[0, 1], [2, 3]]), np.array([[1.0, 1.0], [3.0, 1.0]]), 1.0, [5.0, 9.0])
    lp.set_objective(np.array([1.0, 1.0, 1.0, 1.0]), True)
    return lp


def test_csr_dense_and_rows_agree():
    lp = _lp()
    dense = np.array([[1, 0, 2, 0], [0, 1, 0, -1], [1, 1, 0, 0], [0, 0, 3, 1]], dtype=float)
    np.testing.assert_array_equal(lp.A, dense)
    start, index, value = lp.csr()
    assert list(start) == [0, 2, 4, 6, 8] and list(index) == [0, 2, 1, 3, 0, 1, 2, 3]
    np.testing.assert_array_equal(lp.row(3), dense[3])
    assert lp.row_lo == [-np.inf, 0.0, 1.0, 1.0] and lp.row_hi == [8.0, np.inf, 5.0, 9.0]
    with pytest.raises(ValueError):
        lp.A[0, 0] = 5.0  # the dense view is read-only: rows change through the program


def test_row_edits_and_copies():
    lp = _lp()
    held = lp.row_idx[0]
    lp.set_row(0, np.array([4.0, 0.0, 5.0, 0.0]))
    assert lp.row_idx[0] is held  # the same columns keep their index array (sessions compare numbers only)
    lp.set_coefs(1, [2, 3], [7.0, 0.0])  # a new entry, and one removed
    np.testing.assert_array_equal(lp.row(1), [0.0, 1.0, 7.0, 0.0])
    twin = lp.copy()
    lp.set_values(2, np.array([2.0, 2.0]))
    np.testing.assert_array_equal(twin.row(2), [1.0, 1.0, 0.0, 0.0])  # the copy keeps its own numbers
    np.testing.assert_array_equal(lp.A[2], [2.0, 2.0, 0.0, 0.0])  # the view follows the edit
    with pytest.raises(ValueError):
        lp.set_values(2, np.array([1.0]))


def _fresh_csr(lp: LinearProgram) -> tuple:
    twin = LinearProgram(col_names=list(lp.col_names), col_lb=[lp.lb], col_ub=[lp.ub], col_int=[lp.integrality],
                         row_names=list(lp.row_names), row_lo=list(lp.row_lo), row_hi=list(lp.row_hi),
                         row_idx=list(lp.row_idx), row_val=list(lp.row_val), n_cols=lp.n_cols)
    return twin.csr()


def test_compressed_rows_follow_value_edits_and_keep_what_was_handed_out():
    """After a value edit (same columns) only that row's values are written again into a new value
    array; the arrays handed out before (to HiGHS, to a copy) keep the numbers they had."""
    lp = _lp()
    before = lp.csr()
    twin = lp.copy()
    lp.set_values(2, np.array([2.0, 5.0]))
    lp.set_row(0, np.array([4.0, 0.0, 6.0, 0.0]))  # same columns: a value edit
    after = lp.csr()
    assert after[1] is before[1]  # the structure is kept
    for got, want in zip(after, _fresh_csr(lp)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(before[2], [1, 2, 1, -1, 1, 1, 3, 1])
    for got, want in zip(twin.csr(), before):
        np.testing.assert_array_equal(got, want)
    lp.set_values(3, np.array([9.0, 9.0]))
    copy = lp.copy()  # a copy made with an edit pending sees the edit
    np.testing.assert_array_equal(copy.csr()[2], _fresh_csr(lp)[2])
    lp.set_row(1, np.array([0.0, 1.0, 1.0, 0.0]))  # other columns: the structure is made again
    for got, want in zip(lp.csr(), _fresh_csr(lp)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(lp.A[1], [0.0, 1.0, 1.0, 0.0])


def test_sparse_rows_solve_like_dense_ones():
    sol = _lp().solve("highs")
    assert sol.ok
    cbc = _lp().solve("cbc")
    assert cbc.ok and cbc.objective == pytest.approx(sol.objective, rel=1e-7)  # CBC writes 8 digits
    np.testing.assert_allclose(cbc.row_activity, _lp().A @ cbc.x, atol=1e-9)


def test_a_nan_in_a_row_is_refused_before_the_solver():
    from budgetsim.exceptions import NonFiniteModelError

    lp = _lp()
    lp.set_values(3, np.array([np.nan, 1.0]))
    with pytest.raises(NonFiniteModelError, match="row r3"):
        lp.solve("highs")
