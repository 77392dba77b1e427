"""VJP rules too long for a row of the op table, and the helpers rules share.

A rule is written with arithmetic operators and table entries called like functions
(``ops.POW(x, y - 1.0)``), so the same rule runs on raw arrays (a plain backward pass)
and on Values (a pass that records a graph of its own, for gradients of gradients).
The rules need the table and the table needs the rules: this module imports ``ops``
as a module, at its end, and reads the entries when a rule runs.

Masks are applied by *selecting* (:func:`select`), never by multiplying: an infinite
upstream times a 0 mask would be nan (docs/conventions.md lists every such rule).

Imports: ``kernels``, ``op``, ``ops`` (at the end).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import kernels
from . import op as schema
from .op import shape_of

__all__ = ["data_of", "select", "unbroadcast", "expand_reduced", "pow_x", "pow_y",
           "abs_rule", "max_rule", "max_jvp", "logsumexp_rule", "logsumexp_jvp", "matmul_x",
           "matmul_y", "concatenate_rule", "concatenate_jvp", "windows_rule"]


def data_of(x: Any) -> Any:
    """Raw data of a Value or of raw input (masks are made from data: they are constants).

    >>> data_of(2.0)
    2.0
    """
    return x.data if type(x) is schema.node_type else x


def select(condition: Any, g: Any) -> Any:
    """``g`` where ``condition`` holds and exactly 0 elsewhere, in a VJP rule.

    relu(x).sqrt() at x < 0 has upstream inf and local derivative 0: its gradient is 0,
    where ``inf · 0`` would be nan. Recorded (create_graph), this is a ``where`` node, so
    the result stays differentiable and keeps ``g``'s dtype.

    >>> select(np.array([True, False]), np.array([np.inf, np.inf]))
    array([inf,  0.])
    """
    if type(g) is schema.node_type:
        return ops.WHERE(g, 0.0, cond=np.asarray(condition, dtype=bool))
    if type(g) is float and np.ndim(condition) == 0:
        return g if condition else 0.0
    return np.where(condition, g, 0.0)  # NumPy keeps g's dtype (0.0 is a Python float)


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of NumPy broadcasting, and the only
    place broadcasting is undone.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    grad_shape = shape_of(grad)
    if grad_shape == shape:
        return grad
    if shape == ():
        return ops.SUM(grad)
    lead = len(grad_shape) - len(shape)
    if lead:
        grad = ops.SUM(grad, axis=tuple(range(lead)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and shape_of(grad)[i] != 1)
    if kept:
        grad = ops.SUM(grad, axis=kept, keepdims=True)
    return grad


def expand_reduced(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast a reduction's upstream gradient back to the shape of its input ``x``.

    >>> expand_reduced(2.0, np.zeros((2, 2)), None, False)
    array([[2., 2.],
           [2., 2.]])
    """
    in_shape = shape_of(x)
    if type(g) is float and in_shape != ():
        # A full reduction's gradient. empty + fill: half of np.full's time on small
        # arrays. In x's dtype, so that a float32 network's gradients need no cast.
        filled = np.empty(in_shape, dtype=data_of(x).dtype)
        filled.fill(g)
        return filled
    if type(data_of(g)) is float and in_shape != () and data_of(x).dtype != np.float64:
        # The same, recorded (create_graph): broadcasting a scalar Value would give
        # float64; times ones of x's dtype it stays float32, and differentiable.
        return g * np.ones(in_shape, dtype=data_of(x).dtype)
    if not keepdims and in_shape != ():
        axes = kernels.normalize_axis(axis, len(in_shape))
        kept_shape = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
        g = ops.RESHAPE(g, shape=kept_shape)
    return ops.BROADCAST_TO(g, shape=in_shape)


# ------------------------------------------------------------------- the rules


def pow_x(g, out, x, y):
    """∂(x ** y)/∂x = y·x^(y−1); 0 where y = 0 (x**0 is flat, at x = 0 too)."""
    if type(y) is float or type(y) is int:  # a constant exponent (as written: x ** 2)
        if y == 2:  # the square: x ** 1.0 is x (saves an op per pass)
            return g * y * x
        if y == 0:  # 0·0**−1 would be nan
            return select(False, g)
        return g * y * ops.POW(x, y - 1.0)
    nonzero = data_of(y) != 0
    if type(y) is schema.node_type:
        # Recorded for a second derivative: keep the rule where it is finite (x ≠ 0), so
        # that its derivative in y, x^(y−1)·(1 + y·ln x), survives at y = 0.
        nonzero = np.logical_or(nonzero, data_of(x) != 0)
    return select(nonzero, g * y * ops.POW(x, y - 1.0))


