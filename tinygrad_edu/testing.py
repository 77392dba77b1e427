"""Hypothesis strategies that draw valid inputs for any op in the table.

:func:`op_cases` reads an entry's ``kind`` (which shapes and parameters it takes) and
its ``domain`` (the range each input is drawn from, and how far inputs must stay from
kinks), so a new op of an existing kind is tested with no new code. Users can test
their own ops the same way:

>>> from hypothesis import given
>>> from tinygrad_edu.ops import OPS
>>> @given(op_cases(OPS["tanh"]))
... def test_tanh(case):
...     assert gradcheck(case.function, case.inputs)
>>> test_tanh()

Requires ``hypothesis`` (the ``test`` extra). Imports: ``ops``, ``value``, ``check``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .check import gradcheck  # noqa: F401  (re-exported for the docstring example)
from .ops import Op
from .value import Value, apply

__all__ = ["OpCase", "op_cases", "shapes", "arrays_in", "KINK_MARGIN", "KINDS"]

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
def _reshape(draw, op):
    shape = draw(shapes())
    size = math.prod(shape)
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = draw(st.sampled_from(divisors))
    target = draw(st.sampled_from([(size,), (d, size // d), (-1, d), (1, size, 1), ()]
                                  if size == 1 else [(size,), (d, size // d), (-1, d)]))
    return (shape,), {"shape": target}


@st.composite
def _transpose(draw, op):
    shape = draw(shapes())
    n = len(shape)
    axes = draw(st.none() | st.permutations(range(n)).map(tuple))
    if axes is not None:  # each axis may be spelled negatively: -1 is the last
        axes = tuple(a - n if draw(st.booleans()) else a for a in axes)
    return (shape,), {"axes": axes}


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


#: How to draw shapes and parameters for each kind of op in the table.
KINDS = {
    "unary": _unary, "binary": _binary, "reduce": _reduce, "axis": _axis,
    "matmul": _matmul, "reshape": _reshape, "transpose": _transpose,
    "broadcast_to": _broadcast_to, "getitem": _getitem, "index_add": _index_add,
    "concatenate": _concatenate, "where": _where,
}


@st.composite
def op_cases(draw, op: Op, margin: float = KINK_MARGIN) -> OpCase:
    """Inputs inside ``op``'s domain, at least ``margin`` away from its kinks."""
    if op.kind not in KINDS:
        raise KeyError(f"testing: no strategy for op kind {op.kind!r} (op {op.name}); "
                       f"add one to tinygrad_edu.testing.KINDS")
    input_shapes, params = draw(KINDS[op.kind](op))
    ranges = _ranges(op, len(input_shapes))
    inputs = tuple(draw(arrays_in(tuple(s), lo, hi))
                   for s, (lo, hi) in zip(input_shapes, ranges, strict=True))
    assume(op.domain.gap(*inputs, **params) > margin)
    return OpCase(op, inputs, params)
