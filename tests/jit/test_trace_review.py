"""Adversarial cases for trace(): where a traced function could differ from eager.

Each test names its oracle: the same function run eagerly (a fresh graph per call), a
closed form, or central differences in float64 (``check.numerical_grad``).
"""

import warnings

import numpy as np
import pytest
import tinygrad_edu.functional as F

from tinygrad_edu import Value, grad, jacobian
from tinygrad_edu.check import numerical_grad
from tinygrad_edu.jit import TraceWarning, trace


def test_grad_with_respect_to_a_value_argument_is_not_zero():
    # Oracle: closed form d/dx Σ sin(w·x) = w·cos(w·x). The recorded graph used to hold a
    # placeholder for x, so grad(out, x) (the general engine) found no path: zeros.
    w = Value(np.array([1.0, 2.0]))
    traced = trace(lambda x: (w * x).sin().sum())
    for scale in (1.0, 2.0, 3.0):  # recording, first replay, compiled replay
        x = Value(np.array([0.5, 1.5]) * scale)
        gw, gx = grad(traced(x), [w, x])
        np.testing.assert_allclose(gx.data, w.data * np.cos(w.data * x.data), rtol=1e-12)
        np.testing.assert_allclose(gw.data, x.data * np.cos(w.data * x.data), rtol=1e-12)


def test_jacobian_of_a_traced_function():
    # Oracle: central differences in float64 on the plain NumPy function.
    traced = trace(lambda v: (v * v).tanh() * 3.0)
    for x in (np.array([0.3, -0.7]), np.array([1.1, 0.2])):
        expected = np.stack([numerical_grad(lambda v, j=j: ((v * v).tanh() * 3.0)[j], [x])[0]
                             for j in range(2)])
        np.testing.assert_allclose(jacobian(traced, x), expected, rtol=1e-6, atol=1e-8)


def test_hook_on_a_value_argument_sees_its_gradient():
    # Oracle: closed form d/dx Σ x² = 2x, for each call's own x.
    traced = trace(lambda x: (x * x).sum())
    for data in (np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 4.0])):
        x = Value(data)
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(np.array(g)))
        traced(x).backward()
        np.testing.assert_array_equal(seen[0], 2 * data)
        np.testing.assert_array_equal(x.grad, 2 * data)


def test_comparing_a_value_while_recording_warns():
    # Oracle: the eager function. A comparison gives NumPy booleans, so a traced
    # `if x > 0` is fixed at recording: replays give x·0.5 where eager gives x·2.
    # That cannot be replayed correctly; it must at least warn (it was silent).
    def fn(x):
        return x * 2.0 if x > 0 else x * 0.5

    traced = trace(fn)
    with pytest.warns(TraceWarning, match="compared"):
        traced(Value(-1.0))
    assert fn(Value(3.0)).item() == 6.0  # eager: the other branch
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # replays run no Python: no new warning
        assert traced(Value(3.0)).item() == 1.5  # the recorded branch, as documented


def test_where_mask_from_a_comparison_warns():
    # Oracle: as above; F.where(x > 0, ...) freezes the mask made on the first call.
    traced = trace(lambda x: F.where(x > 0, x, 0.0).sum())
    with pytest.warns(TraceWarning, match="compared"):
        traced(np.array([1.0, -1.0]))
