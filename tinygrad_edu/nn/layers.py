"""Tensor layers: Linear and the multi-layer perceptron built from it.

These work on whole arrays: a batch of inputs of shape ``(batch, in_features)`` (or a
single vector ``(in_features,)``) goes through one matmul per layer, so a layer costs
a handful of graph nodes whatever its size.

Imports: ``value`` and ``nn.module``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Value
from .module import ELU, GELU, Identity, LeakyReLU, Module, ReLU, Sequential, Sigmoid, SiLU, Tanh

__all__ = ["Linear", "MLP", "ACTIVATIONS", "Embedding"]

#: Names accepted wherever an activation is asked for.
ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity,
               "none": Identity,
               "leaky_relu": LeakyReLU, "elu": ELU, "gelu": GELU, "silu": SiLU}


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A NumPy generator from a seed (or None: a fresh one), or the generator itself.

    >>> int(as_generator(0).integers(10)) == int(as_generator(0).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


class Linear(Module):
    """``y = x @ weight + bias`` with ``weight`` of shape ``(in_features, out_features)``.

    The weight is stored input-major so the forward pass is one plain matmul (no
    transpose node in the graph); bias has shape ``(out_features,)`` and broadcasts
    over the batch.

    Initialisation: every weight and bias element is drawn independently from the
    uniform distribution U(−1/√in_features, +1/√in_features). This keeps each output's
    variance near that of one input at the start (the sum of ``in_features`` products
    is divided back down), so activations neither vanish nor blow up through a few
    layers. Pass ``rng`` (a ``np.random.Generator`` or a seed) for reproducible weights.

    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer(np.ones((5, 3))).shape
    (5, 2)
    >>> [name for name, _ in layer.named_parameters()]
    ['weight', 'bias']
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float64):
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Linear: sizes must be positive, got in_features={in_features}, "
                             f"out_features={out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        gen = as_generator(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        w = gen.uniform(-bound, bound, (self.in_features, self.out_features)).astype(dtype)
        self.weight = Value(w, name="weight")
        self.bias = None
        if bias:
            b = gen.uniform(-bound, bound, (self.out_features,)).astype(dtype)
            self.bias = Value(b, name="bias")

    def __call__(self, x: Any) -> Value:
        shape = np.shape(x.data if isinstance(x, Value) else x)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input's last "
                             f"axis must be {self.in_features}, got input shape {shape}")
        out = x @ self.weight  # an ndarray defers to Value.__rmatmul__
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class MLP(Module):
    """A stack of Linear layers with an activation between them (none after the last).

    ``sizes`` lists the widths from input to output: ``MLP([64, 32, 10])`` is
    Linear(64, 32) → activation → Linear(32, 10). ``activation`` is a name from
    :data:`ACTIVATIONS` or a Module class; ``output_activation`` (default none) is
    applied after the last layer. Parameters are named ``net.0.weight``, ``net.2.bias``….

    >>> net = MLP([2, 8, 1], activation="tanh", rng=0)
    >>> net(np.zeros((4, 2))).shape
    (4, 1)
    """

    def __init__(self, sizes: Sequence[int], activation: str | type = "relu",
                 output_activation: str | type | None = None,
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float64):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output width, "
                             f"got {sizes}")
        gen = as_generator(rng)
        act = _activation(activation)
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(n_in, n_out, rng=gen, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(act())
        if output_activation is not None:
            layers.append(_activation(output_activation)())
        self.sizes = sizes
        self.net = Sequential(*layers)

    def __call__(self, x: Any) -> Value:
        return self.net(x)


def _activation(spec: str | type) -> type:
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec.lower()]
        except KeyError:
            raise ValueError(f"MLP: unknown activation {spec!r}; choose one of "
                             f"{sorted(ACTIVATIONS)} or pass a Module class") from None
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec
    raise TypeError(f"MLP: activation must be a name or a Module class, got {spec!r}")


class Embedding(Module):
    """A lookup table: row ``ids[...]`` of ``weight`` (``num_embeddings × embedding_dim``)
    for each integer id, so ids of shape S give vectors of shape S + (embedding_dim,).

    The gradient of a row used several times is the sum of its uses (the getitem row's
    VJP scatter-adds with ``np.add.at``). Initialisation as PyTorch's: N(0, 1).

    >>> emb = Embedding(5, 3, rng=0)
    >>> out = emb(np.array([[1, 1, 4]]))
    >>> out.shape
    (1, 3, 3)
    >>> out.sum().backward()
    >>> emb.weight.grad[:, 0].tolist()    # row 1 used twice, row 4 once
    [0.0, 2.0, 0.0, 0.0, 1.0]
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float64):
        if int(num_embeddings) < 1 or int(embedding_dim) < 1:
            raise ValueError(f"Embedding: sizes must be positive, got num_embeddings="
                             f"{num_embeddings}, embedding_dim={embedding_dim}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        w = as_generator(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        self.weight = Value(w.astype(dtype), name="weight")

    def __call__(self, ids: Any) -> Value:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"{self!r}: ids must be integers, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise IndexError(f"{self!r}: ids must be in [0, {self.num_embeddings}), got "
                             f"values from {ids.min()} to {ids.max()}")
        return self.weight[ids]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
