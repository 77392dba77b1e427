"""Backward frames: one record per node the engine visits, in the engine's own order.

This module owns recording a backward pass for the drawings. It does not compute
gradients itself: it runs :func:`tinygrad_edu.core.backward.run_backward` with an
``observer`` and ``store=False`` (so no ``.grad`` changes) and keeps what the engine
reports — the node, its complete upstream gradient, and the contribution it sends to
each input. The local derivative of each edge is read from the op table (its text in
``Op.derivatives`` and, for elementwise ops, its value: the VJP with an upstream of ones).
:func:`derivative_text` names the text's operands by the actual inputs, when drawn.

Imports: ``core`` (the engine, and the op table through ``Value.op``) and ``viz.graph``. Must not
import graphviz or the DOT builder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Value, run_backward
from ..core.steps import call_vjp
from ..core.value import upstream_for
from .graph import Graph, collect, display_name, fmt_data

__all__ = ["Edge", "Frame", "BackwardTrace", "trace_backward", "backward_frames",
           "local_derivative", "derivative_text", "jvp_text", "operand_names",
           "name_operands"]


@dataclass(frozen=True)
class Edge:
    """What one backward step sends along one edge: ``contribution = upstream ⊗ local``."""

    source: int        # position (in the Graph) of the node that sends
    target: int        # position of the input that receives
    position: int      # which input of the source's op
    derivative: str    # the op table's text for this input, e.g. "σ(x)·(1−σ(x))"
    local: Any         # its value (scalar, elementwise array), or None for a Jacobian
    upstream: Any      # the source node's gradient
    contribution: Any  # what the engine sent (already summed to the target's shape)
    broadcast: bool = False  # elementwise op on a broadcast input: the engine summed it


@dataclass(frozen=True)
class Frame:
    """One visit of the engine: ``node`` got its complete ``grad`` and sent ``edges``."""

    index: int
    node: int
    grad: Any
    edges: tuple[Edge, ...]


@dataclass
class BackwardTrace:
    """A whole backward pass: the graph, the frames in visit order, and per-node inflow."""

    graph: Graph
    frames: list[Frame]
    #: incoming[k]: the edges that brought node k its gradient, in the order they arrived.
    incoming: dict[int, list[Edge]] = field(default_factory=dict)
    #: visit[k]: the index of the frame that visits node k.
    visit: dict[int, int] = field(default_factory=dict)
    #: edges[(k, i)]: the edge along which node k sent a contribution to its input i.
    edges: dict[tuple[int, int], Edge] = field(default_factory=dict)

    def frame_of(self, k: int) -> int | None:
        """The index of the frame that visits node ``k`` (None if it gets no gradient)."""
        return self.visit.get(k)

    def grad_of(self, k: int) -> Any:
        """Node ``k``'s gradient in this pass (None when no gradient reaches it)."""
        i = self.frame_of(k)
        return None if i is None else self.frames[i].grad


def local_derivative(node: Value, position: int) -> Any:
    """The value of ``∂node/∂input`` where it is a number or an elementwise array.

    For a scalar node this is the VJP with upstream 1. For an elementwise op whose input
    has the output's shape it is the VJP with upstream ones (the Jacobian's diagonal).
    Otherwise (matmul, reductions, broadcasting) the local derivative is a Jacobian
    and ``None`` is returned: the text from the op table says what it is.

    >>> from tinygrad_edu import Value
    >>> x = Value(0.0)
    >>> local_derivative(x.sigmoid(), 0)    # σ(0)·(1−σ(0))
    0.25
    """
    op = node.op
    if op is None:
        raise ValueError("local_derivative: a leaf has no op")
    x = node.inputs[position]
    x_shape = x.shape if type(x) is Value else np.shape(x)
    args = tuple(a.data if type(a) is Value else a for a in node.inputs)
    if node.shape == () and x_shape == ():  # the engine's step, with upstream 1
        return float(np.sum(call_vjp(node, position, 1.0, args, node.data)))
    if op.kind in ("unary", "binary") and tuple(x_shape) == node.shape:
        ones = np.ones(node.shape, dtype=np.float64)
        return np.asarray(call_vjp(node, position, ones, args, node.data), dtype=np.float64)
    return None


#: An operand letter of the op table's texts (x, y; X, Y for matmul) as a whole symbol:
#: not the x of "exp" or "max".
_OPERAND = re.compile(r"(?<![A-Za-z0-9_])([xyXY])(?![A-Za-z0-9_])")
#: The same, and a JVP text's tangent letter (t; T for matmul).
_OPERAND_OR_TANGENT = re.compile(r"(?<![A-Za-z0-9_])([xyXYtT])(?![A-Za-z0-9_])")
_SIMPLE_NAME = re.compile(r"[\w.…]+")


def _operand_name(graph: Graph, x: Any) -> str:
    """What the picture calls an input: its node label, or a short constant's value."""
    if type(x) is Value:
        name = display_name(graph, x)
    else:
        name = fmt_data(x)
        if np.ndim(x) > 0 and ("\n" in name or not name.startswith("[")):
            name = "const"  # a big constant array: its label is a summary, not a name
    return name if _SIMPLE_NAME.fullmatch(name) else f"({name})"


