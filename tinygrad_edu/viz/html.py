"""The stepper: a backward pass frame by frame, as an HTML page or inline in Jupyter.

This module owns the stepper: every frame's SVG is embedded inline, with the explain()
text of the node being visited; previous/next buttons, the arrow keys and a slider
move between frames, and the last section sums up every parameter's gradient.
:func:`stepper` returns it as a :class:`Stepper`, which a notebook shows inline (one
``<div>``, its ids and key presses its own, so two steppers in a notebook never
clash); :func:`backward_html` writes it as a self-contained page. Nothing is loaded
from the network (no CDN, no fonts, no images): the file works offline and can be
mailed around.

The explanation stays on screen while the picture scrolls under it to the node being
visited, and pictures keep their natural size (text never shrinks below 10 px: on a
phone the picture scrolls sideways instead).

Big backward passes are capped as :func:`~tinygrad_edu.viz.to_dot` caps nodes: past
``max_frames`` frames, each run of frames walking down one chain becomes one section,
and if there are still too many, the middle frames are left out; each picture then
draws fewer values, so that the page stays a few megabytes. The page says what was
folded or left out. All pictures are rendered by one run of ``dot``.

Imports: ``viz.frames``, ``viz.render`` (SVG), ``viz.explain``, ``viz.graph``,
``viz.dot``. Needs Graphviz's ``dot`` program (through :mod:`tinygrad_edu.viz.render`).
"""

from __future__ import annotations

import html
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..core import Value
from .dot import DEFAULT_MAX_NODES
from .explain import explain
from .frames import BackwardTrace, trace_backward
from .graph import display_name, fmt_data, hang
from .render import frame_svgs

__all__ = ["backward_html", "stepper", "Stepper", "html_page", "html_fragment", "write_page",
           "picture_nodes", "plan_sections", "summary_text", "Section", "DEFAULT_MAX_FRAMES",
           "PAGE_NODES", "BACKWARD_LEGEND"]

#: At most this many frames get a section of their own (the summary comes on top).
DEFAULT_MAX_FRAMES = 60
#: Value boxes drawn on one page, over all pictures (about 3 KB of SVG each): past it,
#: each picture draws fewer values, but never fewer than _MIN_NODES.
PAGE_NODES = 3_000
_MIN_NODES = 20
#: A run of fewer frames than this down one chain is never folded.
_FOLD_MIN = 3
#: The summary lists at most this many parameters.
SUMMARY_LIMIT = 50

# Every rule is scoped to .tg-stepper: inside a notebook the stepper must not restyle
# the notebook's own page. The standalone page's <body> is the stepper itself.
_STYLE = """
.tg-stepper { font-family: system-ui, sans-serif; background: #fafafa; color: #222;
              display: flex; flex-direction: column; overflow: hidden; }
.tg-stepper .tg-head { flex: none; background: #fff; border-bottom: 1px solid #ddd;
                       padding: .6em 1em; }
.tg-stepper .tg-title { font-size: 1.1em; font-weight: bold; margin: 0 0 .4em 0; }
.tg-stepper .controls { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; }
.tg-stepper .controls input[type=range] { flex: 1; min-width: 6em; max-width: 40em; }
.tg-stepper .counter { font-variant-numeric: tabular-nums; min-width: 9em; }
.tg-stepper .tg-main { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.tg-stepper .frame { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.tg-stepper .frame[hidden] { display: none; }
.tg-stepper .frame pre { flex: none; max-height: 35vh; overflow: auto; background: #fff;
             border: 1px solid #ddd; padding: .6em 1em; margin: .5em 1em; color: #222;
             white-space: pre; font-size: .95em; }  /* rows stay aligned; it scrolls */
.tg-stepper .graph { flex: 1; min-height: 0; overflow: auto; }
.tg-stepper .graph svg { display: block; margin: 0 auto 2em; max-width: none; }
.tg-stepper .legend, .tg-stepper .notes { font-size: .85em; color: #555; }
.tg-stepper .notes { margin: .3em 0 0 0; color: #8a4b00; }
.tg-stepper .legend b { padding: 0 .4em; border: 1px solid #999; border-radius: 3px;
                        font-weight: normal; }
"""
#: The standalone page: the stepper fills the window.
_PAGE_STYLE = "html, body.tg-stepper { height: 100%; margin: 0; }"
#: Inside a notebook's output: a box of its own, which the reader can make taller.
_INLINE_STYLE = """
div.tg-stepper { height: 40em; max-height: 90vh; border: 1px solid #ddd; resize: vertical; }
div.tg-stepper:focus { outline: 2px solid #1f5fbf; }
"""

