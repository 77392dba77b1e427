"""Module: the container that finds a model's parameters for you.

A Module is an ordinary Python object. Its parameters are the Values stored in its
attributes (leaves with ``requires_grad=True``); its children are the Modules stored
in its attributes, directly or inside lists and tuples. ``named_parameters()`` walks
both, in attribute order, and names each parameter by its path: ``layers.0.weight``.
Those names are what :mod:`tinygrad_edu.nn.weights` (``tg.io``) writes to disk.

This module also holds the parameter-free modules: ``Sequential`` and the activations.

Imports: ``core`` (Value, functional) only. Must not import ``optim``, ``losses``, ``io``
or ``training``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..core import Value
from ..core import functional as F

__all__ = ["Module", "Sequential", "Sigmoid", "Tanh", "ReLU", "Identity", "Lambda",
           "LeakyReLU", "ELU", "GELU", "SiLU"]


class Module:
    """Base class of every layer and model.

    Subclasses set parameters and child modules as attributes and define ``__call__``.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.k = Value(2.0)
    ...     def __call__(self, x):
    ...         return self.k * x
    >>> [name for name, _ in Scale().named_parameters()]
    ['k']
    """

    #: True while training (the default); ``eval()`` sets it to False everywhere.
    training: bool = True
    #: Attributes holding buffers (see :meth:`register_buffer`).
    _buffer_names: tuple[str, ...] = ()

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    # --------------------------------------------------------- discovery
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child; list items are named by position."""
        for name, attr in vars(self).items():
            if isinstance(attr, Module):
                yield name, attr
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter of this module and its children.

        A Value reachable twice (shared weights) is listed once, under its first name.
        ``prefix`` names this module itself and is joined with a dot.

        >>> from tinygrad_edu.nn import Linear
        >>> [name for name, _ in Linear(2, 1, rng=0).named_parameters("head")]
        ['head.weight', 'head.bias']
        """
        seen: set[int] = set()
        for name, p in self._walk(f"{prefix}." if prefix else ""):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _walk(self, prefix: str) -> Iterator[tuple[str, Value]]:
        for name, attr in vars(self).items():
            path = prefix + name
            if isinstance(attr, Value):
                if attr.requires_grad and attr.is_leaf:
                    yield path, attr
            elif isinstance(attr, Module):
                yield from attr._walk(path + ".")
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    if isinstance(item, Value) and item.requires_grad and item.is_leaf:
                        yield f"{path}.{i}", item
                    elif isinstance(item, Module):
                        yield from item._walk(f"{path}.{i}.")

    def register_buffer(self, name: str, array: Any) -> None:
        """Keep ``array`` as attribute ``name``: state that is not trained (BatchNorm's
        running statistics) but is saved and loaded with the weights. Updated in place.

        >>> import numpy as np
        >>> m = Module()
        >>> m.register_buffer("count", np.zeros(2))
        >>> [name for name, _ in m.named_buffers()]
        ['count']
        """
        array = np.array(array, dtype=np.result_type(array, np.float32))
        if not name.isidentifier() or (hasattr(self, name) and name not in self._buffer_names):
            raise ValueError(f"{type(self).__name__}.register_buffer: {name!r} is not a free "
                             f"attribute name")
        if name not in self._buffer_names:
            self._buffer_names = (*self._buffer_names, name)
        setattr(self, name, array)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, ndarray) for every buffer of this module and its children,
        named like the parameters (``0.running_mean``)."""
        for name in self._buffer_names:
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{name}.")

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the parameters hold in total."""
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------- state
    def zero_grad(self) -> None:
        """Clear every parameter's gradient (before the next backward pass)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set the training flag on this module and all its children; returns self."""
        self.training = bool(mode)
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Same as ``train(False)``."""
        return self.train(False)

    # -------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """One line of settings shown inside the parentheses (override in layers)."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Apply modules (or plain callables) one after another.

    >>> from tinygrad_edu.nn import Linear, ReLU
    >>> import numpy as np
    >>> net = Sequential(Linear(3, 4, rng=np.random.default_rng(0)), ReLU())
    >>> net(np.ones(3)).shape
    (4,)
    """

    def __init__(self, *layers: Module | Callable[[Any], Any]):
        self.layers = list(layers)

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        # Name children by position only ("0", "1") so parameter names read "0.weight".
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Module):
                yield str(i), layer

    def _walk(self, prefix: str) -> Iterator[tuple[str, Value]]:
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Module):
                yield from layer._walk(f"{prefix}{i}.")


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x)), elementwise (stable at ±1000)."""

    def __call__(self, x: Value) -> Value:
        return x.sigmoid()


class Tanh(Module):
    """tanh(x), elementwise."""

    def __call__(self, x: Value) -> Value:
        return x.tanh()


class ReLU(Module):
    """max(x, 0), elementwise."""

    def __call__(self, x: Value) -> Value:
        return x.relu()


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope``·x below (derivative ``negative_slope`` at 0).

    >>> LeakyReLU(0.1)(Value([2.0, -2.0])).data
    array([ 2. , -0.2])
    """

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = float(negative_slope)

    def __call__(self, x: Value) -> Value:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x for x > 0, α·(e^x − 1) below (derivative α at 0).

    >>> ELU()(Value([1.0, -1000.0])).data
    array([ 1., -1.])
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def __call__(self, x: Value) -> Value:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """GELU in its tanh form (PyTorch's ``nn.GELU(approximate="tanh")``).

    >>> GELU()
    GELU(approximate='tanh')
    """

    def __call__(self, x: Value) -> Value:
        return F.gelu(x)

    def extra_repr(self) -> str:
        return "approximate='tanh'"


class SiLU(Module):
    """x·σ(x), elementwise (swish)."""

    def __call__(self, x: Value) -> Value:
        return F.silu(x)


class Identity(Module):
    """Returns its input unchanged (a placeholder activation)."""

    def __call__(self, x: Any) -> Any:
        return x


class Lambda(Module):
    """Wrap a plain function so it can sit in a Sequential and print nicely.

    >>> Lambda(lambda x: x * 2, "double")(3)
    6
    """

    def __init__(self, fn: Callable[[Any], Any], name: str | None = None):
        self.fn = fn
        self.label = name or getattr(fn, "__name__", "fn")

    def __call__(self, x: Any) -> Any:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.label
