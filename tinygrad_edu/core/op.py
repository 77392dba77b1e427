"""One row of the op table: :class:`Op` (forward, a VJP rule per input, derivative text,
domain) and :class:`Domain` (where the op is smooth).

An Op is also the forward step on raw data (:meth:`Op.run`: run the kernel, normalise
the result, turn bad input into a :class:`ShapeError` naming the op and the shapes) and
a function (``MUL(x, y)``): on raw data it runs the kernel, with a Value among its
inputs it records a node. That second way is what lets a VJP rule written with table
entries run on arrays (a plain backward pass) and on Values (a backward pass recording
a graph of its own, for gradients of gradients). Recording is :mod:`.value`'s job; it
tells this module how, once, with :func:`register_graph`.

Imports: ``errors``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ShapeError

__all__ = ["Op", "Domain", "PerInput", "register_graph", "normalize", "shape_of", "node_type",
           "record_node", "ELEMENTWISE"]


@dataclass(frozen=True)
class Domain:
    """Where an op is smooth, per input.

    ``ranges`` is the box the property tests draw each input from: inside the op's
    domain and well-conditioned for central differences. ``singular`` lists points that
    are outside the domain (log at 0); ``kinks`` describes non-differentiable points in
    words, and ``kink_gap(*inputs, **params)`` returns how far the given inputs are from
    the nearest kink (``inf`` for smooth ops), so checkers can tell a kink from a bug.

    >>> Domain().gap(1.0)
    inf
    """

    ranges: tuple[tuple[float, float], ...] = ((-3.0, 3.0),)
    singular: str = ""
    kinks: str = ""
    kink_gap: Callable[..., float] | None = None

    def gap(self, *inputs: Any, **params: Any) -> float:
        """Distance from ``inputs`` to the nearest kink (``inf`` when the op has none)."""
        if self.kink_gap is None:
            return math.inf
        return float(self.kink_gap(*inputs, **params))


class PerInput:
    """The VJP rules of a variadic op (concatenate): ``rules[i]`` is input ``i``'s rule,
    made from one rule that takes the position first.

    >>> rules = PerInput(lambda i, g, out, *xs: i * g)
    >>> rules[2](1.0, None)
    2.0
    """

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]):
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[..., Any]:
        rule = self.rule
        return lambda g, out, *inputs, **params: rule(i, g, out, *inputs, **params)

    def __len__(self) -> int:  # any number of inputs
        return 1 << 30


#: The kinds of op whose every output element depends on the same element of each input.
ELEMENTWISE = ("unary", "binary", "where")

#: The type of graph nodes (Value) and the function that records an op applied to them:
#: set once by :func:`register_graph`; read by ``Op.__call__`` and the VJP rules.
node_type: type | None = None
record_node: Callable[..., Any] | None = None


def register_graph(nodes: type, record: Callable[..., Any]) -> None:
    """Say how to record: calling an op with a ``nodes`` instance among its inputs runs
    ``record(op, inputs, params)``. :mod:`tinygrad_edu.core.value` calls this once."""
    global node_type, record_node
    node_type, record_node = nodes, record


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: forward, a VJP rule per input, derivative text, domain.

    ``vjps[i](g, out, *inputs, **params)`` is the contribution input ``i`` receives from
    upstream gradient ``g`` (reverse mode); ``jvps[i](t, out, *inputs, **params)`` is what
    a tangent ``t`` of input ``i`` adds to the output's tangent (forward mode);
    ``derivatives[i]`` says the same in words for people (edge labels, explain(), docs).
    ``kind`` tells the property tests which shapes and parameters the op takes;
    ``check`` explains bad input; ``ufunc`` is the NumPy function this op is
    (``np.exp``), so that ``np.exp(value)`` dispatches here.
    """

    name: str
    forward: Callable[..., Any]
    vjps: Sequence[Callable[..., Any]]
    derivatives: tuple[str, ...]
    kind: str
    doc: str
    domain: Domain = field(default_factory=Domain)
    check: Callable[..., None] | None = None
    smooth: bool = True
    symbol: str = ""
    ufunc: Any = None
    #: Forward mode: ``jvps[i](t, out, *inputs, **params)`` is how the output changes for
    #: a change ``t`` of input ``i`` (the Jacobian times ``t``, broadcastable to the
    #: output's shape); the output's tangent is the sum over the inputs. The same table
    #: read the other way: ⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩ for every row (a property test).
    jvps: Sequence[Callable[..., Any]] | None = None
    #: The JVPs in words, one per input (``"T @ Y"``); an elementwise op's is its
    #: derivative times the tangent, written for it by :meth:`jvp_text`.
    jvp_texts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # An elementwise op's Jacobian is diagonal: its VJP rule, g · ∂out/∂x, is also
        # its JVP rule, t · ∂out/∂x (broadcasting works both ways), so it is not written
        # twice. Other kinds state their JVPs.
        if self.jvps is None and self.kind in ELEMENTWISE:
            object.__setattr__(self, "jvps", self.vjps)

    @property
    def arity(self) -> int | None:
        """Number of tensor inputs, or None for variadic ops."""
        return None if isinstance(self.vjps, PerInput) else len(self.vjps)

    def derivative(self, position: int) -> str:
        """The local derivative text for input ``position`` (variadic ops share one)."""
        return self.derivatives[min(position, len(self.derivatives) - 1)]

    def jvp_text(self, position: int) -> str:
        """What a tangent ``t`` of input ``position`` adds to the output's tangent, in words.

        >>> from tinygrad_edu.core.ops import SIN, MATMUL
        >>> SIN.jvp_text(0), MATMUL.jvp_text(1)
        ('t·cos(x)', 'X @ T')
        """
        if self.jvp_texts:
            return self.jvp_texts[min(position, len(self.jvp_texts) - 1)]
        text = self.derivative(position)
        if text in ("1", "−1"):
            return text.replace("1", "t")
        depth, top = 0, set()  # the characters outside every bracket
        for ch in text:
            depth += (ch in "([") - (ch in ")]")
            if depth == 0:
                top.add(ch)
        return f"t·({text})" if top & set(" +−/") else f"t·{text}"

    def run(self, datas: Sequence[Any], params: dict | None) -> Any:
        """The forward step on raw data: the result, normalised (floats for 0-d, float
        arrays), or a :class:`ShapeError` naming this op and the input shapes.

        >>> from tinygrad_edu.core.ops import MUL
        >>> MUL.run((2.0, 3.0), None)
        6.0
        """
        try:
            out = self.forward(*datas, **params) if params else self.forward(*datas)
        except (ValueError, IndexError, TypeError) as error:
            self.reject(datas, params, error)
        return out if type(out) is float else normalize(out)

    def reject(self, datas: Sequence[Any], params: dict | None, error: Exception) -> None:
        """Raise the :class:`ShapeError` for inputs the kernel failed on: the op's check
        says what is wrong when it knows, else the kernel's error with the shapes."""
        if self.check is not None:
            self.check(*datas, **(params or {}))
        shapes = ", ".join(str(shape_of(d)) for d in datas)
        raise ShapeError(f"{self.name}: {error} (input shapes {shapes})") from error

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        """Apply the op to raw data, or record it when any input is a Value."""
        nodes = node_type
        for x in inputs:
            if type(x) is nodes:
                return record_node(self, inputs, params)
        return self.forward(*inputs, **params)

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __reduce__(self) -> tuple:
        from .ops import op_named  # an op pickles as its name in the table
        return (op_named, (self.name,))


_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def normalize(out: Any) -> Any:
    """A kernel's result as Value data: 0-d results become Python floats, arrays keep
    float32 or float64 and anything else becomes float64.

    >>> normalize(np.array(3)), normalize(np.array([1, 2])).dtype
    (3.0, dtype('float64'))
    """
    if isinstance(out, np.ndarray):
        if out.ndim == 0:
            return float(out)
        return out if out.dtype in _FLOAT_DTYPES else out.astype(np.float64)
    return float(out)


def shape_of(x: Any) -> tuple[int, ...]:
    """Shape of raw data or a Value: floats are ``()``.

    >>> shape_of(2.0), shape_of(np.zeros((2, 3)))
    ((), (2, 3))
    """
    return () if isinstance(x, (float, int)) else tuple(x.shape)
