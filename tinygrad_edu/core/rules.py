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

import math
from typing import Any

import numpy as np

from . import kernels
from . import op as schema
from .op import shape_of

__all__ = ["data_of", "select", "unbroadcast", "expand_reduced", "pow_x", "pow_y",
           "abs_rule", "max_rule", "max_jvp", "logsumexp_rule", "logsumexp_jvp", "matmul_x",
           "matmul_y", "concatenate_rule", "concatenate_jvp", "windows_rule",
           # elementwise, continued
           "zero_rule", "remainder_y", "hypot_x", "hypot_y", "arctan2_x", "arctan2_y",
           "elu_rule",
           # linear algebra and astype (issue 14)
           "einsum_rule", "einsum_jvp", "inv_vjp", "inv_jvp", "solve_x", "solve_y",
           "solve_x_jvp", "solve_y_jvp", "cofactor", "inverse_transpose", "det_vjp", "det_jvp",
           "slogdet_vjp", "slogdet_jvp", "dtype_name"]


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


def _maxima(out, x, axis, keepdims):
    """Where x holds its slice's maximum, and how many maxima each slice has (kept axes)."""
    hit = data_of(x) == data_of(expand_reduced(data_of(out), x, axis, keepdims))
    # Counts in x's dtype, so a float32 graph stays float32; at least 1 where the
    # maximum is NaN (no element equals it, and nothing is selected anyway).
    counts = np.maximum(np.sum(hit, axis=axis, keepdims=True, dtype=data_of(x).dtype), 1)
    return hit, counts


def max_rule(g, out, x, axis=None, keepdims=False):
    """∂max/∂x: the maxima share the gradient equally (as PyTorch's amax)."""
    if shape_of(x) == ():
        return g
    hit, counts = _maxima(out, x, axis, keepdims)
    # divided at the reduced size, then spread: one division per maximum, not per element
    if type(g) is float or type(g) is np.ndarray:
        kept = g if keepdims or type(g) is float else g.reshape(counts.shape)
        # in the counts' memory order, which is x's: spreading the share then walks x in
        # order (a channels-last x under a C-order g: 3× faster)
        share = np.divide(kept, counts, out=np.empty_like(counts, np.result_type(kept, counts)))
    else:  # recorded (create_graph)
        share = (g if keepdims else ops.RESHAPE(g, shape=counts.shape)) / counts
    return select(hit, expand_reduced(share, x, axis, True))


def max_jvp(t, out, x, axis=None, keepdims=False):
    """The tangent of a max: the maxima's tangents, averaged over ties (max_rule's share)."""
    if shape_of(x) == ():
        return t
    hit, counts = _maxima(out, x, axis, keepdims)
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


def zero_rule(g, out, x):
    """The step functions (floor, ceil, round, sign): gradient 0, exactly, whatever ``g``
    is (selected, so an infinite upstream gives 0 and not nan)."""
    return select(False, g)


def remainder_y(g, out, x, y):
    """∂(x mod y)/∂y = −⌊x/y⌋, the quotient the forward used (``np.floor_divide``, as
    PyTorch's remainder backward); a constant, so a recorded rule stays a product."""
    with np.errstate(all="ignore"):
        return -g * kernels.floor_divide(data_of(x), data_of(y))


def _guarded(g, numerator, denominator, ok):
    """``g · (numerator / denominator)`` where ``ok`` holds and exactly 0 elsewhere (the
    convention at a singular point). The local derivative is formed first, as PyTorch
    and HIPS do, so a huge ``g`` does not overflow against a huge numerator; off ``ok``
    the denominator is replaced by 1 before dividing, so a recorded rule has no 0/0
    whose own derivative would be nan."""
    if np.all(ok):
        return g * (numerator / denominator)
    mask = np.broadcast_to(ok, shape_of(data_of(denominator)))
    return select(ok, g * (numerator / ops.WHERE(denominator, 1.0, cond=mask)))


def _off_origin(x, y):
    return np.logical_or(data_of(x) != 0, data_of(y) != 0)


def hypot_x(g, out, x, y):
    """∂hypot/∂x = x/hypot(x, y); 0 at (0, 0), as |x|′(0) (hypot(x, 0) is |x|)."""
    return _guarded(g, x, out, _off_origin(x, y))


def hypot_y(g, out, x, y):
    """∂hypot/∂y = y/hypot(x, y); 0 at (0, 0)."""
    return _guarded(g, y, out, _off_origin(x, y))


