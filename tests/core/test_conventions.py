"""Every kink, tie and edge convention of ``tinygrad_edu.check.oracles.CONVENTIONS`` is a test.

The expected values are the table's (which mirrors docs/conventions.md); where the table
says a reference agrees, the reference is checked too: HIPS autograd always (a test
dependency), PyTorch when importable (its documented rules: relu's threshold_backward,
clamp's ``lo ≤ x ≤ hi`` mask, maximum's halving at ties, pow's masked zero base). A
mutated rule in the engine (relu′(0) = 1, |x|′(0) = 1, ties to the other argument)
fails here.
"""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from tinygrad_edu import Value, grad
from tinygrad_edu.check.oracles import CONVENTIONS, torch_available

SHARE = {"first": (1.0, 0.0), "second": (0.0, 1.0), "share": (0.5, 0.5)}


def d(f, *xs):
    """Gradients of ``f`` at ``xs`` (scalars or lists), as float64 arrays."""
    values = [Value(x) for x in xs]
    out = f(*values)
    if out.shape != ():
        out = out.sum()
    return [np.asarray(g.data, dtype=np.float64) for g in grad(out, values)]


def hips_d(f, *xs):
    return [np.asarray(g) for g in autograd.grad(lambda a: f(*a))(
        [np.asarray(x, dtype=np.float64) for x in xs])]


BOTH_PATHS = [pytest.param(0.0, id="scalar"), pytest.param([0.0], id="array")]


# ----------------------------------------------------------------------- kinks


@pytest.mark.parametrize("zero", BOTH_PATHS)
def test_relu_derivative_at_zero(zero):
    (g,) = d(lambda x: x.relu(), zero)
    np.testing.assert_array_equal(g, CONVENTIONS["relu_at_0"].ours)  # PyTorch: 0


@pytest.mark.parametrize("zero", BOTH_PATHS)
def test_abs_derivative_at_zero(zero):
    (g,) = d(lambda x: x.abs(), zero)
    np.testing.assert_array_equal(g, CONVENTIONS["abs_at_0"].ours)
    (h,) = hips_d(lambda x: anp.sum(anp.abs(x)), zero)  # HIPS agrees: 0
    np.testing.assert_array_equal(g, h)


@pytest.mark.parametrize("reduction", ["max", "min"])
def test_max_and_min_over_ties_share_equally(reduction):
    x = [3.0, -1.0, 3.0, 3.0] if reduction == "max" else [-3.0, 1.0, -3.0, -3.0]
    (g,) = d(lambda v: getattr(v, reduction)(), x)
    assert CONVENTIONS["max_ties"].ours == "share"
    np.testing.assert_allclose(g, [1 / 3, 0.0, 1 / 3, 1 / 3], rtol=1e-15)
    (h,) = hips_d(lambda v: getattr(anp, reduction)(v), x)  # HIPS: g·(x == max)/count
    np.testing.assert_allclose(g, h, rtol=1e-15)


def test_max_over_an_axis_shares_per_row():
    (g,) = d(lambda v: v.max(axis=1), [[2.0, 2.0], [1.0, 5.0]])
    np.testing.assert_array_equal(g, [[0.5, 0.5], [0.0, 1.0]])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("tie", BOTH_PATHS[:1] + [pytest.param([1.5, -2.0], id="array")])
def test_maximum_and_minimum_at_ties(name, tie):
    dx, dy = d(lambda x, y: getattr(x, name)(y), tie, tie)
    want_x, want_y = SHARE[CONVENTIONS[f"{name}_ties"].ours]
    np.testing.assert_array_equal(dx, np.full(np.shape(tie), want_x))
    np.testing.assert_array_equal(dy, np.full(np.shape(tie), want_y))
    hx, hy = hips_d(lambda x, y: anp.sum(getattr(anp, name)(x, y)), tie, tie)
    np.testing.assert_array_equal(hx, np.full(np.shape(tie), 0.5))  # HIPS: balanced_eq
    np.testing.assert_array_equal(hy, np.full(np.shape(tie), 0.5))


@pytest.mark.parametrize("x, low, high", [(0.0, 0.0, 1.0), (1.0, 0.0, 1.0),
                                          ([0.0, 1.0], 0.0, 1.0), ([-2.0], -2.0, None),
                                          ([3.0], None, 3.0)])
