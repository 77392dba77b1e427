"""Value: one node of the computation graph, for scalars and tensors alike.

A Value holds ``data`` (a Python float for scalars, an ndarray otherwise), ``grad``
(same kind, ``None`` until a backward pass reaches it), and, when an op made it, the
op and its inputs. That is the whole graph: inputs point to nothing downstream and no
closure points back at its output, so a graph is freed by reference counting as soon
as the last Value of it goes away.

Arithmetic on Values calls :func:`apply` (the forward step: run the op's kernel, make
the node) with a row of the op table. Numbers and arrays mixed into an op are
constants. Composite operations (mean, softmax, clip, …) are methods here built from
table rows; :mod:`.functional` offers all of them as free functions.

``v.backward()`` runs the engine (:func:`.backward.run_backward`); the engine imports
this module, so it is imported at the end of it, once ``Value`` exists.

Imports: ``errors``, ``op``, ``ops``, ``context``, ``anomaly``; ``backward`` at the end.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import ops
from .anomaly import check_forward
from .context import (
    CONTEXT,
    next_version,
    note_change,
    note_hook_change,
    set_last_root,
)
from .errors import ShapeError, TraceWarning
from .kernels import check_ddof
from .op import Op, normalize, register_graph, shape_of

__all__ = ["Value", "apply", "as_data", "holds_values", "stack", "describe",
           "warn_if_tracing", "upstream_for"]

Data = float | np.ndarray
Operand = Union["Value", float, int, np.ndarray, Sequence[Any]]


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)
_FLOAT_DTYPES = (_F64, _F32)


def as_data(x: Any, where: str = "Value", copy: bool = False) -> Data:
    """Convert a number, nested list or array to Value data: float, or float ndarray.

    Float32 and float64 arrays keep their dtype; everything else numeric becomes
    float64. Non-numeric input raises ``TypeError`` naming ``where``.

    >>> as_data(np.array(3)), as_data([1, 2]).dtype
    (3.0, dtype('float64'))
    """
    if type(x) is float:
        return x
    if type(x) is np.ndarray and not copy and x.ndim and (x.dtype is _F64 or x.dtype is _F32):
        return x  # constants in a training loop arrive like this every step
    if isinstance(x, (bool, int, float, np.number, np.bool_)):
        if isinstance(x, (complex, np.complexfloating)):
            raise TypeError(f"{where}: complex numbers are not supported, got {x!r}")
        return float(x)
    if isinstance(x, Value):
        return x.data
    if type(x) in _SEQUENCES and holds_values(x):
        raise TypeError(
            f"{where}: the {type(x).__name__} holds Values; making data of it would cut them "
            f"out of the graph (their gradients lost). Use tinygrad_edu.functional.stack(...) "
            f"to keep the graph, or [v.data for v in ...] for a constant copy")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{where}: cannot make numeric data from {type(x).__name__}: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: data must be numeric, got {type(x).__name__} of dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        return float(arr)
    if arr.dtype not in (np.float32, np.float64):
        return arr.astype(np.float64)
    return arr.copy() if copy else arr


def _leaf(data: Data, requires_grad: bool, name: str | None, grad: Data | None) -> Value:
    """A leaf rebuilt by pickle or ``copy.deepcopy``."""
    v = Value(data, requires_grad, name)
    v.grad = grad
    return v


_SEQUENCES = (list, tuple)


def holds_values(seq: Any) -> bool:
    """Whether a (nested) list or tuple contains a Value anywhere.

    >>> holds_values([1.0, [2.0, Value(3.0)]]), holds_values((1.0, 2.0))
    (True, False)
    """
    return any(type(e) is Value or isinstance(e, Value)
               or (type(e) in _SEQUENCES and holds_values(e)) for e in seq)


def stack(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values along a new axis (a reshape of each, then a concatenate); nested lists
    and tuples are stacked first, and numbers in them are constants.

    >>> stack([Value([1.0, 2.0]), Value([3.0, 4.0])], axis=1).data
    array([[1., 3.],
           [2., 4.]])
    """
    items = [stack(v) if type(v) in _SEQUENCES else v if isinstance(v, Value)
             else Value(v, requires_grad=False) for v in values]
    if not items:
        raise ValueError("stack: needs at least one Value")
    shape = items[0].shape
    if any(v.shape != shape for v in items):
        raise ShapeError(f"stack: all shapes must match, got {[v.shape for v in items]}")
    nd = len(shape) + 1
    if not -nd <= axis < nd:
        raise ShapeError(f"stack: axis {axis} out of range for {nd}-d result")
    a = axis % nd
    expanded = [v.reshape(shape[:a] + (1,) + shape[a:]) for v in items]
    return apply(ops.CONCATENATE, tuple(expanded), {"axis": a})


