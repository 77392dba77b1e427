"""The op table: every primitive of tinygrad_edu, declared once.

Each :class:`Op` entry says four things about one primitive:

* ``forward`` — the computation on raw data. Scalars are Python floats (a 0-d NumPy
  operation costs several float operations), everything else is an ndarray.
* ``vjps`` — one vector-Jacobian product per input: ``vjp(upstream, out, *inputs,
  **params)`` returns the contribution that input receives. The rules use only
  arithmetic operators and other table entries (called like functions), so the same
  rule runs on raw arrays (a plain backward pass) and on ``Value`` objects (a backward
  pass that records a graph of its own, for gradients of gradients).
* ``derivatives`` — the local derivative of the output with respect to each input as
  short text (``σ(x)·(1−σ(x))``): edge labels, ``explain()`` and the docs read it.
* ``domain`` — where the op is smooth: the region the property tests draw from, the
  singular points to keep away from, and a measure of closeness to kinks (relu at 0,
  maximum at ties) so the gradient checker reports kinks as kinks, not as failures.

Rule for composites: an operation is an entry here only when it is a primitive, or when
speed or numerical stability demands its own derivative (sigmoid, softplus,
logsumexp, log_softmax). Everything else (mean, softmax, clip, stack, the losses) is
built from entries in :mod:`tinygrad_edu.functional`.

A VJP's result may have the broadcast shape of the output; the engine reduces it to
the input's shape with :func:`unbroadcast`, the only place broadcasting is undone.

This module imports only NumPy and the standard library. It must not import
``tinygrad_edu.value``: a Value-aware call is routed through :attr:`Op.graph_apply`,
which ``value`` installs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

__all__ = ["Op", "Domain", "ShapeError", "IndexShapeError", "OPS", "unbroadcast", "shape_of",
           "op_named"]


class ShapeError(ValueError):
    """Input shapes that an op cannot combine; the message names the op and the shapes."""


class IndexShapeError(ShapeError, IndexError):
    """An index outside a Value's shape: an IndexError too, so loops over rows end."""


@dataclass(frozen=True)
class Domain:
    """Where an op is smooth, per input.

    ``ranges`` is the box the property tests draw each input from: inside the op's
    domain and well-conditioned for central differences. ``singular`` lists points that
    are outside the domain (log at 0); ``kinks`` describes non-differentiable points in
    words, and ``kink_gap(*inputs, **params)`` returns how far the given inputs are from
    the nearest kink (``inf`` for smooth ops), so checkers can tell a kink from a bug.
    """

    ranges: tuple[tuple[float, float], ...] = ((-3.0, 3.0),)
    singular: str = ""
    kinks: str = ""
    kink_gap: Callable[..., float] | None = None

    def gap(self, *inputs: Any, **params: Any) -> float:
        """Distance from ``inputs`` to the nearest kink (``inf`` when the op has none)."""
        if self.kink_gap is None:
            return math.inf
        return float(self.kink_gap(*inputs, **params))


class _ArgnumRules:
    """Per-input VJP rules for variadic ops: ``rules[i]`` is the rule for input ``i``."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]):
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[..., Any]:
        rule = self.rule
        return lambda g, out, *inputs, **params: rule(i, g, out, *inputs, **params)

    def __len__(self) -> int:  # any number of inputs
        return 1 << 30


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: forward, a VJP per input, derivative text, domain."""

    name: str
    forward: Callable[..., Any]
    vjps: Sequence[Callable[..., Any]]
    derivatives: tuple[str, ...]
    kind: str
    doc: str
    domain: Domain = field(default_factory=Domain)
    check: Callable[..., None] | None = None
    smooth: bool = True
    symbol: str = ""
    #: The NumPy ufunc this op is (``np.exp`` for exp): ``np.exp(value)`` dispatches here.
    ufunc: Any = None

    #: Installed by :mod:`tinygrad_edu.value`: applies an op to Value inputs, recording
    #: the graph. Lives here so that VJP rules can call ops without importing ``value``.
    graph_apply: ClassVar[Callable[..., Any] | None] = None
    graph_type: ClassVar[type | None] = None

    @property
    def arity(self) -> int | None:
        """Number of tensor inputs, or None for variadic ops."""
        return None if isinstance(self.vjps, _ArgnumRules) else len(self.vjps)

    def derivative(self, position: int) -> str:
        """The local derivative text for input ``position`` (variadic ops share one)."""
        return self.derivatives[min(position, len(self.derivatives) - 1)]

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """Apply the op to raw data, or record it when any input is a Value."""
        graph_type = Op.graph_type
        for x in inputs:
            if type(x) is graph_type:
                return Op.graph_apply(self, inputs, params)
        return self.forward(*inputs, **params)

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __reduce__(self) -> tuple:
        return (op_named, (self.name,))  # an op pickles as its name in the table