def test_clip_at_its_bounds(x, low, high):
    (g,) = d(lambda v: v.clip(low, high), x)
    np.testing.assert_array_equal(g, np.full(np.shape(x), CONVENTIONS["clip_bounds"].ours))
    lo = -np.inf if low is None else low
    hi = np.inf if high is None else high
    (h,) = hips_d(lambda v: anp.sum(anp.clip(v, lo, hi)), x)
    np.testing.assert_array_equal(h, np.zeros(np.shape(x)))  # HIPS: lo < x < hi only


@pytest.mark.parametrize("zero", BOTH_PATHS)
def test_relu_maximum_and_clip_agree_at_zero(zero):
    """The issue's rule: relu(x), maximum(x, 0) and clip(x, 0, None) have one derivative
    at 0, relu's (PyTorch gives 0, 0.5 and 1: three different answers)."""
    assert CONVENTIONS["relu_maximum_clip_agree"].ours
    (relu,) = d(lambda x: x.relu(), zero)
    (maximum,) = d(lambda x: x.maximum(0.0), zero)
    (clip,) = d(lambda x: x.clip(0.0, None), zero)
    np.testing.assert_array_equal(relu, CONVENTIONS["relu_at_0"].ours)
    np.testing.assert_array_equal(maximum, relu, err_msg="maximum(x, 0) vs relu at 0")
    np.testing.assert_array_equal(clip, relu, err_msg="clip(x, 0, None) vs relu at 0")


# ----------------------------------------------------------------------- powers


@pytest.mark.parametrize("base", [0.0, -0.0, 2.0, -3.0, math.inf])
@pytest.mark.parametrize("path", ["scalar", "array"])
def test_power_zero_has_gradient_zero(base, path):
    x = base if path == "scalar" else [base]
    (g,) = d(lambda v: v ** 0.0, x)
    np.testing.assert_array_equal(g, np.full(np.shape(x), CONVENTIONS["pow_zero_exponent"].ours))


def test_power_zero_inside_a_sum_keeps_the_other_terms():
    # the case: 3·x⁰ + 2x + x² at 0 has derivative 2 (PyTorch: 2.0)
    (g,) = d(lambda x: 3.0 * x ** 0.0 + 2.0 * x + x ** 2.0, 0.0)
    assert g == 2.0


def test_polynomial_features_at_zero():
    # x ** [0, 1, 2] summed: derivative 0 + 1 + 2x = 1 at 0 and 0 + 1 + 2 = 3 at 1
    (g,) = d(lambda x: x.reshape(2, 1) ** np.arange(3.0), [0.0, 1.0])
    np.testing.assert_array_equal(g, [1.0, 3.0])


@pytest.mark.parametrize("y, want", [(2.0, 0.0), (1.0, 0.0), (0.5, 0.0), (0.0, 0.0),
                                     (-1.0, -math.inf), (-2.0, -math.inf)])
def test_zero_base_derivative_in_the_exponent(y, want):
    # d/dy 0**y: PyTorch masks x = 0, y ≥ 0 to 0; for y < 0 it is inf·log 0 = −inf
    assert CONVENTIONS["pow_zero_base"].ours == "pytorch"
    (g,) = d(lambda v: 0.0 ** v, [y])
    np.testing.assert_array_equal(g, [want])


@pytest.mark.parametrize("y, want", [(3.0, 0.0), (2.0, 0.0), (1.0, 1.0), (0.5, math.inf),
                                     (-1.0, -math.inf)])
def test_zero_base_derivative_in_the_base(y, want):
    # d/dx x**y at 0 = y·0**(y−1) (closed form; PyTorch and HIPS agree)
    (g,) = d(lambda v: v ** y, [0.0])
    np.testing.assert_array_equal(g, [want])
    (h,) = hips_d(lambda v: anp.sum(v ** y), [0.0])
    np.testing.assert_array_equal(g, h)


def test_negative_base_with_integer_exponents():
    # (−2)³: d/dx = 3·4 = 12; d/dy = x^y·ln x is nan (x < 0), as PyTorch and HIPS
    dx, dy = d(lambda x, y: x ** y, [-2.0], [3.0])
    np.testing.assert_array_equal(dx, [12.0])
    assert np.isnan(dy[0]) and math.isnan(CONVENTIONS["pow_negative_base"].ours)


# ----------------------------------------------------------------------- select, don't multiply

