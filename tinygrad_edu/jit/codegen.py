"""A recorded tape as straight-line Python: the code autograd ran, to read and to run.

:class:`tinygrad_edu.jit.program.Tape` writes its forward pass and its backward pass out as
Python source, one line per node and one per gradient contribution, and runs that code
on later calls. Reading it is the point of this module as much as speed: the backward
function is the hand derivation of the tutorials, written by the op table.

Names in the code: ``v3`` is the data of recorded node 3 and ``g3`` its gradient;
``x0`` is the data of external 0 (a Value the tape reads but does not compute: an
argument or a parameter) and ``gx0`` its gradient; capitals (``V3``, ``X0``) are the
Value objects, whose data the code reads and writes as ``V3._data`` (the slot behind
``.data``: the replay's own writes are not changes a graph must refuse); ``C0`` is a
constant array. Each op is called by its table name
(``sigmoid``), each VJP rule by the op's name and the input it is for
(``matmul_vjp1``: the rule for ``matmul``'s second input).

>>> import numpy as np
>>> from tinygrad_edu import Value, trace
>>> w = Value(2.0, name="w")
>>> f = trace(lambda x: (x * w).sum())
>>> f(np.array([1.0, 2.0])).backward()     # records, and writes the backward code
>>> (tape,) = f.tapes.values()
>>> print(tape.source(), end="")
def backward(g1):
    v1 = V1._data
    v0 = V0._data
    x0 = X0._data
    x1 = X1._data  # w
    V1.grad = g1
    g0 = sum_vjp0(g1, v1, v0, axis=None, keepdims=False)  # sum: ∂/∂x = 1
    V0.grad = g0
    gx1 = sum_to_shape_of(mul_vjp1(g0, v0, x0, x1), X1)  # mul: ∂/∂y = x
    return [gx1]

Imports: ``core`` (``steps.sum_to_shape``, behind ``sum_to_shape_of``, and
``op.normalize``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..core.op import normalize
from ..core.steps import sum_to_shape
from ..core.value import Value

__all__ = ["forward_code", "backward_code"]

_LITERALS = (type(None), bool, int, str)


class _Names:
    """Gives every object the generated code refers to a name, and keeps the namespace."""

    def __init__(self, nodes: Sequence[Value], externals: Sequence[Value]) -> None:
        self.namespace: dict[str, Any] = {"sum_to_shape_of": _sum_to_shape_of,
                                          "normalize": normalize}
        self._of: dict[int, str] = {}
        for k, v in enumerate(nodes):
            self._of[id(v)] = f"v{k}"
            self.namespace[f"V{k}"] = v
        for j, x in enumerate(externals):
            self._of[id(x)] = f"x{j}"
            self.namespace[f"X{j}"] = x
        self._constants = 0

    def data(self, v: Value) -> str:
        """``v3`` / ``x0``: the local holding a Value's data."""
        return self._of[id(v)]

    def obj(self, v: Value) -> str:
        """``V3`` / ``X0``: the Value itself."""
        return self._of[id(v)].upper()

    def grad(self, v: Value) -> str:
        """``g3`` / ``gx0``: the local holding a Value's gradient."""
        return "g" + self._of[id(v)].lstrip("v")

    def constant(self, c: Any) -> str:
        """A finite float as its literal; anything else as a named constant ``C0``."""
        if type(c) is float and math.isfinite(c):
            return repr(c)
        return self._new_constant(c)

    def _new_constant(self, c: Any) -> str:
        name = f"C{self._constants}"
        self._constants += 1
        self.namespace[name] = c
        return name

    def arg(self, x: Any) -> str:
        return self.data(x) if type(x) is Value else self.constant(x)

    def params(self, params: dict | None) -> str:
        if not params:
            return ""
        if all(_is_literal(p) for p in params.values()):
            return "".join(f", {k}={p!r}" for k, p in params.items())
        return f", **{self._new_constant(params)}"

    def function(self, name: str, fn: Callable) -> str:
        name = re.sub(r"\W", "_", name)
        self.namespace[name] = fn
        return name


def _sum_to_shape_of(contribution: Any, target: Value) -> Any:
    """A VJP result brought to its input's shape and dtype: broadcasting undone by summing
    (a (3,) bias added to (4, 3) rows gets the sum of the 4 rows' gradients)."""
    return sum_to_shape(contribution, target)


