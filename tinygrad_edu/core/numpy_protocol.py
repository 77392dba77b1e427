"""NumPy functions on Values: ``np.exp(v)``, ``np.sum(v)``, ``np.dot(v, w)`` keep the graph.

NumPy lets a type take over its functions. Ufuncs (``np.exp``, ``np.add``,
``np.maximum``, and the operators of an ndarray meeting a Value: ``X @ w``) call
``Value.__array_ufunc__``; other functions (``np.sum``, ``np.dot``, ``np.stack``, …) call
``Value.__array_function__``. Both hand over to this module, which sends each NumPy
function to its op-table entry (an entry names its ufunc: ``Op.ufunc``) or to the
composite built from entries, so the result is a Value with its graph, as HIPS autograd
users expect. Three kinds of answer, never a fourth:

* differentiable: the op or composite (a Value);
* not a number at all or zero gradient almost everywhere without a row (comparisons,
  ``np.isnan``, ``np.trunc``, ``np.argmax``, ``np.shape``, …): answered on the data, as
  plain NumPy, which is the right derivative (0) for what it is (``np.floor``,
  ``np.sign``, ``np.round`` are rows: a Value with gradient 0);
* anything else: ``TypeError`` naming the function and how to get a constant instead.
  A NumPy function never quietly turns a Value into an array and loses its gradient.

>>> import numpy as np
>>> from tinygrad_edu import Value
>>> w = Value([1.0, 2.0])
>>> loss = np.sum(np.exp(w) * np.array([1.0, 0.0]))
>>> loss.backward()
>>> w.grad                            # d/dw Σ e^w·[1, 0]
array([2.71828183, 0.        ])

Imports: ``ops``, ``value``, ``functional``, ``linalg``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import functional, linalg, ops
from .value import Value, apply, stack, warn_if_tracing

__all__ = ["array_ufunc", "array_function", "SUPPORTED"]

#: ufunc -> op, read from the table (each entry names its ufunc).
_UFUNC_OPS = {op.ufunc: op for op in ops.OPS.values() if op.ufunc is not None}

#: Ufuncs whose answer is not differentiable or has zero gradient almost everywhere: they
#: run on the data (comparisons give booleans, as ``v < 0`` does).
_ON_DATA_UFUNCS = frozenset({
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.isnan, np.isinf, np.isfinite, np.signbit, np.trunc,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
})  # np.sign, np.floor, np.ceil, np.rint are rows (gradient 0): they keep the graph

_REDUCERS = {np.add: "sum", np.maximum: "max", np.minimum: "min"}


def _data(x: Any) -> Any:
    """Values replaced by their data, inside lists and tuples too."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data(e) for e in x)
    return x


def _refuse(name: str, extra: dict, allowed: tuple[str, ...] = ()) -> None:
    """NumPy's ``out=``, ``dtype=``, ``where=``… have no meaning for a recorded op."""
    bad = sorted(k for k, v in extra.items() if k not in allowed and v is not None)
    if bad:
        raise TypeError(f"numpy.{name} on a Value: argument(s) {', '.join(bad)} are not "
                        f"supported (they would write or cast outside the graph)")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """What ``ufunc.method(*inputs, **kwargs)`` means when a Value is among the inputs."""
    name = ufunc.__name__
    if method == "__call__":
        if ufunc in _ON_DATA_UFUNCS:
            warn_if_tracing("compared")
            return ufunc(*map(_data, inputs), **kwargs)
        _refuse(name, kwargs)
        if ufunc is np.positive:
            return inputs[0]
        op = _UFUNC_OPS.get(ufunc)
        if op is not None:
            return apply(op, inputs)
        composite = _UFUNC_COMPOSITES.get(ufunc)
        if composite is not None:
            return composite(*inputs)
    elif method == "reduce" and ufunc in _REDUCERS:
        (x,) = inputs
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        _refuse(f"{name}.reduce", kwargs)
        value = x if isinstance(x, Value) else Value(x, requires_grad=False)
        return getattr(value, _REDUCERS[ufunc])(axis, keepdims)
    call = name if method == "__call__" else f"{name}.{method}"
    raise TypeError(
        f"numpy.{call} has no differentiable version in tinygrad_edu: on a Value it would "
        f"lose the graph. Call it on v.data (a constant, no gradient), or build it from "
        f"ops (see docs/ops.md)")


