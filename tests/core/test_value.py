"""Value: data kinds, constructors, operators, errors.

Expected values are closed forms (d/dx of simple expressions) or NumPy itself for
forward results.
"""

import math

import numpy as np
import pytest

from tinygrad_edu import ShapeError, Value
from tinygrad_edu import functional as F


def test_scalars_hold_python_floats():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    y = v * 2 + 1
    assert type(y.data) is float
    y.backward()
    assert type(v.grad) is float and v.grad == 2.0


def test_zero_d_array_becomes_a_float():
    assert type(Value(np.array(2.5)).data) is float
    assert type(Value(np.float32(2.5)).data) is float


def test_tensors_are_float64_unless_float32():
    assert Value([1, 2, 3]).data.dtype == np.float64
    assert Value(np.arange(3)).data.dtype == np.float64
    v32 = Value(np.ones(3, dtype=np.float32))
    assert v32.data.dtype == np.float32
    (v32 * 2.0).sum().backward()
    assert v32.grad.dtype == np.float32


def test_constructor_copies_its_input():
    a = np.ones(3)
    v = Value(a)
    a[0] = 5.0
    assert v.data[0] == 1.0


def test_attributes_and_conversions():
    v = Value([[1.0, 2.0], [3.0, 4.0]], name="W")
    assert v.shape == (2, 2) and v.ndim == 2 and v.size == 4 and v.name == "W"
    assert isinstance(v.numpy(), np.ndarray) and v.numpy() is not v.data
    assert float(Value(2.0)) == 2.0 and Value([7.0]).item() == 7.0
    with pytest.raises(ValueError, match="item: only one-element"):
        v.item()
    d = v.detach()
    assert not d.requires_grad and d.is_leaf and np.array_equal(d.data, v.data)


def test_repr_is_readable():
    assert repr(Value(0.5, name="w")) == "Value(0.5, grad=None, name='w')"
    r = repr(Value([1.0, 2.0]) * 2)
    assert "shape=(2,)" in r and "op=mul" in r


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], {"x": 1}, None, 1 + 2j])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Value"):
        Value(bad)


def test_non_numeric_operand_names_the_op():
    with pytest.raises(TypeError, match="mul"):
        Value(1.0) * "x"


def test_shape_errors_name_op_and_shapes():
    with pytest.raises(ShapeError, match=r"matmul: cannot multiply shapes \(2, 3\) and \(2, 1\)"):
        Value(np.ones((2, 3))) @ Value(np.ones((2, 1)))
    with pytest.raises(ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        Value(np.ones((2, 3))) + np.ones(4)
    with pytest.raises(ShapeError, match=r"reshape: cannot reshape shape \(2, 3\) into \(4,\)"):
        Value(np.ones((2, 3))).reshape(4)
    with pytest.raises(ShapeError, match=r"sum: axis 2 is out of bounds.*\(2, 3\)"):
        Value(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ShapeError, match=r"getitem: index .* shape \(2,\)"):
        Value([1.0, 2.0])[5]


def test_a_failed_op_records_nothing():
    x = Value(np.ones((2, 3)))
    with pytest.raises(ShapeError):
        x @ np.ones((2, 2))
    assert x.grad is None and x.is_leaf


@pytest.mark.parametrize(
    "expr, dx",
    [
        (lambda x: 2.0 + x, 1.0),
        (lambda x: 2.0 - x, -1.0),
        (lambda x: 2.0 * x, 2.0),
        (lambda x: 2.0 / x, -2.0 / 1.5**2),
        (lambda x: 2.0**x, 2.0**1.5 * math.log(2.0)),
        (lambda x: x**2, 3.0),
        (lambda x: -x, -1.0),
        (lambda x: abs(-x), 1.0),
    ],
)
def test_reflected_operators(expr, dx):
    """Closed-form derivatives at x = 1.5."""
    x = Value(1.5)
    expr(x).backward()
    assert x.grad == pytest.approx(dx, rel=1e-14)


def test_numpy_arrays_on_the_left_defer_to_value():
    x = Value([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Value)
    z = np.eye(2) @ x
    assert isinstance(z, Value)
    (y.sum() + z.sum()).backward()
    np.testing.assert_array_equal(x.grad, [4.0, 5.0])


def test_broadcasting_gradients_sum_back_to_input_shape():
    a = Value(np.ones((2, 3)))
    b = Value(np.ones(3))
    c = Value(2.0)
    (a * b * c).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])  # summed over 2 rows, times c
    assert c.grad == 6.0
    assert a.grad.shape == (2, 3)


