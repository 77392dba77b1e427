"""The three seed articles, as code: their hand derivations and their worked cases.

:mod:`.manual` (every gradient of the articles derived by hand, in plain NumPy: the
test oracles), :mod:`.cases` (the articles' networks and starting points as Values, with
their hand gradients, for ``compare`` and the examples) and :mod:`.graphs` (the
articles' losses, ready to draw).

Imports: ``core`` (``manual`` imports only NumPy).
"""

from . import cases, graphs, manual

__all__ = ["manual", "cases", "graphs"]
