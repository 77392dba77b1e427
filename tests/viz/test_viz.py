"""Tests for tinygrad_edu.viz: DOT text, backward frames, explain(), big graphs, CLI.

Oracles: the engine's own visit order seen by an independent observer; `.grad` from a
normal backward pass; article I's hand derivation in tinygrad_edu.manual; central
differences; closed-form counts of nodes. Golden DOT snapshots are checked byte for
byte AND their numbers are parsed back and compared with the hand derivation, so a
snapshot cannot silently freeze a wrong number. Regenerate them with
``TINYGRAD_EDU_UPDATE_GOLDEN=1 python -m pytest tests/viz/test_viz.py``, then re-run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.graphs import article1_loss, article2_loss
from tinygrad_edu.cli import main
from tinygrad_edu.core import run_backward, topological_order
from tinygrad_edu.viz import backward_frames, escape, explain, frame_dot, to_dot, trace_backward
from tinygrad_edu.viz.render import check_leaves

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TINYGRAD_EDU_UPDATE_GOLDEN") == "1"


# ------------------------------------------------------------------ helpers
def random_scalar_graph(rng: np.random.Generator, n_leaves: int = 3, n_ops: int = 12):
    """A random scalar graph where nodes are reused (fan-out) by later nodes."""
    leaves = [Value(float(rng.uniform(-1.5, 1.5)), name=f"x{i}") for i in range(n_leaves)]
    nodes = list(leaves)
    for _ in range(n_ops):
        kind = rng.integers(5)
        a = nodes[rng.integers(len(nodes))]
        b = nodes[rng.integers(len(nodes))]
        if kind == 0:
            nodes.append(a + b)
        elif kind == 1:
            nodes.append(a * b)
        elif kind == 2:
            nodes.append(a - 0.5 * b)
        elif kind == 3:
            nodes.append(a.tanh())
        else:
            nodes.append(a.sigmoid() * b)
    loss = nodes[-1]
    for extra in nodes[-4:-1]:
        loss = loss + extra
    return leaves, loss


def random_tensor_graph(rng: np.random.Generator):
    """Tensors with broadcasting (a scalar and a row used many times) and fan-out."""
    A = Value(rng.normal(size=(3, 4)), name="A")
    r = Value(rng.normal(size=(4,)), name="r")
    s = Value(float(rng.normal()), name="s")
    h = (A * r + s).tanh()
    g = h * A - r.sigmoid()
    loss = ((g @ r) * s).sum() + (h ** 2).mean()
    return [A, r, s], loss


def labels(dot: str) -> dict[str, list[str]]:
    """Node name -> label lines, parsed back out of DOT text; a matrix's further rows
    (lines starting with a space) are joined to the line they continue."""
    out = {}
    for m in re.finditer(r'^\tv\d+ \[.*?label="((?:[^"\\]|\\.)*)"', dot, re.M):
        lines = join_rows(m.group(1).split("\\n"))
        out[lines[0].split("  ")[0]] = lines
    return out


def join_rows(lines: list[str]) -> list[str]:
    """Label lines with a matrix's further rows (leading space) joined to their line."""
    out: list[str] = []
    for line in lines:
        if line.startswith(" ") and out:
            out[-1] += line
        else:
            out.append(line)
    return out


def numbers(text: str) -> np.ndarray:
    text = text.replace("\u2212", "-")
    return np.array([float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)])


def field(lines: list[str], key: str) -> np.ndarray:
    (line,) = [x for x in lines if x.startswith(key + " ")]
    return numbers(line[len(key):])


