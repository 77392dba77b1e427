"""The reductions of issue 14: prod, var, std, cumsum, cumprod, argmax/argmin, norm.

Oracles: NumPy for the values; closed forms for the gradients (the product of the
others, with zeros; 2(x − mean)/(n − ddof); x/‖x‖; running sums from the end; the
cumprod sum Σ_{j ≥ i} g_j Π_{k ≤ j, k ≠ i} x_k written as a double loop) and for the
second derivatives (the Hessian of a product, of a norm); float64 central differences
(``numerical_grad``, independent of the engine); PyTorch when importable; HIPS autograd
for what it says at the kinks. The table-wide property tests (tests/core/test_ops.py,
test_forward_mode.py, test_second_derivatives.py, test_fuzz_programs.py) cover every
row on drawn inputs as well.
"""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from tinygrad_edu import Value, grad, hessian, jvp
from tinygrad_edu import functional as F
from tinygrad_edu.check.numerical import numerical_grad
from tinygrad_edu.check.oracles import CONVENTIONS
from tinygrad_edu.core.errors import ShapeError


def d(f, x):
    """The gradient of f(Value(x)) (summed when f is not a scalar), as a float64 array."""
    v = Value(np.array(x, dtype=np.float64))
    out = f(v)
    (g,) = grad(out if out.shape == () else out.sum(), [v])
    return np.asarray(g.data, dtype=np.float64)


