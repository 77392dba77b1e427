"""numerical_grad, gradcheck and gradgradcheck: they pass right rules, catch wrong
ones, and tell kinks from bugs. Oracles: closed-form derivatives."""

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu.check import (
    GradcheckError,
    KinkWarning,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)


def test_numerical_grad_matches_closed_form():
    x = np.array([0.3, -1.2, 2.0])
    (g,) = numerical_grad(lambda v: (v.sin() * v).sum(), [x])
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), atol=1e-9)


def test_numerical_grad_with_projection_for_tensor_outputs():
    x = np.array([1.0, 2.0])
    p = np.array([0.5, -1.0])
    (g,) = numerical_grad(lambda v: v**2.0, [x], projection=p)
    np.testing.assert_allclose(g, 2 * x * p, atol=1e-9)


def test_numerical_grad_is_float64_even_for_float32_inputs():
    (g,) = numerical_grad(lambda v: (v * v).sum(), [np.array([1.0, 3.0], dtype=np.float32)])
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [2.0, 6.0], atol=1e-8)


def test_gradcheck_message_names_input_element_values_and_error():
    def sloppy(x, y):
        # wrong on purpose: treats y as a constant in the second term (true d/dy = 2y + x)
        return (y * y + x * y.detach()).sum()

    with pytest.raises(GradcheckError) as info:
        gradcheck(sloppy, [np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    message = str(info.value)
    assert "input 1, element (0,)" in message
    assert "analytic 6" in message and "numerical 7" in message  # 2·3 vs 2·3 + 1
    assert "relative error" in message and "2 element(s) differ" in message


def test_relu_at_zero_is_reported_as_a_kink_not_a_failure():
    with pytest.warns(KinkWarning, match=r"relu \(x = 0"):
        assert gradcheck(lambda x: x.relu().sum(), [np.array([0.0, 1.0])])


def test_maximum_tie_is_reported_as_a_kink():
    with pytest.warns(KinkWarning, match="maximum"):
        assert gradcheck(lambda x, y: x.maximum(y).sum(), [np.array([1.0]), np.array([1.0])])


def test_a_real_bug_next_to_a_smooth_relu_still_fails():
    def bug(x):
        return x.relu().sum() + (x * x.detach()).sum()  # relu far from its kink

    with pytest.raises(GradcheckError):
        gradcheck(bug, [np.array([1.0, 2.0])])


def test_gradgradcheck_passes_smooth_composites():
    assert gradgradcheck(lambda x, y: (x.tanh() * y.exp()).sum(), [np.array([0.2, -0.7]),
                                                                   np.array([0.1, 0.4])])


def test_gradgradcheck_catches_a_wrong_second_derivative():
    def cube_linearized(x):
        # x³ as a first-order Taylor step around a detached copy: value x³ and first
        # derivative 3x² are right, the second derivative is 0 instead of 6x
        c = x.detach()
        return (c**3.0 + 3.0 * c**2.0 * (x - c)).sum()

    x0 = [np.array([1.5, -0.5])]
    assert gradcheck(cube_linearized, x0)
    with pytest.raises(GradcheckError, match="analytic 0, numerical"):
        gradgradcheck(cube_linearized, x0)


def test_gradcheck_requires_a_value_output():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [np.ones(2)])


def test_gradcheck_accepts_values_as_inputs():
    assert gradcheck(lambda x: (x * x).sum(), [Value(np.array([1.0, 2.0]))])
