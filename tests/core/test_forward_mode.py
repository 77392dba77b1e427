"""Forward mode: every row's JVP rule against its VJP rule and against central differences,
and the jvp/hvp functions against closed forms and against reverse mode.

Oracles: the adjoint identity ⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩ (J·t from the JVP rules, Jᵀ·u from the
VJP rules: two readings of the same table must agree), float64 central differences of
the op's forward (an independent oracle for J·t), closed forms for jvp and hvp, and
hvp against the Hessian built one backward pass per element.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import OPS, Value, hessian, hvp, jvp
from tinygrad_edu.check.strategies import op_cases
from tinygrad_edu.core import run_backward, run_forward_mode
from tinygrad_edu.core.errors import ShapeError

ALL_OPS = sorted(OPS)


def _directions(case, seed):
    """A tangent per input and a cotangent for the output, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    values = [Value(np.array(x, dtype=np.float64)) for x in case.inputs]
    out = case.function(*values)
    tangents = [rng.standard_normal(v.shape) if v.shape else float(rng.standard_normal())
                for v in values]
    cotangent = rng.standard_normal(out.shape) if out.shape else float(rng.standard_normal())
    return values, out, tangents, cotangent


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_row_has_a_jvp_rule(name):
    op = OPS[name]
    assert op.jvps is not None, f"{name}: no forward-mode rule"


@pytest.mark.parametrize("name", ALL_OPS)
def test_jvp_is_the_adjoint_of_vjp(name):
    # ⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩, to float64 rounding
    @settings(max_examples=20)
    @given(op_cases(OPS[name]), st.integers(0, 2**16))
    def check(case, seed):
        values, out, tangents, u = _directions(case, seed)
        found = run_forward_mode([out], dict(zip(values, tangents, strict=True)))
        jt = found.get(id(out), np.zeros(out.shape))
        wanted = run_backward((out,), (u,), store=False, wanted=values)
        left = float(np.sum(np.asarray(u) * np.asarray(jt)))
        right = sum(float(np.sum(np.asarray(wanted.get(id(v), 0.0)) * np.asarray(t)))
                    for v, t in zip(values, tangents, strict=True))
        scale = 1.0 + abs(left) + abs(right)
        assert abs(left - right) <= 1e-10 * scale, (left, right)

    check()


@pytest.mark.parametrize("name", ALL_OPS)
def test_jvp_matches_central_differences(name):
    # (f(x + εt) − f(x − εt)) / 2ε along a random direction, in float64
    op = OPS[name]

    @settings(max_examples=20)
    @given(op_cases(op), st.integers(0, 2**16))
    def check(case, seed):
        values, out, tangents, _ = _directions(case, seed)
        found = run_forward_mode([out], dict(zip(values, tangents, strict=True)))
        jt = np.asarray(found.get(id(out), np.zeros(out.shape)))
        eps = 1e-6

        def at(sign):
            moved = [Value(np.asarray(v.data) + sign * eps * np.asarray(t))
                     for v, t in zip(values, tangents, strict=True)]
            return np.asarray(case.function(*moved).data, dtype=np.float64)

        numeric = (at(1.0) - at(-1.0)) / (2 * eps)
        np.testing.assert_allclose(jt, numeric, rtol=1e-5, atol=1e-6)

    check()


def test_jvp_closed_forms_and_jax_signature():
    # d/dt sin(x·y) along (tx, ty) = cos(x·y)·(y·tx + x·ty)
    x, y = np.array([0.5, 1.0]), np.array([2.0, -1.0])
    tx, ty = np.array([1.0, 0.0]), np.array([0.5, 2.0])
    out, tangent = jvp(lambda a, b: (a * b).sin(), (x, y), (tx, ty))
    np.testing.assert_allclose(out, np.sin(x * y), rtol=1e-15)
    np.testing.assert_allclose(tangent, np.cos(x * y) * (y * tx + x * ty), rtol=1e-14)
    # several outputs: a tuple of each
    (o1, o2), (t1, t2) = jvp(lambda a: (a.exp(), (a * a).sum()), (x,), (tx,))
    np.testing.assert_allclose(t1, np.exp(x) * tx, rtol=1e-15)
    assert t2 == pytest.approx(2 * x @ tx, rel=1e-15)
    # an output that does not depend on the input has tangent 0
    _, t = jvp(lambda a: a * 0.0 + 1.0, (x,), (tx,))
    np.testing.assert_array_equal(t, [0.0, 0.0])


def test_jvp_refuses_bad_tangents():
    with pytest.raises(ShapeError, match="tangent 0 has shape"):
        jvp(lambda a: a * 2, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match="tuples"):
        jvp(lambda a: a * 2, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="1 primals but 2 tangents"):
        jvp(lambda a: a * 2, (np.ones(2),), (np.ones(2), np.ones(2)))


def test_forward_mode_through_a_network_matches_the_jacobian_column():
    # article II's 2-3-1 net: J·e₀ by forward mode is the first column of the Jacobian
    # built by reverse mode, one backward pass per output
    rng = np.random.default_rng(1)
    W_h, W_o = rng.standard_normal((2, 3)), rng.standard_normal((3, 1))

    def net(X):
        return ((X @ W_h).sigmoid() @ W_o).sigmoid()

    X = rng.standard_normal((4, 2))
    e = np.zeros_like(X)
    e[0, 0] = 1.0
    _, column = jvp(net, (X,), (e,))
    from tinygrad_edu import jacobian
    J = jacobian(net, X)  # shape (4, 1, 4, 2)
    np.testing.assert_allclose(column, J[:, :, 0, 0], rtol=1e-12, atol=1e-15)


def test_hvp_matches_closed_form_and_hessian():
    # f = Σ x³ + x₀x₁: H = diag(6x) + [[0, 1], [1, 0]]
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    f = lambda a: (a ** 3.0).sum() + a[0] * a[1]  # noqa: E731
    expected = 6 * x * v + np.array([v[1], v[0]])
    np.testing.assert_allclose(hvp(f, (x,), (v,)), expected, rtol=1e-14)
    np.testing.assert_allclose(hvp(f, (x,), (v,)), hessian(f, x) @ v, rtol=1e-14)
    # two arguments: a tuple of products; f = Σ a²·b, ∂²/∂a² = 2b, ∂²/∂a∂b = 2a
    a, b = np.array([1.0, 3.0]), np.array([2.0, -1.0])
    ta, tb = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    ha, hb = hvp(lambda p, q: (p * p * q).sum(), (a, b), (ta, tb))
    np.testing.assert_allclose(ha, 2 * b * ta + 2 * a * tb, rtol=1e-15)
    np.testing.assert_allclose(hb, 2 * a * ta, rtol=1e-15)
    # a linear f has a zero Hessian
    np.testing.assert_array_equal(hvp(lambda p: (p * 3.0).sum(), (a,), (ta,)), [0.0, 0.0])
