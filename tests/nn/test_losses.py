"""Tests for tinygrad_edu.losses and the ±1000 stability table.

Oracles: each loss's closed-form definition written again in NumPy, the closed-form
gradients (o − t for ½Σ(o−t)², σ(z) − t for BCE-with-logits, softmax − onehot for
cross-entropy), central differences via ``check.gradcheck``, and, for ±1000, the
mathematical limits (e.g. σ(1000) = 1 with derivative 0, softplus(−1000) = 0).
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value, losses
from tinygrad_edu.check import gradcheck

RNG = np.random.default_rng(0)


def value_and_grad(fn, x):
    v = Value(np.array(x, dtype=np.float64))
    out = fn(v)
    out.backward()
    return out.data, v.grad


# ------------------------------------------------------------------ definitions
def test_mse_is_mean_of_squares():
    o, t = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    value, grad = value_and_grad(lambda v: losses.mse(v, t), o)
    assert value == pytest.approx(np.mean((o - t) ** 2), rel=1e-12)
    np.testing.assert_allclose(grad, 2 * (o - t) / o.size, rtol=1e-12)


def test_half_sse_is_the_articles_error_with_gradient_o_minus_t():
    # articles: E = ½ Σ (target − out)², so dE/dout = out − target
    o, t = np.array([0.75136507, 0.77292847]), np.array([0.01, 0.99])
    value, grad = value_and_grad(lambda v: losses.half_sse(v, t), o)
    assert value == pytest.approx(0.5 * ((0.01 - 0.75136507) ** 2 + (0.99 - 0.77292847) ** 2))
    np.testing.assert_allclose(grad, o - t, rtol=1e-12)


def test_bce_on_probabilities():
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
    value, grad = value_and_grad(lambda v: losses.bce(v, t), p)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert value == pytest.approx(expected, rel=1e-12)
    # d/dp of −[t log p + (1−t) log(1−p)] / n = (p − t) / (p(1 − p)) / n
    np.testing.assert_allclose(grad, (p - t) / (p * (1 - p)) / 3, rtol=1e-10)


def test_bce_clamps_certain_and_wrong_to_a_finite_loss():
    value, grad = value_and_grad(lambda v: losses.bce(v, [1.0, 0.0]), [0.0, 1.0])
    # clamped to eps = 1e-7: −log(1e-7) for each element
    assert value == pytest.approx(-math.log(losses.BCE_EPS), rel=1e-9)
    # outside [eps, 1 − eps] the clamp is flat, so its derivative (and the loss's) is 0
    np.testing.assert_array_equal(grad, [0.0, 0.0])


def test_bce_with_logits_equals_bce_of_sigmoid_with_gradient_sigma_minus_t():
    z, t = RNG.standard_normal(5) * 3, np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    value, grad = value_and_grad(lambda v: losses.bce_with_logits(v, t), z)
    p = 1 / (1 + np.exp(-z))
    assert value == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), rel=1e-10)
    np.testing.assert_allclose(grad, (p - t) / 5, rtol=1e-10)


def test_cross_entropy_from_logits_and_integer_labels():
    z, y = RNG.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    value, grad = value_and_grad(lambda v: losses.cross_entropy(v, y), z)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(softmax[np.arange(4), y])), rel=1e-12)
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(grad, (softmax - onehot) / 4, rtol=1e-10, atol=1e-15)


def test_hinge():
    s, y = np.array([2.0, 0.5, -0.3, -2.0]), np.array([1.0, 1.0, -1.0, 1.0])
    value, grad = value_and_grad(lambda v: losses.hinge(v, y), s)
    margins = 1 - y * s                          # [-1, 0.5, 0.7, 3]
    assert value == pytest.approx(np.mean(np.maximum(margins, 0)))
    np.testing.assert_allclose(grad, np.where(margins > 0, -y, 0.0) / 4)


@pytest.mark.parametrize("name, loss, target", [
    ("mse", losses.mse, RNG.standard_normal((3, 2))),
    ("half_sse", losses.half_sse, RNG.standard_normal((3, 2))),
    ("bce", losses.bce, RNG.uniform(0, 1, (3, 2))),
    ("bce_with_logits", losses.bce_with_logits, RNG.uniform(0, 1, (3, 2))),
    ("hinge", losses.hinge, np.sign(RNG.standard_normal((3, 2)))),
])
def test_elementwise_losses_pass_gradcheck(name, loss, target):
    x = RNG.uniform(0.1, 0.9, (3, 2)) if name == "bce" else RNG.standard_normal((3, 2))
    assert gradcheck(lambda v: loss(v, target), [x])


def test_cross_entropy_passes_gradcheck():
    assert gradcheck(lambda v: losses.cross_entropy(v, [2, 0, 1]), [RNG.standard_normal((3, 4))])


@pytest.mark.parametrize("loss", [losses.mse, losses.half_sse, losses.hinge])
def test_scalar_list_form_equals_tensor_form(loss):
    """nn.scalar.MLP outputs a list of scalar Values; the loss must agree with the tensor one."""
    o, t = RNG.standard_normal(5), np.sign(RNG.standard_normal(5))
    scalars = [Value(float(v)) for v in o]
    tensor = Value(o)
    a, b = loss(scalars, t), loss(tensor, t)
    a.backward()
    b.backward()
    assert a.data == pytest.approx(b.data, rel=1e-12)
    np.testing.assert_allclose([s.grad for s in scalars], tensor.grad, rtol=1e-12)


# ------------------------------------------------------------------ bad input
def test_shape_mismatch_is_refused_not_broadcast():
    with pytest.raises(ValueError, match=r"mse: output shape \(4, 1\) and target shape \(4,\)"):
        losses.mse(Value(np.zeros((4, 1))), np.zeros(4))


def test_cross_entropy_checks_labels():
    z = Value(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        losses.cross_entropy(z, [0, 3])
    with pytest.raises(ValueError, match=r"logits \(2, 3\) and labels \(3,\)"):
        losses.cross_entropy(z, [0, 1, 2])
    with pytest.raises(TypeError, match="integers"):
        losses.cross_entropy(z, [0.5, 1.0])


def test_non_value_output_is_a_type_error():
    with pytest.raises(TypeError, match="bce_with_logits"):
        losses.bce_with_logits(np.zeros(3), np.zeros(3))


# ------------------------------------------------------------------ the ±1000 table
# (name, function of a Value, input, expected value, expected gradient), all limits:
# the upstream gradient is all ones (sum), except where the function reduces itself.
BIG = 1000.0
STABILITY_TABLE = [
    ("sigmoid(+1000)", lambda v: v.sigmoid(), BIG, 1.0, 0.0),
    ("sigmoid(−1000)", lambda v: v.sigmoid(), -BIG, 0.0, 0.0),
    ("tanh(+1000)", lambda v: v.tanh(), BIG, 1.0, 0.0),
    ("tanh(−1000)", lambda v: v.tanh(), -BIG, -1.0, 0.0),
    ("softplus(+1000)", lambda v: v.softplus(), BIG, BIG, 1.0),
    ("softplus(−1000)", lambda v: v.softplus(), -BIG, 0.0, 0.0),
    ("log_sigmoid(+1000)", lambda v: v.log_sigmoid(), BIG, 0.0, 0.0),
    ("log_sigmoid(−1000)", lambda v: v.log_sigmoid(), -BIG, -BIG, 1.0),
    # logsumexp([a, b]) → max plus log of the tie count; gradient = softmax
    ("logsumexp[+1000, −1000]", lambda v: v.logsumexp(), [BIG, -BIG], BIG, [1.0, 0.0]),
    ("logsumexp[+1000, +1000]", lambda v: v.logsumexp(), [BIG, BIG], BIG + math.log(2),
     [0.5, 0.5]),
    ("logsumexp[−1000, −1000]", lambda v: v.logsumexp(), [-BIG, -BIG], -BIG + math.log(2),
     [0.5, 0.5]),
    # log_softmax[1000, −1000] = [0, −2000]; d/dx of its second entry = onehot₁ − softmax
    ("log_softmax[+1000, −1000][1]", lambda v: v.log_softmax()[1], [BIG, -BIG], -2 * BIG,
     [-1.0, 1.0]),
    ("log_softmax[+1000, −1000][0]", lambda v: v.log_softmax()[0], [BIG, -BIG], 0.0,
     [0.0, 0.0]),
    ("softmax[+1000, −1000][0]", lambda v: v.softmax()[0], [BIG, -BIG], 1.0, [0.0, 0.0]),
    # bce_with_logits = softplus(z) − t·z, gradient σ(z) − t
    ("bce_with_logits(+1000, t=1)", lambda v: losses.bce_with_logits(v, [1.0]), [BIG], 0.0,
     [0.0]),
    ("bce_with_logits(+1000, t=0)", lambda v: losses.bce_with_logits(v, [0.0]), [BIG], BIG,
     [1.0]),
    ("bce_with_logits(−1000, t=1)", lambda v: losses.bce_with_logits(v, [1.0]), [-BIG], BIG,
     [-1.0]),
    ("bce_with_logits(−1000, t=0)", lambda v: losses.bce_with_logits(v, [0.0]), [-BIG], 0.0,
     [0.0]),
    # cross_entropy = −log_softmax[label], gradient softmax − onehot
    ("cross_entropy([1000, −1000], 0)", lambda v: losses.cross_entropy(v, [0]), [[BIG, -BIG]],
     0.0, [[0.0, 0.0]]),
    ("cross_entropy([1000, −1000], 1)", lambda v: losses.cross_entropy(v, [1]), [[BIG, -BIG]],
     2 * BIG, [[1.0, -1.0]]),
    ("hinge(−1000, y=1)", lambda v: losses.hinge(v, [1.0]), [-BIG], 1 + BIG, [-1.0]),
]


@pytest.mark.parametrize("case", STABILITY_TABLE, ids=[c[0] for c in STABILITY_TABLE])
def test_stable_at_plus_minus_1000(case):
    _, fn, x, expected_value, expected_grad = case
    for kind in ("tensor", "scalar") if np.ndim(x) == 0 else ("tensor",):
        v = Value(float(x)) if kind == "scalar" else Value(np.array(x, dtype=np.float64))
        # overflow, 0·inf and log(0) inside would raise here (underflow to 0 is fine)
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            out = fn(v)
            out.backward(np.ones(out.shape) if out.shape else None)
        assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(v.grad)), kind
        np.testing.assert_allclose(out.data, expected_value, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(v.grad, expected_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["mse", "half_sse", "bce", "bce_with_logits", "hinge"])
def test_a_target_that_requires_grad_is_a_constant(name):
    """Targets are constants: a teacher's output as target gets no gradient, and the
    output's gradient equals the one for the same target given as an array."""
    loss = getattr(losses, name)
    teacher = Value(np.array([0.2, 0.9]))
    target = teacher * 1.0  # requires grad
    out = Value(np.array([0.4, 0.6]))
    loss(out.sigmoid(), target).backward()
    assert teacher.grad is None
    reference = Value(np.array([0.4, 0.6]))
    loss(reference.sigmoid(), target.data).backward()
    np.testing.assert_array_equal(out.grad, reference.grad)


def test_a_target_that_requires_grad_inside_trace_is_an_error():
    from tinygrad_edu import trace

    w = Value(np.array([0.5]))
    f = trace(lambda x: losses.mse(x * w, w * 2.0))
    with pytest.raises(TypeError, match="mse: inside trace\\(\\) the target must not require"):
        f(np.array([1.0]))
