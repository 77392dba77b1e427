"""Hand-derived reference math for the tutorial articles, used as test oracles.

This module owns the "manual path": the gradients that the tutorial articles
derive by hand with the chain rule, written out directly in NumPy (float64),
plus the training loops and data sets that the articles run.  The autograd
engine in the rest of ``tinygrad_edu`` is checked against these numbers, so this
file deliberately imports nothing from ``tinygrad_edu`` -- only ``numpy``.  If
it reused the engine, a bug there would be hidden by the same bug here.

Sources:

* Article I  -- single-layer perceptron (OR gate with and without bias, and
  the "virus" case study), loss ``1/2 * sum((o - t)**2)`` with ``o = sigmoid(X @ w + b)``.
  The published code applies the sigmoid derivative to the sigmoid's *output*;
  ``as_published=True`` reproduces that bug so its numbers can be checked too.
* Article II -- a 2-3-1 network without biases (OR gate) and a 2-4-1 network
  on XOR, sigmoid on both layers, same loss.
* Blog log   -- a 3-1 network whose third input column is a constant 1 (a
  bias in disguise), trained with ``weights += X.T @ (error * out * (1 - out))``;
  and the "Parkinson" example of a binary cross-entropy (the naive form that
  gives infinity, and the stable one with its gradients) and one gradient-descent step.

Every array is float64.  Gradient functions are pure: they take parameters and
return a new dict; they never mutate their inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "OR_X",
    "OR_T",
    "VIRUS_X",
    "VIRUS_T",
    "XOR_X",
    "XOR_T",
    "BLOG_X",
    "BLOG_T",
    "ARTICLE2_LOSS_NOTE",
    "PerceptronFit",
    "TwoLayerFit",
    "sigmoid",
    "perceptron_grads",
    "two_layer_grads",
    "train_perceptron",
    "train_two_layer",
    "xor_initial_weights",
    "train_xor",
    "train_blog",
    "predict_perceptron",
    "predict_two_layer",
    "parkinson_naive_bce",
    "parkinson_stable_bce",
    "gradient_descent_step",
    "article2_loss_note",
]


def _frozen(rows: list[list[float]]) -> np.ndarray:
    # Read-only so that an oracle can never be corrupted by a test that
    # updates "its" data in place.
    array = np.array(rows, dtype=np.float64)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------- data

OR_X = _frozen([[0, 0], [0, 1], [1, 0], [1, 1]])
OR_T = _frozen([[0], [1], [1], [1]])

# Columns: loss of smell, weight loss, runny nose, body pain (article I case study).
VIRUS_X = _frozen(
    [
        [1, 0, 0, 1],
        [1, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 1, 0, 0],
        [1, 1, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
    ]
)
VIRUS_T = _frozen([[1], [1], [0], [0], [1], [1], [0], [0]])

XOR_X = _frozen([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_T = _frozen([[0], [1], [1], [0]])

# The last column is constantly 1, so its weight acts as the bias.
BLOG_X = _frozen([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
BLOG_T = _frozen([[0], [0], [1], [1]])


# ------------------------------------------------------------------ core pieces


def sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    """Logistic function ``1 / (1 + exp(-z))``, the articles' activation.

    Written as the articles write it, not as a numerically "stable" variant, so
    that the oracle does the same floating-point arithmetic as their code.

    >>> float(sigmoid(0.0))
    0.5
    """
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_in_place(z: np.ndarray) -> np.ndarray:
    # Same arithmetic as sigmoid(), without temporaries: the 200,000-step
    # article II loop is dominated by per-call overhead on 4x3 arrays, and
    # this shaves about a fifth off it.  Only call it on a fresh array.
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def _as_column(w: np.ndarray | list[float]) -> np.ndarray:
    return np.asarray(w, dtype=np.float64).reshape(-1, 1)


def _as_float_matrix(a: np.ndarray | list[list[float]]) -> np.ndarray:
    return np.array(a, dtype=np.float64)  # a copy, so callers' arrays stay untouched


def perceptron_grads(
    X: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    b: float | None,
    *,
    as_published: bool = False,
) -> dict[str, np.ndarray | float]:
    """Gradients of ``L = 1/2 * sum((o - t)**2)``, ``o = sigmoid(X @ w + b)``, for one step.

    Chain rule as in article I: ``dL/dw = X.T @ ((o - t) * do/dz)`` and
    ``dL/db = sum((o - t) * do/dz)`` with ``do/dz = o * (1 - o)``.

    ``b=None`` is the article's no-bias variant: no ``"b"`` key is returned.
    ``as_published=True`` reproduces the article's code, which evaluates the
    sigmoid derivative at the *output* ``o`` instead of at ``z``, i.e. uses
    ``sigmoid(o) * (1 - sigmoid(o))``.  That is not the gradient of ``L``.

    Returns a dict with ``"w"`` (same shape as ``w``), ``"b"`` (float, only
    if ``b`` is not None) and ``"loss"`` (float, the loss at the given
    parameters, before any update).

    >>> g = perceptron_grads(OR_X, OR_T, [0.1, 0.2], 0.3)
    >>> sorted(g)
    ['b', 'loss', 'w']
    >>> g["w"].shape
    (2,)
    """
    X = np.asarray(X, dtype=np.float64)
    t = _as_column(t)
    w_col = _as_column(w)
    z = X @ w_col
    if b is not None:
        z = z + b
    o = sigmoid(z)
    error = o - t
    if as_published:
        s = sigmoid(o)
        do_dz = s * (1.0 - s)
    else:
        # sigmoid'(z) expressed through the already computed output.
        do_dz = o * (1.0 - o)
    delta = error * do_dz
    grads: dict[str, np.ndarray | float] = {
        "w": (X.T @ delta).reshape(np.shape(w)),
        "loss": float(0.5 * np.sum(error**2)),
    }
    if b is not None:
        grads["b"] = float(np.sum(delta))
    return grads


def two_layer_grads(
    X: np.ndarray, t: np.ndarray, W_h: np.ndarray, W_o: np.ndarray
) -> dict[str, np.ndarray | float]:
    """Gradients of article II's bias-free two-layer net for one step.

    Forward: ``h = sigmoid(X @ W_h)``, ``o = sigmoid(h @ W_o)``, loss
    ``L = sum(1/2 * (o - t)**2)``.  Backward (article II's "phase 1" and
    "phase 2"): ``delta_o = (o - t) * o * (1 - o)``, ``dL/dW_o = h.T @ delta_o``,
    ``delta_h = (delta_o @ W_o.T) * h * (1 - h)``, ``dL/dW_h = X.T @ delta_h``.

    Returns ``{"W_h": ..., "W_o": ..., "loss": float}``; the loss is the one at
    the given weights (before the update that these gradients would drive).

    >>> W_h = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> W_o = np.array([[0.7], [0.8], [0.9]])
    >>> g = two_layer_grads(OR_X, OR_T, W_h, W_o)
    >>> round(g["loss"], 6), g["W_h"].shape, g["W_o"].shape
    (0.347948, (2, 3), (3, 1))
    """
    h = _sigmoid_in_place(X @ W_h)
    o = _sigmoid_in_place(h @ W_o)
    error = o - t
    delta_o = error * (o * (1.0 - o))
    # Both gradients come from the same (old) weights: W_h's gradient flows
    # through W_o, and the article updates W_o only after computing both.
    delta_h = (delta_o @ W_o.T) * (h * (1.0 - h))
    return {
        "W_h": X.T @ delta_h,
        "W_o": h.T @ delta_o,
        "loss": 0.5 * float(np.vdot(error, error)),
    }


# --------------------------------------------------------------- training loops


class PerceptronFit(NamedTuple):
    """Result of :func:`train_perceptron`."""

    w: np.ndarray
    """Final weights, same shape as the initial ``w``."""
    b: float | None
    """Final bias, or None for the no-bias variant."""
    losses: np.ndarray
    """Loss of every epoch, computed before that epoch's update."""


