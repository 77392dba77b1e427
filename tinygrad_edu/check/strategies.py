"""Hypothesis strategies that draw valid inputs for any op in the table.

:func:`op_cases` reads an entry's ``kind`` (which shapes and parameters it takes) and
its ``domain`` (the range each input is drawn from, and how far inputs must stay from
kinks), so a new op of an existing kind is tested with no new code. With
``region="whole"`` it draws from the whole domain instead: zeros, negative bases and
denominators, points at and next to kinks, ties, huge magnitudes, ±inf and nan.
:func:`programs` draws whole straight-line programs over the table (for
:func:`tinygrad_edu.oracles.compare_program`). Users can test their own ops the same way:

>>> from hypothesis import given
>>> from tinygrad_edu import OPS
>>> @given(op_cases(OPS["tanh"]))
... def test_tanh(case):
...     assert gradcheck(case.function, case.inputs)
>>> test_tanh()

Requires ``hypothesis`` (the ``test`` extra). Imports: ``core``, ``check.gradcheck``,
``check.oracles``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..core import OPS, Op, Value, apply
from ..core.kernels import reduced_count
from .gradcheck import gradcheck  # noqa: F401  (re-exported for the docstring example)
from .oracles import Const, Instruction, Program

__all__ = ["OpCase", "op_cases", "shapes", "arrays_in", "KINK_MARGIN", "KINDS",
           "whole_domain_floats", "whole_domain_arrays", "REGIMES", "programs",
           "PROGRAM_KINDS", "EINSUM_SPECS", "dominant", "INVERTIBLE_KINDS"]

#: Inputs are drawn at least this far from an op's kinks (relu at 0, ties in max).
KINK_MARGIN = 1e-2

MAX_SIDE = 3


@dataclass
class OpCase:
    """Inputs (float64 data) and parameters for one call of ``op``."""

    op: Op
    inputs: tuple[Any, ...]
    params: dict = field(default_factory=dict)

    def function(self, *xs: Value) -> Value:
        """The op applied to ``xs`` with this case's parameters (for gradcheck)."""
        return apply(self.op, xs, self.params)

    def program(self) -> Program:
        """This call as a one-instruction :class:`~tinygrad_edu.oracles.Program` (for
        :func:`~tinygrad_edu.oracles.compare_program`), upstream 1, −2, 0.5, … ."""
        n = len(self.inputs)
        with np.errstate(all="ignore"):
            out = self.op.forward(*self.inputs, **self.params)
        upstream = np.resize(np.array([1.0, -2.0, 0.5]), np.shape(out))
        return Program(list(self.inputs), [Instruction(self.op.name, tuple(range(n)),
                                                       self.params)],
                       float(upstream) if np.ndim(out) == 0 else upstream)

    def __repr__(self) -> str:
        shapes = [np.shape(x) for x in self.inputs]
        return f"OpCase({self.op.name}, shapes={shapes}, params={self.params})"


def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Small array shapes, 0-d included by default."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE)


