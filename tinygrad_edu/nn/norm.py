"""Normalisation and regularisation layers: LayerNorm, BatchNorm1d/2d, Dropout.

All are composites of table rows (mean, subtraction, sqrt, where), so their gradients
need no rule of their own. BatchNorm and Dropout behave differently in training and
evaluation: ``model.train()`` / ``model.eval()`` switch them (``fit`` does it for you).
BatchNorm's running statistics are buffers (``Module.register_buffer``): not trained,
but saved and loaded with the weights by ``tg.io``.

Imports: ``core`` and ``nn.module``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Value
from ..core import functional as F
from .layers import as_generator
from .module import Module

__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "Dropout"]


def _normalise(x: Value, axes: tuple[int, ...], eps: float) -> tuple[Value, Value]:
    """(x − mean) / √(var + eps) over ``axes`` with the biased variance (divide by n),
    and that variance (kept for BatchNorm's running statistics)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / (var + eps).sqrt(), var


class LayerNorm(Module):
    """Normalise each sample over its last ``len(normalized_shape)`` axes to mean 0 and
    variance 1 (biased variance, ``eps`` added inside the root), then scale by
    ``weight`` and shift by ``bias`` (ones and zeros at first) if
    ``elementwise_affine``. Same in training and evaluation.

    >>> out = LayerNorm(4)(np.array([[1.0, 2.0, 3.0, 4.0]]))
    >>> round(float(out.data.mean()), 12), round(float(out.data.var()), 4)
    (0.0, 1.0)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, dtype: Any = np.float64):
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        if not shape or any(int(n) < 1 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive sizes, got "
                             f"{normalized_shape!r}")
        self.normalized_shape, self.eps = tuple(int(n) for n in shape), float(eps)
        self.weight = self.bias = None
        if elementwise_affine:
            self.weight = Value(np.ones(self.normalized_shape, dtype=dtype), name="weight")
            self.bias = Value(np.zeros(self.normalized_shape, dtype=dtype), name="bias")

    def __call__(self, x: Any) -> Value:
        x = F.as_value(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(f"LayerNorm({self.normalized_shape}): input's last axes must be "
                             f"{self.normalized_shape}, got input shape {x.shape}")
        out, _ = _normalise(x, tuple(range(x.ndim - k, x.ndim)), self.eps)
        return out * self.weight + self.bias if self.weight is not None else out

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.weight is not None}")


class _BatchNorm(Module):
    """Batch normalisation over every axis but the channels (axis 1).

    Training: normalise with the batch's mean and biased variance, and move the running
    statistics towards the batch's: ``running = (1 − momentum)·running + momentum·batch``,
    with the *unbiased* variance (n/(n − 1) times the biased one) for ``running_var``,
    as PyTorch does. Evaluation: normalise with the running statistics.
    """

    #: the input's number of axes this layer accepts, for its error message
    ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, dtype: Any = np.float64):
        if int(num_features) < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1], got "
                             f"{momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), \
            float(momentum)
        self.weight = self.bias = None
        if affine:
            self.weight = Value(np.ones(self.num_features, dtype=dtype), name="weight")
            self.bias = Value(np.zeros(self.num_features, dtype=dtype), name="bias")
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))

    def __call__(self, x: Any) -> Value:
        x = F.as_value(x)
        if x.ndim not in self.ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expects input of "
                             f"{' or '.join(map(str, self.ndims))} axes with "
                             f"{self.num_features} channels on axis 1, got shape {x.shape}")
        axes = (0, *range(2, x.ndim))
        channel = (1, -1) + (1,) * (x.ndim - 2)   # a per-channel vector, broadcast on x
        if self.training:
            n = x.size // self.num_features
            if n < 2:
                raise ValueError(f"{type(self).__name__}: training needs more than one value "
                                 f"per channel to take a variance, got input shape {x.shape}")
            out, var = _normalise(x, axes, self.eps)
            self._update(x.data.mean(axis=axes), var.data.reshape(-1) * (n / (n - 1)))
        else:
            mean = self.running_mean.reshape(channel).astype(x.dtype)
            scale = 1.0 / np.sqrt(self.running_var.reshape(channel) + self.eps)
            out = (x - mean) * scale.astype(x.dtype)
        if self.weight is None:
            return out
        return out * self.weight.reshape(channel) + self.bias.reshape(channel)

    def _update(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        """Move the running statistics towards the batch's, in place (they are buffers)."""
        m = self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mean
        self.running_var *= 1.0 - m
        self.running_var += m * unbiased_var

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.weight is not None}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel C.

    >>> bn = BatchNorm1d(2)
    >>> out = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> np.round(out.data, 6).tolist()   # ∓1/√(1 + eps/var): column variances 1 and 100
    [[-0.999995, -1.0], [0.999995, 1.0]]
    >>> bn.running_mean.tolist()   # 0.9 · 0 + 0.1 · batch mean
    [0.2, 2.0]
    """

    ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images ``(N, C, H, W)``, per channel C (statistics over
    the batch and every pixel).

    >>> BatchNorm2d(3)(np.random.default_rng(0).normal(size=(4, 3, 5, 5))).shape
    (4, 3, 5, 5)
    """

    ndims = (4,)


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the others by
    1/(1 − p), so the expected output is the input; in evaluation, the identity.

    The zeros are drawn from ``rng`` (a seed or a ``np.random.Generator``), so a seeded
    run drops the same elements every time. The mask selects the gradient (``where``),
    it does not multiply it.

    >>> drop = Dropout(0.5, rng=0)
    >>> drop(np.ones(6)).data.tolist()
    [2.0, 0.0, 0.0, 0.0, 2.0, 2.0]
    >>> drop.eval()(np.ones(3)).data.tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None):
        if not 0.0 <= float(p) <= 1.0 or math.isnan(float(p)):
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p, self.rng = float(p), as_generator(rng)

    def __call__(self, x: Any) -> Value:
        x = F.as_value(x)
        if not self.training or self.p == 0.0:
            return x
        keep = self.rng.random(x.shape) >= self.p
        if self.p == 1.0:
            return F.where(keep, x, 0.0)
        return F.where(keep, x * (1.0 / (1.0 - self.p)), 0.0)

    def extra_repr(self) -> str:
        return f"p={self.p}"
