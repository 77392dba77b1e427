"""Record a function's graph once, replay it on later calls: :func:`trace`.

An eager training step builds its graph anew on every call: one Python object per node,
and a topological sort in every backward pass. When the computation is the same each
time (same ops, same shapes), that work is the same each time too. ``trace(fn)`` runs
``fn`` once and records every node it makes, in the order they were made. That list,
the *tape* (a Wengert list), is already in topological order. On later calls the traced
function recomputes each recorded node's data in place, and ``backward()`` on what it
returned runs the recorded VJP rules in reverse tape order: no new nodes, no sort, and
the same rules (so the same numbers) as the eager engine.

The rules are those of ``jax.jit`` and ``torch.jit.trace``:

* Only ops on Values are replayed. Plain Python runs only while recording: branches on
  data, comparisons (``x > 0`` gives NumPy booleans, so a ``where`` mask made from one is
  fixed too; comparing or branching on a Value warns with :class:`TraceWarning`), NumPy
  on ``.data``, random draws, prints.
* NumPy arrays and Values passed as arguments are *inputs*: each call brings new data.
  Other arguments (numbers, strings, …) are *static*: a new one records a new tape.
* A new shape, dtype or ``requires_grad`` of an input, or of a Value the function
  closes over, records again. One tape per signature; the last 8 are kept.
* Values the function closes over (parameters) are held by the tape: update them in
  place (``w.data -= lr * w.grad``), or pass them as arguments. A closure variable or
  global rebound to a new Value (``w = Value(...)``) is noticed and recorded again, with
  a warning; a Value reached through an object (``model.w = Value(...)``) is not.
* The Values returned are the same objects on every call, refreshed in place: keep
  ``loss.item()``, not ``loss``, from one call to the next.
* Threads: each thread records and replays its own tape, so calls from several threads
  never see each other's data (the Values returned belong to the calling thread).

>>> w = Value(2.0)
>>> @trace
... def loss(x):
...     return ((w * x - 1.0) ** 2).sum()
>>> first = loss(np.array([1.0, 2.0]))          # records
>>> again = loss(np.array([3.0, 4.0]))          # replays: same Value, new data
>>> again is first, again.item()                # (2·3 − 1)² + (2·4 − 1)²
(True, 74.0)
>>> again.backward()
>>> w.grad                                       # 2(2·3−1)·3 + 2(2·4−1)·4
86.0

Imports: ``core``, ``codegen``.
"""

from __future__ import annotations

import functools
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import codegen
from .core.backward import run_backward
from .core.context import (
    CONTEXT,
    hook_version,
    is_anomaly_enabled,
    last_change,
    next_version,
    set_recorder,
)
from .core.errors import TraceWarning
from .core.op import normalize
from .core.steps import call_vjp, check_unchanged, store_leaf, sum_to_shape
from .core.value import Value, as_data

__all__ = ["trace", "TracedFunction", "Tape", "TraceWarning"]

#: Tapes kept per traced function (one per signature), least recently used dropped.
MAX_TAPES = 8

#: Longer tapes are replayed as data (a loop over the nodes) and never written out as
#: code: compiling Python costs about 25 µs a line, so a 10⁵-node scalar graph would take
#: seconds to compile before its first fast step.
MAX_CODE_NODES = 10_000


def _data_key(data: Any) -> Any:
    return None if type(data) is float else (data.shape, data.dtype)


def _signature(position: Any, x: Any) -> tuple:
    """What about one argument makes a recorded tape reusable (or not)."""
    if isinstance(x, Value):
        return ("value", x.requires_grad, _data_key(x.data))
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            # An input becomes a float Value; integer data (labels, indices) is used as
            # NumPy, which runs once: replays would silently reuse the first call's.
            raise TypeError(
                f"trace: argument {position!r} is a {x.dtype} array; inputs must be float "
                f"data: convert it (x.astype(float)), or for class labels used as indices "
                f"pass one-hot rows (np.eye(classes)[labels])")
        return ("array", x.shape, x.dtype)  # the dtype object: .str builds a string
    try:
        hash(x)
    except TypeError:
        raise TypeError(
            f"trace: argument {position!r} is a {type(x).__name__}: pass data as a NumPy "
            f"array or a Value, settings as hashable values (numbers, strings, tuples)"
        ) from None
    return ("static", type(x), x)