# One script for both: ``root`` holds the stepper, ``keys`` hears the arrow keys (the
# whole page when standalone; the stepper's own box in a notebook, so that two
# steppers, and the notebook's own shortcuts, never answer the same key press).
_SCRIPT = """
(function (root, keys) {
  var frames = Array.prototype.slice.call(root.querySelectorAll('.frame'));
  var slider = root.querySelector('.slider');
  var prev = root.querySelector('.prev');
  var next = root.querySelector('.next');
  var counter = root.querySelector('.counter');
  var current = 0;
  function centre(section) {  // scroll the picture, not the page: the text stays put
    var box = section.querySelector('.graph');
    var node = box && box.querySelector('[fill="#ffb74d"]');
    if (!node) { return; }
    var r = node.getBoundingClientRect(), b = box.getBoundingClientRect();
    box.scrollTop += (r.top + r.height / 2) - (b.top + b.height / 2);
    box.scrollLeft += (r.left + r.width / 2) - (b.left + b.width / 2);
  }
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.hidden = (j !== current); });
    slider.value = String(current);
    counter.textContent = 'frame ' + (current + 1) + ' / ' + frames.length;
    prev.disabled = (current === 0);
    next.disabled = (current === frames.length - 1);
    root.setAttribute('data-frame', String(current));
    centre(frames[current]);
  }
  prev.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
  keys.addEventListener('keydown', function (e) {
    if (e.target === slider) { return; }  // the slider moves itself on arrow keys
    var to = {ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0,
              End: frames.length - 1}[e.key];
    if (to === undefined) { return; }
    show(to);
    e.preventDefault();
    e.stopPropagation();
  });
  show(0);
})(%(root)s, %(keys)s);
"""


@dataclass(frozen=True)
class Section:
    """One section of the page: the picture of frame ``last``, covering frames
    ``first`` … ``last`` (one frame, or a folded run down a chain), and what to say."""

    first: int
    last: int
    note: str = ""


def _chain_runs(trace: BackwardTrace) -> list[tuple[int, int]]:
    """Runs of consecutive frames that walk down one chain: (first, last) frame."""
    graph, frames = trace.graph, trace.frames
    runs, i = [], 0
    while i < len(frames):
        j = i
        while (j + 1 < len(frames) and graph.chain_link(frames[j].node)
               and graph.chain_link(frames[j + 1].node)
               and graph.grad_input(frames[j].node) == frames[j + 1].node):
            j += 1
        runs.append((i, j))
        i = j + 1
    return runs


def _fold_note(trace: BackwardTrace, first: int, last: int, precision: int) -> str:
    graph, frames = trace.graph, trace.frames
    counts: dict[str, int] = {}
    for f in frames[first:last + 1]:
        name = graph.nodes[f.node].op.name
        counts[name] = counts.get(name, 0) + 1
    ops = ", ".join(f"{name} ×{c:,}" for name, c in sorted(counts.items()))
    out = display_name(graph, graph.nodes[-1])
    top, bottom = (display_name(graph, graph.nodes[frames[i].node]) for i in (first, last))
    return "\n".join([
        f"Frames {first + 1:,}–{last + 1:,} folded: a chain of {last - first + 1:,} ops "
        f"({ops}), each with one input used once.",
        "The gradient passes down it one local derivative at a time:",
        hang(f"  from ∂{out}/∂{top} = ", fmt_data(frames[first].grad, precision)),
        hang(f"  to ∂{out}/∂{bottom} = ", fmt_data(frames[last].grad, precision)),
        "The picture shows the last of these frames."])


