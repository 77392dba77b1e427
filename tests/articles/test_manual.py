"""Tests for tinygrad_edu.manual, the hand-derived NumPy oracle.

The expected numbers are those of the articles' training runs in float64.  The
gradients are also checked against central finite differences of losses written
out independently here, so the oracle does not merely agree with itself.
"""

from __future__ import annotations

import doctest
import importlib.util
import math
import pathlib
import time

import numpy as np
import pytest

# Loaded from its file so these tests do not depend on the package's
# __init__ (which other parts of the project are still building).
_PATH = pathlib.Path(__file__).resolve().parents[2] / "tinygrad_edu" / "articles" / "manual.py"
_SPEC = importlib.util.spec_from_file_location("tinygrad_edu_manual_under_test", _PATH)
manual = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(manual)

ATOL = 1e-9
W_H0 = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
W_O0 = np.array([[0.7], [0.8], [0.9]])


@pytest.fixture(scope="module")
def article2_fit():
    start = time.perf_counter()
    fit = manual.train_two_layer(manual.OR_X, manual.OR_T, W_H0, W_O0, lr=0.05, iterations=200_000)
    print(f"article II 200,000-iteration loop: {time.perf_counter() - start:.2f} s")
    return fit


# ------------------------------------------------------------------------ data


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("OR_X", (4, 2)),
        ("OR_T", (4, 1)),
        ("VIRUS_X", (8, 4)),
        ("VIRUS_T", (8, 1)),
        ("XOR_X", (4, 2)),
        ("XOR_T", (4, 1)),
        ("BLOG_X", (4, 3)),
        ("BLOG_T", (4, 1)),
    ],
)
def test_constants_are_read_only_float64(name, shape):
    array = getattr(manual, name)
    assert array.shape == shape
    assert array.dtype == np.float64
    assert not array.flags.writeable
    with pytest.raises(ValueError):
        array[0, 0] = 5.0


def test_module_imports_only_numpy():
    source = _PATH.read_text()
    imports = {
        line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "typing", "numpy"}


def test_docstring_examples_run():
    failures, tried = doctest.testmod(manual, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


# ------------------------------------------------------------------- article I


def test_or_with_bias_correct_gradients():
    fit = manual.train_perceptron(manual.OR_X, manual.OR_T, [0.1, 0.2], 0.3, lr=0.05, epochs=10_000)
    np.testing.assert_allclose(fit.w, [5.365463221736, 5.365519119005], rtol=0, atol=ATOL)
    assert fit.b == pytest.approx(-2.427598233447, abs=ATOL)
    assert manual.predict_perceptron([1, 0], fit.w, fit.b) == pytest.approx(0.94968681005, abs=ATOL)
    assert manual.predict_perceptron([1, 1], fit.w, fit.b) == pytest.approx(0.99975238409, abs=ATOL)
    assert manual.predict_perceptron([0, 0], fit.w, fit.b) == pytest.approx(0.08109225801, abs=ATOL)
    assert fit.losses.shape == (10_000,)
    assert np.all(np.diff(fit.losses) < 0)


def test_or_with_bias_as_published():
    fit = manual.train_perceptron(
        manual.OR_X, manual.OR_T, [0.1, 0.2], 0.3, lr=0.05, epochs=10_000, as_published=True
    )
    np.testing.assert_allclose(fit.w, [7.009224253587, 7.00953280647], rtol=0, atol=ATOL)
    assert fit.b == pytest.approx(-3.149051345913, abs=ATOL)


def test_or_without_bias():
    fit = manual.train_perceptron(
        manual.OR_X, manual.OR_T, [0.1, 0.2], None, lr=0.05, epochs=10_000
    )
    assert fit.b is None
    np.testing.assert_allclose(fit.w, [3.360722586179, 3.362115639251], rtol=0, atol=ATOL)
    # Without a bias, z(0, 0) = 0 whatever the weights: the article's point.
    assert manual.predict_perceptron([0, 0], fit.w) == 0.5
    assert "b" not in manual.perceptron_grads(manual.OR_X, manual.OR_T, fit.w, None)


def test_virus_case_study():
    fit = manual.train_perceptron(
        manual.VIRUS_X, manual.VIRUS_T, [0.1, 0.2, 0.3, 0.4], 0.3, lr=0.05, epochs=10_000
    )
    np.testing.assert_allclose(
        fit.w, [7.548038405123, 0.513608655258, 2.275247571476, 2.27832380508], rtol=0, atol=ATOL
    )
    assert fit.b == pytest.approx(-4.620222578898, abs=ATOL)


def test_perceptron_prediction_batch_matches_single_points():
    w, b = np.array([1.5, -2.0]), 0.25
    batch = manual.predict_perceptron(manual.OR_X, w, b)
    assert batch.shape == (4, 1)
    for row, value in zip(manual.OR_X, batch[:, 0], strict=True):
        assert manual.predict_perceptron(row, w, b) == value


def test_gradient_functions_do_not_mutate_inputs():
    w = np.array([0.1, 0.2])
    W_h, W_o = W_H0.copy(), W_O0.copy()
    manual.perceptron_grads(manual.OR_X, manual.OR_T, w, 0.3)
    manual.two_layer_grads(manual.OR_X, manual.OR_T, W_h, W_o)
    manual.train_two_layer(manual.OR_X, manual.OR_T, W_h, W_o, iterations=3)
    np.testing.assert_array_equal(w, [0.1, 0.2])
    np.testing.assert_array_equal(W_h, W_H0)
    np.testing.assert_array_equal(W_o, W_O0)


# ------------------------------------------------------------------ article II


def test_article2_first_and_last_loss(article2_fit):
    assert article2_fit.first_loss == pytest.approx(0.34794838215653723, rel=1e-12)
    assert article2_fit.last_loss == pytest.approx(0.000265015854894, rel=1e-9)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ([1, 1], 0.99462917352),
        ([0, 0], 0.01817517987),
        ([1, 0], 0.99071056062),
        ([0, 1], 0.99080476891),
    ],
)
def test_article2_predictions(article2_fit, point, expected):
    value = manual.predict_two_layer(point, article2_fit.W_h, article2_fit.W_o)
    assert value == pytest.approx(expected, abs=ATOL)