class Tape:
    """One recording of a function: the nodes it made, in order, ready to replay.

    Made by :class:`TracedFunction`; ``nodes`` (the recorded Values, in creation order)
    is there to be looked at: ``[v.op.name for v in tape.nodes]``.
    """

    def __init__(self, fn: Callable, flat: Sequence[Any], n_positional: int,
                 keywords: Sequence[str]) -> None:
        # Inputs become fresh leaves (placeholders) so that each replay can give them new
        # data; static arguments are passed through.
        self._placeholders: list[tuple[int, Value]] = []
        self._bound: Sequence[Any] = flat
        call = list(flat)
        for position, x in enumerate(flat):
            if isinstance(x, (Value, np.ndarray)):
                is_value = isinstance(x, Value)
                p = Value(0.0, requires_grad=is_value and x.requires_grad,
                          name=x.name if is_value else None)
                p.data = x.data if is_value else as_data(x, "trace")
                self._placeholders.append((position, p))
                call[position] = p
        recorded: list[Value] = []
        outer = set_recorder(recorded)
        try:
            keyword_args = dict(zip(keywords, call[n_positional:], strict=True))
            result = fn(*call[:n_positional], **keyword_args)
        finally:
            set_recorder(outer)
        self.result = result
        self.outputs = _outputs_of(result)
        self._build(recorded)
        self._bindings = _named_values(fn)

    # ------------------------------------------------------------ recording
    def _build(self, recorded: list[Value]) -> None:
        made = {id(v) for v in recorded}
        for out in self.outputs:
            if id(out) not in made:
                raise TypeError("trace: the function must return Values computed by ops "
                                "inside it (got one made elsewhere)")
        needed: set[int] = set()
        stack = list(self.outputs)
        while stack:
            v = stack.pop()
            if id(v) in needed or id(v) not in made:
                continue
            needed.add(id(v))
            stack.extend(x for x in v._inputs if type(x) is Value)
        nodes = [v for v in recorded if id(v) in needed]
        frozen = [v for v in nodes if v._op is None]
        if frozen:
            warnings.warn(f"trace: {len(frozen)} value(s) were computed under no_grad inside "
                          "the traced function; replays reuse their recorded data",
                          TraceWarning, stacklevel=4)
        self.nodes = [v for v in nodes if v._op is not None]
        replayed = {id(v) for v in self.nodes}

        # Inputs of recorded nodes that the tape does not make: placeholders, Values the
        # function closes over (parameters), and frozen values.
        placeholder_of = {id(p): position for position, p in self._placeholders}
        externals: dict[int, Value] = {}
        for v in self.nodes:
            for x in v._inputs:
                if type(x) is Value and id(x) not in replayed:
                    externals.setdefault(id(x), x)
        self._guards = [(x, x.requires_grad, _data_key(x.data)) for x in externals.values()
                        if id(x) not in placeholder_of]

        self.externals = list(externals.values())
        self._watched = self.externals + self.nodes  # what a changed-input check reads
        self._stamp = next_version()
        self._inputs = [_replay_inputs(v) for v in self.nodes]
        self._needs_normalizing: list[bool | None] = [None] * len(self.nodes)  # learnt on replay 1
        # Per node, [position, input, needs_fit, needs_copy] for each input that needs a
        # gradient; needs_fit (does the VJP's result need reshaping or casting?) and
        # needs_copy (is it its upstream or a view of it?) are learnt on the first
        # backward pass: shapes are fixed for a tape.
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
        # every call can put the argument itself there (see _wire).
        self._uses = [(position, p, [(v, [i for i, x in enumerate(v._inputs) if x is p])
                                     for v in self.nodes if any(x is p for x in v._inputs)])
                      for position, p in self._placeholders]
        self._wired: list[Any] = [p for _, p in self._placeholders]
        self._wire(self._bound)

    # -------------------------------------------------------------- replaying
    def still_valid(self) -> bool:
        """Whether the Values the function closes over kept their shapes and flags."""
        for x, requires_grad, key in self._guards:
            data = x.data
            if x.requires_grad is not requires_grad:
                return False
            if type(data) is np.ndarray:
                if key is None or data.shape != key[0] or data.dtype != key[1]:
                    return False
            elif key is not None or type(data) is not float:
                return False
        return self.rebound() is None

    def rebound(self) -> str | None:
        """The first name the function reads a Value through (a closure variable or a
        global) that now names a different Value than when recorded, or None.

        The tape holds the recorded Values themselves; after ``w = Value(...)`` the
        function would read the new one, so the tape must be recorded again.
        """
        for container, name, recorded in self._bindings:
            if isinstance(container, dict):
                now = container.get(name)
            else:
                try:
                    now = container.cell_contents
                except ValueError:  # the variable was deleted
                    return name
            if now is not recorded:
                return name
        return None

    def replay(self, flat: Sequence[Any]) -> Any:
        """Give the inputs their new data and recompute every recorded node."""
        for position, p in self._placeholders:
            x = flat[position]
            p._data = x._data if isinstance(x, Value) else as_data(x, "trace")
        self._bound = flat
        self._wire(flat)
        for out in self.outputs:  # fresh, as eager outputs are (a pass may not reach one)
            out.grad = None
        if self._forward_fn is not None:
            self._forward_fn()
            self._restamp()
            return self.result
        # The first replay runs the tape as data, learning which results need
        # normalizing; then the tape is written out as code for the next ones.
        for k, node in enumerate(self.nodes):
            args = [x.data if type(x) is Value else x for x in self._inputs[k]]
            params = node._params
            out = node._op.forward(*args, **params) if params else node._op.forward(*args)
            normal = out if type(out) is float else normalize(out)
            self._needs_normalizing[k] = normal is not out
            node._data = normal
        self._restamp()
        if len(self.nodes) <= MAX_CODE_NODES:
            self._forward_fn, self._sources["forward"] = codegen.forward_code(
                self.nodes, self.externals, self._inputs, self._needs_normalizing)
        return self.result

    def _restamp(self) -> None:
        """The nodes were just recomputed from their inputs' current data: a change made
        before this replay does not make them stale (one made after it does)."""
        tick = next_version
        self._stamp = tick()
        for node in self.nodes:  # in tape order: stamps also order nodes (topologically)
            node._stamp = tick()

    def _check_unchanged(self) -> None:
        """The compiled backward's version of the engine's check: refuse if a Value the
        pass reads (an argument, a parameter, a recorded node) changed since the replay.
        Most passes follow their replay with no change to any data in between: then one
        comparison says so."""
        stamp = self._stamp
        if last_change() < stamp:
            return
        for x in self._watched:
            if x._version > stamp:
                for node in self.nodes:
                    check_unchanged(node)  # finds the node and names the Value

    def backward(self, root: Value, upstream: Any) -> None:
        """The recorded backward pass from ``root`` (one of the outputs)."""
        if self._hooks_checked != hook_version():
            self._hooks_checked = hook_version()
            self._has_hooks = any(v._hooks for v in self.nodes)
        if self._has_hooks or is_anomaly_enabled():
            # The general engine runs hooks and anomaly checks. The graph holds this
            # call's Value arguments (see _wire), so it stores every gradient itself.
            run_backward((root,), (upstream,))
            return
        self._check_unchanged()
        code = self._backward_fns.get(id(root))
        if code is not None:
            try:
                grads = code(upstream)
            except ZeroDivisionError:  # a float VJP at a singular point: NumPy's inf/nan
                grads = self._backward_as_data(root, upstream)
        else:
            grads = self._backward_as_data(root, upstream)
            if len(self.nodes) <= MAX_CODE_NODES:
                code, source = codegen.backward_code(self.nodes, self.externals,
                                                     self._inputs, self._edges, root,
                                                     self._deliveries)
                self._backward_fns[id(root)] = code
                self._sources[f"backward from {self._name_of(root)}"] = source
        self._deliver(grads)

    def _wire(self, flat: Sequence[Any]) -> None:
        """Put this call's Value arguments in the recorded graph where their placeholders
        were, so that the general engine reaches them: ``grad(out, x)``, ``jacobian``,
        hooks and ``viz`` on an argument see it (with the placeholder, ``grad`` gave
        zeros), and outputs that outlive the tape still backpropagate to it.

        The replay itself keeps reading the placeholders (the compiled code holds them).
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

    def _backward_as_data(self, root: Value, upstream: Any) -> list[Any]:
        """The backward pass as a loop over the tape (learns which VJP results need fitting)."""
        grads: dict[int, Any] = {id(root): upstream}
        fit = sum_to_shape
        for k in range(len(self.nodes) - 1, -1, -1):
            node = self.nodes[k]
            g = grads.pop(id(node), None)
            if g is None:
                continue
            node.grad = g
            args = [x._data if type(x) is Value else x for x in self._inputs[k]]
            for edge in self._edges.get(k, ()):
                i, target = edge[0], edge[1]
                c = call_vjp(node, i, g, args, node._data)
                fitted = fit(c, target, False)
                edge[2] = fitted is not c
                # as in the engine: a gradient that is its upstream (or a view) is copied
                edge[3] = type(fitted) is np.ndarray and (fitted is g or fitted.base is not None)
                if edge[3]:
                    fitted = fitted.copy()
                previous = grads.get(id(target))
                grads[id(target)] = fitted if previous is None else previous + fitted
        return [grads.pop(id(x), None) for x in self._deliveries]

    def _deliver(self, grads: list[Any]) -> None:
        """Hand the gradients of externals on: leaves accumulate, others backpropagate."""
        roots, upstreams = [], []
        for j, x in enumerate(self._deliveries):
            g = grads[j]
            if g is None:
                continue
            grads[j] = None  # so the leaf may keep this array without a copy
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


def _named_values(fn: Callable) -> list[tuple[Any, str, Value]]:
    """(cell or globals dict, name, Value) for each Value ``fn`` reads by name directly.

    Values reached through objects (``model.weight``) are not seen; those are updated
    in place by optimizers anyway.
    """
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    found: list[tuple[Any, str, Value]] = []
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or (),
                          strict=False):
        try:
            v = cell.cell_contents
        except ValueError:  # not yet assigned
            continue
        if isinstance(v, Value):
            found.append((cell, name, v))
    namespace = getattr(fn, "__globals__", None) or {}
    for name in code.co_names:
        v = namespace.get(name)
        if isinstance(v, Value):
            found.append((namespace, name, v))
    return found


def _replay_inputs(node: Value) -> tuple:
    """A node's inputs as replay reads them: Values, and constants already converted."""
    name = node._op.name
    return tuple(x if type(x) is Value else as_data(x, name) for x in node._inputs)


