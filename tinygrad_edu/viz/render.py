"""Rendering drawings with the ``graphviz`` package: Digraphs, SVG text, numbered files.

This module owns the step from DOT text to pictures, and the finite-difference overlay
of :func:`draw`. The DOT itself comes from :mod:`tinygrad_edu.viz.dot`; a returned
``graphviz.Digraph`` (a :class:`~tinygrad_edu.viz.drawing.Drawing`) has exactly that
text as its ``.source``, renders to SVG/PNG and shows itself inline in Jupyter (as its
DOT text when ``dot`` is missing). Rendering needs Graphviz's ``dot`` program; when it is
missing, :class:`DotNotFoundError` says how to install it.

Imports: graphviz, ``check`` (numerical gradients), ``value``, ``viz.dot``,
``viz.frames``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..check import numerical_grad
from ..core import Value, apply, set_grad_enabled
from .dot import DEFAULT_MAX_NODES, assemble, forward_statements, frame_statements
from .frames import BackwardTrace, trace_backward
from .graph import Graph

if TYPE_CHECKING:  # graphviz is imported lazily, so that DOT text needs nothing
    import graphviz

__all__ = ["draw", "draw_frame", "digraph", "render_frames", "frame_svgs", "to_svg",
           "render_bytes", "render_svgs", "check_leaves", "LeafCheck", "DotNotFoundError",
           "DotError", "INSTALL_HINT"]

INSTALL_HINT = ("install Graphviz: 'sudo apt-get install graphviz' on Debian/Ubuntu, "
                 "'brew install graphviz' on macOS, or run 'make dot' in the repository; "
                 "DOT text (tinygrad_edu.viz.to_dot) works without it")


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed to render and is not on PATH."""


class DotError(RuntimeError):
    """Graphviz's ``dot`` program refused a drawing; the message holds what it said."""


class LeafCheck(NamedTuple):
    """One parameter's finite-difference check: does autograd match, by how much, and
    the autograd gradient that was checked."""

    matches: bool
    max_error: float
    gradient: Any


def _digraph(statements: list[str]) -> graphviz.Digraph:
    try:
        from .drawing import Drawing
    except ImportError as error:  # a runtime dependency, but say what to do anyway
        raise ImportError("tinygrad_edu.viz: the 'graphviz' Python package is missing; "
                          "pip install graphviz") from error
    return Drawing(name="G", body=[f"\t{s}\n" for s in statements])


def digraph(statements: list[str]) -> graphviz.Digraph:
    """A ``graphviz.Digraph`` whose ``.source`` is exactly these DOT statements (for
    drawings built elsewhere on :func:`tinygrad_edu.viz.dot.dot_statements`).

    >>> digraph(["a -> b"]).source
    'digraph G {\\n\\ta -> b\\n}\\n'
    """
    return _digraph(statements)


def _require_dot(where: str) -> None:
    if shutil.which("dot") is None:
        raise DotNotFoundError(f"{where}: Graphviz's 'dot' program was not found on PATH; "
                               + INSTALL_HINT)


def _pipe(digraph: Any, fmt: str, where: str) -> bytes:
    import graphviz

    _require_dot(where)
    try:
        return digraph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as error:
        raise DotNotFoundError(f"{where}: {error}; " + INSTALL_HINT) from error


# ------------------------------------------------------------ finite differences
def _replay(graph: Graph, k: int, replacement: Value) -> Value:
    """Recompute the output with node ``k`` replaced (same ops, read from the graph)."""
    new: list[Any] = []
    for j, v in enumerate(graph.nodes):
        if j == k:
            new.append(replacement)
        elif v.op is None or not v.requires_grad:
            new.append(v)
        else:
            inputs = tuple(new[graph.position(x)] if type(x) is Value else x for x in v.inputs)
            new.append(apply(v.op, inputs, v.params or None))
    return new[-1]


def _require_scalar(value: Any) -> None:
    if not isinstance(value, Value):
        raise TypeError(f"draw(check=True): expected a Value, got {type(value).__name__}")
    if value.shape != ():
        raise ValueError(f"draw(check=True): the output must be a scalar, got shape {value.shape}")