def test_comparisons_are_elementwise_booleans():
    # the model of docs/guides (PyTorch's): elementwise, not differentiable; Python bools
    # for 0-d Values, NumPy bool arrays otherwise
    v = Value([1.0, 2.0, 3.0])
    assert (v > 1.5).tolist() == [False, True, True]
    assert isinstance(v == 2.0, np.ndarray) and (v == 2.0).tolist() == [False, True, False]
    assert type(Value(1.0) < 2.0) is bool and type(Value(1.0) == 1.0) is bool


def test_constants_get_no_gradient():
    c = Value(2.0, requires_grad=False)
    x = Value(3.0)
    (c * x).backward()
    assert c.grad is None and x.grad == 2.0


def test_indexing_basic_and_integer_arrays():
    x = Value(np.arange(6.0).reshape(2, 3))
    y = x[0, 1:] + x[np.array([1, 1]), np.array([0, 0])]
    y.sum().backward()
    # x[0,1] and x[0,2] once; x[1,0] twice (repeated integer index accumulates)
    np.testing.assert_array_equal(x.grad, [[0, 1, 1], [2, 0, 0]])


def test_empty_list_index_selects_nothing_as_in_numpy():
    # Oracle: NumPy's own x[[]] (shape (0, 3) for a (2, 3) array); nothing selected, so
    # the gradient through it is zero.
    x = Value(np.arange(6.0).reshape(2, 3))
    y = x[[]]
    assert y.shape == np.arange(6.0).reshape(2, 3)[[]].shape == (0, 3)
    (y.sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


def test_functional_mirror_and_composites():
    x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(F.mean(x).data, 2.5)
    np.testing.assert_allclose(F.softmax(x, axis=1).data.sum(axis=1), [1.0, 1.0])
    s = F.stack([x, x * 2], axis=0)
    assert s.shape == (2, 2, 2)
    c = F.concatenate([x, x], axis=1)
    assert c.shape == (2, 4)
    w = F.where(x.data > 2, x, -x)
    np.testing.assert_array_equal(w.data, [[-1, -2], [3, 4]])
    np.testing.assert_array_equal(F.clip(x, 1.5, 3.5).data, [[1.5, 2], [3, 3.5]])
    assert x.T.shape == (2, 2) and x.flatten().shape == (4,)


def test_mean_gradient_closed_form():
    x = Value(np.ones((4, 5)))
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 5), 1 / 4))


def test_scalar_division_by_zero_follows_numpy():
    with np.errstate(divide="ignore"):
        assert Value(1.0) / 0.0 == np.float64(1.0) / np.float64(0.0)
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(1000.0).exp()).data == math.inf


@pytest.mark.parametrize("axes", [(-1, 0), (0, -1, 1), (-1, 0, 1)])
def test_transpose_with_negative_axes_sends_the_gradient_back(axes):
    """Oracle: d/dx Σ(transpose(x)·w) is w moved back to x's layout, so transposing
    that gradient by the same axes (NumPy's own transpose) must give w again."""
    shape = (2, 3, 4)[: len(axes)]
    x = Value(np.arange(float(np.prod(shape))).reshape(shape))
    y = x.transpose(*axes)
    w = np.random.default_rng(0).standard_normal(y.shape)
    (y * w).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(np.transpose(x.grad, axes), w)


def test_broadcast_to_a_smaller_shape_is_a_shape_error():
    """NumPy's rule (np.broadcast_to(np.ones(1), ()) raises): broadcasting never drops
    an axis, so (1,) cannot become ()."""
    with pytest.raises(ShapeError, match=r"broadcast_to: cannot broadcast shape \(1,\) to \(\)"):
        Value(np.ones(1)).broadcast_to(())


def test_pow_exponent_gradient_at_a_zero_base_is_zero():
    """0 ** y = 0 for every y > 0, so d/dy is 0 there (central differences agree: both
    sides are 0). Elsewhere d/dy x**y = x**y · ln x (closed form)."""
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert x.grad == 0.0 and y.grad == 0.0  # d/dx x² = 2x = 0
    base = np.array([0.0, 2.0])
    e = Value(np.array([1.5, 1.5]))
    (base**e).sum().backward()
    np.testing.assert_allclose(e.grad, [0.0, 2.0**1.5 * math.log(2.0)], rtol=1e-15)
