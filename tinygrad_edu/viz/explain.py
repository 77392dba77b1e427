"""explain(): the chain rule for one node, in words and numbers.

This module owns writing out how a node's gradient is made. For a scalar graph it
lists every path from the output down to the node and multiplies the local
derivatives along it, e.g.::

    ∂L/∂w1 = ∂L/∂o · ∂o/∂z · ∂z/∂w1 = (−0.31) · 0.21 · 1 = −0.065

and sums over the paths when the node is used more than once. Where tensors are on the
way, local derivatives are Jacobians, so it shows one step instead: what each op that
uses the node sends back (its derivative text from the op table, the upstream, the
contribution), and their sum.

Its cost is linear in the size of the graph, and its text is bounded: at most
``max_listed`` paths (the headline counts them all), at most ``FACTOR_LIMIT`` factors
per path (a long chain shows its two ends and how many factors lie between).

All numbers come from one recorded backward pass (:func:`trace_backward`), so they are
the engine's numbers. ``Explanation.latex()`` writes the same steps as LaTeX (what a
notebook shows). Imports: ``viz.frames``, ``viz.graph``, ``viz.dot`` (text helpers
only), ``viz.latex``. Must not import graphviz.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core import Value, last_backward_root
from .dot import edge_lines, paren, sum_text
from .frames import BackwardTrace, Edge, derivative_text, trace_backward
from .graph import Graph, display_name, fmt_data, hang
from .latex import latex_data, latex_derivative, latex_name, latex_text, partial

__all__ = ["explain", "Explanation", "Path"]

#: At most this many paths are kept in ``Explanation.paths`` (all are counted) ...
PATH_LIMIT = 256
#: ... and at most this many edges in all of them (one path is always kept).
EDGE_BUDGET = 200_000
#: A path with more factors than this shows its first and last ones and a count.
FACTOR_LIMIT = 10


@dataclass(frozen=True)
class Path:
    """One path from the output down to the node: its edges (output first) and product."""

    edges: tuple[Edge, ...]
    factors: tuple[float, ...]
    product: float


@dataclass
class Explanation:
    """The result of :func:`explain`: ``text`` for people, the pieces for programs.

    ``paths`` is filled for scalar graphs (``complete`` says whether all were kept;
    ``path_count`` is their number either way); ``contributions`` holds the edges that
    bring the node its gradient.
    """

    node: Value
    gradient: Any
    text: str
    paths: list[Path] = field(default_factory=list)
    complete: bool = True
    contributions: list[Edge] = field(default_factory=list)
    path_count: int = 0
    #: The recorded pass and the options the text was written with (for :meth:`latex`).
    trace: BackwardTrace | None = field(default=None, repr=False, compare=False)
    precision: int = 4
    max_listed: int = 8

    def __str__(self) -> str:
        return self.text

    def latex(self) -> str:
        r"""The same chain rule as LaTeX (amsmath's ``aligned``; MathJax reads it too):
        symbol by symbol, then with numbers, then each local derivative from the op
        table with its value. For a paper or a slide; a notebook shows it by itself.

        >>> from tinygrad_edu import Value
        >>> w = Value(0.5, name="w")
        >>> z = w * 3.0; z.name = "z"
        >>> y = z.tanh(); y.name = "y"
        >>> rows = explain(w, y).latex().splitlines()
        >>> print(rows[1].replace(r"\partial ", "∂"))
        \frac{∂y}{∂w} &= \frac{∂y}{∂z} \cdot \frac{∂z}{∂w} \\
        >>> print(rows[2], rows[3], rows[-2], sep="\n")
        &= 0.1807 \cdot 3 \\
        &= 0.5421 \\
        \frac{\partial z}{\partial w} &= 3 && \text{mul}
        """
        if self.trace is None:
            raise ValueError("Explanation.latex: this explanation has no recorded backward "
                             "pass (make it with explain())")
        return _latex(self)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython in a terminal (and a notebook's text/plain): the words, not the fields.
        printer.text(self.text)


def _find(trace: BackwardTrace, node: Value | str) -> int:
    graph = trace.graph
    if isinstance(node, Value):
        if id(node) not in graph.index:
            raise ValueError("explain: this Value is not part of the graph behind the output")
        return graph.position(node)
    matches = [k for k, v in enumerate(graph.nodes)
               if v.name == node or display_name(graph, v) == node]
    if not matches:
        names = [display_name(graph, v) for v in graph.nodes]
        listed = ", ".join(names[:50]) + (f", … ({len(names) - 50} more)" if len(names) > 50
                                          else "")
        raise ValueError(f"explain: no node named {node!r}; the graph has: {listed}")
    return matches[-1]


def _d(top: str, bottom: str) -> str:
    return f"∂{top}/∂{bottom}"


def _count(n: int) -> str:
    """A path count for people: 12,345, or a power of ten when it has many digits."""
    return f"{n:,}" if n < 10**15 else f"about 10^{math.floor(math.log10(n))}"


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
    ``.grad`` is never touched. At most ``max_listed`` paths (or op uses) are listed;
    the text says how many were left out.

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
    L, me = display_name(graph, graph.nodes[out_k]), display_name(graph, graph.nodes[k])
    g = trace.grad_of(k)
    v = graph.nodes[k]
    if k == out_k:
        text = hang(f"{_d(L, L)} = 1: {L} is the output, where the backward pass starts "
                    "(upstream ", f"{fmt_data(g, precision)})")
        return Explanation(v, g, text, trace=trace, precision=precision)
    if g is None:
        why = "it is a constant" if not v.requires_grad else f"{L} does not depend on it"
        return Explanation(v, None, f"{_d(L, me)}: no gradient, {why}", trace=trace,
                           precision=precision)
    incoming = list(trace.incoming.get(k, []))
    if all(graph.nodes[j].shape == () for j in _above(graph, k)):
        return _explain_paths(trace, k, g, precision, max_listed)

    lines = [f"{_d(L, me)}: {me} is an input of {len(incoming)} op use(s); each sends "
             "upstream gradient through its local derivative:"]
    for e in incoming[:max_listed]:
        src = graph.nodes[e.source]
        name = display_name(graph, src)
        lines.append(hang(f"  from {name} ({src.op.name}), ∂{L}/∂{name} = ",
                          f"{fmt_data(e.upstream, precision)}:"))
        lines += [hang("    ", line) for line in edge_lines(e, graph, precision)]
    if len(incoming) > max_listed:
        lines.append(f"  … {len(incoming) - max_listed} more op use(s) not listed")
    if len(incoming) > 1:
        lines.append(hang(f"{_d(L, me)} = ",
                          sum_text([e.contribution for e in incoming], g, precision)))
    else:
        lines.append(hang(f"{_d(L, me)} = ", fmt_data(g, precision)))
    return Explanation(v, g, "\n".join(lines), contributions=incoming, trace=trace,
                       precision=precision, max_listed=max_listed)


def _above(graph: Graph, k: int) -> set[int]:
    """Node ``k`` and every node that uses it, directly or not (the way up to the output)."""
    found, stack = {k}, [k]
    while stack:
        for c in graph.consumers[stack.pop()]:
            if c not in found:
                found.add(c)
                stack.append(c)
    return found


def _edges_up(trace: BackwardTrace, above: set[int]) -> dict[int, list[Edge]]:
    """For each node of ``above``: the edges along which it received gradient, by
    consumer and input position (the steps a path can take up from it)."""
    graph = trace.graph
    ups: dict[int, list[Edge]] = {}
    for j in above:
        node, up = graph.nodes[j], []
        consumers = graph.consumers[j]
        for c in (consumers if len(consumers) == 1 else sorted(set(consumers))):
            for i, x in enumerate(graph.nodes[c].inputs):
                if x is node and (c, i) in trace.edges:
                    up.append(trace.edges[(c, i)])
        ups[j] = up
    return ups


def _count_paths(ups: dict[int, list[Edge]], k: int, out_k: int) -> int:
    """The number of paths from node ``k`` up to the output (one pass, outputs first)."""
    paths = {out_k: 1}
    for j in sorted(ups, reverse=True):  # users come after their inputs
        if j != out_k:
            paths[j] = sum(paths[e.source] for e in ups[j])
    return paths[k]


def _walk_paths(ups: dict[int, list[Edge]], k: int, out_k: int) -> Iterator[tuple[Edge, ...]]:
    """Every path from node ``k`` up to the output, as its edges output first.

    Depth first with one shared list of the edges taken: each step costs O(1), and a
    path costs its length once, when it is yielded.
    """
    taken: list[Edge] = []
    stack = [iter(ups[k])]
    while stack:
        e = next(stack[-1], None)
        if e is None:
            stack.pop()
            if taken:
                taken.pop()
        elif e.source == out_k:
            yield (e, *reversed(taken))
        else:
            taken.append(e)
            stack.append(iter(ups[e.source]))


def _collect_paths(ups: dict[int, list[Edge]], k: int, out_k: int) -> list[Path]:
    """Up to PATH_LIMIT paths, EDGE_BUDGET edges in all (always at least one path)."""
    paths: list[Path] = []
    stored = 0
    for edges in _walk_paths(ups, k, out_k):
        factors = tuple([float(e.local) for e in edges])
        paths.append(Path(edges, factors, math.prod(factors)))
        stored += len(edges)
        if len(paths) >= PATH_LIMIT or stored >= EDGE_BUDGET:
            break
    return paths


def _ends(items: tuple) -> tuple[tuple, int]:
    """At most FACTOR_LIMIT items: the first and last few, and how many lie between."""
    if len(items) <= FACTOR_LIMIT:
        return items, 0
    half = FACTOR_LIMIT // 2
    return items[:half] + items[-half:], len(items) - 2 * half


def _join(parts: list[str], between: int) -> str:
    """``a · b · c``, with ``⋯ (N more) ⋯`` in the middle when factors were left out."""
    if between:
        half = len(parts) // 2
        parts = [*parts[:half], f"⋯ ({between:,} more) ⋯", *parts[half:]]
    return " · ".join(parts)


def _explain_paths(trace: BackwardTrace, k: int, g: Any, precision: int,
                   max_listed: int) -> Explanation:
    graph = trace.graph
    out_k = len(graph.nodes) - 1
    ups = _edges_up(trace, _above(graph, k))
    paths = _collect_paths(ups, k, out_k)
    n = _count_paths(ups, k, out_k)

    def name(j: int) -> str:
        return display_name(graph, graph.nodes[j])

    L, me = name(out_k), name(k)
    lines = [f"{_d(L, me)} by the chain rule, along the {_count(n)} path"
             + ("s" if n > 1 else "") + f" from {L} down to {me}:"]
    listed = paths[:max_listed]
    shown_edges: dict[tuple[int, int], Edge] = {}
    for p in listed:
        edges, between = _ends(p.edges)
        factors, _ = _ends(p.factors)
        symbols = _join([_d(name(e.source), name(e.target)) for e in edges], between)
        numbers = _join([paren(f, precision) for f in factors], between)
        lines.append(f"  {symbols} = {numbers} = {fmt_data(p.product, precision)}")
        for e in edges:
            shown_edges.setdefault((e.source, e.position), e)
    if n > len(listed):
        lines.append(f"  … {_count(n - len(listed))} more path(s) not listed")
    if n == 1:
        lines.append(f"{_d(L, me)} = {fmt_data(g, precision)}")
    elif n == len(paths) <= max_listed:
        lines.append(f"{_d(L, me)} = sum over the paths = "
                     + sum_text([p.product for p in paths], g, precision))
    else:  # the terms are not all on screen, so only the total is shown
        lines.append(f"{_d(L, me)} = sum over the paths = {fmt_data(g, precision)}")
    lines.append("where")
    for e in shown_edges.values():
        src = graph.nodes[e.source]
        value = fmt_data(e.local, precision)
        derivative = derivative_text(graph, e.source, e.position)
        formula = "" if derivative == value else f"{derivative} = "
        twice = sum(1 for x in src.inputs if x is graph.nodes[e.target]) > 1
        note = f"{src.op.name}, input {e.position}" if twice else src.op.name
        lines.append(f"  {_d(name(e.source), name(e.target))} = {formula}{value}  ({note})")
    return Explanation(graph.nodes[k], g, "\n".join(lines), paths, len(paths) == n,
                       list(trace.incoming.get(k, [])), n, trace, precision, max_listed)


# ------------------------------------------------------------------ as LaTeX
def _latex(ex: Explanation) -> str:
    """:meth:`Explanation.latex`: the same steps as the text, as rows of ``aligned``."""
    trace, precision = ex.trace, ex.precision
    graph = trace.graph
    k, out_k = graph.position(ex.node), len(graph.nodes) - 1

    def name(j: int) -> str:
        return latex_name(display_name(graph, graph.nodes[j]))

    def d(e: Edge) -> str:
        return partial(name(e.source), name(e.target))

    def number(x: Any) -> str:
        text = latex_data(x, precision)
        return f"\\left({text}\\right)" if text.startswith("-") else text

    L, me = name(out_k), name(k)
    head = partial(L, me)
    if k == out_k:
        return f"{head} = 1"
    if ex.gradient is None:
        out = display_name(graph, graph.nodes[out_k])
        why = "a constant" if not ex.node.requires_grad else f"{out} does not depend on it"
        return f"{head}:\\ " + latex_text(f"no gradient ({why})")
    if ex.paths:
        terms = [_ends(p.edges) + (_ends(p.factors)[0],) for p in ex.paths[:ex.max_listed]]
        symbols = [_latex_join([d(e) for e in edges], between) for edges, between, _ in terms]
        numbers = [_latex_join([number(f) for f in factors], between)
                   for _, between, factors in terms]
        edges = {(e.source, e.position): e for edges, _, _ in terms for e in edges}
    else:  # tensors: one step, each use's contribution
        uses = ex.contributions[:ex.max_listed]
        symbols = [f"{partial(L, name(e.source))} \\cdot {d(e)}" for e in uses]
        numbers = [number(e.contribution) for e in uses]
        edges = {(e.source, e.position): e for e in uses}
    more = ex.path_count if ex.paths else len(ex.contributions)
    left = more - len(symbols)
    tail = " + \\cdots\\ " + latex_text(f"({left:,} more)") if left > 0 else ""
    rows = [f"{head} &= " + " + ".join(symbols) + tail]
    total = latex_data(ex.gradient, precision)
    with_numbers = " + ".join(numbers)
    if left <= 0 and with_numbers != total:  # with terms left out, they would not add up
        rows.append("&= " + with_numbers)
    rows.append("&= " + total)
    wheres: dict[tuple[str, str], str] = {}  # x·x: one row for both inputs, as written
    for e in edges.values():
        formula = latex_derivative(graph, e.source, e.position, precision)
        value = "" if e.local is None else latex_data(e.local, precision)
        rhs = " = ".join(part for part in dict.fromkeys([formula, value]) if part)
        wheres.setdefault((d(e), rhs), graph.nodes[e.source].op.name)
    for i, ((symbol, rhs), op) in enumerate(wheres.items()):
        where = "\\text{where}\\quad " if i == 0 else ""
        rows.append(f"{where}{symbol} &= {rhs} && " + latex_text(op))
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def _latex_join(parts: list[str], between: int) -> str:
    """``a \\cdot b``, with ``\\cdots`` where ``between`` factors were left out."""
    if between:
        half = len(parts) // 2
        parts = [*parts[:half], f"\\cdots_{{({between:,}\\ \\text{{more}})}}", *parts[half:]]
    return " \\cdot ".join(parts)