def arrays_in(shape: tuple[int, ...], low: float, high: float) -> st.SearchStrategy[Any]:
    """Float64 data of ``shape`` in ``[low, high]``; a Python float for shape ``()``."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if shape == ():
        return elements
    return hnp.arrays(np.float64, shape, elements=elements)


def _ranges(op: Op, n: int) -> list[tuple[float, float]]:
    r = list(op.domain.ranges)
    return [r[min(i, len(r) - 1)] for i in range(n)]


@st.composite
def _axis_for(draw, ndim: int, allow_none: bool = True, allow_tuple: bool = True):
    if ndim == 0:
        return None
    options = [st.integers(-ndim, ndim - 1)]
    if allow_none:
        options.append(st.none())
    if allow_tuple and ndim > 1:
        options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                unique=True).map(tuple))
    axis = draw(st.one_of(*options))
    if isinstance(axis, tuple):  # each axis may be spelled negatively: -1 is the last
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in axis)
    return axis


@st.composite
def _unary(draw, op):
    shape = draw(shapes())
    return (shape,), {}


@st.composite
def _binary(draw, op):
    pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=MAX_SIDE))
    return pair.input_shapes, {}


@st.composite
def _reduce(draw, op):
    shape = draw(shapes())
    return (shape,), {"axis": draw(_axis_for(len(shape))), "keepdims": draw(st.booleans())}


@st.composite
def _axis(draw, op):
    shape = draw(shapes(min_dims=1))
    return (shape,), {"axis": draw(_axis_for(len(shape), allow_none=False, allow_tuple=False))}


@st.composite
def _matmul(draw, op):
    m, k, n, b = (draw(st.integers(1, MAX_SIDE)) for _ in range(4))
    pairs = [((k,), (k,)), ((m, k), (k,)), ((k,), (k, n)), ((m, k), (k, n)),
             ((b, m, k), (k, n)), ((b, m, k), (b, k, n)), ((k,), (b, k, n)), ((1, m, k), (b, k, n))]
    return draw(st.sampled_from(pairs)), {}


@st.composite
def _reshape_params(draw, shape: tuple[int, ...]) -> dict:
    size = math.prod(shape)
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = draw(st.sampled_from(divisors))
    target = draw(st.sampled_from([(size,), (d, size // d), (-1, d), (1, size, 1), ()]
                                  if size == 1 else [(size,), (d, size // d), (-1, d)]))
    return {"shape": target}


@st.composite
def _reshape(draw, op):
    shape = draw(shapes())
    return (shape,), draw(_reshape_params(shape))


@st.composite
def _transpose_params(draw, shape: tuple[int, ...]) -> dict:
    n = len(shape)
    axes = draw(st.none() | st.permutations(range(n)).map(tuple))
    if axes is not None:  # each axis may be spelled negatively: -1 is the last
        axes = tuple(a - n if draw(st.booleans()) else a for a in axes)
    return {"axes": axes}


@st.composite
def _transpose(draw, op):
    shape = draw(shapes())
    return (shape,), draw(_transpose_params(shape))


@st.composite
def _broadcast_to(draw, op):
    target = draw(shapes())
    keep = draw(st.integers(0, len(target)))
    source = tuple(1 if draw(st.booleans()) else s for s in target[len(target) - keep:])
    return (source,), {"shape": target}


@st.composite
def _index(draw, shape):
    ndim = len(shape)
    kind = draw(st.sampled_from(["int", "slice", "array", "tuple"]))
    if kind == "int":
        return draw(st.integers(-shape[0], shape[0] - 1))
    if kind == "slice":
        start = draw(st.integers(0, shape[0] - 1))
        return slice(start, draw(st.integers(start + 1, shape[0])), draw(st.integers(1, 2)))
    if kind == "array":  # repeats on purpose: their gradients must add up
        return np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=4)))
    parts = tuple(draw(st.integers(0, s - 1)) if draw(st.booleans()) else slice(None)
                  for s in shape[: draw(st.integers(1, ndim))])
    return parts


@st.composite
def _getitem(draw, op):
    shape = draw(shapes(min_dims=1))
    return (shape,), {"index": draw(_index(shape))}


@st.composite
def _index_add(draw, op):
    shape = draw(shapes(min_dims=1))
    index = draw(_index(shape))
    return (np.empty(shape)[index].shape,), {"shape": shape, "index": index}


@st.composite
def _concatenate(draw, op):
    base = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(base), len(base) - 1))
    count = draw(st.integers(1, 3))
    a = axis % len(base)
    input_shapes = tuple(base[:a] + (draw(st.integers(1, MAX_SIDE)),) + base[a + 1:]
                         for _ in range(count))
    return input_shapes, {"axis": axis}


@st.composite
def _where(draw, op):
    pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=MAX_SIDE))
    cond = draw(hnp.arrays(np.bool_, pair.input_shapes[2]))
    return pair.input_shapes[:2], {"cond": cond}


@st.composite
def _window_params(draw, shape: tuple[int, ...]) -> dict:
    """kernel, stride, padding and dilation (ints or pairs) for windows that fit in the
    last two axes of ``shape``; sometimes a fill other than 0 for the padding."""
    pairs: dict[str, list[int]] = {"kernel": [], "stride": [], "padding": [], "dilation": []}
    for n in shape[-2:]:
        padding, dilation = draw(st.integers(0, 1)), draw(st.integers(1, 2))
        widest = (n + 2 * padding - 1) // dilation + 1  # (k − 1)·d + 1 ≤ n + 2p
        pairs["kernel"].append(draw(st.integers(1, min(widest, 3))))
        pairs["stride"].append(draw(st.integers(1, 2)))
        pairs["padding"].append(padding)
        pairs["dilation"].append(dilation)
    params: dict[str, Any] = {name: pair[0] if pair[0] == pair[1] and draw(st.booleans())
                              else tuple(pair) for name, pair in pairs.items()}
    if any(pairs["padding"]) and draw(st.booleans()):
        params["fill"] = draw(st.sampled_from((1.5, -2.0)))
    return params


@st.composite
def _windows(draw, op):
    shape = draw(shapes(min_dims=2, max_dims=4))
    return (shape,), draw(_window_params(shape))


# --- linear algebra and astype (issue 14)

#: Einsum subscripts the property tests draw (explicit, as F.einsum hands them to the
#: row): products, contractions, diagonals (a repeated letter), lone sums, three operands.
EINSUM_SPECS = (
    "ij,jk->ik", "ij,jk->ki", "i,i->", "i,j->ij", "ii->", "ii->i", "iij->ji", "ij->ji",
    "ijk->", "ij,ij->ij", "bij,bjk->bik", "ij,jk,kl->il", "ij,j->", "ijk,ikl->jl", "i->",
)


@st.composite
def _einsum(draw, op):
    spec = draw(st.sampled_from(EINSUM_SPECS))
    size = {c: draw(st.integers(1, MAX_SIDE)) for c in sorted(set(spec) - set(",->"))}
    terms = spec.split("->")[0].split(",")
    return tuple(tuple(size[c] for c in term) for term in terms), {"subscripts": spec}


@st.composite
def _square(draw, op):
    n = draw(st.integers(1, MAX_SIDE))
    batch = draw(st.sampled_from([(), (), (2,), (1, 2)]))
    return (batch + (n, n),), {}


@st.composite
def _solve(draw, op):
    n, k = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    # the pairs NumPy 2, HIPS and PyTorch read alike: a vector, or matrices batched alike
    return draw(st.sampled_from([((n, n), (n,)), ((n, n), (n, k)),
                                 ((2, n, n), (2, n, k))])), {}


@st.composite
def _astype(draw, op):
    # float64 only: a float32 result rounds to 6e-8, far above what a central
    # difference of step 1e-6 resolves (tests/core/test_ops_linalg.py checks float32)
    return (draw(shapes()),), {"dtype": "float64"}


def dominant(x: Any) -> Any:
    """``x`` + c·I on its last two axes, c = 2n·max|finite x| + 1: strictly diagonally
    dominant, so invertible and well conditioned, whatever was drawn (the strategies'
    matrices for inv, solve, det and slogdet; inf and nan stay as drawn).

    >>> dominant(np.ones((2, 2)))
    array([[6., 1.],
           [1., 6.]])
    """
    x = np.asarray(x)
    return x + _identity_shift(x)


def _identity_shift(x: np.ndarray) -> np.ndarray:
    """c·I in x's dtype, for :func:`dominant`."""
    finite = np.abs(x[np.isfinite(x)])
    with np.errstate(over="ignore"):
        # twice the bound: with x = −1e300 on the diagonal, n·max + 1 would round to a 0
        c = x.dtype.type(2.0 * x.shape[-1] * (float(np.max(finite)) if finite.size else 0.0)
                         + 1.0)
        return c * np.eye(x.shape[-1], dtype=x.dtype)


