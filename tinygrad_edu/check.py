"""Checking gradients: central differences, gradcheck and gradgradcheck.

Everything here is computed in float64. Numerical gradients perturb one element at a
time by ±eps (central differences, error O(eps²)). When autograd and the numbers
disagree at an input element, that element is excused as a kink only when both hold:
an op of the graph has an input on one of its kinks (relu or abs at 0, maximum at a tie;
from the op table's domains), and the analytic value lies between the element's two
one-sided differences — a subgradient, as a kink allows. The elements excused are
reported with a :class:`KinkWarning` naming the op; every other mismatch is an error,
even in a graph that has a kink elsewhere.

Imports: ``ops``, ``value``, ``autodiff``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core import ShapeError, Value, grad, topological_order

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError", "KinkWarning",
           "kinks_near", "compare", "CompareReport", "CompareRow"]


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


def _value_at(f: Callable[..., Any], arrays: list[np.ndarray], k: int, idx: tuple,
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
    arrays = _float64_inputs(inputs)
    grads = []
    for k, base in enumerate(arrays):
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            f_plus = _value_at(f, arrays, k, idx, eps, projection)
            f_minus = _value_at(f, arrays, k, idx, -eps, projection)
            g[idx] = (f_plus - f_minus) / (2.0 * eps)
        grads.append(g)
    return grads


def _is_subgradient(f: Callable[..., Any], arrays: list[np.ndarray], k: int, idx: tuple,
                    analytic: float, eps: float, atol: float, rtol: float,
                    projection: np.ndarray | None) -> bool:
    """True when ``analytic`` lies between the one-sided differences at this element
    (within the tolerances): what a kink allows. On a smooth element both one-sided
    differences agree with the central one, so a wrong analytic value lies outside."""
    here = _value_at(f, arrays, k, idx, 0.0, projection)
    left = (here - _value_at(f, arrays, k, idx, -eps, projection)) / eps
    right = (_value_at(f, arrays, k, idx, eps, projection) - here) / eps
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
    arrays = _float64_inputs(inputs)
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
    arrays = _float64_inputs(inputs)
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


# ------------------------------------------------------------------------------------------
# compare(): autograd against a hand derivation, with central differences as the referee.
# (This section is the articles' owner's; the functions above belong to the core.)


@dataclass(frozen=True)
class CompareRow:
    """One parameter of a :func:`compare` report."""

    name: str
    shape: tuple[int, ...]
    autograd: np.ndarray
    manual: np.ndarray
    numerical: np.ndarray
    max_rel_error: float
    """Largest elementwise ``|manual − autograd| / max(|manual|, |autograd|, floor)``."""
    worst_index: tuple[int, ...]
    """Where that largest error is (``()`` for a scalar)."""
    numerical_rel_error: float
    """The same measure between autograd and central differences."""
    verdict: str
    """``"OK"`` or ``"MISMATCH"`` (the hand gradient disagrees with autograd)."""

    @property
    def ok(self) -> bool:
        return self.verdict == "OK"

    def explanation(self) -> str:
        """One sentence: how far the hand gradient is off, and whom the numbers believe."""
        idx = self.worst_index
        where = f"element {idx}" if idx else "the scalar"
        head = (f"{self.name}: manual differs from autograd by up to "
                f"{self.max_rel_error:.3g} relative ({where}: manual "
                f"{self.manual[idx]:.10g}, autograd {self.autograd[idx]:.10g}, numerical "
                f"{self.numerical[idx]:.10g})")
        if self.numerical_rel_error <= _NUMERICAL_RTOL:
            return head + "; central differences agree with autograd, so the hand " \
                          "derivation is wrong."
        return head + "; central differences disagree with autograd too " \
                      f"({self.numerical_rel_error:.3g}): check the loss function."


_NUMERICAL_RTOL = 1e-5  # central differences with eps=1e-6 carry ~1e-9 relative error


@dataclass(frozen=True)
class CompareReport:
    """What :func:`compare` returns: a row per parameter; ``str()`` is the table."""

    rows: tuple[CompareRow, ...]
    loss: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when every hand gradient agrees with autograd."""
        return all(row.ok for row in self.rows)

    @property
    def mismatches(self) -> tuple[CompareRow, ...]:
        return tuple(row for row in self.rows if not row.ok)

    def __getitem__(self, name: str) -> CompareRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"compare report: no parameter {name!r}")

    def __str__(self) -> str:
        header = ("parameter", "shape", "autograd", "manual", "numerical", "max rel err",
                  "verdict")
        body = [(r.name, str(r.shape), _short(r.autograd), _short(r.manual),
                 _short(r.numerical), f"{r.max_rel_error:.2e}", r.verdict) for r in self.rows]
        widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]

        def fmt(line: Sequence[str]) -> str:
            return "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()

        lines = [f"loss = {self.loss:.12g}; manual vs autograd tolerance: rtol {self.rtol:g}",
                 fmt(header), fmt(["-" * w for w in widths]), *map(fmt, body)]
        if self.ok:
            lines.append("all hand gradients agree with autograd")
        else:
            lines.append(f"{len(self.mismatches)} of {len(self.rows)} parameter(s) MISMATCH:")
            lines.extend("  " + row.explanation() for row in self.mismatches)
        return "\n".join(lines)

    def print(self) -> None:
        """Print the table (same text as ``str(report)``)."""
        print(str(self))


def _short(a: np.ndarray, limit: int = 4) -> str:
    flat = np.ravel(a)
    cells = [f"{x:.6g}" for x in flat[:limit]]
    if flat.size > limit:
        cells.append(f"… ({flat.size} values)")
    return cells[0] if a.ndim == 0 else "[" + ", ".join(cells) + "]"


def _rel_error(a: np.ndarray, b: np.ndarray, floor: float) -> tuple[float, tuple[int, ...]]:
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    rel = np.abs(a - b) / scale
    if rel.size == 0:
        return 0.0, ()
    idx = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    return float(rel[idx]), tuple(int(i) for i in idx)


def compare(
    loss_fn: Callable[..., Value],
    params: Mapping[str, Any],
    manual_grads: Mapping[str, Any] | Callable[..., Mapping[str, Any]],
    *,
    rtol: float = 1e-7,
    floor: float = 1e-12,
    eps: float = 1e-6,
) -> CompareReport:
    """Compare a hand-derived gradient with autograd and with central differences.

    ``loss_fn(**values)`` builds a scalar loss from Values named like ``params``
    (name -> Value, array or number; they are copied to fresh float64 Values, so the
    caller's ``.grad`` is untouched). ``manual_grads`` is either ``{name: gradient}`` or a
    callable taking the same names as float64 arrays and returning such a dict (extra
    keys, e.g. ``"loss"``, are ignored). A parameter is ``MISMATCH`` when its hand
    gradient differs from autograd by more than ``rtol`` relative (elementwise, scaled
    by ``max(|manual|, |autograd|, floor)``).

    >>> import numpy as np
    >>> report = compare(lambda w: (w * w).sum(), {"w": np.array([1.0, -2.0])},
    ...                  lambda w: {"w": 2 * w})
    >>> report.ok, report["w"].verdict
    (True, 'OK')
    >>> compare(lambda w: (w * w).sum(), {"w": [1.0, -2.0]}, {"w": [1.0, -2.0]}).ok
    False
    """
    if not isinstance(params, Mapping) or not params:
        raise TypeError("compare: params must be a non-empty dict of name -> Value or array")
    names = list(params)
    arrays = {k: np.array(v.data if isinstance(v, Value) else v, dtype=np.float64)
              for k, v in params.items()}
    if callable(manual_grads):
        given = manual_grads(**{k: a.copy() for k, a in arrays.items()})
    else:
        given = manual_grads
    if not isinstance(given, Mapping):
        raise TypeError(f"compare: manual gradients must be a dict, got {type(given).__name__}")
    missing = [k for k in names if k not in given]
    if missing:
        raise KeyError(f"compare: no manual gradient for parameter(s) {missing}; "
                       f"got keys {sorted(given)}")
    manual = {k: np.array(given[k], dtype=np.float64) for k in names}
    for k in names:
        if manual[k].shape != arrays[k].shape:
            raise ShapeError(f"compare: manual gradient of {k!r} has shape {manual[k].shape}, "
                             f"parameter has shape {arrays[k].shape}")

    values = [Value(arrays[k], name=k) for k in names]
    loss = loss_fn(**dict(zip(names, values, strict=True)))
    if not isinstance(loss, Value) or loss.shape != ():
        shape = loss.shape if isinstance(loss, Value) else type(loss).__name__
        raise ShapeError(f"compare: loss_fn must return a scalar Value, got {shape}")
    autograd = [np.array(g.data, dtype=np.float64) for g in grad(loss, values)]
    numerical = numerical_grad(lambda *vs: loss_fn(**dict(zip(names, vs, strict=True))),
                               [arrays[k] for k in names], eps)

    rows = []
    for k, a, n in zip(names, autograd, numerical, strict=True):
        m = manual[k]
        rel, where = _rel_error(m, a, floor)
        num_rel, _ = _rel_error(n, a, max(floor, eps))
        rows.append(CompareRow(k, arrays[k].shape, a, m, n, rel, where, num_rel,
                               "OK" if rel <= rtol else "MISMATCH"))
    return CompareReport(tuple(rows), float(loss.data), rtol)
