"""Reverse-mode differentiation: the backward pass and the functional API.

The engine is one loop (:func:`run_backward`). It sorts the graph once, iteratively
(a chain of a million nodes is fine), then visits nodes from the output back to the
inputs. When a node is visited, every contribution to its gradient has arrived, so its
gradient is complete: it is stored on the node, passed to the node's hooks, and
multiplied through the op table's VJP rules into the node's inputs.

Gradient rules users rely on:

* every node reached gets its gradient *fresh* for each pass (intermediates never keep a
  stale gradient from the previous pass); intermediate gradients never share memory
  with each other, and leaves' are arrays of their own;
* leaves *accumulate* into ``.grad`` (minibatches add up; ``zero_grad()`` clears);
* a non-scalar output needs an explicit upstream ``gradient``;
* a graph whose inputs changed after the forward pass refuses to backpropagate
  (:class:`ChangedInputError`, naming the Value);
* a hook's result must have the gradient's shape and a float dtype;
* passes in several threads, through shared nodes and parameters too, do not disturb
  each other: a pass keeps its bookkeeping (the sort, the gradients on their way) to
  itself, and adding into a leaf's ``.grad`` is done under a lock.

With ``create_graph=True`` the VJP rules run on Values instead of arrays, so the
gradients returned by :func:`grad` are themselves differentiable (any order).

Imports: ``ops`` and ``value``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import operator
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .ops import BROADCAST_TO, ShapeError, shape_of, unbroadcast
from .value import (
    AnomalyError,
    ChangedInputError,
    Value,
    as_data,
    describe,
    is_anomaly_enabled,
    origin_of,
    set_anomaly_enabled,
    set_grad_enabled,
)

__all__ = [
    "backward", "grad", "value_and_grad", "jacobian", "hessian", "no_grad", "enable_grad",
    "detect_anomaly", "topological_order", "run_backward", "AnomalyError", "ChangedInputError",
    "last_backward_root",
]

#: Called once per visited node with (node, gradient, contributions); contributions is
#: a list of (input position, input Value, contribution) for each input that gets one.
Observer = Callable[[Value, Any, list], None]


class _Flags(threading.local):
    last_root: weakref.ref | None = None  # the output of this thread's latest backward()

    def __init__(self) -> None:
        #: Grad-mode settings saved by the ``no_grad``/``enable_grad`` blocks this thread
        #: is inside. One stack per thread serves every context: blocks nest.
        self.saved_modes: list[bool] = []


_FLAGS = _Flags()


# ------------------------------------------------------------------- grad mode
class _GradModeContext(contextlib.ContextDecorator):
    """Sets graph recording for the current thread; usable as ``with`` and ``@``."""

    enabled = True

    # The saved setting lives on a per-thread stack shared by all contexts (blocks nest
    # in LIFO order), not on the instance: a ``threading.local`` per ``no_grad()`` cost
    # more than the rest of a small training step's update.
    def __enter__(self) -> None:
        _FLAGS.saved_modes.append(set_grad_enabled(self.enabled))

    def __exit__(self, *exc: object) -> bool:
        set_grad_enabled(_FLAGS.saved_modes.pop())
        return False

    def __call__(self, fn: Callable) -> Callable:
        if not inspect.isgeneratorfunction(fn):
            return super().__call__(fn)

        # A generator runs its body between next() calls, after a plain decorator's
        # block has ended: enter the mode around each resumption instead.
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any):
            inner = fn(*args, **kwargs)
            sent = None
            while True:
                with self:
                    try:
                        item = inner.send(sent)
                    except StopIteration as stop:
                        return stop.value
                sent = yield item

        return generator


class no_grad(_GradModeContext):
    """Do not record the graph (inference, optimizer updates). Per thread; works as a
    ``with`` block and as a decorator, on generator functions too.

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradModeContext):
    """Record the graph again inside a ``no_grad`` block.

    >>> with no_grad(), enable_grad():
    ...     y = Value(3.0) * 2
    >>> y.requires_grad
    True
    """

    enabled = True


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first nan or inf, naming the op and the line.

    Forward: every op checks its result and notes the line of user code that made it.
    Backward: every gradient is checked, and the error names where its node was made.

    >>> y = Value(0.0).sqrt()          # d/dx √x = 1/(2√x): infinite at 0
    >>> with detect_anomaly():
    ...     try:
    ...         y.backward()
    ...     except AnomalyError as error:
    ...         print(str(error).split(" (")[0])
    sqrt: gradient for input 0 is not finite
    """
    previous = set_anomaly_enabled(True)
    try:
        yield
    finally:
        set_anomaly_enabled(previous)


# ------------------------------------------------------------------- the engine
_made_at = operator.attrgetter("_stamp")


def topological_order(roots: Value | Sequence[Value]) -> list[Value]:
    """Nodes that need a gradient, each after all of its inputs (no recursion).

    Only Values with ``requires_grad`` are included: constants never get a gradient.

    >>> a = Value(1.0, name="a")
    >>> b = a * 2.0
    >>> [v.name or v.op.name for v in topological_order(b + a)]
    ['a', 'mul', 'add']
    """
    if isinstance(roots, Value):
        roots = (roots,)
    # Every node is made after its inputs and takes a number from one rising counter when
    # it is made (its ``_stamp``), so sorting the nodes reached by their stamps is a
    # topological order. Reaching them is a plain search; what it has seen is kept in a
    # set of this pass's own (not on the nodes), so passes in other threads never meet.
    # Values hash by identity, so nodes themselves are the keys.
    order: list[Value] = [r for r in roots if r.requires_grad]
    seen = set(order)
    stack = list(order)
    push, pop, see = stack.append, stack.pop, seen.add
    while stack:
        for x in pop()._inputs:
            if type(x) is Value and x.requires_grad and x not in seen:
                see(x)
                push(x)
    order = list(seen)
    order.sort(key=_made_at)
    return order


def sum_to_shape(contribution: Any, target: Value, graph: bool = False) -> Any:
    """Bring a VJP result to its input's shape and dtype: broadcasting undone by summing
    (a (3,) bias added to (4, 3) rows gets the sum of the 4 rows' gradients).

    >>> sum_to_shape(np.ones((4, 3)), Value(np.zeros(3)))
    array([4., 4., 4.])
    """
    data = target._data
    if graph:
        if shape_of(contribution) != shape_of(data):
            contribution = _reshape_to(contribution, shape_of(data))
        return contribution
    if type(data) is float:
        return contribution if type(contribution) is float else float(np.sum(contribution))
    if type(contribution) is float or contribution.shape != data.shape:
        contribution = _reshape_to(contribution, data.shape)
    if contribution.dtype != data.dtype:
        contribution = contribution.astype(data.dtype)
    return contribution


def _reshape_to(contribution: Any, shape: tuple[int, ...]) -> Any:
    c_shape = shape_of(contribution)
    full = np.broadcast_shapes(c_shape, shape)
    if full != c_shape:  # a contribution smaller than its input: spread it out first
        contribution = BROADCAST_TO(contribution, shape=full)
    return unbroadcast(contribution, shape)


def call_vjp(node: Value, position: int, g: Any, args: Sequence, out: Any) -> Any:
    """The op table's VJP rule of ``node`` for input ``position``: what it sends back.

    A rule on Python floats raises ZeroDivisionError where NumPy gives inf or nan
    (1/0.0); the rule is then run again on NumPy scalars, so scalars and arrays agree.

    >>> x = Value(3.0)
    >>> y = x * 2.0
    >>> call_vjp(y, 0, 1.0, (3.0, 2.0), 6.0)       # ∂(x·y)/∂x = y
    2.0
    """
    rule = node._op.vjps[position]
    params = node._params
    try:
        # Most ops have no params; calling without ``**{}`` saves a dict a call.
        return rule(g, out, *args, **params) if params else rule(g, out, *args)
    except ZeroDivisionError:
        as_np = lambda a: np.float64(a) if type(a) is float else a  # noqa: E731
        with np.errstate(all="ignore"):
            return rule(as_np(g), as_np(out), *map(as_np, args), **(params or {}))


#: Adding into a leaf's .grad reads and writes it: under a lock, so that passes in two
#: threads sharing a parameter never lose one's contribution.
_LEAF_LOCK = threading.Lock()


def store_leaf(node: Value, g: Any) -> None:
    """Add ``g`` into a leaf's ``.grad`` (the first gradient is kept as it is: the engine
    hands every node an array of its own).

    >>> w = Value(1.0)
    >>> store_leaf(w, 2.0); store_leaf(w, 3.0)
    >>> w.grad
    5.0
    """
    with _LEAF_LOCK:
        node.grad = g if node.grad is None else node.grad + g


def check_unchanged(node: Value) -> None:
    """Refuse a node whose data, or an input's, changed after the node was made.

    >>> w = Value([1.0, 2.0], name="w")
    >>> y = w * w
    >>> w.data = [0.0, 1.0]
    >>> check_unchanged(y)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinygrad_edu.value.ChangedInputError: backward: 'w' (shape (2,)) changed after mul used it...
    """
    stamp = node._stamp
    if node._version > stamp:
        _changed(node, node)
    for x in node._inputs:
        if type(x) is Value and x._version > stamp:
            _changed(node, x)


def _changed(node: Value, x: Value) -> None:
    what = "its own data" if x is node else describe(x)
    raise ChangedInputError(
        f"backward: {what} changed after {node._op.name} used it in the forward pass "
        f"(its data was assigned or updated in place), so the gradient would come from the "
        f"new data: run the forward pass again after the change (an optimizer step "
        f"belongs after backward())")


def run_backward(
    roots: Sequence[Value],
    upstreams: Sequence[Any],
    *,
    create_graph: bool = False,
    store: bool = True,
    wanted: Sequence[Value] = (),
    observer: Observer | None = None,
) -> dict[int, Any]:
    """The backward pass. Returns the gradients of ``wanted`` nodes, keyed by ``id``.

    ``store`` writes ``.grad`` (fresh on intermediates, accumulated on leaves);
    ``create_graph`` runs the VJP rules on Values; ``observer`` sees every visit in
    the order the engine makes it (the graph drawings use it).

    >>> x = Value(2.0)
    >>> y = x * x
    >>> found = run_backward((y,), (1.0,), store=False, wanted=(x,))
    >>> found[id(x)], x.grad            # d/dx x² = 2x; store=False leaves .grad alone
    (4.0, None)
    """
    if len(roots) != len(upstreams):
        raise ValueError(f"run_backward: {len(roots)} roots but {len(upstreams)} upstreams")
    order = topological_order(roots)
    pending: dict[Value, Any] = {}  # node -> the gradient it has received so far
    for root, upstream in zip(roots, upstreams, strict=True):
        if root.requires_grad:
            previous = pending.get(root)
            pending[root] = upstream if previous is None else previous + upstream
    wanted_ids = {id(w) for w in wanted}
    found: dict[int, Any] = {}
    anomaly = is_anomaly_enabled()
    for node in reversed(order):
        g = pending.pop(node, None)
        if g is None:
            continue
        if node._hooks:
            g = _run_hooks(node, g, create_graph)
        if store:
            if create_graph:  # the data of Values the rules made (an add's is shared)
                stored = g.data.copy() if type(g.data) is np.ndarray else g.data
            else:
                stored = g
            if node._op is None:
                store_leaf(node, stored)
            else:
                node.grad = stored
        if wanted_ids and id(node) in wanted_ids:
            found[id(node)] = g
        if node._op is None:
            if observer is not None:
                observer(node, g, [])
            continue
        inputs = node._inputs
        stamp = node._stamp
        if node._version > stamp:
            _changed(node, node)
        args = inputs if create_graph else [x._data if type(x) is Value else x for x in inputs]
        out = node if create_graph else node._data
        sent: list = []
        for i, x in enumerate(inputs):
            if type(x) is not Value:
                continue
            if x._version > stamp:
                _changed(node, x)
            if not x.requires_grad:
                continue
            c = call_vjp(node, i, g, args, out)
            # A float contribution for a float input is already fitted (deep scalar
            # graphs are almost all such edges, so skip the call).
            if type(c) is not float or type(x._data) is not float:
                c = sum_to_shape(c, x, create_graph)
                if store and type(c) is np.ndarray and (c is g or c.base is not None):
                    # an add passes its upstream on, a reshape a view of it: each node
                    # gets a gradient of its own (writing into one never changes another)
                    c = c.copy()
            if anomaly:
                _check_finite(c, i, node)
            previous = pending.get(x)
            pending[x] = c if previous is None else previous + c
            if observer is not None:
                sent.append((i, x, c))
        if observer is not None:
            observer(node, g, sent)
    return found


def _run_hooks(node: Value, g: Any, graph: bool) -> Any:
    """Give ``g`` to the node's hooks in order; a hook's non-None result replaces it,
    after a check that it is a gradient for this node (shape and float dtype)."""
    for hook in tuple(node._hooks):
        replaced = hook(g)
        if replaced is None:
            continue
        data = replaced.data if isinstance(replaced, Value) else replaced
        kind = np.asarray(data).dtype.kind
        name = getattr(hook, "__name__", repr(hook))
        if kind not in "fiu":
            raise TypeError(f"hook {name} on {describe(node)}: returned dtype "
                            f"{np.asarray(data).dtype}; a gradient is a number")
        if shape_of(np.asarray(data)) != node.shape:
            raise ShapeError(f"hook {name} on {describe(node)}: returned shape "
                             f"{np.shape(data)}, but the gradient has shape {node.shape}")
        g = sum_to_shape(replaced if graph else as_data(replaced, "hook"), node, graph)
    return g


def _check_finite(c: Any, position: int, node: Value) -> None:
    data = c.data if isinstance(c, Value) else c
    if not np.all(np.isfinite(data)):
        where = origin_of(node)
        made = f"; the node was made at {where}" if where else ""
        raise AnomalyError(
            f"{node._op.name}: gradient for input {position} is not finite "
            f"(output shape {node.shape}, output data {node._data!r}{made})"
        )


def _upstream_for(root: Value, gradient: Any, where: str) -> Any:
    if gradient is None:
        if type(root.data) is float:
            return 1.0
        if root.shape != ():
            raise ShapeError(
                f"{where}: the output has shape {root.shape}; pass gradient= an array of that "
                f"shape (or reduce first, e.g. loss.sum().{where}())"
            )
        return 1.0
    g = as_data(gradient, where, copy=True)
    if shape_of(g) != root.shape:
        raise ShapeError(
            f"{where}: gradient has shape {shape_of(g)}, output has shape {root.shape}"
        )
    if isinstance(g, np.ndarray) and g.dtype != root.dtype:
        g = g.astype(root.dtype)
    return g


def backward(root: Value, gradient: Any = None) -> None:
    """Backpropagate from ``root``: every node reached gets ``.grad``.

    Intermediate nodes get this pass's gradient (fresh); leaves add it to what they
    had. For a non-scalar ``root`` pass ``gradient`` (same shape).

    >>> x = Value([1.0, 2.0])
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4.])
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}")
    upstream = _upstream_for(root, gradient, "backward")
    if not root.requires_grad:
        raise ValueError(
            "backward: this Value does not depend on any Value with requires_grad=True "
            "(was it computed under no_grad, or from constants only?)"
        )
    entry = _REPLAYS.get(id(root)) if _REPLAYS else None
    replayer = entry[1]() if entry is not None and entry[0]() is root else None
    if replayer is not None:
        replayer.backward(root, upstream)  # an output of a traced function: its tape
        _FLAGS.last_root = entry[0]
    else:
        run_backward((root,), (upstream,))
        _FLAGS.last_root = weakref.ref(root)