def _is_literal(p: Any) -> bool:
    if isinstance(p, tuple):
        return all(_is_literal(q) for q in p)
    return isinstance(p, _LITERALS) or (type(p) is float and math.isfinite(p))


def _reads(names: _Names, values: Sequence[Value]) -> list[str]:
    """``x0 = X0._data`` lines: data is read once, when the pass starts."""
    return [f"    {names.data(x)} = {names.obj(x)}._data" + (f"  # {x.name}" if x.name else "")
            for x in values]


def _compile(lines: list[str], namespace: dict[str, Any], name: str) -> tuple[Callable, str]:
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<tape {name}>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace[name], source


def forward_code(nodes: Sequence[Value], externals: Sequence[Value], inputs: Sequence[tuple],
                 normalizes: Sequence[bool]) -> tuple[Callable[[], None], str]:
    """The forward pass: recompute every node from its inputs' current data, in order
    (``Op.run``'s step, unrolled: the kernel, and ``normalize`` where it was needed).

    ``inputs[k]`` are node k's inputs as replay reads them (Values, converted
    constants); ``normalizes[k]`` says whether its kernel's raw result needed normalizing.
    """
    names = _Names(nodes, externals)
    lines = ["def forward():", *_reads(names, externals)]
    for k, v in enumerate(nodes):
        op = v._op
        call = (f"{names.function(op.name, op.forward)}("
                f"{', '.join(names.arg(x) for x in inputs[k])}{names.params(v._params)})")
        if normalizes[k]:
            call = f"normalize({call})"
        lines.append(f"    v{k} = {call}")
        lines.append(f"    V{k}._data = v{k}" + (f"  # {v.name}" if v.name else ""))
    if not nodes:
        lines.append("    pass")
    return _compile(lines, names.namespace, "forward")


def backward_code(nodes: Sequence[Value], externals: Sequence[Value], inputs: Sequence[tuple],
                  edges: dict[int, list], root: Value,
                  deliveries: Sequence[Value]) -> tuple[Callable[[Any], list], str]:
    """The backward pass from ``root``: every VJP the eager engine would run, unrolled.

    ``edges[k]`` lists node k's ``[position, input, needs_fit, needs_copy]`` for inputs that need a
    gradient; the function returns the gradients of ``deliveries`` (None: not reached).
    """
    names = _Names(nodes, externals)
    reached = {id(root)}
    read: dict[int, Value] = {}  # Values whose data the pass uses, in first-use order
    body: list[str] = []
    assigned: set[int] = set()
    start = next(k for k, v in enumerate(nodes) if v is root)
    for k in range(start, -1, -1):
        v = nodes[k]
        if id(v) not in reached:
            continue
        g = names.grad(v)
        body.append(f"    V{k}.grad = {g}" + (f"  # {v.name}" if v.name else ""))
        op = v._op
        args = ", ".join(names.arg(x) for x in inputs[k])
        for x in (v, *inputs[k]):
            if type(x) is Value:
                read.setdefault(id(x), x)
        for i, x, needs_fit, needs_copy in edges.get(k, ()):
            rule = names.function(f"{op.name}_vjp{i}", op.vjps[i])
            c = f"{rule}({g}, v{k}, {args}{names.params(v._params)})"
            if needs_fit:
                c = f"sum_to_shape_of({c}, {names.obj(x)})"
            if needs_copy:  # the upstream itself (or a view): a gradient of its own
                c = f"{c}.copy()"
            target = names.grad(x)
            summed = f"{target} + {c}" if id(x) in assigned else c
            body.append(f"    {target} = {summed}  # {op.name}: ∂/∂{_arg_name(i)} = "
                        f"{op.derivative(i)}")
            assigned.add(id(x))
            reached.add(id(x))
    head = [f"def backward({names.grad(root)}):"]
    head += _reads(names, list(read.values()))
    results = [names.grad(x) if id(x) in assigned else "None" for x in deliveries]
    lines = head + body + [f"    return [{', '.join(results)}]"]
    return _compile(lines, names.namespace, "backward")


def _arg_name(i: int) -> str:
    return "xyzw"[i] if i < 4 else f"input{i}"
