"""explain(): the chain rule for one node, in words and numbers.

This module owns writing out how a node's gradient is made. For a scalar graph it
lists every path from the output down to the node and multiplies the local
derivatives along it, e.g.::

    ∂L/∂w1 = ∂L/∂o · ∂o/∂z · ∂z/∂w1 = (−0.31) · 0.21 · 1 = −0.065

and sums over the paths when the node is used more than once. Where tensors are on the
way, local derivatives are Jacobians, so it shows one step instead: what each op that
uses the node sends back (its derivative text from the op table, the upstream, the
contribution), and their sum.

All numbers come from one recorded backward pass (:func:`trace_backward`), so they are
the engine's numbers. Imports: ``viz.frames``, ``viz.graph``, ``viz.dot`` (text
helpers only). Must not import graphviz.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..autodiff import last_backward_root
from ..value import Value
from .dot import _paren, edge_lines, sum_text
from .frames import BackwardTrace, Edge, trace_backward
from .graph import display_name, fmt_data

__all__ = ["explain", "Explanation", "Path"]

#: More paths than this are counted but not listed one by one.
PATH_LIMIT = 256


@dataclass(frozen=True)
class Path:
    """One path from the output down to the node: its edges (output first) and product."""

    edges: tuple[Edge, ...]
    factors: tuple[float, ...]
    product: float


@dataclass
class Explanation:
    """The result of :func:`explain`: ``text`` for people, the pieces for programs.

    ``paths`` is filled for scalar graphs (``complete`` says whether all were listed);
    ``contributions`` holds the edges that bring the node its gradient.
    """

    node: Value
    gradient: Any
    text: str
    paths: list[Path] = field(default_factory=list)
    complete: bool = True
    contributions: list[Edge] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text


def _find(trace: BackwardTrace, node: Value | str) -> int:
    graph = trace.graph
    if isinstance(node, Value):
        if id(node) not in graph.index:
            raise ValueError("explain: this Value is not part of the graph behind the output")
        return graph.position(node)
    matches = [k for k, v in enumerate(graph.nodes) if display_name(graph, v) == node]
    if not matches:
        names = ", ".join(display_name(graph, v) for v in graph.nodes)
        raise ValueError(f"explain: no node named {node!r}; the graph has: {names}")
    return matches[-1]


def _d(top: str, bottom: str) -> str:
    return f"∂{top}/∂{bottom}"


def explain(
    node: Value | str,
    loss: Value | None = None,
    *,
    trace: BackwardTrace | None = None,
    precision: int = 4,
    max_listed: int = 8,
) -> Explanation:
    """How ``∂loss/∂node`` is made, in words and numbers (``node`` may be a name).

    ``loss`` defaults to the output of this thread's latest ``backward()``, so after
    ``loss.backward()`` plain ``explain(w)`` works. Pass ``trace`` (from
    :func:`trace_backward`) to reuse one recorded backward pass for many nodes;
    ``.grad`` is never touched.

    >>> from tinygrad_edu import Value
    >>> w = Value(2.0, name="w")
    >>> z = w * 3.0; z.name = "z"
    >>> for line in explain(w, z * z).text.splitlines()[1:4]:
    ...     print(line)
      ∂mul2/∂z · ∂z/∂w = 6 · 3 = 18
      ∂mul2/∂z · ∂z/∂w = 6 · 3 = 18
    ∂mul2/∂w = sum over the paths = 18 + 18 = 36
    """
    if trace is None:
        loss = loss if loss is not None else last_backward_root()
        if loss is None:
            raise TypeError("explain: pass the output too, explain(node, loss), "
                            "or call loss.backward() first")
        trace = trace_backward(loss)
    graph = trace.graph
    k = _find(trace, node)
    out_k = len(graph.nodes) - 1
    names = [display_name(graph, v) for v in graph.nodes]
    L, me = names[out_k], names[k]
    g = trace.grad_of(k)
    v = graph.nodes[k]
    if k == out_k:
        text = (f"{_d(L, L)} = 1: {L} is the output, where the backward pass starts "
                f"(upstream {fmt_data(g, precision)})")
        return Explanation(v, g, text)
    if g is None:
        why = "it is a constant" if not v.requires_grad else f"{L} does not depend on it"
        return Explanation(v, None, f"{_d(L, me)}: no gradient, {why}")
    incoming = list(trace.incoming.get(k, []))
    edge_of = {(e.source, e.position): e for f in trace.frames for e in f.edges}

    # Nodes between k and the output: scalar all the way means paths of numbers.
    between, stack = {k}, [k]
    while stack:
        for c in graph.consumers[stack.pop()]:
            if c not in between:
                between.add(c)
                stack.append(c)
    if all(graph.nodes[j].shape == () for j in between):
        return _explain_paths(trace, k, g, names, edge_of, incoming, precision, max_listed)

    lines = [f"{_d(L, me)}: {me} is an input of {len(incoming)} op use(s); each sends "
             "upstream gradient through its local derivative:"]
    for e in incoming:
        src = graph.nodes[e.source]
        lines.append(f"  from {names[e.source]} ({src.op.name}), ∂{L}/∂{names[e.source]} = "
                     f"{fmt_data(e.upstream, precision)}:")
        lines += [f"    {line}" for line in edge_lines(e, precision)]
    if len(incoming) > 1:
        lines.append(f"{_d(L, me)} = {sum_text([e.contribution for e in incoming], g, precision)}")
    else:
        lines.append(f"{_d(L, me)} = {fmt_data(g, precision)}")
    return Explanation(v, g, "\n".join(lines), contributions=incoming)


def _explain_paths(trace, k, g, names, edge_of, incoming, precision, max_listed):
    graph = trace.graph
    out_k = len(graph.nodes) - 1
    paths: list[Path] = []
    complete = True
    # Iterative walk up from k: each state is the edges taken so far (node side first).
    stack: list[tuple[int, tuple[Edge, ...]]] = [(k, ())]
    while stack:
        j, taken = stack.pop()
        if j == out_k:
            edges = tuple(reversed(taken))
            factors = tuple(float(e.local) for e in edges)
            product = 1.0
            for f in factors:
                product *= f
            paths.append(Path(edges, factors, product))
            if len(paths) >= PATH_LIMIT:
                complete = False
                break
            continue
        for c in sorted(set(graph.consumers[j]), reverse=True):
            for i, x in reversed(list(enumerate(graph.nodes[c].inputs))):
                if type(x) is Value and graph.position(x) == j and (c, i) in edge_of:
                    stack.append((c, taken + (edge_of[(c, i)],)))
    L, me = names[out_k], names[k]
    n = len(paths)
    lines = [f"{_d(L, me)} by the chain rule, along "
             + (f"the {n} path" + ("s" if n > 1 else "") if complete else f"more than {n} paths")
             + f" from {L} down to {me}:"]
    for p in paths[:max_listed]:
        symbols = " · ".join(_d(names[e.source], names[e.target]) for e in p.edges)
        numbers = " · ".join(_paren(f, precision) for f in p.factors)
        lines.append(f"  {symbols} = {numbers} = {fmt_data(p.product, precision)}")
    if n > max_listed:
        lines.append(f"  … {n - max_listed} more path(s)")
    if n == 1:
        lines.append(f"{_d(L, me)} = {fmt_data(g, precision)}")
    elif n <= max_listed:
        lines.append(f"{_d(L, me)} = sum over the paths = "
                     + sum_text([p.product for p in paths], g, precision))
    else:  # the terms are not all on screen, so only the total is shown
        lines.append(f"{_d(L, me)} = sum over the paths = {fmt_data(g, precision)}")
    seen: set[tuple[int, int]] = set()
    where = []
    for p in paths[:max_listed]:
        for e in p.edges:
            if (e.source, e.position) not in seen:
                seen.add((e.source, e.position))
                src = graph.nodes[e.source]
                value = fmt_data(e.local, precision)
                formula = "" if e.derivative == value else f"{e.derivative} = "
                twice = sum(1 for x in src.inputs if x is graph.nodes[e.target]) > 1
                note = f"{src.op.name}, input {e.position}" if twice else src.op.name
                where.append(f"  {_d(names[e.source], names[e.target])} = {formula}{value}"
                             f"  ({note})")
    lines += ["where", *where]
    return Explanation(graph.nodes[k], g, "\n".join(lines), paths, complete, incoming)
