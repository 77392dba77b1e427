"""Checking gradients: central differences, gradcheck and gradgradcheck.

Everything here is computed in float64. Numerical gradients perturb one element at a
time by ±eps (central differences, error O(eps²)). When autograd and the numbers
disagree, the graph is searched for ops whose domain (from the op table) says an input
sits on a kink — relu or abs at 0, maximum at a tie — where no derivative exists and
central differences straddle the kink; such cases are reported with a
:class:`KinkWarning` naming the op, not as failures.

Imports: ``ops``, ``value``, ``autodiff``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autodiff import grad, topological_order
from .value import Value

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError", "KinkWarning",
           "kinks_near"]


class GradcheckError(AssertionError):
    """Autograd and central differences disagree; the message says where and by how much."""


class KinkWarning(UserWarning):
    """A gradient check touched a kink (relu at 0, a tie in max): no derivative exists there."""


def _float64_inputs(inputs: Sequence[Any]) -> list[np.ndarray]:
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
    arrays = _float64_inputs(inputs)
    grads = []
    for k, base in enumerate(arrays):
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            f_plus = _scalar(f(*[Value(a) for a in plus]), projection)
            f_minus = _scalar(f(*[Value(a) for a in minus]), projection)
            g[idx] = (f_plus - f_minus) / (2.0 * eps)
        grads.append(g)
    return grads


def kinks_near(out: Value, tol: float) -> list[str]:
    """Descriptions of the nodes under ``out`` whose inputs lie within ``tol`` of a kink."""
    found = []
    for node in topological_order(out):
        op = node.op
        if op is None or op.domain.kink_gap is None:
            continue
        args = [x.data if isinstance(x, Value) else x for x in node.inputs]
        gap = op.domain.gap(*args, **node.params)
        if gap <= tol:
            found.append(f"{op.name} ({op.domain.kinks}; distance {gap:.3g})")
    return found


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    kink_tol: float | None = None,
    seed: int = 0,
) -> bool:
    """Compare autograd with central differences; return True or raise GradcheckError.

    Inputs are converted to float64 Values. A non-scalar output is reduced with a fixed
    random projection (seeded). An element passes when
    ``|analytic − numerical| ≤ atol + rtol·|numerical|``. Mismatches where an op's input
    lies within ``kink_tol`` (default ``100·eps``) of one of its kinks produce a
    :class:`KinkWarning` instead of an error.

    >>> gradcheck(lambda x, y: (x * y).sin().sum(), [np.ones(3), np.arange(3.0)])
    True
    """
    arrays = _float64_inputs(inputs)
    values = [Value(a) for a in arrays]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    projection = None
    if out.shape != ():
        projection = np.random.default_rng(seed).standard_normal(out.shape)
        target = (out * projection).sum()
    else:
        target = out
    analytic = [np.asarray(g.data, dtype=np.float64) for g in grad(target, values)]
    numeric = numerical_grad(f, arrays, eps, projection)
    failures = []
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
        for idx in zip(*np.nonzero(bad)) if a.ndim else ([()] if bad else []):
            idx = tuple(int(i) for i in idx)
            rel = abs(a[idx] - n[idx]) / max(abs(n[idx]), atol)
            failures.append((k, idx, float(a[idx]), float(n[idx]), rel))
    if not failures:
        return True
    tol = 100 * eps if kink_tol is None else kink_tol
    kinks = kinks_near(out, tol)
    k, idx, a_val, n_val, rel = failures[0]
    where = f"input {k}, element {idx if idx else '()'}"
    detail = (f"{where}: analytic {a_val:.10g}, numerical {n_val:.10g}, "
              f"relative error {rel:.3g} (atol {atol:g}, rtol {rtol:g}); "
              f"{len(failures)} element(s) differ")
    if kinks:
        warnings.warn(KinkWarning(f"gradcheck: at a kink, not a failure: {detail}; near "
                                  + ", ".join(kinks)), stacklevel=2)
        return True
    raise GradcheckError(f"gradcheck: {detail}")


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck the gradient of ``f`` (built with create_graph).

    The gradients are reduced with fixed random projections to one scalar, whose
    derivative (a Hessian-vector product) is compared with central differences.

    >>> gradgradcheck(lambda x: (x ** 3.0).sum(), [np.array([0.5, 2.0])])
    True
    """
    arrays = _float64_inputs(inputs)
    rng = np.random.default_rng(seed + 1)
    projections = [rng.standard_normal(a.shape) for a in arrays]

    def first_derivative(*xs: Value) -> Value:
        out = f(*xs)
        if out.shape != ():
            out = (out * np.random.default_rng(seed).standard_normal(out.shape)).sum()
        grads = grad(out, list(xs), create_graph=True)
        total = 0.0
        for g, p in zip(grads, projections):
            total = total + (g * p).sum()
        return total if isinstance(total, Value) else Value(total, requires_grad=False)

    return gradcheck(first_derivative, arrays, eps, atol, rtol, seed=seed)