#: Kinds whose first input must be an invertible matrix (made so by :func:`dominant`).
INVERTIBLE_KINDS = ("square", "solve")


#: How to draw shapes and parameters for each kind of op in the table.
KINDS = {
    "unary": _unary, "binary": _binary, "reduce": _reduce, "axis": _axis,
    "matmul": _matmul, "reshape": _reshape, "transpose": _transpose,
    "broadcast_to": _broadcast_to, "getitem": _getitem, "index_add": _index_add,
    "concatenate": _concatenate, "where": _where, "windows": _windows,
    # linear algebra and astype (issue 14)
    "einsum": _einsum, "square": _square, "solve": _solve, "astype": _astype,
}

# ---- reductions, continued: moments (std: axis, keepdims, ddof) and running sums and
# products (cumsum, cumprod: one axis or None).


def _ddof_for(shape: tuple[int, ...], axis) -> st.SearchStrategy[int]:
    """0 or 1, leaving at least one degree of freedom per slice."""
    return st.integers(0, min(1, reduced_count(shape, axis) - 1))


@st.composite
def _moment(draw, op):
    # slices of two or more elements: a slice of one is constant, std's kink
    shape = draw(shapes(min_dims=1))
    if math.prod(shape) == 1:
        shape = (2,) + shape[1:]
    axis = draw(_axis_for(len(shape)))
    if reduced_count(shape, axis) == 1:
        axis = None
    return (shape,), {"axis": axis, "keepdims": draw(st.booleans()),
                      "ddof": draw(_ddof_for(shape, axis))}


