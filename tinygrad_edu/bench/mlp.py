"""W2 and W3: multilayer perceptrons, scalar and tensor.

W2 is micrograd's own demo step: ``MLP(2, [16, 16, 1])`` (ReLU, linear output) on 100
two-moons points, hinge loss ``mean(relu(1 − y·score)) + 1e-4·Σp²``, one backward and
one SGD update. It runs on scalar Values (one node per weight and product) against
micrograd, and the same model and data on tensor Values (a handful of nodes).

W3 is a 784-256-10 ReLU MLP on a batch of 64 with softmax cross-entropy and one SGD
step, in float32 and float64, against the same step written by hand in NumPy and
against PyTorch on one thread.

Imports: numpy, ``tinygrad_edu`` (Value, no_grad, nn, trace),
``.harness``; micrograd and torch only if present.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..core import Value, no_grad
from ..jit import trace
from .harness import Goal, Report, add_pytorch, compare

ALPHA = 1e-4  # L2 weight of micrograd's demo loss
SIZES = (2, 16, 16, 1)


def moons(n: int = 100, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with labels ±1 (the demo's data, made here)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    a = np.linspace(0, np.pi, half)
    b = np.linspace(0, np.pi, n - half)
    x = np.concatenate([np.stack([np.cos(a), np.sin(a)], 1),
                        np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)])
    x += rng.normal(scale=0.1, size=x.shape)
    y = np.concatenate([-np.ones(half), np.ones(n - half)])
    return x, y


def initial_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """U(−1, 1) weights and zero biases per layer, as micrograd initialises them."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (n_in, n_out)), np.zeros(n_out))
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True)]


# ------------------------------------------------------------------ W2: scalar path
def _demo_update(model: Any, params: list[Value], loss: Value) -> float:
    """The demo's update, shared by both tinygrad_edu paths: backward, then p ← p − 0.01·∂L/∂p."""
    model.zero_grad()
    loss.backward()
    with no_grad():
        for p in params:
            p.data -= 0.01 * p.grad
    return loss.data


def scalar_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                y: np.ndarray) -> Callable[[], float]:
    """One demo step with :class:`tinygrad_edu.nn.scalar.MLP` (one Value per weight)."""
    model = nn.scalar.MLP(SIZES[0], list(SIZES[1:]), rng=0)
    for layer, (w, b) in zip(model.layers, weights, strict=True):  # same start everywhere
        for j, neuron in enumerate(layer.neurons):
            for i, wi in enumerate(neuron.w):
                wi.data = float(w[i, j])
            neuron.b.data = float(b[j])
    params = model.parameters()
    rows = [[float(v) for v in row] for row in x]
    labels = [float(v) for v in y]

    def step() -> float:
        losses = [(1 + -yi * model(row)).relu() for row, yi in zip(rows, labels, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        return _demo_update(model, params, data_loss + reg_loss)

    return step


def micrograd_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                   y: np.ndarray) -> Callable[[], float] | None:
    """The same step in micrograd (its demo's loss), or None when it is not installed."""
    try:
        from micrograd import nn as mnn
    except ImportError:
        return None
    random.seed(0)
    model = mnn.MLP(SIZES[0], list(SIZES[1:]))
    for layer, (w, b) in zip(model.layers, weights, strict=True):  # same start as the other paths
        for j, neuron in enumerate(layer.neurons):
            for i, wi in enumerate(neuron.w):
                wi.data = float(w[i, j])
            neuron.b.data = float(b[j])
    rows = [[float(v) for v in row] for row in x]
    labels = [float(v) for v in y]

    def step() -> float:
        scores = [model(row) for row in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad
        return loss.data

    return step


def tensor_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                y: np.ndarray) -> Callable[[], float]:
    """The same model and step with :class:`tinygrad_edu.nn.MLP`: a few nodes per layer."""
    model = nn.MLP(list(SIZES), activation="relu", rng=0)
    linears = [m for m in model.net if isinstance(m, nn.Linear)]
    for layer, (w, b) in zip(linears, weights, strict=True):
        layer.weight.data = w.copy()
        layer.bias.data = b.copy()
    params = model.parameters()
    labels = y.reshape(-1, 1)

    def step() -> float:
        data_loss = (1 - labels * model(x)).relu().mean()
        reg_loss = ALPHA * sum((p * p).sum() for p in params)
        return _demo_update(model, params, data_loss + reg_loss)

    return step


def w2(report: Report, quick: bool = False) -> None:
    """W2: scalar MLP step vs micrograd (goal ≥ 2× faster); tensor path ≥ 50× the scalar."""
    x, y = moons()
    weights = initial_weights()
    systems: dict[str, Callable[[], Any]] = {}
    mg = micrograd_step(weights, x, y)
    if mg is None:
        report.skipped["W2 micrograd"] = "micrograd is not installed (pip install micrograd)"
    else:
        systems["micrograd"] = mg
    systems["tinygrad_edu"] = scalar_step(weights, x, y)
    systems["tinygrad_edu-tensor"] = tensor_step(weights, x, y)
    # The three paths compute the same first loss; a mismatch would make the ratio moot.
    firsts = {name: fn() for name, fn in
              (("scalar", scalar_step(weights, x, y)), ("tensor", tensor_step(weights, x, y)))}
    if abs(firsts["scalar"] - firsts["tensor"]) > 1e-9 * max(1.0, abs(firsts["scalar"])):
        raise AssertionError(f"W2: scalar and tensor paths disagree: {firsts}")
    baseline = "micrograd" if mg is not None else "tinygrad_edu"
    t = compare(report, "W2", "MLP(2,[16,16,1]) 100 pts step", systems, baseline,
                repeats=3 if quick else 7, sample_seconds=0.05 if quick else 0.3)
    scalar, tensor = t["tinygrad_edu"], t["tinygrad_edu-tensor"]
    if mg is not None:
        speedup = t["micrograd"].median / scalar.median
        report.goals.append(Goal("W2", "scalar path ≥ 2× faster than micrograd",
                                 f"{speedup:.2f}× faster", speedup >= 2.0))
    else:
        report.goals.append(Goal("W2", "scalar path ≥ 2× faster than micrograd",
                                 "micrograd not installed", None))
    tensor_speedup = scalar.median / tensor.median
    report.goals.append(Goal("W2", "tensor path ≥ 50× faster than scalar path",
                             f"{tensor_speedup:.1f}× faster", tensor_speedup >= 50.0))


# ------------------------------------------------------------------ W3: 784-256-10
def _mlp_data(dtype: type, batch: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, 784)).astype(dtype)
    labels = rng.integers(0, 10, batch)
    onehot = np.eye(10, dtype=dtype)[labels]
    w1 = (rng.normal(size=(784, 256)) / np.sqrt(784)).astype(dtype)
    w2 = (rng.normal(size=(256, 10)) / np.sqrt(256)).astype(dtype)
    return x, labels, onehot, [w1, np.zeros(256, dtype), w2, np.zeros(10, dtype)]


