"""Forward-mode frames: tangents flowing from the inputs to the output, one frame per node.

The forward-mode twin of the backward frames. :func:`trace_forward` records what
:func:`tinygrad_edu.core.forward.run_forward_mode` does (it computes no tangent itself:
the engine's observer reports each node's tangent and what each input's tangent added);
:func:`forward_frame_dot` / :func:`draw_forward_frame` draw one frame and
:func:`forward_html` writes the stepper page, all through the backward drawings' hooks
(:func:`~tinygrad_edu.viz.dot.dot_statements`, ``state_style``, ``flow_style``,
:func:`~tinygrad_edu.viz.html.html_page`), so both modes look and step alike.

Picture conventions: the seeded inputs come first (their tangent is the direction
chosen), then every node in the order forward mode computes it. The node whose tangent
was just computed is orange, earlier ones blue, later ones white. Edges point the way
tangents flow, input → output, and say the op table's JVP rule (``Op.jvp_text``) with
the operands named and the input's tangent written ``d`` + its name (``dW_o``), then the
numbers: ``dz·σ(z)·(1−σ(z)) = 1 × 0.25 = 0.25``. Values no seed reaches have tangent 0.

Imports: ``core`` (the forward-mode engine), ``viz.frames``, ``viz.graph``, ``viz.dot``,
``viz.render``, ``viz.html``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import ShapeError, Value
from ..core.forward import run_forward_mode
from ..core.transforms import tangent_seeds
from ..core.value import as_data
from .dot import (
    DEFAULT_MAX_NODES,
    assemble,
    dot_label,
    dot_statements,
    flow_style,
    paren,
    state_style,
    sum_text,
)
from .frames import jvp_text, local_derivative
from .graph import Graph, collect, display_name, fmt_data, hang
from .html import DEFAULT_MAX_FRAMES, html_page, picture_nodes, write_page
from .render import digraph, render_svgs

if TYPE_CHECKING:
    import graphviz

__all__ = ["TangentEdge", "ForwardFrame", "ForwardTrace", "trace_forward",
           "tangent_edge_lines", "forward_frame_dot", "forward_frame_statements",
           "draw_forward_frame", "forward_text", "forward_html", "FORWARD_LEGEND"]

#: Neighbours of a frame's node kept from folding when a big graph is drawn.
_NEAR = 8
#: What the edges of a forward frame say (the legend under the stepper's controls).
FORWARD_LEGEND = ("edges: the row's JVP (dx is x's tangent) and tangent × local = "
                  "contribution; a node's tangent is the sum of its inputs' contributions")


@dataclass(frozen=True)
class TangentEdge:
    """What one input's tangent adds to a node's: ``contribution = JVP(tangent)``."""

    source: int        # position (in the Graph) of the input whose tangent flows
    target: int        # position of the node whose tangent it adds to
    position: int      # which input of the target's op
    jvp: str           # the op table's JVP text for this input, e.g. "t·cos(x)"
    local: Any         # the local derivative (scalar, elementwise array), or None
    tangent: Any       # the input's tangent
    contribution: Any  # what the engine added (in the target's shape)


@dataclass(frozen=True)
class ForwardFrame:
    """One step of forward mode: ``node`` got its complete ``tangent`` from ``edges``
    (no edges: a seeded input, whose tangent is the direction chosen)."""

    index: int
    node: int
    tangent: Any
    edges: tuple[TangentEdge, ...]


@dataclass
class ForwardTrace:
    """A whole forward-mode pass: the graph, the frames in order, and who got a tangent."""

    graph: Graph
    frames: list[ForwardFrame]
    #: visit[k]: the index of the frame that gives node k its tangent.
    visit: dict[int, int] = field(default_factory=dict)
    #: edges[(k, i)]: the edge along which input i of node k sent its tangent.
    edges: dict[tuple[int, int], TangentEdge] = field(default_factory=dict)

    def frame_of(self, k: int) -> int | None:
        """The index of the frame that gives node ``k`` its tangent (None: no seed reaches it)."""
        return self.visit.get(k)

    def tangent_of(self, k: int) -> Any:
        """Node ``k``'s tangent (None when no seeded input reaches it: its tangent is 0)."""
        i = self.frame_of(k)
        return None if i is None else self.frames[i].tangent