@st.composite
def _scan_axis(draw, ndim: int):
    return None if ndim == 0 or draw(st.booleans()) else draw(st.integers(-ndim, ndim - 1))


@st.composite
def _scan(draw, op):
    shape = draw(shapes())
    return (shape,), {"axis": draw(_scan_axis(len(shape)))}


KINDS.update({"moment": _moment, "scan": _scan})


@st.composite
def op_cases(draw, op: Op, margin: float = KINK_MARGIN, region: str = "interior",
             dtype: Any = np.float64) -> OpCase:
    """Inputs for one call of ``op``.

    ``region="interior"``: inside the op's test ranges (``Domain.ranges``), at least
    ``margin`` away from its kinks — where central differences are reliable.
    ``region="whole"``: anywhere, each input drawn from one of :data:`REGIMES` scaled by
    the op's range, with ties between inputs and duplicated maxima on purpose, so kinks
    (``Domain.kink_gap`` = 0), singular points and overflow are reached.
    """
    if op.kind not in KINDS:
        raise KeyError(f"testing: no strategy for op kind {op.kind!r} (op {op.name}); "
                       f"add one to tinygrad_edu.testing.KINDS")
    if region not in ("interior", "whole"):
        raise ValueError(f"op_cases: region must be 'interior' or 'whole', got {region!r}")
    input_shapes, params = draw(KINDS[op.kind](op))
    ranges = _ranges(op, len(input_shapes))
    if region == "whole":
        inputs = tuple(draw(whole_domain_arrays(tuple(s), dtype, scale=max(abs(lo), abs(hi))))
                       for s, (lo, hi) in zip(input_shapes, ranges, strict=True))
        return OpCase(op, _invertible(op, _with_ties(draw, inputs)), params)
    inputs = _invertible(op, tuple(draw(arrays_in(tuple(s), lo, hi))
                                   for s, (lo, hi) in zip(input_shapes, ranges, strict=True)))
    assume(op.domain.gap(*inputs, **params) > margin)
    return OpCase(op, inputs, params)


def _invertible(op: Op, inputs: tuple) -> tuple:
    """The inputs, with the matrix of an op that inverts made invertible."""
    if op.kind not in INVERTIBLE_KINDS:
        return inputs
    return (dominant(inputs[0]),) + tuple(inputs[1:])


# ------------------------------------------------------------------ the whole domain

#: Values that sit on kinks, ties, integer exponents and signs: drawn often, they make
#: relu and abs meet 0, maximum meet ties and pow meet zero and negative bases.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0)
#: Just beside the special points (a kink's neighbourhood, where one-sided rules apply).
NEAR = (1e-12, -1e-12, 1e-7, -1e-7, 1.0 + 1e-9, 1.0 - 1e-9, -1.0 + 1e-9, 1e-300, -1e-300)
#: The largest finite magnitudes each dtype is tested with, and the edges of exp.
HUGE = {np.dtype(np.float64): (1e300, -1e300, 1e16, -1e16, 710.0, -745.0, 1e4, -1e4),
        np.dtype(np.float32): (1e30, -1e30, 1e10, -1e10, 89.0, -104.0, 1e4, -1e4)}
NONFINITE = (math.inf, -math.inf, math.nan)


