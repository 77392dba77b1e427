"""Property tests generated from the op table: every entry, every kind of shape.

Oracle: independent central differences in float64 (``numerical_grad``), plus closed-
form second derivatives for a few ops. Adding an op to ``OPS`` adds its tests here.
Second derivatives of every op against a first derivative the engine did not compute
(closed forms, HIPS autograd): tests/core/test_second_derivatives.py.
"""

import numpy as np
import pytest
from hypothesis import given

from tinygrad_edu import OPS, Value, grad, hessian
from tinygrad_edu.check import GradcheckError, gradcheck
from tinygrad_edu.check.strategies import KINDS, op_cases

ALL_OPS = sorted(OPS)


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_entry_is_complete(name):
    op = OPS[name]
    assert op.kind in KINDS, f"no input strategy for kind {op.kind}"
    assert op.doc and op.derivatives and all(op.derivatives)
    if op.arity is not None:
        assert len(op.derivatives) == op.arity
        assert len(op.domain.ranges) in (1, op.arity)
    assert op.smooth == (op.domain.kink_gap is None), "kinks and smoothness must agree"
    from tinygrad_edu.core.op import ELEMENTWISE
    assert op.kind in ELEMENTWISE or op.jvp_texts, "a JVP in words (jvp_texts=) for the docs"


@pytest.mark.parametrize("name", ALL_OPS)
def test_vjp_matches_central_differences(name):
    @given(op_cases(OPS[name]))
    def check(case):
        assert gradcheck(case.function, case.inputs, atol=1e-6, rtol=1e-5)

    check()


ELEMENTWISE = sorted(n for n, op in OPS.items() if op.kind in ("unary", "binary"))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_float_path_agrees_with_array_path(name):
    """Scalars run on Python floats with ``math``; 1-element arrays run on NumPy."""

    @given(op_cases(OPS[name]))
    def check(case):
        # one drawn element each (a sum would leave bounded domains: arcsin, arctanh)
        floats = [Value(float(np.ravel(x)[0])) for x in case.inputs]
        arrays = [Value(np.full((1,), float(np.ravel(x)[0]))) for x in case.inputs]
        out_f, out_a = case.function(*floats), case.function(*arrays)
        assert isinstance(out_f.data, float)
        # math and NumPy may differ in the last bits, hence a few-ulp tolerance
        np.testing.assert_allclose(out_f.data, out_a.data[0], rtol=1e-12, atol=1e-15)
        pairs = zip(grad(out_f, floats), grad(out_a.sum(), arrays), strict=True)
        for g_f, g_a in pairs:
            assert isinstance(g_f.data, float)
            np.testing.assert_allclose(g_f.data, g_a.data[0], rtol=1e-12, atol=1e-15)

    check()


def test_third_derivative_of_cube_closed_form():
    x = Value(1.7)
    (d1,) = grad(x ** 3.0, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert d1.data == pytest.approx(3 * 1.7**2, rel=1e-12)
    assert d2.data == pytest.approx(6 * 1.7, rel=1e-12)
    assert d3.data == pytest.approx(6.0, rel=1e-12)


def test_second_derivative_of_sin_is_minus_sin():
    xs = np.linspace(-3, 3, 7)
    h = hessian(lambda v: v.sin().sum(), xs)
    np.testing.assert_allclose(h, np.diag(-np.sin(xs)), atol=1e-12)


def test_hessian_of_quadratic_form_is_symmetrized_matrix():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 4))
    x0 = rng.standard_normal(4)
    h = hessian(lambda x: 0.5 * (x @ (a @ x)), x0)
    np.testing.assert_allclose(h, (a + a.T) / 2, atol=1e-12)


def test_gradcheck_catches_a_wrong_rule():
    def wrong_square(x):
        # forward x², but the graph differentiates x·c with c a detached copy: d = c, not 2x
        return (x * x.detach()).sum()

    # closed form: d/dx Σx² = 2x = (2, 4); the broken graph gives x = (1, 2)
    with pytest.raises(GradcheckError, match=r"input 0, element \(0,\): analytic 1, numerical 2"):
        gradcheck(wrong_square, [np.array([1.0, 2.0])])


def test_no_row_of_the_table_file_is_shadowed():
    """OPS collects the rows from core/ops.py's module globals, so a later assignment to a
    row's variable name (a Domain called SQUARE once replaced np.square's row) would drop
    the row silently: every ``NAME = Op(...)`` in the file must be a distinct name whose
    row is in OPS."""
    import ast
    import pathlib

    import tinygrad_edu.core.ops as table

    tree = ast.parse(pathlib.Path(table.__file__).read_text())
    assigned = [t.id for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)]
    rows = [node.targets[0].id for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "Op"]
    shadowed = sorted({name for name in rows if assigned.count(name) > 1})
    assert shadowed == []
    assert sorted(getattr(table, name).name for name in rows) == sorted(OPS)