def trace_forward(f: Value | Callable[..., Value], primals: Any,
                  tangents: Sequence[Any] | None = None) -> ForwardTrace:
    """Run forward mode and record one frame per node that gets a tangent.

    Two forms, as :func:`trace_backward` takes a recorded loss and :func:`tinygrad_edu.jvp`
    a function:

    * ``trace_forward(output, {x: tx, …})``: the graph behind ``output`` (one Value),
      with tangents for some of its leaves;
    * ``trace_forward(f, primals, tangents)``: as ``tg.jvp``: ``f`` is called on fresh
      Values named after its parameters, one primal and one tangent per argument.

    The first frames are the seeded inputs (in the graph's order), then every node in the
    order forward mode computes its tangent; the last frame's tangent is ``J·tangents``,
    what ``tg.jvp`` returns. Nothing is changed: ``.grad`` is not touched.

    >>> import tinygrad_edu as tg
    >>> trace = trace_forward(lambda a, b: (a * b).sin(), (2.0, 3.0), (1.0, 0.0))
    >>> [(trace.graph.nodes[f.node].name or f.node, f.tangent) for f in trace.frames]  # 3·cos(6)
    [('a', 1.0), ('b', 0.0), (2, 3.0), (3, 2.880510859951098)]
    >>> trace.frames[-1].tangent == tg.jvp(lambda a, b: (a * b).sin(), (2.0, 3.0), (1.0, 0.0))[1]
    True
    """
    if isinstance(f, Value):
        if tangents is not None:
            raise TypeError("trace_forward: with a recorded output, pass the tangents as one "
                            "mapping {input Value: tangent}, not primals and tangents")
        output, seeds = f, primals
    elif callable(f):
        output, seeds = _call(f, primals, tangents)
    else:
        raise TypeError(f"trace_forward: expected a Value or a function, got {type(f).__name__}")
    graph = collect(output)
    checked = _checked_seeds(graph, seeds)
    trace = ForwardTrace(graph, [])
    for k, v in enumerate(graph.nodes):  # the seeds first: forward mode starts there
        if v in checked:
            _add_frame(trace, k, checked[v], ())

    def observe(node: Value, tangent: Any, contributions: list) -> None:
        k = graph.position(node)
        edges = []
        for position, x, c in contributions:
            j = graph.position(x)
            edge = TangentEdge(source=j, target=k, position=position,
                               jvp=node.op.jvp_text(position),
                               local=local_derivative(node, position),
                               tangent=trace.tangent_of(j), contribution=c)
            trace.edges[(k, position)] = edge
            edges.append(edge)
        _add_frame(trace, k, tangent, tuple(edges))

    run_forward_mode([output], checked, observer=observe)
    return trace


def _add_frame(trace: ForwardTrace, k: int, tangent: Any, edges: tuple[TangentEdge, ...]) -> None:
    trace.visit[k] = len(trace.frames)
    trace.frames.append(ForwardFrame(len(trace.frames), k, tangent, edges))


def _call(f: Callable[..., Value], primals: Any, tangents: Any
          ) -> tuple[Value, dict[Value, Any]]:
    """``f`` on fresh Values named after its parameters, and their tangents."""
    values, seeds = tangent_seeds("trace_forward", primals, tangents)  # as tg.jvp checks them
    for v, name in zip(values, _parameter_names(f, len(values)), strict=True):
        v.name = name
    output = f(*values)
    if not isinstance(output, Value):
        raise TypeError(f"trace_forward: f must return one Value computed from its arguments, "
                        f"got {type(output).__name__}")
    in_graph = collect(output).index
    # An argument f does not use has no node to draw; its tangent changes nothing.
    used = {v: t for v, t in seeds.items() if id(v) in in_graph}
    if not used:
        raise ValueError("trace_forward: f's output does not depend on its arguments (was "
                         "it computed under no_grad?), so no tangent flows")
    return output, used


