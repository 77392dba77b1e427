"""``np.linalg`` on Values: :func:`inv`, :func:`solve`, :func:`det`, :func:`slogdet`.

Reached as ``F.linalg.inv`` (``from tinygrad_edu import functional as F``), and by
NumPy itself: ``np.linalg.inv(value)`` dispatches here. Each works on a matrix or a
batch of them (…, n, n), with NumPy's semantics. A singular matrix makes ``inv`` and
``solve`` raise :class:`~tinygrad_edu.core.errors.SingularMatrixError` (naming the op,
the shape and the matrix of the batch), never return inf or nan; ``det`` is differentiable
there too (its gradient is the adjugate); ``slogdet`` gives ``(0, −inf)`` as NumPy. A
matrix holding inf or nan gives nan (docs/conventions.md, "Linear algebra").

>>> import numpy as np
>>> from tinygrad_edu import Value
>>> X = Value([[2.0, 1.0], [1.0, 3.0]])
>>> det(X).backward()
>>> X.grad                                   # d det X = det X · X⁻ᵀ = adj(X)ᵀ
array([[ 3., -1.],
       [-1.,  2.]])

Imports: ``ops``, ``value``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import ops
from .value import Value, apply

__all__ = ["inv", "solve", "det", "slogdet", "SlogdetResult"]


def _as_value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def inv(a: Any) -> Value:
    """The inverse of a square matrix, or of each matrix of a batch (…, n, n).

    Gradient −X⁻ᵀ g X⁻ᵀ. A singular matrix raises ``SingularMatrixError``.

    >>> inv(Value([[2.0, 0.0], [0.0, 4.0]])).data
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return apply(ops.INV, (a,))


def solve(a: Any, b: Any) -> Value:
    """The ``z`` with ``a @ z = b``, as ``np.linalg.solve`` (NumPy 2): ``b`` of shape (n,)
    is one vector, ``b`` of shape (…, n, k) holds k columns per matrix of ``a``.

    Gradients: ``solve(aᵀ, g)`` for ``b``, ``−solve(aᵀ, g) · zᵀ`` for ``a``. A singular
    ``a`` raises ``SingularMatrixError``.

    >>> solve(Value([[2.0, 0.0], [0.0, 4.0]]), [2.0, 2.0]).data
    array([1. , 0.5])
    """
    return apply(ops.SOLVE, (a, b))


def det(a: Any) -> Value:
    """The determinant of a square matrix, or of each matrix of a batch.

    Gradient adj(X)ᵀ, the cofactor matrix: det X · X⁻ᵀ for an invertible X, and
    computed from the minors at a singular X, where it is still finite.

    >>> det(Value([[1.0, 2.0], [2.0, 4.0]])).data            # singular
    0.0
    """
    return apply(ops.DET, (a,))


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as NumPy's ``np.linalg.slogdet`` returns them."""

    sign: Value
    logabsdet: Value


def slogdet(a: Any) -> SlogdetResult:
    """``(sign, log|det a|)`` of a matrix or of each matrix of a batch, as NumPy's.

    ``logabsdet`` has gradient X⁻ᵀ; ``sign`` is piecewise constant (gradient 0). At a
    singular matrix the result is ``(0, −inf)`` as in NumPy, and the gradient of
    ``logabsdet`` does not exist: it comes out ±inf (the cofactors over 0).

    >>> sign, logabsdet = slogdet(Value([[-2.0, 0.0], [0.0, 1.0]]))
    >>> sign.data, round(logabsdet.data, 6)
    (-1.0, 0.693147)
    """
    both = apply(ops.SLOGDET, (a,))
    return SlogdetResult(both[..., 0], both[..., 1])
