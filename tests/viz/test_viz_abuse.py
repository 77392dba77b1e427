"""The drawings under abuse (issue 12, items 7-9): long chains, many frames, hostile names.

Small versions of the full-size runs in scripts/abuse_drawings.py. Oracles: closed-form
counts (a chain of n nodes has one path of n − 1 edges and n frames; a ladder of k
doublings has 2**k paths and gradient 2**k), the engine's gradient for the path
product, the cap constants of the modules (what is listed never grows with the graph),
Graphviz itself (it must accept every drawing), and the file system (no page, no
temporary file after a failure). Linear time is checked as the ratio of per-node times
at two sizes, never as a wall-clock budget.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import time
from pathlib import Path

import pytest

from tinygrad_edu import Value
from tinygrad_edu.viz import backward_html, explain, frame_dot, to_dot, trace_backward
from tinygrad_edu.viz import html as html_module
from tinygrad_edu.viz.dot import LINE_LIMIT
from tinygrad_edu.viz.explain import FACTOR_LIMIT, PATH_LIMIT
from tinygrad_edu.viz.graph import NAME_LIMIT
from tinygrad_edu.viz.html import plan_sections
from tinygrad_edu.viz.render import DotError, render_svgs

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' is not installed (run 'make dot')")


def _load_script():
    path = Path(__file__).resolve().parents[2] / "scripts" / "abuse_drawings.py"
    spec = importlib.util.spec_from_file_location("abuse_drawings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The full-size runs' graphs, in small: a chain (x, then alternately ``* 1.0001`` and
# ``sin``) and a wide sum p0 + p1·p1 + … (no chain: every add has two inputs).
_script = _load_script()
chain, wide = _script.chain, _script.wide


# ------------------------------------------------------------------ 12.7 explain()
def _seconds_per_node(sizes: tuple[int, ...], repeats: int = 5) -> list[float]:
    """explain()'s time per node on chains of these sizes: the least disturbed of
    ``repeats`` runs, the sizes interleaved so that a busy moment hits them alike."""
    cases = []
    for n in sizes:
        x, loss = chain(n)
        cases.append((n, x, trace_backward(loss)))  # recorded once: explain() is timed
    best = [float("inf")] * len(sizes)
    for _ in range(repeats):
        for i, (n, x, trace) in enumerate(cases):
            start = time.perf_counter()
            explain(x, trace=trace)
            best[i] = min(best[i], (time.perf_counter() - start) / n)
    return best


def test_explain_is_linear_in_chain_length():
    # Quadratic path building made a 32,000-node chain cost about 5× per node what a
    # 2,000-node one did (measured: 10 µs/node at 2,000, 30 at 16,000); linear work
    # keeps the ratio near 1 (up to 2 on a busy machine).
    small, big = _seconds_per_node((2_000, 32_000))
    assert big / small < 3.0, (small, big)


def test_explain_text_is_capped_on_a_long_chain():
    # One path of n − 1 edges (closed form); its line shows FACTOR_LIMIT factors and
    # says how many it left out; the text does not grow with the chain.
    texts = {}
    for n in (2_000, 16_000):
        x, loss = chain(n)
        e = explain(x, loss)
        assert e.path_count == 1 and len(e.paths) == 1 and e.complete
        assert len(e.paths[0].edges) == n - 1
        assert e.paths[0].product == pytest.approx(e.gradient, rel=1e-9)  # engine's grad
        shown = n - 1 - FACTOR_LIMIT
        assert f"⋯ ({shown:,} more) ⋯" in e.text
        assert "along the 1 path from" in e.text
        texts[n] = e.text
    assert len(texts[16_000]) < 1.1 * len(texts[2_000]) < 2_000


def test_explain_counts_the_paths_it_does_not_list():
    # v ← v + v, 20 times: each step doubles the paths, so x has 2**20 paths and
    # ∂L/∂x = 2**20 (closed form). Only PATH_LIMIT are kept, max_listed listed.
    x = Value(1.0, name="x")
    v = x
    for _ in range(20):
        v = v + v
    e = explain(x, v)
    assert e.gradient == 2.0**20
    assert e.path_count == 2**20 and not e.complete
    assert len(e.paths) == PATH_LIMIT
    assert "along the 1,048,576 paths" in e.text
    assert f"… {2**20 - 8:,} more path(s) not listed" in e.text
    assert len([line for line in e.text.splitlines() if line.startswith("  ∂")]) <= 8 + 20


def test_explain_lists_a_few_of_many_op_uses():
    # A tensor used by 50 ops: 8 listed (max_listed), the rest counted; sum = 50·ones.
    import numpy as np

    a = Value(np.ones(3), name="a")
    total = a * 1.0
    for _ in range(49):
        total = total + a * 1.0
    e = explain(a, total.sum())
    np.testing.assert_allclose(e.gradient, np.full(3, 50.0))
    assert e.text.count("  from ") == 8 and "… 42 more op use(s) not listed" in e.text
    assert "sum of 50 contributions = [50, 50, 50]" in e.text


# ---------------------------------------------------------- 12.8 backward_html
def test_frames_of_a_long_chain_fold_into_one_section():
    # A chain of n nodes: n frames; the top (the output), the n − 2 inner links
    # folded, and x at the bottom.
    _, loss = chain(2_000)
    trace = trace_backward(loss)
    sections, notes = plan_sections(trace, max_frames=60)
    assert [(s.first, s.last) for s in sections] == [(0, 0), (1, 1_998), (1_999, 1_999)]
    assert "Frames 2–1,999 folded: a chain of 1,998 ops (mul ×999, sin ×999)" \
        in sections[1].note
    assert notes == ["This backward pass has 2,000 frames, more than max_frames=60.",
                     "1,998 frames in 1 chain(s) are folded into one section each."]


def test_frames_past_the_cap_keep_the_first_and_the_last():
    # wide(300): 300 leaves, 299 products, 299 sums = 898 nodes, every one visited:
    # 898 frames, no chain to fold; 10 + 10 kept, frames 11–888 left out.
    trace = trace_backward(wide(300))
    assert len(trace.frames) == 898
    sections, notes = plan_sections(trace, max_frames=20)
    assert len(sections) == 20
    assert [s.first for s in sections] == [*range(10), *range(888, 898)]
    gap = "Frames 11–888 (878 frames) are not shown: the page keeps the first and the last ones."
    assert sections[10].note == gap and notes[-1] == gap


def test_small_passes_are_not_folded():
    _, loss = chain(40)
    sections, notes = plan_sections(trace_backward(loss), max_frames=60)
    assert len(sections) == 40 and notes == []


@needs_dot
def test_html_of_a_long_chain_is_small_and_one_dot_run(tmp_path, monkeypatch):
    import subprocess

    runs = []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run",
                        lambda *a, **k: runs.append(a[0]) or real_run(*a, **k))
    sizes = {}
    for n in (1_000, 4_000):
        _, loss = chain(n)
        page = backward_html(loss, tmp_path / f"c{n}.html").read_text("utf-8")
        assert page.count('<section class="frame"') == 4      # 3 sections + the summary
        assert "folded into one section each" in page         # said on the page
        sizes[n] = len(page)
    assert runs == [["dot", "-Tsvg"]] * 2                      # one dot run per page
    assert sizes[4_000] < 1.2 * sizes[1_000] < 400_000         # does not grow with n


@needs_dot
def test_html_page_size_is_capped(tmp_path, monkeypatch):
    # A small page budget: 7 sections (6 frames + summary) of PAGE_NODES // 6 = 20 values.
    monkeypatch.setattr(html_module, "PAGE_NODES", 120)
    page = backward_html(wide(40), tmp_path / "w.html", max_frames=6).read_text("utf-8")
    assert page.count('<section class="frame"') == 7
    assert "each picture draws at most 20 of the 118 values" in page
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        drawn = set(re.findall(r"<title>(v\d+)</title>", svg))
        assert 1 <= len(drawn) <= 20


def test_render_svgs_reports_what_dot_refused():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed")
    ok = 'digraph A { a [label="x"] }\n'
    too_long = 'digraph B { b [label="' + "n" * 17_000 + '"] }\n'
    assert len(render_svgs([ok, ok])) == 2
    with pytest.raises(DotError, match="dot refused the drawing.*16384"):
        render_svgs([ok, too_long])


# ------------------------------------------------------------- 12.9 hostile names
def _quoted_strings(dot: str) -> list[str]:
    return re.findall(r'"((?:[^"\\]|\\.)*)"', dot)


@pytest.mark.parametrize("name", ["n" * 20_000, "&" * 20_000, "<\\\"" * 7_000,
                                  ("&" * 300 + "\u2028") * 100])
def test_huge_names_give_labels_dot_accepts(name):
    # dot refuses a quoted string of 16,384 characters or more (its lexer's limit).
    x = Value(2.0, name=name)
    y = (x * x).sigmoid()
    y.name = name
    for dot in (to_dot(y, title=name), frame_dot(trace_backward(y), 1)):
        assert max(len(s) for s in _quoted_strings(dot)) < 16_384
        assert max(len(line) for s in _quoted_strings(dot)
                   for line in s.split("\\n")) <= 5 * LINE_LIMIT


def test_names_are_shortened_with_an_ellipsis():
    x = Value(2.0, name="a" * 100 + "END")
    text = explain(x, x * x).text
    short = "a" * (NAME_LIMIT - 1 - (NAME_LIMIT - 1) // 2) + "…" + \
        ("a" * 100 + "END")[-((NAME_LIMIT - 1) // 2):]
    assert f"∂mul1/∂{short} = " in text and "a" * 60 not in text
    assert explain("a" * 100 + "END", x * x).gradient == 4.0  # the full name still finds it


@needs_dot
@pytest.mark.parametrize("name", ["n" * 20_000, "&" * 20_000, "bad\ud800", "\udfff\ud800x"])
def test_hostile_names_give_a_page_and_no_temp_file(tmp_path, name):
    x = Value(2.0, name=name)
    path = backward_html(x * x, tmp_path / "page.html")
    page = path.read_text("utf-8")  # valid UTF-8 throughout
    assert "∂mul1/∂" in page and page.count('<section class="frame"') == 3
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    if "\ud800" in name:
        assert "\ufffd" in page


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    # Rendering is replaced by blank SVGs (no dot needed): the write itself fails.
    import os

    monkeypatch.setattr(html_module, "frame_svgs", lambda trace, indices, **kw:
                        ["<svg></svg>"] * len(indices))

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    x = Value(2.0, name="x")
    with pytest.raises(OSError, match="No space left"):
        backward_html(x * x, tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(html_module, "frame_svgs", lambda trace, indices, **kw:
                        ["<svg></svg>"] * len(indices))
    real_write = Path.write_bytes

    def interrupted(self, data):
        real_write(self, data[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    x = Value(2.0, name="x")
    with pytest.raises(KeyboardInterrupt):
        backward_html(x * x, tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []
