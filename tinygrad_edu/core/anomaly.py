"""Anomaly mode's two checks: a forward result that is nan or inf, and where a node was
made (so that the backward's error can say it).

Both run only inside :func:`~tinygrad_edu.core.context.detect_anomaly`.

Imports: ``errors``, ``op`` (``shape_of``).
"""

from __future__ import annotations

import linecache
import os
import sys
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import AnomalyError
from .op import Op, shape_of

__all__ = ["check_forward", "origin_of"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: id(node) -> (weak reference, where user code made it); filled in anomaly mode only.
_ORIGINS: dict[int, tuple[weakref.ref, str]] = {}


def _user_line() -> str:
    """``file:line in function: code`` of the innermost caller outside this package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "an unknown line"
    code = frame.f_code
    text = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}" + (f": {text}" if text else "")


def check_forward(op: Op, datas: Sequence[Any], out: Any, node: Any) -> None:
    """Note where user code made ``node``; raise :class:`AnomalyError` if ``out`` (its
    data) is not finite, naming the op, the input shapes and that line."""
    where = _user_line()
    key = id(node)
    _ORIGINS[key] = (weakref.ref(node, lambda _ref: _ORIGINS.pop(key, None)), where)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(out)
    if not np.all(finite):
        bad = int(np.size(finite) - np.count_nonzero(finite))
        shapes = ", ".join(str(shape_of(d)) for d in datas)
        raise AnomalyError(
            f"{op.name}: the forward result is not finite ({bad} of {np.size(finite)} "
            f"element(s) nan or inf; input shapes {shapes}), made at {where}")


def origin_of(node: Any) -> str | None:
    """Where user code made ``node``, if it was made inside ``detect_anomaly()``.

    >>> from tinygrad_edu import Value
    >>> origin_of(Value(1.0) * 2) is None
    True
    """
    entry = _ORIGINS.get(id(node))
    return entry[1] if entry is not None and entry[0]() is node else None