def _outputs_of(result: Any) -> tuple[Value, ...]:
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outputs:
        if not isinstance(out, Value):
            raise TypeError(f"trace: the function must return a Value or a tuple of Values, "
                            f"got {type(out).__name__}")
    return tuple(outputs)


class TracedFunction:
    """``fn`` with its graph recorded on the first call and replayed afterwards;
    ``recordings`` counts the recordings, ``tapes`` holds the last 8 (signature → Tape,
    whose ``source()`` is the generated code and ``nodes`` the recorded Values).

    Under ``no_grad`` (evaluation) the function simply runs, unrecorded.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.tapes: OrderedDict[Any, Tape] = OrderedDict()
        self.recordings = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not CONTEXT.grad_enabled or CONTEXT.recorder is not None:
            return self._fn(*args, **kwargs)  # under no_grad, or inside another recording
        # One tape per thread: a replay rewrites its nodes' data in place, and the Values
        # it returns are the same objects each call.
        thread = threading.get_ident()
        if not args and not kwargs:  # a step that closes over everything: a short key
            tape = self.tapes.get(thread)
            if tape is not None and tape.still_valid():
                return tape.replay(())
            return self._record(thread, (), 0, ())
        keywords = tuple(sorted(kwargs))
        flat = (*args, *(kwargs[k] for k in keywords))
        names = (*range(len(args)), *keywords)
        signature = tuple(_signature(n, x) for n, x in zip(names, flat, strict=True))
        key = (thread, len(args), keywords, signature)
        tape = self.tapes.get(key)
        if tape is not None and tape.still_valid():
            self.tapes.move_to_end(key)
            return tape.replay(flat)
        return self._record(key, flat, len(args), keywords)

    def _record(self, key: Any, flat: tuple, n_positional: int, keywords: tuple) -> Any:
        if key in self.tapes:
            name = self.tapes[key].rebound()
            if name is not None:
                warnings.warn(
                    f"trace: {name!r} names a different Value than when {self!r} was "
                    "recorded, so it is recorded again (and again each time it is rebound); "
                    f"update it in place ({name}.data -= ...) to replay instead",
                    TraceWarning, stacklevel=3)
            self._forget(key)
        tape = Tape(self._fn, flat, n_positional, keywords)
        self.recordings += 1
        self.tapes[key] = tape
        for out in tape.outputs:
            out._program = weakref.ref(tape)  # out.backward() runs the tape (while it lives)
        if len(self.tapes) > MAX_TAPES:
            self._forget(next(iter(self.tapes)))
        return tape.result

    def _forget(self, key: Any) -> None:
        tape = self.tapes.pop(key)
        for out in tape.outputs:
            if out._program is not None and out._program() is tape:
                out._program = None

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self if instance is None else functools.partial(self, instance)

    def __repr__(self) -> str:
        return f"trace({getattr(self._fn, '__qualname__', self._fn)!r})"


def trace(fn: Callable[..., Any]) -> TracedFunction:
    """Record ``fn``'s graph on the first call; later calls replay it (see the module).

    Use it on a training step's forward (the loss) once it works eagerly: the numbers
    are the same, the Python work per node is a fraction.

    >>> w = Value(np.array([1.0, -1.0]))
    >>> step = trace(lambda x: (x @ w).sigmoid().sum())
    >>> step(np.eye(2)).backward()
    >>> step(np.eye(2)).backward()       # replayed; w's gradient accumulates as usual
    >>> np.round(w.grad, 4), step.recordings
    (array([0.3932, 0.3932]), 1)
    """
    if not callable(fn):
        raise TypeError(f"trace: expected a function, got {type(fn).__name__}")
    return TracedFunction(fn)
