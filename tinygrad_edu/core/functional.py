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

from . import kernels, ops
from .value import Value, apply, holds_values, stack

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "log_sigmoid", "relu", "abs", "sin", "cos",
    "softplus", "maximum", "minimum", "clip", "sum", "mean", "max", "min", "logsumexp",
    "softmax", "log_softmax", "reshape", "transpose", "concatenate", "stack", "where",
    "matmul", "as_value",
    # windows
    "windows",
    # elementwise, continued
    "log1p", "expm1", "log2", "log10", "exp2", "square", "reciprocal", "tan", "sinh", "cosh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "hypot",
    "logaddexp", "remainder", "mod", "floor", "ceil", "round", "sign", "elu", "leaky_relu",
    "gelu", "silu",
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

    >>> print(f"{float(logsumexp(Value([1000.0, 1000.0]))) - 1000.0:.6f}")   # log 2
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


# ------------------------------------------------------------------ reductions, continued
# prod, std, norm, cumsum, cumprod are rows; var and norm's other ords are composites.

__all__ += ["prod", "var", "std", "cumsum", "cumprod", "argmax", "argmin", "norm"]

Axis = int | Sequence[int] | None


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Product over ``axis``; with zeros the gradient is exact: one zero in a slice gives
    that element the product of the others and the rest 0, two zeros give all 0.

    >>> x = Value([2.0, 0.0, 3.0])
    >>> prod(x).backward()
    >>> x.grad
    array([0., 6., 0.])
    """
    return as_value(x).prod(axis, keepdims)


def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value:
    """Variance Σ(x − mean)²/(n − ddof) over ``axis`` (a composite; ddof ≥ n is a
    ShapeError naming the shape).

    >>> var(Value([1.0, 2.0, 3.0, 4.0]), ddof=1).data
    1.6666666666666667
    """
    return as_value(x).var(axis, ddof=ddof, keepdims=keepdims)


def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value:
    """Standard deviation over ``axis``; its gradient at a constant slice is 0 (the
    smallest subgradient; PyTorch's value; docs/conventions.md).

    >>> x = Value([2.0, 2.0])
    >>> std(x).backward()
    >>> x.grad
    array([0., 0.])
    """
    return as_value(x).std(axis, ddof=ddof, keepdims=keepdims)


def cumsum(x: Any, axis: int | None = None) -> Value:
    """Running sum along ``axis`` (None: over the flattened input, as ``np.cumsum``).

    >>> cumsum(Value([[1.0, 2.0], [3.0, 4.0]])).data
    array([ 1.,  3.,  6., 10.])
    """
    return as_value(x).cumsum(axis)


def cumprod(x: Any, axis: int | None = None) -> Value:
    """Running product along ``axis`` (None: flattened); zeros are exact, no division.

    >>> cumprod(Value([1.0, 2.0, 3.0])).data
    array([1., 2., 6.])
    """
    return as_value(x).cumprod(axis)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the maximum as plain NumPy (no gradient: an index is not differentiable).

    >>> argmax(Value([1.0, 5.0, 2.0]))
    np.int64(1)
    """
    return np.argmax(x.data if isinstance(x, Value) else x, axis=axis, keepdims=keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the minimum as plain NumPy (no gradient).

    >>> argmin(Value([[1.0, 0.0], [3.0, 4.0]]), axis=1)
    array([1, 0])
    """
    return np.argmin(x.data if isinstance(x, Value) else x, axis=axis, keepdims=keepdims)


def norm(x: Any, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> Value:  # noqa: A002
    """``np.linalg.norm``'s norms of vectors and matrices, differentiable.

    Vectors (``axis`` an int, or a 1-d input): ord None or 2 (the ``norm`` row, gradient
    x/‖x‖ and 0 at the zero vector), 1 (Σ|x|), inf and −inf (max and min |x|: tied
    elements share), 0 (the count of non-zeros: a constant), any other p > 0
    ((Σ|x|^p)^(1/p), scaled by max |x|, 0 at the zero vector). Matrices (``axis`` two
    ints, or a 2-d input): None or 'fro' (the row over both axes), 1, −1, inf, −inf (max
    and min column or row sums of |x|). Matrix ords 2, −2 and 'nuc' need singular values
    and raise NotImplementedError, as do negative vector ords other than −inf.

    >>> x = Value([3.0, -4.0])
    >>> n = norm(x)
    >>> n.data
    5.0
    >>> n.backward()
    >>> x.grad                      # x/‖x‖
    array([ 0.6, -0.8])
    >>> norm(Value([[1.0, -2.0], [3.0, 4.0]]), ord=1).data      # largest column sum
    6.0
    """
    x = as_value(x)
    if axis is None and ord is None:  # NumPy: the 2-norm of the flattened input
        return apply(ops.NORM, (x,), {"axis": None, "keepdims": bool(keepdims)})
    if axis is None:
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs a 1-d or 2-d input or an axis, got "
                             f"shape {x.shape}")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        out = _vector_norm(x, ord, int(axes[0]))
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, tuple(int(a) for a in axes))
    else:
        raise ValueError(f"norm: axis must be an int or two ints, got {axis!r} "
                         f"(input shape {x.shape})")
    if keepdims:
        return out
    kept = kernels.normalize_axis(axes, x.ndim)
    return out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in kept))


def _vector_norm(x: Value, ord: Any, axis: int) -> Value:  # noqa: A002
    """The vector norm along ``axis``, keepdims."""
    if ord is None or ord == 2:
        return apply(ops.NORM, (x,), {"axis": axis, "keepdims": True})
    if ord == 1:
        return x.abs().sum(axis, keepdims=True)
    if ord == np.inf:
        return x.abs().max(axis, keepdims=True)
    if ord == -np.inf:
        return x.abs().min(axis, keepdims=True)
    if ord == 0:  # a count: no gradient
        return Value(np.sum(x.data != 0, axis=axis, keepdims=True).astype(x.dtype),
                     requires_grad=False)
    if isinstance(ord, (int, float, np.number)) and ord > 0:
        return _p_norm(x, float(ord), axis)
    raise NotImplementedError(f"norm: vector ord={ord!r} is not supported (supported: None, "
                              f"2, 1, inf, -inf, 0, p > 0)")


def _p_norm(x: Value, p: float, axis: int) -> Value:
    """(Σ|x|^p)^(1/p) along ``axis`` (keepdims): scaled by m = max |x| (a constant; the norm
    is homogeneous, so the gradient is unchanged), and 0, gradient 0, at the zero vector
    (there |x|/m is replaced by 1 and the result by 0, so no 0/0 reaches the gradient)."""
    size = np.max(np.abs(np.asarray(x.data)), axis=axis, keepdims=True)
    zero = size == 0
    scale = np.where(zero | ~np.isfinite(size), 1.0, size)
    scaled = where(zero, 1.0, x.abs() / scale)
    out = (scaled ** p).sum(axis, keepdims=True) ** (1.0 / p) * scale
    return where(zero, 0.0, out)


def _matrix_norm(x: Value, ord: Any, axes: tuple[int, int]) -> Value:  # noqa: A002
    """The matrix norm over ``axes`` = (rows, columns), keepdims."""
    rows, cols = axes
    if ord is None or ord == "fro":
        return apply(ops.NORM, (x,), {"axis": axes, "keepdims": True})
    if ord in (1, -1):  # largest / smallest column sum
        sums = x.abs().sum(rows, keepdims=True)
        return sums.max(cols, keepdims=True) if ord == 1 else sums.min(cols, keepdims=True)
    if ord in (np.inf, -np.inf):  # largest / smallest row sum
        sums = x.abs().sum(cols, keepdims=True)
        return sums.max(rows, keepdims=True) if ord > 0 else sums.min(rows, keepdims=True)
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(f"norm: matrix ord={ord!r} needs singular values, which "
                                  f"the op table does not have yet; use ord='fro', 1 or inf")
    raise ValueError(f"norm: invalid ord {ord!r} for a matrix (input shape {x.shape})")


# ------------------------------------------------------------------ elementwise, continued
# One table row each (docs/ops.md has the derivatives and domains), except leaky_relu,
# gelu and silu: composites of rows, their derivatives stated in their docstrings.


def _row(op: ops.Op):
    def fn(*xs: Any) -> Value:
        return apply(op, xs)

    fn.__name__ = op.name
    fn.__doc__ = f"Elementwise {op.doc} (the op-table row ``{op.name}``; ∂: " \
                 f"{', '.join(op.derivatives)})."
    return fn


log1p = _row(ops.LOG1P)
expm1 = _row(ops.EXPM1)
log2 = _row(ops.LOG2)
log10 = _row(ops.LOG10)
exp2 = _row(ops.EXP2)
square = _row(ops.SQUARE)
reciprocal = _row(ops.RECIPROCAL)
tan = _row(ops.TAN)
sinh = _row(ops.SINH)
cosh = _row(ops.COSH)
arcsin = _row(ops.ARCSIN)
arccos = _row(ops.ARCCOS)
arctan = _row(ops.ARCTAN)
arcsinh = _row(ops.ARCSINH)
arccosh = _row(ops.ARCCOSH)
arctanh = _row(ops.ARCTANH)
arctan2 = _row(ops.ARCTAN2)
hypot = _row(ops.HYPOT)
logaddexp = _row(ops.LOGADDEXP)
floor = _row(ops.FLOOR)
ceil = _row(ops.CEIL)
sign = _row(ops.SIGN)


def remainder(x: Any, y: Any) -> Value:
    """``x % y`` with the sign of ``y`` (Python's and NumPy's mod). ∂/∂x = 1 and
    ∂/∂y = −⌊x/y⌋: not zero, although x mod y jumps where x/y is an integer
    (docs/conventions.md).

    >>> x, y = Value(5.5), Value(2.0)
    >>> out = remainder(x, y)
    >>> out.backward()
    >>> out.data, x.grad, y.grad
    (1.5, 1.0, -2.0)
    """
    return apply(ops.REMAINDER, (x, y))


mod = remainder


def round(x: Any, decimals: int = 0) -> Value:  # noqa: A001 - mirrors numpy's name
    """Round to ``decimals`` digits, halves to even (``np.round``); gradient 0.

    >>> round(Value([0.5, 1.5, 2.675]), 1).data
    array([0.5, 1.5, 2.7])
    """
    return as_value(x).round(decimals)


def elu(x: Any, alpha: float = 1.0) -> Value:
    """x for x > 0, α·(e^x − 1) below; elu′(0) = α (PyTorch's choice).

    >>> elu(Value([1.0, 0.0, -1000.0])).data
    array([ 1.,  0., -1.])
    """
    return apply(ops.ELU, (x,), {"alpha": float(alpha)})


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Value:
    """x for x > 0, ``negative_slope``·x below; at 0 the derivative is ``negative_slope``
    (the lower side's, as relu′(0) = 0 and as PyTorch).

    A composite: ``maximum(x, s·x)`` for s ≤ 1 (``minimum`` for s > 1), whose tie at 0
    goes to the second operand, s·x (docs/conventions.md).

    >>> x = Value([2.0, 0.0, -3.0])
    >>> leaky_relu(x).sum().backward()
    >>> x.grad
    array([1.  , 0.01, 0.01])
    """
    x = as_value(x)
    slope = float(negative_slope)
    return apply(ops.MAXIMUM if slope <= 1.0 else ops.MINIMUM, (x, x * slope))


_GELU_C = float(np.sqrt(2.0 / np.pi))


def gelu(x: Any) -> Value:
    """GELU in its tanh form (PyTorch's ``approximate="tanh"``):
    ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). A smooth composite of rows; its
    derivative is ½(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²).

    >>> print(f"{float(gelu(Value(1.0))):.6f}")
    0.841192
    """
    x = as_value(x)
    inner = _GELU_C * (x + 0.044715 * (x * x * x))
    return 0.5 * x * (1.0 + inner.tanh())


def silu(x: Any) -> Value:
    """SiLU (swish): x·σ(x), a smooth composite of rows; derivative σ(x)·(1 + x·(1 − σ(x))).

    >>> float(silu(Value(0.0)))
    0.0
    """
    x = as_value(x)
    return x * x.sigmoid()
