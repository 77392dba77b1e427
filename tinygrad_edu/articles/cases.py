"""The articles' worked cases on the autograd path: losses built from Values, and descent.

``tinygrad_edu.articles.manual`` writes every gradient of the three seed articles out by hand;
this module builds the same losses from Values and lets ``backward()`` find the
gradients. The examples, the ``tinygrad-edu compare`` and ``demo`` commands and
``tests/articles/test_articles.py`` all use these functions, so the autograd side of each case
is written once.

Owns: the loss of each case (perceptron, two-layer net, the blog's 3-1 net: each the
``losses.half_sse`` of its output; the blog's naive cross-entropy), a plain
gradient-descent loop over named Values, :func:`get_case`, the cases' starting
points paired with their hand gradients, and the plumbing the example scripts share
with the commands (:func:`example_run_length`, :func:`print_predictions`, and the
argument types :func:`positive_int` and :func:`nonnegative_int`). Data sets come
from ``manual`` (plain arrays; the math of ``manual`` is only used as the hand gradient
that ``compare`` checks).

Imports: ``value``, ``losses``, ``manual`` (data, hand gradients). Must not import ``check``,
``cli`` or ``commands``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Value
from ..nn.losses import half_sse
from . import manual

__all__ = [
    "perceptron_loss", "perceptron_output", "two_layer_loss", "two_layer_output",
    "naive_bce", "sgd_step", "gradient_descent", "Descent", "Case",
    "get_case", "CASE_NAMES", "PERCEPTRON_CASES", "blog_loss", "ARTICLE2_W_H", "ARTICLE2_W_O",
    "print_predictions",
]

ARTICLE2_W_H = ((0.1, 0.2, 0.3), (0.4, 0.5, 0.6))
ARTICLE2_W_O = ((0.7,), (0.8,), (0.9,))

LossFn = Callable[..., Value]


# ---------------------------------------------------------------- article I: perceptron


def perceptron_output(
    X: np.ndarray, w: Value, b: Value | None = None, *, as_published: bool = False
) -> Value:
    """``sigmoid(X @ w + b)`` for a batch ``X`` of shape (m, n) and ``w`` of shape (n,).

    ``as_published=True`` gives the same forward values but the local derivative that
    article I's code uses, ``σ(o)·(1−σ(o))`` evaluated at the *output* ``o`` instead of
    ``σ(z)·(1−σ(z))``. It is done without touching the engine: ``o + (z − z̄)·c``, where
    ``z̄`` is ``z`` detached and ``c`` the published derivative as a constant, has the
    value ``o`` and the derivative ``c`` with respect to ``z``.

    >>> out = perceptron_output(manual.OR_X, Value([0.0, 0.0]), Value(0.0))
    >>> out.numpy().tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    z = X @ w
    if b is not None:
        z = z + b
    o = z.sigmoid()
    if not as_published:
        return o
    s = manual.sigmoid(o.numpy())
    published_derivative = s * (1.0 - s)
    return o.detach() + (z - z.detach()) * published_derivative


def perceptron_loss(
    X: np.ndarray, t: np.ndarray, w: Value, b: Value | None = None, *, as_published: bool = False
) -> Value:
    """Article I's loss ``½·Σ(o − t)²`` with ``o = sigmoid(X @ w + b)``.

    >>> loss = perceptron_loss(manual.OR_X, manual.OR_T, Value([0.1, 0.2]), Value(0.3))
    >>> round(loss.item(), 6)
    0.379566
    """
    return half_sse(perceptron_output(X, w, b, as_published=as_published), np.ravel(t))


# ------------------------------------------------------- article II and the blog: layers


def two_layer_output(X: np.ndarray, W_h: Value, W_o: Value) -> Value:
    """Article II's bias-free net: ``sigmoid(sigmoid(X @ W_h) @ W_o)``, shape (m, 1).

    >>> two_layer_output(manual.OR_X, Value(np.zeros((2, 3))), Value(np.zeros((3, 1)))).shape
    (4, 1)
    """
    return ((X @ W_h).sigmoid() @ W_o).sigmoid()