def hand_mlp_step(dtype: type) -> Callable[[], float]:
    """Forward, softmax cross-entropy and backward written out in NumPy."""
    x, _, onehot, (w1, b1, w2, b2) = _mlp_data(dtype)
    lr = dtype(0.1)
    batch = x.shape[0]

    def step() -> float:
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        z2 = h @ w2 + b2
        shifted = z2 - z2.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        logp = shifted - np.log(total)
        loss = -(logp * onehot).sum() / batch
        dz2 = (exp / total - onehot) / batch
        dw2 = h.T @ dz2
        db2 = dz2.sum(axis=0)
        dz1 = (dz2 @ w2.T) * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        for p, g in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            p -= lr * g
        return float(loss)

    return step


def tinygrad_mlp_step(dtype: type, traced: bool = False) -> Callable[[], float]:
    x, _, onehot, arrays = _mlp_data(dtype)
    w1, b1, w2, b2 = params = [Value(a) for a in arrays]
    lr = dtype(0.1)
    batch = x.shape[0]

    def loss_of() -> Value:
        logits = (x @ w1 + b1).relu() @ w2 + b2
        return -(logits.log_softmax(axis=1) * onehot).sum() / batch

    loss_fn = trace(loss_of) if traced else loss_of

    def step() -> float:
        loss = loss_fn()
        loss.backward()
        with no_grad():
            for p in params:
                p.data -= lr * p.grad
                p.grad = None
        return loss.data

    return step


def torch_mlp_step(dtype: type) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x, labels, _, arrays = _mlp_data(dtype)
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    w1, b1, w2, b2 = params

    def step() -> float:
        logits = torch.relu(xt @ w1 + b1) @ w2 + b2
        loss = torch.nn.functional.cross_entropy(logits, yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        return loss.item()

    return step


def w3(report: Report, quick: bool = False) -> None:
    """W3: 784-256-10 SGD step, float32 and float64; goal ≤ 1.3× hand NumPy."""
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        systems: dict[str, Callable[[], Any]] = {
            "hand-numpy": hand_mlp_step(dtype), "tinygrad_edu": tinygrad_mlp_step(dtype),
            "tinygrad_edu-traced": tinygrad_mlp_step(dtype, traced=True)}
        add_pytorch(report, "W3", systems, torch_mlp_step(dtype))
        t = compare(report, "W3", f"MLP 784-256-10 b64 {name}", systems, "hand-numpy",
                    repeats=3 if quick else 9, sample_seconds=0.02 if quick else 0.2)
        for system, how in (("tinygrad_edu", "eager"), ("tinygrad_edu-traced", "trace()")):
            ratio = t[system].ratio
            report.goals.append(Goal("W3", f"{name}, {how}: ≤ 1.3× hand NumPy",
                                     f"{ratio:.2f}×", ratio <= 1.3))
