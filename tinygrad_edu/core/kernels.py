"""The forward computations of the op table on raw data, and the checks that explain bad
input: NumPy only, no Values, no table entries.

Scalars are Python floats here, arrays are float ndarrays. ``math`` on a float is
several times faster than NumPy on a 0-d array, so elementwise kernels take the float
path first; where ``math`` raises and NumPy returns inf or nan (``exp(1000)``,
``log(0)``), the float goes through NumPy so that scalars and arrays agree exactly.
The fast paths for the small arrays of the articles' networks are measured in
``docs/guides/speed.md``.

Imports: ``errors``, ``op`` (``shape_of``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .errors import IndexShapeError, ShapeError, SingularMatrixError
from .op import shape_of

# ----------------------------------------------------------------- plumbing


def float_or_array(math_fn: Callable[[float], float], np_fn: Callable[..., Any]):
    """A kernel that uses ``math`` on floats (fast) and NumPy on arrays.

    >>> exp = float_or_array(math.exp, np.exp)
    >>> exp(0.0), exp(1000.0)          # math.exp(1000.0) would raise OverflowError
    (1.0, inf)
    """

    def kernel(x):
        if type(x) is float:
            try:
                return math_fn(x)
            except (OverflowError, ValueError):
                with np.errstate(all="ignore"):
                    return float(np_fn(np.float64(x)))
        return np_fn(x)

    return kernel


def as_result(x: Any) -> Any:
    """0-d results become Python floats, everything else stays an ndarray.

    >>> as_result(np.float64(2.0)), as_result(np.ones(2))
    (2.0, array([1., 1.]))
    """
    if type(x) is float:
        return x
    if isinstance(x, np.ndarray):
        return float(x) if x.ndim == 0 else x
    return float(x)


def normalize_axis(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """``axis`` as sorted non-negative axes; an axis the shape lacks is a ShapeError (a 0-d
    value has no axis 0, as in NumPy).

    >>> normalize_axis(-1, 3), normalize_axis(None, 2)
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"axis {a} is out of bounds for an input with {ndim} dimensions")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def inverse_axes(axes: Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """The permutation that undoes ``axes`` (transpose's VJP).

    >>> inverse_axes((1, 2, 0), 3)
    (2, 0, 1)
    """
    if axes is None:
        return None
    # argsort inverts a permutation only of non-negative axes: (-1, 0) is (1, 0).
    return tuple(int(i) for i in np.argsort([a % max(ndim, 1) for a in axes]))


# ----------------------------------------------------------------- elementwise

exp = float_or_array(math.exp, np.exp)
log = float_or_array(math.log, np.log)
sqrt = float_or_array(math.sqrt, np.sqrt)
tanh = float_or_array(math.tanh, np.tanh)
sin = float_or_array(math.sin, np.sin)
cos = float_or_array(math.cos, np.cos)
absolute = float_or_array(abs, np.abs)

_min_of = np.minimum.reduce
#: For x above these, e^−x is finite (it overflows near −709.8 in float64, −88.7 in float32).
_EXP_NEG_FINITE_ABOVE = {np.dtype(np.float64): -700.0, np.dtype(np.float32): -87.0}


def sigmoid(x):
    """σ(x) = 1/(1 + e^−x), finite and accurate for any x (float or array)."""
    if type(x) is float:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    # 1/(1 + e^−x) is accurate to a few ulp everywhere; its one flaw is that e^−x
    # overflows (to inf, giving the right limit 0, but with a warning) below about −709
    # (−88 in float32). Only then take the branch-free form, which costs 7 NumPy calls
    # instead of 4.
    if type(x) is np.ndarray and x.ndim and \
            _min_of(x, axis=None, initial=np.inf) > _EXP_NEG_FINITE_ABOVE.get(x.dtype, -87.0):
        e = np.exp(-x)
        e += 1.0
        return np.reciprocal(e, out=e)
    e = np.exp(-np.abs(x))
    # 1/(1+e) for x ≥ 0 and e/(1+e) below, with one division for both branches.
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softplus(x):
    """log(1 + e^x) as max(x, 0) + log1p(e^−|x|): never overflows."""
    if type(x) is float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x):
    """log σ(x) = −softplus(−x)."""
    return -softplus(-x)


