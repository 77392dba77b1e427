"""Drawing: the ``graphviz.Digraph`` that :func:`~tinygrad_edu.viz.draw` and
:func:`~tinygrad_edu.viz.draw_frame` return.

It is a plain Digraph (``.source``, ``.render()``, ``.pipe()`` as usual) with one
difference a notebook sees: when Graphviz's ``dot`` program is missing, it shows its
DOT text and how to install Graphviz, where a plain Digraph would fail with a
traceback in the cell's output.

Imports: graphviz (here only, so that importing ``tinygrad_edu`` does not load it) and
``viz.render``.
"""

from __future__ import annotations

import shutil
from typing import Any

import graphviz

from .render import INSTALL_HINT

__all__ = ["Drawing"]


class Drawing(graphviz.Digraph):
    """A Digraph that shows itself in Jupyter with or without ``dot``.

    >>> d = Drawing(name="G", body=["\\ta -> b\\n"])
    >>> d.source
    'digraph G {\\n\\ta -> b\\n}\\n'
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, str]:
        if shutil.which("dot") is None:
            return {"text/plain": "Graphviz's dot program is not on PATH, so here is the "
                                  f"drawing as DOT text ({INSTALL_HINT}):\n{self.source}"}
        return super()._repr_mimebundle_(include, exclude, **kwargs)