def _regime(name: str, dtype: Any, scale: float) -> st.SearchStrategy[float]:
    ordinary = st.floats(-scale - 1.0, scale + 1.0, allow_nan=False, width=64)
    special = st.sampled_from(SPECIAL)
    return {
        "ordinary": st.one_of(ordinary, special),
        "kinks": st.one_of(special, special, st.sampled_from(NEAR)),
        "huge": st.one_of(special, st.sampled_from(HUGE[np.dtype(dtype)])),
        "nonfinite": st.one_of(special, ordinary, st.sampled_from(NONFINITE)),
    }[name]


#: Where an input's elements come from; one regime per input (weights by repetition).
REGIMES = ("ordinary", "ordinary", "kinks", "kinks", "kinks", "huge", "nonfinite")


def whole_domain_floats(dtype: Any = np.float64, scale: float = 3.0,
                        regime: str | None = None) -> st.SearchStrategy[float]:
    """Floats from the whole domain: specials (0, −0, ±1, ±2, ±0.5, ±3), neighbours of
    kinks, huge magnitudes for ``dtype``, ±inf and nan, and ordinary values up to ``scale``.

    >>> from hypothesis import find
    >>> find(whole_domain_floats(), lambda v: v != v)  # nan is in the domain
    nan
    """
    if regime is not None:
        return _regime(regime, dtype, scale)
    return st.sampled_from(REGIMES).flatmap(lambda r: _regime(r, dtype, scale))


@st.composite
def whole_domain_arrays(draw, shape: tuple[int, ...], dtype: Any = np.float64,
                        scale: float = 3.0) -> Any:
    """Data of ``shape`` whose elements share one regime of :func:`whole_domain_floats`,
    often with one hard value planted (huge, ±inf or nan, a special); a Python float for
    shape ``()`` (the engine's scalar path)."""
    elements = _regime(draw(st.sampled_from(REGIMES)), dtype, scale)
    size = math.prod(shape)
    values = draw(st.lists(elements, min_size=size, max_size=size))
    # one element planted from a hard set, so every input has a fair chance of one
    planted = draw(st.sampled_from(("special", "nonfinite", "huge", None)))
    if planted is not None:
        pool = {"huge": HUGE[np.dtype(dtype)], "nonfinite": NONFINITE, "special": SPECIAL}
        values[draw(st.integers(0, size - 1))] = draw(st.sampled_from(pool[planted]))
    if shape == ():
        return values[0]
    return np.array(values, dtype=np.float64).astype(dtype).reshape(shape)


def _with_ties(draw, inputs: tuple) -> tuple:
    """Sometimes copy one input's values into another (ties for maximum and minimum)."""
    if len(inputs) < 2 or not draw(st.booleans()):
        return inputs
    a, b = inputs[0], inputs[1]
    try:
        target = np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return inputs
    if np.shape(b) != target:
        return inputs
    tied = np.array(np.broadcast_to(a, target), dtype=np.asarray(b).dtype)
    tied = float(tied) if np.ndim(b) == 0 else tied
    return (a, tied) + tuple(inputs[2:])


# ------------------------------------------------------------------ whole programs


def _append(instructions: list, shapes_: list, values_: list, ins: Instruction) -> None:
    """Add ``ins`` to a program being drawn, with its result's value and shape."""
    args = [values_[a] if isinstance(a, int) else a.value for a in ins.args]
    with np.errstate(all="ignore"):
        out = OPS[ins.op].forward(*args, **ins.params)
    instructions.append(ins)
    values_.append(out)
    shapes_.append(tuple(np.shape(out)))


def _pick_slot(draw, shapes_: list, fits=lambda s: True) -> int | None:
    """A slot whose shape ``fits``; the latest slot most of the time (programs chain)."""
    if fits(shapes_[-1]) and draw(st.integers(0, 3)) > 0:
        return len(shapes_) - 1
    candidates = [i for i, s in enumerate(shapes_) if fits(s)]
    return draw(st.sampled_from(candidates)) if candidates else None


def _constant(draw, shape: tuple[int, ...], dtype: Any, op: str) -> Const:
    if op == "pow" and shape == ():  # integer exponents (negative bases stay real), 0, ½
        return Const(draw(st.sampled_from((0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5))))
    return Const(draw(whole_domain_arrays(shape, dtype)))


