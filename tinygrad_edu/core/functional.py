"""Every operation as a free function: ``F.exp(x)``, ``F.softmax(x, axis=-1)``, ….

Arguments may be Values, numbers or arrays (numbers and arrays are constants). The
functions add no math of their own: primitives go to the op table through
:func:`tinygrad_edu.core.value.apply`, composites to the Value methods built from them.

>>> from tinygrad_edu import Value, functional as F
>>> F.sigmoid(Value(0.0)).data
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .value import Value, apply, holds_values, stack

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "log_sigmoid", "relu", "abs", "sin", "cos",
    "softplus", "maximum", "minimum", "clip", "sum", "mean", "max", "min", "logsumexp",
    "softmax", "log_softmax", "reshape", "transpose", "concatenate", "stack", "where",
    "matmul", "as_value",
    # windows
    "windows",
]


def as_value(x: Any) -> Value:
    """``x`` itself if it is a Value, a list or tuple holding Values stacked (so their
    gradients flow), else a constant Value holding it.

    >>> as_value([1.0, 2.0]).requires_grad
    False
    >>> as_value([Value(1.0), 2.0]).requires_grad
    True
    """
    if isinstance(x, Value):
        return x
    if isinstance(x, (list, tuple)) and holds_values(x):
        return stack(x)  # keeps the graph: F.mean([x, x + 2.0]) depends on x
    return Value(x, requires_grad=False)


def _unary(method: str):
    def fn(x: Any) -> Value:
        return getattr(as_value(x), method)()

    fn.__name__ = method
    fn.__doc__ = f"Elementwise {method} (see ``Value.{method}``)."
    return fn


exp = _unary("exp")
log = _unary("log")
sqrt = _unary("sqrt")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
log_sigmoid = _unary("log_sigmoid")
relu = _unary("relu")
abs = _unary("abs")  # noqa: A001 - mirrors numpy's name
sin = _unary("sin")
cos = _unary("cos")
softplus = _unary("softplus")


def maximum(x: Any, y: Any) -> Value:
    """Elementwise maximum; at ties the gradient goes to ``y`` (the bound), so
    ``maximum(x, 0.0)`` is ``relu(x)``, gradient included (docs/conventions.md).

    >>> x = Value(1.0)
    >>> maximum(x, 1.0).backward()
    >>> x.grad                     # a tie: the gradient goes to the bound 1.0
    0.0
    """
    return apply(ops.MAXIMUM, (x, y))


def minimum(x: Any, y: Any) -> Value:
    """Elementwise minimum; at ties the gradient goes to ``y`` (the bound), as for maximum.

    >>> minimum(Value([1.0, 3.0]), 2.0).data
    array([1., 2.])
    """
    return apply(ops.MINIMUM, (x, y))


def matmul(x: Any, y: Any) -> Value:
    """Matrix product ``x @ y`` (1-d, 2-d and batched, as ``np.matmul``).

    >>> matmul(Value([[1.0, 2.0]]), np.array([3.0, 4.0])).data   # 1·3 + 2·4
    array([11.])
    """
    return apply(ops.MATMUL, (x, y))


def clip(x: Any, low: float | None = None, high: float | None = None) -> Value:
    """Limit ``x`` to ``[low, high]`` (gradient 0 where a limit applies).

    >>> clip(Value([-2.0, 0.5, 2.0]), -1.0, 1.0).data
    array([-1. ,  0.5,  1. ])
    """
    return as_value(x).clip(low, high)


def sum(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:  # noqa: A001
    """Sum over ``axis`` (all axes by default).

    >>> sum(Value([[1.0, 2.0], [3.0, 4.0]]), axis=0).data
    array([4., 6.])
    """
    return as_value(x).sum(axis, keepdims)


def mean(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
    """Mean over ``axis`` (all axes by default).

    >>> mean(Value([[1.0, 2.0], [3.0, 4.0]]), axis=1, keepdims=True).data
    array([[1.5],
           [3.5]])
    """
    return as_value(x).mean(axis, keepdims)


def max(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient equally.

    >>> x = Value([2.0, 2.0, 1.0])
    >>> max(x).backward()
    >>> x.grad
    array([0.5, 0.5, 0. ])
    """
    return as_value(x).max(axis, keepdims)


def min(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:  # noqa: A001
    """Minimum over ``axis`` (``−max(−x)``).

    >>> min(Value([[1.0, 5.0], [7.0, 0.0]]), axis=-1).data
    array([1., 0.])
    """
    return as_value(x).min(axis, keepdims)


def logsumexp(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
    """log Σ exp(x) over ``axis``, computed without overflow.

    >>> round(float(logsumexp(Value([1000.0, 1000.0]))) - 1000.0, 6)   # log 2
    0.693147
    """
    return as_value(x).logsumexp(axis, keepdims)


def softmax(x: Any, axis: int = -1) -> Value:
    """exp(x) / Σ exp(x) along ``axis``, stable for any input.

    >>> softmax(Value([0.0, 1000.0])).data
    array([0., 1.])
    """
    return as_value(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Value:
    """x − logsumexp(x) along ``axis``, stable for any input.

    >>> log_softmax(Value([0.0, 0.0])).data            # log ½ each
    array([-0.69314718, -0.69314718])
    """
    return as_value(x).log_softmax(axis)


def reshape(x: Any, shape: Sequence[int]) -> Value:
    """Same data, new shape (one entry may be -1).

    >>> reshape(Value(np.arange(6.0)), (-1, 3)).shape
    (2, 3)
    """
    return as_value(x).reshape(tuple(shape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Value:
    """Permute axes (reverse them by default; negative axes count from the end).

    >>> transpose(Value(np.zeros((2, 3, 4))), (0, -1, 1)).shape
    (2, 4, 3)
    """
    return as_value(x).transpose(*(axes or ()))


def concatenate(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values along an existing axis; each gets the gradient of its own slice.

    >>> concatenate([Value([1.0]), Value([2.0, 3.0])]).data
    array([1., 2., 3.])
    """
    return apply(ops.CONCATENATE, tuple(values), {"axis": int(axis)})


def where(cond: Any, x: Any, y: Any) -> Value:
    """``x`` where ``cond`` is true, else ``y`` (``cond`` is a constant mask).

    >>> x = Value([1.0, -2.0])
    >>> where(x.data > 0, x, 0.0).data
    array([1., 0.])
    """
    mask = np.asarray(cond.data if isinstance(cond, Value) else cond, dtype=bool)
    return apply(ops.WHERE, (x, y), {"cond": mask})


# ---------------------------------------------------------------- windows


def windows(x: Any, kernel: int | Sequence[int], stride: int | Sequence[int] = 1,
            padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
            fill: float = 0.0) -> Value:
    """The ``kernel``-sized windows over the last two axes: ``(..., H, W)`` gives
    ``(..., OH, OW, KH, KW)`` (the table's ``windows`` row), ``x`` padded with ``fill``
    on every side, windows ``stride`` apart, their elements ``dilation`` apart. Each
    parameter is an int or a (rows, columns) pair. Convolution is ``windows`` then a
    matmul; pooling is ``windows`` then ``max`` or ``mean``.

    >>> windows(Value(np.arange(9.0).reshape(3, 3)), 2).data[0, 1].tolist()
    [[1.0, 2.0], [4.0, 5.0]]
    """
    return apply(ops.WINDOWS, (x,), {"kernel": kernel, "stride": stride, "padding": padding,
                                     "dilation": dilation, "fill": float(fill)})
