"""What the engine remembers between calls: one context object per thread, and one
counter of events for the whole process.

Per thread (:data:`CONTEXT`): whether ops record the graph (``no_grad``), the tape
``trace()`` is recording into, whether anomaly checks are on, and the output of the
latest ``backward()``. Each has a public accessor; ``no_grad``, ``enable_grad`` and
``detect_anomaly`` are the usual way in.

For the process: one rising counter numbers two kinds of event, a change of a Value's
data (written on the Value as its ``_version``) and the making of a node (its
``_stamp``). An input whose version is above a node's stamp changed after the node used
it: backward refuses. And since every node is made after its inputs, sorting nodes by
stamp is a topological order. One counter, not one per Value: a node then needs one
stamp, not a version per input. A second number counts hook changes, so a traced tape
knows when to look for hooks again.

Imports nothing of the package.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "CONTEXT", "is_grad_enabled", "set_grad_enabled", "is_tracing", "set_recorder",
    "is_anomaly_enabled", "set_anomaly_enabled", "last_backward_root", "set_last_root",
    "next_version", "note_change", "last_change", "hook_version", "note_hook_change",
    "no_grad", "enable_grad", "detect_anomaly",
]


class Context(threading.local):
    """The engine's settings for one thread (each thread sees its own)."""

    #: Ops record the graph (off inside ``no_grad``).
    grad_enabled = True
    #: While ``trace()`` records a function: the list every new node is appended to.
    recorder: list | None = None
    #: Inside ``detect_anomaly()``: every op checks its result.
    anomaly = False
    #: ``recorder is not None or anomaly``: one look instead of two on every new node.
    watched = False
    #: The output of this thread's latest ``backward()``, held weakly.
    last_root: weakref.ref | None = None

    def __init__(self) -> None:
        #: Settings saved by the ``no_grad``/``enable_grad`` blocks this thread is inside
        #: (blocks nest, so one stack per thread serves them all).
        self.saved_modes: list[bool] = []


CONTEXT = Context()


def is_grad_enabled() -> bool:
    """Whether ops record the graph in this thread (``no_grad`` turns it off).

    >>> is_grad_enabled()
    True
    """
    return CONTEXT.grad_enabled


def set_grad_enabled(enabled: bool) -> bool:
    """Turn graph recording on or off for this thread; returns the previous setting.

    >>> previous = set_grad_enabled(False)
    >>> set_grad_enabled(previous)
    False
    """
    previous = CONTEXT.grad_enabled
    CONTEXT.grad_enabled = bool(enabled)
    return previous


def is_tracing() -> bool:
    """Whether :func:`tinygrad_edu.trace` is recording a function in this thread.

    Code that reads a Value's ``.data`` to decide something (an index, a branch) can
    ask: such decisions are frozen into the recording.

    >>> is_tracing()
    False
    """
    return CONTEXT.recorder is not None


def set_recorder(tape: list | None) -> list | None:
    """Append every new node to ``tape`` in this thread (None: stop); returns the
    previous recorder. :func:`tinygrad_edu.trace` records a function's graph with it.

    >>> set_recorder(None) is None
    True
    """
    previous = CONTEXT.recorder
    CONTEXT.recorder = tape
    CONTEXT.watched = CONTEXT.anomaly or tape is not None
    return previous


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is on in this thread.

    >>> is_anomaly_enabled()
    False
    """
    return CONTEXT.anomaly


def set_anomaly_enabled(enabled: bool) -> bool:
    """Turn anomaly checks on or off for this thread; returns the previous setting.

    >>> set_anomaly_enabled(False)
    False
    """
    previous = CONTEXT.anomaly
    CONTEXT.anomaly = bool(enabled)
    CONTEXT.watched = CONTEXT.anomaly or CONTEXT.recorder is not None
    return previous


def last_backward_root() -> Any:
    """The output of this thread's latest ``backward()``, while it is still alive.

    ``viz.explain(w)`` uses it, so that after ``loss.backward()`` one can ask how ``w``'s
    gradient was made without passing ``loss`` again. Held weakly: it keeps no graph alive.

    >>> from tinygrad_edu import Value
    >>> loss = Value(2.0) * 3.0
    >>> loss.backward()
    >>> last_backward_root() is loss
    True
    """
    ref = CONTEXT.last_root
    return None if ref is None else ref()


def set_last_root(root: Any) -> None:
    """Note ``root`` as this thread's latest backward output (held weakly)."""
    CONTEXT.last_root = weakref.ref(root)


# ------------------------------------------------------------------- the counter
_events = itertools.count(1)

#: A new number from the counter: later than every version and stamp so far (the
#: counter's own method, no Python frame: it runs for every node made).
next_version: Callable[[], int] = _events.__next__

_last_change = 0
_hook_changes = 0


def note_change() -> int:
    """A new version for a Value whose data just changed (the data setter calls it).

    >>> note_change() == last_change()
    True
    """
    global _last_change
    _last_change = version = next_version()
    return version


def last_change() -> int:
    """The version of the latest change of any Value's data, in any thread (0: none).

    A traced tape compares it with the version it took at its last replay: when nothing
    changed since, one comparison says its inputs are as they were.
    """
    return _last_change


def hook_version() -> int:
    """How many hooks have been registered or removed so far, in any thread."""
    return _hook_changes


def note_hook_change() -> None:
    """A hook was registered or removed (traced tapes look for hooks again)."""
    global _hook_changes
    _hook_changes += 1


# ------------------------------------------------------------------- the modes
class _GradMode(contextlib.ContextDecorator):
    """Sets graph recording for the current thread; usable as ``with`` and ``@``."""

    enabled = True

    # The saved setting lives on the per-thread stack shared by all blocks (they nest in
    # LIFO order), not on the instance: a threading.local per ``no_grad()`` cost more
    # than the rest of a small training step's update.
    def __enter__(self) -> None:
        CONTEXT.saved_modes.append(set_grad_enabled(self.enabled))

    def __exit__(self, *exc: object) -> bool:
        set_grad_enabled(CONTEXT.saved_modes.pop())
        return False

    def __call__(self, fn: Callable) -> Callable:
        if not inspect.isgeneratorfunction(fn):
            return super().__call__(fn)

        # A generator runs its body between next() calls, after a plain decorator's
        # block has ended: enter the mode around each resumption instead.
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any):
            inner = fn(*args, **kwargs)
            sent = None
            while True:
                with self:
                    try:
                        item = inner.send(sent)
                    except StopIteration as stop:
                        return stop.value
                sent = yield item

        return generator


class no_grad(_GradMode):
    """Do not record the graph (inference, optimizer updates). Per thread; works as a
    ``with`` block and as a decorator, on generator functions too.

    >>> from tinygrad_edu import Value
    >>> with no_grad():
    ...     y = Value(3.0) * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block.

    >>> from tinygrad_edu import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(3.0) * 2
    >>> y.requires_grad
    True
    """

    enabled = True


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`~tinygrad_edu.core.errors.AnomalyError` at the first nan or inf,
    naming the op and the line of user code.

    Forward: every op checks its result and notes the line that made it. Backward:
    every gradient is checked, and the error says where its node was made.

    >>> from tinygrad_edu import Value, AnomalyError
    >>> y = Value(0.0).sqrt()          # d/dx √x = 1/(2√x): infinite at 0
    >>> with detect_anomaly():
    ...     try:
    ...         y.backward()
    ...     except AnomalyError as error:
    ...         print(str(error).split(" (")[0])
    sqrt: gradient for input 0 is not finite
    """
    previous = set_anomaly_enabled(True)
    try:
        yield
    finally:
        set_anomaly_enabled(previous)