def two_layer_loss(X: np.ndarray, t: np.ndarray, W_h: Value, W_o: Value) -> Value:
    """Article II's loss ``Σ ½(o − t)²`` of the bias-free two-layer net.

    >>> loss = two_layer_loss(manual.OR_X, manual.OR_T, Value(ARTICLE2_W_H), Value(ARTICLE2_W_O))
    >>> round(loss.item(), 6)
    0.347948
    """
    return half_sse(two_layer_output(X, W_h, W_o), t)


def blog_loss(weights: Value) -> Value:
    """The blog's 3-1 net as a loss, ``½·Σ(sigmoid(X @ weights) − t)²``.

    Its update ``weights += X.T @ (error·out·(1−out))`` is gradient descent on this
    loss with a learning rate of 1.

    >>> round(blog_loss(Value(np.zeros((3, 1)))).item(), 6)   # four errors of 0.5
    0.5
    """
    return half_sse((manual.BLOG_X @ weights).sigmoid(), manual.BLOG_T)


# --------------------------------------------------------- the blog: binary cross-entropy


def naive_bce(z: Value, t: float) -> Value:
    """The blog's formula taken literally: ``−t·log p − (1−t)·log(1−p)``, ``p = σ(z)``.

    For ``z = 49.8``, ``p`` rounds to 1.0 and the loss is ``inf`` — the blog's point.
    (``tinygrad_edu.losses.bce_with_logits`` is the stable form; ``losses.bce`` clamps.)

    >>> naive_bce(Value(49.8), 0.0).item()
    inf
    """
    p = z.sigmoid()
    return -(t * p.log() + (1.0 - t) * (1.0 - p).log())


# ---------------------------------------------------------------------- gradient descent


def sgd_step(params: Mapping[str, Value], lr: float) -> None:
    """One plain step ``p ← p − lr·∂L/∂p`` on every Value in ``params``, then clear grads.

    Works on the raw data, so no graph is recorded for the update.

    >>> w = Value(0.5); w.grad = -10.0
    >>> sgd_step({"w": w}, 0.01); round(w.data, 12)
    0.6
    """
    for name, p in params.items():
        if p.grad is None:
            raise ValueError(f"sgd_step: parameter {name!r} has no gradient (call backward first)")
        if isinstance(p.data, np.ndarray):
            p.data -= lr * p.grad
        else:
            p.data = p.data - lr * p.grad
        p.grad = None


@dataclass
class Descent:
    """What :func:`gradient_descent` returns."""

    params: dict[str, Value]
    """The trained Values (the same objects that were passed in)."""
    losses: np.ndarray = field(repr=False)
    """The loss of every iteration, computed before that iteration's update."""
    seconds: float = 0.0
    """Wall-clock time the descent took (the scripts print it; no test asserts it)."""

    @property
    def first_loss(self) -> float:
        return float(self.losses[0])

    @property
    def last_loss(self) -> float:
        return float(self.losses[-1])


def gradient_descent(
    loss_fn: LossFn, params: Mapping[str, Value], lr: float, iterations: int
) -> Descent:
    """Full-batch gradient descent: ``loss_fn(**params)``, ``backward()``, :func:`sgd_step`.

    Every gradient of an iteration is computed at the same (old) parameters, as in the
    articles. ``params`` are updated in place.

    >>> w = Value(3.0)
    >>> run = gradient_descent(lambda w: (w - 1.0) ** 2, {"w": w}, lr=0.25, iterations=2)
    >>> run.losses.tolist(), w.data
    ([4.0, 1.0], 1.5)
    """
    if iterations < 1:
        raise ValueError(f"gradient_descent: iterations must be at least 1, got {iterations}")
    params = dict(params)
    losses = np.empty(iterations)
    start = time.perf_counter()
    for p in params.values():
        p.grad = None
    for i in range(iterations):
        loss = loss_fn(**params)
        loss.backward()
        losses[i] = loss.data
        sgd_step(params, lr)
    return Descent(params=params, losses=losses, seconds=time.perf_counter() - start)


# ------------------------------------------------------------------- registry of cases


@dataclass(frozen=True)
class Case:
    """One worked case: its loss over named parameters, where it starts, its hand gradients."""

    name: str
    title: str
    loss: LossFn
    start: Mapping[str, Any]
    """Initial parameter values (fresh Values are made from them each time)."""
    manual_grads: Callable[..., Mapping[str, Any]]
    """The hand derivation from ``manual``: keyword arrays in, ``{name: gradient}`` out."""
    lr: float
    iterations: int

    def fresh_params(self) -> dict[str, Value]:
        """New Values holding the starting point, named after their parameter."""
        return {k: Value(np.array(v, dtype=np.float64), name=k) for k, v in self.start.items()}


