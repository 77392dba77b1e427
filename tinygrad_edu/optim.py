"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam.

An optimizer holds a list of parameters and changes their ``.data`` from their
``.grad`` in :meth:`Optimizer.step`. Updates run under ``no_grad`` (an update is not
part of any model's graph). Array parameters are updated in place; scalar parameters
(Python floats) are reassigned. A parameter whose ``grad`` is None is skipped.

State (momentum buffers, Adam's moments and step count) comes out of
:meth:`Optimizer.state_dict` as plain floats and ndarrays, so it can be stored with
``np.savez`` and put back with :meth:`Optimizer.load_state_dict`.

Imports: ``value`` and ``autodiff``. Must not import ``nn`` (any iterable of Values works).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .autodiff import no_grad
from .value import Value

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
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is "
                                f"{type(p).__name__}, not a Value")
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
        """Hyperparameters, step count and per-parameter slots, as plain data.

        >>> opt = SGD([Value(1.0)], lr=0.1, momentum=0.9)
        >>> sorted(opt.state_dict())
        ['hyper', 'slots', 'steps']
        """
        return {
            "hyper": {name: getattr(self, name) for name in self.hyper},
            "steps": self.steps,
            "slots": [{k: _copy(v) for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`; checks counts and shapes before changing anything."""
        name = type(self).__name__
        slots = state.get("slots")
        if not isinstance(slots, list) or len(slots) != len(self.params):
            got = len(slots) if isinstance(slots, list) else type(slots).__name__
            raise ValueError(f"{name}.load_state_dict: state is for {got} parameters, "
                             f"this optimizer has {len(self.params)}")
        problems = []
        for i, (p, s) in enumerate(zip(self.params, slots, strict=True)):
            for k, v in s.items():
                if k not in self.slots:
                    problems.append(f"parameter {i}: unknown slot {k!r}")
                elif np.shape(v) != p.shape:
                    problems.append(f"parameter {i}: slot {k!r} has shape {np.shape(v)}, "
                                    f"parameter has shape {p.shape}")
        unknown = set(state.get("hyper", {})) - set(self.hyper)
        if unknown:
            problems.append(f"unknown hyperparameters {sorted(unknown)}")
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        for k, v in state.get("hyper", {}).items():
            setattr(self, k, v)
        self.steps = int(state.get("steps", 0))
        self.state = [{k: _copy(v) for k, v in s.items()} for s in slots]

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


def _copy(v: Any) -> Any:
    return float(v) if np.ndim(v) == 0 else np.array(v, copy=True)


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