def plan_sections(trace: BackwardTrace, max_frames: int = DEFAULT_MAX_FRAMES, *,
                  precision: int = 4) -> tuple[list[Section], list[str]]:
    """Which frames get a section, and the page's notes on what was folded or left out.

    Up to ``max_frames`` frames, every frame has its own section. Past it, each run of
    ``_FOLD_MIN`` or more frames down one chain becomes one section; if there are still
    more than ``max_frames``, the first and last sections are kept and the middle ones
    left out (the section after the gap says which frames are missing).

    >>> from tinygrad_edu import Value
    >>> x = Value(0.5, name="x")
    >>> v = x
    >>> for _ in range(100):
    ...     v = v.sin()
    >>> sections, notes = plan_sections(trace_backward(v), max_frames=10)
    >>> [(s.first, s.last) for s in sections]      # the top, 99 folded frames, x
    [(0, 0), (1, 99), (100, 100)]
    """
    if max_frames < 2:
        raise ValueError(f"backward_html: max_frames must be at least 2, got {max_frames}")
    n = len(trace.frames)
    if n <= max_frames:
        return [Section(i, i) for i in range(n)], []
    notes = [f"This backward pass has {n:,} frames, more than max_frames={max_frames}."]
    sections = []
    folded = []
    for first, last in _chain_runs(trace):
        if last - first + 1 >= _FOLD_MIN:
            sections.append(Section(first, last, _fold_note(trace, first, last, precision)))
            folded.append(last - first + 1)
        else:
            sections += [Section(i, i) for i in range(first, last + 1)]
    if folded:
        notes.append(f"{sum(folded):,} frames in {len(folded):,} chain(s) are folded into "
                     "one section each.")
    if len(sections) > max_frames:
        tail = max_frames // 2
        head = max_frames - tail
        gap_first, gap_last = sections[head].first, sections[-tail].first - 1
        missing = gap_last - gap_first + 1
        gap_note = (f"Frames {gap_first + 1:,}–{gap_last + 1:,} ({missing:,} frames) are "
                    "not shown: the page keeps the first and the last ones.")
        after = sections[-tail]
        sections = [*sections[:head],
                    Section(after.first, after.last,
                            gap_note + ("\n\n" + after.note if after.note else "")),
                    *sections[len(sections) - tail + 1:]]
        notes.append(gap_note)
    return sections, notes


def _inline_svg(svg: str, prefix: str) -> str:
    """Drop the XML prolog and doctype; make ids unique across frames."""
    svg = svg[svg.find("<svg"):]
    return re.sub(r'\bid="', f'id="{prefix}', svg)


#: What the edges of a backward frame say (the legend under the controls).
BACKWARD_LEGEND = "edges: local derivative and upstream × local = contribution"


def _check_parts(svgs: list[str], explanations: list[str], captions: list[str]) -> None:
    if not (len(svgs) == len(explanations) == len(captions)) or not svgs:
        raise ValueError(f"html_page: need one SVG, explanation and caption per frame, got "
                         f"{len(svgs)}, {len(explanations)}, {len(captions)}")


def _stepper_markup(prefix: str, title: str, svgs: list[str], explanations: list[str],
                    captions: list[str], notes: list[str], legend: str, title_tag: str) -> str:
    """The stepper's controls and sections; every id starts with ``prefix``."""
    sections = []
    for i, (svg, text, caption) in enumerate(zip(svgs, explanations, captions, strict=True)):
        hidden = "" if i == 0 else " hidden"
        picture = (f'\n<div class="graph">{_inline_svg(svg, f"{prefix}f{i}_")}</div>'
                   if svg else "")
        sections.append(
            f'<section class="frame" data-index="{i}"{hidden}>\n'
            f'<pre class="explain" aria-label="{html.escape(caption)}">'
            f"{html.escape(text)}</pre>{picture}\n</section>")
    n = len(svgs)
    note_html = "".join(f'<p class="notes">{html.escape(note)}</p>' for note in notes)
    return (
        f'<div class="tg-head"><{title_tag} class="tg-title">{html.escape(title)}'
        f'</{title_tag}>\n<div class="controls">'
        f'<button id="{prefix}prev" class="prev" type="button">&#9664; previous</button>'
        f'<input id="{prefix}slider" class="slider" type="range" min="0" max="{n - 1}" '
        'value="0" aria-label="frame">'
        f'<button id="{prefix}next" class="next" type="button">next &#9654;</button>'
        f'<span id="{prefix}counter" class="counter">frame 1 / {n}</span></div>\n'
        '<div class="legend">← → keys step; <b style="background:#cfe0fb">done</b> '
        f'<b style="background:#ffb74d">current</b> <b>pending</b>; {html.escape(legend)}'
        f'</div>{note_html}</div>\n<div class="tg-main">\n'
        + "\n".join(sections) + "\n</div>\n")