def check_leaves(value: Value, *, rtol: float = 1e-4, atol: float = 1e-6,
                 eps: float = 1e-6, trace: BackwardTrace | None = None) -> dict[int, LeafCheck]:
    """For each parameter leaf: does autograd match central differences?

    Returns ``{position: LeafCheck(matches, max |autograd − numerical|, gradient)}``. The
    autograd gradient comes from a recorded backward pass (hooks included), ``.grad`` is
    not touched; the numerical one from :func:`tinygrad_edu.check.numerical_grad` on the
    output as a function of that leaf alone. Pass ``trace`` (of ``value``) to check a
    pass already recorded.

    >>> from tinygrad_edu import Value
    >>> x = Value(1.5)
    >>> check_leaves(x * x.sin())[0].matches
    True
    """
    _require_scalar(value)
    trace = trace if trace is not None else trace_backward(value)
    graph = trace.graph
    result: dict[int, tuple[bool, float]] = {}
    for k, leaf in enumerate(graph.nodes):
        if leaf.op is not None or not leaf.requires_grad:
            continue
        gradient = trace.grad_of(k)
        if gradient is None:  # the output does not depend on it: autograd says zero
            gradient = 0.0 if leaf.shape == () else np.zeros(leaf.shape)
        auto = np.asarray(gradient, dtype=np.float64)

        def f(x: Value, k: int = k) -> Value:
            previous = set_grad_enabled(False)  # replays need no graph of their own
            try:
                return _replay(graph, k, x)
            finally:
                set_grad_enabled(previous)

        (num,) = numerical_grad(f, [np.asarray(leaf.data, dtype=np.float64)], eps=eps)
        err = float(np.max(np.abs(auto - num))) if auto.size else 0.0
        result[k] = LeafCheck(bool(np.allclose(auto, num, rtol=rtol, atol=atol)), err,
                              gradient)
    return result


# ------------------------------------------------------------------ drawings
def draw(value: Value, *, check: bool = False, precision: int = 4,
         max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None) -> graphviz.Digraph:
    """The graph behind ``value`` as a ``graphviz.Digraph`` (inline in Jupyter).

    With ``check=True`` each parameter is coloured by whether its autograd gradient
    matches central differences (green) or not (red), and shows the gradient that was
    checked: a wrong custom op or hand-edited gradient shows up on the picture.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> draw(x * x).source.startswith("digraph G {")
    True
    """
    if not check:
        return _digraph(forward_statements(value, precision=precision, max_nodes=max_nodes,
                                           title=title))
    _require_scalar(value)
    trace = trace_backward(value)  # one pass: checked, and its gradients on every node
    grads = {k: trace.grad_of(k) for k in range(len(trace.graph.nodes))}
    return _digraph(forward_statements(value, precision=precision, max_nodes=max_nodes,
                                       check=check_leaves(value, trace=trace), grads=grads,
                                       title=title))


def draw_frame(trace: BackwardTrace | Value, index: int, *, precision: int = 4,
               max_nodes: int = DEFAULT_MAX_NODES) -> graphviz.Digraph:
    """Backward frame ``index`` as a ``graphviz.Digraph`` (pass a trace or the loss).

    >>> from tinygrad_edu import Value
    >>> x = Value(3.0, name="x")
    >>> "visiting x" in draw_frame(x * x, 1).source     # frame 0 visits x*x itself
    True
    """
    if isinstance(trace, Value):
        trace = trace_backward(trace)
    return _digraph(frame_statements(trace, index, precision=precision, max_nodes=max_nodes))


def render_bytes(digraph: Any, fmt: str) -> bytes:
    """Render a Digraph to ``fmt`` (svg, png, pdf, …) in memory (needs ``dot``).

    >>> from tinygrad_edu import Value
    >>> render_bytes(draw(Value(2.0) * 3.0), "png")[:4]     # doctest: +SKIP
    b'\\x89PNG'
    """
    return _pipe(digraph, fmt, "render")