def _over_squared_radius(g, numerator, x, y):
    """``g · numerator/(x² + y²)`` formed as ``(numerator/r)/r`` with r = hypot(x, y):
    x² + y² would overflow at 1e200 (a gradient of 0 instead of 5e-201) and underflow at
    1e-300 (0/0); 0 at (0, 0), as PyTorch. The origin is where r is 0 in the precision
    it was computed in (1e-300 beside a float32 array is a float32 0)."""
    r = ops.HYPOT(x, y)
    ok = data_of(r) != 0
    if not np.all(ok):
        r = ops.WHERE(r, 1.0, cond=np.broadcast_to(ok, shape_of(data_of(r))))
        return select(ok, g * ((numerator / r) / r))
    return g * ((numerator / r) / r)


def arctan2_x(g, out, x, y):
    """∂arctan2(x, y)/∂x = y/(x² + y²); 0 at (0, 0), as PyTorch."""
    return _over_squared_radius(g, y, x, y)


def arctan2_y(g, out, x, y):
    """∂arctan2(x, y)/∂y = −x/(x² + y²); 0 at (0, 0), as PyTorch."""
    return _over_squared_radius(g, -x, x, y)


def elu_rule(g, out, x, alpha=1.0):
    """elu′(x) = 1 for x > 0 and α·e^x for x ≤ 0 (at 0: α, PyTorch's branch)."""
    if type(x) is not schema.node_type:
        return g * kernels.elu_slope(x, alpha)
    slope = alpha * ops.EXP(ops.MINIMUM(x, 0.0))  # e^min(x, 0): no overflow at x = 1000
    return g * ops.WHERE(1.0, slope, cond=np.asarray(data_of(x) > 0))



# -------------------------------------------- reductions, continued
# Products, moments, running sums, norms.

__all__ += ["prod_rule", "prod_jvp", "std_rule", "std_jvp", "norm_rule", "norm_jvp",
            "cumsum_rule", "cumsum_jvp", "cumprod_rule", "cumprod_jvp"]


def _axis_last(a: Any, axis: int) -> Any:
    """``a`` with ``axis`` moved to the end (a transpose; nothing when it is there)."""
    n = len(shape_of(a))
    if axis == n - 1:
        return a
    return ops.TRANSPOSE(a, axes=tuple(i for i in range(n) if i != axis) + (axis,))


def _axis_back(a: Any, axis: int) -> Any:
    """Undo :func:`_axis_last`."""
    n = len(shape_of(a))
    if axis == n - 1:
        return a
    order = tuple(i for i in range(n) if i != axis) + (axis,)
    return ops.TRANSPOSE(a, axes=kernels.inverse_axes(order, n))


def _reversed_last(a: Any) -> Any:
    """``a[..., ::-1]``, a table row (getitem), so that it stays differentiable."""
    return ops.GETITEM(a, index=(slice(None),) * (len(shape_of(a)) - 1) + (slice(None, None, -1),))


def _exclusive_cumprod(a: Any) -> Any:
    """Products of the elements before each one along the last axis (1 for the first)."""
    shape = shape_of(a)
    ones = np.ones(shape[:-1] + (1,), dtype=data_of(a).dtype)
    if shape[-1] == 1:
        return ones
    head = ops.GETITEM(a, index=(slice(None),) * (len(shape) - 1) + (slice(None, -1),))
    return ops.CONCATENATE(ones, ops.CUMPROD(head, axis=-1), axis=-1)


def products_of_others(x: Any, axis: Any) -> Any:
    """For each element of ``x``, the product of the other elements of its slice (the
    reduction over ``axis``), without dividing: the product of the elements before it
    times the product of those after it (two exclusive running products). One zero in a
    slice leaves its own element the product of the rest and the others 0; two zeros
    leave all 0, exactly.

    >>> products_of_others(np.array([2.0, 0.0, 3.0]), None)
    array([0., 6., 0.])
    """
    shape = shape_of(x)
    if shape == ():
        return 1.0
    axes = kernels.normalize_axis(axis, len(shape))
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    order = kept + axes
    n = math.prod(shape[a] for a in axes)
    if n == 1:
        return np.ones(shape, dtype=data_of(x).dtype)
    moved = ops.TRANSPOSE(x, axes=order) if order != tuple(range(len(shape))) else x
    flat = ops.RESHAPE(moved, shape=tuple(shape[i] for i in kept) + (n,))
    before = _exclusive_cumprod(flat)
    after = _reversed_last(_exclusive_cumprod(_reversed_last(flat)))
    others = ops.RESHAPE(before * after, shape=tuple(shape[i] for i in order))
    if order == tuple(range(len(shape))):
        return others
    return ops.TRANSPOSE(others, axes=kernels.inverse_axes(order, len(shape)))


