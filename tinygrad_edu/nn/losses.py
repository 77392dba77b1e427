"""Loss functions, each a composite of op-table entries (no new primitives).

Every loss takes the model's output first and the targets second and returns a scalar
Value. Targets are constants (arrays or numbers); only the output carries gradient.

* ``mse``               mean((o − t)²)
* ``half_sse``          ½·Σ(o − t)², the articles' error (its gradient is just o − t)
* ``bce``               −mean(t·log p + (1−t)·log(1−p)) on probabilities, clamped
* ``bce_with_logits``   the same on logits z, as mean(softplus(z) − t·z): stable at ±1000
* ``cross_entropy``     −mean(log_softmax(z)[i, yᵢ]) from logits and integer labels
                        (or one-hot / probability rows: −mean Σⱼ pᵢⱼ·log_softmax(z)ᵢⱼ)
* ``hinge``             mean(max(0, 1 − y·s)) with labels y ∈ {−1, +1}

``mse``, ``half_sse`` and ``hinge`` also accept a list of scalar Values (the output of
``nn.scalar.MLP``); they then add terms with a plain loop so the graph stays scalar.

Imports: ``value`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import Value, is_tracing

__all__ = ["mse", "half_sse", "bce", "bce_with_logits", "cross_entropy", "hinge", "BCE_EPS"]

#: bce clamps probabilities to [BCE_EPS, 1 − BCE_EPS]: log(0) would be −inf, and a model
#: that is certain and wrong then gets the finite loss −log(1e-7) ≈ 16.1 instead. Inside
#: the clamp the gradient is exact; outside it is 0 (the clamp is flat), which is why
#: ``bce_with_logits`` is the better choice when you have logits.
BCE_EPS = 1e-7


def _is_scalar_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and isinstance(x[0], Value)


def _as_output(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if _is_scalar_list(x):
        raise TypeError(f"{where}: a list of scalar Values is not supported here; "
                        f"use a tensor model output")
    raise TypeError(f"{where}: the model output must be a Value, got {type(x).__name__}")


def _targets(target: Any, shape: tuple[int, ...], where: str) -> Any:
    # A constant Value target (an argument of a traced function is one) stays a Value:
    # the loss is then ops on it, which trace() replays with each call's targets (its
    # data taken here would be frozen in the tape). A target that requires grad (say a
    # teacher network's output) is detached, as targets are constants: under trace that
    # would freeze it, so there it is an error.
    if isinstance(target, Value) and target.requires_grad:
        if is_tracing():
            raise TypeError(f"{where}: inside trace() the target must not require grad "
                            f"(compute it outside and pass it as an argument)")
        t = target.data
    elif isinstance(target, Value):
        t = target
    else:
        t = target if isinstance(target, float) else np.asarray(target, dtype=np.float64)
    target_shape = np.shape(t.data if isinstance(t, Value) else t)
    if target_shape != shape:
        # Broadcasting a (n,) target against an (n, 1) output would silently build an
        # (n, n) matrix of differences: refuse anything but equal shapes.
        raise ValueError(f"{where}: output shape {shape} and target shape {target_shape} "
                         f"must be equal")
    return t


def _scalar_sum(outputs: Sequence[Value], targets: Any, where: str,
                term: Callable[[Value, float], Value]) -> Value:
    # A plain loop of scalar additions, so a scalar model's graph stays scalar.
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    if len(t) != len(outputs):
        raise ValueError(f"{where}: {len(outputs)} outputs but {len(t)} targets")
    total = 0.0
    for o, ti in zip(outputs, (float(v) for v in t), strict=True):
        total = term(o, ti) + total
    return total


def mse(output: Value | Sequence[Value], target: Any) -> Value:
    """Mean squared error, mean((o − t)²).

    >>> mse(Value([1.0, 3.0]), [0.0, 0.0]).data      # (1 + 9) / 2
    5.0
    """
    if _is_scalar_list(output):
        total = _scalar_sum(output, target, "mse", lambda o, t: (o - t) * (o - t))
        return total * (1.0 / len(output))
    output = _as_output(output, "mse")
    diff = output - _targets(target, output.shape, "mse")
    return (diff * diff).mean()


def half_sse(output: Value | Sequence[Value], target: Any) -> Value:
    """The articles' error E = ½·Σ(o − t)²; dE/do = o − t.

    >>> half_sse(Value([1.0, 3.0]), [0.0, 1.0]).data  # ½(1 + 4)
    2.5
    """
    if _is_scalar_list(output):
        return _scalar_sum(output, target, "half_sse", lambda o, t: (o - t) * (o - t)) * 0.5
    output = _as_output(output, "half_sse")
    diff = output - _targets(target, output.shape, "half_sse")
    return (diff * diff).sum() * 0.5


def bce(prob: Value, target: Any, eps: float = BCE_EPS) -> Value:
    """Binary cross-entropy on probabilities p ∈ [0, 1], clamped to [eps, 1 − eps].

    >>> round(bce(Value([0.5]), [1.0]).data, 6)       # −log ½
    0.693147
    """
    prob = _as_output(prob, "bce")
    t = _targets(target, prob.shape, "bce")
    p = prob.clip(eps, 1.0 - eps)
    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean()


def bce_with_logits(logits: Value, target: Any) -> Value:
    """Binary cross-entropy from logits z: mean(softplus(z) − t·z).

    Derivation: −[t·log σ(z) + (1−t)·log(1−σ(z))] = softplus(z) − t·z, because
    log σ(z) = −softplus(−z) and softplus(z) − softplus(−z) = z. The op table's
    softplus never overflows, so this is finite for any z; its gradient is σ(z) − t.

    >>> round(bce_with_logits(Value([0.0]), [1.0]).data, 6)
    0.693147
    """
    logits = _as_output(logits, "bce_with_logits")
    t = _targets(target, logits.shape, "bce_with_logits")
    return (logits.softplus() - t * logits).mean()


def cross_entropy(logits: Value, labels: Any) -> Value:
    """Softmax cross-entropy from logits of shape (n, classes) and integer labels (n,),
    or target probabilities (n, classes) such as one-hot rows.

    −mean over rows of log_softmax(z)[i, labelᵢ] (for probabilities p: −mean over rows
    of Σⱼ pᵢⱼ·log_softmax(z)ᵢⱼ); the gradient is (softmax(z) − onehot)/n (for p:
    (softmax(z)·Σⱼ pᵢⱼ − p)/n, which is (softmax(z) − p)/n when the rows of p sum to 1).

    >>> round(cross_entropy(Value([[0.0, 0.0]]), [1]).data, 6)   # −log ½
    0.693147
    >>> round(cross_entropy(Value([[0.0, 0.0]]), [[0.0, 1.0]]).data, 6)
    0.693147
    """
    logits = _as_output(logits, "cross_entropy")
    if np.ndim(labels.data if isinstance(labels, Value) else labels) == 2:
        targets = _targets(labels, logits.shape, "cross_entropy")
        return -(logits.log_softmax(axis=1) * targets).sum() * (1.0 / logits.shape[0])
    if isinstance(labels, Value) and is_tracing():
        raise TypeError("cross_entropy: integer labels inside trace() become an index that "
                        "every replay would reuse; pass one-hot targets of shape "
                        "(n, classes) instead (np.eye(classes)[labels])")
    y = np.asarray(labels.data if isinstance(labels, Value) else labels)
    if logits.ndim != 2 or y.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy: logits must be (n, classes) and labels (n,), got "
                         f"logits {logits.shape} and labels {y.shape}")
    if y.dtype.kind not in "iu":
        if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
            raise TypeError(f"cross_entropy: labels must be integers, got dtype {y.dtype}")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= logits.shape[1]):
        raise ValueError(f"cross_entropy: labels must lie in [0, {logits.shape[1]}), got "
                         f"range [{y.min()}, {y.max()}]")
    picked = logits.log_softmax(axis=1)[np.arange(len(y)), y]
    return -picked.mean()


def hinge(scores: Value | Sequence[Value], labels: Any) -> Value:
    """Hinge loss mean(max(0, 1 − y·s)) for labels y ∈ {−1, +1}.

    >>> hinge(Value([2.0, 0.5]), [1.0, 1.0]).data     # (0 + 0.5) / 2
    0.25
    """
    if _is_scalar_list(scores):
        total = _scalar_sum(scores, labels, "hinge", lambda s, y: (1.0 - y * s).relu())
        return total * (1.0 / len(scores))
    scores = _as_output(scores, "hinge")
    y = _targets(labels, scores.shape, "hinge")
    return (1.0 - y * scores).relu().mean()
