"""The rest of HIPS autograd's elementwise functions, composites of rows: deg2rad,
rad2deg (and their aliases), logaddexp2, fmax, fmin, sinc. Oracles are closed forms."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu import functional as F
from tinygrad_edu.core.transforms import grad


def gradient_of(fn, x, *rest):
    v = Value(np.asarray(x, dtype=float))
    fn(v, *rest).sum().backward()
    return v.grad


@pytest.mark.parametrize("name, factor", [("deg2rad", math.pi / 180), ("radians", math.pi / 180),
                                          ("rad2deg", 180 / math.pi),
                                          ("degrees", 180 / math.pi)])
def test_angle_conversions_are_constant_multiples(name, factor):
    x = np.array([-90.0, 0.0, 45.0, 720.0])
    out = getattr(np, name)(Value(x))           # np.xxx on a Value dispatches here
    np.testing.assert_allclose(out.data, getattr(np, name)(x), rtol=1e-15)
    np.testing.assert_allclose(gradient_of(getattr(F, name), x), np.full(4, factor),
                               rtol=1e-15)


def test_logaddexp2_value_gradient_and_large_arguments():
    x, y = np.array([3.0, -2.0, 1000.0, -1e4]), np.array([3.0, 1.5, 999.0, -1e4])
    a, b = Value(x), Value(y)
    out = np.logaddexp2(a, b)
    np.testing.assert_allclose(out.data, np.logaddexp2(x, y), rtol=1e-14)
    out.sum().backward()
    share = 1.0 / (1.0 + 2.0 ** (y - x))       # 2^x / (2^x + 2^y)
    np.testing.assert_allclose(a.grad, share, rtol=1e-12)
    np.testing.assert_allclose(b.grad, 1.0 - share, rtol=1e-12)


@pytest.mark.parametrize("fn, np_fn", [(F.fmax, np.fmax), (F.fmin, np.fmin)])
def test_fmax_fmin_ignore_nan_and_send_the_gradient_to_the_number(fn, np_fn):
    x = np.array([1.0, np.nan, 5.0, np.nan, 2.0])
    y = np.array([2.0, 3.0, np.nan, np.nan, 2.0])
    a, b = Value(x), Value(y)
    out = np_fn(a, b)
    np.testing.assert_array_equal(out.data, np_fn(x, y))
    out.sum().backward()
    picks_x = np.where(np.isnan(y), 1.0, np.where(np.isnan(x), 0.0,
                                                  (np_fn(x, y) == x) & (x != y)))
    # a tie (the last element) and NaN on both sides (the fourth) send the gradient to y,
    # as maximum's and minimum's ties do
    both = np.isnan(x) & np.isnan(y)
    np.testing.assert_array_equal(a.grad, np.where(both, 0.0, picks_x))
    np.testing.assert_array_equal(b.grad, np.where(both, 1.0,
                                                   np.where(np.isnan(y), 0.0, 1.0 - picks_x)))


def _sinc_derivative(x):
    """(cos(πx) − sinc(x))/x away from 0; the series −π²x/3 + π⁴x³/30 − π⁶x⁵/840 near it."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        far = (np.cos(np.pi * x) - np.sinc(x)) / x
    near = -np.pi ** 2 * x / 3 + np.pi ** 4 * x ** 3 / 30 - np.pi ** 6 * x ** 5 / 840
    return np.where(np.abs(x) < 1e-2, near, far)


def test_sinc_value_and_gradient_from_zero_to_far():
    x = np.array([0.0, 1e-12, -1e-8, 1e-5, 5e-4, -9.9e-4, 1e-3, 2e-3, 0.5, -1.3, 2.7, 3.0])
    out = np.sinc(Value(x))
    np.testing.assert_allclose(out.data, np.sinc(x), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(gradient_of(F.sinc, x), _sinc_derivative(x), rtol=1e-9,
                               atol=1e-300)


def test_sinc_second_derivative_at_zero_is_minus_pi_squared_over_three():
    x = Value(0.0)
    (first,) = grad(F.sinc(x), [x], create_graph=True)
    (second,) = grad(first, [x])
    assert first.data == 0.0
    assert np.asarray(getattr(second, "data", second)) == pytest.approx(-np.pi ** 2 / 3,
                                                                        rel=1e-12)


def test_every_hips_function_we_lack_has_a_reason():
    pytest.importorskip("autograd")
    path = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "hips_coverage.py"
    spec = importlib.util.spec_from_file_location("hips_coverage", path)
    coverage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coverage)
    have = coverage.ours()
    unexplained = [n for n in coverage.hips_functions() if n not in have
                   and n not in coverage.REASONS]
    assert unexplained == []
