"""The scalar path: one Value per weight, the way the articles' diagrams draw a network.

``Neuron`` holds a list of scalar weights and a scalar bias and computes
``act(b + Σ wᵢ·xᵢ)`` with a plain loop of ``+`` and ``*``, so a tiny model's graph shows
one node per weight and per product. It is slow next to the tensor layers of
:mod:`tinygrad_edu.nn.layers` (thousands of nodes instead of a few) but every
gradient is visible. Scalar Values hold Python floats, which keeps this path lean.

Initialisation: weights and biases are drawn from U(−1, 1), the micrograd convention,
so a benchmark against micrograd runs the same workload.

Imports: ``value``, ``nn.module`` and ``nn.layers`` (its seed handling).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Value
from .layers import as_generator
from .module import Module

__all__ = ["Neuron", "Layer", "MLP"]

_NONLIN = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid}


def _nonlin(name: str | None):
    if name is None or name == "linear":
        return None
    try:
        return _NONLIN[name]
    except KeyError:
        raise ValueError(f"scalar Neuron: unknown activation {name!r}; choose one of "
                         f"{sorted(_NONLIN)} or None") from None


class Neuron(Module):
    """``act(b + w₁x₁ + … + wₙxₙ)`` on scalar Values.

    >>> n = Neuron(2, activation=None, rng=0)
    >>> out = n([1.0, -1.0])
    >>> out.shape
    ()
    """

    def __init__(self, n_inputs: int, activation: str | None = "relu",
                 rng: np.random.Generator | int | None = None):
        gen = as_generator(rng)
        self.w = [Value(float(u)) for u in gen.uniform(-1.0, 1.0, int(n_inputs))]
        self.b = Value(float(gen.uniform(-1.0, 1.0)))
        self.activation = activation
        self._act = _nonlin(activation)

    def __call__(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        total = self.b
        for wi, xi in zip(self.w, x, strict=True):
            total = total + wi * xi
        return self._act(total) if self._act is not None else total

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation}"


class Layer(Module):
    """``n_outputs`` Neurons reading the same inputs; returns a list of scalar Values."""

    def __init__(self, n_inputs: int, n_outputs: int, activation: str | None = "relu",
                 rng: np.random.Generator | int | None = None):
        if int(n_inputs) < 1 or int(n_outputs) < 1:
            raise ValueError(f"Layer: sizes must be positive, got n_inputs={n_inputs}, "
                             f"n_outputs={n_outputs}")
        gen = as_generator(rng)
        self.neurons = [Neuron(n_inputs, activation, gen) for _ in range(int(n_outputs))]

    def __call__(self, x: Sequence[Any]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def __repr__(self) -> str:
        first = self.neurons[0]
        return (f"Layer({len(first.w)} -> {len(self.neurons)}, "
                f"activation={first.activation})")


class MLP(Module):
    """Scalar layers of widths ``n_outputs``; the last layer is linear.

    ``MLP(2, [16, 16, 1])`` is the micrograd demo network (337 scalar parameters).
    A one-wide output is returned as a single Value, otherwise a list.

    >>> net = MLP(2, [4, 1], rng=0)
    >>> net.num_parameters()
    17
    >>> net([0.5, -0.5]).shape
    ()
    """

    def __init__(self, n_inputs: int, n_outputs: Sequence[int],
                 activation: str | None = "relu",
                 rng: np.random.Generator | int | None = None):
        gen = as_generator(rng)
        sizes = [int(n_inputs), *[int(n) for n in n_outputs]]
        last = len(sizes) - 2
        self.layers = [Layer(sizes[i], sizes[i + 1], activation if i < last else None, gen)
                       for i in range(len(sizes) - 1)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x