def op_named(name: str) -> Op:
    """The table entry called ``name``.

    >>> op_named("mul").derivative(0)
    'y'
    """
    return OPS[name]


# --------------------------------------------------------------------------- helpers


def shape_of(x: Any) -> tuple[int, ...]:
    """Shape of raw data or a Value: floats are ``()``.

    >>> shape_of(2.0), shape_of(np.zeros((2, 3)))
    ((), (2, 3))
    """
    return () if isinstance(x, (float, int)) else tuple(x.shape)


def _float_or_array(math_fn: Callable[[float], float], np_fn: Callable[..., Any]):
    """A function that uses ``math`` on floats (fast) and NumPy on arrays.

    ``math`` raises where NumPy returns inf or nan (``math.exp(1000)``, ``math.log(0)``);
    then the float goes through NumPy so scalars and tensors agree exactly.
    """

    def fn(x):
        if type(x) is float:
            try:
                return math_fn(x)
            except (OverflowError, ValueError):
                with np.errstate(all="ignore"):
                    return float(np_fn(np.float64(x)))
        return np_fn(x)

    return fn


def _as_result(x: Any) -> Any:
    """0-d results become Python floats, everything else stays an ndarray."""
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        return float(x) if x.ndim == 0 else x
    return float(x)


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of NumPy broadcasting.

    Works on raw data and on Values (through table entries), so it serves both plain
    and graph-recording backward passes.

    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    grad_shape = shape_of(grad)
    if grad_shape == shape:
        return grad
    if shape == ():
        return SUM(grad)
    lead = len(grad_shape) - len(shape)
    if lead:
        grad = SUM(grad, axis=tuple(range(lead)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and shape_of(grad)[i] != 1)
    if kept:
        grad = SUM(grad, axis=kept, keepdims=True)
    return grad


def _normalize_axis(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"axis {a} is out of bounds for an input with {ndim} dimensions")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def _expand_reduced(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast a reduction's upstream gradient back to the shape of its input ``x``."""
    in_shape = shape_of(x)
    if type(g) is float and in_shape != ():
        # A full reduction's gradient. empty + fill: half of np.full's time on the small
        # arrays of the articles' networks, a third of broadcast_to's. In x's dtype, so
        # that a float32 network's gradients need no cast on the way back.
        filled = np.empty(in_shape, dtype=_data(x).dtype)
        filled.fill(g)
        return filled
    if type(_data(g)) is float and in_shape != () and _data(x).dtype != np.float64:
        # The same, recorded (create_graph): broadcasting a scalar Value would give
        # float64; times ones of x's dtype it stays float32, and differentiable.
        return g * np.ones(in_shape, dtype=_data(x).dtype)
    if not keepdims and in_shape != ():
        axes = _normalize_axis(axis, len(in_shape))
        kept_shape = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
        g = RESHAPE(g, shape=kept_shape)
    return BROADCAST_TO(g, shape=in_shape)


def _data(x: Any) -> Any:
    """Raw data of a Value or of raw input (used for masks, which are constants)."""
    return x.data if type(x) is Op.graph_type else x


def _select(condition: Any, g: Any) -> Any:
    """``g`` where ``condition`` holds and exactly 0 elsewhere, in a VJP rule.

    A mask is applied by selecting, never by multiplying: an infinite upstream times a
    0 mask would be nan (relu(x).sqrt() at x < 0 has upstream inf and local derivative
    0, and its gradient is 0). When the rule is being recorded (create_graph) this is a
    ``where`` node, so the result stays differentiable and keeps ``g``'s dtype.
    """
    if type(g) is Op.graph_type:
        return WHERE(g, 0.0, cond=np.asarray(condition, dtype=bool))
    if type(g) is float and np.ndim(condition) == 0:
        return g if condition else 0.0
    return np.where(condition, g, 0.0)  # NumPy keeps g's dtype (0.0 is a Python float)


def _check_broadcast(name: str):
    def check(*inputs, **_):
        try:
            np.broadcast_shapes(*(shape_of(x) for x in inputs))
        except ValueError:
            shapes = " and ".join(str(shape_of(x)) for x in inputs)
            raise ShapeError(f"{name}: cannot broadcast shapes {shapes}") from None

    return check


def _stable_sigmoid(x):
    if type(x) is float:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    # 1/(1 + e^−x) is accurate to a few ulp everywhere; its one flaw is that e^−x
    # overflows (to inf, giving the right limit 0, but with a warning) below about −709
    # (−88 in float32). Only then take the branch-free form, which costs 7 NumPy calls
    # instead of 4 (W1 profile: sigmoid was the largest single cost of a traced step).
    if type(x) is np.ndarray and x.ndim and \
            _min_of(x, axis=None, initial=np.inf) > _EXP_NEG_FINITE_ABOVE.get(x.dtype, -87.0):
        e = np.exp(-x)
        e += 1.0
        return np.reciprocal(e, out=e)
    e = np.exp(-np.abs(x))
    # 1/(1+e) for x ≥ 0 and e/(1+e) below, with one division for both branches.
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


_min_of = np.minimum.reduce
#: For x above these, e^−x is finite (it overflows near −709.8 in float64, −88.7 in float32).
_EXP_NEG_FINITE_ABOVE = {np.dtype(np.float64): -700.0, np.dtype(np.float32): -87.0}


def _softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows.
    if type(x) is float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid(x):
    # log σ(x) = −softplus(−x)
    return -_softplus(-x)


def _pow(x, y):
    if type(x) is float and type(y) is float:
        try:
            r = x**y
        except (OverflowError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return float(np.power(np.float64(x), y))
        return math.nan if isinstance(r, complex) else r
    if type(y) is float and isinstance(x, np.ndarray):
        # The common square and its derivative's x ** 1.0 need no error-state context
        # (which the W1 profile showed costing more than the power itself).
        if y == 2.0:
            return x * x
        if y == 1.0:
            return x.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.power(x, y)


def _div(x, y):
    if type(x) is float and type(y) is float:
        try:
            return x / y
        except ZeroDivisionError:
            with np.errstate(all="ignore"):
                return float(np.float64(x) / y)
    return x / y


# The float paths propagate NaN exactly as NumPy's maximum and minimum do: a comparison
# with NaN is false both ways, so a diverged scalar model shows nan, not a finite loss.
def _maximum(x, y):
    if type(x) is float and type(y) is float:
        if x > y:
            return x
        return y if y >= x else x + y  # x + y: NaN when either is
    return np.maximum(x, y)


def _minimum(x, y):
    if type(x) is float and type(y) is float:
        if x < y:
            return x
        return y if y <= x else x + y
    return np.minimum(x, y)


def _relu(x):
    if type(x) is float:
        return x if x > 0.0 or x != x else 0.0  # x != x: NaN stays NaN
    return np.maximum(x, 0)


# Reductions call the ufunc's ``reduce`` directly: it is what np.sum and np.max run, minus
# ~1.3 µs of Python dispatch per call, which the W1 profile showed on every step.
def _sum(x, axis=None, keepdims=False):
    if type(x) is float:
        _normalize_axis(axis, 0)  # a 0-d value has no axis 0: an int axis raises, as in NumPy
        return x
    return _as_result(np.add.reduce(x, axis=axis, keepdims=keepdims))


def _max(x, axis=None, keepdims=False):
    if type(x) is float:
        _normalize_axis(axis, 0)
        return x
    return _as_result(np.maximum.reduce(x, axis=axis, keepdims=keepdims))


def _shifted(x, axis, *, mask_infinite: bool):
    """The shift ``m`` (the maximum along ``axis``, kept), ``x − m`` and ``log Σ e^(x − m)``:
    the softmax family's shifted form. Subtracting the maximum first keeps every exponent
    ≤ 0 (no overflow) and keeps the result exact for huge logits: ``x − logsumexp(x)``
    would round logsumexp at the logits' magnitude (float32 logits near 1e4 lose three
    digits). ``mask_infinite`` shifts an infinite maximum by 0 instead (logsumexp's
    choice, which keeps its inf and −inf; log_softmax keeps inf − inf = nan, as PyTorch).
    """
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if mask_infinite:
        finite = np.isfinite(m)
        if not finite.all():
            m = np.where(finite, m, 0.0)
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        shifted = x - m
        log_total = np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
    return m, shifted, log_total


def _logsumexp(x, axis=None, keepdims=False):
    if type(x) is float:
        _normalize_axis(axis, 0)
        return x
    m, _, log_total = _shifted(x, axis, mask_infinite=True)
    out = log_total + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return _as_result(out)


def _softmax_of_logsumexp(x, axis):
    """e^(x − logsumexp(x)), the gradient of logsumexp, in the shifted form (PyTorch's
    values at infinities: a row [inf, 0.5] gives [nan, 0])."""
    _, shifted, log_total = _shifted(x, axis, mask_infinite=True)
    with np.errstate(invalid="ignore"):
        return np.exp(shifted - log_total)


def _log_softmax(x, axis=-1):
    if type(x) is float:
        _normalize_axis(axis, 0)
        return 0.0
    _, shifted, log_total = _shifted(x, axis, mask_infinite=False)
    with np.errstate(invalid="ignore"):
        return shifted - log_total


def _check_reduce(name: str):
    def check(x, axis=None, keepdims=False):
        if axis is not None:
            try:
                _normalize_axis(axis, len(shape_of(x)))
            except ShapeError as e:
                raise ShapeError(f"{name}: {e} (input shape {shape_of(x)})") from None

    return check


def _check_matmul(x, y):
    xs, ys = shape_of(x), shape_of(y)
    if not xs or not ys:
        raise ShapeError(f"matmul: cannot multiply shapes {xs} and {ys} (0-d operand; use *)")
    k_x = xs[-1]
    k_y = ys[0] if len(ys) == 1 else ys[-2]
    if k_x != k_y:
        raise ShapeError(f"matmul: cannot multiply shapes {xs} and {ys}")
    if len(xs) > 2 or len(ys) > 2:
        try:
            np.broadcast_shapes(xs[:-2], ys[:-2])
        except ValueError:
            raise ShapeError(f"matmul: batch dimensions of {xs} and {ys} differ") from None


def _matmul(x, y):
    r = np.matmul(x, y)
    # _as_result inlined: matmul is on every layer's hot path
    return r if type(r) is np.ndarray and r.ndim else float(r)


def _swap_last(a):
    """Swap the last two axes (the matrix transpose of a batch)."""
    if isinstance(a, np.ndarray):
        return a.swapaxes(-1, -2)  # raw data in a plain backward: skip the op dispatch
    n = len(shape_of(a))
    axes = list(range(n))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return TRANSPOSE(a, axes=tuple(axes))


def _raw_matrices(g: Any, x: Any, y: Any) -> bool:
    """All ndarrays, x and y of two or more dimensions (a plain backward's matrix product).

    Spelt out rather than ``all(...)`` over a generator: it runs in every backward pass
    that misses the plain 2-D fast paths, and the generator cost more than the check.
    """
    return (type(g) is np.ndarray and type(x) is np.ndarray and type(y) is np.ndarray
            and x.ndim >= 2 and y.ndim >= 2)


def _matmul_vjp_x(g, out, x, y):
    if type(y) is np.ndarray and y.ndim == 2 and type(g) is np.ndarray and type(x) is np.ndarray:
        return np.matmul(g, y.T)  # plain matrices, the common case: no helper calls
    if _raw_matrices(g, x, y):
        return np.matmul(g, y.swapaxes(-1, -2))  # raw matrices: skip the op dispatch
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1 and len(ys) == 1:  # dot product: out is a scalar
        return g * y
    if len(ys) == 1:  # (..., m, k) @ (k,) -> (..., m)
        return RESHAPE(g, shape=shape_of(g) + (1,)) * y
    if len(xs) == 1:  # (k,) @ (..., k, n) -> (..., n)
        g2 = RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1]))
        return RESHAPE(MATMUL(g2, _swap_last(y)), shape=shape_of(g)[:-1] + (xs[0],))
    return MATMUL(g, _swap_last(y))


