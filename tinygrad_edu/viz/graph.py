"""The graph as the drawings see it: nodes in a fixed order, names, number formatting.

This module owns the small things every drawing needs and nothing else:

* :func:`collect` walks a computation graph from its output, iteratively, and returns
  every Value in a deterministic order (inputs before the Values that use them), so the
  same graph always gets the same node ids and byte-identical DOT;
* :func:`display_name` gives each node the name a reader sees (its ``name``, or the op
  and its position, e.g. ``sigmoid5``), made printable by :func:`readable`;
* :meth:`Graph.chain_link` says which nodes are inner links of a chain (what the
  drawings fold when a graph is too big);
* :func:`fmt_number` / :func:`fmt_data` format scalars, small matrices as rows, and
  summaries of larger tensors.

It reads ``Value``'s public attributes only. Must not import graphviz, the engine's
backward pass, or anything else from ``viz``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Value

__all__ = ["Graph", "collect", "display_name", "readable", "fmt_number", "fmt_data", "hang",
           "MINUS", "NAME_LIMIT"]

#: The typographic minus sign used in every label and explanation.
MINUS = "\u2212"
#: Names longer than this are shortened in drawings and explanations (with an ellipsis).
NAME_LIMIT = 48
_SURROGATE = re.compile("[\ud800-\udfff]")  # what UTF-8 cannot encode in a str
#: Matrices up to this many rows and columns are shown in full, one row per line.
MATRIX_LIMIT = 6


@dataclass
class Graph:
    """Every Value reachable from ``output``, inputs first.

    ``index[id(v)]`` is a node's position in ``nodes``; ``consumers[k]`` lists the
    positions of the nodes that use node ``k`` as an input (once per use).
    """

    output: Value
    nodes: list[Value]
    index: dict[int, int]
    consumers: list[list[int]]

    def position(self, v: Value) -> int:
        return self.index[id(v)]

    def grad_input(self, k: int) -> int | None:
        """The position of node ``k``'s only differentiable input (None: zero or several)."""
        found = None
        for x in self.nodes[k].inputs:
            if type(x) is Value and x.requires_grad:
                j = self.index[id(x)]
                if found is not None and found != j:
                    return None
                found = j
        return found

    def chain_link(self, k: int) -> bool:
        """Is node ``k`` an inner link of a chain: an op with one differentiable input,
        used exactly once? Runs of such nodes are what big drawings fold."""
        v = self.nodes[k]
        return (v.requires_grad and v.op is not None and len(self.consumers[k]) == 1
                and self.grad_input(k) is not None)