MASKED_INFINITIES = {
    # each: f, input, expected gradient (0 where the mask is 0, whatever the upstream)
    "relu_then_sqrt": (lambda x: x.relu().sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "relu_then_log": (lambda x: x.relu().log(), [-1.0, 4.0], [0.0, 0.25]),
    "maximum_then_sqrt": (lambda x: x.maximum(0.0).sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "clip_then_sqrt": (lambda x: x.clip(0.0, None).sqrt(), [-1.0, 4.0], [0.0, 0.25]),
    "minimum_then_sqrt": (lambda x: (-x).minimum(0.0).__neg__().sqrt(), [-1.0, 4.0],
                          [0.0, 0.25]),
    "max_then_sqrt": (lambda x: x.max().sqrt(), [0.0, -1.0], [math.inf, 0.0]),
    "scalar_relu_then_sqrt": (lambda x: x.relu().sqrt(), -1.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(MASKED_INFINITIES))
def test_a_zero_mask_times_an_infinite_upstream_is_zero(name):
    f, x, want = MASKED_INFINITIES[name]
    assert CONVENTIONS["select_not_multiply"].ours == 0.0
    (g,) = d(f, x)
    np.testing.assert_array_equal(g, np.asarray(want))


# ----------------------------------------------------------------------- nan propagates


NAN_FORWARD = {
    "relu": lambda x: x.relu(), "abs": lambda x: x.abs(),
    "maximum": lambda x: x.maximum(0.0), "minimum": lambda x: x.minimum(0.0),
    "clip": lambda x: x.clip(0.0, 1.0), "max": lambda x: x.max(),
}


@pytest.mark.parametrize("name", sorted(NAN_FORWARD))
@pytest.mark.parametrize("path", ["scalar", "array"])
def test_nan_propagates_forward(name, path):
    # NumPy's maximum/minimum/abs propagate nan (PyTorch too); the scalar path must agree
    x = Value(math.nan if path == "scalar" else [math.nan])
    assert np.all(np.isnan(NAN_FORWARD[name](x).data))


# ----------------------------------------------------------------------- PyTorch itself


@pytest.mark.skipif(not torch_available(), reason="PyTorch is optional; HIPS runs above")
def test_the_table_states_pytorch_rules_correctly():
    import torch

    def tgrad(f, *xs):
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        f(*ts).sum().backward()
        return [t.grad.numpy() for t in ts]

    assert tgrad(torch.relu, [0.0])[0][0] == 0.0
    assert tgrad(torch.abs, [0.0])[0][0] == 0.0
    np.testing.assert_array_equal(tgrad(torch.maximum, [1.0], [1.0]), [[0.5], [0.5]])
    np.testing.assert_array_equal(tgrad(lambda x: torch.clamp(x, 0.0, 1.0), [0.0, 1.0])[0],
                                  [1.0, 1.0])
    np.testing.assert_array_equal(tgrad(lambda x: torch.amax(x), [2.0, 2.0])[0], [0.5, 0.5])
    assert tgrad(lambda x: x ** 0.0, [0.0])[0][0] == 0.0
    np.testing.assert_array_equal(tgrad(lambda y: torch.pow(torch.zeros(2, dtype=torch.float64),
                                                            y), [2.0, -1.0])[0],
                                  [0.0, -math.inf])
    np.testing.assert_array_equal(tgrad(lambda x: torch.relu(x).sqrt(), [-1.0])[0], [0.0])


# ----------------------------------------------------------------------- elementwise, continued


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign"])
@pytest.mark.parametrize("x", [[-1.0, 0.0, 0.5, 2.0], [0.3, 1.7]])  # at the jumps, and between
def test_step_functions_are_flat_at_their_jumps_too(name, x):
    from tinygrad_edu import functional as F

    (g,) = d(getattr(F, name), x)
    np.testing.assert_array_equal(g, np.full(len(x), CONVENTIONS["steps_flat"].ours))


def test_steps_pass_zeros_through_a_singular_intermediate():
    # round(1/x) at x = 0: PyTorch's zeros times 1/x's −∞ derivative is nan; HIPS cuts the
    # graph at round (nograd) and gives 0 — the difference the convention names
    from tinygrad_edu import functional as F

    assert "hips" in CONVENTIONS["steps_pass_zeros"].differs
    with np.errstate(all="ignore"):
        (g,) = d(lambda x: F.round(F.reciprocal(x)), [0.0, 2.0])
        with pytest.warns(UserWarning, match="independent of input"):  # nograd: no edge
            (h,) = hips_d(lambda x: anp.sum(anp.rint(anp.reciprocal(x))), [0.0, 2.0])
    np.testing.assert_array_equal(g, [math.nan, 0.0])
    np.testing.assert_array_equal(h, [0.0, 0.0])


@pytest.mark.parametrize("x, y", [(4.0, 2.0), (1.0, 0.1), (-3.0, 1.5)])
def test_remainder_at_its_jumps_uses_the_forwards_quotient(x, y):
    from tinygrad_edu import functional as F

    assert CONVENTIONS["remainder_jump"].ours == "floor_divide"
    gx, gy = d(F.remainder, [x], [y])
    assert gx[0] == 1.0 and gy[0] == -(x // y)  # Python's // is the forward's quotient
    _, hy = hips_d(lambda a, b: anp.sum(anp.remainder(a, b)), [x], [y])
    assert hy[0] == -math.floor(x / y)  # HIPS: the quotient rounded first (−10 at 1 mod 0.1)


@pytest.mark.parametrize("name", ["hypot", "arctan2"])
def test_hypot_and_arctan2_at_the_origin(name):
    from tinygrad_edu import functional as F

    want = CONVENTIONS[f"{name}_at_origin"].ours
    gx, gy = d(getattr(F, name), [0.0], [0.0])
    np.testing.assert_array_equal([gx[0], gy[0]], [want, want])
    with np.errstate(all="ignore"):
        hx, hy = hips_d(lambda a, b: anp.sum(getattr(anp, name)(a, b)), [0.0], [0.0])
    assert math.isnan(hx[0]) and math.isnan(hy[0])  # HIPS: 0/0


@pytest.mark.parametrize("x, y, want_x", [(math.inf, 0.0, 1.0), (-math.inf, 1.0, 0.0)])
def test_logaddexp_with_an_infinite_input(x, y, want_x):
    from tinygrad_edu import functional as F

    assert CONVENTIONS["logaddexp_infinite"].ours == 1.0
    gx, gy = d(F.logaddexp, [x], [y])
    assert gx[0] == want_x and gy[0] == 1.0 - want_x
    with np.errstate(all="ignore"):
        hx, _ = hips_d(lambda a, b: anp.sum(anp.logaddexp(a, b)), [x], [y])
    assert math.isnan(hx[0]) == (x == math.inf)  # HIPS: e^(inf − inf) at +inf


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_elu_at_zero_takes_the_lower_branch(alpha):
    from tinygrad_edu import functional as F

    (g,) = d(lambda x: F.elu(x, alpha), [0.0])
    assert g[0] == CONVENTIONS["elu_at_0"].ours * alpha


def test_sign_of_nan_is_nan():
    from tinygrad_edu import functional as F

    for x in (math.nan, [math.nan]):
        assert np.all(np.isnan(F.sign(Value(x)).data))
    assert math.isnan(CONVENTIONS["sign_of_nan"].ours)


@pytest.mark.skipif(not torch_available(), reason="PyTorch is optional; HIPS runs above")
def test_the_table_states_pytorchs_elementwise_continued_rules_correctly():
    import torch

    from tinygrad_edu import functional as F

    def F_remainder(x, y):  # noqa: N802 - ours, on floats
        return F.remainder(x, y).data

    def tgrad(f, *xs):
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        f(*ts).sum().backward()
        return [t.grad.numpy() for t in ts]

    assert tgrad(torch.floor, [2.0])[0][0] == 0.0 and tgrad(torch.sign, [0.0])[0][0] == 0.0
    assert tgrad(torch.remainder, [1.0], [0.1])[1][0] == -9.0  # the forward's quotient
    assert np.isnan(tgrad(torch.hypot, [0.0], [0.0])).all()  # hypot_at_origin differs
    np.testing.assert_array_equal(tgrad(torch.atan2, [0.0], [0.0]), [[0.0], [0.0]])
    np.testing.assert_array_equal(tgrad(torch.logaddexp, [math.inf], [0.0]), [[1.0], [0.0]])
    assert tgrad(lambda x: torch.nn.functional.elu(x, 2.0), [0.0])[0][0] == 2.0
    assert torch.sign(torch.tensor(math.nan)).item() == 0.0  # sign_of_nan differs
    # remainder_overflow: PyTorch's vectorised kernel (8 or more elements) gives nan
    eight = torch.remainder(torch.full((8,), 1e300, dtype=torch.float64),
                            torch.full((8,), 1e-12, dtype=torch.float64))
    assert np.isnan(eight.numpy()).all() and F_remainder(1e300, 1e-12) == 1e300 % 1e-12