def power(x, y):
    """x ** y; a negative base with a fractional exponent is nan (not complex)."""
    if type(x) is float and type(y) is float:
        try:
            r = x**y
        except (OverflowError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return float(np.power(np.float64(x), y))
        return math.nan if isinstance(r, complex) else r
    if type(y) is float and isinstance(x, np.ndarray):
        # The common square and its derivative's x ** 1.0 need no error-state context
        # (which costs more than the power itself on small arrays).
        if y == 2.0:
            return x * x
        if y == 1.0:
            return x.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.power(x, y)


def divide(x, y):
    """x / y; dividing a float by 0.0 gives inf or nan, as NumPy does (Python raises)."""
    if type(x) is float and type(y) is float:
        try:
            return x / y
        except ZeroDivisionError:
            with np.errstate(all="ignore"):
                return float(np.float64(x) / y)
    return x / y


# The float paths propagate NaN exactly as NumPy's maximum and minimum do: a comparison
# with NaN is false both ways, so a diverged scalar model shows nan, not a finite loss.
def maximum(x, y):
    """Elementwise max(x, y); NaN if either is NaN."""
    if type(x) is float and type(y) is float:
        if x > y:
            return x
        return y if y >= x else x + y  # x + y: NaN when either is
    return np.maximum(x, y)


def minimum(x, y):
    """Elementwise min(x, y); NaN if either is NaN."""
    if type(x) is float and type(y) is float:
        if x < y:
            return x
        return y if y <= x else x + y
    return np.minimum(x, y)


def relu(x):
    """max(x, 0); NaN stays NaN."""
    if type(x) is float:
        return x if x > 0.0 or x != x else 0.0  # x != x: NaN
    return np.maximum(x, 0)


# ----------------------------------------------------------------- reductions
# They call the ufunc's ``reduce`` directly: it is what np.sum and np.max run, minus
# NumPy's Python-level dispatch (docs/guides/speed.md, "The engine's fast paths").


def total(x, axis=None, keepdims=False):
    """Σ x over ``axis`` (all axes by default)."""
    if type(x) is float:
        normalize_axis(axis, 0)  # a 0-d value has no axis 0: an int axis raises
        return x
    return as_result(np.add.reduce(x, axis=axis, keepdims=keepdims))


def largest(x, axis=None, keepdims=False):
    """max x over ``axis`` (all axes by default)."""
    if type(x) is float:
        normalize_axis(axis, 0)
        return x
    return as_result(np.maximum.reduce(x, axis=axis, keepdims=keepdims))


def shifted(x, axis, *, mask_infinite: bool):
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
        moved = x - m
        log_total = np.log(np.add.reduce(np.exp(moved), axis=axis, keepdims=True))
    return m, moved, log_total


def logsumexp(x, axis=None, keepdims=False):
    """log Σ e^x over ``axis``, in the shifted form."""
    if type(x) is float:
        normalize_axis(axis, 0)
        return x
    m, _, log_total = shifted(x, axis, mask_infinite=True)
    out = log_total + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return as_result(out)


def softmax_of_logsumexp(x, axis):
    """e^(x − logsumexp(x)), the gradient of logsumexp, in the shifted form (PyTorch's
    values at infinities: a row [inf, 0.5] gives [nan, 0])."""
    _, moved, log_total = shifted(x, axis, mask_infinite=True)
    with np.errstate(invalid="ignore"):
        return np.exp(moved - log_total)


def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis``, in the shifted form."""
    if type(x) is float:
        normalize_axis(axis, 0)
        return 0.0
    _, moved, log_total = shifted(x, axis, mask_infinite=False)
    with np.errstate(invalid="ignore"):
        return moved - log_total


# ----------------------------------------------------------------- structure


def matmul(x, y):
    """x @ y (1-d, 2-d and batched)."""
    r = np.matmul(x, y)
    return r if type(r) is np.ndarray and r.ndim else float(r)  # as_result, inlined


def reshape(x, shape):
    """The same data in a new shape."""
    return as_result(np.asarray(x).reshape(shape))  # the method: np.reshape adds dispatch


def transpose(x, axes=None):
    """Axes permuted (reversed by default)."""
    if type(x) is float:
        return x
    return np.transpose(x, axes)


def broadcast_to(x, shape):
    """x repeated along new or size-1 axes."""
    if type(x) is float and tuple(shape) == ():
        return x  # a scalar "broadcast" to (): keep the float (NumPy would give 0-d)
    return np.broadcast_to(x, shape)


def getitem(x, index):
    """x[index]: basic and integer-array indexing."""
    if type(x) is float:
        raise ShapeError("getitem: cannot index a 0-d value")
    return as_result(x[index])


def index_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of indexing. Repeated
    integer indices add up (``np.add.at``)."""
    dtype = g.dtype if isinstance(g, np.ndarray) else np.float64
    z = np.zeros(shape, dtype=dtype)
    if is_basic_index(index):
        z[index] += g  # a view holds no element twice: the same sum, without add.at's loop
    else:
        np.add.at(z, index, g)
    return as_result(z)


def is_basic_index(index: Any) -> bool:
    """Whether ``index`` is made of slices, integers, None and ``...`` only (NumPy's basic
    indexing: a view, each element at most once).

    >>> is_basic_index((slice(None), 0)), is_basic_index(np.array([0, 0]))
    (True, False)
    """
    items = index if type(index) is tuple else (index,)
    return all(i is None or i is Ellipsis or type(i) is slice
               or (isinstance(i, (int, np.integer)) and not isinstance(i, bool))
               for i in items)


def concatenate(*xs, axis=0):
    """The arrays joined along ``axis``."""
    return np.concatenate(xs, axis=axis)


def where(x, y, cond):
    """x where ``cond`` holds, else y."""
    return as_result(np.where(cond, x, y))


# ------------------------------------------- elementwise, continued
# Inverse trigonometric and hyperbolic functions, rounding, the newer activations.

log1p = float_or_array(math.log1p, np.log1p)
expm1 = float_or_array(math.expm1, np.expm1)
log2 = float_or_array(math.log2, np.log2)
log10 = float_or_array(math.log10, np.log10)
exp2 = float_or_array(math.exp2, np.exp2)
tan = float_or_array(math.tan, np.tan)
sinh = float_or_array(math.sinh, np.sinh)
cosh = float_or_array(math.cosh, np.cosh)
arcsin = float_or_array(math.asin, np.arcsin)
arccos = float_or_array(math.acos, np.arccos)
arctan = float_or_array(math.atan, np.arctan)
arcsinh = float_or_array(math.asinh, np.arcsinh)
arccosh = float_or_array(math.acosh, np.arccosh)
arctanh = float_or_array(math.atanh, np.arctanh)
# math.floor/ceil/round give ints and lose −0.0; copysign restores NumPy's signed zero
# (np.floor(−0.0) and np.rint(−0.4) are −0.0). inf and nan raise there: NumPy answers.
floor = float_or_array(lambda x: math.copysign(math.floor(x), x), np.floor)
ceil = float_or_array(lambda x: math.copysign(math.ceil(x), x), np.ceil)
rint = float_or_array(lambda x: math.copysign(round(x), x), np.rint)  # half to even, both


def square(x):
    """x², elementwise."""
    return x * x if type(x) is float else np.square(x)


def reciprocal(x):
    """1/x; at 0 it is ±inf with the sign of the zero, as in NumPy (Python raises)."""
    if type(x) is float and x != 0.0:
        return 1.0 / x
    with np.errstate(divide="ignore"):
        return as_result(np.reciprocal(np.asarray(x) if type(x) is float else x))


def sign(x):
    """−1, 0 or 1 (nan stays nan; NumPy's sign of −0.0 is 0.0)."""
    if type(x) is float:
        return 1.0 if x > 0.0 else -1.0 if x < 0.0 else x + 0.0  # + 0.0: −0.0 → 0.0
    return np.sign(x)


def _binary_float_or_array(np_fn: Callable[..., Any]):
    """A binary kernel: NumPy on float64 scalars for two floats (exact agreement with the
    array path at every edge), NumPy on arrays otherwise, without warnings at the edges."""

    def kernel(x, y):
        with np.errstate(all="ignore"):
            if type(x) is float and type(y) is float:
                return float(np_fn(np.float64(x), y))
            return np_fn(x, y)

    kernel.__name__ = np_fn.__name__
    return kernel


arctan2 = _binary_float_or_array(np.arctan2)
hypot = _binary_float_or_array(np.hypot)
logaddexp = _binary_float_or_array(np.logaddexp)
remainder = _binary_float_or_array(np.remainder)
floor_divide = _binary_float_or_array(np.floor_divide)


def elu(x, alpha=1.0):
    """x for x > 0, α·(e^x − 1) otherwise (nan stays nan)."""
    if type(x) is float:
        return x if x > 0.0 else alpha * math.expm1(x) if x == x else x
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_slope(x, alpha=1.0):
    """elu′(x): 1 for x > 0, α·e^x for x ≤ 0 (PyTorch's branch at 0: α)."""
    if type(x) is float:
        return 1.0 if x > 0.0 else alpha * math.exp(x) if x == x else x
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))



