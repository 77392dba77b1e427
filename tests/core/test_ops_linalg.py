"""Linear algebra (issue 14): dot, outer, tensordot, einsum, trace, diagonal, diag, triu,
tril, linalg.inv/solve/det/slogdet and astype.

Expected values come from NumPy (forward), explicit loops (einsum), closed forms
(d det X = det X · X⁻ᵀ, d X⁻¹ = −X⁻ᵀ G X⁻ᵀ, the adjugate at a singular X) and central
differences; PyTorch where it is installed. The table-wide property tests
(tests/core/test_ops.py, test_forward_mode.py, test_second_derivatives.py,
test_fuzz_programs.py) cover the rows on drawn inputs.
"""

import itertools

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import SingularMatrixError, Value, grad, jvp
from tinygrad_edu import functional as F
from tinygrad_edu.check.gradcheck import gradcheck
from tinygrad_edu.check.numerical import numerical_grad
from tinygrad_edu.core.errors import ShapeError

RNG = np.random.default_rng(14)


def _rand(*shape):
    return RNG.standard_normal(shape)


def _invertible(*shape):
    n = shape[-1]
    return _rand(*shape) + 3.0 * n * np.eye(n)


def _grad(f, *arrays):
    values = [Value(a) for a in arrays]
    gs = grad(f(*values), values)
    return [np.asarray(g.data) for g in gs]


# ------------------------------------------------------------------ values vs NumPy

@pytest.mark.parametrize("sa, sb", [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                     ((2, 3), (3, 4)), ((2, 5, 3), (3,)),
                                     ((2, 5, 3), (4, 3, 2)), ((3,), (2, 3, 4))])
def test_dot_has_numpys_semantics_and_gradients(sa, sb):
    a, b = _rand(*sa), _rand(*sb)
    a = float(a) if sa == () else a
    np.testing.assert_allclose(F.dot(Value(a), b).data, np.dot(a, b), rtol=1e-12)
    np.testing.assert_allclose(np.dot(Value(a), b).data, np.dot(a, b), rtol=1e-12)
    if sa:
        assert gradcheck(lambda x, y: F.dot(x, y), [a, b])


def test_dot_refuses_unaligned_shapes():
    with pytest.raises(ShapeError, match=r"dot: shapes \(2, 3, 4\) and \(5, 3, 2\)"):
        F.dot(Value(np.ones((2, 3, 4))), np.ones((5, 3, 2)))


def test_outer_and_value_dot():
    a, b = _rand(2, 2), _rand(3)
    np.testing.assert_allclose(np.outer(Value(a), b).data, np.outer(a, b))
    (ga,) = _grad(lambda x: F.outer(x, b).sum(), a)
    np.testing.assert_allclose(ga, np.full((2, 2), b.sum()))   # d/da Σ a_i b_j = Σ b
    np.testing.assert_allclose(Value(a).dot(a).data, a.dot(a))


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,))])
def test_inner_follows_numpy(sa, sb):
    a, b = _rand(*sa), _rand(*sb)
    np.testing.assert_allclose(np.inner(Value(a), b).data, np.inner(a, b), rtol=1e-12)
    assert gradcheck(F.inner, [a, b])


@pytest.mark.parametrize("sa, sb", [((2,), (3,)), ((2, 2), (3, 1)), ((2,), (2, 3)),
                                     ((2, 1, 2), (3, 2))])
def test_kron_follows_numpy(sa, sb):
    a, b = _rand(*sa), _rand(*sb)
    np.testing.assert_allclose(np.kron(Value(a), b).data, np.kron(a, b), rtol=1e-12)
    (ga,) = _grad(lambda x: F.kron(x, b).sum(), a)
    np.testing.assert_allclose(ga, np.full(sa, b.sum()))   # each a_i multiplies all of b


@pytest.mark.parametrize("sa, sb, kw", [((3,), (3,), {}), ((4, 3), (3,), {}),
                                         ((3, 4), (4, 3), {"axisa": 0}),
                                         ((3, 2), (3, 2), {"axis": 0}),
                                         ((2, 3), (2, 3), {"axisc": 0})])
def test_cross_follows_numpy(sa, sb, kw):
    a, b = _rand(*sa), _rand(*sb)
    np.testing.assert_allclose(np.cross(Value(a), b, **kw).data, np.cross(a, b, **kw),
                               rtol=1e-12)
    assert gradcheck(lambda x, y: F.cross(x, y, **kw), [a, b])


