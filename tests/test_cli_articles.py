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