def _perceptron_case(name: str, title: str, X, t, w, b, as_published: bool) -> Case:
    # The loss is always the true one; only the hand gradient may be the published one.
    if b is None:
        def loss(w: Value) -> Value:
            return perceptron_loss(X, t, w)

        def grads(w: np.ndarray) -> Mapping[str, Any]:
            return manual.perceptron_grads(X, t, w, None, as_published=as_published)

        start = {"w": w}
    else:
        def loss(w: Value, b: Value) -> Value:  # type: ignore[misc]
            return perceptron_loss(X, t, w, b)

        def grads(w: np.ndarray, b: np.ndarray) -> Mapping[str, Any]:  # type: ignore[misc]
            return manual.perceptron_grads(X, t, w, float(b), as_published=as_published)

        start = {"w": w, "b": b}
    if as_published:
        name, title = f"{name} --as-published", f"{title} (hand gradient as published)"
    return Case(name, title, loss, start, grads, lr=0.05, iterations=10_000)


def _two_layer_case(name: str, title: str, X, t, W_h, W_o) -> Case:
    def loss(W_h: Value, W_o: Value) -> Value:
        return two_layer_loss(X, t, W_h, W_o)

    def grads(W_h: np.ndarray, W_o: np.ndarray) -> Mapping[str, Any]:
        return manual.two_layer_grads(X, t, W_h, W_o)

    return Case(name, title, loss, {"W_h": W_h, "W_o": W_o}, grads, lr=0.05,
                iterations=200_000)


PERCEPTRON_CASES = ("article1", "article1-nobias", "virus")
CASE_NAMES = (*PERCEPTRON_CASES, "article2", "xor")


def get_case(name: str, *, as_published: bool = False) -> Case:
    """The worked case called ``name`` (one of :data:`CASE_NAMES`).

    ``as_published=True`` (perceptron cases only) pairs the true loss with article I's
    hand gradient as published, which applies the sigmoid derivative to the output.

    >>> get_case("article1").start
    {'w': (0.1, 0.2), 'b': 0.3}
    """
    if name not in CASE_NAMES:
        raise ValueError(f"get_case: unknown case {name!r}; choose from {', '.join(CASE_NAMES)}")
    if as_published and name not in PERCEPTRON_CASES:
        raise ValueError(f"get_case: as_published applies to article I's perceptron cases "
                         f"({', '.join(PERCEPTRON_CASES)}), not {name!r}")
    if name == "article1":
        return _perceptron_case(name, "Article I: OR gate with bias", manual.OR_X, manual.OR_T,
                                (0.1, 0.2), 0.3, as_published)
    if name == "article1-nobias":
        return _perceptron_case(name, "Article I: OR gate without bias", manual.OR_X,
                                manual.OR_T, (0.1, 0.2), None, as_published)
    if name == "virus":
        return _perceptron_case(name, "Article I: virus case study", manual.VIRUS_X,
                                manual.VIRUS_T, (0.1, 0.2, 0.3, 0.4), 0.3, as_published)
    if name == "article2":
        return _two_layer_case(name, "Article II: OR gate, 2-3-1 net", manual.OR_X,
                               manual.OR_T, ARTICLE2_W_H, ARTICLE2_W_O)
    xor_W_h, xor_W_o = manual.xor_initial_weights(0)
    return _two_layer_case(name, "Article II: XOR, 2-4-1 net (seed 0)", manual.XOR_X,
                           manual.XOR_T, xor_W_h, xor_W_o)


def print_predictions(X: np.ndarray, out: Value) -> None:
    """Print ``predict(a, b) = o`` (11 decimals) for each row of a two-input batch ``X``.

    Shared by the OR-gate examples and ``tinygrad-edu demo`` so they print alike.

    >>> print_predictions(manual.OR_X[:2], Value([0.5, 0.25]))
      predict(0, 0) = 0.50000000000
      predict(0, 1) = 0.25000000000
    """
    for x, o in zip(X.tolist(), out.numpy().ravel(), strict=True):
        print(f"  predict({int(x[0])}, {int(x[1])}) = {o:.11f}")