def article1_expected() -> dict[str, dict[str, np.ndarray]]:
    """Article I by hand (tinygrad_edu.manual), independent of the engine."""
    X, t = manual.OR_X, manual.OR_T
    w, b = np.array([[0.1], [0.2]]), 0.3
    z = X @ w + b
    o = manual.sigmoid(z)
    g = manual.perceptron_grads(X, t, w.ravel(), b)
    return {
        "w": {"data": w.ravel(), "grad": g["w"]},
        "b": {"data": np.array([b]), "grad": np.array([g["b"]])},
        "z": {"data": z.ravel(), "grad": ((o - t) * o * (1 - o)).ravel()},
        "o": {"data": o.ravel(), "grad": (o - t).ravel()},
        "L": {"data": np.array([g["loss"]]), "grad": np.array([1.0])},
    }


def assert_4_digits(shown: np.ndarray, expected: np.ndarray) -> None:
    # Labels carry 4 significant digits.
    np.testing.assert_allclose(shown, np.asarray(expected, dtype=float).ravel(),
                               rtol=6e-4, atol=1e-12)


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with TINYGRAD_EDU_UPDATE_GOLDEN=1"
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------- frames = engine
def test_frame_order_is_the_engines_visit_order():
    # Oracle: a second, independent observer on the engine, and topological_order.
    rng = np.random.default_rng(0)
    for _ in range(10):
        _, loss = random_scalar_graph(rng)
        seen: list = []
        run_backward((loss,), (1.0,), store=False,
                     observer=lambda n, g, c, seen=seen: seen.append(n))
        trace = trace_backward(loss)
        visited = [trace.graph.nodes[f.node] for f in trace.frames]
        assert [id(v) for v in visited] == [id(v) for v in seen]
        assert [id(v) for v in visited] == [id(v) for v in reversed(topological_order(loss))]


def test_frames_leave_grad_untouched():
    # Recording runs the engine with store=False: .grad must stay None.
    leaves, loss = random_scalar_graph(np.random.default_rng(1))
    backward_frames(loss)
    assert all(x.grad is None for x in leaves)