def test_cross_gradient_closed_form_and_2_vectors_refused():
    a, b, w = _rand(3), _rand(3), _rand(3)
    (ga,) = _grad(lambda x: (F.cross(x, b) * w).sum(), a)
    np.testing.assert_allclose(ga, np.cross(b, w), rtol=1e-12)     # (a×b)·w = a·(b×w)
    with pytest.raises(ShapeError, match="cross: needs 3-vectors"):
        F.cross(Value(np.ones(2)), np.ones(2))


@pytest.mark.parametrize("axes", [0, 1, 2, ([1, 0], [1, 2]), ([2], [0]), (2, 0), ([-1], [0])])
def test_tensordot_int_and_pair_axes(axes):
    a, b = _rand(3, 4, 2), _rand(2, 4, 3) if axes != 2 else _rand(4, 2, 5)
    if axes in (0, 1):
        b = _rand(2, 5)
    np.testing.assert_allclose(np.tensordot(Value(a), b, axes).data, np.tensordot(a, b, axes),
                               rtol=1e-12)
    assert gradcheck(lambda x, y: F.tensordot(x, y, axes), [a, b])


def test_tensordot_refuses_mismatched_axes():
    with pytest.raises(ShapeError, match="tensordot: axes"):
        F.tensordot(Value(np.ones((2, 3))), np.ones((2, 3)), axes=([0], [1]))


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]), ("ji", [(2, 3)]), ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("...i,i->...", [(2, 3, 4), (4,)]),
    ("i...->...", [(3, 2, 2)]), ("iij->j", [(2, 2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 4)]),
    ("ba,cb", [(3, 2), (4, 3)]), ("a,a,a->", [(3,), (3,), (3,)]),
    (" ij , jk -> ki ", [(2, 3), (3, 2)]),
]


@pytest.mark.parametrize("spec, shapes", EINSUMS)
def test_einsum_matches_numpy_and_central_differences(spec, shapes):
    xs = [_rand(*s) for s in shapes]
    np.testing.assert_allclose(F.einsum(spec, *map(Value, xs)).data, np.einsum(spec, *xs),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.einsum(spec, Value(xs[0]), *xs[1:]).data,
                               np.einsum(spec, *xs), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *vs: F.einsum(spec, *vs), xs)


def test_einsum_against_explicit_loops():
    a, b = _rand(2, 3, 4), _rand(2, 4, 3)
    out = F.einsum("bij,bjk->bik", Value(a), Value(b)).data
    want = np.zeros((2, 3, 3))
    for n, i, j, k in itertools.product(range(2), range(3), range(4), range(3)):
        want[n, i, k] += a[n, i, j] * b[n, j, k]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    # the diagonal form: d/dx Σ_i x_ii·w_i is w on the diagonal, 0 elsewhere
    x, w = _rand(3, 3), _rand(3)
    (gx,) = _grad(lambda v: F.einsum("ii,i->", v, w), x)
    np.testing.assert_array_equal(gx, np.diag(w))
    # a lone sum: d/dx Σ_ij x_ij y_j = y broadcast over i
    y = _rand(3)
    (gx,) = _grad(lambda v: F.einsum("ij,j->", v, y), x)
    np.testing.assert_allclose(gx, np.tile(y, (3, 1)))


@pytest.mark.parametrize("spec, shapes, message", [
    ("ij,jk", [(2, 3), (4, 5)], "letter 'j'"), ("ij->ik", [(2, 3)], "output letter"),
    ("ijk", [(2, 3)], "names 3 dimensions"), ("ij,j", [(2, 3)], "2 operand subscripts"),
    ("i1", [(2, 3)], "only letters"), ("ii", [(2, 3)], "letter 'i'"),
])
def test_einsum_errors_name_the_subscripts(spec, shapes, message):
    with pytest.raises(ShapeError, match=f"einsum.*{message}"):
        F.einsum(spec, *(Value(np.ones(s)) for s in shapes))


def test_einsum_refuses_the_operand_list_form():
    with pytest.raises(TypeError, match="operand-list form"):
        F.einsum(Value(np.ones(2)), [0])


@pytest.mark.parametrize("offset, axis1, axis2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 2),
                                                  (1, 2, 0), (0, -1, -3), (5, 0, 1)])