def _smallest(d: Any) -> float:
    """The smallest entry (nan if any entry is nan: a checker must not trust the point)."""
    d = np.asarray(d, dtype=np.float64)
    if not d.size:
        return math.inf
    return float(np.nan if np.isnan(d).any() else np.min(d))


def integer_gap(x, **_):
    """Distance to the nearest integer (floor's and ceil's jumps)."""
    with np.errstate(invalid="ignore"):
        return _smallest(np.abs(np.subtract(x, np.rint(x))))


def half_gap(x, **_):
    """Distance to the nearest half-integer (round's jumps)."""
    with np.errstate(invalid="ignore"):
        return _smallest(np.abs(np.subtract(x, np.floor(x) + 0.5)))


def origin_gap(x, y, **_):
    """Distance of (x, y) from (0, 0) (hypot's cone point, arctan2's branch point)."""
    return _smallest(np.hypot(x, y))


def arctan2_gap(x, y, **_):
    """Distance of (x, y) from arctan2's branch cut {x = 0, y ≤ 0}, where it jumps by 2π."""
    with np.errstate(invalid="ignore"):
        return _smallest(np.where(np.less_equal(y, 0), np.abs(x), np.hypot(x, y)))


def remainder_gap(x, y, **_):
    """Distance of x from the nearest multiple of y (where x mod y jumps)."""
    with np.errstate(all="ignore"):
        r = np.abs(np.remainder(x, y))
        return _smallest(np.minimum(r, np.abs(y) - r))



# -------------------------------------------- reductions, continued
# Products, moments, running sums, norms.


def product(x, axis=None, keepdims=False):
    """Π x over ``axis`` (all axes by default)."""
    if type(x) is float:
        normalize_axis(axis, 0)
        return x
    return as_result(np.multiply.reduce(x, axis=axis, keepdims=keepdims))


def reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements each slice of a reduction over ``axis`` holds.

    >>> reduced_count((2, 3, 4), (0, 2))
    8
    """
    return math.prod(shape[a] for a in normalize_axis(axis, len(shape)))


def check_ddof(name: str, shape: tuple[int, ...], axis: Any, ddof: Any) -> int:
    """The number of elements per slice, once ``ddof`` is known to leave at least one
    degree of freedom (NumPy would divide by n − ddof ≤ 0 and warn)."""
    n = reduced_count(shape, axis)
    if not isinstance(ddof, (int, np.integer)) or isinstance(ddof, bool) or ddof < 0:
        raise ShapeError(f"{name}: ddof must be a non-negative integer, got {ddof!r}")
    if ddof >= n:
        raise ShapeError(f"{name}: ddof={ddof} needs more than {ddof} elements per slice, but "
                         f"axis={axis!r} of input shape {shape} gives {n}")
    return n


def standard_deviation(x, axis=None, keepdims=False, ddof=0):
    """√(Σ (x − mean)² / (n − ddof)) over ``axis``: two passes as np.std, and ‖x − mean‖
    scaled as :func:`euclidean_norm` (float32 values near 1e20 do not overflow).

    >>> standard_deviation(np.array([1.0, 3.0]), ddof=1)
    1.4142135623730951
    """
    check_ddof("std", shape_of(x), axis, ddof)
    if type(x) is float:
        return 0.0 if math.isfinite(x) else math.nan
    n = reduced_count(x.shape, axis)
    centered = x - np.add.reduce(x, axis=axis, keepdims=True) / x.dtype.type(n)
    spread = euclidean_norm(centered, axis, keepdims)
    return as_result(spread / x.dtype.type(math.sqrt(n - ddof)))


def euclidean_norm(x, axis=None, keepdims=False):
    """√Σ x² over ``axis``: the vector 2-norm, or the Frobenius norm over two axes.

    Scaled by the largest |x| first (as LAPACK's nrm2 and PyTorch): x² would overflow
    for |x| > 1e154 (1e19 in float32) and underflow below 1e-154, where the norm itself
    is representable; np.linalg.norm squares first.

    >>> round(euclidean_norm(np.array([3e200, 4e200])) / 1e200, 12)   # np.linalg.norm: inf
    5.0
    """
    if type(x) is float:
        normalize_axis(axis, 0)
        return abs(x)
    size = np.maximum.reduce(np.abs(x), axis=axis, keepdims=True)
    scale = np.where((size > 0) & np.isfinite(size), size, 1.0).astype(x.dtype)
    scaled = x / scale
    out = np.sqrt(np.add.reduce(scaled * scaled, axis=axis, keepdims=True)) * scale
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return as_result(out)


def cumulative_sum(x, axis=None):
    """Running sums along ``axis``; ``None`` runs over the flattened input (as np.cumsum)."""
    return np.cumsum(x, axis=axis)


def cumulative_product(x, axis=None):
    """Running products along ``axis``; ``None`` runs over the flattened input."""
    return np.cumprod(x, axis=axis)


def check_moment(name: str) -> Callable[..., None]:
    """A check that the reduced axes exist and ``ddof`` leaves a degree of freedom."""
    axes_exist = check_reduce(name)

    def check(x, axis=None, keepdims=False, ddof=0):
        axes_exist(x, axis)
        check_ddof(name, shape_of(x), axis, ddof)

    return check


def check_scan(name: str) -> Callable[..., None]:
    """A check that a running sum or product has one axis the input has (or None)."""

    def check(x, axis=None):
        if axis is None:
            return
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ShapeError(f"{name}: axis must be an int or None, got {axis!r} "
                             f"(input shape {shape_of(x)})")
        try:
            normalize_axis(axis, max(len(shape_of(x)), 1))
        except ShapeError as e:
            raise ShapeError(f"{name}: {e} (input shape {shape_of(x)})") from None

    return check


def norm_gap(x, axis=None, keepdims=False):
    """Smallest norm among the slices: the distance to the zero vector, norm's kink."""
    return float(np.min(euclidean_norm(np.asarray(x, dtype=float), axis)))


def std_gap(x, axis=None, keepdims=False, ddof=0):
    """Smallest ‖x − mean‖ among the slices: the distance to a constant slice, std's kink."""
    x = np.asarray(x, dtype=float)
    centered = x - np.mean(x, axis=axis, keepdims=True)
    return float(np.min(euclidean_norm(centered, axis)))


# --------------------------------------------------- linear algebra
# Contractions (dot, tensordot, einsum), diagonals and triangles, np.linalg.


#: Letters einsum may use; ``...`` and renamed repeats take the unused ones, capitals first.
_EINSUM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def einsum_spec(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> tuple[tuple[str, ...],
                                                                            str]:
    """NumPy's einsum subscripts made explicit for operands of ``shapes``: one string of
    letters per operand and one for the output. ``...`` becomes letters of its own
    (right-aligned, as NumPy broadcasts it); an implicit output (``'ij,jk'``) is written
    out as NumPy chooses it: the ``...`` dimensions, then the letters used once, sorted.

    >>> einsum_spec("ij,jk", [(2, 3), (3, 4)])
    (('ij', 'jk'), 'ik')
    >>> einsum_spec("...i, i -> ...", [(5, 2, 3), (3,)])
    (('ABi', 'i'), 'AB')
    """
    where = f"einsum: subscripts {subscripts!r} for operand shapes {[tuple(s) for s in shapes]}"
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1 or set(spec) - set(_EINSUM_LETTERS + ".,->"):
        raise ShapeError(f"{where}: only letters, ',', '...' and one '->' are allowed")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"{where}: {len(terms)} operand subscripts for {len(shapes)} operands")
    for term in (*terms, out):
        if "." in term.replace("...", "", 1) or "-" in term or ">" in term:
            raise ShapeError(f"{where}: {term!r} is not a subscript ('...' at most once)")
    spare = (c for c in _EINSUM_LETTERS if c not in spec)
    extra = []
    for term, shape in zip(terms, shapes, strict=True):
        named = len(term) - (3 if "..." in term else 0)
        if len(shape) < named or (len(shape) != named and "..." not in term):
            raise ShapeError(f"{where}: {term!r} names {named} dimensions, the operand has "
                             f"{len(shape)}")
        extra.append(len(shape) - named)
    broadcast = "".join(next(spare) for _ in range(max(extra, default=0)))
    explicit = tuple(t.replace("...", broadcast[len(broadcast) - n:] if n else "")
                     for t, n in zip(terms, extra, strict=True))
    if not arrow:
        counts = {c: "".join(explicit).count(c) for c in "".join(terms) if c != "."}
        out = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif broadcast and "..." not in out:
        raise ShapeError(f"{where}: the operands have '...' dimensions, so the output needs "
                         f"'...' too")
    else:
        out = out.replace("...", broadcast)
    if len(set(out)) != len(out) or set(out) - set("".join(explicit)):
        raise ShapeError(f"{where}: each output letter must appear once, and in an operand")
    return explicit, out


def einsum(*xs, subscripts):
    """NumPy's einsum (``subscripts`` made explicit by :func:`einsum_spec`), unoptimized
    as ``np.einsum``'s default: every product term at once, so 0·inf gives nan the same
    way for any number of operands (docs/conventions.md, einsum_order)."""
    return as_result(np.einsum(subscripts, *xs))


def einsum_adjoint(subscripts: str, shapes: Sequence[tuple[int, ...]], position: int,
                   dtype: Any) -> tuple[str, list[np.ndarray]]:
    """The VJP of operand ``position`` of an einsum, as one more einsum: ``(spec,
    constants)`` such that ``einsum(g, *other operands, *constants, subscripts=spec)``
    is that operand's gradient (before broadcasting is undone). A letter the operand
    repeats (``'ii'``: its diagonal) is renamed and tied to the first by an identity
    matrix; a letter only this operand has (it alone sums over it) is restored by a
    vector of ones.

    >>> einsum_adjoint("ii->", [(3, 3)], 0, np.float64)[0]
    ',iA->iA'
    """
    terms, out = einsum_spec(subscripts, shapes)
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for letter, n in zip(term, shape, strict=True):
            sizes[letter] = max(n, sizes.get(letter, 1))
    spare = (c for c in _EINSUM_LETTERS if c not in sizes)
    renamed, ties, seen = "", [], set()
    for letter in terms[position]:
        if letter in seen:
            tied = next(spare)
            sizes[tied] = sizes[letter]
            ties.append(letter + tied)
            letter = tied
        seen.add(letter)
        renamed += letter
    others = [t for j, t in enumerate(terms) if j != position]
    covered = set(out).union(*others, *ties)
    alone = [c for c in renamed if c not in covered]
    constants = [np.eye(sizes[t[0]], dtype=dtype) for t in ties] + \
        [np.ones(sizes[c], dtype=dtype) for c in alone]
    return ",".join([out, *others, *ties, *alone]) + "->" + renamed, constants


def singular_error(name: str, a: Any) -> SingularMatrixError:
    """The error for ``inv`` or ``solve`` of a singular matrix: the op, the shape, and
    which matrix of a batch (the first whose LU factorisation has a zero pivot)."""
    shape = shape_of(a)
    which = ""
    if len(shape) > 2:
        with np.errstate(all="ignore"):
            zero = np.argwhere(np.linalg.det(a) == 0)
        if len(zero):
            which = f", matrix {tuple(int(i) for i in zero[0])} of the batch"
    return SingularMatrixError(
        f"{name}: the matrix (shape {shape}{which}) is singular, so it has no inverse "
        f"(its determinant is 0). If a nearby invertible matrix will do, add a small multiple "
        f"of the identity (a + 1e-6 * np.eye(n))")


def _nonfinite(a: np.ndarray) -> np.ndarray:
    """Which matrices of ``a`` hold an inf or nan (a boolean per matrix)."""
    return ~np.all(np.isfinite(a), axis=(-2, -1))


def _finite_matrices(name: str, fn: Callable[..., Any], a: Any, *rest: Any) -> Any:
    """``fn(a, *rest)`` (a NumPy linalg function), nan for each matrix of ``a`` holding an
    inf or nan: LAPACK's answer there depends on its pivots (inf, nan, or "singular"
    where none is), so it is not an answer (docs/conventions.md, linalg_nonfinite).
    A finite singular matrix raises :class:`SingularMatrixError` naming ``name``."""
    bad = _nonfinite(a)
    if np.any(bad):
        a = np.where(bad[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
    try:
        out = np.asarray(fn(a, *rest))
    except np.linalg.LinAlgError:
        if is_square(a):
            raise singular_error(name, a) from None
        raise
    if np.any(bad):
        out = np.where(bad.reshape(bad.shape + (1,) * (out.ndim - bad.ndim)), np.nan, out)
    return out


def inv(x):
    """The inverse of a square matrix, or of each matrix of a batch."""
    return _finite_matrices("inv", np.linalg.inv, x)


def solve(a, b):
    """z with a·z = b: ``b`` of shape (n,) is a vector, (..., n, k) matrices (NumPy 2)."""
    return as_result(_finite_matrices("solve", np.linalg.solve, a, b))


def det(x):
    """The determinant of a square matrix, or of each matrix of a batch."""
    return as_result(_finite_matrices("det", np.linalg.det, x))


def _stacked_slogdet(x):
    return np.stack(np.linalg.slogdet(x), axis=-1)


def slogdet(x):
    """NumPy's (sign, log|det x|), stacked along a new last axis: one array, one node."""
    return _finite_matrices("slogdet", _stacked_slogdet, x)


def is_square(x: Any) -> bool:
    """Whether ``x`` is a matrix or a batch of matrices with square last two axes."""
    shape = shape_of(x)
    return len(shape) >= 2 and shape[-1] == shape[-2]


def minors_index(n: int) -> tuple[tuple[Any, ...], np.ndarray]:
    """An index that takes every (n−1)×(n−1) minor of (..., n, n) matrices at once,
    giving (..., n, n, n−1, n−1) (minor (i, j) drops row i and column j), and the
    cofactor signs (−1)^(i+j).

    >>> index, signs = minors_index(3)
    >>> np.arange(9.0).reshape(3, 3)[index][0, 1]        # drop row 0 and column 1
    array([[3., 5.],
           [6., 8.]])
    """
    keep = np.array([[j for j in range(n) if j != i] for i in range(n)], dtype=np.intp)
    keep = keep.reshape(n, n - 1)
    rows = keep.reshape(n, 1, n - 1, 1)
    cols = keep.reshape(1, n, 1, n - 1)
    signs = 1.0 - 2.0 * (np.add.outer(np.arange(n), np.arange(n)) % 2)
    return (Ellipsis, rows, cols), signs


def check_einsum(*xs, subscripts):
    shapes = [shape_of(x) for x in xs]
    terms, out = einsum_spec(subscripts, shapes)  # explains malformed subscripts
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for letter, n in zip(term, shape, strict=True):
            if sizes.get(letter, n) not in (n, 1) and n != 1:
                raise ShapeError(f"einsum: letter {letter!r} of {subscripts!r} has sizes "
                                 f"{sizes[letter]} and {n} (operand shapes {shapes})")
            sizes[letter] = max(n, sizes.get(letter, 1))
    for term, shape in zip(terms, shapes, strict=True):
        for letter in set(term):
            if len({n for c, n in zip(term, shape, strict=True) if c == letter}) > 1:
                raise ShapeError(f"einsum: letter {letter!r} repeats in {term!r} over axes of "
                                 f"different sizes (operand shape {shape})")


def check_square(name: str, singular: bool = False) -> Callable[..., None]:
    """A check that the input is a (batch of) square matrix; for ops that invert
    (``singular``), that it is not singular (:class:`SingularMatrixError`)."""

    def check(x, **_):
        if not is_square(x):
            raise ShapeError(f"{name}: needs a square matrix or a batch of them (..., n, n), "
                             f"got shape {shape_of(x)}")
        if singular:
            _finite_matrices(name, np.linalg.inv, x)

    return check


def check_solve(a, b):
    check_square("solve")(a)
    a_shape, b_shape = shape_of(a), shape_of(b)
    n = a_shape[-1]
    if len(b_shape) == 1:
        ok = b_shape[0] == n
    else:
        ok = len(b_shape) >= 2 and b_shape[-2] == n
        try:
            np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError:
            ok = False
    if not ok:
        raise ShapeError(f"solve: a of shape {a_shape} and b of shape {b_shape} do not fit: b "
                         f"must be ({n},) or (..., {n}, k), batches broadcasting with a's")
    _finite_matrices("solve", np.linalg.inv, a)


# --------------------------------------------- structure, continued
# Repeating, flipping, padding, splitting and moving axes; gathering by index.


#: The float dtypes ``astype`` casts between (names: literals in traced code).
FLOAT_DTYPES = ("float32", "float64")


def astype(x, dtype):
    """x cast to float32 or float64. A 0-d value stays a Python float, rounded to float32
    when asked (its value is what NumPy's float32 scalar holds)."""
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"astype: no float dtype {dtype!r}")  # check_astype explains
    if type(x) is float:
        return float(np.dtype(dtype).type(x))
    return x.astype(dtype)


def check_astype(x, dtype):
    if str(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"astype: casts between {' and '.join(FLOAT_DTYPES)} only, got "
                        f"{dtype!r} (a cast to integers or booleans has no gradient: use "
                        f"v.data.astype(...) for a constant)")


# ---------------------------------------------------------- windows
# Sliding windows: what convolution and pooling are built from.
class WindowGeometry(NamedTuple):
    """Where the windows of :func:`windows` sit: each field a (rows, columns) pair."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out: tuple[int, int]  # how many windows fit along the rows and along the columns


def _pair(value: Any, what: str, least: int) -> tuple[int, int]:
    """An int or two ints as a pair of ints ≥ ``least``; a ShapeError names ``what``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= least for v in pair):
        raise ShapeError(f"windows: {what} must be an int or two ints ≥ {least}, got {value!r}")
    return int(pair[0]), int(pair[1])


def window_geometry(shape: tuple[int, ...], kernel: Any, stride: Any = 1, padding: Any = 0,
                    dilation: Any = 1, need_fit: bool = True) -> WindowGeometry:
    """Check the windows of an input of ``shape`` and say where they are; a ShapeError
    names the shape and the parameters when no window fits (``need_fit=False`` checks
    the parameters alone, for layers that learn the input's shape later).

    >>> window_geometry((1, 1, 5, 5), 3, stride=2, padding=1).out
    (3, 3)
    """
    kernel, stride = _pair(kernel, "kernel", 1), _pair(stride, "stride", 1)
    padding, dilation = _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    if len(shape) < 2:
        raise ShapeError(f"windows: needs an input of 2 or more dimensions (windows slide "
                         f"over the last two), got shape {shape}")
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                zip(shape[-2:], kernel, stride, padding, dilation, strict=True))
    if need_fit and min(out) < 1:
        raise ShapeError(f"windows: a {kernel} kernel with dilation {dilation} does not fit "
                         f"in shape {shape} padded by {padding}")
    return WindowGeometry(kernel, stride, padding, dilation, out)  # type: ignore[arg-type]


