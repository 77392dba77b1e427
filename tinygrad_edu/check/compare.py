"""compare(): autograd against a hand derivation, with central differences as the referee.

One call prints the table a learner wants: per parameter, autograd, the hand gradient,
central differences, the largest relative error, and a verdict; a MISMATCH row says
whom the numbers believe (``tinygrad-edu compare`` prints it for a file of your own).

Imports: ``core``, ``check.numerical``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import ShapeError, Value, grad
from .numerical import numerical_grad

__all__ = ["compare", "CompareReport", "CompareRow"]


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

    _HEADER = ("parameter", "shape", "autograd", "manual", "numerical", "max rel err",
               "verdict")

    def _cells(self) -> list[tuple[str, ...]]:
        """The table's body as text cells, one tuple per parameter (text and HTML)."""
        return [(r.name, str(r.shape), _short(r.autograd), _short(r.manual),
                 _short(r.numerical), f"{r.max_rel_error:.2e}", r.verdict) for r in self.rows]

    def _heading(self) -> str:
        return f"loss = {self.loss:.12g}; manual vs autograd tolerance: rtol {self.rtol:g}"

    def _verdict_lines(self) -> list[str]:
        if self.ok:
            return ["all hand gradients agree with autograd"]
        return [f"{len(self.mismatches)} of {len(self.rows)} parameter(s) MISMATCH:",
                *(row.explanation() for row in self.mismatches)]

    def __str__(self) -> str:
        header, body = self._HEADER, self._cells()
        widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]

        def fmt(line: Sequence[str]) -> str:
            return "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()

        verdict, *why = self._verdict_lines()
        return "\n".join([self._heading(), fmt(header), fmt(["-" * w for w in widths]),
                          *map(fmt, body), verdict, *("  " + line for line in why)])

    def _repr_html_(self) -> str:
        """The same table as HTML, for Jupyter: MISMATCH rows in red, all text escaped
        (a parameter may be called ``<b>``)."""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self._HEADER)
        rows = []
        for row, cells in zip(self.rows, self._cells(), strict=True):
            style = "" if row.ok else ' style="color:#b00020;font-weight:bold"'
            tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            rows.append(f"<tr{style}>{tds}</tr>")
        verdict, *why = self._verdict_lines()
        items = "".join(f"<li>{html.escape(line)}</li>" for line in why)
        return (f'<div class="tg-compare"><p>{html.escape(self._heading())}</p>'
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
                f"</table><p>{html.escape(verdict)}</p>"
                + (f"<ul>{items}</ul>" if items else "") + "</div>")

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