def test_diagonal_and_trace_follow_numpy(offset, axis1, axis2):
    x = _rand(3, 4, 2)
    np.testing.assert_array_equal(F.diagonal(Value(x), offset, axis1, axis2).data,
                                  np.diagonal(x, offset, axis1, axis2))
    np.testing.assert_array_equal(np.diagonal(Value(x), offset, axis1, axis2).data,
                                  np.diagonal(x, offset, axis1, axis2))
    np.testing.assert_allclose(Value(x).trace(offset, axis1, axis2).data,
                               np.trace(x, offset, axis1, axis2))
    np.testing.assert_allclose(np.trace(Value(x), offset, axis1, axis2).data,
                               np.trace(x, offset, axis1, axis2))
    assert gradcheck(lambda v: F.trace(v, offset, axis1, axis2), [x])


def test_trace_gradient_is_the_identity_and_tg_trace_is_the_recorder():
    (g,) = _grad(lambda v: v.trace(), _rand(3, 3))
    np.testing.assert_array_equal(g, np.eye(3))
    assert tg.trace is not F.trace and callable(tg.trace)   # the jit recorder


def test_diagonal_refuses_equal_axes_and_vectors():
    with pytest.raises(ShapeError, match="diagonal: axis1=0 and axis2=-2"):
        F.diagonal(Value(np.ones((2, 2))), 0, 0, -2)
    with pytest.raises(ShapeError, match="diagonal: needs at least 2"):
        F.diagonal(Value(np.ones(3)))


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_both_ways(k):
    v, m = _rand(3), _rand(3, 4)
    np.testing.assert_array_equal(np.diag(Value(v), k).data, np.diag(v, k))
    np.testing.assert_array_equal(F.diag(Value(m), k).data, np.diag(m, k))
    w = _rand(3 + abs(k), 3 + abs(k))
    (g,) = _grad(lambda x: (F.diag(x, k) * w).sum(), v)
    np.testing.assert_array_equal(g, np.diag(w, k))    # d/dv_i Σ diag(v)∘w = w on diagonal k
    with pytest.raises(ShapeError, match="diag: needs a 1-d or 2-d"):
        F.diag(Value(np.ones((2, 2, 2))))


@pytest.mark.parametrize("k", [0, 1, -1, 3])
def test_triu_tril_values_and_gradients_select(k):
    x = _rand(2, 3, 4)
    for ours, theirs in ((F.triu, np.triu), (F.tril, np.tril)):
        np.testing.assert_array_equal(ours(Value(x), k).data, theirs(x, k))
        np.testing.assert_array_equal(getattr(np, theirs.__name__)(Value(x), k).data,
                                      theirs(x, k))
        # an infinite upstream: the masked part gets exactly 0 (select, not multiply)
        v = Value(x)
        (g,) = grad(ours(v, k), v, grad_outputs=np.full(x.shape, np.inf))
        np.testing.assert_array_equal(g.data, theirs(np.full(x.shape, np.inf), k))


# ------------------------------------------------------------------ np.linalg

@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 3, 3), (2, 1, 2, 2)])
def test_linalg_values_match_numpy(shape):
    x = _invertible(*shape)
    np.testing.assert_allclose(F.linalg.inv(Value(x)).data, np.linalg.inv(x), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.det(Value(x)).data, np.linalg.det(x), rtol=1e-12)
    sign, logabs = np.linalg.slogdet(Value(x))
    want = np.linalg.slogdet(x)
    np.testing.assert_array_equal(sign.data, want.sign)
    np.testing.assert_allclose(logabs.data, want.logabsdet, rtol=1e-12)
    b = _rand(*shape[:-1], 2)
    np.testing.assert_allclose(np.linalg.solve(Value(x), b).data, np.linalg.solve(x, b),
                               rtol=1e-10)
    v = _rand(shape[-1])
    np.testing.assert_allclose(F.linalg.solve(x, Value(v)).data, np.linalg.solve(x, v),
                               rtol=1e-10)