class TwoLayerFit(NamedTuple):
    """Result of :func:`train_two_layer` and :func:`train_xor`."""

    W_h: np.ndarray
    W_o: np.ndarray
    first_loss: float
    """Loss at the initial weights (iteration 0, before its update)."""
    last_loss: float
    """Loss computed in the last iteration, before its update (what the article prints last)."""


def train_perceptron(
    X: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    b: float | None,
    lr: float = 0.05,
    epochs: int = 10_000,
    as_published: bool = False,
) -> PerceptronFit:
    """Full-batch gradient descent on the perceptron, as in article I.

    The article updates the bias inside a Python loop over the rows of
    ``delta``; subtracting ``lr * sum(delta)`` once is the same step up to
    rounding in the last bits.

    >>> fit = train_perceptron(OR_X, OR_T, [0.1, 0.2], 0.3, epochs=100)
    >>> fit.w.shape, fit.losses.shape, bool(fit.losses[-1] < fit.losses[0])
    ((2,), (100,), True)
    """
    w = np.array(w, dtype=np.float64)
    b = None if b is None else float(b)
    losses = np.empty(epochs, dtype=np.float64)
    for epoch in range(epochs):
        grads = perceptron_grads(X, t, w, b, as_published=as_published)
        losses[epoch] = grads["loss"]
        w = w - lr * grads["w"]
        if b is not None:
            b = b - lr * grads["b"]
    return PerceptronFit(w=w, b=b, losses=losses)