def collect(output: Value) -> Graph:
    """Walk the graph behind ``output`` (iteratively: deep chains are fine).

    Constant Values (``requires_grad=False``) are nodes too, but the walk does not go
    behind them: what made a constant does not matter to its gradient.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> [display_name(g, v) for g in [collect(x * x + 1.0)] for v in g.nodes]
    ['x', 'mul1', 'add2']
    """
    if not isinstance(output, Value):
        raise TypeError(f"collect: expected a Value, got {type(output).__name__}")
    nodes: list[Value] = []
    index: dict[int, int] = {}
    stack: list[tuple[Value, bool]] = [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            if id(node) not in index:
                index[id(node)] = len(nodes)
                nodes.append(node)
            continue
        if id(node) in index:
            continue
        stack.append((node, True))
        if node.requires_grad:
            # Reversed so that input 0 is finished first: left-to-right reading order.
            for x in reversed(node.inputs):
                if type(x) is Value and id(x) not in index:
                    stack.append((x, False))
    consumers: list[list[int]] = [[] for _ in nodes]
    for k, node in enumerate(nodes):
        if not node.requires_grad:
            continue
        for x in node.inputs:
            if type(x) is Value:
                consumers[index[id(x)]].append(k)
    return Graph(output, nodes, index, consumers)


def readable(text: Any, limit: int = NAME_LIMIT) -> str:
    """``text`` as it can be shown and saved: at most ``limit`` characters (the middle
    replaced by an ellipsis), characters UTF-8 cannot encode (lone surrogates) replaced.

    >>> readable("bad" + chr(0xD800))   # a lone surrogate
    'bad\ufffd'
    >>> readable("n" * 100, limit=9)
    'nnnn…nnnn'
    """
    s = str(text)
    if len(s) > limit:
        head = (limit - 1) - (limit - 1) // 2
        s = s[:head] + "…" + s[len(s) - (limit - 1) // 2:]
    if not s.isascii():
        s = _SURROGATE.sub("\ufffd", s)
    return s


def display_name(graph: Graph, v: Value) -> str:
    """The node's ``name``, else its op and position (``mul4``), else ``leaf2``/``const2``.

    Names are passed through :func:`readable`: a 20,000-character name is shown short.

    >>> from tinygrad_edu import Value
    >>> g = collect(Value(2.0, name="x") * Value(3.0, requires_grad=False))
    >>> [display_name(g, v) for v in g.nodes]
    ['x', 'const1', 'mul2']
    """
    if v.name:
        return readable(v.name)
    k = graph.position(v)
    if v.op is not None and v.requires_grad:
        return f"{v.op.name}{k}"
    return f"leaf{k}" if v.requires_grad else f"const{k}"


def fmt_number(x: float, precision: int = 4) -> str:
    """A float with ``precision`` significant digits and a real minus sign.

    >>> fmt_number(-0.0654321), fmt_number(3.0), fmt_number(1e-12)
    ('−0.06543', '3', '1e−12')
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    text = f"{x:.{precision}g}"
    if text == "-0":
        text = "0"
    return text.replace("-", MINUS)


def fmt_data(data: Any, precision: int = 4, max_items: int = 6, collapsed: bool = False) -> str:
    """Scalars as numbers; small tensors in full; larger ones as shape and range.

    A matrix of up to 6×6 is shown in full, one row per line (as NumPy prints it); a
    vector of up to ``max_items`` elements on one line. ``collapsed`` shows a tensor's
    shape only (used past the node cap).

    >>> fmt_data(np.array([0.5, -1.0]))
    '[0.5, −1]'
    >>> print(fmt_data(np.array([[1.0, 2.0], [3.0, -4.0]])))
    [[1, 2]
     [3, −4]]
    >>> fmt_data(np.zeros((10, 10)))
    '(10, 10) min 0 mean 0 max 0'
    """
    if data is None:
        return "None"
    if isinstance(data, Value):
        data = data.data
    arr = np.asarray(data)
    if arr.ndim == 0:
        return fmt_number(float(arr), precision)
    shape = "(" + ", ".join(str(n) for n in arr.shape) + ("," if arr.ndim == 1 else "") + ")"
    if collapsed or arr.size == 0:
        return shape
    if arr.ndim == 2 and arr.shape[0] <= MATRIX_LIMIT and arr.shape[1] <= MATRIX_LIMIT:
        rows = ["[" + ", ".join(fmt_number(x, precision) for x in row) + "]" for row in arr]
        return "[" + "\n ".join(rows) + "]"
    if arr.size <= max_items:
        return "[" + ", ".join(fmt_number(x, precision) for x in arr.ravel()) + "]"
    a = arr.astype(np.float64, copy=False)
    return (f"{shape} min {fmt_number(a.min(), precision)} mean {fmt_number(a.mean(), precision)}"
            f" max {fmt_number(a.max(), precision)}")


def hang(prefix: str, text: str) -> str:
    """``prefix + text``, the text's further lines indented under its first (for rows).

    >>> print(hang("∂L/∂W = ", fmt_data(np.eye(2))))
    ∂L/∂W = [[1, 0]
             [0, 1]]
    """
    return prefix + text.replace("\n", "\n" + " " * len(prefix))