def test_article2_loss_note_reports_both_numbers():
    note = manual.article2_loss_note()
    assert note == manual.ARTICLE2_LOSS_NOTE
    assert "0.0000000189" in note
    assert "0.000265015854894" in note


def test_xor_without_bias_classifies_every_point():
    fit = manual.train_xor(seed=0, lr=0.05, iterations=200_000)
    outputs = manual.predict_two_layer(manual.XOR_X, fit.W_h, fit.W_o)
    assert np.array_equal(outputs > 0.5, manual.XOR_T > 0.5)
    # The (0, 0) output is sigmoid(0.5 * sum(W_o)) since every hidden unit sees z = 0.
    assert outputs[0, 0] == pytest.approx(manual.sigmoid(0.5 * fit.W_o.sum()), abs=1e-15)
    assert fit.last_loss < 1e-3 < fit.first_loss


def test_xor_initial_weights_match_global_seeding():
    state = np.random.get_state()
    try:
        np.random.seed(7)
        expected_h, expected_o = np.random.rand(2, 4), np.random.rand(4, 1)
    finally:
        np.random.set_state(state)
    W_h, W_o = manual.xor_initial_weights(7)
    np.testing.assert_array_equal(W_h, expected_h)
    np.testing.assert_array_equal(W_o, expected_o)


# ------------------------------------------------------------------------ blog


def test_blog_outputs_after_training():
    state = np.random.get_state()
    outputs = manual.train_blog(seed=42, epochs=10_000)
    assert outputs.shape == (4, 1)
    np.testing.assert_allclose(
        outputs[:, 0], [0.00966808, 0.00786589, 0.99358863, 0.99211705], rtol=0, atol=5e-9
    )
    # The global generator must be left alone.
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_blog_rule_is_gradient_descent_with_unit_learning_rate():
    w0 = 2.0 * np.random.RandomState(42).random_sample((3, 1)) - 1.0
    out = manual.sigmoid(manual.BLOG_X @ w0)
    blog_step = w0 + manual.BLOG_X.T @ ((manual.BLOG_T - out) * out * (1 - out))
    grad = manual.perceptron_grads(manual.BLOG_X, manual.BLOG_T, w0, None)["w"]
    np.testing.assert_allclose(blog_step, w0 - grad, rtol=0, atol=1e-15)


def test_parkinson_naive_bce_is_infinite_without_warnings():
    with np.errstate(all="raise"):
        assert manual.parkinson_naive_bce(w=0.5, b=-0.2, x=100.0, t=0.0) == math.inf


def test_parkinson_stable_bce_matches_its_definition_and_finite_differences():
    # Oracles: the textbook BCE −[t log σ(z) + (1−t) log(1−σ(z))] where it does not
    # overflow (moderate z), and central differences of that same formula for the
    # gradients, at both labels.
    def naive(w, b, x, t):
        p = 1.0 / (1.0 + math.exp(-(w * x + b)))
        return -(t * math.log(p) + (1 - t) * math.log(1 - p))

    for w, b, x, t in [(0.5, -0.2, 3.0, 0.0), (-0.3, 0.4, 2.0, 1.0), (0.1, 0.0, -4.0, 1.0)]:
        hand = manual.parkinson_stable_bce(w, b, x, t)
        assert hand["loss"] == pytest.approx(naive(w, b, x, t), rel=1e-13)
        eps = 1e-6
        dw = (naive(w + eps, b, x, t) - naive(w - eps, b, x, t)) / (2 * eps)
        db = (naive(w, b + eps, x, t) - naive(w, b - eps, x, t)) / (2 * eps)
        assert hand["w"] == pytest.approx(dw, rel=1e-7)
        assert hand["b"] == pytest.approx(db, rel=1e-7)


