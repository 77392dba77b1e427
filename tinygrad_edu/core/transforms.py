"""Functions of functions: gradients, Jacobians, Hessians and forward-mode products,
without touching ``.grad``.

:func:`grad` is the reverse-mode engine run for chosen outputs and inputs (with
``create_graph`` the gradients are Values with a graph of their own, so they can be
differentiated again); :func:`value_and_grad`, :func:`jacobian` and :func:`hessian` are
built on it. :func:`jvp` is forward mode (JAX's signature) and :func:`hvp` forward over
reverse: the tangents pushed through the graph ``grad(create_graph=True)`` records.

Imports: ``backward``, ``forward``, ``context``, ``errors``, ``value``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backward import run_backward
from .context import enable_grad
from .errors import ShapeError
from .forward import run_forward_mode
from .value import Value, as_data, upstream_for

__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "jvp", "hvp", "tangent_seeds"]


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    create_graph: bool = False,
) -> tuple[Value, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    With ``create_graph=True`` the results are Values with a graph of their own, so
    they can be differentiated again. Inputs that the outputs do not depend on get
    zeros.

    >>> x = Value(3.0)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = grad(dx, x)
    >>> float(dx), float(d2x)       # 3x², 6x
    (27.0, 18.0)
    """
    ins = _values(inputs, "grad", "inputs")
    if isinstance(outputs, Value):
        outs, grad_outs = (outputs,), (grad_outputs,)
    else:
        outs = _values(outputs, "grad", "outputs")
        grad_outs = (None,) * len(outs) if grad_outputs is None else tuple(grad_outputs)
    if len(grad_outs) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(grad_outs)} grad_outputs")
    upstreams = []
    for out, g in zip(outs, grad_outs, strict=True):
        if create_graph and isinstance(g, Value):
            if g.shape != out.shape:
                raise ShapeError(f"grad: grad_output has shape {g.shape}, output has {out.shape}")
            upstreams.append(g)
            continue
        raw = upstream_for(out, g.data if isinstance(g, Value) else g, "grad")
        upstreams.append(Value(raw, requires_grad=False) if create_graph else raw)
    if create_graph:
        with enable_grad():
            found = run_backward(outs, upstreams, create_graph=True, store=False, wanted=ins)
    else:
        found = run_backward(outs, upstreams, store=False, wanted=ins)
    results = []
    for x in ins:
        g = found.get(id(x))
        if g is None:
            g = np.zeros(x.shape, dtype=x.dtype) if x.shape else 0.0
        results.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(results)


def _values(x: Any, where: str, what: str) -> tuple[Value, ...]:
    """``x`` as a tuple of Values (one Value or a sequence of them), or a clear TypeError."""
    if isinstance(x, Value):
        return (x,)
    if isinstance(x, (list, tuple)) and all(isinstance(v, Value) for v in x):
        return tuple(x)
    got = type(x).__name__ if not isinstance(x, (list, tuple)) else \
        f"a {type(x).__name__} holding " + ", ".join(sorted({type(v).__name__ for v in x}))
    raise TypeError(f"{where}: {what} must be a Value or a list of Values (those the "
                    f"output was computed from), got {got}")


def _check_output(y: Any, where: str) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"{where}: f must return a Value computed from its argument, got "
                        f"{type(y).__name__}")
    return y


def value_and_grad(
    f: Callable[..., Value], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Turn ``f`` into a function returning ``(f(*args) data, gradient(s))`` as arrays.

    >>> vg = value_and_grad(lambda x: (x * x).sum())
    >>> vg(np.array([1.0, 2.0]))
    (5.0, array([2., 4.]))
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def wrapped(*args: Any):
        values = [Value(a) if i in nums else a for i, a in enumerate(args)]
        out = _check_output(f(*values), "value_and_grad")
        grads = grad(out, [values[i] for i in nums])
        arrays = tuple(g.data for g in grads)
        return out.data, (arrays[0] if single else arrays)

    return wrapped


def _unit(shape: tuple[int, ...], flat_index: int) -> Any:
    e = np.zeros(shape)
    e.flat[flat_index] = 1.0
    return e if shape else 1.0


def jacobian(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The Jacobian of ``f`` at ``x``: shape ``f(x).shape + x.shape``, one backward per output.

    >>> jacobian(lambda v: v * v, np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    xv = Value(x)
    y = _check_output(f(xv), "jacobian")
    rows = []
    for j in range(y.size):
        (g,) = grad(y, xv, grad_outputs=_unit(y.shape, j))
        rows.append(np.asarray(g.data, dtype=float))
    return np.array(rows).reshape(y.shape + xv.shape)


def hessian(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The Hessian of a scalar ``f`` at ``x``: shape ``x.shape + x.shape`` (grad of grad).

    >>> hessian(lambda v: (v ** 3.0).sum(), np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    xv = Value(x)
    y = _check_output(f(xv), "hessian")
    if y.shape != ():
        raise ShapeError(f"hessian: f must return a scalar, got shape {y.shape}")
    (gx,) = grad(y, xv, create_graph=True)
    if not gx.requires_grad:  # the gradient does not depend on x: f is linear
        return np.zeros(xv.shape + xv.shape)
    rows = []
    for j in range(xv.size):
        (h,) = grad(gx, xv, grad_outputs=_unit(xv.shape, j))
        rows.append(np.asarray(h.data, dtype=float))
    return np.array(rows).reshape(xv.shape + xv.shape)


def tangent_seeds(where: str, primals: Sequence[Any], tangents: Sequence[Any]
                  ) -> tuple[list[Value], dict[Value, Any]]:
    """Fresh Values for ``primals`` and their tangents, checked (same count and shapes);
    ``where`` names the caller in errors (``jvp``, ``hvp``, the forward-mode drawings).

    >>> values, seeds = tangent_seeds("jvp", (2.0,), (1,))
    >>> seeds[values[0]]
    1.0
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{where}: primals and tangents must be tuples (one entry per "
                        f"argument of f), got {type(primals).__name__} and "
                        f"{type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{where}: {len(primals)} primals but {len(tangents)} tangents")
    values = [Value(p) for p in primals]
    seeds = {}
    for i, (v, t) in enumerate(zip(values, tangents, strict=True)):
        t = as_data(t, where, copy=True)
        if np.shape(t) != v.shape:
            raise ShapeError(f"{where}: tangent {i} has shape {np.shape(t)}, its primal "
                             f"has shape {v.shape}")
        seeds[v] = t if type(t) is float else t.astype(v.dtype)
    return values, seeds


def _tangent_of(v: Value, found: dict[int, Any]) -> Any:
    t = found.get(id(v))
    if t is None:  # the output does not depend on the inputs
        return np.zeros(v.shape, dtype=v.dtype) if v.shape else 0.0
    return t


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """Forward mode, as ``jax.jvp``: ``(f(*primals), J·tangents)``, as arrays.

    One forward pass gives the derivative of every output along one direction of the
    inputs (a column of the Jacobian per unit tangent).

    >>> out, tangent = jvp(lambda x: x * x, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    >>> out, tangent                      # d(x²) = 2x·dx
    (array([1., 4.]), array([2., 0.]))
    """
    values, seeds = tangent_seeds("jvp", primals, tangents)
    result = f(*values)
    outs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outs:
        _check_output(out, "jvp")
    found = run_forward_mode(outs, seeds)
    datas = tuple(out.data for out in outs)
    tans = tuple(_tangent_of(out, found) for out in outs)
    if isinstance(result, (tuple, list)):
        return datas, tans
    return datas[0], tans[0]


def hvp(f: Callable[..., Value], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian of a scalar ``f`` times ``tangents``, forward over reverse: the gradient
    is recorded as a graph (``create_graph=True``) and the tangents pushed through it.

    Costs about one forward and one backward pass, where :func:`hessian` makes one
    backward pass per input element. Returns one array per primal (a single array for
    one primal).

    >>> hvp(lambda x: (x ** 3.0).sum(), (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    array([ 6., 12.])
    """
    values, seeds = tangent_seeds("hvp", primals, tangents)
    y = _check_output(f(*values), "hvp")
    if y.shape != ():
        raise ShapeError(f"hvp: f must return a scalar, got shape {y.shape}")
    grads = grad(y, values, create_graph=True)
    found = run_forward_mode([g for g in grads if g.requires_grad], seeds)
    products = tuple(np.asarray(_tangent_of(g, found), dtype=v.dtype) if v.shape
                     else float(_tangent_of(g, found)) for g, v in zip(grads, values, strict=True))
    return products[0] if len(products) == 1 else products
