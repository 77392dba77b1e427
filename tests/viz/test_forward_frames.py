"""Tests for the forward-mode drawings: tinygrad_edu.viz.forward.

Oracles: hand counts of the nodes a seed reaches; central differences (float64) of every
node along the seeded direction, computed by re-running the model at primal ± ε·tangent;
``tg.jvp`` for the output; closed forms (d(ab) = da·b + a·db, σ'(0) = 1/4, d(x²) = 2x·dx);
the op table's JVP texts (a patched row changes the label); golden DOT snapshots whose
numbers are parsed back and compared with the closed forms.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from test_viz import golden, labels, numbers

import tinygrad_edu as tg
from tinygrad_edu import ShapeError, Value
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import ARTICLE2_W_H, ARTICLE2_W_O
from tinygrad_edu.core.ops import MATMUL
from tinygrad_edu.viz import draw_forward_frame, forward_frame_dot, forward_html, trace_forward
from tinygrad_edu.viz.forward import forward_text
from tinygrad_edu.viz.graph import collect, display_name

EPS = 1e-6


# ------------------------------------------------------------------ models
def fan_out(a: Value, b: Value, c: Value) -> Value:
    """y = (sin(a·b) + exp(c))·a, every node named (a is used twice)."""
    ab = a * b
    ab.name = "ab"
    s = ab.sin()
    s.name = "s"
    e = c.exp()
    e.name = "e"
    u = s + e
    u.name = "u"
    y = u * a
    y.name = "y"
    return y


def article2(W_h: Value, W_o: Value) -> Value:
    """Article II's 2-3-1 network and loss on the OR gate, every node named."""
    X = Value(manual.OR_X, requires_grad=False, name="X")
    t = Value(manual.OR_T, requires_grad=False, name="t")
    names = {}

    def named(v: Value, name: str) -> Value:
        v.name = name
        names[name] = v
        return v

    a_h = named(X @ W_h, "a_h")
    h = named(a_h.sigmoid(), "h")
    a_o = named(h @ W_o, "a_o")
    o = named(a_o.sigmoid(), "o")
    d = named(o - t, "d")
    sq = named(d ** 2, "sq")
    half = named(0.5 * sq, "half")
    return named(half.sum(), "L")


def node_values(f, primals) -> dict[str, np.ndarray]:
    """Every named node's data when ``f`` runs at ``primals``."""
    out = f(*[Value(p, name=n) for p, n in zip(primals, _names(f), strict=True)])
    return {v.name: np.asarray(v.data, dtype=np.float64) for v in collect(out).nodes if v.name}


def _names(f) -> list[str]:
    return list(f.__code__.co_varnames[:f.__code__.co_argcount])


def central_differences(f, primals, tangents) -> dict[str, np.ndarray]:
    """d(node)/dε of every named node at ε = 0, for primals + ε·tangents (float64)."""
    plus = node_values(f, [p + EPS * t for p, t in zip(primals, tangents, strict=True)])
    minus = node_values(f, [p - EPS * t for p, t in zip(primals, tangents, strict=True)])
    return {name: (plus[name] - minus[name]) / (2 * EPS) for name in plus}


FAN_OUT_AT = (0.7, -1.3, 0.4)
ARTICLE2_AT = (np.array(ARTICLE2_W_H, dtype=np.float64), np.array(ARTICLE2_W_O, dtype=np.float64))


def article2_direction():
    rng = np.random.default_rng(14)
    return rng.normal(size=(2, 3)), rng.normal(size=(3, 1))


# ------------------------------------------------------------- frame counts
def test_one_frame_per_node_a_seed_reaches():
    # By hand: seeding a reaches a, ab, s, u, y (not b, c, e); seeding all reaches all 8.
    only_a = trace_forward(fan_out, FAN_OUT_AT, (1.0, 0.0, 0.0))
    assert len(only_a.frames) == 8  # a zero tangent still flows: b and c are seeded
    x = [Value(p, name=n) for p, n in zip(FAN_OUT_AT, "abc", strict=True)]
    y = fan_out(*x)
    seeded_a = trace_forward(y, {x[0]: 1.0})
    names = [seeded_a.graph.nodes[f.node].name for f in seeded_a.frames]
    assert names == ["a", "ab", "s", "u", "y"]
    seeded_c = trace_forward(y, {x[2]: 1.0})
    assert [seeded_c.graph.nodes[f.node].name for f in seeded_c.frames] == ["c", "e", "u", "y"]
    # Article II: W_h, W_o and the 8 ops above them (X and t are constants).
    assert len(trace_forward(article2, ARTICLE2_AT, article2_direction()).frames) == 10


def test_frames_come_in_forward_order():
    # Every node's frame comes after the frames of all its inputs that carry a tangent.
    trace = trace_forward(article2, ARTICLE2_AT, article2_direction())
    for frame in trace.frames:
        for e in frame.edges:
            assert trace.frame_of(e.source) < frame.index


