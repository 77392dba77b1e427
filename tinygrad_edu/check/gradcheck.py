"""gradcheck and gradgradcheck: autograd against central differences, kinks told apart.

Everything here is computed in float64. Numerical gradients perturb one element at a
time by ±eps (central differences, error O(eps²)). When autograd and the numbers
disagree at an input element, that element is excused as a kink only when both hold:
an op of the graph has an input on one of its kinks (relu or abs at 0, maximum at a tie;
from the op table's domains), and the analytic value lies between the element's two
one-sided differences — a subgradient, as a kink allows. The elements excused are
reported with a :class:`KinkWarning` naming the op; every other mismatch is an error,
even in a graph that has a kink elsewhere.

Imports: ``core``, ``check.numerical``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import Value, grad, topological_order
from .numerical import float64_inputs, numerical_grad, value_at

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "KinkWarning", "kinks_near"]


class GradcheckError(AssertionError):
    """Autograd and central differences disagree; the message says where and by how much."""


class KinkWarning(UserWarning):
    """A gradient check touched a kink (relu at 0, a tie in max): no derivative exists there."""


def _is_subgradient(f: Callable[..., Any], arrays: list[np.ndarray], k: int, idx: tuple,
                    analytic: float, eps: float, atol: float, rtol: float,
                    projection: np.ndarray | None) -> bool:
    """True when ``analytic`` lies between the one-sided differences at this element
    (within the tolerances): what a kink allows. On a smooth element both one-sided
    differences agree with the central one, so a wrong analytic value lies outside."""
    here = value_at(f, arrays, k, idx, 0.0, projection)
    left = (here - value_at(f, arrays, k, idx, -eps, projection)) / eps
    right = (value_at(f, arrays, k, idx, eps, projection) - here) / eps
    low, high = min(left, right), max(left, right)
    slack = atol + rtol * max(abs(low), abs(high))
    return low - slack <= analytic <= high + slack


def kinks_near(out: Value, tol: float) -> list[str]:
    """Descriptions of the nodes under ``out`` whose inputs lie within ``tol`` of a kink.

    >>> kinks_near(Value([0.0, 2.0]).relu().sum(), 1e-4)
    ['relu (x = 0 (subgradient 0); distance 0)']
    """
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


def _projection(shape: tuple[int, ...], seed: int) -> np.ndarray | None:
    """The fixed random direction a non-scalar output is reduced along (None for scalars)."""
    return None if shape == () else np.random.default_rng(seed).standard_normal(shape)


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
    ``|analytic − numerical| ≤ atol + rtol·|numerical|``. A mismatching element is
    excused with a :class:`KinkWarning` only when an op's input lies within
    ``kink_tol`` (default ``100·eps``) of one of its kinks *and* the analytic value lies
    between that element's one-sided differences; any other mismatch raises.

    >>> gradcheck(lambda x, y: (x * y).sin().sum(), [np.ones(3), np.arange(3.0)])
    True
    >>> try:  # a kink at element 0 does not excuse the wrong rule at element 1
    ...     gradcheck(lambda x: (x.relu() + x * x.detach()).sum(), [np.array([0.0, 2.0])])
    ... except GradcheckError as error:
    ...     print(str(error).split(", relative")[0])
    gradcheck: input 0, element (1,): analytic 3, numerical 5
    """
    arrays = float64_inputs(inputs)
    values = [Value(a) for a in arrays]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    projection = _projection(out.shape, seed)
    target = out if projection is None else (out * projection).sum()
    analytic = [np.asarray(g.data, dtype=np.float64) for g in grad(target, values)]
    numeric = numerical_grad(f, arrays, eps, projection)
    failures = []
    for k, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
        for idx in zip(*np.nonzero(bad), strict=True) if a.ndim else ([()] if bad else []):
            idx = tuple(int(i) for i in idx)
            rel = abs(a[idx] - n[idx]) / max(abs(n[idx]), atol)
            failures.append((k, idx, float(a[idx]), float(n[idx]), rel))
    if not failures:
        return True
    tol = 100 * eps if kink_tol is None else kink_tol
    kinks = kinks_near(out, tol)
    at_kinks, real = [], []
    for failure in failures:
        k, idx, a_val = failure[:3]
        excused = kinks and _is_subgradient(f, arrays, k, idx, a_val, eps, atol, rtol,
                                            projection)
        (at_kinks if excused else real).append(failure)
    if at_kinks:
        warnings.warn(KinkWarning(f"gradcheck: at a kink, not a failure: "
                                  f"{_describe(at_kinks, atol, rtol)}; near "
                                  + ", ".join(kinks)), stacklevel=2)
    if real:
        raise GradcheckError(f"gradcheck: {_describe(real, atol, rtol)}")
    return True


def _describe(failures: list[tuple], atol: float, rtol: float) -> str:
    """The first mismatching element in words, and how many there are."""
    k, idx, a_val, n_val, rel = failures[0]
    where = f"input {k}, element {idx if idx else '()'}"
    return (f"{where}: analytic {a_val:.10g}, numerical {n_val:.10g}, "
            f"relative error {rel:.3g} (atol {atol:g}, rtol {rtol:g}); "
            f"{len(failures)} element(s) differ")


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
    derivative (a Hessian-vector product) is compared with central differences. Those
    differences are taken of the engine's own first derivative, so this checks that the
    second derivative is consistent with the first, not that the first is right: run
    :func:`gradcheck` too (a first-derivative rule that is the exact derivative of
    another function, log′ written as 1/(2x), passes here).

    >>> gradgradcheck(lambda x: (x ** 3.0).sum(), [np.array([0.5, 2.0])])
    True
    """
    arrays = float64_inputs(inputs)
    rng = np.random.default_rng(seed + 1)
    projections = [rng.standard_normal(a.shape) for a in arrays]

    def first_derivative(*xs: Value) -> Value:
        out = f(*xs)
        projection = _projection(out.shape, seed)  # the same reduction gradcheck uses
        if projection is not None:
            out = (out * projection).sum()
        grads = grad(out, list(xs), create_graph=True)
        total = 0.0
        for g, p in zip(grads, projections, strict=True):
            total = total + (g * p).sum()
        return total if isinstance(total, Value) else Value(total, requires_grad=False)

    return gradcheck(first_derivative, arrays, eps, atol, rtol, seed=seed)
