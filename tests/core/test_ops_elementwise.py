"""The elementwise rows of issue 14 and the activations built from rows.

Oracles: NumPy for values; derivatives written by hand from calculus (closed forms) and
float64 central differences for gradients; PyTorch's numbers at the singular points,
written here as closed-form expectations (±inf, the one-sided limits) so the tests run
without PyTorch; PyTorch itself (when installed) for the activations and their modules.
The property tests of every row (gradcheck, JVPs, the whole-domain fuzzer against HIPS
autograd) come from the table: tests/core/test_ops.py, test_forward_mode.py,
test_fuzz_programs.py.
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value, grad, jvp, nn
from tinygrad_edu import functional as F
from tinygrad_edu.core.errors import ShapeError

LN2, LN10 = math.log(2.0), math.log(10.0)

#: name: (NumPy's function, the derivative by hand, points inside the domain).
UNARY = {
    "log1p": (np.log1p, lambda x: 1 / (1 + x), [-0.5, 0.0, 2.0]),
    "expm1": (np.expm1, math.exp, [-2.0, 1e-10, 1.5]),
    "log2": (np.log2, lambda x: 1 / (x * LN2), [0.25, 1.0, 8.0]),
    "log10": (np.log10, lambda x: 1 / (x * LN10), [0.01, 1.0, 1000.0]),
    "exp2": (np.exp2, lambda x: 2.0**x * LN2, [-3.0, 0.0, 10.0]),
    "square": (np.square, lambda x: 2 * x, [-3.0, 0.0, 1.5]),
    "reciprocal": (np.reciprocal, lambda x: -1 / x**2, [-2.0, 0.5, 4.0]),
    "tan": (np.tan, lambda x: 1 / math.cos(x) ** 2, [-1.0, 0.0, 1.2]),
    "sinh": (np.sinh, math.cosh, [-2.0, 0.0, 3.0]),
    "cosh": (np.cosh, math.sinh, [-2.0, 0.0, 3.0]),
    "arcsin": (np.arcsin, lambda x: 1 / math.sqrt(1 - x * x), [-0.9, 0.0, 0.5]),
    "arccos": (np.arccos, lambda x: -1 / math.sqrt(1 - x * x), [-0.9, 0.0, 0.5]),
    "arctan": (np.arctan, lambda x: 1 / (1 + x * x), [-5.0, 0.0, 1.0]),
    "arcsinh": (np.arcsinh, lambda x: 1 / math.sqrt(x * x + 1), [-5.0, 0.0, 1.0]),
    "arccosh": (np.arccosh, lambda x: 1 / math.sqrt(x * x - 1), [1.5, 2.0, 10.0]),
    "arctanh": (np.arctanh, lambda x: 1 / (1 - x * x), [-0.9, 0.0, 0.5]),
}
STEPS = {"floor": np.floor, "ceil": np.ceil, "round": np.rint, "sign": np.sign}


def d(f, *xs):
    """Gradients of sum(f(*xs)) (scalars stay scalars)."""
    values = [Value(x) for x in xs]
    out = f(*values)
    return [g.data for g in grad(out.sum() if out.shape else out, values)]


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# ------------------------------------------------------------------ values and gradients


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_match_numpy_and_gradients_the_closed_form(name):
    np_fn, derivative, points = UNARY[name]
    fn = getattr(F, name)
    xs = np.array(points)
    np.testing.assert_allclose(fn(Value(xs)).data, np_fn(xs), rtol=1e-15)
    for x0 in points:  # the float path (math) and the array path (NumPy)
        assert fn(Value(x0)).data == pytest.approx(float(np_fn(x0)), rel=1e-15, abs=1e-300)
        (g_float,) = d(fn, x0)
        (g_array,) = d(fn, np.array([x0]))
        assert g_float == pytest.approx(derivative(x0), rel=1e-13)
        np.testing.assert_allclose(g_array, [derivative(x0)], rtol=1e-13)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_functions_match_numpy_with_gradient_zero(name):
    xs = np.array([-2.5, -1.5, -0.4, -0.0, 0.0, 0.5, 1.5, 2.0, 2.7])
    out = getattr(F, name)(Value(xs)).data
    np.testing.assert_array_equal(out, STEPS[name](xs))
    np.testing.assert_array_equal(np.signbit(out), np.signbit(STEPS[name](xs)))  # −0.0 kept
    for x0 in xs:  # scalars agree with NumPy, signed zeros included
        got = getattr(F, name)(Value(float(x0))).data
        assert got == STEPS[name](x0) and math.copysign(1, got) == math.copysign(1, STEPS[name](x0))
    (g,) = d(getattr(F, name), xs)
    np.testing.assert_array_equal(g, np.zeros(xs.shape))  # at the jumps too (PyTorch: 0)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_functions_send_zeros_even_for_an_infinite_upstream(name):
    x = Value([1.0, 2.5])
    (g,) = grad(getattr(F, name)(x), [x], grad_outputs=np.array([np.inf, -np.inf]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_round_halves_to_even_and_rounds_to_decimals():
    v = Value([0.5, 1.5, 2.5, -0.5, 2.675])
    np.testing.assert_array_equal(v.round().data, [0.0, 2.0, 2.0, -0.0, 3.0])
    np.testing.assert_array_equal(F.round(v, 2).data, np.round(v.data, 2))
    (g,) = d(lambda x: x.round(1) * 3.0, [0.26, 1.0])
    np.testing.assert_array_equal(g, [0.0, 0.0])


BINARY = {
    # name: (NumPy, ∂/∂x, ∂/∂y by hand)
    "arctan2": (np.arctan2, lambda x, y: y / (x * x + y * y), lambda x, y: -x / (x * x + y * y)),
    "hypot": (np.hypot, lambda x, y: x / math.hypot(x, y), lambda x, y: y / math.hypot(x, y)),
    "logaddexp": (np.logaddexp, lambda x, y: math.exp(x) / (math.exp(x) + math.exp(y)),
                  lambda x, y: math.exp(y) / (math.exp(x) + math.exp(y))),
    "remainder": (np.remainder, lambda x, y: 1.0, lambda x, y: -math.floor(x / y)),
}
PAIRS = [(1.3, 0.7), (-2.2, 1.9), (0.4, -3.1), (-1.1, -0.6)]


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_match_numpy_and_gradients_the_closed_form(name):
    np_fn, dx, dy = BINARY[name]
    xs, ys = np.array(PAIRS).T
    np.testing.assert_allclose(getattr(F, name)(Value(xs), Value(ys)).data, np_fn(xs, ys),
                               rtol=1e-15)
    for x0, y0 in PAIRS:
        gx, gy = d(getattr(F, name), x0, y0)
        assert gx == pytest.approx(dx(x0, y0), rel=1e-13)
        assert gy == pytest.approx(dy(x0, y0), rel=1e-13)
    gx, gy = d(getattr(F, name), xs, ys)  # the array path, and broadcasting a scalar y
    np.testing.assert_allclose(gx, [dx(a, b) for a, b in PAIRS], rtol=1e-13)
    np.testing.assert_allclose(gy, [dy(a, b) for a, b in PAIRS], rtol=1e-13)
    _, gy_scalar = d(getattr(F, name), xs, 0.7)
    assert gy_scalar == pytest.approx(sum(dy(a, 0.7) for a in xs), rel=1e-13)


def test_logaddexp_is_stable_for_huge_inputs():
    out = F.logaddexp(Value([1000.0, -1000.0]), Value([1000.0, -1000.0]))
    np.testing.assert_allclose(out.data, [1000.0 + LN2, -1000.0 + LN2], rtol=1e-15)
    gx, gy = d(F.logaddexp, [1000.0, -1000.0, 800.0], [1000.0, -1000.0, 0.0])
    np.testing.assert_array_equal(gx, [0.5, 0.5, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 0.5, 0.0])  # σ(−800) underflows to 0


def test_shape_errors_name_the_op():
    with pytest.raises(ShapeError, match=r"hypot: cannot broadcast shapes \(2,\) and \(3,\)"):
        F.hypot(Value([1.0, 2.0]), Value([1.0, 2.0, 3.0]))
    with pytest.raises(ShapeError, match="remainder"):
        Value([1.0, 2.0]) % np.ones(3)


# ------------------------------------------------------------------ edges (PyTorch's values)

EDGES = [
    # (name, x, value, derivative): PyTorch 2.x gives these (one-sided limits, IEEE signs)
    ("arcsin", 1.0, math.pi / 2, math.inf), ("arcsin", -1.0, -math.pi / 2, math.inf),
    ("arccos", 1.0, 0.0, -math.inf), ("arccos", -1.0, math.pi, -math.inf),
    ("arctanh", 1.0, math.inf, math.inf), ("arctanh", -1.0, -math.inf, math.inf),
    ("arccosh", 1.0, 0.0, math.inf),
    ("log1p", -1.0, -math.inf, math.inf),
    ("log2", 0.0, -math.inf, math.inf), ("log2", -0.0, -math.inf, -math.inf),
    ("log10", 0.0, -math.inf, math.inf), ("log10", -0.0, -math.inf, -math.inf),
    ("reciprocal", 0.0, math.inf, -math.inf), ("reciprocal", -0.0, -math.inf, -math.inf),
    ("expm1", -math.inf, -1.0, 0.0), ("exp2", -math.inf, 0.0, 0.0),
    ("arcsin", 1.5, math.nan, math.nan), ("arccosh", 0.5, math.nan, math.nan),
]


@pytest.mark.parametrize("path", ["scalar", "array"])
@pytest.mark.parametrize("name, x0, value, derivative", EDGES)
def test_singular_points_give_pytorchs_limits(name, x0, value, derivative, path):
    x = Value(x0 if path == "scalar" else [x0])
    with np.errstate(all="ignore"):
        out = getattr(F, name)(x)
        (g,) = grad(out.sum(), [x])
    np.testing.assert_array_equal(np.ravel(out.data), [value])
    np.testing.assert_array_equal(np.ravel(g.data), [derivative])


@pytest.mark.parametrize("path", ["scalar", "array"])
def test_hypot_and_arctan2_at_the_origin_have_gradient_zero(path):
    # hypot: a cone point (hypot(x, 0) = |x|, |x|′(0) = 0; PyTorch and HIPS give nan);
    # arctan2: PyTorch's 0 (HIPS: nan)
    zero = 0.0 if path == "scalar" else [0.0, 3.0]
    other = 0.0 if path == "scalar" else [0.0, 4.0]
    gx, gy = d(F.hypot, zero, other)
    np.testing.assert_array_equal(np.ravel(gx), [0.0, 0.6][:np.size(gx)])
    np.testing.assert_array_equal(np.ravel(gy), [0.0, 0.8][:np.size(gy)])
    gx, gy = d(F.arctan2, zero, other)
    np.testing.assert_array_equal(np.ravel(gx), [0.0, 4 / 25][:np.size(gx)])
    np.testing.assert_array_equal(np.ravel(gy), [0.0, -3 / 25][:np.size(gy)])


def test_hypot_origin_rule_has_finite_second_derivatives():
    x, y = Value([0.0, 3.0]), Value([0.0, 4.0])
    gx, _ = grad(F.hypot(x, y).sum(), [x, y], create_graph=True)
    hxx, hxy = grad(gx.sum(), [x, y])
    # ∂²/∂x² hypot = y²/h³ = 16/125 and ∂²/∂x∂y = −xy/h³ = −12/125 at (3, 4); 0 at the origin
    np.testing.assert_allclose(hxx.data, [0.0, 16 / 125], rtol=1e-14)
    np.testing.assert_allclose(hxy.data, [0.0, -12 / 125], rtol=1e-14)


@pytest.mark.parametrize("x0, y0, want_x, want_y", [
    (math.inf, 0.0, 1.0, 0.0), (-math.inf, 0.0, 0.0, 1.0), (-math.inf, math.inf, 0.0, 1.0),
    (0.0, -math.inf, 1.0, 0.0)])
def test_logaddexp_gradients_with_an_infinite_input_are_pytorchs_limits(x0, y0, want_x, want_y):
    for path in (lambda v: v, lambda v: [v]):
        gx, gy = d(F.logaddexp, path(x0), path(y0))
        np.testing.assert_array_equal(np.ravel(gx), [want_x])
        np.testing.assert_array_equal(np.ravel(gy), [want_y])


def test_logaddexp_of_two_minus_infinities_is_nan_as_in_pytorch():
    # no limit: along x = y the derivatives are ½, along y = −inf 1 and 0
    gx, gy = d(F.logaddexp, -math.inf, -math.inf)
    assert F.logaddexp(Value(-math.inf), -math.inf).data == -math.inf
    assert math.isnan(gx) and math.isnan(gy)


# ------------------------------------------------------------------ the % operator


@pytest.mark.parametrize("x0, y0, value, dy", [
    (5.5, 2.0, 1.5, -2.0), (-5.5, 2.0, 0.5, 3.0), (5.5, -2.0, -0.5, 3.0),
    (4.0, 2.0, 0.0, -2.0),   # a jump: the forward's quotient 2 (PyTorch: −2)
    (1.0, 0.1, 1.0 - 9 * 0.1, -9.0),  # 1.0 // 0.1 is 9: the forward used 9, not 10
])
def test_mod_operator_values_and_gradients(x0, y0, value, dy):
    x, y = Value(x0), Value(y0)
    out = x % y
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12) and out.data == x0 % y0
    assert x.grad == 1.0 and y.grad == dy  # ∂/∂x = 1: x mod y moves with x between jumps
    xs, ys = Value([x0]), Value([y0])
    (xs % ys).sum().backward()
    assert xs.grad[0] == 1.0 and ys.grad[0] == dy


@pytest.mark.parametrize("x0, y0", [(2.3, 0.7), (-1.9, 0.8), (1.1, -0.45)])
def test_mod_against_central_differences_between_the_jumps(x0, y0):
    gx, gy = d(lambda a, b: a % b, x0, y0)
    assert gx == pytest.approx(central(lambda t: t % y0, x0), rel=1e-7)
    assert gy == pytest.approx(central(lambda t: x0 % t, y0), rel=1e-7)


def test_rmod_imod_and_mod_by_zero():
    y = Value(2.0)
    out = 7.0 % y  # __rmod__: 7 − 3·2
    out.backward()
    assert out.data == 1.0 and y.grad == -3.0
    v = Value([5.0, -1.0], requires_grad=False)
    v %= 3.0
    np.testing.assert_array_equal(v.data, [2.0, 2.0])
    x, z = Value(5.5), Value(0.0)
    with np.errstate(all="ignore"):
        out = x % z
        out.backward()
    assert math.isnan(out.data) and x.grad == 1.0 and z.grad == -math.inf  # PyTorch's


# ------------------------------------------------------------------ np.xxx(Value)

UFUNCS = {"log1p": np.log1p, "expm1": np.expm1, "log2": np.log2, "log10": np.log10,
          "exp2": np.exp2, "square": np.square, "reciprocal": np.reciprocal, "tan": np.tan,
          "sinh": np.sinh, "cosh": np.cosh, "arcsin": np.arcsin, "arccos": np.arccos,
          "arctan": np.arctan, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
          "arctanh": np.arctanh, "floor": np.floor, "ceil": np.ceil, "sign": np.sign,
          "round": np.rint}


@pytest.mark.parametrize("name", sorted(UFUNCS))
def test_numpy_ufuncs_on_values_keep_the_graph(name):
    data = np.array([1.2, 1.7]) if name == "arccosh" else np.array([0.3, 0.6])
    x = Value(data)
    out = UFUNCS[name](x)
    assert isinstance(out, Value) and out.op.name == name
    np.testing.assert_array_equal(out.data, UFUNCS[name](data))
    out.sum().backward()
    (want,) = d(getattr(F, name), data)
    np.testing.assert_array_equal(x.grad, want)


@pytest.mark.parametrize("fn, name", [(np.arctan2, "arctan2"), (np.hypot, "hypot"),
                                      (np.logaddexp, "logaddexp"), (np.mod, "remainder"),
                                      (np.remainder, "remainder")])
def test_numpy_binary_ufuncs_on_values(fn, name):
    x, y = Value([1.5, -0.5]), np.array([0.7, 2.0])
    out = fn(x, y)
    assert isinstance(out, Value) and out.op.name == name
    np.testing.assert_array_equal(out.data, fn(x.data, y))
    out = fn(y, x)  # an ndarray first: NumPy hands over to the Value
    assert isinstance(out, Value) and out.op.name == name


def test_numpy_round_and_around_on_values():
    x = Value([0.5, 1.26])
    for out in (np.round(x), np.around(x), np.round(x, 1)):
        assert isinstance(out, Value)
    np.testing.assert_array_equal(np.round(x, 1).data, [0.5, 1.3])
    with pytest.raises(TypeError, match="numpy.round on a Value: argument"):
        np.round(x, out=np.zeros(2))
    assert isinstance(np.array([2.0, 3.0]) % x, Value)  # an ndarray first: still a Value


# ------------------------------------------------------------------ activations

def _torch_gelu(x):  # the tanh form, by hand (PyTorch's approximate="tanh")
    return 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


ACTIVATION_FORMS = {
    # name: (forward by hand, derivative by hand or None for central differences)
    "leaky_relu": (lambda x: x if x > 0 else 0.01 * x, lambda x: 1.0 if x > 0 else 0.01),
    "elu": (lambda x: x if x > 0 else math.expm1(x), lambda x: 1.0 if x > 0 else math.exp(x)),
    "gelu": (_torch_gelu, None),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATION_FORMS))
def test_activation_values_and_gradients(name):
    forward, derivative = ACTIVATION_FORMS[name]
    points = [-3.0, -0.7, 0.4, 2.5]
    fn = getattr(F, name)
    np.testing.assert_allclose(fn(Value(points)).data, [forward(p) for p in points], rtol=1e-14)
    (g,) = d(fn, np.array(points))
    want = [derivative(p) if derivative else central(forward, p) for p in points]
    np.testing.assert_allclose(g, want, rtol=1e-13 if derivative else 1e-8)
    # forward mode (tangent 1) agrees with reverse mode
    _, tangent = jvp(fn, (np.array(points),), (np.ones(4),))
    np.testing.assert_allclose(tangent.data, g, rtol=1e-14)


@pytest.mark.parametrize("path", [0.0, [0.0]])
def test_activation_kinks_at_zero_follow_pytorch(path):
    assert np.ravel(d(F.leaky_relu, path)[0]) == [0.01]  # the lower side, as relu′(0) = 0
    assert np.ravel(d(lambda x: F.leaky_relu(x, 0.2), path)[0]) == [0.2]
    assert np.ravel(d(lambda x: F.leaky_relu(x, 3.0), path)[0]) == [3.0]  # minimum form
    assert np.ravel(d(F.elu, path)[0]) == [1.0]  # α·e⁰: the x ≤ 0 branch
    assert np.ravel(d(lambda x: F.elu(x, 2.0), path)[0]) == [2.0]


def test_leaky_relu_of_any_slope_and_elu_far_out():
    xs = np.array([-2.0, 3.0])
    for slope in (-0.5, 0.0, 0.3, 1.0, 2.5):
        np.testing.assert_array_equal(F.leaky_relu(Value(xs), slope).data, [-2.0 * slope, 3.0])
        (g,) = d(lambda x, s=slope: F.leaky_relu(x, s), xs)
        np.testing.assert_array_equal(g, [slope, 1.0])
    (g,) = d(F.elu, np.array([-1000.0, 1000.0, -math.inf]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])  # e^−1000 = 0; no overflow warning


MODULES = [(nn.LeakyReLU(), "leaky_relu", {}), (nn.LeakyReLU(0.2), "leaky_relu",
                                                 {"negative_slope": 0.2}),
           (nn.ELU(), "elu", {}), (nn.ELU(0.5), "elu", {"alpha": 0.5}),
           (nn.GELU(), "gelu", {"approximate": "tanh"}), (nn.SiLU(), "silu", {})]


@pytest.mark.parametrize("module, name, kwargs", MODULES, ids=lambda m: repr(m))
def test_activation_modules_match_pytorch_at_float64(module, name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    data = np.concatenate([rng.standard_normal((3, 4)).ravel() * 3, [0.0, -0.0, 1e-9]])
    upstream = rng.standard_normal(data.shape)
    x = Value(data)
    out = module(x)
    (g,) = grad(out, [x], grad_outputs=upstream)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    t_out = getattr(torch.nn.functional, name)(t, **kwargs)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(g.data, t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_activation_modules_in_an_mlp_and_their_repr():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)" and repr(nn.SiLU()) == "SiLU()"
    net = nn.MLP([3, 4, 2], activation="gelu", rng=0)
    assert isinstance(net.net.layers[1], nn.GELU)
    net(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_traced_replays_recompute_the_data_dependent_rules():
    # hypot's origin, elu's branch, %'s quotient and floor are read from each call's data
    from tinygrad_edu import trace

    w = Value(np.array([0.5, -1.0, 0.0]))

    def f(x):
        return (F.hypot(x * w, x) + F.elu(x - w) + (x % 0.7) * w + F.leaky_relu(x * w)
                + F.floor(x) * w + F.logaddexp(x, w)).sum()

    step = trace(f)
    for data in (np.array([0.0, 1.0, -2.0]), np.array([1.5, 0.0, 0.3])):
        w.grad = None
        step(data).backward()
        replayed = w.grad.copy()
        w.grad = None
        f(Value(data, requires_grad=False)).backward()
        np.testing.assert_array_equal(replayed, w.grad)
    assert step.recordings == 1


@pytest.mark.parametrize("scale", [1e200, 1e-300])
def test_arctan2_gradient_far_from_and_near_the_origin(scale):
    """y/(x² + y²) and −x/(x² + y²) at (a·s, b·s) are b/(s(a² + b²)) and −a/(s(a² + b²)):
    finite where x² + y² itself overflows (s = 1e200) or underflows (s = 1e-300)."""
    a, b = 1.0, 2.0
    x, y = Value(a * scale), Value(b * scale)
    F.arctan2(x, y).backward()
    assert x.grad == pytest.approx(b / (scale * (a * a + b * b)), rel=1e-14)
    assert y.grad == pytest.approx(-a / (scale * (a * a + b * b)), rel=1e-14)


def test_arctan2_gradient_when_y_rounds_to_zero_beside_float32():
    """1e-300 beside a float32 array is a float32 0: (0, 1e-300) is the origin there
    (gradient 0, the convention), never 0/0."""
    x = Value(np.array([0.0, -2.0, 1.0], dtype=np.float32))
    F.arctan2(x, 1e-300).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3, dtype=np.float32))