# ----------------------------------------------------- functions (__array_function__)
def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **extra):
    _refuse("sum", {"dtype": dtype, "out": out, **extra})
    return _as_value(a).sum(axis, keepdims)


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **extra):
    _refuse("mean", {"dtype": dtype, "out": out, **extra})
    return _as_value(a).mean(axis, keepdims)


def _max(a, axis=None, out=None, keepdims=False, **extra):
    _refuse("max", {"out": out, **extra})
    return _as_value(a).max(axis, keepdims)


def _min(a, axis=None, out=None, keepdims=False, **extra):
    _refuse("min", {"out": out, **extra})
    return _as_value(a).min(axis, keepdims)


def _stack(arrays, axis=0, out=None, **extra):
    _refuse("stack", {"out": out, **extra})
    return stack(list(arrays), axis)


def _concatenate(arrays, axis=0, out=None, **extra):
    _refuse("concatenate", {"out": out, **extra})
    if axis is None:
        return apply(ops.CONCATENATE, tuple(_as_value(a).reshape(-1) for a in arrays),
                     {"axis": 0})
    return apply(ops.CONCATENATE, tuple(arrays), {"axis": int(axis)})


def _where(condition, *branches):
    if len(branches) != 2:
        return np.where(_data(condition), *map(_data, branches))  # indices: no gradient
    mask = np.asarray(_data(condition), dtype=bool)
    return apply(ops.WHERE, tuple(branches), {"cond": mask})


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **extra):  # noqa: A002
    _refuse("clip", {"out": out, **extra})
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    out_value = a
    if low is not None:
        out_value = apply(ops.MAXIMUM, (out_value, low))
    if high is not None:
        out_value = apply(ops.MINIMUM, (out_value, high))
    return _as_value(out_value)


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TypeError("numpy.reshape on a Value: only order='C' is supported")
    return _as_value(a).reshape(newshape if shape is None else shape)


def _transpose(a, axes=None):
    return _as_value(a).transpose(*(axes or ()))


def _broadcast_to(array, shape, subok=False):
    return functional.broadcast_to(array, shape)  # also an int shape, as NumPy


# elementwise, continued
def _round(a, decimals=0, out=None):
    _refuse("round", {"out": out})
    return _as_value(a).round(decimals)


def _as_value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


# ---- reductions, continued: NumPy's signatures; dtype=, out=, where=, initial= refused
def _prod(a, axis=None, dtype=None, out=None, keepdims=False, **extra):
    _refuse("prod", {"dtype": dtype, "out": out, **extra})
    return _as_value(a).prod(axis, keepdims)


def _moment(name: str):
    def adapter(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
                correction=None, **extra):
        _refuse(name, {"dtype": dtype, "out": out, **extra})
        ddof = ddof if correction is None else correction  # NumPy 2's other spelling
        return getattr(_as_value(a), name)(axis, ddof=ddof, keepdims=keepdims)
    return adapter


def _running(name: str):
    def adapter(a, axis=None, dtype=None, out=None):
        _refuse(name, {"dtype": dtype, "out": out})
        return getattr(_as_value(a), name)(axis)
    return adapter


def _norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    return functional.norm(x, ord, axis, keepdims)


_REDUCTIONS_CONTINUED = {
    np.prod: _prod, np.var: _moment("var"), np.std: _moment("std"),
    np.cumsum: _running("cumsum"), np.cumprod: _running("cumprod"), np.linalg.norm: _norm,
}