def _parameter_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of ``f``'s first ``n`` positional parameters (x0, x1, … where it has none)."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a builtin without a signature
        params = []
    return [params[i] if i < len(params) else f"x{i}" for i in range(n)]


def _checked_seeds(graph: Graph, seeds: Any) -> dict[Value, Any]:
    """The tangents as data of their leaves' shapes and dtypes, or a clear error."""
    if not isinstance(seeds, Mapping):
        raise TypeError(f"trace_forward: tangents must map input Values to their tangents, "
                        f"got {type(seeds).__name__}")
    if not seeds:
        raise ValueError("trace_forward: no tangents given, so no tangent flows; seed at "
                         "least one input, e.g. {x: 1.0}")
    checked = {}
    for v, t in seeds.items():
        if not isinstance(v, Value):
            raise TypeError(f"trace_forward: tangents must be keyed by Values, got a "
                            f"{type(v).__name__} key")
        where = f"trace_forward: tangent of {v.name or 'an input'}"
        if id(v) not in graph.index:
            raise ValueError(f"{where}: the output does not depend on this Value")
        if v.op is not None or not v.requires_grad:
            raise ValueError(f"{where}: seed leaves with requires_grad only (this one is "
                             + (f"computed by {v.op.name})" if v.op is not None else
                                "a constant)"))
        t = as_data(t, where, copy=True)
        if np.shape(t) != v.shape:
            raise ShapeError(f"{where}: the tangent has shape {np.shape(t)}, the input has "
                             f"shape {v.shape}")
        checked[v] = t if type(t) is float else t.astype(v.dtype)
    return checked


# ------------------------------------------------------------------- the words
def tangent_edge_lines(edge: TangentEdge, graph: Graph, precision: int = 4) -> list[str]:
    """An edge's label: the JVP with its operands named, then the numbers.

    >>> trace = trace_forward(lambda z: z.sigmoid(), (0.0,), (2.0,))
    >>> tangent_edge_lines(trace.frames[1].edges[0], trace.graph)
    ['dz·σ(z)·(1−σ(z))', '= 2 × 0.25 = 0.5']
    """
    text = jvp_text(graph, edge.target, edge.position)
    contribution = fmt_data(edge.contribution, precision)
    if edge.local is not None and np.ndim(edge.local) == 0 and np.ndim(edge.tangent) == 0:
        if abs(float(edge.local)) == 1.0:  # t or −t: the number says it all
            return [f"{text} = {contribution}"]
        return [text, f"= {paren(edge.tangent, precision)} × {paren(edge.local, precision)}"
                      f" = {contribution}"]
    return [text, hang("= ", contribution)]