def _matmul_vjp_y(g, out, x, y):
    if type(x) is np.ndarray and x.ndim == 2 and type(g) is np.ndarray and type(y) is np.ndarray \
            and y.ndim == 2:
        return np.matmul(x.T, g)  # plain matrices, the common case: no helper calls
    if _raw_matrices(g, x, y):
        return np.matmul(x.swapaxes(-1, -2), g)  # raw matrices: skip the op dispatch
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1 and len(ys) == 1:
        return g * x
    if len(xs) == 1:  # (k,) @ (..., k, n): d/dy = outer(x, g)
        g_row = RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1]))
        return RESHAPE(x, shape=(xs[0], 1)) * g_row
    if len(ys) == 1:  # (..., m, k) @ (k,): d/dy = xᵀ g
        return MATMUL(RESHAPE(g, shape=shape_of(g)[:-1] + (1, shape_of(g)[-1])), x)
    return MATMUL(_swap_last(x), g)


def _reshape(x, shape):
    return _as_result(np.asarray(x).reshape(shape))  # the method: np.reshape adds dispatch


def _check_reshape(x, shape):
    n = math.prod(shape_of(x))
    try:
        if -1 in tuple(shape):
            rest = math.prod(s for s in shape if s != -1)
            ok = rest > 0 and n % rest == 0
        else:
            ok = math.prod(shape) == n
    except TypeError:
        ok = False
    if not ok:
        raise ShapeError(f"reshape: cannot reshape shape {shape_of(x)} into {tuple(shape)}")