def _p_unary(draw, op, shapes_, x, dtype, values_=None):
    return (x,), {}


def _p_binary(draw, op, shapes_, x, dtype, values_=None):
    def fits(s):
        try:
            np.broadcast_shapes(s, shapes_[x])
            return True
        except ValueError:
            return False

    y = _pick_slot(draw, shapes_[:-1] or shapes_, fits) if draw(st.booleans()) else None
    if y is None and op.name == "pow" and draw(st.booleans()):  # 0**y, (−2)**y, …
        return (Const(draw(st.sampled_from((0.0, -0.0, 2.0, -2.0, 0.5)))), x), {}
    if y is None and values_ is not None and draw(st.integers(0, 3)) == 0:
        # a constant equal to x's current value: a tie for maximum and minimum, 0 for sub
        return ((x, Const(values_[x])) if draw(st.booleans()) else (Const(values_[x]), x)), {}
    other = y if y is not None else _constant(
        draw, draw(st.sampled_from([(), shapes_[x]])), dtype, op.name)
    return ((other, x) if draw(st.integers(0, 3)) == 0 else (x, other)), {}


def _p_reduce(draw, op, shapes_, x, dtype, values_=None):
    return (x,), {"axis": draw(_axis_for(len(shapes_[x]))), "keepdims": draw(st.booleans())}


def _p_axis(draw, op, shapes_, x, dtype, values_=None):
    ndim = len(shapes_[x])
    if ndim == 0:
        return None
    return (x,), {"axis": draw(_axis_for(ndim, allow_none=False, allow_tuple=False))}


def _p_matmul(draw, op, shapes_, x, dtype, values_=None):
    xs = shapes_[x]
    if not xs:
        return None
    k = xs[-1]
    wanted = [(k,), (k, draw(st.integers(1, MAX_SIDE)))]
    y = _pick_slot(draw, shapes_, lambda s: s in wanted) if draw(st.booleans()) else None
    if y is None:
        y = _constant(draw, draw(st.sampled_from(wanted)), dtype, op.name)
    return (x, y), {}


def _p_shape_only(draw, op, shapes_, x, dtype, values_=None):
    """reshape, transpose, broadcast_to, getitem of the slot ``x``."""
    s = shapes_[x]
    if op.kind == "reshape":
        return (x,), draw(_reshape_params(s))
    if op.kind == "transpose":
        return (x,), draw(_transpose_params(s))
    if op.kind == "broadcast_to":
        target = tuple(2 if n == 1 and draw(st.booleans()) else n for n in s)
        return (x,), {"shape": (draw(st.integers(1, 2)),) * draw(st.integers(0, 1)) + target}
    if not s:  # getitem needs an axis
        return None
    return (x,), {"index": draw(_index(s))}


def _p_index_add(draw, op, shapes_, x, dtype, values_=None):
    s = shapes_[x]
    if not s:
        return None
    rows = draw(st.integers(1, MAX_SIDE))
    index = np.array(draw(st.lists(st.integers(0, rows - 1), min_size=s[0], max_size=s[0])))
    return (x,), {"shape": (rows,) + s[1:], "index": index}


def _p_concatenate(draw, op, shapes_, x, dtype, values_=None):
    s = shapes_[x]
    if not s:
        return None
    axis = draw(st.integers(-len(s), len(s) - 1))
    a = axis % len(s)
    same = lambda t: len(t) == len(s) and t[:a] + t[a + 1:] == s[:a] + s[a + 1:]  # noqa: E731
    others = [i for i, t in enumerate(shapes_) if same(t)]
    args = (x,) + tuple(draw(st.sampled_from(others)) for _ in range(draw(st.integers(0, 2))))
    return args, {"axis": axis}


def _p_where(draw, op, shapes_, x, dtype, values_=None):
    (x, y), _ = _p_binary(draw, op, shapes_, x, dtype)
    shape = np.broadcast_shapes(*(shapes_[a] if isinstance(a, int) else np.shape(a.value)
                                  for a in (x, y)))
    return (x, y), {"cond": draw(hnp.arrays(np.bool_, shape))}


