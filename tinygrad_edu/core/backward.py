"""The backward pass: one loop over the graph, from the output back to the leaves.

:func:`run_backward` sorts the graph once (no recursion: a chain of a million nodes is
fine) and visits nodes from the output back to the inputs. When a node is visited,
every contribution to its gradient has arrived, so its gradient ``g`` is complete: it is
stored on the node, passed to the node's hooks, and sent through the op table's VJP
rule to each input (the steps are in :mod:`.steps`).

Rules users rely on:

* every node reached gets its gradient *fresh* for each pass (intermediates never keep
  a stale gradient from the previous pass); gradients never share memory (a view
  is stored marked shared and copied when first read: see Value.grad);
* leaves *accumulate* into ``.grad`` (minibatches add up; ``zero_grad()`` clears);
* a graph whose inputs changed after the forward pass refuses to backpropagate
  (:class:`~tinygrad_edu.core.errors.ChangedInputError`, naming the Value);
* passes in several threads, through shared nodes and parameters too, do not disturb
  each other: a pass keeps its bookkeeping to itself.

With ``create_graph=True`` the VJP rules run on Values instead of arrays, so the
gradients found are themselves differentiable (any order).

Imports: ``anomaly``, ``context``, ``steps``, ``value``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .anomaly import origin_of
from .context import is_anomaly_enabled
from .errors import AnomalyError
from .steps import apply_rule, changed, run_hooks, store_leaf, sum_to_shape
from .value import Value

__all__ = ["run_backward", "topological_order", "backward", "Observer"]

#: Called once per visited node with (node, gradient, contributions); contributions is
#: a list of (input position, input Value, contribution) for each input that gets one.
Observer = Callable[[Value, Any, list], None]


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
    ``create_graph`` runs the VJP rules on Values; ``observer`` sees every visit in the
    order the engine makes it (the graph drawings and ``trace()`` use it).

    >>> x = Value(2.0)
    >>> y = x * x
    >>> found = run_backward((y,), (1.0,), store=False, wanted=(x,))
    >>> found[id(x)], x.grad            # d/dx x² = 2x; store=False leaves .grad alone
    (4.0, None)
    """
    if len(roots) != len(upstreams):
        raise ValueError(f"run_backward: {len(roots)} roots but {len(upstreams)} upstreams")
    pending: dict[Value, Any] = {}  # node -> the gradient it has received so far
    for root, upstream in zip(roots, upstreams, strict=True):
        if root.requires_grad:
            pending[root] = upstream if root not in pending else pending[root] + upstream
    # Nodes whose pending gradient is a view of another node's (or that very array):
    # stored as it is, marked shared, and copied when read (Value.grad), not here.
    views: set[Value] = set()
    wanted_nodes, found = set(wanted), {}
    anomaly = is_anomaly_enabled()
    for node in reversed(topological_order(roots)):
        g = pending.pop(node, None)
        if g is None:
            continue
        if node._hooks:
            if node in views:  # a hook may edit g in place: give it an array of its own
                g = g.copy(order="K")
                views.discard(node)
            g = run_hooks(node, g, create_graph)
        if store:  # leaves add this pass's gradient up, intermediates take it fresh
            if create_graph:  # the data of the Values the rules made (an add's is shared)
                g_data = g.data.copy() if type(g.data) is np.ndarray else g.data
            else:
                g_data = g
            if node._op is None:  # a leaf owns its gradient (optimizers edit it in place)
                store_leaf(node, g_data.copy(order="K") if node in views else g_data)
            else:
                node._grad, node._grad_shared = g_data, node in views
        if wanted_nodes and node in wanted_nodes:
            found[id(node)] = g
        sent = [] if observer is not None else None
        if node._op is not None:
            stamp = node._stamp  # check_unchanged, merged into the loop over the inputs
            if node._version > stamp:
                changed(node, node)
            inputs, vjps = node._inputs, node._op.vjps
            args = inputs if create_graph else [x._data if type(x) is Value else x for x in inputs]
            out = node if create_graph else node._data
            for i, x in enumerate(inputs):
                if type(x) is not Value:
                    continue
                if x._version > stamp:
                    changed(node, x)
                if not x.requires_grad:
                    continue
                c = apply_rule(vjps[i], node, g, args, out)  # the op table's rule
                view = False
                if type(c) is not float or type(x._data) is not float:  # else already fit
                    c = sum_to_shape(c, x, create_graph)
                    if store and type(c) is np.ndarray and (c is g or c.base is not None):
                        # the upstream itself (add) or a view (reshape): node and x share
                        # memory until one of their gradients is read (Value.grad copies)
                        view = node._grad_shared = True
                if anomaly:
                    _check_finite(c, i, node)
                previous = pending.get(x)
                if previous is None:
                    pending[x] = c
                    if view:
                        views.add(x)
                else:
                    pending[x] = previous + c
                    views.discard(x)
                if sent is not None:
                    sent.append((i, x, c))
        if observer is not None:
            observer(node, g, sent)
    return found


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
    # Every node is made after its inputs and takes a rising number when it is made (its
    # ``_stamp``), so the nodes reached, sorted by stamp, are in topological order.
    # What the search has seen is kept in a set of this pass's own, not on the nodes.
    # Values hash by identity, so the nodes themselves are the keys.
    seen = {r for r in roots if r.requires_grad}
    stack = list(seen)
    push, pop, see = stack.append, stack.pop, seen.add
    while stack:
        for x in pop()._inputs:
            if type(x) is Value and x.requires_grad and x not in seen:
                see(x)
                push(x)
    return sorted(seen, key=_made_at)


def _check_finite(c: Any, position: int, node: Value) -> None:
    data = c.data if isinstance(c, Value) else c
    if not np.all(np.isfinite(data)):
        where = origin_of(node)
        made = f"; the node was made at {where}" if where else ""
        raise AnomalyError(
            f"{node._op.name}: gradient for input {position} is not finite "
            f"(output shape {node.shape}, output data {node._data!r}{made})")


def backward(root: Value, gradient: Any = None) -> None:
    """``root.backward(gradient)`` as a function (see :meth:`Value.backward`).

    >>> x = Value([1.0, 2.0])
    >>> backward((x * x).sum())
    >>> x.grad
    array([2., 4.])
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}")
    root.backward(gradient)
