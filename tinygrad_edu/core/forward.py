"""Forward mode: push tangents from the inputs through a recorded graph to its outputs.

Reverse mode (:mod:`.backward`) reads each row's VJP rules from the output back;
forward mode reads the same rows' JVP rules from the inputs on. For one node ``y =
op(x₀, x₁, …)`` whose inputs carry tangents ``tᵢ``, its tangent is ``Σᵢ jvpᵢ(tᵢ, y, x₀,
x₁, …)``: the Jacobian times the inputs' tangents, one column of information per pass
where reverse mode gives one row. So forward mode is the cheaper one when a function
has few inputs and many outputs, reverse mode when it has many inputs and one output
(a loss) — docs/guides/forward_mode.md puts them side by side.

The graph is recorded as usual (Values, ``apply``); the tangents run on raw data.

Imports: ``backward`` (the topological order), ``steps``, ``value``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .backward import topological_order
from .op import shape_of
from .steps import apply_rule
from .value import Value

__all__ = ["run_forward_mode", "Observer"]

#: Called once per node that gets a tangent, in the order they are computed, with (node,
#: tangent, contributions); contributions is a list of (input position, input Value,
#: what that input's tangent added).
Observer = Callable[[Value, Any, list], None]


def run_forward_mode(outputs: Sequence[Value], seeds: Mapping[Value, Any],
                     observer: Observer | None = None) -> dict[int, Any]:
    """Tangents of every node the seeds reach, keyed by ``id`` (outputs included).

    ``seeds`` maps input Values to their tangents (same shape as their data).

    >>> x = Value(3.0)
    >>> y = (x * x).sin()
    >>> run_forward_mode([y], {x: 1.0})[id(y)] == float(np.cos(9.0) * 6.0)  # cos(x²)·2x·dx
    True
    """
    tangents: dict[Value, Any] = dict(seeds)
    for node in topological_order(list(outputs)):
        if node._op is None or node in seeds:
            continue
        inputs, jvps = node._inputs, node._op.jvps
        args = [x._data if type(x) is Value else x for x in inputs]
        out = node._data
        sent = []
        total = None
        for i, x in enumerate(inputs):
            t = tangents.get(x) if type(x) is Value else None
            if t is None:
                continue
            c = _fit(apply_rule(jvps[i], node, t, args, out), out)  # the op table's JVP rule
            total = c if total is None else total + c
            sent.append((i, x, c))
        if total is not None:
            tangents[node] = total
            if observer is not None:
                observer(node, total, sent)
    return {id(v): t for v, t in tangents.items()}


def _fit(contribution: Any, out: Any) -> Any:
    """A JVP result as a tangent of ``out``: broadcast to its shape, in its dtype."""
    if type(out) is float:
        return contribution if type(contribution) is float else float(np.sum(contribution))
    if shape_of(contribution) != out.shape:
        contribution = np.broadcast_to(contribution, out.shape)
    return np.asarray(contribution, dtype=out.dtype)