def prod_rule(g, out, x, axis=None, keepdims=False):
    """∂Πx/∂xᵢ = the product of the others (:func:`products_of_others`), no division."""
    return expand_reduced(g, x, axis, keepdims) * products_of_others(x, axis)


def prod_jvp(t, out, x, axis=None, keepdims=False):
    """The tangent of a product: Σ tᵢ · (product of the others) over the axis."""
    return ops.SUM(t * products_of_others(x, axis), axis=axis, keepdims=keepdims)


def _centered_over_spread(x, out, axis, keepdims, ddof):
    """(x − mean) / (std · (n − ddof)), the derivative of std, and where std ≠ 0 (the
    derivative exists only there; at a constant slice the convention gives 0)."""
    n = kernels.reduced_count(shape_of(x), axis)
    centered = x - ops.SUM(x, axis=axis, keepdims=True) * (1.0 / n)
    spread = expand_reduced(out, x, axis, keepdims)
    nonzero = data_of(spread) != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return centered / (spread * float(n - ddof)), nonzero


def std_rule(g, out, x, axis=None, keepdims=False, ddof=0):
    """∂std/∂x = (x − mean) / (std · (n − ddof)); 0 where std = 0 (convention
    std_zero_variance: 0 is the smallest subgradient of the cone, PyTorch's value)."""
    if shape_of(x) == ():
        return select(False, g)  # a 0-d std is the constant 0 (a slice of one element)
    local, nonzero = _centered_over_spread(x, out, axis, keepdims, ddof)
    return select(nonzero, expand_reduced(g, x, axis, keepdims) * local)


def std_jvp(t, out, x, axis=None, keepdims=False, ddof=0):
    """The tangent of std: Σ t · (x − mean) / (std · (n − ddof)) over the axis, 0 where
    std = 0."""
    if shape_of(x) == ():
        return select(False, t)
    local, nonzero = _centered_over_spread(x, out, axis, keepdims, ddof)
    return ops.SUM(select(nonzero, t * local), axis=axis, keepdims=keepdims)