def others_by_loop(x):
    """For each element, the product of all the others (a plain double loop)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    return np.array([math.prod(x[k] for k in range(len(x)) if k != i) for i in range(len(x))])


# ---------------------------------------------------------------------------- prod


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, 0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_values_match_numpy(axis, keepdims):
    x = np.random.default_rng(0).uniform(-2, 2, (2, 3, 4))
    np.testing.assert_allclose(F.prod(x, axis, keepdims).data,
                               np.prod(x, axis=axis, keepdims=keepdims), rtol=1e-14)


@pytest.mark.parametrize("x, expected", [
    ([2.0, 3.0, 5.0], [15.0, 10.0, 6.0]),             # no zero: the others' product
    ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),               # one zero: it gets the rest's product
    ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),               # two zeros: all 0
    ([0.0], [1.0]),                                   # a slice of one
])
def test_prod_gradient_with_zeros_closed_form(x, expected):
    np.testing.assert_array_equal(d(lambda v: v.prod(), x), expected)
    np.testing.assert_array_equal(d(lambda v: v.prod(), x), others_by_loop(x))


def test_prod_gradient_per_slice_with_zeros():
    x = np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    expected = np.stack([others_by_loop(row) for row in x])
    np.testing.assert_array_equal(d(lambda v: v.prod(axis=1), x), expected)
    np.testing.assert_array_equal(d(lambda v: v.prod(axis=0), x.T), expected.T)


def test_prod_second_derivative_with_a_zero_closed_form():
    # ∂²Πx/∂xᵢ∂xⱼ = product of all but i and j (i ≠ j), 0 on the diagonal
    x = np.array([2.0, 0.0, 3.0, -1.5])
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                expected[i, j] = math.prod(x[k] for k in range(4) if k not in (i, j))
    np.testing.assert_allclose(hessian(lambda v: v.prod(), x), expected, rtol=1e-14)


def test_prod_jvp_with_zeros():
    x, t = np.array([2.0, 0.0, 3.0]), np.array([0.5, -1.0, 2.0])
    _, tangent = jvp(lambda v: v.prod(), (x,), (t,))
    assert tangent == pytest.approx(float(others_by_loop(x) @ t), rel=1e-15)   # −6


def test_prod_matches_pytorch_with_zeros():
    torch = pytest.importorskip("torch")
    x = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 4.0, 1.0], [1.0, 2.0, 3.0, -1.0]])
    t = torch.tensor(x, requires_grad=True)
    torch.prod(t, 1).sum().backward()
    np.testing.assert_allclose(d(lambda v: v.prod(axis=1), x), t.grad.numpy(), rtol=1e-14)


# ---------------------------------------------------------------------- var and std


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_var_and_std_values_match_numpy(axis, ddof):
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    np.testing.assert_allclose(F.var(x, axis, ddof).data, np.var(x, axis=axis, ddof=ddof),
                               rtol=1e-13)
    np.testing.assert_allclose(F.std(x, axis, ddof, keepdims=True).data,
                               np.std(x, axis=axis, ddof=ddof, keepdims=True), rtol=1e-13)


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_gradients_closed_form(ddof):
    x = np.array([[1.0, 4.0, -2.0, 0.5], [3.0, 3.5, 2.0, -1.0]])
    centered = x - x.mean(axis=1, keepdims=True)
    n = x.shape[1]
    np.testing.assert_allclose(d(lambda v: v.var(1, ddof=ddof), x),
                               2 * centered / (n - ddof), rtol=1e-13)
    std = np.std(x, axis=1, ddof=ddof, keepdims=True)
    np.testing.assert_allclose(d(lambda v: v.std(1, ddof=ddof), x),
                               centered / ((n - ddof) * std), rtol=1e-13)


def test_std_at_a_constant_slice_has_gradient_zero():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    g = d(lambda v: v.std(axis=1, ddof=1), x)
    np.testing.assert_array_equal(g[0], np.full(3, CONVENTIONS["std_zero_variance"].ours))
    np.testing.assert_allclose(g[1], numerical_grad(lambda v: v.std(ddof=1), [x[1]])[0],
                               rtol=1e-7)
    # HIPS autograd: 0/0 there (the convention's "differs")
    with np.errstate(all="ignore"):
        h = autograd.grad(lambda a: anp.std(a, ddof=1))(np.full(3, 2.0))
    assert np.all(np.isnan(h))
    # an infinite upstream is selected away, not multiplied (0, not nan)
    np.testing.assert_array_equal(d(lambda v: v.std().sqrt(), [5.0, 5.0]), [0.0, 0.0])


def test_std_at_zero_variance_matches_pytorch():
    torch = pytest.importorskip("torch")
    t = torch.full((3,), 2.0, dtype=torch.float64, requires_grad=True)
    torch.std(t, correction=1).backward()
    np.testing.assert_array_equal(d(lambda v: v.std(ddof=1), [2.0, 2.0, 2.0]), t.grad.numpy())


def test_std_second_derivative_against_central_differences():
    x = np.array([1.0, 4.0, -2.0, 0.5])
    h = hessian(lambda v: v.std(ddof=1), x)
    # row i: central differences of the closed-form first derivative's element i
    numeric = np.stack([numerical_grad(lambda v, i=i: _std_grad(v)[i], [x])[0]
                        for i in range(4)])
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-8)


def _std_grad(v):
    """The first derivative of std(ddof=1) in closed form, as a function of a Value."""
    n = 4
    centered = v - v.mean()
    return centered / ((n - 1) * F.std(v, ddof=1))


@pytest.mark.parametrize("call", [
    lambda x: F.var(x, axis=1, ddof=3), lambda x: F.std(x, axis=1, ddof=3),
    lambda x: np.std(Value(x), axis=(0, 1), ddof=6), lambda x: F.var(x, ddof=-1),
])
def test_ddof_at_least_n_is_an_error_naming_op_and_shape(call):
    with pytest.raises(ShapeError, match=r"(var|std): ddof.*(shape \(2, 3\)|non-negative)"):
        call(np.ones((2, 3)))


# -------------------------------------------------------------- cumsum and cumprod


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_values_match_numpy(name, axis):
    x = np.random.default_rng(2).uniform(-2, 2, (3, 4, 2))
    np.testing.assert_allclose(getattr(F, name)(x, axis).data, getattr(np, name)(x, axis=axis),
                               rtol=1e-14)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumsum_gradient_closed_form(axis):
    x = np.arange(6.0).reshape(2, 3)
    g = np.random.default_rng(3).normal(size=np.cumsum(x, axis=axis).shape)
    v = Value(x)
    (got,) = grad(F.cumsum(v, axis), [v], grad_outputs=g)
    # Σ_{j ≥ i} g_j: the running sum from the end
    if axis is None:
        expected = np.cumsum(g[::-1])[::-1].reshape(x.shape)
    else:
        expected = np.flip(np.cumsum(np.flip(g, axis), axis), axis)
    np.testing.assert_allclose(got.data, expected, rtol=1e-14)


def cumprod_grad_by_loops(x, g):
    """Σ_{j ≥ i} g_j Π_{k ≤ j, k ≠ i} x_k, for a 1-d x."""
    n = len(x)
    return np.array([sum(g[j] * math.prod(x[k] for k in range(j + 1) if k != i)
                         for j in range(i, n)) for i in range(n)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 0.5], [0.0, 2.0, 0.0, 4.0], [1.5, -2.0, 3.0],
                               [0.0], [0.0, 0.0, 0.0]])
def test_cumprod_gradient_with_zeros_closed_form(x):
    x = np.array(x)
    g = np.arange(1.0, len(x) + 1.0)
    v = Value(x)
    (got,) = grad(F.cumprod(v), [v], grad_outputs=g)
    np.testing.assert_allclose(got.data, cumprod_grad_by_loops(x, g), rtol=1e-14)
    if len(x) == 4 and x[1] == 0 and x[0] == 2:
        np.testing.assert_array_equal(got.data, [1.0, 34.0, 0.0, 0.0])  # by hand


def test_cumprod_with_zeros_matches_central_differences_and_pytorch():
    x = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.7, 0.0, 1.2]])
    projection = np.random.default_rng(4).normal(size=x.shape)
    numeric = numerical_grad(lambda v: (F.cumprod(v, axis=1) * projection).sum(), [x])[0]
    v = Value(x)
    (got,) = grad((F.cumprod(v, axis=1) * projection).sum(), [v])
    np.testing.assert_allclose(got.data, numeric, rtol=1e-7, atol=1e-9)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    (torch.cumprod(t, 1) * torch.tensor(projection)).sum().backward()
    np.testing.assert_allclose(got.data, t.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_cumprod_second_derivative_with_a_zero():
    # Σ cumprod(x) = x0 + x0x1 + x0x1x2: Hessian [[0, 1 + x2, x1], [1 + x2, 0, x0], [x1, x0, 0]]
    x = np.array([2.0, 0.0, 3.0])
    expected = np.array([[0.0, 4.0, 0.0], [4.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    np.testing.assert_allclose(hessian(lambda v: v.cumprod().sum(), x), expected, rtol=1e-14)


def test_cumprod_jvp_closed_form():
    x, t = np.array([2.0, 0.0, 3.0]), np.array([1.0, 1.0, 1.0])
    _, tangent = jvp(lambda v: v.cumprod(), (x,), (t,))
    # d(x0) = 1, d(x0x1) = x1 + x0 = 2, d(x0x1x2) = x1x2 + x0x2 + x0x1 = 6
    np.testing.assert_allclose(tangent, [1.0, 2.0, 6.0], rtol=1e-15)


def test_running_ops_refuse_a_tuple_axis():
    with pytest.raises(ShapeError, match=r"cumsum: axis must be an int or None.*\(2, 2\)"):
        F.cumsum(np.ones((2, 2)), (0, 1))
    with pytest.raises(ShapeError, match=r"cumprod: axis 2 is out of bounds.*\(2, 2\)"):
        F.cumprod(np.ones((2, 2)), 2)


# ------------------------------------------------------------------ argmax, argmin


def test_argmax_and_argmin_are_plain_numpy():
    x = np.array([[1.0, 5.0, 2.0], [7.0, -1.0, 7.0]])
    v = Value(x)
    for got, expected in [(F.argmax(v), np.argmax(x)), (v.argmax(axis=1), np.argmax(x, axis=1)),
                          (np.argmax(v, axis=0), np.argmax(x, axis=0)),
                          (F.argmin(v, axis=1, keepdims=True), np.argmin(x, axis=1, keepdims=True)),
                          (v.argmin(), np.argmin(x)), (np.argmin(v), np.argmin(x))]:
        assert not isinstance(got, Value)
        np.testing.assert_array_equal(got, expected)


# ----------------------------------------------------------------------------- norm

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (-1, True), (0, True)])
def test_vector_norms_match_numpy(ord, axis, keepdims):
    x = np.random.default_rng(5).normal(size=(3, 4)) if axis is not None else \
        np.array([3.0, -4.0, 0.5, -0.25])
    np.testing.assert_allclose(F.norm(x, ord, axis, keepdims).data,
                               np.linalg.norm(x, ord, axis, keepdims), rtol=1e-13)
    np.testing.assert_allclose(np.linalg.norm(Value(x), ord, axis, keepdims).data,
                               np.linalg.norm(x, ord, axis, keepdims), rtol=1e-13)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("axis, keepdims", [(None, False), ((0, 2), False), ((2, 1), True)])
def test_matrix_norms_match_numpy(ord, axis, keepdims):
    x = np.random.default_rng(6).normal(size=(3, 4)) if axis is None else \
        np.random.default_rng(6).normal(size=(2, 3, 4))
    np.testing.assert_allclose(F.norm(x, ord, axis, keepdims).data,
                               np.linalg.norm(x, ord, axis, keepdims), rtol=1e-13)


@pytest.mark.parametrize("ord", [None, 1, np.inf, -np.inf, 3, 1.5])
def test_vector_norm_gradients_match_central_differences(ord):
    x = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.4, -0.9, -2.5]])
    got = d(lambda v: F.norm(v, ord, axis=1), x)
    numeric = numerical_grad(lambda v: F.norm(v, ord, axis=1).sum(), [x])[0]
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ord", ["fro", 1, -1, np.inf, -np.inf])
def test_matrix_norm_gradients_match_central_differences(ord):
    x = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.9]])
    numeric = numerical_grad(lambda v: F.norm(v, ord), [x])[0]
    np.testing.assert_allclose(d(lambda v: F.norm(v, ord), x), numeric, rtol=1e-6, atol=1e-8)


def test_two_norm_gradient_and_hessian_closed_form():
    x = np.array([3.0, -4.0, 12.0])
    r = 13.0
    np.testing.assert_allclose(d(F.norm, x), x / r, rtol=1e-15)
    np.testing.assert_allclose(hessian(F.norm, x), (np.eye(3) - np.outer(x, x) / r**2) / r,
                               rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, 3, "fro"])
def test_norm_gradient_at_the_zero_vector_is_zero(ord):
    x = np.zeros((2, 2)) if ord == "fro" else np.zeros(3)
    g = d(lambda v: F.norm(v, ord), x)
    np.testing.assert_array_equal(g, np.full(x.shape, CONVENTIONS["norm_at_zero"].ours))
    # one zero row among others: only that row is at the kink
    g = d(lambda v: F.norm(v, ord if ord != "fro" else None, axis=1), [[0.0, 0.0], [3.0, 4.0]])
    assert np.all(g[0] == 0.0) and np.all(np.isfinite(g[1])) and np.any(g[1] != 0)


def test_norm_at_zero_matches_pytorch_and_hips_gives_nan():
    with np.errstate(all="ignore"):
        h = autograd.grad(lambda a: anp.linalg.norm(a))(np.zeros(3))
    assert np.all(np.isnan(h))
    torch = pytest.importorskip("torch")
    t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.linalg.vector_norm(t).backward()
    np.testing.assert_array_equal(d(F.norm, np.zeros(3)), t.grad.numpy())


def test_norm_is_scaled_where_squares_overflow():
    # np.linalg.norm([3e200, 4e200]) is inf; the norm is 5e200 and its gradient (0.6, 0.8)
    x = np.array([3e200, 4e200])
    assert F.norm(x).data == pytest.approx(5e200, rel=1e-15)
    np.testing.assert_allclose(d(F.norm, x), [0.6, 0.8], rtol=1e-15)
    assert F.std(np.array([1e200, -1e200])).data == pytest.approx(1e200, rel=1e-15)


def test_norm_refuses_what_it_does_not_compute():
    with pytest.raises(NotImplementedError, match=r"norm: matrix ord=2 needs singular values"):
        np.linalg.norm(Value(np.eye(2)), 2)
    with pytest.raises(NotImplementedError, match=r"norm: matrix ord='nuc'"):
        F.norm(np.eye(2), "nuc")
    with pytest.raises(NotImplementedError, match=r"norm: vector ord=-2"):
        F.norm(np.ones(3), -2)
    with pytest.raises(ValueError, match=r"norm: ord=1 needs a 1-d or 2-d input.*\(2, 2, 2\)"):
        F.norm(np.ones((2, 2, 2)), 1)


def test_norm_of_a_three_d_value_without_ord_is_the_flattened_two_norm():
    x = np.arange(8.0).reshape(2, 2, 2)
    assert F.norm(x).data == pytest.approx(np.linalg.norm(x), rel=1e-15)


# --------------------------------------------------------------- NumPy's spellings


@pytest.mark.parametrize("call, reference", [
    (lambda a: np.prod(a, axis=0), lambda a: np.prod(a, axis=0)),
    (lambda a: np.var(a, ddof=1), lambda a: np.var(a, ddof=1)),
    (lambda a: np.std(a, axis=1, keepdims=True), lambda a: np.std(a, axis=1, keepdims=True)),
    (lambda a: np.std(a, correction=1), lambda a: np.std(a, ddof=1)),
    (lambda a: np.cumsum(a, axis=1), lambda a: np.cumsum(a, axis=1)),
    (lambda a: np.cumprod(a), lambda a: np.cumprod(a)),
    (lambda a: np.linalg.norm(a, axis=0), lambda a: np.linalg.norm(a, axis=0)),
])
def test_numpy_functions_on_values_keep_the_graph(call, reference):
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    v = Value(x)
    out = call(v)
    assert isinstance(out, Value) and out.requires_grad
    np.testing.assert_allclose(out.data, reference(x), rtol=1e-14)
    (g,) = grad(out.sum(), [v])
    numeric = numerical_grad(lambda w: call(w).sum(), [x])[0]
    np.testing.assert_allclose(g.data, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("call", [
    lambda v: np.prod(v, dtype=np.float32), lambda v: np.std(v, out=np.zeros(())),
    lambda v: np.cumsum(v, dtype=np.float32), lambda v: np.var(v, where=np.ones(2, bool)),
])
def test_numpy_functions_refuse_out_and_dtype(call):
    with pytest.raises(TypeError, match=r"numpy\.\w+ on a Value: argument\(s\)"):
        call(Value([1.0, 2.0]))
