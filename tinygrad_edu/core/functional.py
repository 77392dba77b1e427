"""Every operation as a free function: ``F.exp(x)``, ``F.softmax(x, axis=-1)``, ….

Arguments may be Values, numbers or arrays (numbers and arrays are constants). The
functions add no math of their own: primitives go to the op table through
:func:`tinygrad_edu.core.value.apply`, composites to the Value methods built from them.

>>> from tinygrad_edu import Value, functional as F
>>> F.sigmoid(Value(0.0)).data
0.5
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import kernels, linalg, ops
from .errors import IndexShapeError, ShapeError
from .kernels import einsum_spec
from .value import Value, apply, holds_values, stack

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "log_sigmoid", "relu", "abs", "sin", "cos",
    "softplus", "maximum", "minimum", "clip", "sum", "mean", "max", "min", "logsumexp",
    "softmax", "log_softmax", "reshape", "transpose", "concatenate", "stack", "where",
    "matmul", "as_value",
    # windows
    "windows",
    # structure (issue 14)
    "repeat", "tile", "roll", "flip", "pad", "split", "array_split", "squeeze", "expand_dims",
    "swapaxes", "moveaxis", "broadcast_to", "diff", "flatten", "ravel", "take",
    "take_along_axis", "flipud", "fliplr", "rot90", "rollaxis", "hsplit", "vsplit", "dsplit",
    "atleast_1d", "atleast_2d", "atleast_3d",
    # elementwise, continued
    "log1p", "expm1", "log2", "log10", "exp2", "square", "reciprocal", "tan", "sinh", "cosh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "hypot",
    "logaddexp", "remainder", "mod", "floor", "ceil", "round", "sign", "elu", "leaky_relu",
    "gelu", "silu",
    # linear algebra and astype (issue 14)
    "dot", "outer", "inner", "tensordot", "einsum", "kron", "cross", "trace", "diagonal",
    "diag", "triu", "tril", "linalg", "astype",
    # the rest of HIPS autograd's elementwise functions
    "deg2rad", "radians", "rad2deg", "degrees", "logaddexp2", "fmax", "fmin", "sinc",
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


# ------------------------------------------------------------------ structure (issue 14)
# Repeating, flipping, padding, splitting and moving axes, gathering by index: every one
# a composite of rows (reshape, transpose, broadcast_to, getitem, index_add, concatenate),
# so the drawings show the real primitives. Each checks its arguments before it records
# anything, and names itself and the shapes when they are wrong.


def _axis_of(name: str, axis: Any, shape: tuple[int, ...], ndim: int | None = None) -> int:
    """``axis`` as a non-negative axis of an ``ndim``-dimensional result (``shape``'s by
    default); anything else is an error naming ``name`` and ``shape``."""
    ndim = len(shape) if ndim is None else ndim
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an integer, got {axis!r} (input shape {shape})")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{name}: axis {axis} is out of bounds for {ndim} dimensions "
                         f"(input shape {shape})")
    return int(axis) % ndim


def _axes_of(name: str, axis: Any, shape: tuple[int, ...], ndim: int | None = None
             ) -> tuple[int, ...]:
    """One axis or several, in the order given, each once (see :func:`_axis_of`)."""
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(_axis_of(name, a, shape, ndim) for a in items)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{name}: axis {axis!r} names an axis twice (input shape {shape})")
    return axes


def _integers(name: str, what: str, values: Any) -> np.ndarray:
    """``values`` (counts, widths, indices) as an integer array, else a TypeError."""
    arr = np.asarray(values)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.intp)  # [] holds no float, as in NumPy
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be integers, got {values!r}")
    return arr.astype(np.intp)


def _in_bounds(name: str, indices: np.ndarray, n: int, axis: int, shape: tuple) -> None:
    """Indices into an axis of length ``n`` lie in [−n, n), or an IndexShapeError."""
    bad = (indices < -n) | (indices >= n)
    if np.any(bad):
        raise IndexShapeError(f"{name}: index {int(indices[bad].flat[0])} is out of bounds for "
                              f"axis {axis} of length {n} (input shape {shape}, indices "
                              f"shape {indices.shape})")


def _along(axis: int, index: Any) -> tuple:
    """An index that applies ``index`` to ``axis`` and takes every other axis whole."""
    return (slice(None),) * axis + (index,)


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Value:
    """Each element repeated ``repeats`` times along ``axis`` (of the flattened input when
    ``axis`` is None), as ``np.repeat``; ``repeats`` is one count or one per element.

    Derivative: an element's gradient is the sum of the gradients of its copies. One count
    is a reshape, broadcast_to and reshape (broadcast_to's VJP does the sum); a count per
    element gathers with an integer index (getitem), whose VJP adds the copies up.

    >>> x = Value([1.0, 2.0])
    >>> y = repeat(x, [3, 1])
    >>> y.data
    array([1., 1., 1., 2.])
    >>> y.sum().backward()
    >>> x.grad                       # three copies of x[0], one of x[1]
    array([3., 1.])
    """
    x = as_value(a)
    shape = (x.size,) if axis is None else x.shape
    ax = _axis_of("repeat", 0 if axis is None else axis, shape)
    n = shape[ax]
    counts = _integers("repeat", "repeats", repeats)
    if counts.ndim > 1 or counts.size not in (1, n):
        raise ShapeError(f"repeat: {counts.size} counts for axis {ax} of length {n} (input "
                         f"shape {x.shape}); give one count, or one per element")
    if np.any(counts < 0):
        raise ValueError(f"repeat: counts must be non-negative, got {counts.tolist()} "
                         f"(input shape {x.shape})")
    if axis is None:
        x = x.reshape(-1)
    if counts.size == 1:  # copies side by side on a new axis, then merged into ax
        r = int(counts.reshape(()))
        wide = x.reshape(shape[:ax + 1] + (1,) + shape[ax + 1:])
        wide = wide.broadcast_to(shape[:ax + 1] + (r,) + shape[ax + 1:])
        return wide.reshape(shape[:ax] + (n * r,) + shape[ax + 1:])
    return x[_along(ax, np.repeat(np.arange(n), counts))]


def tile(A: Any, reps: Any) -> Value:  # noqa: N803 - NumPy's argument name
    """``A`` repeated ``reps`` times along each axis, as ``np.tile`` (``reps`` and ``A``'s
    shape are padded with leading 1s to the same length).

    Derivative: the sum of the gradients of all the tiles (reshape, broadcast_to, reshape:
    broadcast_to's VJP does the sum).

    >>> x = Value([1.0, 2.0])
    >>> tile(x, (2, 2)).data
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    >>> tile(x, 3).sum().backward()
    >>> x.grad
    array([3., 3.])
    """
    x = as_value(A)
    counts = _integers("tile", "reps", reps)
    if counts.ndim > 1 or np.any(counts < 0):
        raise ValueError(f"tile: reps must be non-negative integers, one per axis, got "
                         f"{counts.tolist()} (input shape {x.shape})")
    counts = counts.reshape(-1)
    d = builtins.max(len(counts), x.ndim)
    shape = (1,) * (d - x.ndim) + x.shape
    counts_d = (1,) * (d - len(counts)) + tuple(int(c) for c in counts)
    spread = tuple(n for s in shape for n in (1, s))  # a new axis before each axis
    wide = tuple(n for s, c in zip(shape, counts_d, strict=True) for n in (c, s))
    return x.reshape(spread).broadcast_to(wide).reshape(
        tuple(s * c for s, c in zip(shape, counts_d, strict=True)))


def roll(a: Any, shift: Any, axis: Any = None) -> Value:
    """Elements shifted by ``shift`` along ``axis`` (the flattened input when None), those
    that fall off one end coming back at the other, as ``np.roll``; ``shift`` and ``axis``
    may be tuples.

    Derivative: the upstream gradient rolled back by −``shift``. Built as a concatenate of
    two slices (getitem) per rolled axis.

    >>> x = Value([1.0, 2.0, 3.0])
    >>> y = roll(x, 1)
    >>> y.data
    array([3., 1., 2.])
    >>> (y * np.array([1.0, 10.0, 100.0])).sum().backward()
    >>> x.grad                        # the weights rolled back by one
    array([ 10., 100.,   1.])
    """
    x = as_value(a)
    shifts = _integers("roll", "shift", shift)
    if axis is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    try:
        shifts, axes = np.broadcast_arrays(shifts, np.asarray(axis))
    except ValueError:
        raise ShapeError(f"roll: shift {shift!r} and axis {axis!r} do not match "
                         f"(input shape {x.shape})") from None
    total: dict[int, int] = {}
    for s, ax in zip(shifts.reshape(-1), axes.reshape(-1), strict=True):
        ax = _axis_of("roll", int(ax), x.shape)
        total[ax] = total.get(ax, 0) + int(s)
    out = x
    for ax, s in total.items():
        n = x.shape[ax]
        if n == 0 or s % n == 0:
            continue
        cut = n - s % n
        out = concatenate([out[_along(ax, slice(cut, None))], out[_along(ax, slice(None, cut))]],
                          axis=ax)
    return out if out is not x else x.reshape(x.shape)


def flip(m: Any, axis: Any = None) -> Value:
    """The order of elements reversed along ``axis`` (all axes when None), as ``np.flip``.

    Derivative: the upstream gradient flipped the same way. A getitem with step −1 slices.

    >>> x = Value([1.0, 2.0, 3.0])
    >>> y = flip(x)
    >>> y.data
    array([3., 2., 1.])
    >>> (y * np.array([1.0, 10.0, 100.0])).sum().backward()
    >>> x.grad
    array([100.,  10.,   1.])
    """
    x = as_value(m)
    axes = range(x.ndim) if axis is None else _axes_of("flip", axis, x.shape)
    if x.ndim == 0:
        return x.reshape(())
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Value:
    """``array`` with ``pad_width`` elements of ``constant_values`` added before and after
    each axis, as ``np.pad(..., mode="constant")``; ``pad_width`` and ``constant_values``
    take NumPy's forms (one number, one (before, after) pair, or a pair per axis).

    Derivative: the upstream gradient's inner block (the padding is constant). Built as an
    index_add of the input into zeros of the padded shape, plus the constant border.

    >>> x = Value([1.0, 2.0])
    >>> y = pad(x, (1, 2), constant_values=-1.0)
    >>> y.data
    array([-1.,  1.,  2., -1., -1.])
    >>> (y * np.arange(5.0)).sum().backward()
    >>> x.grad
    array([1., 2.])
    """
    x = as_value(array)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r} "
                         f"(input shape {x.shape})")
    if isinstance(constant_values, Value):
        if constant_values.requires_grad:
            raise TypeError("pad: constant_values is a Value that requires grad; the padding "
                            "is a constant (pass .data), its gradient would be lost")
        constant_values = constant_values.data
    widths = _integers("pad", "pad_width", pad_width)
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width of shape {widths.shape} does not fit input shape "
                         f"{x.shape} (give a width, a (before, after) pair, or one pair per "
                         f"axis)") from None
    if np.any(widths < 0):
        raise ValueError(f"pad: pad widths must be non-negative, got {widths.tolist()} "
                         f"(input shape {x.shape})")
    if x.ndim == 0:
        return x.reshape(())  # nothing to pad, as NumPy
    try:
        border = np.pad(np.zeros(x.shape, dtype=x.dtype), widths, constant_values=constant_values)
    except (ValueError, TypeError) as e:
        raise ShapeError(f"pad: constant_values {constant_values!r} do not fit input shape "
                         f"{x.shape}: {e}") from None
    inner = tuple(slice(b, b + s) for (b, _), s in zip(widths.tolist(), x.shape, strict=True))
    out = apply(ops.INDEX_ADD, (x,), {"shape": border.shape, "index": inner})
    return out + border if np.any(border != 0) else out


def _split(name: str, ary: Any, sections: Any, axis: int, equal: bool) -> list[Value]:
    """split and array_split: the pieces, each a getitem of one slice along ``axis``."""
    x = as_value(ary)
    ax = _axis_of(name, axis, x.shape)
    n = x.shape[ax]
    cuts = _integers(name, "indices_or_sections", sections)
    if cuts.ndim == 0:  # a number of pieces
        k = int(cuts)
        if k <= 0:
            raise ValueError(f"{name}: the number of sections must be positive, got {k} "
                             f"(input shape {x.shape})")
        if equal and n % k:
            raise ShapeError(f"split: {k} sections do not divide axis {ax} of length {n} "
                             f"(input shape {x.shape}); array_split allows unequal pieces")
        size, extra = divmod(n, k)
        edges = np.cumsum([0] + [size + 1] * extra + [size] * (k - extra)).tolist()
    else:  # where to cut, with Python's slice rules (as NumPy)
        edges = [0] + cuts.reshape(-1).tolist() + [n]
    return [x[_along(ax, slice(start, stop))]
            for start, stop in zip(edges[:-1], edges[1:], strict=True)]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Value]:
    """``ary`` cut into equal pieces along ``axis`` (a number of sections that must divide
    the axis) or at the given indices, as ``np.split``: a list of Values.

    Derivative: each piece's gradient goes back to its slice (a getitem per piece).

    >>> x = Value([1.0, 2.0, 3.0, 4.0])
    >>> a, b = split(x, 2)
    >>> b.data
    array([3., 4.])
    >>> (a.sum() + 10.0 * b.sum()).backward()
    >>> x.grad
    array([ 1.,  1., 10., 10.])
    """
    return _split("split", ary, indices_or_sections, axis, equal=True)


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Value]:
    """As :func:`split`, but a number of sections need not divide the axis (the first
    pieces are one longer), as ``np.array_split``.

    Derivative: each piece's gradient goes back to its slice.

    >>> [p.shape for p in array_split(Value(np.zeros(5)), 3)]
    [(2,), (2,), (1,)]
    """
    return _split("array_split", ary, indices_or_sections, axis, equal=False)


def squeeze(a: Any, axis: Any = None) -> Value:
    """The length-1 axes removed (only those named by ``axis``, which must have length 1),
    as ``np.squeeze``. Derivative: the upstream gradient reshaped back (a reshape).

    >>> squeeze(Value(np.zeros((1, 3, 1))), axis=0).shape
    (3, 1)
    """
    x = as_value(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = _axes_of("squeeze", axis, x.shape)
        for i in axes:
            if x.shape[i] != 1:
                raise ShapeError(f"squeeze: axis {i} has length {x.shape[i]}, not 1 "
                                 f"(input shape {x.shape})")
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(a: Any, axis: Any) -> Value:
    """New length-1 axes at the positions ``axis`` (positions in the result), as
    ``np.expand_dims``. Derivative: the upstream gradient reshaped back (a reshape).

    >>> expand_dims(Value(np.zeros((2, 3))), (0, -1)).shape
    (1, 2, 3, 1)
    """
    x = as_value(a)
    count = 1 if isinstance(axis, (int, np.integer)) else len(tuple(axis))
    axes = _axes_of("expand_dims", axis, x.shape, ndim=x.ndim + count)
    sizes = iter(x.shape)
    return x.reshape(tuple(1 if i in axes else next(sizes) for i in range(x.ndim + count)))


def swapaxes(a: Any, axis1: int, axis2: int) -> Value:
    """Axes ``axis1`` and ``axis2`` exchanged, as ``np.swapaxes``. Derivative: the upstream
    gradient with the same two axes exchanged (a transpose).

    >>> swapaxes(Value(np.zeros((2, 3, 4))), 0, -1).shape
    (4, 3, 2)
    """
    x = as_value(a)
    i, j = _axis_of("swapaxes", axis1, x.shape), _axis_of("swapaxes", axis2, x.shape)
    order = list(range(x.ndim))
    order[i], order[j] = j, i
    return x.transpose(order)


def moveaxis(a: Any, source: Any, destination: Any) -> Value:
    """The axes ``source`` moved to the positions ``destination`` (the others keep their
    order), as ``np.moveaxis``. Derivative: the upstream gradient with the axes moved back
    (a transpose).

    >>> moveaxis(Value(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    x = as_value(a)
    src = _axes_of("moveaxis", source, x.shape)
    dst = _axes_of("moveaxis", destination, x.shape)
    if len(src) != len(dst):
        raise ShapeError(f"moveaxis: source {source!r} and destination {destination!r} name "
                         f"different numbers of axes (input shape {x.shape})")
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return x.transpose(order)


def broadcast_to(array: Any, shape: Any) -> Value:
    """``array`` repeated along new or length-1 axes to ``shape``, as ``np.broadcast_to``
    (a table row). Derivative: the upstream gradient summed over the broadcast axes.

    >>> broadcast_to(Value([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    return as_value(array).broadcast_to((shape,) if isinstance(shape, (int, np.integer))
                                        else shape)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Value:
    """The ``n``-th difference along ``axis``: ``out[i] = x[i+1] − x[i]``, repeated ``n``
    times, as ``np.diff``; ``prepend``/``append`` (numbers, arrays or Values) are joined on
    first.

    Derivative: for ``n = 1``, ``x[i]`` gets ``g[i−1] − g[i]`` (the upstream's differences
    with the opposite sign; ``−g[0]`` and ``g[−1]`` at the ends). Built from two slices
    (getitem) and a subtraction per order.

    >>> x = Value([1.0, 4.0, 9.0])
    >>> y = diff(x)
    >>> y.data
    array([3., 5.])
    >>> (y * np.array([1.0, 10.0])).sum().backward()
    >>> x.grad
    array([-1., -9., 10.])
    """
    x = as_value(a)
    if x.ndim == 0:
        raise ShapeError("diff: needs an input of at least one dimension, got shape ()")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: order n must be a non-negative integer, got {n!r} "
                         f"(input shape {x.shape})")
    ax = _axis_of("diff", axis, x.shape)
    if n == 0:
        return x
    ends = {}
    for where, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        e = as_value(extra)
        one = x.shape[:ax] + (1,) + x.shape[ax + 1:]
        if e.ndim and (e.ndim != x.ndim or e.shape[:ax] + e.shape[ax + 1:] != x.shape[:ax]
                       + x.shape[ax + 1:]):
            raise ShapeError(f"diff: {where} of shape {e.shape} does not fit input shape "
                             f"{x.shape} along axis {ax}")
        ends[where] = e if e.ndim else e.broadcast_to(one)
    if ends:
        x = concatenate([p for p in (ends.get("prepend"), x, ends.get("append"))
                         if p is not None], axis=ax)
    for _ in range(n):
        x = x[_along(ax, slice(1, None))] - x[_along(ax, slice(None, -1))]
    return x


def flatten(x: Any, order: str = "C") -> Value:
    """The elements in one axis, row by row (as ``ndarray.flatten``; a reshape).
    Derivative: the upstream gradient reshaped back.

    >>> flatten(Value([[1.0, 2.0], [3.0, 4.0]])).data
    array([1., 2., 3., 4.])
    """
    value = as_value(x)
    if order != "C":
        raise ValueError(f"flatten: only order='C' is supported, got order={order!r} "
                         f"(input shape {value.shape})")
    return value.reshape(-1)


def ravel(a: Any, order: str = "C") -> Value:
    """As :func:`flatten` (``np.ravel``'s name; a reshape, so no copy either way).

    >>> ravel(Value(np.zeros((2, 3)))).shape
    (6,)
    """
    return flatten(a, order)


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Value:
    """The elements at ``indices`` along ``axis`` (of the flattened input when None), as
    ``np.take``; ``mode`` is ``"raise"`` (out of bounds is an error), ``"wrap"`` or
    ``"clip"``.

    Derivative: the upstream gradient scattered back to the taken positions, with repeated
    indices adding up (``np.add.at``: a getitem, whose VJP is index_add).

    >>> x = Value([1.0, 2.0, 3.0])
    >>> y = take(x, [2, 0, 2])
    >>> y.data
    array([3., 1., 3.])
    >>> y.sum().backward()
    >>> x.grad                        # index 2 taken twice
    array([1., 0., 2.])
    """
    x = as_value(a)
    shape = (x.size,) if axis is None else x.shape
    ax = _axis_of("take", 0 if axis is None else axis, shape)
    idx = _integers("take", "indices", indices)
    n = shape[ax]
    if mode == "raise":
        _in_bounds("take", idx, n, ax, x.shape)
    elif mode in ("wrap", "clip"):
        if n == 0 and idx.size:
            raise IndexShapeError(f"take: cannot take from axis {ax} of length 0 (input shape "
                                  f"{x.shape})")
        if n:
            idx = idx % n if mode == "wrap" else np.clip(idx, 0, n - 1)
    else:
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        x = x.reshape(-1)
    return x[_along(ax, idx)]


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Value:
    """Elements picked along ``axis`` by ``indices`` of the same number of dimensions (the
    others broadcast), as ``np.take_along_axis``: ``out[i, j] = arr[i, indices[i, j]]`` for
    ``axis=1``. ``axis=None`` picks from the flattened input with 1-d indices.

    Derivative: the upstream gradient scattered back to the picked positions, with repeated
    indices adding up (a getitem with integer arrays, whose VJP is index_add).

    >>> x = Value([[1.0, 2.0], [3.0, 4.0]])
    >>> y = take_along_axis(x, np.array([[1, 1], [0, 1]]), axis=1)
    >>> y.data
    array([[2., 2.],
           [3., 4.]])
    >>> y.sum().backward()
    >>> x.grad
    array([[0., 2.],
           [1., 1.]])
    """
    x = as_value(arr)
    idx = _integers("take_along_axis", "indices", indices)
    if axis is None:
        shape, ax = (x.size,), 0
        if idx.ndim != 1:
            raise ShapeError(f"take_along_axis: with axis=None the indices must be 1-d, got "
                             f"shape {idx.shape} (input shape {x.shape})")
    else:
        shape, ax = x.shape, _axis_of("take_along_axis", axis, x.shape)
        if idx.ndim != x.ndim:
            raise ShapeError(f"take_along_axis: indices of shape {idx.shape} must have as many "
                             f"dimensions as the input (shape {x.shape})")
    _in_bounds("take_along_axis", idx, shape[ax], ax, x.shape)
    nd = len(shape)
    index = tuple(idx if i == ax else np.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1))
                  for i, n in enumerate(shape))
    try:
        np.broadcast_shapes(*(i.shape for i in index))
    except ValueError:
        raise ShapeError(f"take_along_axis: indices of shape {idx.shape} do not broadcast "
                         f"with input shape {x.shape} outside axis {ax}") from None
    if axis is None:
        x = x.reshape(-1)
    return x[index]


# The rest of NumPy's structure functions that HIPS autograd differentiates, each a line
# or two over the ones above.


def flipud(m: Any) -> Value:
    """Rows reversed: ``flip(m, 0)``, as ``np.flipud``. Derivative: the upstream flipped.

    >>> flipud(Value([[1.0], [2.0]])).data
    array([[2.],
           [1.]])
    """
    x = as_value(m)
    if x.ndim < 1:
        raise ShapeError(f"flipud: needs an input of at least 1 dimension, got shape {x.shape}")
    return flip(x, 0)


def fliplr(m: Any) -> Value:
    """Columns reversed: ``flip(m, 1)``, as ``np.fliplr``. Derivative: the upstream flipped.

    >>> fliplr(Value([[1.0, 2.0]])).data
    array([[2., 1.]])
    """
    x = as_value(m)
    if x.ndim < 2:
        raise ShapeError(f"fliplr: needs an input of at least 2 dimensions, got shape {x.shape}")
    return flip(x, 1)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Value:
    """Rotated by 90° ``k`` times in the plane of ``axes`` (from the first axis towards the
    second), as ``np.rot90``: a flip and a transpose. Derivative: the upstream rotated back.

    >>> rot90(Value([[1.0, 2.0], [3.0, 4.0]])).data
    array([[2., 4.],
           [1., 3.]])
    """
    x = as_value(m)
    plane = tuple(axes)
    if len(plane) != 2:
        raise ShapeError(f"rot90: axes must name two axes, got {axes!r} (input shape {x.shape})")
    a, b = _axes_of("rot90", plane, x.shape)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"rot90: k must be an integer, got {k!r}")
    k = int(k) % 4
    if k == 0:
        return x.reshape(x.shape)
    if k == 2:
        return flip(x, (a, b))
    order = list(range(x.ndim))
    order[a], order[b] = b, a
    return flip(x, b).transpose(order) if k == 1 else flip(x.transpose(order), b)


def rollaxis(a: Any, axis: int, start: int = 0) -> Value:
    """Axis ``axis`` moved to stand before position ``start``, as ``np.rollaxis`` (older
    than :func:`moveaxis`, which says the same more plainly). Derivative: the upstream with
    the axis moved back (a transpose).

    >>> rollaxis(Value(np.zeros((2, 3, 4))), 2).shape
    (4, 2, 3)
    """
    x = as_value(a)
    ax = _axis_of("rollaxis", axis, x.shape)
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) \
            or not -x.ndim <= start <= x.ndim:
        raise ShapeError(f"rollaxis: start {start!r} is out of bounds for {x.ndim} dimensions "
                         f"(input shape {x.shape})")
    start = int(start) + x.ndim if start < 0 else int(start)
    if ax < start:
        start -= 1
    order = [i for i in range(x.ndim) if i != ax]
    order.insert(start, ax)
    return x.transpose(order)


def _split_at_least(name: str, ary: Any, sections: Any, ndim: int, axis: int) -> list[Value]:
    x = as_value(ary)
    if x.ndim < ndim:
        raise ShapeError(f"{name}: needs an input of at least {ndim} dimension(s), got shape "
                         f"{x.shape}")
    return _split(name, x, sections, axis, equal=True)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Value]:
    """:func:`split` along the columns (axis 1; axis 0 of a 1-d input), as ``np.hsplit``.

    >>> [p.shape for p in hsplit(Value(np.zeros((2, 4))), 2)]
    [(2, 2), (2, 2)]
    """
    axis = 1 if np.ndim(as_value(ary).data) > 1 else 0
    return _split_at_least("hsplit", ary, indices_or_sections, 1, axis)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Value]:
    """:func:`split` along the rows (axis 0, at least 2-d), as ``np.vsplit``.

    >>> [p.shape for p in vsplit(Value(np.zeros((4, 2))), [1])]
    [(1, 2), (3, 2)]
    """
    return _split_at_least("vsplit", ary, indices_or_sections, 2, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Value]:
    """:func:`split` along the depth (axis 2, at least 3-d), as ``np.dsplit``.

    >>> [p.shape for p in dsplit(Value(np.zeros((1, 1, 4))), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    return _split_at_least("dsplit", ary, indices_or_sections, 3, 2)


def _at_least(arys: tuple, shape_for: Any) -> Any:
    """Each input reshaped by ``shape_for(shape)`` (one Value, or a list for several)."""
    out = []
    for a in arys:
        x = as_value(a)
        shape = shape_for(x.shape)
        out.append(x if shape == x.shape else x.reshape(shape))
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys: Any) -> Any:
    """Each input with at least 1 dimension (a 0-d one becomes shape (1,)), as
    ``np.atleast_1d``. Derivative: the upstream reshaped back.

    >>> atleast_1d(Value(2.0)).shape
    (1,)
    """
    return _at_least(arys, lambda s: s or (1,))


def atleast_2d(*arys: Any) -> Any:
    """Each input with at least 2 dimensions (new axes in front), as ``np.atleast_2d``.
    Derivative: the upstream reshaped back.

    >>> atleast_2d(Value([1.0, 2.0])).shape
    (1, 2)
    """
    return _at_least(arys, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s)


def atleast_3d(*arys: Any) -> Any:
    """Each input with at least 3 dimensions, as ``np.atleast_3d``: shape ``(n,)`` becomes
    ``(1, n, 1)`` and ``(m, n)`` becomes ``(m, n, 1)``. Derivative: the upstream reshaped back.

    >>> atleast_3d(Value([1.0, 2.0])).shape, atleast_3d(Value(np.zeros((2, 3)))).shape
    ((1, 2, 1), (2, 3, 1))
    """
    spread = {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,), 2: lambda s: s + (1,)}
    return _at_least(arys, lambda s: spread[len(s)](s) if len(s) < 3 else s)


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


# --------------------------------------------------------- linear algebra (issue 14)
# Composites: contractions are einsums, diagonals are indexing (getitem, and index_add
# to build a diagonal matrix), triangles are a where with a constant mask. The matrix
# trace is here and Value.trace(); top-level ``tg.trace`` is the graph recorder (jit).

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(subscripts: str, *operands: Any) -> Value:
    """Einstein summation, as ``np.einsum``: implicit (``'ij,jk'``) and explicit
    (``'ij,jk->ik'``) output, repeated letters (``'ii->i'``, a diagonal; ``'ii'``, the
    trace) and ``...`` for broadcast axes. One ``einsum`` row; its gradient for each
    operand is another einsum (diagonals tied back by identity matrices).

    Only the subscripts-string form (NumPy's ``einsum(a, [0, 1], b, [1, 2])`` is not).

    >>> A = Value([[1.0, 2.0], [3.0, 4.0]])
    >>> einsum("ii", A).data                    # the trace
    5.0
    >>> einsum("...ij,...j->...i", A, [1.0, 1.0]).data
    array([3., 7.])
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument must be the subscripts string, got "
                        f"{type(subscripts).__name__} (NumPy's operand-list form "
                        f"einsum(a, [0, 1], ...) is not supported)")
    values = tuple(as_value(x) for x in operands)
    terms, out = einsum_spec(subscripts, [v.shape for v in values])
    return apply(ops.EINSUM, values, {"subscripts": ",".join(terms) + "->" + out})


def dot(a: Any, b: Any) -> Value:
    """``np.dot``: a product with a 0-d operand, ``matmul`` up to two dimensions, and for
    N-d operands a sum over the last axis of ``a`` and the second-to-last of ``b``
    (``dot(a, b)[i, j, k, m] = Σ a[i, j, :]·b[k, :, m]``, an einsum).

    >>> dot(Value([[1.0, 2.0]]), [[3.0], [4.0]]).data
    array([[11.]])
    >>> dot(np.ones((2, 3, 4)), Value(np.ones((5, 4, 6)))).shape
    (2, 3, 5, 6)
    """
    a, b = as_value(a), as_value(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return apply(ops.MATMUL, (a, b))
    la = _LETTERS[:a.ndim]
    rest = _LETTERS[a.ndim:a.ndim + b.ndim - 1]
    lb = la[-1] if b.ndim == 1 else rest[:-1] + la[-1] + rest[-1]
    if a.shape[-1] != b.shape[-1 if b.ndim == 1 else -2]:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape} are not aligned (the last "
                         f"axis of a must match the {'only' if b.ndim == 1 else 'second-to-last'}"
                         f" axis of b)")
    return einsum(f"{la},{lb}->{la[:-1]}{lb.replace(la[-1], '')}", a, b)


def outer(a: Any, b: Any) -> Value:
    """``np.outer``: ``out[i, j] = a[i]·b[j]``, both flattened first.

    >>> outer(Value([1.0, 2.0]), [3.0, 4.0, 5.0]).shape
    (2, 3)
    """
    a, b = as_value(a), as_value(b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Value:
    """``np.tensordot``: the sum over the last ``axes`` axes of ``a`` and the first of
    ``b`` (an int), or over the axes named by a pair ``(axes_a, axes_b)``. An einsum.

    >>> tensordot(Value(np.ones((2, 3, 4))), np.ones((3, 4, 5))).shape
    (2, 5)
    >>> tensordot(Value(np.ones((3, 2))), np.ones((3, 4)), axes=([0], [0])).shape
    (2, 4)
    """
    a, b = as_value(a), as_value(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > builtins.min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: axes={n} for shapes {a.shape} and {b.shape}")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        try:
            axes_a, axes_b = ([x] if isinstance(x, (int, np.integer)) else list(x)
                              for x in axes)
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an int or a pair of sequences, got "
                            f"{axes!r}") from None
    try:
        axes_a = [int(i) % a.ndim for i in axes_a]
        axes_b = [int(i) % b.ndim for i in axes_b]
    except ZeroDivisionError:
        raise ShapeError(f"tensordot: axes {axes!r} for 0-d operands") from None
    if len(axes_a) != len(axes_b) or len(set(axes_a)) != len(axes_a) or \
            len(set(axes_b)) != len(axes_b) or \
            any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b, strict=True)):
        raise ShapeError(f"tensordot: axes {axes!r} do not pair up axes of equal size in "
                         f"shapes {a.shape} and {b.shape}")
    la = _LETTERS[:a.ndim]
    lb = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for i, j in zip(axes_a, axes_b, strict=True):
        lb[j] = la[i]
    out = "".join(c for i, c in enumerate(la) if i not in axes_a) + \
        "".join(c for j, c in enumerate(lb) if j not in axes_b)
    return einsum(f"{la},{''.join(lb)}->{out}", a, b)


def inner(a: Any, b: Any) -> Value:
    """``np.inner``: a product with a 0-d operand, else the sum over the last axes of both
    (``inner(a, b)[i…, j…] = Σ a[i…, :]·b[j…, :]``), an einsum.

    >>> inner(Value([1.0, 2.0]), [3.0, 4.0]).data
    11.0
    >>> inner(Value(np.ones((2, 3))), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = as_value(a), as_value(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner: the last axes of shapes {a.shape} and {b.shape} differ")
    la, lb = _LETTERS[:a.ndim], _LETTERS[a.ndim:a.ndim + b.ndim - 1] + _LETTERS[a.ndim - 1]
    return einsum(f"{la},{lb}->{la[:-1]}{lb[:-1]}", a, b)


def kron(a: Any, b: Any) -> Value:
    """``np.kron``, the Kronecker product: block (i, j, …) is ``a[i, j, …]·b``. Both are
    given the same number of axes (1s in front), interleaved by a broadcast product and
    reshaped.

    >>> kron(Value([1.0, 2.0]), [1.0, 10.0, 100.0]).data
    array([  1.,  10., 100.,   2.,  20., 200.])
    """
    a, b = as_value(a), as_value(b)
    n = builtins.max(a.ndim, b.ndim)
    sa, sb = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    spread_a = a.reshape(tuple(x for m in sa for x in (m, 1)))
    spread_b = b.reshape(tuple(x for m in sb for x in (1, m)))
    return (spread_a * spread_b).reshape(tuple(p * q for p, q in zip(sa, sb, strict=True)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Value:
    """``np.cross`` of 3-vectors along ``axisa``/``axisb`` (or ``axis`` for both, and
    the result's ``axisc``), batches broadcasting: two products of rotated components
    (getitem). 2-vectors, deprecated in NumPy 2, are refused.

    >>> cross(Value([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0]).data
    array([0., 0., 1.])
    """
    a, b = as_value(a), as_value(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    if a.ndim == 0 or b.ndim == 0 or a.shape[axisa] != 3 or b.shape[axisb] != 3:
        raise ShapeError(f"cross: needs 3-vectors along axisa={axisa} and axisb={axisb}, "
                         f"got shapes {a.shape} and {b.shape}")
    a, b = _to_last(a, axisa), _to_last(b, axisb)
    ahead, behind = np.array([1, 2, 0]), np.array([2, 0, 1])
    c = a[..., ahead] * b[..., behind] - a[..., behind] * b[..., ahead]
    return _to_last(c, -1, back_to=axisc)


def _to_last(x: Value, axis: int, back_to: int | None = None) -> Value:
    """``x`` with ``axis`` moved last, or (``back_to``) its last axis moved to ``back_to``."""
    order = list(range(x.ndim))
    if back_to is None:
        order.append(order.pop(axis))
    else:
        order.insert(back_to % x.ndim, order.pop(-1))
    return x if order == list(range(x.ndim)) else x.transpose(*order)


def _diagonal_index(n1: int, n2: int, offset: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """The index of diagonal ``offset`` of the last two axes (sizes n1, n2)."""
    # builtins: this module's max and min are the differentiable reductions
    row0, col0 = builtins.max(-offset, 0), builtins.max(offset, 0)
    length = builtins.max(0, builtins.min(n1 - row0, n2 - col0))
    return (Ellipsis, np.arange(row0, row0 + length), np.arange(col0, col0 + length))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Value:
    """``np.diagonal``: the diagonal of axes ``axis1`` and ``axis2`` (above it for
    ``offset > 0``), those axes removed and the diagonal appended as the last axis.
    Gradient: g placed back on that diagonal (getitem's adjoint).

    >>> diagonal(Value([[1.0, 2.0], [3.0, 4.0]]), offset=1).data
    array([2.])
    """
    x = as_value(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: needs at least 2 dimensions, got shape {x.shape}")
    a1, a2 = int(axis1) % x.ndim, int(axis2) % x.ndim
    if not (-x.ndim <= axis1 < x.ndim and -x.ndim <= axis2 < x.ndim) or a1 == a2:
        raise ShapeError(f"diagonal: axis1={axis1} and axis2={axis2} must be two different "
                         f"axes of shape {x.shape}")
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    moved = x.transpose(*rest, a1, a2) if (a1, a2) != (x.ndim - 2, x.ndim - 1) else x
    return moved[_diagonal_index(x.shape[a1], x.shape[a2], int(offset))]


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Value:
    """The matrix trace, as ``np.trace``: the sum of :func:`diagonal` (``offset``,
    ``axis1``, ``axis2``). Also ``Value.trace()``. Not ``tinygrad_edu.trace``, which
    records a function as a replayable tape (``tinygrad_edu.jit``).

    >>> trace(Value([[1.0, 2.0], [3.0, 4.0]])).data
    5.0
    """
    return diagonal(x, offset, axis1, axis2).sum(-1)


def diag(v: Any, k: int = 0) -> Value:
    """``np.diag``: from a 1-d ``v`` the square matrix with ``v`` on diagonal ``k``
    (index_add, the adjoint of indexing); from a 2-d ``v`` its diagonal ``k``.

    >>> diag(Value([1.0, 2.0])).data
    array([[1., 0.],
           [0., 2.]])
    >>> diag(Value([[1.0, 2.0], [3.0, 4.0]]), k=-1).data
    array([3.])
    """
    v = as_value(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ShapeError(f"diag: needs a 1-d or 2-d input, got shape {v.shape}")
    n = v.shape[0] + builtins.abs(int(k))
    _, rows, cols = _diagonal_index(n, n, int(k))
    return apply(ops.INDEX_ADD, (v,), {"shape": (n, n), "index": (rows, cols)})


def _triangle(name: str, x: Any, k: int, keep: Any) -> Value:
    x = as_value(x)
    if x.ndim < 2:
        raise ShapeError(f"{name}: needs a matrix or a batch of them (..., n, m), got shape "
                         f"{x.shape}")
    mask = keep(np.ones(x.shape[-2:], dtype=bool), int(k))
    return apply(ops.WHERE, (x, 0.0), {"cond": mask})


def triu(x: Any, k: int = 0) -> Value:
    """``np.triu``: the entries on and above diagonal ``k`` of each matrix, 0 below
    (a where with a constant mask: the gradient is g above, exactly 0 below).

    >>> triu(Value([[1.0, 2.0], [3.0, 4.0]])).data
    array([[1., 2.],
           [0., 4.]])
    """
    return _triangle("triu", x, k, np.triu)


def tril(x: Any, k: int = 0) -> Value:
    """``np.tril``: the entries on and below diagonal ``k`` of each matrix, 0 above.

    >>> tril(Value([[1.0, 2.0], [3.0, 4.0]]), k=-1).data
    array([[0., 0.],
           [3., 0.]])
    """
    return _triangle("tril", x, k, np.tril)


def astype(x: Any, dtype: Any) -> Value:
    """``x`` cast to float32 or float64 (the gradient is cast back to x's dtype). Also
    ``Value.astype``; a cast to an integer or bool type has no gradient and raises.

    >>> astype(Value([1.0, 2.0]), np.float32).dtype
    dtype('float32')
    """
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    return apply(ops.ASTYPE, (x,), {"dtype": name})


# ------------------------------------------------------------------ the rest of HIPS's ufuncs
# NumPy functions HIPS autograd differentiates that are a line over rows: constant
# multiples, a change of base, NaN-ignoring extremes and the cardinal sine.

_DEGREE = np.pi / 180.0


def deg2rad(x: Any) -> Value:
    """Degrees to radians: ``x·π/180`` (derivative ``π/180``); ``radians`` is the same.

    >>> deg2rad(Value(180.0)).data
    3.141592653589793
    """
    return as_value(x) * _DEGREE


def rad2deg(x: Any) -> Value:
    """Radians to degrees: ``x·180/π`` (derivative ``180/π``); ``degrees`` is the same.

    >>> rad2deg(Value(np.pi)).data
    180.0
    """
    return as_value(x) * (1.0 / _DEGREE)


radians, degrees = deg2rad, rad2deg


def logaddexp2(x: Any, y: Any) -> Value:
    """``log₂(2^x + 2^y)``, stable for large arguments: ``logaddexp(x·ln 2, y·ln 2)/ln 2``.
    ∂/∂x = 2^x/(2^x + 2^y) = σ((x − y)·ln 2), and symmetrically for y.

    >>> logaddexp2(Value(3.0), 3.0).data      # log₂(8 + 8)
    4.0
    """
    ln2 = float(np.log(2.0))
    return logaddexp(as_value(x) * ln2, as_value(y) * ln2) * (1.0 / ln2)


def _nan_ignoring(extreme: Any, x: Any, y: Any) -> Value:
    """``extreme(x, y)`` where neither is NaN, else the other one (NumPy's fmax/fmin)."""
    x, y = as_value(x), as_value(y)
    x_nan, y_nan = np.isnan(x.data), np.isnan(y.data)
    if not (np.any(x_nan) or np.any(y_nan)):
        return extreme(x, y)
    both = extreme(where(x_nan, y, x), where(y_nan, x, y))
    return where(y_nan & ~x_nan, x, where(x_nan, y, both))


def fmax(x: Any, y: Any) -> Value:
    """Elementwise maximum ignoring NaN (``np.fmax``): where one side is NaN the other is
    the answer and gets the whole gradient; elsewhere ``maximum``, ties (and NaN on both
    sides) to ``y`` as there (docs/conventions.md).

    >>> a = Value([1.0, np.nan, 5.0])
    >>> out = fmax(a, [2.0, 3.0, np.nan]); out.data
    array([2., 3., 5.])
    >>> out.sum().backward(); a.grad
    array([0., 0., 1.])
    """
    return _nan_ignoring(maximum, x, y)


def fmin(x: Any, y: Any) -> Value:
    """Elementwise minimum ignoring NaN (``np.fmin``), as :func:`fmax`.

    >>> fmin(Value([1.0, np.nan]), [2.0, 3.0]).data
    array([1., 3.])
    """
    return _nan_ignoring(minimum, x, y)


#: Below this |x| sinc and its derivative come from their series: the quotient's
#: derivative, π·cos(πx)/(πx) − sin(πx)/(πx²), cancels two terms of size 1/x.
_SINC_SERIES = 1e-3


def sinc(x: Any) -> Value:
    """The normalised cardinal sine ``sin(πx)/(πx)``, 1 at 0 (``np.sinc``).

    Derivative ``(cos(πx) − sinc(x))/x``, 0 at x = 0. Near 0 both come from the series
    ``1 − (πx)²/6 + (πx)⁴/120 − (πx)⁶/5040`` (for |x| < 1e-3), where the quotient's
    derivative would cancel digits (at x = 1e-8 it gives −1.5e-8; the true value is −3.3e-8).

    >>> x = Value([0.0, 0.5])
    >>> sinc(x).sum().backward(); x.grad          # 0 at 0; −4/π at ½
    array([ 0.        , -1.27323954])
    """
    x = as_value(x)
    small = np.abs(x.data) < _SINC_SERIES
    u = x * np.pi
    u2 = u * u
    series = 1.0 - u2 * (1.0 / 6.0) + u2 * u2 * (1.0 / 120.0) - u2 * u2 * u2 * (1.0 / 5040.0)
    if np.all(small):
        return series
    safe = where(small, 1.0, u)  # the quotient is never evaluated at 0
    quotient = safe.sin() / safe
    return quotient if not np.any(small) else where(small, series, quotient)
