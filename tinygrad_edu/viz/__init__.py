"""Drawing computation graphs: the forward graph, every backward frame, explain().

* :func:`to_dot` / :func:`frame_dot` — DOT text, pure Python, deterministic;
* :func:`backward_frames` / :func:`trace_backward` — the engine's own visits, recorded;
* :func:`explain` — the chain rule for one node, in words and numbers;
* :func:`draw` / :func:`render_frames` — ``graphviz.Digraph`` objects and files
  (need Graphviz's ``dot`` program to render);
* :func:`backward_html` — one self-contained HTML page stepping through the frames;
  :func:`stepper` — the same, shown inline in Jupyter;
* :func:`trace_forward`, :func:`forward_frame_dot`, :func:`draw_forward_frame`,
  :func:`forward_html` — the same for forward mode: tangents flowing input → output.

In a notebook everything shows itself: a Value as its forward graph (at most 60
nodes; a text table without Graphviz, see :mod:`.notebook`), drawings and frames as
SVG, a stepper with its buttons, ``explain()`` as LaTeX.

>>> from tinygrad_edu import Value
>>> from tinygrad_edu.viz import backward_frames
>>> x = Value(2.0, name="x")
>>> len(backward_frames(x * x + x))     # add, mul, x
3
"""

from ..core import Value
from .dot import escape, frame_dot, to_dot
from .explain import explain
from .forward import draw_forward_frame, forward_frame_dot, forward_html, trace_forward
from .frames import backward_frames, trace_backward
from .html import Stepper, backward_html, stepper
from .notebook import value_bundle
from .render import DotError, DotNotFoundError, draw, draw_frame, render_frames

# The core draws a Value in a notebook through this (it may not import viz itself).
Value.notebook_view = staticmethod(value_bundle)

__all__ = ["to_dot", "frame_dot", "escape", "backward_frames", "trace_backward", "explain",
           "draw", "draw_frame", "render_frames", "DotNotFoundError", "DotError",
           "backward_html", "stepper", "Stepper", "trace_forward", "forward_frame_dot",
           "draw_forward_frame", "forward_html"]