def test_linalg_gradients_closed_forms():
    x, g = _invertible(3, 3), _rand(3, 3)
    xi = np.linalg.inv(x)
    (gd,) = _grad(lambda v: np.linalg.det(v), x)
    np.testing.assert_allclose(gd, np.linalg.det(x) * xi.T, rtol=1e-10)        # det·X⁻ᵀ
    (gi,) = _grad(lambda v: (np.linalg.inv(v) * g).sum(), x)
    np.testing.assert_allclose(gi, -xi.T @ g @ xi.T, rtol=1e-10)               # −X⁻ᵀGX⁻ᵀ
    (gl,) = _grad(lambda v: np.linalg.slogdet(v)[1], x)
    np.testing.assert_allclose(gl, xi.T, rtol=1e-10)                           # X⁻ᵀ
    b = _rand(3, 2)
    z = np.linalg.solve(x, b)
    ga, gb = _grad(lambda a, y: (np.linalg.solve(a, y) * b).sum(), x, b)
    np.testing.assert_allclose(gb, np.linalg.solve(x.T, b), rtol=1e-10)        # X⁻ᵀG
    np.testing.assert_allclose(ga, -np.linalg.solve(x.T, b) @ z.T, rtol=1e-10)


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 3)])
def test_linalg_gradients_against_central_differences(shape):
    x, b, v = _invertible(*shape), _rand(*shape[:-1], 2), _rand(shape[-1])
    for f in (lambda a: F.linalg.inv(a), lambda a: F.linalg.det(a),
              lambda a: F.linalg.slogdet(a)[1], lambda a: F.linalg.solve(a, b),
              lambda a: F.linalg.solve(a, v)):
        assert gradcheck(f, [x])
    assert gradcheck(lambda y: F.linalg.solve(x, y), [b])
    # a batch of vectors against one matrix broadcasts (NumPy 2: b is (..., n, k))
    assert gradcheck(lambda a, y: F.linalg.solve(a, y), [_invertible(3, 3), _rand(2, 3, 1)])


def _adjugate_t(x):
    """The cofactor matrix by its definition: (−1)^(i+j) det(x without row i, column j)."""
    n = x.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(x, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("x", [np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((2, 2)),
                               np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
                               np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]])])
def test_det_gradient_at_a_singular_matrix_is_the_adjugate(x):
    (g,) = _grad(lambda v: F.linalg.det(v), x)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, _adjugate_t(x), atol=1e-12)
    (numeric,) = numerical_grad(lambda v: F.linalg.det(v), [x])
    np.testing.assert_allclose(g, numeric, atol=1e-6)


def test_det_gradient_in_a_batch_with_one_singular_matrix():
    x = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[2.0, 1.0], [0.0, 3.0]])])
    (g,) = _grad(lambda v: F.linalg.det(v).sum(), x)
    np.testing.assert_allclose(g, [[[4.0, -2.0], [-2.0, 1.0]], [[3.0, 0.0], [-1.0, 2.0]]])


def test_det_second_derivatives_closed_form_also_at_a_singular_matrix():
    # det [[a, b], [c, d]] = ad − bc: ∂²/∂a∂d = 1, ∂²/∂b∂c = −1, the rest 0
    want = np.zeros((2, 2, 2, 2))
    want[0, 0, 1, 1] = want[1, 1, 0, 0] = 1.0
    want[0, 1, 1, 0] = want[1, 0, 0, 1] = -1.0
    for x in (np.array([[2.0, 1.0], [0.5, 3.0]]), np.array([[1.0, 2.0], [2.0, 4.0]])):
        np.testing.assert_allclose(tg.hessian(lambda v: F.linalg.det(v), x), want, atol=1e-12)


def test_inv_second_derivative_against_central_differences():
    x, w = _invertible(2, 2), _rand(2, 2)

    def first(a):  # d/dX Σ w·X⁻¹ through the engine, as an array
        (g,) = _grad(lambda v: (F.linalg.inv(v) * w).sum(), a)
        return g

    v = Value(x)
    (g1,) = grad((F.linalg.inv(v) * w).sum(), v, create_graph=True)
    direction = _rand(2, 2)
    (h,) = grad((g1 * direction).sum(), v)
    (numeric,) = numerical_grad(lambda a: float(np.sum(first(a.data) * direction)), [x])
    np.testing.assert_allclose(h.data, numeric, rtol=1e-5, atol=1e-7)


def test_slogdet_at_a_singular_matrix():
    x = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, logabs = F.linalg.slogdet(Value(x))
    assert (sign.data, logabs.data) == (0.0, -np.inf)     # NumPy's answer
    (g,) = _grad(lambda v: F.linalg.slogdet(v).logabsdet, x)
    np.testing.assert_array_equal(g, [[np.inf, -np.inf], [-np.inf, np.inf]])   # adj/0