# -------------------------------------------------------- numbers are right
@pytest.mark.parametrize("f, primals, tangents", [
    (fan_out, FAN_OUT_AT, (1.0, 0.0, 0.0)),
    (fan_out, FAN_OUT_AT, (0.3, -2.0, 1.5)),
    (article2, ARTICLE2_AT, article2_direction()),
], ids=["fan-out, a only", "fan-out, all", "article II"])
def test_each_frames_tangent_is_the_central_difference_of_its_node(f, primals, tangents):
    trace = trace_forward(f, primals, tangents)
    numeric = central_differences(f, primals, tangents)
    for i, frame in enumerate(trace.frames):
        name = trace.graph.nodes[frame.node].name
        np.testing.assert_allclose(frame.tangent, numeric[name], rtol=1e-7, atol=1e-9,
                                   err_msg=f"frame {i + 1}: {name}")
        # ... and the picture shows it (4 significant digits) on the current node.
        shown = next(line for line in labels(forward_frame_dot(trace, i))[name]
                     if line.startswith("tangent"))
        value = numbers(shown.removesuffix(" (seed)"))[-np.size(numeric[name]):]
        np.testing.assert_allclose(value, numeric[name].ravel(), rtol=6e-4, atol=1e-9)


def test_last_frame_is_what_jvp_returns():
    tangents = article2_direction()
    trace = trace_forward(article2, ARTICLE2_AT, tangents)
    _, jvp_tangent = tg.jvp(article2, ARTICLE2_AT, tangents)
    assert trace.graph.nodes[trace.frames[-1].node].name == "L"
    assert trace.frames[-1].tangent == jvp_tangent
    # Reverse mode agrees: dL = <∇L, direction> (article II's hand gradients).
    g = manual.two_layer_grads(manual.OR_X, manual.OR_T, *ARTICLE2_AT)
    by_hand = np.sum(g["W_h"] * tangents[0]) + np.sum(g["W_o"] * tangents[1])
    assert math.isclose(trace.frames[-1].tangent, by_hand, rel_tol=1e-10)


def test_grads_are_not_touched():
    x = Value(2.0, name="x")
    y = (x * x).sin()
    trace_forward(y, {x: 1.0})
    assert x.grad is None and y.grad is None


# ------------------------------------------------------------------ labels
#: Article II's forward edges, written from the op table's JVP texts by hand: MATMUL
#: "T @ Y" / "X @ T", SIGMOID "t·σ(x)·(1−σ(x))", SUB "t", POW "t·y·x^(y−1)", MUL "t·x"
#: (the constant 0.5 is x), SUM "Σ t over axis"; t written d + the input's name.
ARTICLE2_EDGES = {
    ("a_h", 1): "X @ dW_h",
    ("h", 0): "da_h·σ(a_h)·(1−σ(a_h))",
    ("a_o", 0): "dh @ W_o",
    ("a_o", 1): "h @ dW_o",
    ("o", 0): "da_o·σ(a_o)·(1−σ(a_o))",
    ("d", 0): "do",
    ("sq", 0): "dd·2·d^(2−1)",
    ("half", 1): "dsq·0.5",
    ("L", 0): "Σ dhalf over axis",
}


def test_edge_labels_read_the_op_tables_jvp_texts():
    trace = trace_forward(article2, ARTICLE2_AT, article2_direction())
    graph = trace.graph
    found = {}
    for frame in trace.frames:
        name = graph.nodes[frame.node].name
        dot = forward_frame_dot(trace, frame.index)
        for e in frame.edges:
            found[(name, e.position)] = e
            source = graph.nodes[e.source].name
            assert f'label="{ARTICLE2_EDGES[(name, e.position)]}' in dot, (name, source)
    assert set(found) == set(ARTICLE2_EDGES)


def test_a_changed_row_changes_the_label():
    # The label is read from the row, not written by the drawing: patch MATMUL's text.
    before = MATMUL.jvp_texts
    object.__setattr__(MATMUL, "jvp_texts", ("T @ Y (patched)", "X @ T (patched)"))
    try:
        trace = trace_forward(article2, ARTICLE2_AT, article2_direction())
        assert 'label="X @ dW_h (patched)' in forward_frame_dot(trace, 2)
    finally:
        object.__setattr__(MATMUL, "jvp_texts", before)


def test_labels_show_the_numbers():
    # σ'(0) = 1/4, so a tangent of 2 adds 0.5.
    trace = trace_forward(lambda z: z.sigmoid(), (0.0,), (2.0,))
    assert 'label="dz·σ(z)·(1−σ(z))\\n= 2 × 0.25 = 0.5"' in forward_frame_dot(trace, 1)
    # d(x²) = x·dx + x·dx = 2x·dx: two edges, and the node shows their sum.
    trace = trace_forward(lambda x: x * x, (3.0,), (1.0,))
    dot = forward_frame_dot(trace, 1)
    assert dot.count('label="dx·x\\n= 1 × 3 = 3"') == 2
    assert "tangent 3 + 3 = 6" in dot
    text = forward_text(trace, 1)
    assert text.endswith("dmul1 = 3 + 3 = 6") and text.count("from x: dx·x") == 2