def train_two_layer(
    X: np.ndarray,
    t: np.ndarray,
    W_h: np.ndarray,
    W_o: np.ndarray,
    lr: float = 0.05,
    iterations: int = 200_000,
) -> TwoLayerFit:
    """Full-batch gradient descent on the bias-free two-layer net of article II.

    Both weight matrices are updated from gradients computed at the same
    (old) weights, as in the article.

    >>> W_h = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> W_o = np.array([[0.7], [0.8], [0.9]])
    >>> fit = train_two_layer(OR_X, OR_T, W_h, W_o, iterations=1000)
    >>> round(fit.first_loss, 6), fit.last_loss < fit.first_loss
    (0.347948, True)
    """
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    X = np.asarray(X, dtype=np.float64)
    t = _as_column(t)
    W_h = _as_float_matrix(W_h)
    W_o = _as_float_matrix(W_o)
    first_loss = last_loss = float("nan")
    for iteration in range(iterations):
        grads = two_layer_grads(X, t, W_h, W_o)
        last_loss = grads["loss"]
        if iteration == 0:
            first_loss = last_loss
        W_h -= lr * grads["W_h"]
        W_o -= lr * grads["W_o"]
    return TwoLayerFit(W_h=W_h, W_o=W_o, first_loss=first_loss, last_loss=last_loss)


