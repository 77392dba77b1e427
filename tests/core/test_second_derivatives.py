"""Second derivatives against references that do not use the engine's first derivative.

``gradgradcheck`` differentiates the engine's own first derivative numerically, so a
wrong first-derivative rule that is the right derivative of something else (log′ written
as 1/(2x)) passes it. Here the engine's second derivative (``grad`` with
``create_graph=True``, twice) is compared with

* closed forms per elementwise op (log″ = −1/x², tanh″ = −2 tanh·(1 − tanh²), …), and
* float64 central differences of HIPS autograd's first derivative, for every smooth op of
  the table on hypothesis-drawn inputs (a Hessian-vector product per case).
"""

import math

import autograd
import numpy as np
import pytest
from hypothesis import given

from tinygrad_edu import OPS, Value, grad
from tinygrad_edu.check.oracles import hips_ops
from tinygrad_edu.check.strategies import op_cases

SMOOTH_OPS = sorted(name for name, op in OPS.items() if op.smooth)


def _s(x):
    return 1.0 / (1.0 + math.exp(-x))


#: name: (second derivative of the unary op at x, closed form).
UNARY = {
    "neg": lambda x: 0.0,
    "exp": math.exp,
    "log": lambda x: -1.0 / x**2,
    "sqrt": lambda x: -0.25 * x**-1.5,
    "tanh": lambda x: -2.0 * math.tanh(x) * (1.0 - math.tanh(x) ** 2),
    "sigmoid": lambda x: _s(x) * (1 - _s(x)) * (1 - 2 * _s(x)),
    "sin": lambda x: -math.sin(x),
    "cos": lambda x: -math.cos(x),
    "softplus": lambda x: _s(x) * (1 - _s(x)),
    "log_sigmoid": lambda x: -_s(x) * (1 - _s(x)),
    # elementwise, continued (second derivatives by hand)
    "log1p": lambda x: -1.0 / (1.0 + x) ** 2,
    "expm1": math.exp,
    "log2": lambda x: -1.0 / (x**2 * math.log(2.0)),
    "log10": lambda x: -1.0 / (x**2 * math.log(10.0)),
    "exp2": lambda x: 2.0**x * math.log(2.0) ** 2,
    "square": lambda x: 2.0,
    "reciprocal": lambda x: 2.0 / x**3,
    "tan": lambda x: 2.0 * math.tan(x) / math.cos(x) ** 2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "arcsin": lambda x: x / (1.0 - x**2) ** 1.5,
    "arccos": lambda x: -x / (1.0 - x**2) ** 1.5,
    "arctan": lambda x: -2.0 * x / (1.0 + x**2) ** 2,
    "arcsinh": lambda x: -x / (x**2 + 1.0) ** 1.5,
    "arccosh": lambda x: -x / (x**2 - 1.0) ** 1.5,
    "arctanh": lambda x: 2.0 * x / (1.0 - x**2) ** 2,
}
#: name: the Hessian [[fxx, fxy], [fxy, fyy]] at (x, y), closed form.
BINARY = {
    "add": lambda x, y: [[0.0, 0.0], [0.0, 0.0]],
    "sub": lambda x, y: [[0.0, 0.0], [0.0, 0.0]],
    "mul": lambda x, y: [[0.0, 1.0], [1.0, 0.0]],
    "div": lambda x, y: [[0.0, -1.0 / y**2], [-1.0 / y**2, 2.0 * x / y**3]],
    "pow": lambda x, y: [[y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * math.log(x))],
                         [x ** (y - 1) * (1 + y * math.log(x)), x**y * math.log(x) ** 2]],
    # logaddexp: with s = σ(x − y), ∂x = s and ∂y = 1 − s, so every entry is ±s(1 − s)
    "logaddexp": lambda x, y: [[_s(x - y) * _s(y - x), -_s(x - y) * _s(y - x)],
                               [-_s(x - y) * _s(y - x), _s(x - y) * _s(y - x)]],
}
POINTS = [0.3, 1.7, 2.5]


def test_the_closed_forms_cover_every_smooth_elementwise_op():
    elementwise = {n for n in SMOOTH_OPS if OPS[n].kind in ("unary", "binary")}
    assert elementwise == set(UNARY) | set(BINARY)


def _inside(name, x0):
    """The point lies in the op's test range (arcsin has none of 1.7, arccosh none of 0.3)."""
    low, high = OPS[name].domain.ranges[0]
    return low <= x0 <= high


@pytest.mark.parametrize("name, x0", [(name, x0) for name in sorted(UNARY)
                                      for x0 in POINTS + [-1.2, 0.6] if _inside(name, x0)])
def test_unary_second_derivative_closed_form(name, x0):
    x = Value(x0)
    (d1,) = grad(OPS[name](x), x, create_graph=True)
    (d2,) = grad(d1, x)
    assert d2.data == pytest.approx(UNARY[name](x0), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("x0, y0", [(0.7, 1.3), (1.9, -0.6), (1.2, 2.0)])
def test_binary_hessian_closed_form(name, x0, y0):
    x, y = Value(x0), Value(y0)
    dx, dy = grad(OPS[name](x, y), [x, y], create_graph=True)
    rows = []
    for first in (dx, dy):
        rows.append([float(g.data) for g in grad(first, [x, y])])
    np.testing.assert_allclose(rows, BINARY[name](x0, y0), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------
# Every smooth op, drawn inputs: engine Hessian-vector products against central
# differences of HIPS's first derivative.


def _engine_hvp(case, xs, projection, directions):
    values = [Value(x) for x in xs]
    out = case.function(*values)
    firsts = grad((out * projection).sum(), values, create_graph=True)
    total = sum(((g * v).sum() for g, v in zip(firsts, directions, strict=True)), Value(0.0))
    return [np.asarray(h.data, dtype=np.float64) for h in grad(total, values)]


def _hips_directional_first_derivative(case, xs, projection, directions):
    fn = hips_ops(conventions=True)[case.op.name]
    loss = lambda args: autograd.numpy.sum(fn(*args, **case.params) * projection)  # noqa: E731
    firsts = autograd.grad(loss)([np.asarray(x, dtype=np.float64) for x in xs])
    return sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(firsts, directions,
                                                                strict=True))


def _central_differences(fn, xs, h_rel=1e-5):
    out = []
    for k, x in enumerate(xs):
        g = np.zeros(np.shape(x))
        for idx in np.ndindex(np.shape(x)):
            h = h_rel * max(1.0, abs(float(np.asarray(x)[idx])))
            moved = []
            for step in (h, -h):
                shifted = [np.array(a, dtype=np.float64) for a in xs]
                shifted[k][idx] += step
                moved.append(fn(shifted))
            g[idx] = (moved[0] - moved[1]) / (2 * h)
        out.append(g)
    return out


@pytest.mark.parametrize("name", SMOOTH_OPS)
def test_second_derivatives_match_an_independent_first_derivative(name):
    @given(op_cases(OPS[name]))
    def check(case):
        xs = [np.array(x, dtype=np.float64) for x in case.inputs]
        rng = np.random.default_rng(0)
        out_shape = np.shape(case.function(*[Value(x) for x in xs]).data)
        projection = rng.standard_normal(out_shape)
        directions = [rng.standard_normal(np.shape(x)) for x in xs]
        ours = _engine_hvp(case, xs, projection, directions)
        expected = _central_differences(
            lambda moved: _hips_directional_first_derivative(case, moved, projection,
                                                             directions), xs)
        for k, (a, b) in enumerate(zip(ours, expected, strict=True)):
            scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7 * scale,
                                       err_msg=f"{case!r}: input {k}")

    check()