def _unit(x, out, axis, keepdims):
    """x / ‖x‖ (the derivative of the 2-norm) and where ‖x‖ ≠ 0."""
    size = expand_reduced(out, x, axis, keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x / size, data_of(size) != 0


def norm_rule(g, out, x, axis=None, keepdims=False):
    """∂‖x‖/∂x = x / ‖x‖; 0 at the zero vector (convention norm_at_zero, PyTorch's)."""
    local, nonzero = _unit(x, out, axis, keepdims)
    return select(nonzero, expand_reduced(g, x, axis, keepdims) * local)


def norm_jvp(t, out, x, axis=None, keepdims=False):
    """The tangent of ‖x‖: Σ t · x / ‖x‖ over the axis, 0 at the zero vector."""
    local, nonzero = _unit(x, out, axis, keepdims)
    return ops.SUM(select(nonzero, t * local), axis=axis, keepdims=keepdims)


def _scan_axis(x: Any, axis: Any) -> int | None:
    """The running axis as a non-negative int, or None for the flattened input (a 0-d
    input runs flattened whatever the axis, as in NumPy)."""
    n = len(shape_of(x))
    return None if axis is None or n == 0 else int(axis) % n


def _run_along(run, x: Any, a: Any, axis: Any, flat_shape: tuple[int, ...]) -> Any:
    """``run(x, a)`` with the running axis last in both; the result is laid out back
    (reshaped to ``flat_shape`` when the run is over the flattened input)."""
    axis_ = _scan_axis(x, axis)
    if axis_ is None:
        flat = run(ops.RESHAPE(x, shape=(-1,)), ops.RESHAPE(a, shape=(-1,)))
        return ops.RESHAPE(flat, shape=flat_shape)
    return _axis_back(run(_axis_last(x, axis_), _axis_last(a, axis_)), axis_)


def cumsum_rule(g, out, x, axis=None):
    """∂cumsum/∂xᵢ: Σ_{j ≥ i} g_j, the running sum from the end."""
    def run(_, g_last):
        return _reversed_last(ops.CUMSUM(_reversed_last(g_last), axis=-1))

    return _run_along(run, x, g, axis, shape_of(x))


def cumsum_jvp(t, out, x, axis=None):
    """The tangent of a running sum is the running sum of the tangent."""
    return ops.CUMSUM(t, axis=axis)


def running_products_between(x: Any, weights: Any) -> Any:
    """``R[..., i, j]`` = Π_{i < k ≤ j} x_k times ``weights`` where j ≥ i, and exactly 0
    below (selected, so an infinite weight there is no nan). The last axis runs. With
    P_i = Π_{k < i} x_k, ∂cumprod(x)_j/∂x_i = P_i · R[i, j]: no division, so zeros in x
    are exact (the factoring is the one a loop of products gives); n² numbers per run.

    >>> running_products_between(np.array([2.0, 0.0, 3.0]), 1.0)
    array([[1., 0., 0.],
           [0., 1., 3.],
           [0., 0., 1.]])
    """
    shape = shape_of(x)
    n = shape[-1]
    rows = ops.BROADCAST_TO(ops.RESHAPE(x, shape=shape[:-1] + (1, n)), shape=shape + (n,))
    # row i: x with x_0 … x_i replaced by 1, then its running product
    later = ops.WHERE(np.ones((), dtype=data_of(x).dtype), rows,
                      cond=np.tril(np.ones((n, n), dtype=bool)))
    return select(np.triu(np.ones((n, n), dtype=bool)), ops.CUMPROD(later, axis=-1) * weights)


def cumprod_rule(g, out, x, axis=None):
    """∂cumprod/∂xᵢ: P_i · Σ_{j ≥ i} g_j · Π_{i < k ≤ j} x_k, P_i = Π_{k < i} x_k
    (:func:`running_products_between`)."""
    def run(x_last, g_last):
        shape = shape_of(x_last)
        weights = ops.RESHAPE(g_last, shape=shape[:-1] + (1, shape[-1]))
        later = ops.SUM(running_products_between(x_last, weights), axis=-1)
        return _exclusive_cumprod(x_last) * later

    return _run_along(run, x, g, axis, shape_of(x))


def cumprod_jvp(t, out, x, axis=None):
    """The tangent of cumprod: out_j' = Σ_{i ≤ j} tᵢ · P_i · Π_{i < k ≤ j} x_k."""
    def run(x_last, t_last):
        weights = ops.RESHAPE(t_last * _exclusive_cumprod(x_last), shape=shape_of(x_last) + (1,))
        return ops.SUM(running_products_between(x_last, weights), axis=-2)

    return _run_along(run, x, t, axis, shape_of(out))


# --------------------------------------------------- linear algebra
# Contractions (dot, tensordot, einsum), diagonals and triangles, np.linalg.


def _trailing(v: Any, count: int) -> Any:
    """``v`` with ``count`` axes of size 1 appended (a per-matrix number made to broadcast
    against its matrix); a 0-d value is left as it is, it broadcasts already."""
    shape = shape_of(v)
    return v if shape == () else ops.RESHAPE(v, shape=shape + (1,) * count)


def einsum_rule(i, g, out, *xs, subscripts):
    """Operand ``i``'s gradient: one more einsum of ``g`` with the other operands
    (:func:`kernels.einsum_adjoint` writes it; diagonals and lone sums are tied back by
    identity matrices and vectors of ones)."""
    dtype = np.result_type(*(data_of(a) for a in (g, *xs)))
    spec, constants = kernels.einsum_adjoint(subscripts, [shape_of(x) for x in xs], i, dtype)
    others = [x for j, x in enumerate(xs) if j != i]
    return ops.EINSUM(g, *others, *constants, subscripts=spec)


def einsum_jvp(i, t, out, *xs, subscripts):
    """The einsum is linear in each operand: the same einsum with ``t`` in operand i's place."""
    return ops.EINSUM(*(t if j == i else x for j, x in enumerate(xs)), subscripts=subscripts)


def inv_vjp(g, out, x):
    """∂X⁻¹: −X⁻ᵀ g X⁻ᵀ, from the output (HIPS and PyTorch write it the same way)."""
    out_t = _swap_last(out)
    return -ops.MATMUL(ops.MATMUL(out_t, g), out_t)


def inv_jvp(t, out, x):
    """d(X⁻¹) = −X⁻¹ dX X⁻¹."""
    return -ops.MATMUL(ops.MATMUL(out, t), out)


def _as_columns(v: Any, y: Any) -> Any:
    """A solve's right-hand side or result as matrices (…, n, k): a vector ``y`` (n,)
    gives columns (…, n, 1), as NumPy 2 reads a 1-d ``b``."""
    return ops.RESHAPE(v, shape=shape_of(v) + (1,)) if len(shape_of(y)) == 1 else v


def _as_given(v: Any, y: Any) -> Any:
    """The inverse of :func:`_as_columns`."""
    return ops.RESHAPE(v, shape=shape_of(v)[:-1]) if len(shape_of(y)) == 1 else v


def solve_y(g, out, x, y):
    """∂solve(X, Y)/∂Y: solve(Xᵀ, g), column by column."""
    return _as_given(ops.SOLVE(_swap_last(x), _as_columns(g, y)), y)


def solve_x(g, out, x, y):
    """∂solve(X, Y)/∂X: −solve(Xᵀ, g) · solve(X, Y)ᵀ (an outer product for a vector Y)."""
    gy = ops.SOLVE(_swap_last(x), _as_columns(g, y))  # columns (…, n, k)
    return -ops.MATMUL(gy, _swap_last(_as_columns(out, y)))


def solve_x_jvp(t, out, x, y):
    """d solve(X, Y) for dX = t: −solve(X, t · solve(X, Y))."""
    return -_as_given(ops.SOLVE(x, ops.MATMUL(t, _as_columns(out, y))), y)


def solve_y_jvp(t, out, x, y):
    """d solve(X, Y) for dY = t: solve(X, t) (linear in Y)."""
    return ops.SOLVE(x, t)


def _minors_cofactor(x: Any) -> Any:
    """The cofactor matrix adj(X)ᵀ, each entry (−1)^(i+j)·det(minor ij): exact at singular
    matrices too, and made of table rows (getitem, det), so differentiable again."""
    n = shape_of(x)[-1]
    if n == 1:
        return np.ones(shape_of(x), dtype=np.result_type(data_of(x)))
    index, signs = kernels.minors_index(n)
    return ops.DET(ops.GETITEM(x, index=index)) * signs


def cofactor(x: Any, det: Any) -> Any:
    """adj(X)ᵀ, the gradient of det X: det X · X⁻ᵀ while every matrix is invertible (what
    HIPS and PyTorch compute), else by minors (finite at a singular X, where X⁻ᵀ is not)."""
    if np.all(data_of(det) != 0):
        return _trailing(det, 2) * _swap_last(ops.INV(x))
    return _minors_cofactor(x)


def inverse_transpose(x: Any, sign: Any) -> Any:
    """X⁻ᵀ, the gradient of log|det X|. Where X is singular (``sign`` 0) it does not exist:
    the cofactors divided by det X = 0, ±inf along their signs and nan where a cofactor
    is 0 too (docs/conventions.md, slogdet_singular)."""
    if np.all(data_of(sign) != 0):
        return _swap_last(ops.INV(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _minors_cofactor(x) / _trailing(ops.DET(x), 2)


def det_vjp(g, out, x):
    """∂det X/∂X = adj(X)ᵀ (:func:`cofactor`), times each matrix's upstream."""
    return _trailing(g, 2) * cofactor(x, out)


def det_jvp(t, out, x):
    """d det X = Σᵢⱼ adj(X)ᵀᵢⱼ tᵢⱼ (Jacobi's formula: det X · tr(X⁻¹ t))."""
    return ops.SUM(cofactor(x, out) * t, axis=(-2, -1))


def _parts(out: Any) -> tuple[Any, Any]:
    """slogdet's (sign, log|det|), the two entries of its last axis."""
    return ops.GETITEM(out, index=(Ellipsis, 0)), ops.GETITEM(out, index=(Ellipsis, 1))


def slogdet_vjp(g, out, x):
    """Only log|det X| has a gradient, X⁻ᵀ; the sign is piecewise constant."""
    sign = data_of(_parts(data_of(out))[0])
    return _trailing(_parts(g)[1], 2) * inverse_transpose(x, sign)


def slogdet_jvp(t, out, x):
    """(0, tr(X⁻¹ t)): the sign does not move, log|det X| moves by Σ X⁻ᵀ ⊙ t."""
    sign = data_of(_parts(data_of(out))[0])
    moved = ops.SUM(inverse_transpose(x, sign) * t, axis=(-2, -1))
    moved = ops.RESHAPE(moved, shape=shape_of(moved) + (1,))
    return ops.CONCATENATE(np.zeros(shape_of(moved), dtype=np.result_type(data_of(moved))),
                           moved, axis=-1)



# --------------------------------------------- structure, continued
# Repeating, flipping, padding, splitting and moving axes; gathering by index.


def dtype_name(x: Any) -> str:
    """The float dtype of ``x`` by name, as ``astype`` takes it (a 0-d value is float64)."""
    data = data_of(x)
    return "float32" if isinstance(data, np.ndarray) and data.dtype == np.float32 else "float64"



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