def pow_y(g, out, x, y):
    """∂(x ** y)/∂y = x^y·ln x, with PyTorch's limits at a zero base."""
    zero_base = data_of(x) == 0
    if not np.any(zero_base):
        return g * out * ops.LOG(x)
    # 0**y is flat for y ≥ 0 (gradient 0, where the formula gives 0·(−inf) = nan); for
    # y < 0, out = inf and ln 0 = −inf give −inf.
    flat = np.logical_and(zero_base, np.greater_equal(data_of(y), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return select(np.logical_not(flat), g * out * ops.LOG(x))


def abs_rule(g, out, x):
    """∂|x|/∂x = sign(x), and 0 at x = 0."""
    x = data_of(x)
    if type(x) is float:
        return g if x > 0.0 else -g if x < 0.0 else 0.0
    return select(x > 0, g) - select(x < 0, g)  # selected: at x = 0, 0 even if g is inf


def max_rule(g, out, x, axis=None, keepdims=False):
    """∂max/∂x: the maxima share the gradient equally (as PyTorch's amax)."""
    if shape_of(x) == ():
        return g
    hit = data_of(x) == data_of(expand_reduced(data_of(out), x, axis, keepdims))
    # Counts in x's dtype, so a float32 graph stays float32; at least 1 where the
    # maximum is NaN (no element equals it, and nothing is selected anyway).
    counts = np.maximum(np.sum(hit, axis=axis, keepdims=True, dtype=data_of(x).dtype), 1)
    return select(hit, expand_reduced(g, x, axis, keepdims) / counts)


def max_jvp(t, out, x, axis=None, keepdims=False):
    """The tangent of a max: the maxima's tangents, averaged over ties (max_rule's share)."""
    if shape_of(x) == ():
        return t
    hit = data_of(x) == data_of(expand_reduced(data_of(out), x, axis, keepdims))
    counts = np.maximum(np.sum(hit, axis=axis, keepdims=True, dtype=data_of(x).dtype), 1)
    return ops.SUM(select(hit, t / counts), axis=axis, keepdims=keepdims)


def logsumexp_jvp(t, out, x, axis=None, keepdims=False):
    """The tangent of logsumexp: Σ softmax(x)·t over the axis (the shifted softmax)."""
    if shape_of(x) == ():
        return t * ops.EXP(x - out)
    return ops.SUM(t * kernels.softmax_of_logsumexp(x, axis), axis=axis, keepdims=keepdims)


def logsumexp_rule(g, out, x, axis=None, keepdims=False):
    """∂logsumexp/∂x = softmax(x), in the shifted form."""
    if shape_of(x) == ():
        return g * ops.EXP(x - out)  # 1, or nan at ±inf as for a row of one (e^(inf − inf))
    # e^(x − out) loses every digit once x is large (float32 logits near 1e30: x − out is
    # 0 or a whole ulp). Recorded (create_graph), the softmax is exp(log_softmax(x)).
    if type(x) is schema.node_type:
        softmax = ops.EXP(ops.LOG_SOFTMAX(x, axis=axis))
    else:
        softmax = kernels.softmax_of_logsumexp(x, axis)
    return expand_reduced(g, x, axis, keepdims) * softmax


def _swap_last(a):
    """Swap the last two axes (the matrix transpose of a batch)."""
    if isinstance(a, np.ndarray):
        return a.swapaxes(-1, -2)  # raw data in a plain backward: skip the op dispatch
    n = len(shape_of(a))
    axes = list(range(n))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return ops.TRANSPOSE(a, axes=tuple(axes))


def _raw_matrices(g: Any, x: Any, y: Any) -> bool:
    """All ndarrays, x and y of two or more dimensions (a plain backward's matrix product)."""
    return (type(g) is np.ndarray and type(x) is np.ndarray and type(y) is np.ndarray
            and x.ndim >= 2 and y.ndim >= 2)


def matmul_x(g, out, x, y):
    """∂(x @ y)/∂x: g @ yᵀ (and the 1-d cases)."""
    if type(y) is np.ndarray and y.ndim == 2 and type(g) is np.ndarray and type(x) is np.ndarray:
        return np.matmul(g, y.T)  # plain matrices, the common case: no helper calls
    if _raw_matrices(g, x, y):
        return np.matmul(g, y.swapaxes(-1, -2))
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1 and len(ys) == 1:  # dot product: out is a scalar
        return g * y
    if len(ys) == 1:  # (..., m, k) @ (k,) -> (..., m)
        return ops.RESHAPE(g, shape=shape_of(g) + (1,)) * y
    if len(xs) == 1:  # (k,) @ (..., k, n) -> (..., n)
        g2 = ops.RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1]))
        return ops.RESHAPE(ops.MATMUL(g2, _swap_last(y)), shape=shape_of(g)[:-1] + (xs[0],))
    return ops.MATMUL(g, _swap_last(y))