# --- linear algebra and astype (issue 14): NumPy's signatures, onto functional/linalg
def _dot(a, b, out=None):
    _refuse("dot", {"out": out})
    return functional.dot(a, b)


def _outer(a, b, out=None):
    _refuse("outer", {"out": out})
    return functional.outer(a, b)


def _inner(a, b):
    return functional.inner(a, b)


def _kron(a, b):
    return functional.kron(a, b)


def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return functional.cross(a, b, axisa, axisb, axisc, axis)


def _tensordot(a, b, axes=2):
    return functional.tensordot(a, b, axes)


def _einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    # optimize only reorders the contraction: the row always runs NumPy's default order
    _refuse("einsum", {"out": out, "dtype": dtype,
                       "order": None if order == "K" else order,
                       "casting": None if casting == "safe" else casting})
    return functional.einsum(*operands)


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _refuse("trace", {"dtype": dtype, "out": out})
    return functional.trace(a, offset, axis1, axis2)


def _diagonal(a, offset=0, axis1=0, axis2=1):
    return functional.diagonal(a, offset, axis1, axis2)


def _diag(v, k=0):
    return functional.diag(v, k)


def _triu(m, k=0):
    return functional.triu(m, k)


def _tril(m, k=0):
    return functional.tril(m, k)


def _inv(a):
    return linalg.inv(a)


def _solve(a, b):
    return linalg.solve(a, b)


def _det(a):
    return linalg.det(a)


def _slogdet(a):
    return linalg.slogdet(a)


#: NumPy function -> the differentiable version.
_FUNCTIONS: dict[Callable, Callable] = {
    np.sum: _sum, np.mean: _mean, np.max: _max, np.amax: _max, np.min: _min,
    np.amin: _min, np.dot: _dot, np.stack: _stack, np.concatenate: _concatenate,
    np.where: _where, np.clip: _clip, np.reshape: _reshape, np.transpose: _transpose,
    np.broadcast_to: _broadcast_to,
    # elementwise, continued
    np.round: _round, np.around: _round,
    # linear algebra (issue 14)
    np.outer: _outer, np.inner: _inner, np.kron: _kron, np.cross: _cross,
    np.tensordot: _tensordot, np.einsum: _einsum, np.trace: _trace,
    np.diagonal: _diagonal, np.diag: _diag, np.triu: _triu, np.tril: _tril,
    np.linalg.inv: _inv, np.linalg.solve: _solve, np.linalg.det: _det,
    np.linalg.slogdet: _slogdet,
}
_FUNCTIONS.update(_REDUCTIONS_CONTINUED)

# ------------------------------------------------------- structure (issue 14)
# NumPy's signatures, handed to the composites in functional (which check the arguments).
def _repeat(a, repeats, axis=None):
    return functional.repeat(a, repeats, axis)


def _tile(A, reps):  # noqa: N803 - NumPy's argument name
    return functional.tile(A, reps)


def _roll(a, shift, axis=None):
    return functional.roll(a, shift, axis)


def _flip(m, axis=None):
    return functional.flip(m, axis)


def _pad(array, pad_width, mode="constant", **kwargs):
    constant_values = kwargs.pop("constant_values", 0)
    _refuse("pad", kwargs)
    return functional.pad(array, pad_width, mode, constant_values)


def _split(ary, indices_or_sections, axis=0):
    return functional.split(ary, indices_or_sections, axis)


def _array_split(ary, indices_or_sections, axis=0):
    return functional.array_split(ary, indices_or_sections, axis)


def _squeeze(a, axis=None):
    return functional.squeeze(a, axis)


def _expand_dims(a, axis):
    return functional.expand_dims(a, axis)


def _swapaxes(a, axis1, axis2):
    return functional.swapaxes(a, axis1, axis2)


def _moveaxis(a, source, destination):
    return functional.moveaxis(a, source, destination)


