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


def test_compare_unknown_case_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "nope"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_demo_short_run_prints_the_first_loss_and_the_note(capsys):
    assert main(["demo", "--iterations", "20"]) == 0
    out = capsys.readouterr().out
    assert "first loss: 0.34794838215653723" in out
    assert "0.0000000189" in out and "0.000265015854894" in out


def test_demo_rejects_zero_iterations(capsys):
    assert main(["demo", "--iterations", "0"]) == 2
    captured = capsys.readouterr()
    assert "--iterations must be at least 1" in captured.err and captured.out == ""


@pytest.mark.parametrize("network", ["article1", "article2"])
def test_code_prints_one_line_per_node_and_per_gradient_edge(network, capsys):
    """``tinygrad-edu code`` prints valid Python with one forward line per op node and one
    backward line per (node, input needing a gradient) pair, counted here independently
    from the eager graph's topological order."""
    from tinygrad_edu.autodiff import topological_order
    from tinygrad_edu.value import Value
    from tinygrad_edu.viz.articles import ARTICLES

    assert main(["code", network]) == 0
    out = capsys.readouterr().out
    compile(out, f"<code {network}>", "exec")
    forward, backward = out.split("def backward(")
    loss = ARTICLES[network]()
    nodes = [v for v in topological_order(loss) if v.op is not None]
    edges = sum(1 for v in nodes for x in v.inputs if isinstance(x, Value) and x.requires_grad)
    assert sum(1 for line in forward.splitlines() if ".data = v" in line) == len(nodes)
    assert backward.count("_vjp") == edges
    for v in nodes:
        assert f" = {v.op.name}(" in forward
