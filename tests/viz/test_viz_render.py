"""Rendering through the graphviz package and the `dot` program.

Oracles: Graphviz itself parses our DOT (a parse error fails the render) and the SVG is
well-formed XML whose text holds the names exactly as typed (so escaping neither broke
the DOT nor changed the name); the file counts follow from the number of frames.
Tests that need `dot` are skipped when it is not installed (`make dot` installs it).
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from tinygrad_edu import Value
from tinygrad_edu.articles.graphs import article1_loss, article2_loss
from tinygrad_edu.cli import main
from tinygrad_edu.viz import DotNotFoundError, draw, draw_frame, render_frames, to_dot
from tinygrad_edu.viz.render import to_svg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' is not installed (run 'make dot')")
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))  # raises if the SVG is not well-formed
    # Graphviz writes a run of spaces as space + no-break space; read them as spaces.
    return [(t.text or "").replace("\u00a0", " ") for t in root.iter(f"{SVG}text")]


def test_draw_source_is_to_dot():
    loss = article1_loss()
    assert draw(loss).source == to_dot(loss)


@needs_dot
def test_forward_and_frames_render_to_svg():
    loss = article2_loss()
    texts = svg_texts(to_svg(draw(loss)))
    assert "W_h  (2, 3)" in texts and "L" in texts
    frame = svg_texts(to_svg(draw_frame(loss, 0)))
    assert "backward frame 1/10: visiting L (sum)" in frame


@needs_dot
@pytest.mark.parametrize("name", ['a"b', "back\\slash\\", "<b>&amp;</b>", "two\nlines",
                                  '}" ; x -> y [label="pwn', "\\N \\G \\L"])
def test_hostile_names_render_verbatim(name):
    # Graphviz must parse the DOT, and the SVG must show the name as typed (lines split).
    x = Value(2.0, name=name)
    y = x * x
    texts = svg_texts(to_svg(draw(y)))
    for part in name.split("\n"):
        assert part in texts
    frame_texts = svg_texts(to_svg(draw_frame(y, 1)))
    assert name.split("\n")[0] in frame_texts


@needs_dot
def test_render_frames_writes_one_file_per_frame(tmp_path):
    paths = render_frames(article1_loss(), tmp_path, "svg")
    assert [p.name for p in paths] == [f"frame_{i:03d}.svg" for i in range(1, 10)]
    for p in paths:
        svg_texts(p.read_text("utf-8"))


@needs_dot
def test_cli_writes_svg_and_html(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    assert main(["graph", "article2", "--format", "svg", "--out", str(out)]) == 0
    assert "W_o  (3, 1)" in svg_texts(out.read_text("utf-8"))
    html = tmp_path / "steps.html"
    assert main(["graph", "article2", "--backward", "--html", str(html)]) == 0
    assert "(10 backward frames)" in capsys.readouterr().out
    page = html.read_text("utf-8")
    assert page.count('<section class="frame"') == 11  # 10 frames and the summary
    assert "http://" not in page.replace("http://www.w3.org", "")  # no network resources
    assert "https://" not in page and "<link" not in page and " src=" not in page


def test_missing_dot_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        render_frames(article1_loss(), tmp_path / "frames", "svg")
    with pytest.raises(DotNotFoundError, match="make dot"):
        to_svg(draw(article1_loss()))
    assert not (tmp_path / "frames").exists()  # nothing half-done
    assert to_dot(article1_loss()).startswith("digraph G {")  # DOT text still works
