"""Recording a function once: run it on placeholders with the context's recorder on, and
keep the nodes its outputs need, in the order they were made (a Wengert list, already
in topological order).

Imports: ``core``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.context import set_recorder
from ..core.errors import TraceWarning
from ..core.value import Value, as_data

__all__ = ["Recording", "record"]


@dataclass
class Recording:
    """What one run of a function made.

    ``nodes`` are the recorded op nodes its outputs need, in creation order;
    ``externals`` the Values they read but the run did not make (placeholders of Value
    and array arguments, parameters the function closes over); ``placeholders`` pairs
    each input argument's position with the leaf that stood in for it.
    """

    result: Any
    outputs: tuple[Value, ...]
    nodes: list[Value]
    externals: list[Value]
    placeholders: list[tuple[int, Value]]


def record(fn: Callable, flat: Sequence[Any], n_positional: int,
           keywords: Sequence[str]) -> Recording:
    """Run ``fn`` once, recording every node it makes.

    Arguments that are Values or arrays become fresh leaves (placeholders), so that each
    replay can give them new data; other arguments are passed through as they are.

    >>> w = Value(2.0)
    >>> rec = record(lambda x: (x * w).sum(), (np.ones(2),), 1, ())
    >>> [v.op.name for v in rec.nodes], len(rec.externals)
    (['mul', 'sum'], 2)
    """
    placeholders: list[tuple[int, Value]] = []
    call = list(flat)
    for position, x in enumerate(flat):
        if isinstance(x, (Value, np.ndarray)):
            is_value = isinstance(x, Value)
            p = Value(0.0, requires_grad=is_value and x.requires_grad,
                      name=x.name if is_value else None)
            p.data = x.data if is_value else as_data(x, "trace")
            placeholders.append((position, p))
            call[position] = p
    made: list[Value] = []
    outer = set_recorder(made)
    try:
        result = fn(*call[:n_positional], **dict(zip(keywords, call[n_positional:],
                                                        strict=True)))
    finally:
        set_recorder(outer)
    outputs = _outputs_of(result)
    nodes = _needed(made, outputs)
    replayed = {id(v) for v in nodes}
    externals: dict[int, Value] = {}
    for v in nodes:
        for x in v._inputs:
            if type(x) is Value and id(x) not in replayed:
                externals.setdefault(id(x), x)
    return Recording(result, outputs, nodes, list(externals.values()), placeholders)


def _needed(made: list[Value], outputs: tuple[Value, ...]) -> list[Value]:
    """The op nodes the outputs depend on, in the order they were made."""
    made_ids = {id(v) for v in made}
    for out in outputs:
        if id(out) not in made_ids:
            raise TypeError("trace: the function must return Values computed by ops "
                            "inside it (got one made elsewhere)")
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        v = stack.pop()
        if id(v) in needed or id(v) not in made_ids:
            continue
        needed.add(id(v))
        stack.extend(x for x in v._inputs if type(x) is Value)
    nodes = [v for v in made if id(v) in needed]
    frozen = [v for v in nodes if v._op is None]
    if frozen:
        warnings.warn(f"trace: {len(frozen)} value(s) were computed under no_grad inside "
                      "the traced function; replays reuse their recorded data",
                      TraceWarning, stacklevel=5)
    return [v for v in nodes if v._op is not None]


def _outputs_of(result: Any) -> tuple[Value, ...]:
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outputs:
        if not isinstance(out, Value):
            raise TypeError(f"trace: the function must return a Value or a tuple of Values, "
                            f"got {type(out).__name__}")
    return tuple(outputs)
