"""DOT text for computation graphs: the forward graph and each backward frame.

This module owns turning a graph (and, for frames, a recorded backward pass) into
Graphviz DOT text. It is pure Python: no ``dot`` program and no ``graphviz`` package
are needed, and the same graph always gives byte-identical text (node ids come from
the graph's walk order, never from ``id()``).

Picture conventions (the legend in docs/guides/graphs.md):

* Values are rounded boxes; ops are small yellow ellipses between their inputs and
  their output.
* Parameters (leaves with ``requires_grad``) have a thick green border, constants a
  dashed grey one, and the output a double border.
* In a backward frame, nodes already visited are blue, the node being visited is
  orange, and pending nodes are white with grey text. Edges that carried a gradient
  point back at the input (the way the gradient flows) and say
  ``local derivative`` and ``upstream × local = contribution``.

Every piece of text goes through :func:`escape`, so no name can break the DOT or
inject markup, and no label grows past what ``dot`` accepts (a quoted string of 16,384
characters): lines are shortened with an ellipsis and a label has at most
``LABEL_LINES`` lines. Past ``max_nodes`` values, tensors collapse to their shape and long
chains fold into one summary node; what was folded is noted in the graph's title.

Imports: ``viz.graph`` and ``viz.frames`` (their data only). Must not import graphviz.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Value
from .frames import BackwardTrace, Edge, derivative_text
from .graph import Graph, collect, display_name, fmt_data, fmt_number, hang, readable

__all__ = ["escape", "to_dot", "frame_dot", "dot_statements", "state_style", "flow_style",
           "dot_label", "fold_plan", "FoldPlan", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 200
#: Longest line of a label, in characters, and most lines in one label: escaped, 15
#: lines of 200 characters stay below dot's limit of 16,384 for a quoted string.
LINE_LIMIT = 200
LABEL_LINES = 15
#: At most this many neighbours of a frame's node (on each side) are kept from folding.
_NEAR = 8
#: A sum of more parts than this is shown as a count and the total.
SUM_PARTS = 8
# Unicode line separators count as newlines too (str.splitlines, editors do).
_NEWLINE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: A chain shorter than this is never folded (folding 2 nodes saves nothing).
_FOLD_MIN = 3

_COLORS = {
    "op": "#fff3c4", "param": "#dff0d8", "value": "#ffffff", "const": "#f2f2f2",
    "done": "#cfe0fb", "current": "#ffb74d", "pending": "#ffffff",
    "ok": "#b9e6b9", "bad": "#f6b3b3", "summary": "#eeeeee",
    "edge_done": "#1f5fbf", "edge_current": "#d84315", "edge_pending": "#9e9e9e",
}


def escape(text: Any) -> str:
    """Make ``text`` safe inside a DOT double-quoted label; newlines become line breaks.

    Backslashes and quotes are escaped for DOT; ``&``, ``<`` and ``>`` become entities
    (Graphviz decodes entities in labels, so they show as typed and never form markup);
    other control characters, and characters UTF-8 cannot encode, are replaced. Each
    line is shortened to ``LINE_LIMIT`` characters (with an ellipsis).

    >>> escape('a "b"\\\\<c>&\\n')
    'a \\\\"b\\\\"\\\\\\\\&lt;c&gt;&amp;\\\\n'
    """
    lines = [readable(line, LINE_LIMIT) for line in _NEWLINE.split(str(text))]
    s = "\n".join(lines).replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "\\n")
    return "".join(c if c >= " " or c == "\t" else "\ufffd" for c in s).replace("\t", " ")


def _q(text: Any) -> str:
    return _label([text])


def _label(lines: list[Any]) -> str:
    """A quoted label of ``lines`` (each may hold line breaks): at most LABEL_LINES."""
    lines = [part for line in lines for part in _NEWLINE.split(str(line))]
    if len(lines) > LABEL_LINES:
        lines = [*lines[:LABEL_LINES - 1], f"… {len(lines) - LABEL_LINES + 1} more lines"]
    return '"' + "\\n".join(escape(line) for line in lines) + '"'


def dot_label(lines: list[Any]) -> str:
    """``lines`` as one quoted DOT label, escaped and capped as every label here is (for
    drawings built on :func:`dot_statements` elsewhere, e.g. the forward frames).

    >>> print(dot_label(["local 2", "1 × 2 = 2"]))
    "local 2\\n1 × 2 = 2"
    """
    return _label(lines)


def _attrs(**attrs: Any) -> str:
    # Attribute values here are our own constants or already quoted labels.
    return "[" + " ".join(f"{k}={v}" for k, v in attrs.items()) + "]"


# ----------------------------------------------------------------- big graphs
@dataclass
class FoldPlan:
    """Which nodes are drawn, and which hidden ones are drawn as a summary node."""

    shown: list[int]
    hidden_to: dict[int, str] = field(default_factory=dict)      # position -> summary id
    summaries: list[tuple[str, str, list[int]]] = field(default_factory=list)  # id, text, inputs
    notes: list[str] = field(default_factory=list)
    collapsed: bool = False


def fold_plan(graph: Graph, max_nodes: int, protected: set[int] = frozenset()) -> FoldPlan:
    """Which nodes of ``graph`` to show when it has more than ``max_nodes`` values.

    Runs of chain links (see :meth:`Graph.chain_link`) fold into one summary each; if
    still too many remain, those farthest from the output go into one more summary.
    ``protected`` nodes are never folded. ``notes`` says what was done, for the title.

    >>> from tinygrad_edu import Value
    >>> from tinygrad_edu.viz.graph import collect
    >>> v = Value(0.5, name="x")
    >>> for _ in range(100):
    ...     v = v.sin()
    >>> plan = fold_plan(collect(v), 60, {100})
    >>> len(plan.shown), plan.notes[1]
    (2, '99 nodes in 1 long chain(s) folded')
    """
    n = len(graph.nodes)
    if n <= max_nodes:
        return FoldPlan(list(range(n)))
    plan = FoldPlan([], collapsed=True)
    plan.notes.append(f"{n} values, more than max_nodes={max_nodes}: tensors show their "
                      "shape only; constants are not drawn")
    nodes, consumers = graph.nodes, graph.consumers
    links = [k not in protected and graph.chain_link(k) for k in range(n)]

    hidden: set[int] = set()
    folded = 0
    for k in range(n):
        if not links[k]:
            continue
        j = graph.grad_input(k)
        if links[j] and consumers[j][0] == k:
            continue  # not the start of a run
        run = [k]
        while True:
            nxt = consumers[run[-1]][0]
            if links[nxt] and graph.grad_input(nxt) == run[-1]:
                run.append(nxt)
            else:
                break
        if len(run) < _FOLD_MIN:
            continue
        sid = f"s{len(plan.summaries)}"
        counts: dict[str, int] = {}
        for r in run:
            counts[nodes[r].op.name] = counts.get(nodes[r].op.name, 0) + 1
        ops_text = ", ".join(f"{name} ×{c}" for name, c in sorted(counts.items()))
        plan.summaries.append((sid, f"⋯ chain of {len(run)} ops folded\\n{ops_text}", [j]))
        for r in run:
            plan.hidden_to[r] = sid
            hidden.add(r)
        folded += len(run)
    if folded:
        plan.notes.append(f"{folded} nodes in {len(plan.summaries)} long chain(s) folded")
    rest = [k for k in range(n) if k not in hidden]
    if len(rest) > max_nodes:
        # Still too many: keep the nodes closest to the output, summarise the others.
        keep = set(k for k in rest if k in protected)
        for k in reversed(rest):
            if len(keep) >= max_nodes:
                break
            keep.add(k)
        dropped = [k for k in rest if k not in keep]
        sid = f"s{len(plan.summaries)}"
        plan.summaries.append((sid, f"⋯ {len(dropped)} more nodes not drawn", []))
        for k in dropped:
            plan.hidden_to[k] = sid
        plan.notes.append(f"{len(dropped)} nodes farthest from the output not drawn")
        rest = [k for k in rest if k in keep]
    plan.shown = rest
    return plan


# --------------------------------------------------------------- the builder
def _kind(graph: Graph, k: int) -> str:
    v = graph.nodes[k]
    if not v.requires_grad:
        return "const"
    return "param" if v.op is None else "value"


def _shape_text(v: Value) -> str:
    return "(" + ", ".join(str(n) for n in v.shape) + ("," if v.ndim == 1 else "") + ")"


def _value_lines(graph: Graph, k: int, grad_lines: list[str], precision: int,
                 collapsed: bool) -> list[str]:
    v = graph.nodes[k]
    head = display_name(graph, v)
    if v.shape != ():
        head += f"  {_shape_text(v)}"
    lines = [head, hang("data ", fmt_data(v.data, precision, collapsed=collapsed))]
    return lines + grad_lines


def _op_text(v: Value) -> str:
    op = v.op
    text = op.symbol or op.name
    params = {k: p for k, p in v.params.items()
              if p is not None and p is not False and k != "index"}
    if params:
        text += " " + " ".join(f"{k}={p}" for k, p in sorted(params.items()))
    return text


def dot_statements(
    graph: Graph,
    *,
    value_style: Callable[[int], dict[str, str]],
    value_grad_lines: Callable[[int], list[str]],
    edge_style: Callable[[int, int], dict[str, str]],
    title: list[str],
    precision: int = 4,
    max_nodes: int = DEFAULT_MAX_NODES,
    protected: set[int] = frozenset(),
) -> list[str]:
    """The body statements of a drawing (shared by :func:`to_dot` and the renderer).

    ``value_style(k)`` gives node ``k``'s attributes, ``value_grad_lines(k)`` its
    gradient lines, ``edge_style(k, i)`` the attributes of the edge from input ``i`` of
    node ``k`` into its op.
    """
    plan = fold_plan(graph, max_nodes, set(protected) | {len(graph.nodes) - 1})
    notes = [*title, *plan.notes]
    out = [
        "graph " + _attrs(rankdir="BT", nodesep="0.3", ranksep="0.35", fontname='"Helvetica"',
                          fontsize="11", labelloc="t",
                          label=_label(notes) if notes else '""'),
        "node " + _attrs(fontname='"Helvetica"', fontsize="10"),
        "edge " + _attrs(fontname='"Helvetica"', fontsize="9"),
    ]
    shown = set(plan.shown)
    last = len(graph.nodes) - 1
    for sid, text, _ in plan.summaries:
        out.append(f"{sid} " + _attrs(shape="note", style="filled",
                                      fillcolor=f'"{_COLORS["summary"]}"',
                                      label='"' + "\\n".join(escape(t) for t in
                                                            text.split("\\n")) + '"'))
    for k in plan.shown:
        v = graph.nodes[k]
        style = {"shape": "box", **value_style(k)}
        if k == last:
            style["peripheries"] = "2"
        lines = _value_lines(graph, k, value_grad_lines(k), precision, plan.collapsed)
        out.append(f"v{k} " + _attrs(**style, label=_label(lines)))
        if v.op is None or not v.requires_grad:
            continue
        out.append(f"o{k} " + _attrs(shape="ellipse", style="filled", fillcolor=
                                     f'"{_COLORS["op"]}"', fontsize="9",
                                     label=_q(_op_text(v)), tooltip=_q(v.op.doc)))
        out.append(f"o{k} -> v{k} " + _attrs(**edge_style(k, -1)))
        linked: set[str] = set()
        for i, x in enumerate(v.inputs):
            if type(x) is Value:
                j = graph.position(x)
                src = f"v{j}" if j in shown else plan.hidden_to.get(j)
                if src is None or (src.startswith("s") and src in linked):
                    continue
                linked.add(src)
                out.append(f"{src} -> o{k} " + _attrs(**edge_style(k, i)))
            elif not plan.collapsed:
                out.append(f"c{k}_{i} " + _attrs(shape="box", style='"rounded,dashed,filled"',
                                                 fillcolor=f'"{_COLORS["const"]}"',
                                                 fontcolor='"#555555"',
                                                 label=_q(fmt_data(x, precision))))
                out.append(f"c{k}_{i} -> o{k} " + _attrs(color='"#9e9e9e"'))
    for sid, _, inputs in plan.summaries:
        for j in inputs:
            src = f"v{j}" if j in shown else plan.hidden_to.get(j)
            if src is not None and src != sid:
                out.append(f"{src} -> {sid}")
    # A hidden node's consumer that is shown still needs its incoming edge; a folded
    # chain's last node feeds a shown consumer through the summary (added above in
    # the consumer's input loop), so nothing else is needed here.
    return out


def assemble(statements: list[str]) -> str:
    """A whole DOT graph from the statements of :func:`dot_statements`."""
    return "digraph G {\n" + "".join(f"\t{s}\n" for s in statements) + "}\n"


def _kind_style(kind: str) -> dict[str, str]:
    if kind == "param":
        return {"style": '"rounded,filled"', "color": '"#2e7d32"', "penwidth": "2.5"}
    if kind == "const":
        return {"style": '"rounded,dashed,filled"', "color": '"#757575"'}
    return {"style": '"rounded,filled"', "color": '"#424242"'}


# ------------------------------------------------------------- forward graph
def to_dot(
    value: Value,
    *,
    precision: int = 4,
    max_nodes: int = DEFAULT_MAX_NODES,
    check: dict[int, tuple[bool, float, Any]] | None = None,
    grads: dict[int, Any] | None = None,
    title: str | None = None,
) -> str:
    """DOT text of the graph behind ``value``: each node's name or op, data and grad.

    ``check`` maps a leaf's position to ``(matches, max_abs_error, gradient)`` from a
    finite-difference check (see :func:`tinygrad_edu.viz.render.check_leaves`); matching
    leaves are green, the others red, and they show the gradient that was checked.
    ``grads`` maps positions to the gradients to show instead of ``.grad`` (those of
    one recorded pass); without it, a checked leaf shows the gradient it was checked by.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> 'v0 [shape=box' in to_dot(x * x), 'label="x\\\\ndata 2\\\\ngrad None"' in to_dot(x * x)
    (True, True)
    """
    return assemble(forward_statements(value, precision=precision, max_nodes=max_nodes,
                                       check=check, grads=grads, title=title))


def forward_statements(value: Value, *, precision: int = 4,
                       max_nodes: int = DEFAULT_MAX_NODES,
                       check: dict[int, tuple[bool, float, Any]] | None = None,
                       grads: dict[int, Any] | None = None,
                       title: str | None = None) -> list[str]:
    """The statements of :func:`to_dot` (for ``graphviz.Digraph(body=...)``)."""
    if not isinstance(value, Value):
        raise TypeError(f"to_dot: expected a Value, got {type(value).__name__}")
    graph = collect(value)

    def style(k: int) -> dict[str, str]:
        kind = _kind(graph, k)
        s = {**_kind_style(kind), "fillcolor": f'"{_COLORS[kind]}"'}
        if check is not None and k in check:
            s["fillcolor"] = f'"{_COLORS["ok" if check[k][0] else "bad"]}"'
        return s

    def grad_lines(k: int) -> list[str]:
        v = graph.nodes[k]
        if not v.requires_grad:
            return []
        checked = check is not None and k in check
        if grads is not None:
            g = grads.get(k)
        else:
            g = check[k][2] if checked else v.grad
        lines = [hang("grad ", fmt_data(g, precision))]
        if checked:
            ok, err, _ = check[k]
            lines.append(("✓ matches" if ok else "✗ differs from")
                         + f" central differences (max |Δ| {fmt_number(err, 2)})")
        return lines

    return dot_statements(graph, value_style=style, value_grad_lines=grad_lines,
                          edge_style=lambda k, i: {}, title=[title] if title else [],
                          precision=precision, max_nodes=max_nodes)


# ------------------------------------------------------------ backward frames
def state_style(graph: Graph, k: int, state: str) -> dict[str, str]:
    """Node ``k``'s look in a frame (backward or forward): its kind's border, filled by
    its ``state``: ``"done"`` blue, ``"current"`` orange and thick, ``"pending"`` white
    with grey text.

    >>> from tinygrad_edu import Value
    >>> state_style(collect(Value(1.0) * 2.0), 1, "current")["fillcolor"]
    '"#ffb74d"'
    """
    s = {**_kind_style(_kind(graph, k)), "fillcolor": f'"{_COLORS[state]}"'}
    if state == "current":
        s["penwidth"] = "3.5"
    elif state == "pending":
        s["fontcolor"] = '"#8a8a8a"'
    return s


def flow_style(state: str, *, back: bool = False) -> dict[str, str]:
    """An edge's look in a frame: ``"none"`` (nothing flows: a constant) grey,
    ``"pending"`` grey and dashed, ``"done"`` blue, ``"current"`` orange and thick.
    ``back=True`` points the arrow at the input (gradients flow back); otherwise it
    points at the output (tangents flow forward).

    >>> flow_style("current", back=True)["dir"], "dir" in flow_style("done")
    ('back', False)
    """
    if state == "none":
        return {"color": f'"{_COLORS["edge_pending"]}"'}
    if state == "pending":
        return {"color": f'"{_COLORS["edge_pending"]}"', "style": "dashed"}
    color = _COLORS["edge_current" if state == "current" else "edge_done"]
    s = {"color": f'"{color}"', "fontcolor": f'"{color}"'}
    if back:
        s["dir"] = "back"
    if state == "current":
        s["penwidth"] = "2.5"
    return s


def paren(x: Any, precision: int) -> str:
    """A number for a product or sum: negative ones in parentheses, ``(−0.5)``."""
    text = fmt_data(x, precision)
    return f"({text})" if text.startswith("−") else text


def edge_lines(edge: Edge, graph: Graph, precision: int = 4) -> list[str]:
    """An edge's label: the local derivative and ``upstream × local = contribution``.

    The derivative's text names the op's actual inputs (``σ(z)``, not the op table's
    ``σ(x)``); when it is just a number, the number is not repeated.

    >>> from tinygrad_edu import Value
    >>> from tinygrad_edu.viz.frames import trace_backward
    >>> trace = trace_backward(Value(0.0, name="z").sigmoid())
    >>> edge_lines(trace.frames[0].edges[0], trace.graph)
    ['local σ(z)·(1−σ(z)) = 0.25', '1 × 0.25 = 0.25']
    """
    derivative = derivative_text(graph, edge.source, edge.position)
    local_text = f"local {derivative}"
    if edge.local is not None and np.ndim(edge.local) == 0:
        value = fmt_data(edge.local, precision)
        return [local_text if value == derivative else f"{local_text} = {value}",
                f"{paren(edge.upstream, precision)} × {paren(edge.local, precision)}"
                f" = {fmt_data(edge.contribution, precision)}"]
    lines = [local_text]
    if edge.local is not None:
        lines.append(hang("= ", fmt_data(edge.local, precision)))
    summed = "summed over broadcast axes: " if edge.broadcast else ""
    lines.append(hang(f"sends {summed}", fmt_data(edge.contribution, precision)))
    return lines


def sum_text(parts: list[Any], total: Any, precision: int = 4) -> str:
    """``a + b = total`` for a few scalars; a count and the total for tensors or many parts.

    >>> sum_text([1.0, -3.0], -2.0)
    '1 + (−3) = −2'
    >>> sum_text([np.ones(2), np.ones(2)], np.full(2, 2.0))
    'sum of 2 contributions = [2, 2]'
    """
    if len(parts) <= SUM_PARTS and all(np.ndim(p) == 0 for p in parts):
        return " + ".join(paren(p, precision) for p in parts) + f" = {fmt_data(total, precision)}"
    return hang(f"sum of {len(parts)} contributions = ", fmt_data(total, precision))


def frame_dot(trace: BackwardTrace, index: int, *, precision: int = 4,
              max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """DOT text of backward frame ``index`` of ``trace`` (see :func:`trace_backward`).

    >>> from tinygrad_edu import Value
    >>> from tinygrad_edu.viz.frames import trace_backward
    >>> x = Value(3.0, name="x")
    >>> 'x\\\\ndata 3\\\\ngrad 1 + 1 = 2' in frame_dot(trace_backward(x + x), 1)
    True
    """
    return assemble(frame_statements(trace, index, precision=precision, max_nodes=max_nodes))


def frame_statements(trace: BackwardTrace, index: int, *, precision: int = 4,
                     max_nodes: int = DEFAULT_MAX_NODES) -> list[str]:
    """The statements of :func:`frame_dot`."""
    frames = trace.frames
    if not 0 <= index < len(frames):
        raise IndexError(f"frame_dot: frame {index} does not exist; this backward pass has "
                         f"{len(frames)} frames (0 … {len(frames) - 1})")
    graph = trace.graph
    visit = trace.visit
    current = frames[index].node

    def state(k: int) -> str:
        i = visit.get(k)
        if i is None or i > index:
            return "pending"
        return "current" if i == index else "done"

    def grad_lines(k: int) -> list[str]:
        if not graph.nodes[k].requires_grad:
            return []
        arrived = [e for e in trace.incoming.get(k, []) if visit[e.source] <= index]
        st = state(k)
        if st == "pending":
            if not arrived:
                return ["grad pending"]
            parts = [e.contribution for e in arrived]
            return [hang("grad so far ", sum_text(parts, sum(parts), precision))
                    if len(parts) > 1 else hang("grad so far ", fmt_data(parts[0], precision))]
        g = frames[visit[k]].grad
        if len(arrived) > 1:
            return [hang("grad ", sum_text([e.contribution for e in arrived], g, precision))]
        return [hang("grad ", fmt_data(g, precision))]

    def edge_style(k: int, i: int) -> dict[str, str]:
        st = state(k)
        x = graph.nodes[k].inputs[i] if i >= 0 else None
        if i >= 0 and not (type(x) is Value and x.requires_grad):
            return flow_style("none")   # constants get no gradient
        s = flow_style(st, back=True)
        if st == "pending":
            return s
        e = trace.edges.get((k, i))
        if i >= 0 and e is not None:
            s["label"] = _label(edge_lines(e, graph, precision))
        return s

    node = graph.nodes[current]
    title = [f"backward frame {index + 1}/{len(frames)}: visiting "
             f"{display_name(graph, node)}"
             + (f" ({node.op.name})" if node.op is not None and node.requires_grad else "")]
    # The edges of this step stay drawn when a big graph folds: the node, what it sends
    # to, and what sent to it.
    near = {current, *graph.consumers[current][:_NEAR],
            *(e.target for e in frames[index].edges[:_NEAR])}
    return dot_statements(graph, value_style=lambda k: state_style(graph, k, state(k)),
                          value_grad_lines=grad_lines, edge_style=edge_style, title=title,
                          precision=precision, max_nodes=max_nodes, protected=near)