def xor_initial_weights(seed: int = 0, hidden: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Article II's XOR initialisation, ``rand(2, hidden)`` then ``rand(hidden, 1)``.

    Uses a private ``RandomState(seed)``, which draws the same numbers as the
    article's ``np.random.seed(seed); np.random.rand(...)`` without touching
    NumPy's global generator.

    >>> W_h, W_o = xor_initial_weights(0)
    >>> W_h.shape, W_o.shape, bool((W_h >= 0).all() and (W_h < 1).all())
    ((2, 4), (4, 1), True)
    """
    rng = np.random.RandomState(seed)
    W_h = rng.rand(2, hidden)
    W_o = rng.rand(hidden, 1)
    return W_h, W_o


def train_xor(seed: int = 0, lr: float = 0.05, iterations: int = 200_000) -> TwoLayerFit:
    """Article II's second case: a bias-free 2-4-1 sigmoid net trained on XOR.

    No bias column is needed.  At (0, 0) every hidden unit outputs
    ``sigmoid(0) = 0.5``, so the output there is ``sigmoid(0.5 * sum(W_o))``;
    that only forces ``sum(W_o) < 0`` and leaves the other three points free
    (after training with seed 0, ``sum(W_o)`` is about -7.2, giving 0.027 at
    (0, 0)).  With the article's ``lr = 0.05`` and 200,000 iterations, every
    seed 0..299 tried ends on the right side of 0.5 at all four points (all
    of them already do after 50,000 iterations).

    >>> fit = train_xor(seed=0, iterations=20_000)
    >>> bool(((predict_two_layer(XOR_X, fit.W_h, fit.W_o) > 0.5) == (XOR_T > 0.5)).all())
    True
    """
    W_h, W_o = xor_initial_weights(seed)
    return train_two_layer(XOR_X, XOR_T, W_h, W_o, lr=lr, iterations=iterations)


def train_blog(seed: int = 42, epochs: int = 10_000) -> np.ndarray:
    """The blog log's 3-1 network, trained with the blog's own update rule.

    ``error = t - out`` and ``weights += X.T @ (error * out * (1 - out))``:
    gradient descent on ``1/2 * sum((out - t)**2)`` with a learning rate of 1.
    Initial weights are ``2 * random((3, 1)) - 1`` from a private
    ``RandomState(seed)``, identical to the blog's ``np.random.seed(42)``
    without touching the global generator.

    Returns ``layer_output`` of the last epoch (computed before that epoch's
    update), which is what the blog prints as "Output after training".

    >>> out = train_blog()
    >>> out.shape, bool(out[0, 0] < 0.5 < out[2, 0])
    ((4, 1), True)
    """
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    rng = np.random.RandomState(seed)
    weights = 2.0 * rng.random_sample((3, 1)) - 1.0
    out = np.empty_like(BLOG_T)
    for _ in range(epochs):
        out = sigmoid(BLOG_X @ weights)
        error = BLOG_T - out
        weights = weights + BLOG_X.T @ (error * out * (1.0 - out))
    return out


# ------------------------------------------------------------------ predictions


def predict_perceptron(x: np.ndarray, w: np.ndarray, b: float | None = None) -> np.ndarray | float:
    """Perceptron output ``sigmoid(x @ w + b)``.

    A single point (1-D ``x``) gives a float; a batch (2-D ``x``) gives an
    ``(m, 1)`` array.

    >>> predict_perceptron([0.0, 0.0], [3.0, 3.0])
    0.5
    """
    x = np.asarray(x, dtype=np.float64)
    z = x @ _as_column(w)
    if b is not None:
        z = z + b
    out = sigmoid(z)
    return float(out[0]) if x.ndim == 1 else out


def predict_two_layer(x: np.ndarray, W_h: np.ndarray, W_o: np.ndarray) -> np.ndarray | float:
    """Two-layer output ``sigmoid(sigmoid(x @ W_h) @ W_o)``.

    A single point (1-D ``x``) gives a float; a batch (2-D ``x``) gives an
    ``(m, 1)`` array.

    >>> predict_two_layer([0.0, 0.0], np.ones((2, 3)), np.zeros((3, 1)))
    0.5
    """
    x = np.asarray(x, dtype=np.float64)
    out = sigmoid(sigmoid(x @ W_h) @ W_o)
    return float(out[0]) if x.ndim == 1 else out


# ------------------------------------------------------------ blog: Parkinson


def parkinson_naive_bce(w: float = 0.5, b: float = -0.2, x: float = 100.0, t: float = 0.0) -> float:
    """The blog's binary cross-entropy, evaluated the naive way: ``inf``.

    ``p = sigmoid(x * w + b) = sigmoid(49.8)`` rounds to exactly 1.0 in
    float64 (``exp(-49.8)`` is about 2e-22, far below half an ulp of 1), so
    ``log(1 - p) = log(0) = -inf`` and the loss is ``inf``, as the blog says.
    The true loss is finite: ``-log(1 - sigmoid(z)) = log(1 + exp(z))``,
    about 49.8 here (``np.logaddexp(0, 49.8)``).  Warnings are silenced
    because the infinity is the point of the example.

    >>> parkinson_naive_bce()
    inf
    """
    p = sigmoid(x * w + b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        loss = -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    return float(loss)


def parkinson_stable_bce(
    w: float = 0.5, b: float = -0.2, x: float = 100.0, t: float = 0.0
) -> dict[str, float]:
    """The blog's binary cross-entropy done stably, with its hand-derived gradients.

    With ``z = x*w + b`` the loss ``-[t log σ(z) + (1-t) log(1-σ(z))]`` equals
    ``log(1 + e^z) - t*z``, written as ``max(z, 0) + log1p(e^-|z|) - t*z`` so that
    nothing overflows or rounds to ``log(0)``.  Its derivative is ``dL/dz = σ(z) - t``,
    so ``dL/dw = (σ(z) - t)·x`` and ``dL/db = σ(z) - t``.  At the blog's numbers
    (z = 49.8, t = 0) that is 49.8, 100 and 1, where the naive form gives ``inf``.

    >>> {k: round(v, 9) for k, v in parkinson_stable_bce().items()}
    {'loss': 49.8, 'w': 100.0, 'b': 1.0}
    """
    z = x * w + b
    loss = max(z, 0.0) + float(np.log1p(np.exp(-abs(z)))) - t * z
    dz = float(np.exp(min(z, 0.0)) / (1.0 + np.exp(-abs(z)))) - t  # σ(z), no overflow
    return {"loss": loss, "w": dz * x, "b": dz}


def gradient_descent_step(
    w: float, b: float, dw: float, db: float, alpha: float
) -> tuple[float, float]:
    """One plain gradient-descent step ``(w - alpha*dw, b - alpha*db)``.

    With the blog's numbers, w goes from 0.5 to 0.6 and b from -0.2 to
    -0.15.  (The blog says b is "decreased"; it actually increases, since
    both gradients are negative.)

    >>> w, b = gradient_descent_step(0.5, -0.2, -10.0, -5.0, 0.01)
    >>> round(w, 12), round(b, 12)
    (0.6, -0.15)
    """
    return w - alpha * dw, b - alpha * db


# ------------------------------------------------- article II's reported loss

ARTICLE2_LOSS_NOTE = """\
Article II says the 2-3-1 OR network reaches a final error of 0.0000000189
after 200,000 iterations, but the code it lists ends at 0.000265015854894
(the loss sum(1/2 (o - t)^2) of the last iteration, before its update).
Nothing tried here reproduces 1.89e-8:

* mean instead of sum:              6.63e-5   (just the sum / 4)
* sum((o - t)^2) without the 1/2:   5.30e-4
* loss after the last update:       about 2.65e-4 (changes only in the 6th digit)
* per-sample losses at the end:     1.65e-4, 4.23e-5, 4.31e-5, 1.44e-5
* article I's bug (sigmoid' applied to the outputs) in both layers:  3.58e-6
* a constant-1 bias input column (hidden bias, init 0):             6.81e-5
* larger learning rates: lr 0.5 -> 2.47e-5, lr 1 -> 1.22e-5,
  lr 5 -> 2.42e-6; lr >= 50 saturates the sigmoids and gets stuck at
  a loss of 0.5 or 1.5.
* more iterations: the loss falls roughly like 1/iterations (5.60e-4 at
  100,000, 2.65e-4 at 200,000; log-log slope about -1.08).  Extrapolating,
  1.89e-8 would need on the order of 1e9 iterations at lr 0.05, not 2e5.

Training sigmoid outputs on 0/1 targets with squared error makes the loss
decay only polynomially (the gradient vanishes as the outputs saturate), so
no nearby variant of the listed code gets to 1e-8 in 200,000 steps.  The
printed value most likely comes from a different run or notebook state than
the code in the article (the figure itself is not in the text); this cannot
be confirmed from the article text.  The oracle therefore uses what the
listed code actually computes: 0.000265015854894.
"""


def article2_loss_note() -> str:
    """Why article II's "0.0000000189" is not what its own code prints.

    >>> "0.000265" in article2_loss_note()
    True
    """
    return ARTICLE2_LOSS_NOTE