def forward_text(trace: ForwardTrace, index: int, precision: int = 4) -> str:
    """Frame ``index`` in words: how the node's tangent is made from its inputs'.

    >>> trace = trace_forward(lambda a, b: a * b, (2.0, 3.0), (1.0, 0.5))
    >>> print(forward_text(trace, 2))
    mul2 = a × b   (mul)
    Its tangent is the sum of what each input's tangent adds (the row's JVP):
      from a: da·b
          = 1 × 3 = 3
      from b: db·a
          = 0.5 × 2 = 1
    dmul2 = 3 + 1 = 4
    """
    graph = trace.graph
    frame = trace.frames[index]
    node = graph.nodes[frame.node]
    name = display_name(graph, node)
    if not frame.edges:
        return (f"{name} is an input: forward mode starts here, with the tangent chosen\n"
                + hang(f"d{name} = ", fmt_data(frame.tangent, precision)))
    inputs = [display_name(graph, x) if isinstance(x, Value) else fmt_data(x, precision)
              for x in node.inputs]
    symbol = node.op.symbol
    formula = (f" {symbol} ".join(inputs) if symbol and len(inputs) == 2
               else f"{node.op.name}({', '.join(inputs)})")
    lines = [f"{name} = {formula}   ({node.op.name})",
             "Its tangent is the sum of what each input's tangent adds (the row's JVP):"]
    for e in frame.edges:
        first, *rest = tangent_edge_lines(e, graph, precision)
        lines.append(f"  from {display_name(graph, graph.nodes[e.source])}: {first}")
        lines += [hang("      ", line) for line in rest]
    parts = [e.contribution for e in frame.edges]
    total = (sum_text(parts, frame.tangent, precision) if len(parts) > 1
             else fmt_data(frame.tangent, precision))
    lines.append(hang(f"d{name} = ", total))
    return "\n".join(lines)


# ------------------------------------------------------------------- drawings
def forward_frame_statements(trace: ForwardTrace, index: int, *, precision: int = 4,
                             max_nodes: int = DEFAULT_MAX_NODES) -> list[str]:
    """The DOT statements of :func:`forward_frame_dot`."""
    frames = trace.frames
    if not 0 <= index < len(frames):
        raise IndexError(f"forward_frame_dot: frame {index} does not exist; this forward pass "
                         f"has {len(frames)} frames (0 … {len(frames) - 1})")
    graph, visit = trace.graph, trace.visit
    current = frames[index].node

    def state(k: int) -> str:
        i = visit.get(k)
        if i is None:
            return "none"
        return "pending" if i > index else "current" if i == index else "done"

    def tangent_lines(k: int) -> list[str]:
        v = graph.nodes[k]
        st = state(k)
        if not v.requires_grad:
            return []
        if st == "none":
            return ["tangent 0 (not seeded)" if v.op is None else "tangent 0 (no seeded input)"]
        if st == "pending":
            return ["tangent pending"]
        frame = frames[visit[k]]
        if not frame.edges:
            return [hang("tangent ", fmt_data(frame.tangent, precision)) + " (seed)"]
        parts = [e.contribution for e in frame.edges]
        if len(parts) > 1:
            return [hang("tangent ", sum_text(parts, frame.tangent, precision))]
        return [hang("tangent ", fmt_data(frame.tangent, precision))]

    def edge_style(k: int, i: int) -> dict[str, str]:
        st = state(k)
        if i < 0:  # the op's arrow into its output
            return flow_style(st)
        x = graph.nodes[k].inputs[i]
        if not (type(x) is Value and graph.position(x) in visit):
            return flow_style("none")  # no tangent flows from a constant or an unseeded input
        s = flow_style(st)
        edge = trace.edges.get((k, i))
        if st != "pending" and edge is not None:
            s["label"] = dot_label(tangent_edge_lines(edge, graph, precision))
        return s

    node = graph.nodes[current]
    how = f" ({node.op.name})" if frames[index].edges else " (seed)"
    title = [f"forward frame {index + 1}/{len(frames)}: tangent of "
             f"{display_name(graph, node)}{how}"]
    # The edges of this step stay drawn when a big graph folds.
    near = {current, *graph.consumers[current][:_NEAR],
            *(e.source for e in frames[index].edges[:_NEAR])}
    return dot_statements(graph, value_style=lambda k: state_style(graph, k, _look(state(k))),
                          value_grad_lines=tangent_lines, edge_style=edge_style, title=title,
                          precision=precision, max_nodes=max_nodes, protected=near)


def _look(state: str) -> str:
    """A node no tangent reaches looks like one still waiting for its tangent."""
    return "pending" if state == "none" else state


