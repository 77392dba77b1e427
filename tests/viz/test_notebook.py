"""What Jupyter shows (issue 16): a Value as its forward graph, drawings, frames and the
stepper inline, explain() as LaTeX, the compare report as a table.

Oracles: closed forms for the numbers (d/dw tanh(3w) = 3·(1 − tanh²(3w)); d/dw (3w)² =
18w), the graph's own size (a chain of N ops has N + 1 values), the SVG and HTML parsed
by the standard library, and a structural LaTeX check (braces, environments, commands
MathJax knows); a real ``latex`` run when the binary is installed.
"""

from __future__ import annotations

import html.parser
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu.check import compare
from tinygrad_edu.viz import draw, draw_frame, explain, stepper
from tinygrad_edu.viz.html import html_page
from tinygrad_edu.viz.notebook import NOTEBOOK_MAX_NODES, node_table, value_bundle

SVG = "image/svg+xml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is needed")


def _svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg[svg.find("<svg"):])
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _svg_nodes(svg: str, kind: str = "v") -> int:
    """Boxes drawn of one kind: ``v`` values, ``o`` ops, ``s`` summaries (DOT ids)."""
    root = ET.fromstring(svg[svg.find("<svg"):])
    title = "{http://www.w3.org/2000/svg}title"
    return sum(1 for g in root.iter("{http://www.w3.org/2000/svg}g")
               if g.get("class") == "node" and g.find(title).text.startswith(kind))