def filled_like(like: np.ndarray, shape: tuple[int, ...], fill: Any) -> np.ndarray:
    """A new array of ``shape`` (as many axes as ``like``) filled with ``fill``, in
    ``like``'s dtype and with its axes in ``like``'s memory order: an ``(N, C, H, W)``
    view of channels-last data gets a channels-last array, so that copying ``like``
    into it (the padding of :func:`windows`) reads and writes contiguous runs.

    >>> nhwc = np.zeros((2, 5, 5, 3)).transpose(0, 3, 1, 2)       # seen as (N, C, H, W)
    >>> a = filled_like(nhwc, (2, 3, 7, 7), 1.0)
    >>> a.shape, a.strides == np.zeros((2, 7, 7, 3)).transpose(0, 3, 1, 2).strides
    ((2, 3, 7, 7), True)
    """
    # the axes from the largest stride to the smallest (stable: C order among equals)
    order = sorted(range(like.ndim), key=lambda a: -abs(like.strides[a]))
    physical = np.full([shape[a] for a in order], fill, dtype=like.dtype)
    return physical.transpose(np.argsort(order))


def windows(x, kernel, stride=1, padding=0, dilation=1, fill=0.0):
    """The ``kernel``-sized windows over the last two axes of ``x``: ``(..., H, W)`` gives
    ``(..., OH, OW, KH, KW)``, window (i, j) starting at row i·stride, column j·stride of
    ``x`` padded with ``fill``, its elements ``dilation`` apart. A read-only view where
    there is no padding (no copy: ``sliding_window_view``).

    >>> windows(np.arange(4.0).reshape(2, 2), 1, stride=(1, 2)).ravel().tolist()
    [0.0, 2.0]
    """
    if type(x) is float:
        x = np.asarray(x)  # a 0-d value: the geometry's ShapeError says why it cannot
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), _ = window_geometry(x.shape, kernel, stride,
                                                                padding, dilation)
    if ph or pw:
        h, w = x.shape[-2:]
        padded = filled_like(x, x.shape[:-2] + (h + 2 * ph, w + 2 * pw), fill)
        padded[..., ph:ph + h, pw:pw + w] = x
        x = padded
    spans = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = np.lib.stride_tricks.sliding_window_view(x, spans, axis=(-2, -1))
    return view[..., ::sh, ::sw, ::dh, ::dw]