def html_page(title: str, svgs: list[str], explanations: list[str], captions: list[str],
              notes: list[str] = (), legend: str = BACKWARD_LEGEND) -> str:
    """The page itself, from already rendered SVGs and texts (all text is escaped).

    An empty SVG makes a section of text only (the summary); ``notes`` go under the
    title (what was folded or left out); ``legend`` says what the edges are labelled with.

    >>> page = html_page("a <b>", ["<svg></svg>"], ["∂L/∂x = 1"], ["frame 1: x"])
    >>> "<title>a &lt;b&gt;</title>" in page, page.count('class="frame"')
    (True, 1)
    """
    _check_parts(svgs, explanations, captions)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}{_PAGE_STYLE}</style>\n"
        "</head>\n<body class=\"tg-stepper\">\n"
        + _stepper_markup("", title, svgs, explanations, captions, notes, legend, "h1")
        + f"<script>{_SCRIPT % {'root': 'document.body', 'keys': 'document'}}</script>\n"
        "</body>\n</html>\n")


def html_fragment(title: str, svgs: list[str], explanations: list[str], captions: list[str],
                  notes: list[str] = (), legend: str = BACKWARD_LEGEND, *,
                  root_id: str | None = None) -> str:
    """The same stepper as :func:`html_page`, as one ``<div>`` for a notebook's output.

    Its ids start with ``root_id`` (a fresh random one by default), so two steppers in
    one notebook never clash; its keys answer only while it has the focus (click it);
    its styles apply to the stepper only.

    >>> part = html_fragment("t", ["<svg></svg>"], ["∂L/∂x = 1"], ["x"], root_id="s1")
    >>> part.startswith('<div class="tg-stepper" id="s1"'), 'id="s1-counter"' in part
    (True, True)
    """
    _check_parts(svgs, explanations, captions)
    root_id = root_id or f"tg-stepper-{uuid.uuid4().hex[:12]}"
    script = _SCRIPT % {"root": f"document.getElementById('{root_id}')",
                        "keys": f"document.getElementById('{root_id}')"}
    return (f'<div class="tg-stepper" id="{root_id}" tabindex="0">\n'
            f"<style>{_STYLE}{_INLINE_STYLE}</style>\n"
            + _stepper_markup(f"{root_id}-", title, svgs, explanations, captions, notes,
                              legend, "div")
            + f"<script>{script}</script>\n</div>\n")


