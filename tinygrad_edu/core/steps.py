"""The steps of a backward pass, each written once: everything that runs or draws a
backward pass (the engine's loop, ``trace()``'s tapes and generated code, the drawings)
calls these.

For one node ``y = op(x₀, x₁, …)`` and its complete gradient ``g``:

1. :func:`check_unchanged` — refuse if an input changed after ``y`` was made;
2. :func:`apply_rule` — input ``i`` receives ``vjp_i(g, y, x₀, x₁, …)``, the op table's rule
   (:func:`call_vjp` names it by position; forward mode's :func:`call_jvp` runs ``jvp_i``);
3. :func:`sum_to_shape` — bring that to ``xᵢ``'s shape and dtype (undo broadcasting);
4. :func:`accumulate` — add it to what ``xᵢ`` has received in this pass;

and when ``xᵢ``'s own turn comes, its gradient is complete: :func:`run_hooks`, then
:func:`store_leaf` for a leaf (gradients add up across passes) or plain assignment for
an intermediate (fresh each pass).

Imports: ``errors``, ``op``, ``ops``, ``rules``, ``value``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import ChangedInputError, ShapeError
from .op import shape_of
from .ops import BROADCAST_TO
from .rules import unbroadcast
from .value import Value, as_data, describe

__all__ = ["apply_rule", "call_vjp", "call_jvp", "sum_to_shape", "accumulate", "store_leaf",
           "check_unchanged", "changed", "run_hooks"]


def apply_rule(rule: Callable[..., Any], node: Value, first: Any, args: Sequence[Any],
               out: Any) -> Any:
    """Run one of the op table's rules for ``node``: a VJP rule on an upstream gradient or
    a JVP rule on a tangent (``first``), with the node's inputs ``args`` and output.

    A rule on Python floats raises ZeroDivisionError where NumPy gives inf or nan
    (1/0.0); the rule is then run again on NumPy scalars, so scalars and arrays agree.

    >>> y = Value(3.0) * 2.0
    >>> apply_rule(y.op.vjps[0], y, 1.0, (3.0, 2.0), 6.0)       # ∂(x·y)/∂x = y
    2.0
    """
    params = node._params
    try:
        # Most ops have no params; calling without ``**{}`` saves a dict a call.
        return rule(first, out, *args, **params) if params else rule(first, out, *args)
    except ZeroDivisionError:
        as_np = lambda a: np.float64(a) if type(a) is float else a  # noqa: E731
        with np.errstate(all="ignore"):
            return rule(as_np(first), as_np(out), *map(as_np, args), **(params or {}))


def call_vjp(node: Value, position: int, g: Any, args: Sequence[Any], out: Any) -> Any:
    """What ``node``'s input ``position`` receives from upstream ``g``: its VJP rule.

    >>> y = Value(3.0) * 2.0
    >>> call_vjp(y, 0, 1.0, (3.0, 2.0), 6.0)       # ∂(x·y)/∂x = y
    2.0
    """
    return apply_rule(node._op.vjps[position], node, g, args, out)


def call_jvp(node: Value, position: int, t: Any, args: Sequence[Any], out: Any) -> Any:
    """What a tangent ``t`` of input ``position`` adds to ``node``'s tangent: its JVP rule.

    >>> y = Value(3.0) * 2.0
    >>> call_jvp(y, 0, 1.0, (3.0, 2.0), 6.0)       # d(x·y) = y·dx
    2.0
    """
    return apply_rule(node._op.jvps[position], node, t, args, out)


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


def accumulate(pending: dict, x: Value, contribution: Any) -> None:
    """Add ``contribution`` to what ``x`` has received in this pass (``pending`` is the
    pass's own: nothing is written on the nodes, so passes in other threads never meet).

    >>> pending = {}
    >>> x = Value(1.0)
    >>> accumulate(pending, x, 2.0); accumulate(pending, x, 3.0)
    >>> pending[x]
    5.0
    """
    previous = pending.get(x)
    pending[x] = contribution if previous is None else previous + contribution


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
    tinygrad_edu.core.errors.ChangedInputError: backward: 'w' (shape (2,)) changed after...
    """
    stamp = node._stamp
    if node._version > stamp:
        changed(node, node)
    for x in node._inputs:
        if type(x) is Value and x._version > stamp:
            changed(node, x)


def changed(node: Value, x: Value) -> None:
    """Raise :class:`ChangedInputError`: ``x`` (an input of ``node``, or ``node``
    itself) changed after ``node`` was made."""
    what = "its own data" if x is node else describe(x)
    raise ChangedInputError(
        f"backward: {what} changed after {node._op.name} used it in the forward pass "
        f"(its data was assigned or updated in place), so the gradient would come from the "
        f"new data: run the forward pass again after the change (an optimizer step "
        f"belongs after backward())")


def run_hooks(node: Value, g: Any, graph: bool) -> Any:
    """Give ``g`` to the node's hooks in order; a hook's non-None result replaces it,
    after a check that it is a gradient for this node (its shape, a numeric dtype)."""
    for hook in tuple(node._hooks):
        replaced = hook(g)
        if replaced is None:
            continue
        data = replaced.data if isinstance(replaced, Value) else replaced
        name = getattr(hook, "__name__", repr(hook))
        if np.asarray(data).dtype.kind not in "fiu":
            raise TypeError(f"hook {name} on {describe(node)}: returned dtype "
                            f"{np.asarray(data).dtype}; a gradient is a number")
        if shape_of(np.asarray(data)) != node.shape:
            raise ShapeError(f"hook {name} on {describe(node)}: returned shape "
                             f"{np.shape(data)}, but the gradient has shape {node.shape}")
        g = sum_to_shape(replaced if graph else as_data(replaced, "hook"), node, graph)
    return g