def name_operands(text: str, names: list[str], tangent: str | None = None) -> str:
    """Replace each operand letter of an op table text by its input's name: ``x``/``X``
    by ``names[0]``, ``y``/``Y`` by ``names[1]``, whole symbols only. With ``tangent``,
    a JVP text's ``t``/``T`` (the input's tangent) becomes that name too, in the same pass
    (so an input named ``t`` is not renamed twice).

    >>> name_operands("exp(x)", ["z"]), name_operands("[x = max]", ["h"])
    ('exp(z)', '[h = max]')
    >>> name_operands("Xᵀ (on the left)", ["h", "W_o"])
    'hᵀ (on the left)'
    >>> name_operands("X @ T", ["t", "W_o"], tangent="dW_o")
    't @ dW_o'
    """
    def name(match: re.Match) -> str:
        letter = match.group(1)
        if letter in "tT":
            return tangent if tangent is not None else letter
        i = "xyXY".index(letter) % 2
        return names[i] if i < len(names) else letter

    return (_OPERAND if tangent is None else _OPERAND_OR_TANGENT).sub(name, text)


def derivative_text(graph: Graph, k: int, position: int) -> str:
    """The op table's derivative of node ``k`` for input ``position``, its operands
    named by the node labels of the actual inputs (or a short constant's value).

    >>> from tinygrad_edu import Value
    >>> z = Value(0.5, name="z")
    >>> y = 0.5 * z.sigmoid()
    >>> g = collect(y)
    >>> derivative_text(g, 1, 0), derivative_text(g, 2, 1)
    ('σ(z)·(1−σ(z))', '0.5')
    """
    return name_operands(graph.nodes[k].op.derivative(position), operand_names(graph, k))


def jvp_text(graph: Graph, k: int, position: int) -> str:
    """The op table's JVP of node ``k`` for input ``position`` (:meth:`Op.jvp_text`), its
    operands named as in :func:`derivative_text` and its tangent ``t`` written ``d`` +
    that input's name (the forward frames' edge labels).

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, name="a"), Value(3.0, name="b")
    >>> g = collect((a * b).sin())
    >>> jvp_text(g, 2, 1), jvp_text(g, 3, 0)
    ('db·a', 'dmul2·cos(mul2)')
    """
    node = graph.nodes[k]
    tangent = "d" + _operand_name(graph, node.inputs[position])
    return name_operands(node.op.jvp_text(position), operand_names(graph, k), tangent)


def operand_names(graph: Graph, k: int) -> list[str]:
    """What the op table's operand letters of node ``k`` stand for (``x``, ``y``): the
    names of its first two inputs, or a short constant's value.

    >>> from tinygrad_edu import Value
    >>> operand_names(collect(Value(2.0, name="a") * -3.0), 1)
    ['a', '(−3)']
    """
    return [_operand_name(graph, x) for x in graph.nodes[k].inputs[:2]]


def trace_backward(loss: Value, gradient: Any = None) -> BackwardTrace:
    """Run the engine's backward pass on ``loss`` and record every visit.

    ``.grad`` is left untouched (the engine runs with ``store=False``). ``gradient`` is
    the upstream for a non-scalar ``loss`` (default 1 for a scalar).

    >>> from tinygrad_edu import Value
    >>> w = Value(3.0, name="w")
    >>> trace = trace_backward((w * w).sigmoid())
    >>> [trace.graph.nodes[f.node].name or f.node for f in trace.frames]
    [2, 1, 'w']
    """
    if not isinstance(loss, Value):
        raise TypeError(f"trace_backward: expected a Value, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise ValueError("trace_backward: the output does not depend on any Value with "
                         "requires_grad=True, so there is no backward pass to draw")
    gradient = upstream_for(loss, gradient, "trace_backward")  # as backward() checks it
    graph = collect(loss)
    trace = BackwardTrace(graph, [])

    def observe(node: Value, g: Any, contributions: list) -> None:
        k = graph.position(node)
        edges = []
        for position, x, c in contributions:
            edge = Edge(source=k, target=graph.position(x), position=position,
                        derivative=node.op.derivative(position),
                        local=local_derivative(node, position), upstream=g, contribution=c,
                        broadcast=(node.op.kind in ("unary", "binary")
                                   and np.shape(c) != node.shape))
            edges.append(edge)
            trace.edges[(k, position)] = edge
            trace.incoming.setdefault(edge.target, []).append(edge)
        trace.visit[k] = len(trace.frames)
        trace.frames.append(Frame(len(trace.frames), k, g, tuple(edges)))

    run_backward((loss,), (gradient,), store=False, observer=observe)
    return trace


def backward_frames(loss: Value, gradient: Any = None) -> list[Frame]:
    """The frames of ``loss``'s backward pass, in the exact order the engine visits nodes.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0)
    >>> [f.grad for f in backward_frames(x * x)]      # d(x²)/dx = 2x
    [1.0, 4.0]
    """
    return trace_backward(loss, gradient).frames