def windows_adjoint(g, shape, kernel, stride=1, padding=0, dilation=1):
    """Each window of ``g`` (shaped as :func:`windows` makes them) added back where it was
    taken from, into zeros of ``shape``: the VJP of ``windows``. One strided slice-add per
    kernel position (overlapping windows add up), not one ``np.add.at`` per element.

    >>> windows_adjoint(np.ones((1, 2, 1, 2)), (1, 3), (1, 2)).tolist()   # the middle: in both
    [[1.0, 2.0, 1.0]]
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = window_geometry(
        shape, kernel, stride, padding, dilation)
    h, w = shape[-2:]
    # laid out as g's windows are: channels-last gradients add up channels-last, each
    # slice-add below then runs over contiguous memory
    total = filled_like(g[..., 0, 0], tuple(shape[:-2]) + (h + 2 * ph, w + 2 * pw), 0)
    for i in range(kh):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        for j in range(kw):
            total[..., rows, j * dw:j * dw + (ow - 1) * sw + 1:sw] += g[..., i, j]
    return total[..., ph:ph + h, pw:pw + w] if ph or pw else total


def window_index(geometry: WindowGeometry) -> tuple[Any, np.ndarray, np.ndarray]:
    """``(..., rows, cols)``: the index that takes the windows out of the padded input
    (``padded[index]`` is :func:`windows`), for rules recorded with table entries.

    >>> window_index(window_geometry((3, 3), 2))[1].ravel().tolist()   # rows: i + kernel row
    [0, 1, 1, 2]
    """
    (kh, kw), (sh, sw), _, (dh, dw), (oh, ow) = geometry
    rows = np.arange(oh)[:, None, None, None] * sh + np.arange(kh)[None, None, :, None] * dh
    cols = np.arange(ow)[None, :, None, None] * sw + np.arange(kw)[None, None, None, :] * dw
    return Ellipsis, rows, cols


def check_windows(x, kernel, stride=1, padding=0, dilation=1, fill=0.0):
    """What was wrong with a windows call (the check the row runs when its kernel raised)."""
    window_geometry(shape_of(x), kernel, stride, padding, dilation)


# ----------------------------------------------------------------- checks
# Called only when a kernel has raised, to say what was wrong in the op's own words.


def check_broadcast(name: str) -> Callable[..., None]:
    """A check that the inputs broadcast together (elementwise binary ops)."""

    def check(*inputs, **_):
        try:
            np.broadcast_shapes(*(shape_of(x) for x in inputs))
        except ValueError:
            shapes = " and ".join(str(shape_of(x)) for x in inputs)
            raise ShapeError(f"{name}: cannot broadcast shapes {shapes}") from None

    return check


def check_reduce(name: str) -> Callable[..., None]:
    """A check that the reduced axes exist."""

    def check(x, axis=None, keepdims=False):
        if axis is not None:
            try:
                normalize_axis(axis, len(shape_of(x)))
            except ShapeError as e:
                raise ShapeError(f"{name}: {e} (input shape {shape_of(x)})") from None

    return check


def check_matmul(x, y):
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


def check_reshape(x, shape):
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


def check_transpose(x, axes=None):
    n = len(shape_of(x))
    if axes is not None and sorted(int(a) % max(n, 1) for a in axes) != list(range(n)):
        raise ShapeError(f"transpose: axes {tuple(axes)} do not match shape {shape_of(x)}")


def check_broadcast_to(x, shape):
    try:
        ok = np.broadcast_shapes(shape_of(x), tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {shape_of(x)} to {tuple(shape)}")


def check_getitem(x, index):
    if type(x) is float:
        raise ShapeError(f"getitem: cannot index shape () with {index!r}")
    try:
        np.empty(shape_of(x), dtype=np.bool_)[index]
    except IndexError as e:
        raise IndexShapeError(f"getitem: index {index!r} invalid for shape {shape_of(x)}: {e}") \
            from None


def check_concatenate(*xs, axis=0):
    shapes = [shape_of(x) for x in xs]
    if not xs or any(len(s) == 0 for s in shapes):
        raise ShapeError(f"concatenate: needs one or more arrays of ndim >= 1, got shapes {shapes}")
    nd = len(shapes[0])
    if any(len(s) != nd for s in shapes) or not -nd <= axis < nd:
        raise ShapeError(f"concatenate: shapes {shapes} do not fit along axis {axis}")
    a = axis % nd
    if any(s[:a] + s[a + 1 :] != shapes[0][:a] + shapes[0][a + 1 :] for s in shapes):
        raise ShapeError(f"concatenate: shapes {shapes} differ outside axis {axis}")


def check_where(x, y, cond):
    try:
        np.broadcast_shapes(np.shape(cond), shape_of(x), shape_of(y))
    except ValueError:
        raise ShapeError(
            f"where: cannot broadcast condition {np.shape(cond)} "
            f"with {shape_of(x)} and {shape_of(y)}"
        ) from None


# ----------------------------------------------------------------- kink distances
# How far inputs are from a kink, for checkers telling a kink from a bug.


def max_gap(x, axis=None, keepdims=False):
    """Smallest difference between the largest and second-largest reduced element."""
    x = np.asarray(x, dtype=float)
    axes = normalize_axis(axis, x.ndim)
    kept = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    grouped = np.moveaxis(x, axes, tuple(range(-len(axes), 0))).reshape(kept + (-1,))
    if grouped.shape[-1] < 2:
        return math.inf
    ordered = np.sort(grouped, axis=-1)
    return float(np.min(ordered[..., -1] - ordered[..., -2]))


def zero_gap(x, **_):
    """Distance to 0 (relu's and abs's kink)."""
    return float(np.min(np.abs(x))) if np.size(x) else math.inf


def tie_gap(x, y, **_):
    """Distance between x and y (maximum's and minimum's kink)."""
    d = np.abs(np.subtract(x, y))
    return float(np.min(d)) if np.size(d) else math.inf
