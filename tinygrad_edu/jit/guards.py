"""When a recorded tape may be replayed: the arguments' signature, and the Values the
function reads that must not have changed shape, dtype, ``requires_grad`` or identity.

Imports: ``core``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.value import Value

__all__ = ["signature", "data_key", "Guards"]


def data_key(data: Any) -> Any:
    """What about a Value's data a tape depends on: shape and dtype (None for a float).

    >>> data_key(2.0), data_key(np.zeros((2, 3)))
    (None, ((2, 3), dtype('float64')))
    """
    return None if type(data) is float else (data.shape, data.dtype)


def signature(position: Any, x: Any) -> tuple:
    """What about one argument makes a recorded tape reusable (or not).

    Arrays and Values are inputs (their shape, dtype and ``requires_grad`` count, not
    their data); anything else is static (its value counts: a new one records again).

    >>> signature(0, np.zeros(3))[0], signature("lr", 0.1)
    ('array', ('static', <class 'float'>, 0.1))
    """
    if isinstance(x, Value):
        return ("value", x.requires_grad, data_key(x.data))
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            # An input becomes a float Value; integer data (labels, indices) is used as
            # NumPy, which runs once: replays would silently reuse the first call's.
            raise TypeError(
                f"trace: argument {position!r} is a {x.dtype} array; inputs must be float "
                f"data: convert it (x.astype(float)), or for class labels used as indices "
                f"pass one-hot rows (np.eye(classes)[labels])")
        return ("array", x.shape, x.dtype)  # the dtype object: .str builds a string
    try:
        hash(x)
    except TypeError:
        raise TypeError(
            f"trace: argument {position!r} is a {type(x).__name__}: pass data as a NumPy "
            f"array or a Value, settings as hashable values (numbers, strings, tuples)"
        ) from None
    return ("static", type(x), x)


class Guards:
    """The Values a tape reads but does not make (parameters, closed-over values), as
    they were when it was recorded, and the names the function reads them through."""

    def __init__(self, fn: Callable, externals: Sequence[Value]) -> None:
        self._values = [(x, x.requires_grad, data_key(x.data)) for x in externals]
        self._bindings = _named_values(fn)

    def hold(self) -> bool:
        """Whether every guarded Value kept its shape, dtype, flag and name."""
        for x, requires_grad, key in self._values:
            data = x._data
            if x.requires_grad is not requires_grad:
                return False
            if type(data) is np.ndarray:
                if key is None or data.shape != key[0] or data.dtype != key[1]:
                    return False
            elif key is not None or type(data) is not float:
                return False
        return self.rebound() is None

    def rebound(self) -> str | None:
        """The first name the function reads a Value through (a closure variable or a
        global) that now names a different Value than when recorded, or None.

        The tape holds the recorded Values themselves; after ``w = Value(...)`` the
        function would read the new one, so the tape must be recorded again.
        """
        for container, name, recorded in self._bindings:
            if isinstance(container, dict):
                now = container.get(name)
            else:
                try:
                    now = container.cell_contents
                except ValueError:  # the variable was deleted
                    return name
            if now is not recorded:
                return name
        return None


def _named_values(fn: Callable) -> list[tuple[Any, str, Value]]:
    """(cell or globals dict, name, Value) for each Value ``fn`` reads by name directly.

    Values reached through objects (``model.weight``) are not seen; those are updated
    in place by optimizers anyway.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    found: list[tuple[Any, str, Value]] = []
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or (),
                          strict=False):
        try:
            v = cell.cell_contents
        except ValueError:  # not yet assigned
            continue
        if isinstance(v, Value):
            found.append((cell, name, v))
    namespace = getattr(fn, "__globals__", None) or {}
    for name in code.co_names:
        v = namespace.get(name)
        if isinstance(v, Value):
            found.append((namespace, name, v))
    return found