def _p_windows(draw, op, shapes_, x, dtype, values_=None):
    """windows of ``x``, or of another slot when ``x`` has fewer than two axes."""
    slot = x if len(shapes_[x]) >= 2 else _pick_slot(draw, shapes_, lambda s: len(s) >= 2)
    if slot is None:
        return None
    return (slot,), draw(_window_params(shapes_[slot]))


# --- linear algebra and astype (issue 14)


def _p_einsum(draw, op, shapes_, x, dtype, values_=None):
    """An einsum of the slot: its axes kept, dropped (summed) or permuted, sometimes
    contracted with a constant vector along the last axis."""
    s = shapes_[x]
    letters = "abcdefghijkl"[:len(s)]  # windows make slots of up to 6 axes
    out = "".join(draw(st.permutations(letters))[:draw(st.integers(0, len(letters)))])
    if s and draw(st.booleans()):
        vector = _constant(draw, (s[-1],), _slot_dtype(values_, x, dtype), op.name)
        return (x, vector), {"subscripts": f"{letters},{letters[-1]}->{out}"}
    return (x,), {"subscripts": f"{letters}->{out}"}


def _p_square(draw, op, shapes_, x, dtype, values_=None):
    """The slot (made a square matrix and invertible by :func:`_p_invertible_slot`)."""
    if op.kind == "solve":
        s, k = shapes_[x], draw(st.integers(1, MAX_SIDE))
        # a batch of matrices takes matrices batched alike (the pairs HIPS reads as NumPy 2)
        rhs = s[:-1] + (k,) if len(s) > 2 else draw(st.sampled_from([s[:1], s[:1] + (k,)]))
        return (x, _constant(draw, rhs, _slot_dtype(values_, x, dtype), op.name)), {}
    return (x,), {}


def _p_astype(draw, op, shapes_, x, dtype, values_=None):
    # never down to float32 from float64 data (a program of scalar leaves is float64 even
    # when float32 was drawn): the references would compare float32 rounding at float64
    # tolerances. float32 data may be cast up.
    slot = _slot_dtype(values_, x, dtype)
    targets = ("float32", "float64") if slot == np.float32 else ("float64",)
    return (x,), {"dtype": draw(st.sampled_from(targets))}


def _slot_dtype(values_: list | None, x: int, dtype: Any) -> Any:
    """The dtype of slot ``x``'s value (a Python float is float64): constants meeting it
    keep the program in one precision (a float32 constant would make a program of
    scalar leaves float32, which its references run in float64)."""
    if values_ is None:
        return dtype
    value = values_[x]
    return value.dtype if isinstance(value, np.ndarray) else np.dtype(np.float64)


def _p_invertible_slot(draw, instructions, shapes_, values_, x, dtype) -> int:
    """A slot holding an invertible matrix made from slot ``x``, so that inv, solve, det
    and slogdet meet the program's values: x itself when square, else its sum times a
    constant matrix, then plus c·I (:func:`dominant`: the constant is read from the
    slot's value)."""
    if len(shapes_[x]) < 2 or shapes_[x][-1] != shapes_[x][-2]:
        _append(instructions, shapes_, values_, Instruction("sum", (x,), {}))
        n = draw(st.integers(1, MAX_SIDE))
        matrix = _constant(draw, (n, n), _slot_dtype(values_, x, dtype), "mul")
        _append(instructions, shapes_, values_, Instruction("mul", (len(shapes_) - 1, matrix)))
        x = len(shapes_) - 1
    shift = _identity_shift(np.asarray(values_[x]))
    _append(instructions, shapes_, values_, Instruction("add", (x, Const(shift))))
    return len(shapes_) - 1


#: How a program calls an op of each kind on the slots it has (None: not applicable).
PROGRAM_KINDS = {
    "unary": _p_unary, "binary": _p_binary, "reduce": _p_reduce, "axis": _p_axis,
    "matmul": _p_matmul, "reshape": _p_shape_only, "transpose": _p_shape_only,
    "broadcast_to": _p_shape_only, "getitem": _p_shape_only, "index_add": _p_index_add,
    "concatenate": _p_concatenate, "where": _p_where, "windows": _p_windows,
    # linear algebra and astype (issue 14)
    "einsum": _p_einsum, "square": _p_square, "solve": _p_square, "astype": _p_astype,
}

