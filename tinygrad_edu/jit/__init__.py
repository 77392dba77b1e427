"""``trace()``: record a function's graph once, replay it as straight-line Python.

:mod:`.traced` (``trace``, one tape per signature and thread), :mod:`.record` (running
the function once with the recorder on), :mod:`.guards` (when a tape may be replayed),
:mod:`.program` (a tape: replay forward, backward, hand gradients on), :mod:`.codegen`
(the tape written out as Python, one line per node and per gradient edge).

Imports: ``core`` only.
"""

from ..core.errors import TraceWarning
from .program import Tape
from .traced import TracedFunction, trace

__all__ = ["trace", "TracedFunction", "Tape", "TraceWarning"]