class _HookHandle:
    """Returned by :meth:`Value.register_hook`; ``remove()`` takes the hook off."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn: Callable):
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)
            note_hook_change()


class Value:
    """A scalar or tensor that remembers how it was computed.

    >>> w = Value(2.0, name="w")
    >>> loss = (w * 3.0 - 1.0) ** 2
    >>> loss.backward()
    >>> w.grad          # d/dw (3w − 1)² = 6(3w − 1)
    30.0
    """

    __slots__ = ("_data", "_grad", "_grad_shared", "requires_grad", "name", "_op", "_inputs",
                 "_params", "_hooks", "_program", "_version", "_stamp", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None):
        self._data: Data = as_data(data, "Value", copy=True)
        self._grad: Data | None = None
        self._grad_shared = False  # see grad: _grad may be a view of another node's
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op: Op | None = None
        self._inputs: tuple = ()
        self._params: dict | None = None
        self._hooks: list | None = None
        self._version = 0  # see next_version(): when the data last changed
        self._program = None  # for an output of trace(): a weak reference to its program
        self._stamp = next_version()  # when it was made (see context.py)

    # ------------------------------------------------------------------ basics
    @property
    def grad(self) -> Data | None:
        """The gradient: this pass's for an intermediate node, the sum over passes for a
        leaf (``zero_grad()`` clears). Always an array of its own: editing it in place
        changes no other node's gradient.

        The backward pass may store an intermediate's gradient as a view of a
        neighbour's (a reshape's input gets the reshape's gradient, reshaped); it is
        copied here, at the first read. A training step, which reads only the leaves',
        so never pays for copying every activation's gradient.

        >>> x = Value([1.0, 2.0])
        >>> y = x.reshape(2, 1)
        >>> (y * 3.0).sum().backward()
        >>> y.grad[0, 0] = 99.0           # y's own copy: x's gradient is untouched
        >>> x.grad
        array([3., 3.])
        """
        if self._grad_shared:
            self._grad = self._grad.copy(order="K")  # in its memory order: a straight copy
            self._grad_shared = False
        return self._grad

    @grad.setter
    def grad(self, value: Data | None) -> None:
        self._grad, self._grad_shared = value, False

    @property
    def data(self) -> Data:
        """The value: a Python float for scalars, a float32/float64 ndarray otherwise.

        Assigning it (``w.data = ...``, ``w.data -= lr * w.grad``) is how parameters
        change; a graph made before the change then refuses to backpropagate (it would
        use the new data), with :class:`ChangedInputError` naming this Value.
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if type(value) is not float and not (type(value) is np.ndarray and value.ndim
                                             and (value.dtype is _F64 or value.dtype is _F32)):
            value = as_data(value, "data")
        self._data = value
        self._version = note_change()

    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.data)

    @property
    def ndim(self) -> int:
        return 0 if type(self.data) is float else self.data.ndim

    @property
    def size(self) -> int:
        return 1 if type(self.data) is float else int(self.data.size)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64) if type(self.data) is float else self.data.dtype

    @property
    def op(self) -> Op | None:
        """The table entry that made this Value, or None for a leaf."""
        return self._op

    @property
    def inputs(self) -> tuple:
        """What the op consumed: Values, or raw data for constants."""
        return self._inputs

    @property
    def params(self) -> dict:
        """Non-tensor arguments of the op (axis, shape, index, …)."""
        return self._params or {}

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def item(self) -> float:
        """The value as a Python float (only for one-element Values)."""
        if type(self.data) is float:
            return self.data
        if self.data.size != 1:
            raise ValueError(f"item: only one-element Values convert, this has shape {self.shape}")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:
        return int(self.item())

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self.item(), ndigits)

    def __floor__(self) -> int:
        return math.floor(self.item())

    def __ceil__(self) -> int:
        return math.ceil(self.item())

    def __trunc__(self) -> int:
        return math.trunc(self.item())

    def __format__(self, spec: str) -> str:
        if type(self._data) is float:
            return format(self._data, spec)  # f"{loss:.4f}"
        if spec:
            raise TypeError(f"format spec {spec!r} needs a 0-d Value, this has shape "
                            f"{self.shape} (format v.data[i] or v.tolist())")
        return str(self)

    def tolist(self) -> float | list:
        """The data as Python numbers: a float for a 0-d Value, nested lists otherwise.

        >>> Value([[1.0, 2.0]]).tolist(), Value(3.0).tolist()
        ([[1.0, 2.0]], 3.0)
        """
        return np.asarray(self._data).tolist()

    def __bool__(self) -> bool:
        warn_if_tracing("branched on")
        return bool(self.item())

    def __len__(self) -> int:
        if type(self._data) is float:
            raise TypeError("len() of a 0-d Value")
        return len(self._data)

    def __iter__(self) -> Iterator[Value]:
        """The rows (along the first axis), as NumPy iterates: each is ``self[i]``."""
        if type(self._data) is float:
            raise TypeError("iteration over a 0-d Value")
        return (self[i] for i in range(len(self._data)))

    # Pickling and copying: leaves (parameters) copy like arrays; a node made by an op
    # refuses, since its graph can be millions of nodes deep and holds user callables.
    def __reduce_ex__(self, protocol: Any) -> tuple:
        if self._op is not None:
            raise TypeError(
                f"cannot pickle or copy {describe(self)}: it is a node of a graph. Copy "
                f"its data instead (v.detach(), v.numpy()); save a model's weights with "
                f"tinygrad_edu.io.save")
        if self._hooks:
            raise TypeError(f"cannot pickle or copy {describe(self)}: it has hooks "
                            f"(functions); remove them first")
        grad = self.grad.copy() if isinstance(self.grad, np.ndarray) else self.grad
        return (_leaf, (self._data, self.requires_grad, self.name, grad))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # NumPy converts a Value to an array where no protocol applies: np.asarray(v), and
        # Values inside a list given to NumPy. A Value that needs a gradient would lose it
        # there, silently, so (as PyTorch's .numpy()) only constants convert.
        if self.requires_grad and CONTEXT.grad_enabled:
            raise TypeError(
                "a Value that requires grad cannot become a NumPy array: its gradient would "
                "be lost. Use v.data or v.numpy() for a constant copy; for a list of Values "
                "use tinygrad_edu.functional.stack(...) to keep the graph")
        return np.array(self.data, dtype=dtype)

    # NumPy's protocols: np.exp(v), X @ v, np.sum(v), np.dot(v, w) go through the op
    # table (tinygrad_edu.numpy_protocol) instead of turning v into an array.
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any):
        op = _UFUNC_OPS.get(ufunc)
        if op is not None and method == "__call__" and not kwargs:
            return apply(op, inputs)  # ndarray @ Value and the like: the common case first
        return _numpy_protocol().array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable, types: Any, args: tuple, kwargs: dict):
        return _numpy_protocol().array_function(func, args, kwargs)

    def numpy(self) -> np.ndarray:
        """A copy of the data as an ndarray (0-d for scalars)."""
        return np.array(self.data)

    def detach(self) -> Value:
        """The same data as a new constant: no history, no gradient."""
        v = Value(0.0, requires_grad=False)
        v._data = self._data  # shared, not copied (like PyTorch's detach)
        return v

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes None)."""
        self.grad = None

    def register_hook(self, fn: Callable[[Data], Data | None]) -> _HookHandle:
        """Call ``fn(grad)`` when this node's gradient is complete in a backward pass.

        If ``fn`` returns something other than None, that replaces the gradient (it is
        what the node stores and what flows on to its inputs).
        """
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        note_hook_change()
        return _HookHandle(self._hooks, fn)

    def backward(self, gradient: Any = None) -> None:
        """Backpropagate from this Value: every node reached gets ``.grad``.

        Intermediate nodes get this pass's gradient (fresh); leaves add it to what they
        had (``zero_grad()`` clears). For a non-scalar Value pass ``gradient`` (same
        shape). The engine is :func:`~tinygrad_edu.core.backward.run_backward`.

        >>> x = Value([1.0, 2.0])
        >>> (x * x).sum().backward()
        >>> x.grad
        array([2., 4.])
        """
        upstream = upstream_for(self, gradient, "backward")
        if not self.requires_grad:
            raise ValueError(
                "backward: this Value does not depend on any Value with requires_grad=True "
                "(was it computed under no_grad, or from constants only?)")
        program = self._program() if self._program is not None else None
        if program is not None:  # an output of trace(): its program runs the pass
            program.backward(self, upstream)
        else:
            engine.run_backward((self,), (upstream,))
        set_last_root(self)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        origin = f", op={self._op.name}" if self._op is not None else ""
        if type(self.data) is float:
            grad = "None" if self.grad is None else f"{float(self.grad):.6g}"
            return f"Value({self.data:.6g}, grad={grad}{origin}{label})"
        body = np.array2string(self.data, precision=4, threshold=6, edgeitems=2,
                               separator=", ").replace("\n", "")
        return f"Value({body}, shape={self.shape}, dtype={self.dtype}{origin}{label})"

    # ------------------------------------------------------------ in a notebook
    #: The function that draws a Value for Jupyter. Drawing is ``viz``'s job, a layer
    #: above this one, so ``tinygrad_edu.viz`` puts its function here when it is imported
    #: (``import tinygrad_edu`` does); until then a notebook shows ``repr()``.
    notebook_view: Callable[..., dict[str, str]] | None = None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What Jupyter shows for a Value: the forward graph behind it, as SVG drawn by
        Graphviz's ``dot`` (a text table of the nodes when ``dot`` is missing), at most
        60 nodes (long chains folded, as the drawing says). It reads the graph only: no
        data or ``.grad`` changes. ``repr()`` stays the one-line text.

        >>> sorted(Value(2.0)._repr_mimebundle_(include=["text/plain"]))
        ['text/plain']
        """
        view = Value.notebook_view
        if view is None:
            return {"text/plain": repr(self)}
        return view(self, include=include, exclude=exclude)

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other: Operand) -> Value:
        return apply(ops.ADD, (self, other))

    def __radd__(self, other: Operand) -> Value:
        return apply(ops.ADD, (other, self))

    def __sub__(self, other: Operand) -> Value:
        return apply(ops.SUB, (self, other))

    def __rsub__(self, other: Operand) -> Value:
        return apply(ops.SUB, (other, self))

    def __mul__(self, other: Operand) -> Value:
        return apply(ops.MUL, (self, other))

    def __rmul__(self, other: Operand) -> Value:
        return apply(ops.MUL, (other, self))

    def __truediv__(self, other: Operand) -> Value:
        return apply(ops.DIV, (self, other))

    def __rtruediv__(self, other: Operand) -> Value:
        return apply(ops.DIV, (other, self))

    def __pow__(self, other: Operand) -> Value:
        return apply(ops.POW, (self, other))

    def __rpow__(self, other: Operand) -> Value:
        return apply(ops.POW, (other, self))

    def __matmul__(self, other: Operand) -> Value:
        return apply(ops.MATMUL, (self, other))

    def __rmatmul__(self, other: Operand) -> Value:
        return apply(ops.MATMUL, (other, self))

    def __neg__(self) -> Value:
        return apply(ops.NEG, (self,))

    def __pos__(self) -> Value:
        return self

    # In place, as in PyTorch: under no_grad() (an optimizer step) the data is updated
    # and that counts as a change; while recording, a leaf that requires grad refuses
    # (it would silently become a graph node) and anything else is rebound, x = x + y.
    def __iadd__(self, other: Operand) -> Value:
        return _in_place(self, ops.ADD, other, "+=")

    def __isub__(self, other: Operand) -> Value:
        return _in_place(self, ops.SUB, other, "-=")

    def __imul__(self, other: Operand) -> Value:
        return _in_place(self, ops.MUL, other, "*=")

    def __itruediv__(self, other: Operand) -> Value:
        return _in_place(self, ops.DIV, other, "/=")

    def __ipow__(self, other: Operand) -> Value:
        return _in_place(self, ops.POW, other, "**=")

    def __getitem__(self, index: Any) -> Value:
        return apply(ops.GETITEM, (self,), {"index": _freeze_index(index)})

    # Comparisons are elementwise, as in NumPy and PyTorch, and not differentiable: a
    # Python bool for 0-d Values, a NumPy bool array otherwise. == and != arrays also
    # answer bool(): "all equal" and "any differs", so that `x in [a, b]` works for tensor
    # Values (< and > arrays stay ambiguous, as in NumPy: `if x > 0` on a tensor is a bug).
    def __lt__(self, other: Operand):
        return _compare(np.less, self, other)

    def __le__(self, other: Operand):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Operand):
        return _compare(np.greater, self, other)

    def __ge__(self, other: Operand):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other: object):  # type: ignore[override]
        return _compare(np.equal, self, other)

    def __ne__(self, other: object):  # type: ignore[override]
        return _compare(np.not_equal, self, other)

    __hash__ = object.__hash__  # identity, so Values can key dicts and sets

    # ---------------------------------------------------- elementwise functions
    def exp(self) -> Value:
        return apply(ops.EXP, (self,))

    def log(self) -> Value:
        return apply(ops.LOG, (self,))

    def sqrt(self) -> Value:
        return apply(ops.SQRT, (self,))

    def tanh(self) -> Value:
        return apply(ops.TANH, (self,))

    def sigmoid(self) -> Value:
        return apply(ops.SIGMOID, (self,))

    def log_sigmoid(self) -> Value:
        return apply(ops.LOG_SIGMOID, (self,))

    def relu(self) -> Value:
        return apply(ops.RELU, (self,))

    def abs(self) -> Value:
        return apply(ops.ABS, (self,))

    def __abs__(self) -> Value:
        return self.abs()

    def sin(self) -> Value:
        return apply(ops.SIN, (self,))

    def cos(self) -> Value:
        return apply(ops.COS, (self,))

    def softplus(self) -> Value:
        return apply(ops.SOFTPLUS, (self,))

    def maximum(self, other: Operand) -> Value:
        return apply(ops.MAXIMUM, (self, other))

    def minimum(self, other: Operand) -> Value:
        return apply(ops.MINIMUM, (self, other))

    # elementwise, continued: the ndarray methods and operators among the new rows
    def round(self, decimals: int = 0) -> Value:
        """Round to ``decimals`` digits, halves to even (as ``ndarray.round``); gradient 0.
        With decimals ≠ 0 it is NumPy's composite: round(x·10^d)/10^d."""
        if decimals == 0:
            return apply(ops.ROUND, (self,))
        scale = 10.0 ** int(decimals)
        return apply(ops.ROUND, (self * scale,)) / scale

    def __mod__(self, other: Operand) -> Value:
        return apply(ops.REMAINDER, (self, other))

    def __rmod__(self, other: Operand) -> Value:
        return apply(ops.REMAINDER, (other, self))

    def __imod__(self, other: Operand) -> Value:
        return _in_place(self, ops.REMAINDER, other, "%=")

    def clip(self, low: float | None = None, high: float | None = None) -> Value:
        """Limit to [low, high]; composite of maximum and minimum (gradient 0 outside)."""
        out = self
        if low is not None:
            out = out.maximum(low)
        if high is not None:
            out = out.minimum(high)
        return out

    # --------------------------------------------------------------- reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        return apply(ops.SUM, (self,), _axis_params(axis, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        """Sum divided by the number of elements reduced (a composite)."""
        total = self.sum(axis, keepdims)
        return total / (self.size / max(total.size, 1))

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        return apply(ops.MAX, (self,), _axis_params(axis, keepdims))

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        return -((-self).max(axis, keepdims))

    def logsumexp(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        return apply(ops.LOGSUMEXP, (self,), _axis_params(axis, keepdims))

    def log_softmax(self, axis: int = -1) -> Value:
        return apply(ops.LOG_SOFTMAX, (self,), {"axis": axis})

    def softmax(self, axis: int = -1) -> Value:
        """exp(log_softmax(x)): a composite that stays finite for any input."""
        return self.log_softmax(axis).exp()

    # ---- reductions, continued: NumPy's ndarray methods (ddof and keepdims by keyword:
    # NumPy's positional order puts dtype and out before them)
    def prod(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Value:
        """Product over ``axis``; zeros are exact (each element's derivative is the
        product of the others, computed without dividing)."""
        return apply(ops.PROD, (self,), _axis_params(axis, keepdims))

    def var(self, axis: int | Sequence[int] | None = None, *, ddof: int = 0,
            keepdims: bool = False) -> Value:
        """Σ(x − mean)²/(n − ddof) over ``axis``: a composite of sum, mean and
        arithmetic (smooth; derivative 2(x − mean)/(n − ddof))."""
        n = check_ddof("var", self.shape, axis, ddof)
        centered = self - self.mean(axis, keepdims=True)
        return (centered * centered).sum(axis, keepdims) / float(n - ddof)

    def std(self, axis: int | Sequence[int] | None = None, *, ddof: int = 0,
            keepdims: bool = False) -> Value:
        """√var over ``axis``; gradient 0 at a constant slice (docs/conventions.md)."""
        return apply(ops.STD, (self,), {**_axis_params(axis, keepdims), "ddof": ddof})

    def cumsum(self, axis: int | None = None) -> Value:
        """Running sum along ``axis`` (None: over the flattened Value, as NumPy)."""
        return apply(ops.CUMSUM, (self,), {"axis": _running_axis(axis)})

    def cumprod(self, axis: int | None = None) -> Value:
        """Running product along ``axis`` (None: flattened); zeros are exact."""
        return apply(ops.CUMPROD, (self,), {"axis": _running_axis(axis)})

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Any:
        """Index of the maximum, a plain NumPy integer or array: no gradient (an index
        is not a differentiable quantity)."""
        return np.argmax(self._data, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Any:
        """Index of the minimum, plain NumPy, no gradient."""
        return np.argmin(self._data, axis=axis, keepdims=keepdims)

    # ---------------------------------------------------------------- shapes
    def reshape(self, *shape: Any) -> Value:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(ops.RESHAPE, (self,), {"shape": tuple(int(s) for s in shape)})


    def transpose(self, *axes: Any) -> Value:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply(ops.TRANSPOSE, (self,), {"axes": tuple(int(a) for a in axes) or None})

    @property
    def T(self) -> Value:
        return self.transpose()

    def broadcast_to(self, shape: Sequence[int]) -> Value:
        return apply(ops.BROADCAST_TO, (self,), {"shape": tuple(int(s) for s in shape)})

    # ------------------------------------------------------- structure (issue 14)
    # ndarray's methods among the structure composites, written once in functional.
    def repeat(self, repeats: Any, axis: int | None = None) -> Value:
        """Each element repeated (``np.repeat``; see ``functional.repeat``)."""
        return _functional().repeat(self, repeats, axis)

    def squeeze(self, axis: Any = None) -> Value:
        """Length-1 axes removed (``np.squeeze``; see ``functional.squeeze``)."""
        return _functional().squeeze(self, axis)

    def swapaxes(self, axis1: int, axis2: int) -> Value:
        """Two axes exchanged (``np.swapaxes``; see ``functional.swapaxes``)."""
        return _functional().swapaxes(self, axis1, axis2)

    def take(self, indices: Any, axis: int | None = None, out: None = None,
             mode: str = "raise") -> Value:
        """Elements at ``indices`` (``np.take``; see ``functional.take``)."""
        if out is not None:
            raise TypeError("take: out= is not supported on a Value (it would write outside "
                            "the graph)")
        return _functional().take(self, indices, axis, mode)

    def flatten(self, order: str = "C") -> Value:
        """The elements in one axis (a reshape; see ``functional.flatten``)."""
        return _functional().flatten(self, order)

    def ravel(self, order: str = "C") -> Value:
        """As :meth:`flatten` (``np.ravel``)."""
        return _functional().flatten(self, order)
    # ------------------------------------------- linear algebra and astype (issue 14)
    # As ndarray's methods; the composites live in functional (imported when called).
    def dot(self, b: Operand) -> Value:
        """``np.dot(self, b)`` (see ``functional.dot``)."""
        return _functional().dot(self, b)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Value:
        """The matrix trace, as ``ndarray.trace`` (see ``functional.trace``; the graph
        recorder is ``tinygrad_edu.trace``, a different thing)."""
        return _functional().trace(self, offset, axis1, axis2)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Value:
        """As ``ndarray.diagonal`` (see ``functional.diagonal``)."""
        return _functional().diagonal(self, offset, axis1, axis2)

    def astype(self, dtype: Any) -> Value:
        """Cast to float32 or float64, as ``ndarray.astype`` (see ``functional.astype``)."""
        return _functional().astype(self, dtype)


#: ufunc -> op, read from the table (each entry names its ufunc).
_UFUNC_OPS = {op.ufunc: op for op in ops.OPS.values() if op.ufunc is not None}


def _functional():
    """The module of the composites written as free functions (it imports this one)."""
    from . import functional
    return functional


def _numpy_protocol():
    """The module that answers NumPy functions on Values (it imports this one)."""
    from . import numpy_protocol
    return numpy_protocol


def _axis_params(axis: Any, keepdims: bool) -> dict:
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axis = tuple(int(a) for a in axis)
    elif axis is not None:
        axis = int(axis)
    return {"axis": axis, "keepdims": bool(keepdims)}


def _running_axis(axis: Any) -> Any:
    """A running op's axis as an int (NumPy integers too), None kept; anything else is
    passed on for the op's check to name."""
    return int(axis) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) \
        else axis


def _freeze_index(index: Any) -> Any:
    """Turn Values and lists inside an index into arrays (indices are constants)."""
    if isinstance(index, tuple):
        return tuple(_freeze_index(i) for i in index)
    if isinstance(index, Value):
        index = index.data
    if isinstance(index, (list, np.ndarray)):
        arr = np.asarray(index)
        if arr.size == 0 and arr.dtype.kind == "f":
            return arr.astype(np.intp)  # [] selects nothing, as in NumPy (not a float index)
        if arr.dtype.kind == "f":
            raise TypeError(f"getitem: indices must be integers or booleans, got dtype {arr.dtype}")
        return arr
    return index


def apply(op: Op, inputs: tuple, params: dict | None = None) -> Value:
    """Run ``op`` forward on ``inputs`` and record the node (unless under no_grad).

    Raises ``TypeError`` for non-numeric operands and ``ShapeError`` (a ValueError)
    naming the op and the shapes, before anything is recorded.

    >>> y = apply(ops.MUL, (Value(2.0), 3.0))
    >>> y.data, y.op.name, y.inputs[1]
    (6.0, 'mul', 3.0)
    """
    # This runs once for every node of every graph, so it is written for speed: no
    # ``**{}`` when an op has no params, and the new node's slots are set here rather
    # than through a helper call (docs/guides/speed.md, "The engine's fast paths").
    datas = []
    requires = False
    for x in inputs:
        if type(x) is Value:
            datas.append(x._data)
            if x.requires_grad:
                requires = True
        elif type(x) in _SEQUENCES and holds_values(x):
            # [a, b] mixed into an op: stacked, so a and b keep their gradients
            return apply(op, tuple(stack(i) if type(i) in _SEQUENCES and holds_values(i)
                                   else i for i in inputs), params)
        else:
            datas.append(as_data(x, op.name))
    # Op.run, inlined (it runs for every node of every graph): the kernel, then a
    # ShapeError naming the op and the shapes if it fails, then the result normalised.
    try:
        out = op.forward(*datas, **params) if params else op.forward(*datas)
    except (ValueError, IndexError, TypeError) as error:
        op.reject(datas, params, error)
    if type(out) is not float:
        out = normalize(out)
    v = _new_value(Value)
    v._data = out
    v._grad, v._grad_shared = None, False
    v.name = None
    v._hooks = None
    v._program = None
    v._version = 0
    v._stamp = next_version()
    if CONTEXT.grad_enabled:
        v.requires_grad = requires
        v._op = op
        v._inputs = inputs
        v._params = params or None
    else:
        v.requires_grad = False
        v._op = None
        v._inputs = ()
        v._params = None
    if CONTEXT.watched:
        if CONTEXT.recorder is not None:
            CONTEXT.recorder.append(v)
        if CONTEXT.anomaly:
            check_forward(op, datas, out, v)
    return v


def upstream_for(root: Value, gradient: Any, where: str) -> Any:
    """The upstream gradient a backward pass from ``root`` starts with: 1 for a scalar,
    else ``gradient``, checked (same shape) and copied in ``root``'s dtype.

    >>> upstream_for(Value(2.0), None, "backward")
    1.0
    """
    if gradient is None:
        if root.shape != ():
            raise ShapeError(
                f"{where}: the output has shape {root.shape}; pass gradient= an array of that "
                f"shape (or reduce first, e.g. loss.sum().{where}())")
        return 1.0
    g = as_data(gradient, where, copy=True)
    if shape_of(g) != root.shape:
        raise ShapeError(f"{where}: gradient has shape {shape_of(g)}, output has shape "
                         f"{root.shape}")
    if isinstance(g, np.ndarray) and g.dtype != root.dtype:
        g = g.astype(root.dtype)
    return g


def _in_place(target: Value, op: Op, other: Operand, symbol: str) -> Value:
    """``target op= other``: see the in-place operators of :class:`Value`."""
    other_records = isinstance(other, Value) and other.requires_grad
    if CONTEXT.grad_enabled and (target.requires_grad or other_records):
        if target._op is None and target.requires_grad:
            raise RuntimeError(
                f"{symbol} on {describe(target)}: a leaf Value that requires grad cannot change "
                f"in place while the graph is recorded (it would become a graph node). "
                f"Update it under no_grad() (with no_grad(): w {symbol} ...) or assign w.data")
        return apply(op, (target, other))
    previous, CONTEXT.grad_enabled = CONTEXT.grad_enabled, False
    try:
        result = apply(op, (target, other))._data
    finally:
        CONTEXT.grad_enabled = previous
    if shape_of(result) != target.shape:
        raise ShapeError(f"{symbol}: the result has shape {shape_of(result)} but "
                         f"{describe(target)} has shape {target.shape}; an in-place update "
                         f"cannot change the shape")
    data = target._data
    if type(data) is np.ndarray and data.flags.writeable:
        np.copyto(data, result, casting="same_kind")  # views of the data see the change
        result = data
    target.data = result  # a new version: graphs that used the old data now refuse
    return target


def describe(v: Value) -> str:
    """How errors name a Value: its name, else its op, with the shape.

    >>> describe(Value([1.0, 2.0], name="w")), describe(Value(1.0) * 2)
    ("'w' (shape (2,))", 'the output of mul (shape ())')
    """
    if v.name:
        return f"{v.name!r} (shape {v.shape})"
    if v._op is not None:
        return f"the output of {v._op.name} (shape {v.shape})"
    return f"a leaf Value (shape {v.shape})"


class AllEqual(np.ndarray):
    """What ``==`` gives for tensor Values: elementwise booleans whose ``bool()`` is
    "every element equal" (so ``in`` and ``list.index`` work on lists of Values)."""

    def __bool__(self) -> bool:
        return bool(np.all(np.asarray(self)))


class AnyDiffers(np.ndarray):
    """What ``!=`` gives for tensor Values; ``bool()`` is "some element differs"."""

    def __bool__(self) -> bool:
        return bool(np.any(np.asarray(self)))


_TRUTH = {np.equal: AllEqual, np.not_equal: AnyDiffers}


def _compare(ufunc: np.ufunc, v: Value, other: Any) -> Any:
    warn_if_tracing("compared")
    try:
        other_data = other._data if isinstance(other, Value) else as_data(other, ufunc.__name__)
        result = ufunc(v._data, other_data)
    except (TypeError, ValueError):
        if ufunc in _TRUTH:  # not comparable (another type, shapes that do not broadcast)
            return ufunc is np.not_equal
        raise
    if np.ndim(result) == 0:
        return bool(result)
    truth = _TRUTH.get(ufunc)
    return result if truth is None else result.view(truth)


def warn_if_tracing(what: str) -> None:
    # A comparison gives plain NumPy (not a Value), so `if x > 0:` or a where() mask
    # made from it is fixed at recording time, like a branch on `bool(x)`.
    if CONTEXT.recorder is not None:
        warnings.warn(
            f"trace: Python {what} a Value's data while recording; every replay reuses "
            "what it gave now (make it an op, or do not trace this)",
            TraceWarning, stacklevel=3)


_new_value = object.__new__  # Value has no __new__ of its own; skip the lookup


# Calling a table row with a Value among its inputs records a node: that is how the VJP
# rules build a graph of their own (gradients of gradients).
register_graph(Value, apply)

# The engine and Value need each other: backward.py makes its passes over Values, and
# Value.backward() runs one. The engine module is imported last, once Value exists, and
# read when a pass runs (whichever of the two is imported first).
from . import backward as engine  # noqa: E402