def test_jvp_of_det_is_jacobis_formula():
    x, t = _invertible(3, 3), _rand(3, 3)
    out, tangent = jvp(lambda v: F.linalg.det(v), (x,), (t,))
    want = np.linalg.det(x) * np.trace(np.linalg.solve(x, t))
    assert out == pytest.approx(np.linalg.det(x))
    assert tangent == pytest.approx(want, rel=1e-10)


# ------------------------------------------------------------------ errors

def test_inv_and_solve_of_a_singular_matrix_raise_naming_op_and_shape():
    with pytest.raises(SingularMatrixError,
                       match=r"inv: the matrix \(shape \(2, 2\)\) is singular"):
        F.linalg.inv(Value([[1.0, 2.0], [2.0, 4.0]]))
    batch = np.stack([np.eye(2), np.zeros((2, 2))])
    with pytest.raises(SingularMatrixError, match=r"solve: .*shape \(2, 2, 2\), matrix \(1,\)"):
        np.linalg.solve(Value(batch), np.ones((2, 2, 1)))
    with pytest.raises(np.linalg.LinAlgError):     # what NumPy code already catches
        np.linalg.inv(Value(np.zeros((3, 3))))


def test_shape_errors_name_the_op():
    with pytest.raises(ShapeError, match=r"det: needs a square matrix .* got shape \(2, 3\)"):
        F.linalg.det(Value(np.ones((2, 3))))
    with pytest.raises(ShapeError, match=r"inv: needs a square matrix .* got shape \(3,\)"):
        F.linalg.inv(Value(np.ones(3)))
    with pytest.raises(ShapeError, match=r"solve: a of shape \(2, 2\) and b of shape \(3,\)"):
        F.linalg.solve(Value(np.eye(2)), np.ones(3))


def test_nonfinite_matrices_give_nan_not_an_error():
    # LAPACK calls this "singular" ([[inf, 13], [0, 12]]ᵀ pivots to a zero): not an answer
    x = np.array([[[13.0, np.inf], [0.0, 12.0]], [[2.0, 0.0], [0.0, 4.0]]])
    out = F.linalg.inv(Value(x)).data
    assert np.all(np.isnan(out[0]))
    np.testing.assert_allclose(out[1], np.linalg.inv(x[1]))
    assert np.isnan(F.linalg.det(Value(x)).data[0])


def test_numpy_refuses_out_and_dtype_arguments():
    with pytest.raises(TypeError, match="numpy.einsum on a Value: argument.*out"):
        np.einsum("ii", Value(np.eye(2)), out=np.zeros(()))
    with pytest.raises(TypeError, match="numpy.trace on a Value: argument.*dtype"):
        np.trace(Value(np.eye(2)), dtype=np.float32)


# ------------------------------------------------------------------ astype

def test_astype_casts_and_the_gradient_comes_back_in_the_inputs_dtype():
    x = Value(np.array([1.0, 2.5, 1e-9]))
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, np.float32([1.0, 2.5, 1e-9]))
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, 2 * np.float32([1.0, 2.5, 1e-9]), rtol=1e-7)
    assert F.astype(Value(0.1), "float32").data == float(np.float32(0.1))   # a 0-d Value
    with pytest.raises(TypeError, match="astype: casts between float32 and float64 only"):
        x.astype(np.int64)


# ------------------------------------------------------------------ PyTorch, when installed

def test_linalg_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    x, w = _invertible(2, 3, 3), _rand(2, 3, 3)
    t = torch.tensor(x, requires_grad=True)
    ((torch.linalg.inv(t) * torch.tensor(w)).sum() + torch.linalg.det(t).sum()
     + torch.linalg.slogdet(t)[1].sum()).backward()
    (g,) = _grad(lambda v: (F.linalg.inv(v) * w).sum() + F.linalg.det(v).sum()
                 + F.linalg.slogdet(v)[1].sum(), x)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)
    a, b = _rand(2, 3), _rand(3, 4)
    ta, tb = (torch.tensor(m, requires_grad=True) for m in (a, b))
    torch.einsum("ij,jk->ki", ta, tb).pow(2).sum().backward()
    ga, gb = _grad(lambda u, v: (F.einsum("ij,jk->ki", u, v) ** 2).sum(), a, b)
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-10)