def to_svg(digraph: Any) -> str:
    """Render a Digraph to SVG text (needs ``dot``).

    >>> from tinygrad_edu import Value
    >>> to_svg(draw(Value(2.0) * 3.0)).lstrip().startswith("<?xml")     # doctest: +SKIP
    True
    """
    return _pipe(digraph, "svg", "to_svg").decode("utf-8")


def render_svgs(sources: list[str], where: str = "render_svgs") -> list[str]:
    """Render several DOT texts to SVG with one run of ``dot``, in order.

    ``dot`` reads any number of graphs from one input and writes one SVG document per
    graph, in the same order; starting it once instead of once per graph saves most of
    the time for many small drawings.

    >>> svgs = render_svgs(["digraph A { a }", "digraph B { b -> c }"])  # doctest: +SKIP
    >>> [s.count("<g id=\"node") for s in svgs]                          # doctest: +SKIP
    [1, 2]
    """
    if not sources:
        return []
    _require_dot(where)
    try:
        done = subprocess.run(["dot", "-Tsvg"], input="".join(sources).encode("utf-8"),
                              capture_output=True, check=False)
    except FileNotFoundError as error:
        raise DotNotFoundError(f"{where}: {error}; " + INSTALL_HINT) from error
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DotError(f"{where}: Graphviz's dot refused the drawing (exit "
                       f"{done.returncode}): {said[0] if said else 'no message'}")
    out = done.stdout.decode("utf-8")
    # Each document starts with the XML prolog; labels escape '<', so none holds one.
    starts = _prolog_starts(out)
    if len(starts) != len(sources):
        raise DotError(f"{where}: dot wrote {len(starts)} SVG documents for "
                       f"{len(sources)} graphs")
    return [out[a:b] for a, b in zip(starts, [*starts[1:], len(out)], strict=True)]


def _prolog_starts(text: str) -> list[int]:
    starts, i = [], text.find("<?xml")
    while i >= 0:
        starts.append(i)
        i = text.find("<?xml", i + 1)
    return starts


def frame_svgs(trace: BackwardTrace, indices: list[int] | None = None, *, precision: int = 4,
               max_nodes: int = DEFAULT_MAX_NODES) -> list[str]:
    """Frames of ``trace`` as SVG text (all of them, or ``indices``), with one run of
    ``dot`` (needs ``dot``).

    >>> from tinygrad_edu import Value
    >>> len(frame_svgs(trace_backward(Value(2.0) * 3.0)))     # doctest: +SKIP
    2
    """
    indices = range(len(trace.frames)) if indices is None else indices
    return render_svgs([assemble(frame_statements(trace, i, precision=precision,
                                                  max_nodes=max_nodes)) for i in indices],
                       "frame_svgs")


def render_frames(loss: Value, directory: str | os.PathLike, fmt: str = "svg", *,
                  precision: int = 4, max_nodes: int = DEFAULT_MAX_NODES) -> list[Path]:
    """Write ``frame_001.<fmt>``, ``frame_002.<fmt>``, … for ``loss``'s backward pass.

    ``fmt="dot"`` writes the DOT text and needs no Graphviz; other formats (svg, png,
    pdf, …) need the ``dot`` program. Returns the paths written.

    >>> import tempfile
    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in render_frames(x * x, d, fmt="dot")]
    ['frame_001.dot', 'frame_002.dot']
    """
    trace = trace_backward(loss)
    out_dir = Path(directory)
    if fmt != "dot":
        _require_dot("render_frames")
    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(trace.frames))))
    paths = []
    for i in range(len(trace.frames)):
        digraph = draw_frame(trace, i, precision=precision, max_nodes=max_nodes)
        path = out_dir / f"frame_{i + 1:0{width}d}.{fmt}"
        data = digraph.source.encode("utf-8") if fmt == "dot" else _pipe(
            digraph, fmt, "render_frames")
        path.write_bytes(data)
        paths.append(path)
    return paths