def _no_dot(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("dot") is None


# ------------------------------------------------------------------ a Value
@needs_dot
def test_a_value_shows_as_the_svg_of_its_forward_graph():
    x = Value(2.0, name="x")
    y = x * x + 1.0
    bundle = y._repr_mimebundle_()
    assert set(bundle) == {SVG, "text/plain"}
    assert bundle["text/plain"] == repr(y)       # the text stays the repr
    texts = " ".join(_svg_texts(bundle[SVG]))
    # x = 2, x·x = 4, x·x + 1 = 5: the values drawn, and the ops.
    assert re.search(r"\b4\b", texts) and re.search(r"\b5\b", texts)
    assert "mul" in texts and "add" in texts and "x" in texts


@needs_dot
def test_showing_a_value_changes_nothing():
    x = Value(np.array([1.0, 2.0]), name="x")
    y = (x * x).sum()
    y.backward()
    before = (np.copy(x.grad), np.copy(y.data))
    y._repr_mimebundle_()
    assert np.array_equal(x.grad, before[0]) and np.array_equal(y.data, before[1])


@needs_dot
@pytest.mark.parametrize("shape", ["chain", "wide"])
def test_a_huge_graph_is_capped_and_says_what_was_cut(shape):
    x = Value(0.5, name="x")
    if shape == "chain":          # 1 + 2,000 values in one chain
        v = x
        for _ in range(2_000):
            v = v.sin()
    else:                         # 600 leaves and 599 adds: no long chain to fold
        leaves = [Value(float(i), name=f"p{i}") for i in range(600)]
        v = leaves[0]
        for leaf in leaves[1:]:
            v = v + leaf
    svg = v._repr_mimebundle_()[SVG]
    assert 2 <= _svg_nodes(svg) <= NOTEBOOK_MAX_NODES and _svg_nodes(svg, "s") >= 1
    said = " ".join(_svg_texts(svg))
    assert f"more than max_nodes={NOTEBOOK_MAX_NODES}" in said
    assert len(svg) < 200_000


def test_without_dot_a_value_shows_a_table_of_its_nodes(monkeypatch):
    _no_dot(monkeypatch)
    x = Value(3.0, name="x")
    y = x * x - 4.0
    bundle = y._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    table = bundle["text/plain"]
    assert "Graphviz's dot program is not on PATH" in table
    rows = [line.split() for line in table.splitlines()[2:]]
    # x = 3, x·x = 9, 9 − 4 = 5 (inputs first, one row per value).
    assert [r[0] for r in rows] == ["0", "1", "2"]
    assert rows[0][1:4] == ["x", "param", "3"] and rows[1][-2] == "9" and rows[2][-2] == "5"


def test_the_table_is_capped_too():
    v = Value(0.5, name="x")
    for _ in range(500):
        v = v.exp() * 0.5
    lines = node_table(v).splitlines()
    assert len(lines) <= NOTEBOOK_MAX_NODES + 5
    assert any("folded" in line for line in lines)


def test_a_text_front_end_gets_the_repr_only():
    y = Value(2.0, name="x") * 2.0
    assert value_bundle(y, include=["text/plain"]) == {"text/plain": repr(y)}
    assert value_bundle(y, exclude=[SVG]) == {"text/plain": repr(y)}


def test_core_alone_shows_the_repr(monkeypatch):
    # The core may not import viz; until viz hands it a view, a notebook shows repr().
    monkeypatch.setattr(Value, "notebook_view", None)
    y = Value(2.0) * 3.0
    assert y._repr_mimebundle_() == {"text/plain": repr(y)}


# ------------------------------------------------------------------ drawings
@needs_dot
def test_draw_and_draw_frame_show_as_svg():
    x = Value(3.0, name="x")
    loss = x * x
    for drawing in (draw(loss), draw_frame(loss, 1)):
        bundle = drawing._repr_mimebundle_()
        assert SVG in bundle and _svg_nodes(bundle[SVG]) >= 2
    # frame 1 visits x: ∂(x·x)/∂x = 2x = 6
    assert "6" in " ".join(_svg_texts(draw_frame(loss, 1)._repr_mimebundle_()[SVG]))


def test_a_drawing_without_dot_shows_its_dot_text(monkeypatch):
    x = Value(3.0, name="x")
    drawing = draw(x * x)
    _no_dot(monkeypatch)
    shown = drawing._repr_mimebundle_()["text/plain"]
    assert "sudo apt-get install graphviz" in shown and drawing.source in shown


# ------------------------------------------------------------------ the stepper
class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.controls: list[tuple[str, str]] = []
        self.remote: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag in ("button", "input"):
            self.controls.append((tag, a.get("class", "")))
        if tag in ("script", "img", "link", "iframe") and (a.get("src") or a.get("href")):
            self.remote.append(f"{tag} {a}")


def _parse(text: str) -> _Ids:
    parser = _Ids()
    parser.feed(text)
    return parser


@needs_dot
def test_two_steppers_in_one_notebook_share_no_id():
    x = Value(2.0, name="x")
    s = stepper((x * x).tanh())
    first, second = s._repr_html_(), s._repr_html_()
    both = _parse(first + second)
    assert len(both.ids) == len(set(both.ids)), "an id is used twice"
    root = re.match(r'<div class="tg-stepper" id="([^"]+)"', second).group(1)
    assert all(i.startswith(root) for i in _parse(second).ids)
    assert not both.remote       # nothing loaded from anywhere
    assert "http://" not in first.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")


@needs_dot
def test_the_inline_stepper_has_the_pages_controls_and_frames():
    x = Value(2.0, name="x")
    s = stepper((x * x).tanh())
    inline, page = _parse(s._repr_html_()), _parse(s.page())
    assert inline.controls == page.controls == [("button", "prev"), ("input", "slider"),
                                                ("button", "next")]
    # tanh(x·x): frames for tanh, mul, x, then the summary.
    assert s.frames == 4 == s._repr_html_().count('class="frame"')


def test_html_page_keeps_its_legend_argument():
    page = html_page("t", ["<svg></svg>"], ["text"], ["c"], legend="tangents <flow>")
    assert "tangents &lt;flow&gt;" in page


# ------------------------------------------------------------------ explain() in LaTeX
_KNOWN = {"frac", "partial", "cdot", "times", "text", "mathrm", "begin", "end", "quad",
          "left", "right", "top", "sigma", "tanh", "exp", "ln", "log", "sin", "cos", "sqrt",
          "sum", "cdots", "infty", "le", "ge", "ne", "div", "delta", "sim", "backslash",
          "hat", "max", "min"}


def check_latex(source: str) -> None:
    """Structural check: braces balance (escaped ones aside), environments nest, every
    command is one MathJax knows."""
    depth, envs = 0, []
    for m in re.finditer(r"\\([A-Za-z]+)|\\.|[{}]", source):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            assert depth >= 0, f"unbalanced }} at {m.start()}: {source}"
        elif m.group(1):
            assert m.group(1) in _KNOWN, f"unknown command {token}"
    assert depth == 0, source
    for m in re.finditer(r"\\(begin|end)\{(\w+)\}", source):
        if m.group(1) == "begin":
            envs.append(m.group(2))
        else:
            assert envs and envs.pop() == m.group(2), source
    assert not envs


def _numbers_row(latex: str) -> str:
    return [r for r in latex.splitlines() if r.startswith("&= ")][0]


def _evaluate(row: str) -> float:
    """The sum of products written on a row: ``&= 0.18 \\cdot 3 + 6 \\cdot 3 \\\\``."""
    body = row.removeprefix("&= ").removesuffix(" \\\\")
    body = body.replace(r"\left(", "(").replace(r"\right)", ")")
    total = 0.0
    for term in body.split(" + "):
        product = 1.0
        for factor in term.split(r" \cdot "):
            m = re.fullmatch(r"\(?(-?[\d.]+)(?: \\times 10\^\{(-?\d+)\})?\)?", factor.strip())
            assert m, factor
            product *= float(m.group(1)) * 10.0 ** int(m.group(2) or 0)
        total += product
    return total


def test_explain_latex_chain_product_is_the_gradient():
    w = Value(0.5, name="w")
    z = w * 3.0
    z.name = "z"
    y = z.tanh()
    y.name = "y"
    ex = explain(w, y, precision=10)
    latex = ex.latex()
    check_latex(latex)
    closed = 3.0 * (1.0 - math.tanh(1.5) ** 2)   # d/dw tanh(3w) at w = 0.5
    rows = latex.splitlines()
    # symbol by symbol, then numbers, then the gradient
    assert rows[1].count(r"\frac{\partial") == 3
    assert _evaluate(_numbers_row(latex)) == pytest.approx(closed, rel=1e-9)
    assert float(rows[3].removeprefix("&= ").removesuffix(" \\\\")) == \
        pytest.approx(closed, rel=1e-9)
    assert r"1 - \tanh ^{2}(z)" in latex      # the op table's tanh' with z for x


def test_explain_latex_sums_over_paths():
    w = Value(2.0, name="w")
    z = w * 3.0
    z.name = "z"
    ex = explain(w, z * z)
    check_latex(ex.latex())
    # d/dw (3w)² = 18w = 36, as two paths of 6 · 3
    assert _evaluate(_numbers_row(ex.latex())) == 36.0
    assert ex._repr_latex_() == "$$" + ex.latex() + "$$"


def test_explain_latex_for_tensors_ends_on_the_gradient():
    W = Value(np.array([[1.0, -1.0], [0.5, 2.0]]), name="W")
    x = np.array([0.5, -1.0])
    h = W @ x
    loss = (h * h).sum()
    latex = explain(W, loss).latex()
    check_latex(latex)
    closed = 2.0 * np.outer(W.data @ x, x)      # d/dW |Wx|² = 2 (Wx) xᵀ
    last = [r for r in latex.splitlines() if r.startswith("&= ")][-1]
    cells = [float(c) for c in re.findall(r"-?[\d.]+", last.split("bmatrix}")[1])]
    assert np.allclose(cells, closed.ravel(), rtol=1e-3)


def test_explain_latex_escapes_names_and_covers_the_corner_cases():
    a = Value(2.0, name="a_{1}%$#")
    c = Value(5.0, requires_grad=False, name="c")
    y = a * c
    for node in (a, c, y):
        check_latex(explain(node, y).latex())
    assert r"\%" in explain(a, y).latex()
    assert explain(y, y).latex().endswith("= 1")


@pytest.mark.skipif(shutil.which("latex") is None, reason="no latex binary: parse check only")
def test_explain_latex_compiles(tmp_path):
    w = Value(0.5, name="w")
    latex = explain(w, (w * 3.0).tanh()).latex()
    doc = ("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n\\[" + latex
           + "\\]\n\\end{document}\n")
    (tmp_path / "e.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(["latex", "-interaction=nonstopmode", "e.tex"], cwd=tmp_path,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout[-2000:]


# ------------------------------------------------------------------ compare
def test_compare_report_is_an_escaped_html_table():
    report = compare(lambda **p: (p["w"] * p["w"]).sum() + p["<b>"] * 3.0,
                     {"w": np.array([1.0, -2.0]), "<b>": 1.0},
                     {"w": np.array([2.0, -4.0]), "<b>": 4.0})   # d/d<b> is 3, not 4
    page = report._repr_html_()
    parser = _parse(page)
    assert not parser.remote
    assert "&lt;b&gt;" in page and "<td><b></td>" not in page
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page)
    cells = [re.findall(r"<t[dh]>(.*?)</t[dh]>", r) for r in rows]
    assert cells[0][0] == "parameter" and cells[0][-1] == "verdict"
    assert [c[0] for c in cells[1:]] == ["w", "&lt;b&gt;"]
    assert cells[1][-1] == "OK" and cells[2][-1] == "MISMATCH"
    assert cells[2][2] == "3" and cells[2][3] == "4"    # autograd 3, manual 4
    assert "MISMATCH" in page and 'style="color:#b00020' in page