def test_gradient_descent_step():
    w, b = manual.gradient_descent_step(0.5, -0.2, -10.0, -5.0, 0.01)
    assert w == pytest.approx(0.6, abs=1e-12)
    assert b == pytest.approx(-0.15, abs=1e-12)


# ------------------------------------------------ finite-difference oracle


def _perceptron_loss(X, t, w, b):
    z = X @ np.reshape(w, (-1, 1)) + (0.0 if b is None else b)
    o = 1.0 / (1.0 + np.exp(-z))
    return 0.5 * float(np.sum((o - t) ** 2))


def _two_layer_loss(X, t, W_h, W_o):
    h = 1.0 / (1.0 + np.exp(-(X @ W_h)))
    o = 1.0 / (1.0 + np.exp(-(h @ W_o)))
    return 0.5 * float(np.sum((o - t) ** 2))


def _central_difference(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


PERCEPTRON_CASES = [
    ("OR_X", "OR_T", [0.1, 0.2], 0.3),
    ("OR_X", "OR_T", [0.1, 0.2], None),
    ("OR_X", "OR_T", [5.0, -3.0], -1.2),
    ("VIRUS_X", "VIRUS_T", [0.1, 0.2, 0.3, 0.4], 0.3),
    ("BLOG_X", "BLOG_T", [-0.25, 0.9, 0.46], None),
]


@pytest.mark.parametrize(("x_name", "t_name", "w", "b"), PERCEPTRON_CASES)
def test_perceptron_grads_match_finite_differences(x_name, t_name, w, b):
    X, t = getattr(manual, x_name), getattr(manual, t_name)
    grads = manual.perceptron_grads(X, t, w, b)
    assert grads["loss"] == pytest.approx(_perceptron_loss(X, t, w, b), rel=1e-14)
    fd_w = _central_difference(lambda v: _perceptron_loss(X, t, v, b), w)
    np.testing.assert_allclose(grads["w"], fd_w, rtol=1e-7, atol=1e-9)
    if b is not None:
        fd_b = _central_difference(lambda v: _perceptron_loss(X, t, w, float(v[0])), [b])[0]
        assert grads["b"] == pytest.approx(fd_b, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize(("x_name", "t_name", "w", "b"), PERCEPTRON_CASES[:4])
def test_as_published_grads_are_not_the_gradient(x_name, t_name, w, b):
    X, t = getattr(manual, x_name), getattr(manual, t_name)
    published = manual.perceptron_grads(X, t, w, b, as_published=True)
    fd_w = _central_difference(lambda v: _perceptron_loss(X, t, v, b), w)
    # Far outside finite-difference noise (~1e-10), in every case.
    assert np.max(np.abs(published["w"] - fd_w)) > 1e-3
    # The loss itself is unaffected by the bug; only the derivative is wrong.
    assert published["loss"] == pytest.approx(_perceptron_loss(X, t, w, b), rel=1e-14)


@pytest.mark.parametrize(
    ("x_name", "t_name", "seed"),
    [("OR_X", "OR_T", None), ("OR_X", "OR_T", 1), ("XOR_X", "XOR_T", 2), ("XOR_X", "XOR_T", 3)],
)
def test_two_layer_grads_match_finite_differences(x_name, t_name, seed):
    X, t = getattr(manual, x_name), getattr(manual, t_name)
    if seed is None:
        W_h, W_o = W_H0.copy(), W_O0.copy()
    else:
        rng = np.random.default_rng(seed)
        W_h, W_o = rng.normal(0, 2, (2, 4)), rng.normal(0, 2, (4, 1))
    grads = manual.two_layer_grads(X, t, W_h, W_o)
    assert grads["loss"] == pytest.approx(_two_layer_loss(X, t, W_h, W_o), rel=1e-14)
    fd_h = _central_difference(lambda v: _two_layer_loss(X, t, v, W_o), W_h)
    fd_o = _central_difference(lambda v: _two_layer_loss(X, t, W_h, v), W_o)
    np.testing.assert_allclose(grads["W_h"], fd_h, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads["W_o"], fd_o, rtol=1e-6, atol=1e-9)
