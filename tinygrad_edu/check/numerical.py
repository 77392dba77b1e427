"""Central differences in float64: the independent oracle the checker compares with.

Numerical gradients perturb one element at a time by ±eps (central differences, error
O(eps²)), in float64 whatever the inputs' dtype.

Imports: ``core``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import Value

__all__ = ["numerical_grad", "float64_inputs", "value_at"]


def float64_inputs(inputs: Sequence[Any]) -> list[np.ndarray]:
    out = []
    for x in inputs:
        data = x.data if isinstance(x, Value) else x
        out.append(np.array(data, dtype=np.float64))
    return out


def _scalar(out: Any, projection: np.ndarray | None) -> float:
    data = out.data if isinstance(out, Value) else out
    if projection is None:
        return float(np.sum(data))
    return float(np.sum(np.asarray(data, dtype=np.float64) * projection))


def value_at(f: Callable[..., Any], arrays: list[np.ndarray], k: int, idx: tuple,
              step: float, projection: np.ndarray | None) -> float:
    """``f`` (reduced to a scalar) with element ``idx`` of input ``k`` moved by ``step``."""
    moved = [a.copy() for a in arrays]
    moved[k][idx] += step
    return _scalar(f(*[Value(a) for a in moved]), projection)


def numerical_grad(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    projection: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Central-difference gradient of ``f`` (scalar output) for each input, in float64.

    ``f`` is called with Values. For a non-scalar output pass ``projection`` (same
    shape): the gradient is then that of ``sum(f(x) * projection)``.

    >>> numerical_grad(lambda x: (x * x).sum(), [np.array([1.0, 2.0])])[0].round(6)
    array([2., 4.])
    """
    arrays = float64_inputs(inputs)
    grads = []
    for k, base in enumerate(arrays):
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            f_plus = value_at(f, arrays, k, idx, eps, projection)
            f_minus = value_at(f, arrays, k, idx, -eps, projection)
            g[idx] = (f_plus - f_minus) / (2.0 * eps)
        grads.append(g)
    return grads
