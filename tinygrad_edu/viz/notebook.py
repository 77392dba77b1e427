"""A Value in Jupyter: the forward graph behind it, drawn, capped, never an error.

This module owns what a notebook shows for a Value (``Value._repr_mimebundle_`` calls
:func:`value_bundle`, which ``tinygrad_edu.viz`` hands to the core when imported):

* with Graphviz's ``dot`` on PATH, the forward graph as SVG (as :func:`~tinygrad_edu.viz.
  to_dot` draws it) and ``repr()`` as the plain text;
* without ``dot``, or if ``dot`` fails, a text table of the nodes (no error: a notebook
  cell that ends with a Value always shows something);
* in a text-only front end (IPython in a terminal), ``repr()`` alone: nothing is drawn
  that nobody would see.

At most :data:`NOTEBOOK_MAX_NODES` values are shown, in the picture and in the table:
past it long chains fold and far nodes are summed up, as the drawing's title says
(the same plan as :func:`~tinygrad_edu.viz.dot.fold_plan`). Showing a Value reads the
graph only; no data and no ``.grad`` change.

Imports: ``core`` (Value), ``viz.graph``, ``viz.dot``, ``viz.render`` (one run of
``dot``, no graphviz package).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Collection

from ..core import Value
from .dot import assemble, fold_plan, forward_statements
from .graph import Graph, collect, display_name, fmt_data, readable
from .render import INSTALL_HINT, DotError, DotNotFoundError, render_svgs

__all__ = ["value_bundle", "node_table", "wanted", "NOTEBOOK_MAX_NODES"]

#: The most values a notebook shows for one Value (drawn or in the table).
NOTEBOOK_MAX_NODES = 60
SVG, TEXT = "image/svg+xml", "text/plain"
#: Widest cell of the text table, in characters.
_CELL = 40


def wanted(mime: str, include: Collection[str] | None = None,
           exclude: Collection[str] | None = None) -> bool:
    """Does the front end want ``mime``? (IPython's ``include``/``exclude`` arguments,
    and the types its display formatter shows: a terminal shows text only.)

    >>> wanted("image/svg+xml", include=["text/plain"]), wanted("text/plain")
    (False, True)
    """
    if include is not None and mime not in include:
        return False
    if exclude is not None and mime in exclude:
        return False
    ipython = sys.modules.get("IPython")  # only where IPython already runs: never imported
    shell = ipython.get_ipython() if ipython is not None else None
    active = getattr(getattr(shell, "display_formatter", None), "active_types", None)
    return active is None or mime in active


def value_bundle(value: Value, *, include: Collection[str] | None = None,
                 exclude: Collection[str] | None = None,
                 max_nodes: int = NOTEBOOK_MAX_NODES) -> dict[str, str]:
    """What Jupyter shows for ``value``: ``{"image/svg+xml": …, "text/plain": repr}``
    with ``dot``, ``{"text/plain": node table}`` without it.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> value_bundle(x * x, include=["text/plain"])      # nothing to draw for
    {'text/plain': 'Value(4, grad=None, op=mul)'}
    """
    if not isinstance(value, Value):
        raise TypeError(f"value_bundle: expected a Value, got {type(value).__name__}")
    if not wanted(SVG, include, exclude):
        return {TEXT: repr(value)}
    if shutil.which("dot") is None:
        return {TEXT: node_table(value, max_nodes, why="Graphviz's dot program is not on "
                                 f"PATH ({INSTALL_HINT})")}
    source = assemble(forward_statements(value, max_nodes=max_nodes))
    try:
        (svg,) = render_svgs([source], "showing a Value")
    except (DotNotFoundError, DotError) as error:
        return {TEXT: node_table(value, max_nodes, why=str(error))}
    return {SVG: svg, TEXT: repr(value)}


def _row_cells(graph: Graph, k: int, collapsed: bool) -> list[str]:
    v = graph.nodes[k]
    if v.op is not None and v.requires_grad:
        kind = v.op.name
    else:
        kind = "param" if v.requires_grad else "const"
    inputs = []
    if v.op is not None and v.requires_grad:
        for x in v.inputs:
            inputs.append(display_name(graph, x) if type(x) is Value
                          else fmt_data(x, collapsed=True))
    grad = fmt_data(v.grad) if v.requires_grad else "—"
    cells = [str(k), display_name(graph, v), kind, ", ".join(inputs),
             fmt_data(v.data, collapsed=collapsed), grad]
    return [readable(c.replace("\n", ""), _CELL) for c in cells]


def node_table(value: Value, max_nodes: int = NOTEBOOK_MAX_NODES, why: str = "") -> str:
    """The graph behind ``value`` as text, one row per node, inputs first (the drawing's
    stand-in). Past ``max_nodes`` values, chains fold into one row each, as drawn.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> print(node_table(x * x + 1.0))
    Value(5, grad=None, op=add): the graph behind it, inputs first
    #  value  op     inputs   data  grad
    0  x      param           2     None
    1  mul1   mul    x, x     4     None
    2  add2   add    mul1, 1  5     None
    """
    graph = collect(value)
    last = len(graph.nodes) - 1
    plan = fold_plan(graph, max_nodes, {last})
    shown = set(plan.shown)
    rows = [["#", "value", "op", "inputs", "data", "grad"]]
    summaries = {sid: text for sid, text, _ in plan.summaries}
    for k in range(len(graph.nodes)):
        if k in shown:
            rows.append(_row_cells(graph, k, plan.collapsed))
        else:
            sid = plan.hidden_to.get(k)
            if sid in summaries:  # a folded run (or the far nodes): one row, where it starts
                rows.append(["·", summaries.pop(sid).replace("\\n", ": "), "", "", "", ""])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{repr(value)}: the graph behind it, inputs first"
             + (f"; {why}" if why else ""), *plan.notes]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)