# ---- reductions, continued


def _p_moment(draw, op, shapes_, x, dtype, values_=None):
    s = shapes_[x]
    axis = draw(_axis_for(len(s)))
    return (x,), {"axis": axis, "keepdims": draw(st.booleans()), "ddof": draw(_ddof_for(s, axis))}


def _p_scan(draw, op, shapes_, x, dtype, values_=None):
    return (x,), {"axis": draw(_scan_axis(len(shapes_[x])))}


PROGRAM_KINDS.update({"moment": _p_moment, "scan": _p_scan})

#: An instruction that puts a reduction's kink into slot x's values: x joined to itself
#: (every value twice: ties for max, constant slices for std along axis 0 of length 2
#: when x has one row) or x times 0 (zero slices for norm).
KINK_INPUTS = {
    "max": lambda x: Instruction("concatenate", (x, x), {"axis": 0}),
    "std": lambda x: Instruction("concatenate", (x, x), {"axis": 0}),
    "norm": lambda x: Instruction("mul", (x, Const(0.0)), {}),
}


@st.composite
def programs(draw, ops: Any = None, max_ops: int = 6, dtypes: tuple = (np.float64, np.float32),
             include: str | None = None) -> Program:
    """A straight-line program of 1…``max_ops`` table ops over 1–3 broadcastable leaves.

    Every op of ``ops`` (default: the whole table) is reachable; its arguments come from
    :data:`PROGRAM_KINDS` by the op's ``kind``, so a new row of an existing kind needs no
    code here. Leaves and constants come from the whole domain. ``include`` names an op
    that every program calls at least once (hypothesis does not draw ops uniformly).
    """
    names = sorted(ops if ops is not None else OPS)
    for name in names:
        if OPS[name].kind not in PROGRAM_KINDS:
            raise KeyError(f"testing: no program strategy for op kind {OPS[name].kind!r} "
                           f"(op {name}); add one to tinygrad_edu.testing.PROGRAM_KINDS")
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    leaf_shapes = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=draw(st.integers(1, 3)), max_dims=3, max_side=MAX_SIDE)).input_shapes
    leaves = [draw(whole_domain_arrays(tuple(s), dtype)) for s in leaf_shapes]
    leaves = list(_with_ties(draw, tuple(leaves)))
    shapes_ = [tuple(s) for s in leaf_shapes]
    values_ = list(leaves)  # each slot's value so far: constants can tie with them
    instructions: list[Instruction] = []
    count = draw(st.integers(1, max_ops))
    forced = draw(st.integers(0, count - 1)) if include is not None else -1
    for position in range(count):
        op = OPS[include if position == forced else draw(st.sampled_from(names))]
        x = _pick_slot(draw, shapes_)
        if position == forced and op.name in KINK_INPUTS and shapes_[x] and draw(st.booleans()):
            # half the time, the included reduction meets its kink (a tie, a zero slice)
            _append(instructions, shapes_, values_, KINK_INPUTS[op.name](x))
            x = len(shapes_) - 1
        if op.kind in INVERTIBLE_KINDS:
            x = _p_invertible_slot(draw, instructions, shapes_, values_, x, dtype)
        made = PROGRAM_KINDS[op.kind](draw, op, shapes_, x, dtype, values_)
        if made is None and position == forced:
            # getitem of a scalar, windows of a vector: give x two axes, (1, size)
            _append(instructions, shapes_, values_,
                    Instruction("reshape", (x,), {"shape": (1, -1)}))
            x = len(shapes_) - 1
            made = PROGRAM_KINDS[op.kind](draw, op, shapes_, x, dtype, values_)
        if made is None:
            continue
        args, params = made
        _append(instructions, shapes_, values_, Instruction(op.name, tuple(args), params))
    assume(instructions)
    out_shape = shapes_[-1]
    upstream = draw(st.sampled_from((1.0, -1.0, 0.5, 2.0, -3.0))) if out_shape == () else \
        np.array(draw(st.lists(st.sampled_from((1.0, -1.0, 0.5, 2.0, -3.0)),
                               min_size=math.prod(out_shape), max_size=math.prod(out_shape))),
                 dtype=dtype).reshape(out_shape)
    return Program(leaves, instructions, upstream)