def matmul_y(g, out, x, y):
    """∂(x @ y)/∂y: xᵀ @ g (and the 1-d cases)."""
    if type(x) is np.ndarray and x.ndim == 2 and type(g) is np.ndarray and type(y) is np.ndarray \
            and y.ndim == 2:
        return np.matmul(x.T, g)  # plain matrices, the common case: no helper calls
    if _raw_matrices(g, x, y):
        return np.matmul(x.swapaxes(-1, -2), g)
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1 and len(ys) == 1:
        return g * x
    if len(xs) == 1:  # (k,) @ (..., k, n): d/dy = outer(x, g)
        g_row = ops.RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1]))
        return ops.RESHAPE(x, shape=(xs[0], 1)) * g_row
    if len(ys) == 1:  # (..., m, k) @ (k,): d/dy = xᵀ g
        return ops.MATMUL(ops.RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1])), x)
    return ops.MATMUL(_swap_last(x), g)


def concatenate_jvp(i, t, out, *xs, axis=0):
    """Input ``i``'s tangent, in its slice of the output (zeros elsewhere)."""
    parts = [t if j == i else np.zeros(shape_of(x), dtype=np.result_type(t))
             for j, x in enumerate(xs)]
    return ops.CONCATENATE(*parts, axis=axis)


def concatenate_rule(i, g, out, *xs, axis=0):
    """Input ``i`` of a concatenate gets the slice of ``g`` where it sits."""
    a = axis % len(shape_of(out))
    start = sum(shape_of(x)[a] for x in xs[:i])
    index = (slice(None),) * a + (slice(start, start + shape_of(xs[i])[a]),)
    return ops.GETITEM(g, index=index)



# ------------------------------------------- elementwise, continued
# Inverse trigonometric and hyperbolic functions, rounding, the newer activations.


# -------------------------------------------- reductions, continued
# Products, moments, running sums, norms.


# --------------------------------------------------- linear algebra
# Contractions (dot, tensordot, einsum), diagonals and triangles, np.linalg.


# --------------------------------------------- structure, continued
# Repeating, flipping, padding, splitting and moving axes; gathering by index.


# ---------------------------------------------------------- windows
# Sliding windows: what convolution and pooling are built from.
def windows_rule(g, out, x, kernel, stride=1, padding=0, dilation=1, fill=0.0):
    """∂windows/∂x: each window's gradient added back where the window was taken from
    (overlaps add; the padding's share is dropped)."""
    shape = shape_of(x)
    if type(g) is np.ndarray:
        return kernels.windows_adjoint(g, shape, kernel, stride, padding, dilation)
    # Recorded (create_graph): the same sum with table entries, so it differentiates
    # again. It scatters with np.add.at, slower than the strided slices above.
    geometry = kernels.window_geometry(shape, kernel, stride, padding, dilation)
    (ph, pw), (h, w) = geometry.padding, shape[-2:]
    padded = tuple(shape[:-2]) + (h + 2 * ph, w + 2 * pw)
    total = ops.INDEX_ADD(g, shape=padded, index=kernels.window_index(geometry))
    return ops.GETITEM(total, index=(Ellipsis, slice(ph, ph + h), slice(pw, pw + w)))


from . import ops  # noqa: E402  (the table imports this module first; rules read it as they run)