def forward_frame_dot(trace: ForwardTrace, index: int, *, precision: int = 4,
                      max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """DOT text of forward frame ``index`` of ``trace`` (see :func:`trace_forward`).

    >>> trace = trace_forward(lambda x: x * x, (3.0,), (1.0,))
    >>> 'mul1\\\\ndata 9\\\\ntangent 3 + 3 = 6' in forward_frame_dot(trace, 1)
    True
    """
    return assemble(forward_frame_statements(trace, index, precision=precision,
                                             max_nodes=max_nodes))


def draw_forward_frame(trace: ForwardTrace, index: int, *, precision: int = 4,
                       max_nodes: int = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """Forward frame ``index`` as a ``graphviz.Digraph`` (inline in Jupyter).

    >>> trace = trace_forward(lambda x: x.sin(), (0.0,), (1.0,))
    >>> "tangent of sin1 (sin)" in draw_forward_frame(trace, 1).source
    True
    """
    return digraph(forward_frame_statements(trace, index, precision=precision,
                                            max_nodes=max_nodes))


# ----------------------------------------------------------------- the page
def forward_html(trace: ForwardTrace, path: str | os.PathLike, *, precision: int = 4,
                 max_nodes: int = DEFAULT_MAX_NODES, max_frames: int = DEFAULT_MAX_FRAMES,
                 title: str | None = None) -> Path:
    """Write one self-contained HTML page stepping through a forward-mode pass (the
    backward stepper's page: buttons, ← → keys, slider), then a summary.

    Past ``max_frames`` frames the first and last ones are kept and the page says which
    were left out. Needs Graphviz's ``dot``. Returns the path written; on any error no
    file is left behind.

    >>> trace = trace_forward(lambda x: x * x, (3.0,), (1.0,))
    >>> forward_html(trace, "/tmp/forward.html").name    # doctest: +SKIP
    'forward.html'
    """
    if not isinstance(trace, ForwardTrace):
        raise TypeError(f"forward_html: expected a ForwardTrace (from trace_forward), got "
                        f"{type(trace).__name__}")
    if max_frames < 2:
        raise ValueError(f"forward_html: max_frames must be at least 2, got {max_frames}")
    n = len(trace.frames)
    shown = list(range(n))
    notes = []
    if n > max_frames:
        head = max_frames - max_frames // 2
        shown = [*range(head), *range(n - max_frames // 2, n)]
        notes.append(f"This forward pass has {n:,} frames, more than max_frames={max_frames}: "
                     f"frames {head + 1:,}–{n - max_frames // 2:,} are not shown.")
    graph = trace.graph
    per_picture = picture_nodes(len(shown), max_nodes, len(graph.nodes), notes)
    svgs = render_svgs([forward_frame_dot(trace, i, precision=precision, max_nodes=per_picture)
                        for i in shown], "forward_html")
    captions = [f"frame {i + 1}: {display_name(graph, graph.nodes[trace.frames[i].node])}"
                for i in shown]
    texts = [forward_text(trace, i, precision) for i in shown]
    out = display_name(graph, graph.output)
    page = html_page(title or f"Forward mode through {out}, frame by frame",
                     [*svgs, ""], [*texts, _summary(trace, precision)],
                     [*captions, "summary"], notes, legend=FORWARD_LEGEND)
    return write_page(page, Path(path))


def _summary(trace: ForwardTrace, precision: int) -> str:
    graph = trace.graph
    out = display_name(graph, graph.output)
    lines = ["Summary: the seeds (the direction) and the output's tangent along it"]
    for f in trace.frames:
        if not f.edges:
            name = display_name(graph, graph.nodes[f.node])
            lines.append(hang(f"  d{name} = ", fmt_data(f.tangent, precision)))
    t = trace.tangent_of(len(graph.nodes) - 1)
    lines.append(hang(f"  d{out} = J·t = ", "0 (no seed reaches it)" if t is None
                      else fmt_data(t, precision)))
    return "\n".join(lines)
