"""A recorded tape as a program: replay its forward pass on new inputs, run its backward
pass, hand the gradients on.

The first replay and the first backward pass from an output run the engine's own steps
(the kernels and ``normalize``, as ``Op.run``; then
:func:`~tinygrad_edu.core.backward.run_backward` with an observer that learns, per edge,
whether the rule's result needs fitting or copying); then the tape is written out as
straight-line Python (:mod:`.codegen`) and later calls run that.
Hooks, anomaly mode, ``grad()``, ``jacobian`` and the drawings always use the engine on
the recorded graph, which holds each call's Value arguments (:meth:`Tape.wire`).

Imports: ``core``, ``jit.codegen``, ``jit.guards``, ``jit.record``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.backward import run_backward
from ..core.context import hook_version, is_anomaly_enabled, last_change, next_version
from ..core.op import normalize
from ..core.steps import call_vjp, check_unchanged, store_leaf, sum_to_shape
from ..core.value import Value, as_data
from . import codegen
from .guards import Guards
from .record import record

__all__ = ["Tape", "MAX_CODE_NODES"]

#: Longer tapes are replayed by the engine's steps and never written out as code:
#: compiling Python costs about 25 µs a line, so a 10⁵-node scalar graph would take
#: seconds to compile before its first fast step.
MAX_CODE_NODES = 10_000


class Tape:
    """One recording of a function: the nodes it made, in order, ready to replay.

    Made by :class:`~tinygrad_edu.jit.traced.TracedFunction`; ``nodes`` (the recorded
    Values, in creation order) is there to be looked at: ``[v.op.name for v in
    tape.nodes]``, and :meth:`source` is the code it runs.
    """

    def __init__(self, fn: Callable, flat: Sequence[Any], n_positional: int,
                 keywords: Sequence[str]) -> None:
        rec = record(fn, flat, n_positional, keywords)
        self.result, self.outputs, self.nodes = rec.result, rec.outputs, rec.nodes
        self.externals = rec.externals
        self._placeholders = rec.placeholders
        placeholder_of = {id(p): position for position, p in self._placeholders}
        self.guards = Guards(fn, [x for x in self.externals if id(x) not in placeholder_of])
        self._watched = self.externals + self.nodes  # what a changed-input check reads
        self._stamp = next_version()
        # Node k's inputs as a replay reads them: Values, and constants converted once.
        self._inputs = [tuple(x if type(x) is Value else as_data(x, v._op.name)
                              for x in v._inputs) for v in self.nodes]
        # Per node k, [position, input, needs_fit, needs_copy] for each input that needs
        # a gradient; the flags are learnt on the first backward pass (shapes are fixed).
        self._edges = {k: [[i, x, None, None] for i, x in enumerate(v._inputs)
                           if type(x) is Value and x.requires_grad]
                       for k, v in enumerate(self.nodes) if v.requires_grad}
        # Where the gradients of externals go: a placeholder's to the argument it stands for.
        self._deliveries = [x for x in self.externals if x.requires_grad]
        self._argument_of = [placeholder_of.get(id(x)) for x in self._deliveries]
        self._hooks_checked = -1  # hook_version() when _has_hooks was computed
        self._has_hooks = True
        self._forward_fn: Callable[[], None] | None = None
        self._backward_fns: dict[int, Callable[[Any], list]] = {}
        self._sources: dict[str, str] = {}
        # Where each placeholder of a Value argument sits in the recorded graph, so that
        # every call can put the argument itself there (see wire).
        self._uses = [(position, p, [(v, [i for i, x in enumerate(v._inputs) if x is p])
                                     for v in self.nodes if any(x is p for x in v._inputs)])
                      for position, p in self._placeholders]
        self._wired: list[Any] = [p for _, p in self._placeholders]
        self._bound: Sequence[Any] = flat
        self.wire(flat)

    # -------------------------------------------------------------- forward
    def replay(self, flat: Sequence[Any]) -> Any:
        """Give the inputs their new data and recompute every recorded node."""
        for position, p in self._placeholders:
            x = flat[position]
            p._data = x._data if isinstance(x, Value) else as_data(x, "trace")
        self._bound = flat
        self.wire(flat)
        for out in self.outputs:  # fresh, as eager outputs are (a pass may not reach one)
            out.grad = None
        if self._forward_fn is not None:
            self._forward_fn()
        else:
            # Op.run's step, node by node, seeing each kernel's raw result: the code
            # written next normalises only where a kernel's result needed it.
            normalizes = []
            for k, node in enumerate(self.nodes):
                args = [x._data if type(x) is Value else x for x in self._inputs[k]]
                raw = node._op.forward(*args, **node._params) if node._params else \
                    node._op.forward(*args)
                node._data = normalize(raw)
                normalizes.append(node._data is not raw)
            if len(self.nodes) <= MAX_CODE_NODES:
                self._forward_fn, self._sources["forward"] = codegen.forward_code(
                    self.nodes, self.externals, self._inputs, normalizes)
        self._restamp()
        return self.result

    def _restamp(self) -> None:
        """The nodes were just recomputed from their inputs' current data: a change made
        before this replay does not make them stale (one made after it does)."""
        tick = next_version
        self._stamp = tick()
        for node in self.nodes:  # in tape order: stamps also order nodes (topologically)
            node._stamp = tick()

    def wire(self, flat: Sequence[Any]) -> None:
        """Put this call's Value arguments in the recorded graph where their placeholders
        were, so that the engine reaches them: ``grad(out, x)``, ``jacobian``, hooks and
        ``viz`` on an argument see it, and outputs that outlive the tape still
        backpropagate to it. The replay itself keeps reading the placeholders.
        """
        for j, (position, _, uses) in enumerate(self._uses):
            x = flat[position]
            if not isinstance(x, Value) or x is self._wired[j]:
                continue
            self._wired[j] = x
            for v, at in uses:
                inputs = list(v._inputs)
                for i in at:
                    inputs[i] = x
                v._inputs = tuple(inputs)

    # -------------------------------------------------------------- backward
    def backward(self, root: Value, upstream: Any) -> None:
        """The backward pass from ``root`` (one of the outputs): compiled code once it
        has been written, the engine otherwise."""
        if self._hooks_checked != hook_version():
            self._hooks_checked = hook_version()
            self._has_hooks = any(v._hooks for v in self.nodes)
        code = self._backward_fns.get(id(root))
        if self._has_hooks or is_anomaly_enabled() or code is None:
            self._engine_pass(root, upstream, learn=code is None)
            return
        self._check_unchanged()
        try:
            grads = code(upstream)
        except ZeroDivisionError:  # a float rule at a singular point: NumPy's inf/nan
            self._engine_pass(root, upstream, learn=False)
            return
        self._deliver(grads)

    def _engine_pass(self, root: Value, upstream: Any, learn: bool) -> None:
        """The engine's pass over the recorded graph (it holds this call's arguments, so
        the engine stores every gradient itself); ``learn`` also writes the code."""
        if not learn:
            run_backward((root,), (upstream,))
            return
        position = {id(v): k for k, v in enumerate(self.nodes)}

        def observe(node: Value, g: Any, sent: list) -> None:
            k = position.get(id(node))
            if k is None:
                return
            args = [x._data if type(x) is Value else x for x in self._inputs[k]]
            for edge in self._edges.get(k, ()):
                raw = call_vjp(node, edge[0], g, args, node._data)  # again, to see it raw
                fitted = sum_to_shape(raw, edge[1])
                edge[2] = fitted is not raw
                edge[3] = type(fitted) is np.ndarray and (fitted is g or fitted.base is not None)

        run_backward((root,), (upstream,), observer=observe)
        if len(self.nodes) <= MAX_CODE_NODES:
            code, source = codegen.backward_code(self.nodes, self.externals, self._inputs,
                                                 self._edges, root, self._deliveries)
            self._backward_fns[id(root)] = code
            self._sources[f"backward from {self._name_of(root)}"] = source

    def _check_unchanged(self) -> None:
        """The compiled pass's version of the engine's check: refuse if a Value the pass
        reads (an argument, a parameter, a recorded node) changed since the replay. Most
        passes follow their replay with no change to any data in between: then one
        comparison says so."""
        stamp = self._stamp
        if last_change() < stamp:
            return
        for x in self._watched:
            if x._version > stamp:
                for node in self.nodes:
                    check_unchanged(node)  # finds the node and names the Value

    def _deliver(self, grads: list[Any]) -> None:
        """Hand the gradients of externals on: leaves accumulate, others backpropagate."""
        roots, upstreams = [], []
        for j, x in enumerate(self._deliveries):
            g = grads[j]
            if g is None:
                continue
            position = self._argument_of[j]
            if position is not None:
                x = self._bound[position]
                if not isinstance(x, Value) or not x.requires_grad:
                    continue
            if x._op is None and not x._hooks:
                store_leaf(x, g)
            else:
                roots.append(x)
                upstreams.append(g)
        if roots:
            run_backward(roots, upstreams)

    # ------------------------------------------------------------- reading
    def _name_of(self, v: Value) -> str:
        k = next(k for k, node in enumerate(self.nodes) if node is v)
        return v.name or f"v{k}"

    def source(self) -> str:
        """The Python this tape runs: its forward pass and each backward pass compiled so
        far (code is written on the first replay and the first backward from an output).
        """
        order = sorted(self._sources, key=lambda k: k != "forward")
        return "\n".join(self._sources[k] for k in order)
