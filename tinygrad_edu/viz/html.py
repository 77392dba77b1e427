"""backward_html(): one self-contained HTML page that steps through a backward pass.

This module owns the page: every frame's SVG is embedded inline, with the explain()
text of the node being visited; previous/next buttons, the arrow keys and a slider
move between frames. Nothing is loaded from the network (no CDN, no fonts, no
images): the file works offline and can be mailed around.

Imports: ``viz.frames``, ``viz.render`` (SVG), ``viz.explain``. Needs Graphviz's
``dot`` program (through :mod:`tinygrad_edu.viz.render`).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from ..value import Value
from .dot import DEFAULT_MAX_NODES
from .explain import explain
from .frames import trace_backward
from .graph import display_name
from .render import frame_svgs

__all__ = ["backward_html", "html_page"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; color: #222; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
         padding: .6em 1em; z-index: 1; }
h1 { font-size: 1.1em; margin: 0 0 .4em 0; }
.controls { display: flex; gap: .6em; align-items: center; }
.controls input[type=range] { flex: 1; max-width: 40em; }
#counter { font-variant-numeric: tabular-nums; min-width: 9em; }
.frame svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
.frame pre { background: #fff; border: 1px solid #ddd; padding: .6em 1em; margin: .5em 1em;
             white-space: pre-wrap; font-size: .95em; }
main { padding: .5em 0; }
.legend { font-size: .85em; color: #555; }
.legend b { padding: 0 .4em; border: 1px solid #999; border-radius: 3px; font-weight: normal; }
"""

_SCRIPT = """
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll('.frame'));
  var slider = document.getElementById('slider');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');
  var counter = document.getElementById('counter');
  var current = 0;
  function show(i, scroll) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.hidden = (j !== current); });
    slider.value = String(current);
    counter.textContent = 'frame ' + (current + 1) + ' / ' + frames.length;
    prev.disabled = (current === 0);
    next.disabled = (current === frames.length - 1);
    document.body.setAttribute('data-frame', String(current));
    if (scroll) {  // keep the node being visited on screen
      var node = frames[current].querySelector('[fill="#ffb74d"]');
      if (node && node.scrollIntoView) { node.scrollIntoView({block: 'center'}); }
    }
  }
  prev.addEventListener('click', function () { show(current - 1, true); });
  next.addEventListener('click', function () { show(current + 1, true); });
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10), true); });
  document.addEventListener('keydown', function (e) {
    if (e.target === slider) { return; }  // the slider moves itself on arrow keys
    if (e.key === 'ArrowLeft') { show(current - 1, true); e.preventDefault(); }
    else if (e.key === 'ArrowRight') { show(current + 1, true); e.preventDefault(); }
    else if (e.key === 'Home') { show(0, true); e.preventDefault(); }
    else if (e.key === 'End') { show(frames.length - 1, true); e.preventDefault(); }
  });
  show(0, false);
})();
"""


def _inline_svg(svg: str, prefix: str) -> str:
    """Drop the XML prolog and doctype; make ids unique across frames."""
    svg = svg[svg.find("<svg"):]
    return re.sub(r'\bid="', f'id="{prefix}', svg)


def html_page(title: str, svgs: list[str], explanations: list[str], captions: list[str]) -> str:
    """The page itself, from already rendered SVGs and texts (all text is escaped).

    >>> page = html_page("a <b>", ["<svg></svg>"], ["∂L/∂x = 1"], ["frame 1: x"])
    >>> "<title>a &lt;b&gt;</title>" in page, page.count('class="frame"')
    (True, 1)
    """
    if not (len(svgs) == len(explanations) == len(captions)) or not svgs:
        raise ValueError(f"html_page: need one SVG, explanation and caption per frame, got "
                         f"{len(svgs)}, {len(explanations)}, {len(captions)}")
    sections = []
    for i, (svg, text, caption) in enumerate(zip(svgs, explanations, captions, strict=True)):
        hidden = "" if i == 0 else " hidden"
        sections.append(
            f'<section class="frame" data-index="{i}"{hidden}>\n'
            f'<pre class="explain" aria-label="{html.escape(caption)}">'
            f"{html.escape(text)}</pre>\n{_inline_svg(svg, f'f{i}_')}\n</section>")
    n = len(svgs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>\n<div class=\"controls\">"
        "<button id=\"prev\" type=\"button\">&#9664; previous</button>"
        f"<input id=\"slider\" type=\"range\" min=\"0\" max=\"{n - 1}\" value=\"0\" "
        "aria-label=\"frame\">"
        "<button id=\"next\" type=\"button\">next &#9654;</button>"
        f"<span id=\"counter\">frame 1 / {n}</span></div>\n"
        "<div class=\"legend\">← → keys step; <b style=\"background:#cfe0fb\">done</b> "
        "<b style=\"background:#ffb74d\">current</b> <b>pending</b>; edges: local derivative "
        "and upstream × local = contribution</div></header>\n<main>\n"
        + "\n".join(sections)
        + f"\n</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def backward_html(loss: Value, path: str | os.PathLike, *, precision: int = 4,
                  max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None) -> Path:
    """Write one self-contained HTML page stepping through ``loss``'s backward pass.

    Needs Graphviz's ``dot``. ``.grad`` is not touched. Returns the path written.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> backward_html(x * x, "/tmp/steps.html").name    # doctest: +SKIP
    'steps.html'
    """
    trace = trace_backward(loss)
    svgs = frame_svgs(trace, precision=precision, max_nodes=max_nodes)
    graph = trace.graph
    texts, captions = [], []
    for f in trace.frames:
        texts.append(explain(graph.nodes[f.node], trace=trace, precision=precision).text)
        captions.append(f"frame {f.index + 1}: {display_name(graph, graph.nodes[f.node])}")
    page = html_page(title or f"Backward pass of {display_name(graph, loss)}, frame by frame",
                     svgs, texts, captions)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)  # never leave a half-written page behind
    return out