def _transpose(x, axes=None):
    if type(x) is float:
        return x
    return np.transpose(x, axes)


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    # argsort inverts a permutation only of non-negative axes: (-1, 0) is (1, 0).
    return tuple(int(i) for i in np.argsort([a % max(ndim, 1) for a in axes]))


def _check_transpose(x, axes=None):
    n = len(shape_of(x))
    if axes is not None and sorted(int(a) % max(n, 1) for a in axes) != list(range(n)):
        raise ShapeError(f"transpose: axes {tuple(axes)} do not match shape {shape_of(x)}")


def _broadcast_to(x, shape):
    if type(x) is float and tuple(shape) == ():
        return x  # a scalar "broadcast" to (): keep the float (NumPy would give 0-d)
    return np.broadcast_to(x, shape)


def _check_broadcast_to(x, shape):
    try:
        ok = np.broadcast_shapes(shape_of(x), tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {shape_of(x)} to {tuple(shape)}")


def _getitem(x, index):
    if type(x) is float:
        raise ShapeError("getitem: cannot index a 0-d value")
    return _as_result(x[index])


def _check_getitem(x, index):
    if type(x) is float:
        raise ShapeError(f"getitem: cannot index shape () with {index!r}")
    try:
        np.empty(shape_of(x), dtype=np.bool_)[index]
    except IndexError as e:
        raise IndexShapeError(f"getitem: index {index!r} invalid for shape {shape_of(x)}: {e}") \
            from None


def _index_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of indexing."""
    dtype = g.dtype if isinstance(g, np.ndarray) else np.float64
    z = np.zeros(shape, dtype=dtype)
    np.add.at(z, index, g)
    return _as_result(z)


def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _check_concatenate(*xs, axis=0):
    shapes = [shape_of(x) for x in xs]
    if not xs or any(len(s) == 0 for s in shapes):
        raise ShapeError(f"concatenate: needs one or more arrays of ndim >= 1, got shapes {shapes}")
    nd = len(shapes[0])
    if any(len(s) != nd for s in shapes) or not -nd <= axis < nd:
        raise ShapeError(f"concatenate: shapes {shapes} do not fit along axis {axis}")
    a = axis % nd
    if any(s[:a] + s[a + 1 :] != shapes[0][:a] + shapes[0][a + 1 :] for s in shapes):
        raise ShapeError(f"concatenate: shapes {shapes} differ outside axis {axis}")


def _concatenate_vjp(i, g, out, *xs, axis=0):
    a = axis % len(shape_of(out))
    start = sum(shape_of(x)[a] for x in xs[:i])
    index = (slice(None),) * a + (slice(start, start + shape_of(xs[i])[a]),)
    return GETITEM(g, index=index)


def _where(x, y, cond):
    return _as_result(np.where(cond, x, y))


def _check_where(x, y, cond):
    try:
        np.broadcast_shapes(np.shape(cond), shape_of(x), shape_of(y))
    except ValueError:
        raise ShapeError(
            f"where: cannot broadcast condition {np.shape(cond)} "
            f"with {shape_of(x)} and {shape_of(y)}"
        ) from None


def _max_vjp(g, out, x, axis=None, keepdims=False):
    # Ties share the gradient equally (the subgradient PyTorch's amax uses too).
    xs = shape_of(x)
    if xs == ():
        return g
    hit = _data(x) == _data(_expand_reduced(_data(out), x, axis, keepdims))
    # Counts in x's dtype, so a float32 graph stays float32; at least 1 where the
    # maximum is NaN (no element equals it, and nothing is selected anyway).
    counts = np.maximum(np.sum(hit, axis=axis, keepdims=True, dtype=_data(x).dtype), 1)
    return _select(hit, _expand_reduced(g, x, axis, keepdims) / counts)


def _max_gap(x, axis=None, keepdims=False):
    """Smallest difference between the largest and second-largest reduced element."""
    x = np.asarray(x, dtype=float)
    axes = _normalize_axis(axis, x.ndim)
    kept = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    grouped = np.moveaxis(x, axes, tuple(range(-len(axes), 0))).reshape(kept + (-1,))
    if grouped.shape[-1] < 2:
        return math.inf
    ordered = np.sort(grouped, axis=-1)
    return float(np.min(ordered[..., -1] - ordered[..., -2]))


def _abs_gap(x, **_):
    return float(np.min(np.abs(x))) if np.size(x) else math.inf


def _tie_gap(x, y, **_):
    d = np.abs(np.subtract(x, y))
    return float(np.min(d)) if np.size(d) else math.inf


def _logsumexp_vjp(g, out, x, axis=None, keepdims=False):
    if shape_of(x) == ():
        return g * EXP(x - out)  # 1, or nan at ±inf as for a row of one (e^(inf − inf))
    # The softmax, in the shifted form: e^(x − out) loses every digit once x is large
    # (float32 logits near 1e30: x − out is 0 or a whole ulp). Recorded (create_graph),
    # it is exp(log_softmax(x)), the same numbers as ops that can be differentiated again.
    if type(x) is Op.graph_type:
        softmax = EXP(LOG_SOFTMAX(x, axis=axis))
    else:
        softmax = _softmax_of_logsumexp(x, axis)
    return _expand_reduced(g, x, axis, keepdims) * softmax


def _abs_vjp(g, out, x):
    x = _data(x)
    if type(x) is float:
        return g if x > 0.0 else -g if x < 0.0 else 0.0  # |x|'(0) = 0
    return _select(x > 0, g) - _select(x < 0, g)  # selected: at x = 0, 0 even if g is inf


# ------------------------------------------------------------------------ the table

_UNARY = Domain()
_POS = Domain(ranges=((0.1, 5.0),), singular="x ≤ 0")
_BINARY = Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)))

ADD = Op("add", lambda x, y: x + y, (lambda g, out, x, y: g, lambda g, out, x, y: g),
         ("1", "1"), "binary", "x + y", _BINARY, _check_broadcast("add"), symbol="+",
         ufunc=np.add)
SUB = Op("sub", lambda x, y: x - y, (lambda g, out, x, y: g, lambda g, out, x, y: -g),
         ("1", "−1"), "binary", "x − y", _BINARY, _check_broadcast("sub"), symbol="−",
         ufunc=np.subtract)
MUL = Op("mul", lambda x, y: x * y,
         (lambda g, out, x, y: g * y, lambda g, out, x, y: g * x),
         ("y", "x"), "binary", "x · y", _BINARY, _check_broadcast("mul"), symbol="×",
         ufunc=np.multiply)
DIV = Op("div", _div,
         (lambda g, out, x, y: g / y, lambda g, out, x, y: -g * out / y),
         ("1/y", "−x/y²"), "binary", "x / y",
         Domain(ranges=((-3.0, 3.0), (0.5, 3.0)), singular="y = 0"),
         _check_broadcast("div"), symbol="÷", ufunc=np.true_divide)


def _pow_vjp_x(g, out, x, y):
    if type(y) is float or type(y) is int:  # a constant exponent (as written: x ** 2)
        if y == 2:  # the square: x ** 1.0 is x (saves an op per pass)
            return g * y * x
        if y == 0:  # x**0 = 1 is flat everywhere, at x = 0 too (0·0**−1 would be nan)
            return _select(False, g)
        return g * y * POW(x, y - 1.0)
    nonzero = _data(y) != 0
    if type(y) is Op.graph_type:
        # Recorded for a second derivative: keep the rule where it is finite (x ≠ 0), so
        # that its derivative in y, x^(y−1)·(1 + y·ln x), survives at y = 0.
        nonzero = np.logical_or(nonzero, _data(x) != 0)
    return _select(nonzero, g * y * POW(x, y - 1.0))


def _pow_vjp_y(g, out, x, y):
    zero_base = _data(x) == 0
    if not np.any(zero_base):
        return g * out * LOG(x)
    # At a zero base, PyTorch's limits: 0**y is flat for y ≥ 0 (gradient 0, where the
    # formula gives 0·(−inf) = nan); for y < 0, out = inf and ln 0 = −inf give −inf.
    flat = np.logical_and(zero_base, np.greater_equal(_data(y), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _select(np.logical_not(flat), g * out * LOG(x))


POW = Op("pow", _pow,
         (_pow_vjp_x, _pow_vjp_y),
         ("y·x^(y−1)", "x^y·ln x"), "binary", "x ** y (x > 0 unless y is an integer constant)",
         Domain(ranges=((0.5, 2.0), (-2.0, 2.0)), singular="x ≤ 0 for non-integer y"),
         _check_broadcast("pow"), symbol="^", ufunc=np.power)
MAXIMUM = Op("maximum", _maximum,
             (lambda g, out, x, y: _select(_data(x) > _data(y), g),
              lambda g, out, x, y: _select(_data(x) <= _data(y), g)),
             ("[x > y]", "[x ≤ y]"), "binary", "elementwise max(x, y)",
             Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                    kinks="x = y (ties go to y, the bound: maximum(x, 0) is relu)",
                    kink_gap=_tie_gap),
             _check_broadcast("maximum"), smooth=False,
         ufunc=np.maximum)
MINIMUM = Op("minimum", _minimum,
             (lambda g, out, x, y: _select(_data(x) < _data(y), g),
              lambda g, out, x, y: _select(_data(x) >= _data(y), g)),
             ("[x < y]", "[x ≥ y]"), "binary", "elementwise min(x, y)",
             Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                    kinks="x = y (ties go to y, the bound, as for maximum)",
                    kink_gap=_tie_gap),
             _check_broadcast("minimum"), smooth=False,
         ufunc=np.minimum)

NEG = Op("neg", lambda x: -x, (lambda g, out, x: -g,), ("−1",), "unary", "−x", _UNARY, symbol="−",
         ufunc=np.negative)
EXP = Op("exp", _float_or_array(math.exp, np.exp), (lambda g, out, x: g * out,),
         ("exp(x)",), "unary", "e^x", _UNARY, ufunc=np.exp)
LOG = Op("log", _float_or_array(math.log, np.log), (lambda g, out, x: g / x,),
         ("1/x",), "unary", "natural logarithm", _POS, ufunc=np.log)
SQRT = Op("sqrt", _float_or_array(math.sqrt, np.sqrt), (lambda g, out, x: g / (2.0 * out),),
          ("1/(2√x)",), "unary", "square root", _POS, ufunc=np.sqrt)
TANH = Op("tanh", _float_or_array(math.tanh, np.tanh), (lambda g, out, x: g * (1.0 - out * out),),
          ("1 − tanh²(x)",), "unary", "hyperbolic tangent", _UNARY, ufunc=np.tanh)
SIGMOID = Op("sigmoid", _stable_sigmoid, (lambda g, out, x: g * out * (1.0 - out),),
             ("σ(x)·(1−σ(x))",), "unary", "logistic σ(x) = 1/(1+e^−x), stable for large |x|",
             _UNARY, symbol="σ")
RELU = Op("relu", _relu, (lambda g, out, x: _select(_data(x) > 0, g),),
          ("[x > 0]",), "unary", "max(x, 0)",
          Domain(kinks="x = 0 (subgradient 0)", kink_gap=_abs_gap), smooth=False)
ABS = Op("abs", _float_or_array(abs, np.abs), (_abs_vjp,),
         ("sign(x)",), "unary", "|x|",
         Domain(kinks="x = 0 (subgradient 0)", kink_gap=_abs_gap), smooth=False, ufunc=np.absolute)
SIN = Op("sin", _float_or_array(math.sin, np.sin), (lambda g, out, x: g * COS(x),),
         ("cos(x)",), "unary", "sine", _UNARY, ufunc=np.sin)
COS = Op("cos", _float_or_array(math.cos, np.cos), (lambda g, out, x: -g * SIN(x),),
         ("−sin(x)",), "unary", "cosine", _UNARY, ufunc=np.cos)
SOFTPLUS = Op("softplus", _softplus, (lambda g, out, x: g * SIGMOID(x),),
              ("σ(x)",), "unary", "log(1 + e^x), stable for large |x|", _UNARY)
LOG_SIGMOID = Op("log_sigmoid", _log_sigmoid, (lambda g, out, x: g * SIGMOID(-x),),
                 ("σ(−x)",), "unary", "log σ(x), stable for large |x|", _UNARY)

SUM = Op("sum", _sum,
         (lambda g, out, x, axis=None, keepdims=False:
          _expand_reduced(g, x, axis, keepdims),),
         ("1",), "reduce", "sum over axis (all axes by default)", _UNARY, _check_reduce("sum"),
         symbol="Σ")
MAX = Op("max", _max, (_max_vjp,), ("[x = max]",), "reduce", "maximum over axis",
         Domain(kinks="ties for the maximum (gradient shared equally)", kink_gap=_max_gap),
         _check_reduce("max"), smooth=False)
LOGSUMEXP = Op("logsumexp", _logsumexp,
               (_logsumexp_vjp,),
               ("softmax(x)",), "reduce", "log Σ e^x over axis, stable for large |x|",
               _UNARY, _check_reduce("logsumexp"))
LOG_SOFTMAX = Op("log_softmax", _log_softmax,
                 (lambda g, out, x, axis=-1:
                  g - EXP(out) * SUM(g, axis=axis, keepdims=True),),
                 ("δᵢⱼ − softmax(x)ⱼ",), "axis", "x − logsumexp(x) along axis, stable",
                 _UNARY, _check_reduce("log_softmax"))

MATMUL = Op("matmul", _matmul, (_matmul_vjp_x, _matmul_vjp_y),
            ("Yᵀ (on the right)", "Xᵀ (on the left)"),
            "matmul", "matrix product x @ y (1-d, 2-d and batched)",
            Domain(ranges=((-2.0, 2.0), (-2.0, 2.0))), _check_matmul, symbol="@", ufunc=np.matmul)

RESHAPE = Op("reshape", _reshape,
             (lambda g, out, x, shape: RESHAPE(g, shape=shape_of(x)),),
             ("1 (reshaped)",), "reshape", "same data, new shape", _UNARY, _check_reshape)
TRANSPOSE = Op("transpose", _transpose,
               (lambda g, out, x, axes=None:
                TRANSPOSE(g, axes=_inverse_axes(axes, len(shape_of(x)))),),
               ("1 (axes permuted back)",), "transpose", "permute axes (reverse by default)",
               _UNARY, _check_transpose)
BROADCAST_TO = Op("broadcast_to", _broadcast_to,
                  (lambda g, out, x, shape: unbroadcast(g, shape_of(x)),),
                  ("1 (summed over broadcast axes)",), "broadcast_to",
                  "repeat along new or size-1 axes", _UNARY, _check_broadcast_to)
GETITEM = Op("getitem", _getitem,
             (lambda g, out, x, index: INDEX_ADD(g, shape=shape_of(x), index=index),),
             ("1 at the selected elements",), "getitem",
             "x[index] — basic and integer-array indexing", _UNARY, _check_getitem)
INDEX_ADD = Op("index_add", _index_add,
               (lambda g, out, x, shape, index: GETITEM(g, index=index),),
               ("1 at the selected elements",), "index_add",
               "zeros(shape) with x added at index (the adjoint of getitem)", _UNARY)
CONCATENATE = Op("concatenate", _concatenate, _ArgnumRules(_concatenate_vjp),
                 ("1 on its slice",), "concatenate", "join arrays along an axis",
                 _UNARY, _check_concatenate)
WHERE = Op("where", _where,
           (lambda g, out, x, y, cond: _select(cond, g),
            lambda g, out, x, y, cond: _select(~cond, g)),
           ("[cond]", "[not cond]"), "where", "elementwise choice: x where cond else y",
           _BINARY, _check_where)

#: Every primitive, by name. Tests, docs, the graph labels and the checker read this.
OPS: dict[str, Op] = {
    op.name: op
    for op in (
        ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
        NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, ABS, SIN, COS, SOFTPLUS, LOG_SIGMOID,
        SUM, MAX, LOGSUMEXP, LOG_SOFTMAX, MATMUL,
        RESHAPE, TRANSPOSE, BROADCAST_TO, GETITEM, INDEX_ADD, CONCATENATE, WHERE,
    )
}