def _diff(a, n=1, axis=-1, prepend=None, append=None):
    return functional.diff(a, n, axis, prepend, append)


def _ravel(a, order="C"):
    return functional.ravel(a, order)


def _take(a, indices, axis=None, out=None, mode="raise"):
    _refuse("take", {"out": out})
    return functional.take(a, indices, axis, mode)


def _take_along_axis(arr, indices, axis=-1):
    return functional.take_along_axis(arr, indices, axis)


def _flipud(m):
    return functional.flipud(m)


def _fliplr(m):
    return functional.fliplr(m)


def _rot90(m, k=1, axes=(0, 1)):
    return functional.rot90(m, k, axes)


def _rollaxis(a, axis, start=0):
    return functional.rollaxis(a, axis, start)


def _hsplit(ary, indices_or_sections):
    return functional.hsplit(ary, indices_or_sections)


def _vsplit(ary, indices_or_sections):
    return functional.vsplit(ary, indices_or_sections)


def _dsplit(ary, indices_or_sections):
    return functional.dsplit(ary, indices_or_sections)


def _at_least(function):
    def adapter(*arys):
        out = function(*arys)
        return tuple(out) if isinstance(out, list) else out  # NumPy gives a tuple

    return adapter


_FUNCTIONS.update({
    np.repeat: _repeat, np.tile: _tile, np.roll: _roll, np.flip: _flip, np.pad: _pad,
    np.split: _split, np.array_split: _array_split, np.squeeze: _squeeze,
    np.expand_dims: _expand_dims, np.swapaxes: _swapaxes, np.moveaxis: _moveaxis,
    np.diff: _diff, np.ravel: _ravel, np.take: _take, np.take_along_axis: _take_along_axis,
    np.flipud: _flipud, np.fliplr: _fliplr, np.rot90: _rot90, np.rollaxis: _rollaxis,
    np.hsplit: _hsplit, np.vsplit: _vsplit, np.dsplit: _dsplit,
    np.atleast_1d: _at_least(functional.atleast_1d),
    np.atleast_2d: _at_least(functional.atleast_2d),
    np.atleast_3d: _at_least(functional.atleast_3d),
})

#: Functions that answer about the data (shapes, indices, tests, rounding): plain NumPy.
_ON_DATA_FUNCTIONS = frozenset({
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.allclose, np.isclose,
    np.array_equal, np.count_nonzero, np.nonzero, np.result_type,
    np.iscomplexobj, np.isrealobj, np.any, np.all,
})

#: Ufuncs that are composites of rows (the rest of HIPS autograd's elementwise ones).
_UFUNC_COMPOSITES: dict[np.ufunc, Callable] = {
    np.deg2rad: functional.deg2rad, np.radians: functional.radians,
    np.rad2deg: functional.rad2deg, np.degrees: functional.degrees,
    np.logaddexp2: functional.logaddexp2, np.fmax: functional.fmax, np.fmin: functional.fmin,
}
_FUNCTIONS[np.sinc] = lambda x: functional.sinc(x)

#: The NumPy names that work on Values (for errors and the docs).
SUPPORTED = sorted({f.__name__ for f in _FUNCTIONS} | {u.__name__ for u in _UFUNC_OPS}
                   | {u.__name__ for u in _UFUNC_COMPOSITES})


def array_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    """What ``func(*args, **kwargs)`` means when a Value is among the arguments."""
    handler = _FUNCTIONS.get(func)
    if handler is not None:
        return handler(*args, **kwargs)
    if func in _ON_DATA_FUNCTIONS:
        return func(*map(_data, args), **{k: _data(v) for k, v in kwargs.items()})
    raise TypeError(
        f"{func.__module__}.{func.__name__} has no differentiable version in tinygrad_edu: "
        f"on a Value it "
        f"would lose the graph. Call it on v.data (a constant, no gradient), or use one of "
        f"the NumPy functions that work on Values: {', '.join(SUPPORTED)}")
