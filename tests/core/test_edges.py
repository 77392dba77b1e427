"""Issue 11's reproducers at the edges of the domain: limits, kinks, ties, NaN, huge logits.

Expected values are closed forms (limits worked out by hand) or what PyTorch 2.13
answers (quoted in each test); docs/conventions.md is the table these tests pin.
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value, losses
from tinygrad_edu import functional as F


def _grad_of(f, x):
    v = Value(x)
    f(v).backward()
    return v.grad


# ------------------------------------------------------------------ powers
def test_x_to_the_zero_has_gradient_zero_at_zero():
    # d/dx x**0 = 0 everywhere (PyTorch: 0.0); the formula 0·0**−1 is nan
    assert _grad_of(lambda x: x ** 0.0, 0.0) == 0.0


def test_polynomial_with_constant_term_at_zero():
    # d/dx (3·x**0 + 2x + x²) = 2 + 2x = 2 at 0 (PyTorch: 2.0)
    assert _grad_of(lambda x: 3.0 * x ** 0.0 + 2.0 * x + x ** 2.0, 0.0) == 2.0


def test_array_exponents_including_zero():
    # Σⱼ x^j for j = 0, 1, 2: derivative 0 + 1 + 2x, at x = 0 and 1: [1, 3]
    g = _grad_of(lambda x: (x.reshape(2, 1) ** np.arange(3.0)).sum(), [0.0, 1.0])
    np.testing.assert_array_equal(g, [1.0, 3.0])


def test_zero_base_exponent_gradient_limits():
    # d/dy 0**y: PyTorch gives −inf for y < 0 and 0 for y ≥ 0
    g = _grad_of(lambda y: (0.0 ** y).sum(), [-2.0, -1.0, 0.0, 1.0, 2.5])
    np.testing.assert_array_equal(g, [-np.inf, -np.inf, 0.0, 0.0, 0.0])


def test_zero_base_scalar_exponent_gradient_limits():
    for y, expected in ((-1.0, -math.inf), (0.0, 0.0), (2.0, 0.0)):
        assert _grad_of(lambda v, y=y: Value(0.0, requires_grad=False) ** v, y) == expected


def test_zero_base_with_value_exponents_both_gradients():
    # PyTorch: x**e at x = 0, e = [−1, 0, 0.5, 2]: d/dx [−inf, 0, inf, 0], d/de [−inf, 0, 0, 0]
    x, e = Value(np.zeros(4)), Value([-1.0, 0.0, 0.5, 2.0])
    (x ** e).sum().backward()
    np.testing.assert_array_equal(x.grad, [-np.inf, 0.0, np.inf, 0.0])
    np.testing.assert_array_equal(e.grad, [-np.inf, 0.0, 0.0, 0.0])


def test_second_derivative_in_the_exponent_survives_at_zero_exponent():
    # d²/dx dy x**y at (x, y) = (2, 0): x^(y−1)·(1 + y ln x) = 1/2
    from tinygrad_edu import grad
    x, y = Value(2.0), Value(0.0)
    (dx,) = grad(x ** y, x, create_graph=True)
    (dxy,) = grad(dx, y)
    assert dxy.data == pytest.approx(0.5, rel=1e-12)


# ----------------------------------------------- masks select, never multiply
@pytest.mark.parametrize("make", [
    lambda x: x.relu().sqrt(),
    lambda x: x.clip(0.0, None).sqrt(),
    lambda x: x.maximum(0.0).sqrt(),
    lambda x: x.relu().log(),
    lambda x: F.where(x.data > 0, x, 0.0).sqrt(),
], ids=["relu-sqrt", "clip-sqrt", "maximum-sqrt", "relu-log", "where-sqrt"])
def test_zero_mask_times_infinite_upstream_is_zero(make):
    # at x = −1 the upstream is inf (sqrt'(0), log'(0)) and the mask is 0: PyTorch gives 0;
    # at x = 4: 1/(2√4) = 0.25 or 1/4
    g = _grad_of(lambda x: make(x).sum(), [-1.0, 4.0])
    assert g[0] == 0.0 and g[1] == pytest.approx(0.25)


def test_minimum_and_abs_and_max_select_too():
    # −minimum(x, 0) at x = 1 is flat; sqrt at 0 sends inf upstream: the answer is 0
    assert _grad_of(lambda x: (-x.minimum(0.0)).sqrt(), 1.0) == 0.0
    # |x| at 0 with upstream inf (sqrt'(0)): |x|'(0) = 0 by convention, so 0
    assert _grad_of(lambda x: x.abs().sqrt().sum(), [0.0])[0] == 0.0
    # max over [0, −1] is 0; the upstream is inf; the non-maximum gets exactly 0
    g = _grad_of(lambda x: x.max().sqrt(), [0.0, -1.0])
    assert g[1] == 0.0 and g[0] == np.inf


# ------------------------------------------------------------- NaN on scalars
@pytest.mark.parametrize("op", [
    lambda v: v.relu(), lambda v: v.clip(0.0, 1.0), lambda v: v.maximum(0.0),
    lambda v: v.minimum(0.0), lambda v: v.abs(), lambda v: F.maximum(0.0, v),
    lambda v: F.minimum(0.0, v),
], ids=["relu", "clip", "maximum", "minimum", "abs", "maximum-rev", "minimum-rev"])
def test_nan_propagates_on_the_scalar_path_as_on_the_tensor_path(op):
    scalar = op(Value(float("nan"))).data
    tensor = op(Value([float("nan")])).data
    assert math.isnan(scalar) and np.isnan(tensor[0])  # np.maximum/np.minimum propagate NaN


# --------------------------------------------------------------- ties and kinks
def test_relu_maximum_and_clip_agree_at_zero():
    # docs/conventions.md: one rule; relu'(0) = 0 (PyTorch's relu'(0) too)
    for f in (lambda x: x.relu(), lambda x: x.maximum(0.0), lambda x: x.clip(0.0, None),
              lambda x: F.maximum(x, 0.0)):
        assert _grad_of(f, 0.0) == 0.0
        np.testing.assert_array_equal(_grad_of(lambda x, f=f: f(x).sum(), [0.0, 2.0, -1.0]),
                                      [0.0, 1.0, 0.0])


def test_maximum_of_a_value_with_itself_keeps_the_whole_gradient():
    # maximum(x, x) = x: derivative 1 (the tie goes to the second operand, which is x)
    assert _grad_of(lambda x: F.maximum(x, x), 3.0) == 1.0
    assert _grad_of(lambda x: F.minimum(x, x), 3.0) == 1.0


def test_clip_bounds_and_minimum_ties():
    # clip at both bounds: the bound wins the tie, gradient 0 (HIPS autograd: 0; PyTorch: 1)
    np.testing.assert_array_equal(
        _grad_of(lambda x: x.clip(0.0, 1.0).sum(), [0.0, 0.5, 1.0]), [0.0, 1.0, 0.0])
    a, b = Value(2.0), Value(2.0)
    F.minimum(a, b).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)


# ------------------------------------------------------------ softmax family
def _exact_log_softmax(row):
    """In exact arithmetic via Python floats on the shifted row (the reference)."""
    row = [float(r) for r in row]
    m = max(row)
    total = math.fsum(math.exp(r - m) for r in row)
    return [r - m - math.log(total) for r in row]


@pytest.mark.parametrize("scale", [1e4, 1e10, 1e20, 1e30])
def test_cross_entropy_float32_huge_logits(scale):
    logits = np.array([[scale, scale, scale * (1 - 1e-7)]], np.float32)
    z = Value(logits)
    loss = losses.cross_entropy(z, [0])
    expected = -_exact_log_softmax(logits[0].astype(np.float64))[0]
    assert loss.data == pytest.approx(expected, rel=1e-6)
    loss.backward()
    p = np.exp(_exact_log_softmax(logits[0].astype(np.float64)))
    np.testing.assert_allclose(z.grad[0], p - [1.0, 0.0, 0.0], rtol=1e-5, atol=1e-7)


def test_cross_entropy_float32_near_1e4_is_exact():
    # the numbers: exact 0.861995 (the unshifted form gave 0.86230)
    z = Value(np.array([[1e4, 1e4, 1e4 - 1]], np.float32))
    assert losses.cross_entropy(z, [0]).data == pytest.approx(0.8619948, rel=1e-6)
    z = Value(np.array([[1e10, 1e10, 1e10 - 1]], np.float32))  # 1e10 − 1 rounds to 1e10
    assert losses.cross_entropy(z, [0]).data == pytest.approx(math.log(3), rel=1e-6)


@pytest.mark.parametrize("scale", [1.0, 1e16, 1e100, 1e300])
def test_float64_softmax_family_up_to_1e300(scale):
    row = np.array([scale, scale * (1 - 1e-15), -scale])
    x = Value(row)
    expected = np.array(_exact_log_softmax(row))
    np.testing.assert_allclose(x.log_softmax().data, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(x.softmax().data.sum(), 1.0, rtol=1e-12)
    lse = np.max(row) + math.log(math.fsum(math.exp(r - np.max(row)) for r in row))
    assert x.logsumexp().data == pytest.approx(lse, rel=1e-15)
    x.logsumexp().backward()  # the gradient of logsumexp is the softmax
    np.testing.assert_allclose(x.grad, np.exp(expected), rtol=1e-12, atol=1e-300)


def test_softmax_of_huge_negative_and_equal_rows():
    np.testing.assert_array_equal(Value([-1e308, -1e308]).softmax().data, [0.5, 0.5])
    np.testing.assert_allclose(Value(np.full((2, 4), 7.5, np.float32)).softmax().data, 0.25)
    np.testing.assert_allclose(Value([1e16, 1e16 + 2, 1e16 + 4]).softmax().data.sum(), 1.0)


def test_logsumexp_gradient_float32_1e30():
    x = Value(np.array([1e30, 1e30], np.float32))
    x.logsumexp().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5], rtol=1e-6)


# ------------------------------------------------------------------ axes on 0-d
@pytest.mark.parametrize("call", [
    lambda v: v.sum(axis=1), lambda v: v.sum(axis=0), lambda v: v.max(axis=0),
    lambda v: v.mean(axis=-1), lambda v: v.logsumexp(axis=0), lambda v: v.log_softmax(),
    lambda v: v.min(axis=0),
])
def test_an_axis_a_zero_d_value_lacks_raises(call):
    # NumPy: np.sum(np.float64(3.0), axis=1) raises AxisError; so does ours, as ShapeError
    with pytest.raises(ValueError, match="out of bounds"):
        call(Value(3.0))


def test_axis_none_and_empty_tuple_are_fine_on_zero_d():
    assert Value(3.0).sum().data == 3.0 and Value(3.0).sum(axis=()).data == 3.0