@dataclass(frozen=True)
class Stepper:
    """A backward pass, frame by frame, rendered (what :func:`stepper` returns).

    In Jupyter it shows itself inline: the page's buttons, slider and keys (← → Home
    End, once clicked), inside the cell's output. :meth:`save` writes the standalone
    page, :meth:`page` returns its HTML.
    """

    title: str
    svgs: tuple[str, ...]
    explanations: tuple[str, ...]
    captions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    legend: str = BACKWARD_LEGEND

    @property
    def frames(self) -> int:
        """Sections on the page, the summary included."""
        return len(self.svgs)

    def page(self) -> str:
        """The standalone HTML page."""
        return html_page(self.title, list(self.svgs), list(self.explanations),
                         list(self.captions), list(self.notes), self.legend)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the standalone page to ``path`` (never half-written); returns the path."""
        return write_page(self.page(), Path(path))

    def _repr_html_(self) -> str:
        # A fresh id on every display: the same stepper shown twice is two steppers.
        return html_fragment(self.title, list(self.svgs), list(self.explanations),
                             list(self.captions), list(self.notes), self.legend)

    def __repr__(self) -> str:
        return f"<Stepper {self.title!r}: {self.frames} sections>"


def summary_text(trace: BackwardTrace, precision: int = 4) -> str:
    """The last section: every parameter's gradient (leaves with ``requires_grad``).

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, name="a"), Value(3.0, name="b")
    >>> print(summary_text(trace_backward(a * b)))
    Summary: the gradient of every parameter of mul2
      ∂mul2/∂a = 3
      ∂mul2/∂b = 2
    """
    graph = trace.graph
    out = display_name(graph, graph.nodes[-1])
    params = [k for k, v in enumerate(graph.nodes) if v.op is None and v.requires_grad]
    lines = [f"Summary: the gradient of every parameter of {out}"]
    for k in params[:SUMMARY_LIMIT]:
        g = trace.grad_of(k)
        shown = "no gradient (the output does not depend on it)" if g is None else \
            fmt_data(g, precision)
        lines.append(hang(f"  ∂{out}/∂{display_name(graph, graph.nodes[k])} = ", shown))
    if len(params) > SUMMARY_LIMIT:
        lines.append(f"  … {len(params) - SUMMARY_LIMIT:,} more parameters not listed")
    if not params:
        lines.append("  (none: no leaf of this graph requires a gradient)")
    return "\n".join(lines)


def stepper(loss: Value, *, precision: int = 4, max_nodes: int = DEFAULT_MAX_NODES,
            max_frames: int = DEFAULT_MAX_FRAMES, title: str | None = None) -> Stepper:
    """``loss``'s backward pass, frame by frame: a :class:`Stepper`, shown inline in
    Jupyter (the same buttons and keys as :func:`backward_html`'s page).

    One section per frame (up to ``max_frames``; past it, long chains fold and the
    middle frames are left out, as the stepper says), then a summary of every
    parameter's gradient. Needs Graphviz's ``dot``. ``.grad`` is not touched.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> stepper(x * x).frames          # two frames and the summary # doctest: +SKIP
    3
    """
    trace = trace_backward(loss)
    graph = trace.graph
    sections, notes = plan_sections(trace, max_frames, precision=precision)
    per_picture = picture_nodes(len(sections), max_nodes, len(graph.nodes), notes)
    svgs = frame_svgs(trace, [s.last for s in sections], precision=precision,
                      max_nodes=per_picture)
    texts, captions = [], []
    for s in sections:
        text = explain(graph.nodes[trace.frames[s.last].node], trace=trace,
                       precision=precision).text
        texts.append(f"{s.note}\n\n{text}" if s.note else text)
        name = display_name(graph, graph.nodes[trace.frames[s.last].node])
        where = (f"frame {s.last + 1}" if s.first == s.last
                 else f"frames {s.first + 1}–{s.last + 1}")
        captions.append(f"{where}: {name}")
    return Stepper(title or f"Backward pass of {display_name(graph, loss)}, frame by frame",
                   (*svgs, ""), (*texts, summary_text(trace, precision)),
                   (*captions, "summary"), tuple(notes))


def backward_html(loss: Value, path: str | os.PathLike, *, precision: int = 4,
                  max_nodes: int = DEFAULT_MAX_NODES, max_frames: int = DEFAULT_MAX_FRAMES,
                  title: str | None = None) -> Path:
    """Write one self-contained HTML page stepping through ``loss``'s backward pass.

    The page of :func:`stepper` (which shows the same inline in a notebook). Needs
    Graphviz's ``dot``. ``.grad`` is not touched. Returns the path written; on any
    error no file (not even a temporary one) is left behind.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0, name="x")
    >>> backward_html(x * x, "/tmp/steps.html").name    # doctest: +SKIP
    'steps.html'
    """
    return stepper(loss, precision=precision, max_nodes=max_nodes, max_frames=max_frames,
                   title=title).save(path)


def picture_nodes(pictures: int, max_nodes: int, values: int, notes: list[str]) -> int:
    """How many values each of ``pictures`` pictures may draw, so that a page stays a few
    megabytes (``PAGE_NODES`` in all, never fewer than 20 a picture); when that is fewer
    than the graph's ``values``, a note saying so is added to ``notes``.

    >>> notes = []
    >>> picture_nodes(60, 200, 1_000, notes), notes
    (50, ['To keep the page small, each picture draws at most 50 of the 1,000 values.'])
    """
    per_picture = min(max_nodes, max(_MIN_NODES, PAGE_NODES // pictures))
    if per_picture < min(max_nodes, values):
        notes.append(f"To keep the page small, each picture draws at most {per_picture} "
                     f"of the {values:,} values.")
    return per_picture


def write_page(page: str, out: Path) -> Path:
    """Write through a temporary file next to ``out``: never a half-written page, and
    the temporary file is gone whatever happens (a full disk, Ctrl-C).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_page("<p>hi</p>", Path(folder) / "a.html").read_text()
    '<p>hi</p>'
    """
    tmp = out.with_name(out.name + ".tmp")
    try:
        # Characters UTF-8 cannot encode (a lone surrogate in a title) become '?'.
        tmp.write_bytes(page.encode("utf-8", "replace"))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
