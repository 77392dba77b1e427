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

>>> import numpy as np
>>> from tinygrad_edu import Value
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

Imports: ``core``, ``jit.program``, ``jit.guards``.
"""

from __future__ import annotations

import functools
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..core.context import CONTEXT
from ..core.errors import TraceWarning
from .guards import signature
from .program import Tape

__all__ = ["trace", "TracedFunction", "MAX_TAPES"]

#: Tapes kept per traced function (one per signature and thread), least recently used
#: dropped.
MAX_TAPES = 8


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
            if tape is not None and tape.guards.hold():
                return tape.replay(())
            return self._record(thread, (), 0, ())
        keywords = tuple(sorted(kwargs))
        flat = (*args, *(kwargs[k] for k in keywords))
        names = (*range(len(args)), *keywords)
        signature_ = tuple(signature(n, x) for n, x in zip(names, flat, strict=True))
        key = (thread, len(args), keywords, signature_)
        tape = self.tapes.get(key)
        if tape is not None and tape.guards.hold():
            self.tapes.move_to_end(key)
            return tape.replay(flat)
        return self._record(key, flat, len(args), keywords)

    def _record(self, key: Any, flat: tuple, n_positional: int, keywords: tuple) -> Any:
        if key in self.tapes:
            name = self.tapes[key].guards.rebound()
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

    >>> import numpy as np
    >>> from tinygrad_edu import Value
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
