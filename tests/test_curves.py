import numpy as np
import pytest

from budgetsim.model.curves import Hill, Log, Power, SaturatingExp, initial_breakpoints, make_curve, zoned_breakpoints

CURVES = [SaturatingExp(max=100, scale=5000), Power(coef=50, exponent=0.6), Log(coef=10, scale=2000),
          Hill(max=80, half=3000, n=0.8)]


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.kind)
def test_slope_matches_finite_difference(curve):
    e = np.array([100.0, 1000.0, 10000.0, 50000.0])
    h = 1e-3
    fd = (curve.value(e + h) - curve.value(e - h)) / (2 * h)
    assert np.allclose(curve.slope(e), fd, rtol=1e-5)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.kind)
def test_chords_decrease_for_concave_curves(curve):
    bp = initial_breakpoints(80000.0)
    chords = curve.chords(bp)
    assert curve.concave
    assert np.all(np.diff(chords) <= 1e-12)


def test_s_shaped_hill_is_not_concave():
    assert not Hill(max=1, half=1, n=2).concave
    assert not Power(coef=1, exponent=1.5).concave


def test_value_is_vectorised_over_draws():
    c = SaturatingExp(max=100, scale=5000)
    e = np.full((3, 4, 7), 5000.0)
    assert c.value(e).shape == (3, 4, 7)
    assert np.allclose(c.value(e), 100 * (1 - np.exp(-1)))


def test_make_curve_by_name():
    assert make_curve("log", coef=2, scale=3) == Log(coef=2, scale=3)


def test_geometric_grid_keeps_relative_chord_error_small():
    c = Power(coef=1.0, exponent=0.5)
    bp = initial_breakpoints(1e5)
    mid = np.sqrt(bp[1:-1] * bp[2:])
    # interpolant between breakpoints vs the curve
    interp = np.interp(mid, bp, c.value(bp))
    rel = (c.value(mid) - interp) / c.value(mid)
    assert rel.max() < 2e-3


@pytest.mark.parametrize("center", [0.0, 100.0, 12345.0, 99999.0, 1e5, 2e5])
def test_zoned_grid_keeps_its_size_and_order_wherever_the_zone_goes(center):
    bp = initial_breakpoints(1e5)
    new = zoned_breakpoints(bp, center)
    assert len(new) == len(initial_breakpoints(1e5)) + 13
    assert np.all(np.diff(new) > 0)
    assert new[0] == 0 and new[-1] >= bp[-1]
    if 0 < center < 1e5:
        assert np.any(np.isclose(new, center, rtol=1e-6))
        near = new[(new > 0.9 * center) & (new < 1.1 * center)]
        assert len(near) >= 9  # the fine zone
