"""NumPy functions on Values keep the graph or raise; lists of Values are stacked or refused.

Expected gradients are closed forms (each test says which).
"""

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu import functional as F


def _grad(f, x):
    v = Value(x)
    f(v).backward()
    return v.grad


def test_np_dot_keeps_the_graph():
    # issue 11: np.dot(Value, ndarray) was a plain ndarray; d/dx Σ (x·A) = row sums of A
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    out = np.dot(Value(np.ones(2)), a)
    assert isinstance(out, Value)
    np.testing.assert_array_equal(_grad(lambda x: np.dot(x, a).sum(), np.ones(2)), [3.0, 7.0])
    # 0-d operand: np.dot is multiplication; d/dx (x·3) = 3
    assert _grad(lambda x: np.dot(x, 3.0), 2.0) == 3.0


@pytest.mark.parametrize("f, expected", [
    (lambda x: np.exp(x).sum(), np.exp([0.5, 1.0])),                 # e^x
    (lambda x: np.sum(np.tanh(x)), 1 - np.tanh([0.5, 1.0]) ** 2),     # 1 − tanh²
    (lambda x: np.mean(x * x), np.array([0.5, 1.0])),                 # 2x/2
    (lambda x: np.sum(np.maximum(x, 0.75)), [0.0, 1.0]),              # [x > 0.75]
    (lambda x: np.sum(np.clip(x, 0.0, 0.75)), [1.0, 0.0]),            # inside the bounds
    (lambda x: np.max(x), [0.0, 1.0]),                                # the maximum
    (lambda x: np.sum(np.stack([x, 2 * x])), [3.0, 3.0]),             # 1 + 2
    (lambda x: np.sum(np.concatenate([x, x])), [2.0, 2.0]),
    (lambda x: np.sum(np.where(np.array([True, False]), x, 0.0)), [1.0, 0.0]),
    (lambda x: np.sum(np.ones((3, 2)) @ x), [3.0, 3.0]),              # ndarray @ Value
    (lambda x: np.sum(np.array([2.0, 3.0]) * x), [2.0, 3.0]),         # ndarray * Value
    (lambda x: np.sum(np.power(x, 2.0)), [1.0, 2.0]),                 # 2x
    (lambda x: np.add.reduce(x), [1.0, 1.0]),
    (lambda x: np.sum(np.reshape(x, (2, 1)) * np.transpose(np.ones((2, 1)))), [2.0, 2.0]),
])
def test_numpy_functions_are_differentiable(f, expected):
    np.testing.assert_allclose(_grad(f, [0.5, 1.0]), expected, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda v: np.sort(v), lambda v: np.fft.fft(v), lambda v: np.exp(v, out=np.zeros(2)),
    lambda v: np.sum(v, dtype=np.float32), lambda v: np.add.accumulate(v),
])
def test_numpy_functions_without_a_version_raise_naming_themselves(call):
    with pytest.raises(TypeError, match=r"numpy\.|not supported"):
        call(Value([1.0, 2.0]))


def test_comparisons_and_shape_functions_answer_on_the_data():
    v = Value([1.0, -2.0])
    np.testing.assert_array_equal(np.array([0.0, 0.0]) < v, [True, False])
    assert np.shape(v) == (2,) and np.argmax(v) == 0
    np.testing.assert_array_equal(np.isnan(v), [False, False])


def test_value_of_a_list_of_values_raises_instead_of_making_a_leaf():
    x = Value(1.0)
    with pytest.raises(TypeError, match="stack"):
        Value([x, x * 1.0])


def test_functions_stack_lists_of_values():
    # issue 11: F.mean([x, x + 2]) was a constant; d/dx mean(x, x + 2) = 1
    assert _grad(lambda x: F.mean([x, x + 2.0]), 1.0) == 1.0
    # an op given a list holding Values stacks it: d/dx Σ([x, 2x] + x) = 1 + 2 + 2 = 5
    assert _grad(lambda x: ([x, 2.0 * x] + x).sum(), 1.0) == 5.0
    # nested lists too: d/dx Σ [[x, 1], [x², 0]] = 1 + 2x = 3 at 1
    assert _grad(lambda x: F.sum([[x, 1.0], [x * x, 0.0]]), 1.0) == 3.0


def test_numpy_refuses_to_turn_a_value_that_needs_a_gradient_into_an_array():
    # a list of Values given to NumPy itself would become floats, the graph dropped
    x = Value(1.0)
    with pytest.raises(TypeError, match="stack"):
        [x, 2.0 * x] * np.ones(2)
    with pytest.raises(TypeError, match="v.data"):
        np.asarray(Value([1.0, 2.0]))
    # constants convert, as do Values under no_grad (nothing is recorded there)
    np.testing.assert_array_equal(np.asarray(Value([1.0, 2.0], requires_grad=False)), [1, 2])
    from tinygrad_edu import no_grad
    with no_grad():
        np.testing.assert_array_equal(np.asarray(Value([1.0, 2.0])), [1.0, 2.0])