def test_unreached_nodes_show_tangent_zero_and_grey_edges():
    x = [Value(p, name=n) for p, n in zip(FAN_OUT_AT, "abc", strict=True)]
    y = fan_out(*x)
    trace = trace_forward(y, {x[0]: 1.0})
    found = labels(forward_frame_dot(trace, len(trace.frames) - 1))
    assert "tangent 0 (not seeded)" in found["c"] and "tangent 0 (no seeded input)" in found["e"]


# -------------------------------------------------------------- golden DOT
def test_golden_forward_frames_of_sin_ab():
    # y = sin(a·b) at a = 2, b = 3, direction (1, 0.5): d(ab) = 1·3 + 0.5·2 = 4,
    # dy = cos(6)·4. The snapshots are checked byte for byte and their numbers by hand.
    trace = trace_forward(lambda a, b: (a * b).sin(), (2.0, 3.0), (1.0, 0.5))
    want = {"a": 1.0, "b": 0.5, "mul2": 4.0, "sin3": math.cos(6.0) * 4.0}
    assert len(trace.frames) == 4
    for i in range(4):
        text = golden(f"forward_sin_ab_frame_{i + 1}.dot", forward_frame_dot(trace, i))
        assert forward_frame_dot(trace, i) == text, f"frame {i + 1} changed; review, regenerate"
        name = display_name(trace.graph, trace.graph.nodes[trace.frames[i].node])
        current = labels(text)[name]
        tangent = next(line for line in current if line.startswith("tangent"))
        assert math.isclose(numbers(tangent)[-1], want[name], rel_tol=6e-4)
    assert 'label="da·b\\n= 1 × 3 = 3"' in text and 'label="db·a\\n= 0.5 × 2 = 1"' in text


# -------------------------------------------------------------- bad input
def test_bad_input_is_refused_with_a_clear_error():
    a, b = Value(2.0, name="a"), Value(3.0, name="b")
    y = a * b
    k = Value(1.0, requires_grad=False, name="k")
    with pytest.raises(ShapeError, match="tangent of a.*shape \\(2,\\).*shape \\(\\)"):
        trace_forward(y, {a: np.ones(2)})
    with pytest.raises(ValueError, match="does not depend"):
        trace_forward(y, {Value(1.0, name="z"): 1.0})
    with pytest.raises(ValueError, match="computed by mul"):
        trace_forward((y * 2.0), {y: 1.0})
    with pytest.raises(ValueError, match="constant"):
        trace_forward(y * k, {k: 1.0})
    with pytest.raises(ValueError, match="no tangents"):
        trace_forward(y, {})
    with pytest.raises(TypeError, match="keyed by Values"):
        trace_forward(y, {"a": 1.0})
    with pytest.raises(TypeError, match="one mapping"):
        trace_forward(y, (2.0,), (1.0,))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        trace_forward(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="must return one Value"):
        trace_forward(lambda a: 3.0, (1.0,), (1.0,))
    with pytest.raises(ValueError, match="does not depend on its arguments"), tg.no_grad():
        trace_forward(lambda a: a * 2.0, (1.0,), (1.0,))
    with pytest.raises(IndexError, match="frame 5 does not exist.*3 frames"):
        forward_frame_dot(trace_forward(y, {a: 1.0, b: 1.0}), 5)


# -------------------------------------------------------------- rendering
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' missing")


def test_draw_forward_frame_is_the_dot_text():
    trace = trace_forward(lambda x: x.sin(), (0.5,), (1.0,))
    assert draw_forward_frame(trace, 1).source == forward_frame_dot(trace, 1)


@needs_dot
def test_forward_html_is_the_stepper_page(tmp_path):
    trace = trace_forward(article2, ARTICLE2_AT, article2_direction())
    page = forward_html(trace, tmp_path / "forward.html").read_text(encoding="utf-8")
    # One section per frame and the summary, the backward stepper's controls and keys.
    assert page.count('class="frame"') == len(trace.frames) + 1
    assert 'id="prev"' in page and 'id="next"' in page and "ArrowRight" in page
    assert "row&#x27;s JVP" in page and "tangent of a_h (matmul)" in page
    assert [p.name for p in tmp_path.iterdir()] == ["forward.html"]


@needs_dot
def test_forward_html_leaves_out_the_middle_of_a_long_pass(tmp_path):
    x = Value(0.3, name="x")
    v = x
    for _ in range(30):
        v = v.sin()
    page = forward_html(trace_forward(v, {x: 1.0}), tmp_path / "long.html", max_frames=6)
    page_text = page.read_text(encoding="utf-8")
    assert page_text.count('class="frame"') == 7
    assert "frames 4–28 are not shown" in page_text
