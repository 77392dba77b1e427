"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam.

An optimizer holds a list of parameters and changes their ``.data`` from their
``.grad`` in :meth:`Optimizer.step`. Updates run under ``no_grad`` (an update is not
part of any model's graph). Array parameters are updated in place; scalar parameters
(Python floats) are reassigned. A parameter whose ``grad`` is None is skipped.

State (momentum buffers, Adam's moments and step count) comes out of
:meth:`Optimizer.state_dict` as a flat dict of numbers and ndarrays, so it can be
stored with ``np.savez`` (no pickle) and put back with :meth:`Optimizer.load_state_dict`.

Imports: ``value`` and ``autodiff``. Must not import ``nn`` (any iterable of Values works).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..core import Value, no_grad

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: keeps the parameter list and the per-parameter state."""

    #: Names of the hyperparameters that ``state_dict`` saves (set by subclasses).
    hyper: tuple[str, ...] = ()
    #: Names of per-parameter state slots (each the shape of its parameter).
    slots: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value]):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        seen: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is "
                                f"{type(p).__name__}, not a Value")
            if id(p) in seen:  # it would be updated twice per step
                raise ValueError(f"{type(self).__name__}: parameter {i} is the same Value "
                                 f"as parameter {seen[id(p)]}")
            seen[id(p)] = i
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        """Clear every parameter's gradient."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        self.steps += 1
        with no_grad():
            for p, state in zip(self.params, self.state, strict=True):
                if p.grad is None:
                    continue
                delta = self._delta(p.data, p.grad, state)
                if type(p.data) is float:
                    p.data = p.data - float(delta)
                else:
                    p.data -= np.asarray(delta, dtype=p.data.dtype)

    def _delta(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        """How much to subtract from ``data`` (subclasses fill in the rule)."""
        raise NotImplementedError

    # ------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Parameter count, step count, hyperparameters and slots, as a flat dict.

        Keys are ``parameters``, ``steps``, ``hyper.<name>`` and ``slots.<i>.<slot>``;
        values are numbers and ndarrays (copies), so ``np.savez(path, **state)`` stores
        it without pickle.

        >>> opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
        >>> sorted(opt.state_dict())[:3]
        ['hyper.lr', 'hyper.momentum', 'hyper.nesterov']
        """
        state: dict[str, Any] = {"parameters": len(self.params), "steps": self.steps}
        state.update({f"hyper.{k}": getattr(self, k) for k in self.hyper})
        for i, slots in enumerate(self.state):
            state.update({f"slots.{i}.{k}": _copy(v) for k, v in slots.items()})
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` (or the ``np.load`` of its ``.npz``).

        Every key, count and shape is checked first; all problems are reported in one
        ``ValueError`` and nothing changes unless everything matches.
        """
        name = type(self).__name__
        problems = [f"missing {key!r}" for key in ("parameters", "steps") if key not in state]
        if "parameters" in state and int(state["parameters"]) != len(self.params):
            problems.append(f"state is for {int(state['parameters'])} parameters, this "
                            f"optimizer has {len(self.params)}")
        hyper: dict[str, Any] = {}
        slots: list[dict[str, Any]] = [{} for _ in self.params]
        for key in state.keys():
            kind, _, rest = key.partition(".")
            index, _, slot = rest.partition(".")
            if key in ("parameters", "steps"):
                continue
            if kind == "hyper" and rest in self.hyper:
                hyper[rest] = _like(getattr(self, rest), state[key])
            elif (kind == "slots" and index.isdigit() and int(index) < len(self.params)
                  and slot in self.slots):
                shape = self.params[int(index)].shape
                if np.shape(state[key]) != shape:
                    problems.append(f"parameter {index}: slot {slot!r} has shape "
                                    f"{np.shape(state[key])}, parameter has shape {shape}")
                slots[int(index)][slot] = _copy(state[key])
            else:
                problems.append(f"unknown key {key!r}")
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        for k, v in hyper.items():
            setattr(self, k, v)
        self.steps = int(state["steps"])
        self.state = slots

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


def _copy(v: Any) -> Any:
    return float(v) if np.ndim(v) == 0 else np.array(v, copy=True)


def _like(current: Any, saved: Any) -> Any:
    # np.load gives 0-d and 1-d arrays back; restore the attribute's own Python type.
    if isinstance(current, bool):
        return bool(saved)
    if isinstance(current, tuple):
        return tuple(float(x) for x in np.ravel(saved))
    return float(saved)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    With g = grad + weight_decay·p, the update is (PyTorch's convention):

    * plain:     p ← p − lr·g
    * momentum:  b ← momentum·b + g  (b starts as g),  p ← p − lr·b
    * Nesterov:  p ← p − lr·(g + momentum·b)

    >>> w = Value(1.0); (w * w).backward()            # grad 2
    >>> SGD([w], lr=0.1).step(); round(w.data, 12)     # 1 − 0.1·2
    0.8
    """

    hyper = ("lr", "momentum", "weight_decay", "nesterov")
    slots = ("momentum_buffer",)

    def __init__(self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params)
        if lr <= 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: need lr > 0, momentum ≥ 0, weight_decay ≥ 0; got "
                             f"lr={lr}, momentum={momentum}, weight_decay={weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        self.lr, self.momentum = float(lr), float(momentum)
        self.weight_decay, self.nesterov = float(weight_decay), bool(nesterov)

    def _delta(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        g = grad + self.weight_decay * data if self.weight_decay else grad
        if self.momentum:
            buf = state.get("momentum_buffer")
            # A fresh array (not an alias of p.grad, which the next backward adds into).
            buf = g * 1.0 if buf is None else self.momentum * buf + g
            state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected moments.

    With g = grad + weight_decay·p and step count t:
    m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
    p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + eps).
    On the first step this is p − lr·g/(|g| + eps): every weight moves by about lr.
    t counts this optimizer's steps (PyTorch counts per parameter; the two differ only
    for parameters that had no gradient on some steps).

    >>> w = Value(1.0); (w * w).backward()
    >>> Adam([w], lr=0.1).step(); round(w.data, 6)     # 1 − 0.1·2/(2 + 1e-8)
    0.9
    """

    hyper = ("lr", "betas", "eps", "weight_decay")
    slots = ("m", "v")

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params)
        b1, b2 = betas
        if lr <= 0 or not (0 <= b1 < 1 and 0 <= b2 < 1) or eps <= 0 or weight_decay < 0:
            raise ValueError(f"Adam: need lr > 0, betas in [0, 1), eps > 0, "
                             f"weight_decay ≥ 0; got lr={lr}, betas={betas}, eps={eps}, "
                             f"weight_decay={weight_decay}")
        self.lr, self.betas = float(lr), (float(b1), float(b2))
        self.eps, self.weight_decay = float(eps), float(weight_decay)

    def _delta(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        b1, b2 = self.betas
        g = grad + self.weight_decay * data if self.weight_decay else grad
        m = state.get("m", 0.0 * g)
        v = state.get("v", 0.0 * g)
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * (g * g)
        state["m"], state["v"] = m, v
        m_hat = m / (1.0 - b1 ** self.steps)
        v_hat = v / (1.0 - b2 ** self.steps)
        sqrt = math.sqrt if type(v_hat) is float else np.sqrt
        return self.lr * m_hat / (sqrt(v_hat) + self.eps)