#: id(output of a traced function) -> (weak reference to it, weak reference to its tape).
#: Weak both ways: the table is global, and must keep neither graphs nor tapes alive.
_REPLAYS: dict[int, tuple[weakref.ref, weakref.ref]] = {}


def register_replay(output: Value, replayer: Any) -> None:
    """Make ``output.backward()`` call ``replayer.backward(output, upstream)`` while the
    replayer (a traced function's tape) is alive; the general engine runs otherwise."""
    key = id(output)

    def forget(ref: weakref.ref) -> None:
        if _REPLAYS.get(key, (None,))[0] is ref:
            del _REPLAYS[key]

    _REPLAYS[key] = (weakref.ref(output, forget), weakref.ref(replayer))


def unregister_replay(output: Value) -> None:
    """Undo :func:`register_replay`: ``output.backward()`` runs the general engine again."""
    entry = _REPLAYS.get(id(output))
    if entry is not None and entry[0]() is output:
        del _REPLAYS[id(output)]


def last_backward_root() -> Value | None:
    """The output of this thread's latest ``backward()``, while it is still alive.

    ``viz.explain(w)`` uses it, so that after ``loss.backward()`` one can ask how ``w``'s
    gradient was made without passing ``loss`` again. Held weakly: it keeps no graph alive.

    >>> w = Value(2.0)
    >>> loss = w * w
    >>> loss.backward()
    >>> last_backward_root() is loss
    True
    """
    ref = _FLAGS.last_root
    return None if ref is None else ref()


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    create_graph: bool = False,
) -> tuple[Value, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    With ``create_graph=True`` the results are Values with a graph of their own, so
    they can be differentiated again. Inputs that the outputs do not depend on get
    zeros.

    >>> x = Value(3.0)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = grad(dx, x)
    >>> float(dx), float(d2x)       # 3x², 6x
    (27.0, 18.0)
    """
    ins = _values(inputs, "grad", "inputs")
    if isinstance(outputs, Value):
        outs, grad_outs = (outputs,), (grad_outputs,)
    else:
        outs = _values(outputs, "grad", "outputs")
        grad_outs = (None,) * len(outs) if grad_outputs is None else tuple(grad_outputs)
    if len(grad_outs) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(grad_outs)} grad_outputs")
    upstreams = []
    for out, g in zip(outs, grad_outs, strict=True):
        if create_graph and isinstance(g, Value):
            if g.shape != out.shape:
                raise ShapeError(f"grad: grad_output has shape {g.shape}, output has {out.shape}")
            upstreams.append(g)
            continue
        raw = _upstream_for(out, g.data if isinstance(g, Value) else g, "grad")
        upstreams.append(Value(raw, requires_grad=False) if create_graph else raw)
    if create_graph:
        with enable_grad():
            found = run_backward(outs, upstreams, create_graph=True, store=False, wanted=ins)
    else:
        found = run_backward(outs, upstreams, store=False, wanted=ins)
    results = []
    for x in ins:
        g = found.get(id(x))
        if g is None:
            g = np.zeros(x.shape, dtype=x.dtype) if x.shape else 0.0
        results.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(results)


def _values(x: Any, where: str, what: str) -> tuple[Value, ...]:
    """``x`` as a tuple of Values (one Value or a sequence of them), or a clear TypeError."""
    if isinstance(x, Value):
        return (x,)
    if isinstance(x, (list, tuple)) and all(isinstance(v, Value) for v in x):
        return tuple(x)
    got = type(x).__name__ if not isinstance(x, (list, tuple)) else \
        f"a {type(x).__name__} holding " + ", ".join(sorted({type(v).__name__ for v in x}))
    raise TypeError(f"{where}: {what} must be a Value or a list of Values (those the "
                    f"output was computed from), got {got}")


def _check_output(y: Any, where: str) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"{where}: f must return a Value computed from its argument, got "
                        f"{type(y).__name__}")
    return y


def value_and_grad(
    f: Callable[..., Value], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Turn ``f`` into a function returning ``(f(*args) data, gradient(s))`` as arrays.

    >>> vg = value_and_grad(lambda x: (x * x).sum())
    >>> vg(np.array([1.0, 2.0]))
    (5.0, array([2., 4.]))
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def wrapped(*args: Any):
        values = [Value(a) if i in nums else a for i, a in enumerate(args)]
        out = _check_output(f(*values), "value_and_grad")
        grads = grad(out, [values[i] for i in nums])
        arrays = tuple(g.data for g in grads)
        return out.data, (arrays[0] if single else arrays)

    return wrapped


def _unit(shape: tuple[int, ...], flat_index: int) -> Any:
    e = np.zeros(shape)
    e.flat[flat_index] = 1.0
    return e if shape else 1.0


def jacobian(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The Jacobian of ``f`` at ``x``: shape ``f(x).shape + x.shape``, one backward per output.

    >>> jacobian(lambda v: v * v, np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    xv = Value(x)
    y = _check_output(f(xv), "jacobian")
    rows = []
    for j in range(y.size):
        (g,) = grad(y, xv, grad_outputs=_unit(y.shape, j))
        rows.append(np.asarray(g.data, dtype=float))
    return np.array(rows).reshape(y.shape + xv.shape)


def hessian(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The Hessian of a scalar ``f`` at ``x``: shape ``x.shape + x.shape`` (grad of grad).

    >>> hessian(lambda v: (v ** 3.0).sum(), np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    xv = Value(x)
    y = _check_output(f(xv), "hessian")
    if y.shape != ():
        raise ShapeError(f"hessian: f must return a scalar, got shape {y.shape}")
    (gx,) = grad(y, xv, create_graph=True)
    if not gx.requires_grad:  # the gradient does not depend on x: f is linear
        return np.zeros(xv.shape + xv.shape)
    rows = []
    for j in range(xv.size):
        (h,) = grad(gx, xv, grad_outputs=_unit(xv.shape, j))
        rows.append(np.asarray(h.data, dtype=float))
    return np.array(rows).reshape(xv.shape + xv.shape)