@pytest.mark.parametrize("seed", range(8))
def test_contributions_sum_to_gradients_scalar(seed):
    # Oracle: .grad from an ordinary loss.backward() on the same graph.
    leaves, loss = random_scalar_graph(np.random.default_rng(seed))
    trace = trace_backward(loss)
    loss.backward()
    for f in trace.frames:
        arrived = trace.incoming.get(f.node, [])
        if f.node == len(trace.graph.nodes) - 1:
            assert f.grad == 1.0
            continue
        assert sum(e.contribution for e in arrived) == pytest.approx(f.grad, rel=1e-12)
        # scalar edges: contribution = upstream × local
        for e in arrived:
            assert e.contribution == pytest.approx(e.upstream * e.local, rel=1e-12, abs=1e-15)
    for x in leaves:
        g = trace.grad_of(trace.graph.position(x)) if id(x) in trace.graph.index else None
        assert (g or 0.0) == pytest.approx(x.grad or 0.0, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_contributions_sum_to_gradients_tensor(seed):
    # Oracle: .grad from loss.backward(), and central differences for the leaves.
    leaves, loss = random_tensor_graph(np.random.default_rng(seed))
    trace = trace_backward(loss)
    loss.backward()
    for f in trace.frames[1:]:
        total = sum(np.asarray(e.contribution) for e in trace.incoming[f.node])
        np.testing.assert_allclose(total, f.grad, rtol=1e-12, atol=1e-14)
    for x in leaves:
        np.testing.assert_allclose(trace.grad_of(trace.graph.position(x)), x.grad, rtol=1e-12)


def _nudged_forward(node: Value, position: int, h) -> np.ndarray:
    """The node's op re-run with input ``position`` moved by ``h`` (others fixed)."""
    args = [np.asarray(a.data if isinstance(a, Value) else a, dtype=np.float64)
            for a in node.inputs]
    args[position] = args[position] + h
    return np.asarray(node.op.forward(*args, **node.params), dtype=np.float64)


@pytest.mark.parametrize("seed", range(4))
def test_edge_local_values_match_central_differences(seed):
    # Oracle: central differences of each op's forward function, one input at a time,
    # elementwise (the Jacobian's diagonal is what an elementwise edge label shows).
    rng = np.random.default_rng(seed)
    graphs = [random_scalar_graph(rng)[1], random_tensor_graph(rng)[1]]
    checked = 0
    for loss in graphs:
        trace = trace_backward(loss)
        for f in trace.frames:
            for e in f.edges:
                if e.local is None:
                    continue
                node = trace.graph.nodes[e.source]
                h = 1e-6
                numeric = (_nudged_forward(node, e.position, h)
                           - _nudged_forward(node, e.position, -h)) / (2 * h)
                np.testing.assert_allclose(e.local, numeric, rtol=1e-6, atol=1e-8)
                checked += 1
    assert checked > 10


def test_fan_out_label_shows_the_sum():
    # x is used twice in x*x + x: grad = 2x + 1 = 7 at x = 3 (closed form), shown as a sum.
    x = Value(3.0, name="x")
    loss = x * x + x
    trace = trace_backward(loss)
    last = frame_dot(trace, len(trace.frames) - 1)
    (line,) = [l for l in labels(last)["x"] if l.startswith("grad")]
    parts = numbers(line)
    assert parts[-1] == 7.0 and sum(parts[:-1]) == 7.0 and len(parts) == 4  # 1 + 3 + 3 = 7


# ------------------------------------------------------------------ explain()
@pytest.mark.parametrize("seed", range(6))
def test_explain_paths_sum_to_the_gradient(seed):
    # Oracle: .grad from a normal backward; each path's product is Π of its factors.
    leaves, loss = random_scalar_graph(np.random.default_rng(seed))
    loss.backward()
    for x in leaves:
        if x.grad is None:
            continue
        e = explain(x, loss)
        assert e.complete
        assert sum(p.product for p in e.paths) == pytest.approx(x.grad, rel=1e-9, abs=1e-12)
        for p in e.paths:
            assert p.product == pytest.approx(float(np.prod(p.factors)), rel=1e-12)


def test_explain_text_chain_rule_example():
    # ∂L/∂w1 for L = (σ(x·w1) − 1)²/2 at x=0.5, w1=−1.2, by hand:
    # ∂L/∂o = o − 1, ∂o/∂z = o(1 − o), ∂z/∂w1 = x.
    x = Value(0.5, requires_grad=False, name="x")
    w1 = Value(-1.2, name="w1")
    z = x * w1
    z.name = "z"
    o = z.sigmoid()
    o.name = "o"
    loss = 0.5 * (o - 1.0) ** 2
    loss.name = "L"
    text = explain(w1, loss).text
    o_val = 1 / (1 + np.exp(0.6))
    hand = (o_val - 1) * o_val * (1 - o_val) * 0.5
    assert "∂L/∂w1 by the chain rule, along the 1 path" in text
    # Operands named by the actual inputs (issue 15.10): o = σ(z); L = 0.5·pow5, so
    # ∂L/∂pow5 is the constant 0.5, not the op table's "x".
    assert "∂o/∂z = σ(z)·(1−σ(z))" in text
    assert "  ∂L/∂pow5 = 0.5  (mul)" in text.splitlines()
    (final,) = [line for line in text.splitlines() if line.startswith("∂L/∂w1 = ")]
    assert numbers(final)[-1] == pytest.approx(hand, rel=1e-3)


def test_explain_tensor_node_one_step():
    # Article II: ∂L/∂W_o from manual.two_layer_grads (the article's hand derivation).
    loss = article2_loss()
    e = explain("W_o", loss)
    g = manual.two_layer_grads(manual.OR_X, manual.OR_T,
                               np.array([[.1, .2, .3], [.4, .5, .6]]), np.array([[.7], [.8], [.9]]))
    np.testing.assert_allclose(e.gradient, g["W_o"], rtol=1e-12)
    # W_o is matmul(h, W_o)'s right input: its local derivative is hᵀ (issue 15.10).
    assert "local hᵀ (on the left)" in e.text and "Xᵀ" not in e.text
    assert_4_digits(numbers(e.text.split("\n∂L/∂W_o = ", 1)[1]), g["W_o"])


def test_explain_errors_name_the_problem():
    loss = article1_loss()
    with pytest.raises(ValueError, match="no node named 'nope'.*w"):
        explain("nope", loss)
    with pytest.raises(ValueError, match="not part of the graph"):
        explain(Value(1.0), loss)


# -------------------------------------------------------------- golden DOT
def test_golden_article1_forward_matches_hand_derivation():
    loss = article1_loss()
    loss.backward()
    text = golden("article1_forward.dot", to_dot(loss))
    assert to_dot(loss) == text, "forward DOT changed; review, then regenerate"
    # Independent review of the snapshot: every number equals the hand derivation.
    found = labels(text)
    for name, want in article1_expected().items():
        assert_4_digits(field(found[name], "data"), want["data"])
        assert_4_digits(field(found[name], "grad"), want["grad"])


def test_golden_article1_backward_frames_match_hand_derivation():
    trace = trace_backward(article1_loss())
    # 9 differentiable nodes: w, b, X@w, +b, σ, −t, **2, Σ, ×0.5 (closed-form count).
    assert len(trace.frames) == 9
    expected = article1_expected()
    names = [trace.graph.nodes[f.node].name for f in trace.frames]
    assert names[0] == "L" and set(names[-2:]) == {"w", "b"}
    for i in range(len(trace.frames)):
        text = golden(f"article1_frame_{i + 1:02d}.dot", frame_dot(trace, i))
        assert frame_dot(trace, i) == text, f"frame {i + 1} DOT changed; review, regenerate"
        found = labels(text)
        for name, want in expected.items():
            lines = found[name]
            grad_line = next(l for l in lines if l.startswith("grad"))
            if "pending" in grad_line or "so far" in grad_line:
                continue
            assert_4_digits(numbers(grad_line)[-want["grad"].size:], want["grad"])
    # The frame visiting w: the matmul edge sends w's gradient (article I's X.T @ delta).
    last_w = (GOLDEN / f"article1_frame_{names.index('w') + 1:02d}.dot").read_text("utf-8")
    sends = re.search(r'v1 -> o2 \[.*label="[^"]*sends ([^"]*)"', last_w)
    assert_4_digits(numbers(sends.group(1)), expected["w"]["grad"])
    # b is broadcast over the 4 rows: its edge sends the sum (article I's Σ delta).
    sends_b = re.search(r'v3 -> o4 \[.*label="[^"]*sends summed over broadcast axes: ([^"]*)"',
                        last_w)
    assert_4_digits(numbers(sends_b.group(1)), expected["b"]["grad"])


def article1_edges_by_hand() -> dict[tuple[int, int], tuple[str, object, np.ndarray]]:
    """Every edge of article I's backward pass, by hand: (input j, op k) -> (derivative
    text from the op table, local value or None for a Jacobian, contribution sent).

    Node ids follow the golden files: X0 w1 matmul2 b3 z4 o5 t6 sub7 pow8 sum9 L10.
    With d = o − t and δ = d·o(1−o) (article I): L = ½Σd², so the squared error sends
    ½·2d = d, the sigmoid sends δ, the matmul sends Xᵀδ and the broadcast bias Σδ.
    The texts are the op table's with each operand letter replaced by the actual input
    (issue 15.10): L = mul(0.5, sum9), so ∂L/∂sum9 is "x" = the constant 0.5;
    pow8 = sub7 ** 2; o = σ(z); w is matmul(X, w)'s right input, so "Xᵀ" is X itself.
    """
    X, t = manual.OR_X, manual.OR_T
    w, b = np.array([[0.1], [0.2]]), 0.3
    o = manual.sigmoid(X @ w + b)
    d = o - t
    delta = d * o * (1 - o)
    ones = np.ones(4)
    return {
        (9, 10): ("0.5", 0.5, np.array([0.5])),
        (8, 9): ("1", None, 0.5 * ones),
        (7, 8): ("2·sub7^(2−1)", 2 * d, d),
        (5, 7): ("1", ones, d),
        (4, 5): ("σ(z)·(1−σ(z))", o * (1 - o), delta),
        (2, 4): ("1", ones, delta),
        (3, 4): ("1", None, np.array([delta.sum()])),
        (1, 2): ("Xᵀ (on the left)", None, X.T @ delta),  # w is the matmul's right input
    }


def test_golden_article1_edge_labels_match_hand_derivation():
    # Independent review of every edge label in the committed snapshots: the local
    # derivative's text and value, and the contribution, against article I by hand.
    expected = article1_edges_by_hand()
    visit_order = [10, 9, 8, 7, 5, 4, 2, 3, 1]  # reverse topological, as the golden titles say
    for i in range(9):
        text = (GOLDEN / f"article1_frame_{i + 1:02d}.dot").read_text("utf-8")
        found = {(int(j), int(k)): join_rows(lab.split("\\n")) for j, k, lab in re.findall(
            r'^\tv(\d+) -> o(\d+) \[[^\n]*label="((?:[^"\\]|\\.)*)"', text, re.M)}
        # An edge is labelled exactly when the op that sends along it has been visited.
        assert set(found) == {e for e in expected if e[1] in visit_order[:i + 1]}, i
        for edge, lines in found.items():
            derivative, local, contribution = expected[edge]
            assert lines[0].startswith(f"local {derivative}"), (i, edge, lines)
            if np.ndim(local) == 0 and local is not None:      # "local 0.5", "1 × 0.5 = 0.5"
                assert lines[0] == f"local {derivative}"  # a number is not repeated
                upstream, shown_local, sent = numbers(lines[1])
                assert (upstream, shown_local) == (1.0, local)
                assert_4_digits(np.array([sent]), contribution)
                continue
            if local is not None:                               # "= [elementwise values]"
                assert_4_digits(numbers(lines[1]), local)
            assert_4_digits(numbers(lines[-1].split("sends", 1)[1]), contribution)


def test_to_dot_is_deterministic_and_needs_no_binary(monkeypatch):
    # Same graph built twice -> byte-identical DOT; no PATH, so no `dot` program.
    monkeypatch.setenv("PATH", "")
    assert to_dot(article2_loss()) == to_dot(article2_loss())
    trace_a, trace_b = trace_backward(article2_loss()), trace_backward(article2_loss())
    assert [frame_dot(trace_a, i) for i in range(10)] == [frame_dot(trace_b, i)
                                                          for i in range(10)]


def test_article2_has_ten_backward_frames():
    # W_h, X@W_h, σ, W_o, h@W_o, σ, o−t, **2, ×0.5, Σ: ten differentiable nodes.
    assert len(backward_frames(article2_loss())) == 10


def test_styles_distinguish_kinds_and_states():
    loss = article1_loss()
    text = to_dot(loss)
    assert re.search(r'\tv1 \[.*penwidth=2.5', text)               # parameter w
    assert re.search(r'\tv0 \[.*dashed', text)                      # constant X
    assert re.search(r'\tv10 \[.*peripheries=2', text)              # the output
    assert re.search(r'\to2 \[shape=ellipse', text)                 # an op node
    trace = trace_backward(loss)
    mid = frame_dot(trace, 3)
    assert mid.count('fillcolor="#ffb74d"') == 1                    # one current node
    assert 'fillcolor="#cfe0fb"' in mid and "grad pending" in mid   # done and pending


# ----------------------------------------------------------------- escaping
HOSTILE = ['a"b', "back\\slash", "trailing\\", "<script>alert(1)</script>", "&amp; &lt;",
           "new\nline", '}" ; digraph X { a -> b ', "tab\there", "nul\x00byte", "\\n\\\"",
           "\u2028sep", "é ∂ 🙂"]


def _quote_balanced(line: str) -> bool:
    unescaped = re.sub(r"\\.", "", line)
    return unescaped.count('"') % 2 == 0


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_inside_their_labels(name):
    x = Value(1.0, name=name)
    y = x * 2.0
    y.name = name
    for text in (to_dot(y), frame_dot(trace_backward(y), 0)):
        body = text.splitlines()
        assert body[0] == "digraph G {" and body[-1] == "}"
        assert all(_quote_balanced(l) for l in body)
        assert all(l.startswith("\t") for l in body[1:-1])  # no statement was injected
        assert "<" not in re.sub(r"->", "", text) and "\x00" not in text


def test_escape_round_trip_rules():
    # By the DOT grammar: \\ and \" are the escapes, entities for & < >.
    assert escape('"') == '\\"'
    assert escape("\\") == "\\\\"
    assert escape("<&>") == "&lt;&amp;&gt;"
    assert escape("a\nb") == "a\\nb"


# ---------------------------------------------------------- finite differences
def test_check_overlay_green_for_correct_gradients():
    # Oracle: central differences (tinygrad_edu.check.numerical_grad).
    result = check_leaves(article1_loss())
    assert len(result) == 2 and all(r.matches for r in result.values())
    assert to_dot(article1_loss(), check=result).count('fillcolor="#b9e6b9"') == 2


def test_check_overlay_red_when_a_gradient_is_wrong():
    # A hook doubling z's gradient makes autograd wrong on purpose; finite differences
    # (the oracle) do not see hooks, so both parameters must turn red.
    loss = article1_loss()
    z = next(v for v in trace_backward(loss).graph.nodes if v.name == "z")
    z.register_hook(lambda g: 2 * g)
    result = check_leaves(loss)
    assert not any(r.matches for r in result.values())
    text = to_dot(loss, check=result)
    assert text.count('fillcolor="#f6b3b3"') == 2 and "✗ differs from central" in text


# --------------------------------------------------------------- big graphs
def _chain(n: int) -> Value:
    x = Value(0.3, name="x")
    v = x
    for i in range(n):
        v = v.sin() if i % 2 else v * 1.0001
    return v


def test_long_chain_folds_into_a_summary_node():
    # 10,000 ops in one chain: x, 10,000 nodes; only a handful may be drawn.
    text = to_dot(_chain(10_000))
    drawn = len(re.findall(r"^\tv\d+ \[", text, re.M))
    assert drawn <= 10
    assert "chain of" in text and "folded" in text and "max_nodes=200" in text


def test_small_graph_is_not_folded():
    text = to_dot(_chain(50))
    assert len(re.findall(r"^\tv\d+ \[", text, re.M)) == 51 and "folded" not in text


def test_wide_graph_past_the_cap_summarises_the_rest():
    # 400 leaves summed one by one: no chains (each add has two inputs), so the
    # farthest nodes are summarised; the drawing keeps max_nodes values.
    leaves = [Value(float(i), name=f"p{i}") for i in range(400)]
    total = leaves[0]
    for p in leaves[1:]:
        total = total + p
    text = to_dot(total, max_nodes=100)
    assert len(re.findall(r"^\tv\d+ \[", text, re.M)) == 100
    assert "more nodes not drawn" in text
    assert all(_quote_balanced(l) for l in text.splitlines())


def test_tensors_collapse_past_the_cap():
    A = Value(np.arange(6.0).reshape(2, 3), name="A")
    v = A
    for _ in range(30):
        v = v * A
    text = to_dot(v.sum(), max_nodes=10)
    assert "data (2, 3)\\n" in text and "data [" not in text


# ----------------------------------------------------------------------- CLI
def test_cli_graph_prints_dot(capsys):
    assert main(["graph", "article1"]) == 0
    out = capsys.readouterr().out
    assert out == to_dot(article1_loss())


def test_cli_backward_needs_an_output(capsys):
    assert main(["graph", "article2", "--backward"]) == 2
    assert "--html" in capsys.readouterr().err


def test_cli_frames_as_dot_need_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert main(["graph", "article2", "--backward", "--frames-dir", str(tmp_path),
                 "--format", "dot"]) == 0
    assert len(list(tmp_path.glob("frame_*.dot"))) == 10


def test_explain_of_a_node_alone_uses_the_latest_backward_pass():
    """explain(w) after loss.backward(): the issue's ``explain(value)``.

    Oracle: closed form for L = (σ(w·x) − 1)² at w = 0.5, x = 2:
    ∂L/∂w = 2(σ(1) − 1) · σ(1)(1 − σ(1)) · x.
    """
    import math

    from tinygrad_edu.viz import explain

    w = Value(0.5, name="w")
    loss = ((w * 2.0).sigmoid() - 1.0) ** 2
    loss.backward()
    s = 1 / (1 + math.exp(-1.0))
    expected = 2 * (s - 1) * s * (1 - s) * 2.0
    text = explain(w).text
    assert w.grad == pytest.approx(expected, rel=1e-12)
    assert f"{expected:.4g}".replace("-", "−") in text
    del loss
    import gc

    gc.collect()
    with pytest.raises(TypeError, match="call loss.backward"):
        explain(Value(1.0))


# ------------------------------------------- drawings a student can read (issue 15)
def _edge_label(dot: str, source: int, op_node: int) -> list[str]:
    m = re.search(rf'^\tv{source} -> o{op_node} \[[^\n]*label="((?:[^"\\]|\\.)*)"', dot, re.M)
    return join_rows(m.group(1).split("\\n"))


def test_edge_labels_name_the_actual_inputs():
    # Article II: o = σ(h @ W_o), h = σ(X @ W_h). By the matrix chain rule (the article's
    # derivation), ∂(h W_o)/∂W_o is hᵀ on the left and ∂(h W_o)/∂h is W_oᵀ on the right;
    # ∂(X W_h)/∂W_h is Xᵀ on the left. The op table says X and Y for any matmul.
    trace = trace_backward(article2_loss())
    graph = trace.graph
    name = {v.name: k for k, v in enumerate(graph.nodes) if v.name}
    mm = {v.inputs[1].name: k for k, v in enumerate(graph.nodes)
          if v.op is not None and v.op.name == "matmul"}
    last = frame_dot(trace, len(trace.frames) - 1)
    assert _edge_label(last, name["W_o"], mm["W_o"])[0] == "local hᵀ (on the left)"
    assert _edge_label(last, name["h"], mm["W_o"])[0] == "local W_oᵀ (on the right)"
    assert _edge_label(last, name["W_h"], mm["W_h"])[0] == "local Xᵀ (on the left)"
    # o = σ(matmul): the sigmoid's label names its actual input, not "x".
    m = f"matmul{mm['W_o']}"
    assert _edge_label(last, mm["W_o"], name["o"])[0] == f"local σ({m})·(1−σ({m}))"


# (op, inputs, params, position) -> the text the issue asks for: the op table's text with
# x/X read as the first input's name and y/Y as the second's (spec of issue 15.10).
NAMED = [
    ("exp", ("a",), {}, 0, "exp(a)"),
    ("softplus", ("a",), {}, 0, "σ(a)"),
    ("log_sigmoid", ("a",), {}, 0, "σ(−a)"),
    ("div", ("a", "b"), {}, 0, "1/b"),
    ("div", ("a", "b"), {}, 1, "−a/b²"),
    ("pow", ("a", "b"), {}, 0, "b·a^(b−1)"),
    ("pow", ("a", "b"), {}, 1, "a^b·ln a"),
    ("mul", ("a", 3.0), {}, 0, "3"),
    ("mul", (-2.0, "b"), {}, 1, "(−2)"),
    ("max", ("A",), {}, 0, "[A = max]"),
    ("log_softmax", ("A",), {"axis": -1}, 0, "δᵢⱼ − softmax(A)ⱼ"),
    ("matmul", ("A", "B"), {}, 0, "Bᵀ (on the right)"),
    ("matmul", ("A", "B"), {}, 1, "Aᵀ (on the left)"),
]


@pytest.mark.parametrize("op_name, inputs, params, position, expected", NAMED)
def test_derivative_text_names_operands(op_name, inputs, params, position, expected):
    from tinygrad_edu.core import OPS, apply
    from tinygrad_edu.viz.frames import derivative_text
    from tinygrad_edu.viz.graph import collect

    rng = np.random.default_rng(0)
    shape = (2, 2) if inputs[0] == "A" else ()
    args = tuple(Value(rng.uniform(0.5, 1.5, shape) if shape else float(rng.uniform(0.5, 1.5)),
                       name=x) if isinstance(x, str) else x for x in inputs)
    y = apply(OPS[op_name], args, params or None)
    graph = collect(y)
    assert derivative_text(graph, len(graph.nodes) - 1, position) == expected


def test_every_table_text_loses_its_operand_letters_and_keeps_its_words():
    # Table-driven: whatever an op's text says, naming the operands leaves no whole
    # x/y/X/Y behind and never touches the letters inside words (exp, max, softmax, …).
    from tinygrad_edu.core import OPS
    from tinygrad_edu.viz.frames import name_operands

    words = re.compile(r"[A-Za-z]{2,}")
    checked = 0
    for op in OPS.values():
        for text in op.derivatives:
            named = name_operands(text, ["alpha", "beta"])
            assert not re.search(r"(?<![A-Za-z])[xyXY](?![A-Za-z])", named), (op.name, named)
            kept = [w for w in words.findall(named) if w not in ("alpha", "beta")]
            assert kept == words.findall(text), (op.name, text, named)
            checked += named != text
    assert checked >= 15  # most texts do name an operand


def test_small_matrices_show_in_full_as_rows():
    from tinygrad_edu.viz.graph import fmt_data

    six = np.arange(36.0).reshape(6, 6)
    rows = fmt_data(six).split("\n")
    assert len(rows) == 6
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(numbers(row), six[i])
    for big in (np.zeros((7, 7)), np.zeros((6, 7)), np.zeros((7, 1))):
        assert "min 0 mean 0 max 0" in fmt_data(big) and "\n" not in fmt_data(big)
    # Article II's starting weights as the article prints them: two rows of three.
    found = labels(to_dot(article2_loss()))
    data_rows = re.findall(r"\[([^\[\]]*)\]", found["W_h"][1])
    assert [list(numbers(r)) for r in data_rows] == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]


def test_check_overlay_shows_the_gradient_it_checked():
    # No backward() was run, so .grad is None; the picture must show the checked
    # gradient: article I's hand derivation (manual.perceptron_grads).
    from tinygrad_edu.viz import draw

    loss = article1_loss()
    text = draw(loss, check=True).source
    found = labels(text)
    expected = article1_expected()
    for name in ("w", "b"):
        assert_4_digits(field(found[name], "grad"), expected[name]["grad"])
        assert any(line.startswith("✓ matches central differences") for line in found[name])
    assert "grad None" not in text.split("v4 [")[0]  # not on w, b or the nodes before z


def test_frames_use_the_engines_step_at_a_singular_point():
    # issue 13: the drawings' copy of the backward step lacked the engine's fallback, so
    # backward_frames(Value(0.0).log()) raised ZeroDivisionError while .backward() gave
    # inf. d/dx log x = 1/x = inf at 0, in both.
    x = Value(0.0)
    y = x.log()
    frames = backward_frames(y)
    (edge,) = frames[0].edges
    assert edge.local == np.inf and edge.contribution == np.inf
    y.backward()
    assert x.grad == np.inf
