"""The ``compare`` and ``demo`` subcommands (fast options only).

Expected verdicts come from issue 4: article I's code as published applies the sigmoid
derivative to the output, so its hand gradient must be flagged for every parameter;
the corrected derivations must agree with autograd. The demo's first loss is article
II's first-iteration loss, 0.34794838215653723.
"""

from __future__ import annotations

import pytest

from tinygrad_edu.cli import main


def test_compare_article1_as_published_exits_1_and_names_each_parameter(capsys):
    assert main(["compare", "article1", "--as-published"]) == 1
    out = capsys.readouterr().out
    assert out.count("MISMATCH") >= 2
    assert "w: manual differs from autograd by up to" in out
    assert "b: manual differs from autograd by up to" in out


@pytest.mark.parametrize("case", ["article1", "article1-nobias", "virus", "article2", "xor"])
def test_compare_corrected_derivations_exit_0(case, capsys):
    assert main(["compare", case]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out and "all hand gradients agree with autograd" in out


@pytest.mark.parametrize("case", ["article1-nobias", "virus"])
def test_compare_as_published_is_flagged_for_every_perceptron_case(case, capsys):
    assert main(["compare", case, "--as-published"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_compare_as_published_on_article2_is_a_usage_error(capsys):
    # Usage errors go to stderr, like argparse's own and the graph/bench commands'.
    assert main(["compare", "article2", "--as-published"]) == 2
    captured = capsys.readouterr()
    assert "perceptron cases" in captured.err and captured.out == ""


def test_compare_unknown_case_is_a_one_line_error(capsys):
    assert main(["compare", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "unknown case 'nope'" in captured.err and "article1" in captured.err


def test_demo_prints_the_result_line_first_and_no_note_for_a_short_run(capsys):
    """Issue 15.7: the first stdout line is the result; the note on the article's figure
    (which is about its 200,000 iterations) is not printed for a 1,000-iteration run.
    Oracle for the first loss: article II's first printed loss."""
    assert main(["demo", "--iterations", "1000"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("last loss: ") and lines[0].endswith("after 1,000 iterations")
    assert "first loss: 0.34794838215653723" in lines
    assert "0.0000000189" not in captured.out and "200,000" not in captured.out
    assert "training" in captured.err  # what it is doing goes to stderr, before the wait


def test_demo_at_the_article_length_adds_a_short_note(capsys, monkeypatch):
    """The note appears for the article's run length only, and is three lines at most.
    (The length is shortened here; the full 200,000-iteration run is in test_articles.)"""
    from tinygrad_edu.cli import demo

    monkeypatch.setattr(demo, "ARTICLE_ITERATIONS", 20)
    assert main(["demo", "--iterations", "20"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("last loss: ")
    assert "NOT reproduced" in out  # 20 iterations do not give the article's last loss
    note = out.split("\n\n")[-1].strip().splitlines()
    assert note[0].startswith("Note:") and len(note) <= 3
    assert "0.0000000189" in note[0] and "0.000265" in " ".join(note)


@pytest.mark.parametrize("network", ["article1", "article2"])
def test_code_prints_one_line_per_node_and_per_gradient_edge(network, capsys):
    """``tinygrad-edu code`` prints valid Python with one forward line per op node and one
    backward line per (node, input needing a gradient) pair, counted here independently
    from the eager graph's topological order."""
    from tinygrad_edu.articles.graphs import ARTICLES
    from tinygrad_edu.core import Value, topological_order

    assert main(["code", network]) == 0
    out = capsys.readouterr().out
    compile(out, f"<code {network}>", "exec")
    forward, backward = out.split("def backward(")
    loss = ARTICLES[network]()
    nodes = [v for v in topological_order(loss) if v.op is not None]
    edges = sum(1 for v in nodes for x in v.inputs if isinstance(x, Value) and x.requires_grad)
    assert sum(1 for line in forward.splitlines() if "._data = v" in line) == len(nodes)
    assert backward.count("_vjp") == edges
    for v in nodes:
        assert f" = {v.op.name}(" in forward
