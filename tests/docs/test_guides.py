"""The guides print what their text says, held to closed forms and to the conventions table.

The guides are notebook pages (run top to bottom by tests/docs/test_notebooks.py, as the
site's build runs them); here the outputs of their cells are checked against numbers
that come from elsewhere: hand derivatives, the node count of article I's graph, the
conventions table (docs/conventions.md), the digits example's accuracy target.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from notebooks import cell_with, executed, require_notebook_tools, text_output

require_notebook_tools()

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"


def _printed(page: str, fragment: str) -> str:
    return text_output(cell_with(executed(GUIDES / page), fragment))


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text.replace("−", "-"))]


def test_graphs_guide_counts_article1_frames_and_explains_by_hand():
    # Article I's graph has 9 nodes with a gradient (L, sum, pow, sub, o, z, matmul, b, w),
    # so 9 frames; explain(w1, L) for L = ½(σ(x·w1) − 1)² at x = 0.5, w1 = −1.2 ends with
    # ∂L/∂w1 = (o − 1)·o(1 − o)·x, o = σ(−0.6) (by hand).
    printed = _printed("graphs.md", "print(len(backward_frames(loss)))")
    assert printed.startswith("9\n") and "∂L/∂w = " in printed
    (last,) = [line for line in _printed("graphs.md", "print(explain(w1, L))").splitlines()
               if line.startswith("∂L/∂w1 = ")]
    o = 1 / (1 + math.exp(0.6))
    assert _numbers(last)[-1] == pytest.approx((o - 1) * o * (1 - o) * 0.5, rel=1e-3)


def test_compare_guide_flags_exactly_the_forgotten_penalty():
    # Forgetting λw changes ∂L/∂w only: w MISMATCH, b OK; the full derivation is all OK.
    assert _printed("compare.md", "report = compare(loss, start, manual_grads)\n").rstrip() \
        .endswith("all hand gradients agree with autograd")
    printed = _printed("compare.md", "manual_grads_forgot_penalty)")
    assert re.search(r"^w .* MISMATCH$", printed, re.M) and re.search(r"^b .* OK$", printed, re.M)
    assert printed.rstrip().endswith("False ['w']")


def test_compare_guide_shell_command_agrees_and_exits_0():
    printed = _printed("compare.md", "!tinygrad-edu compare my_derivation.py")
    assert "all hand gradients agree with autograd" in printed
    assert printed.rstrip().endswith("exit status 0")


def test_checking_guide_shows_the_conventions_table():
    # docs/conventions.md: relu'(0) = 0, |x|'(0) = 0, tied max shares 1/k, clip at its
    # bounds 0, d(x**0)/dx = 0, maximum at a tie gives all to y.
    lines = _printed("checking.md", "def gradient_at").splitlines()
    assert _numbers(lines[0])[-1] == 0.0 and _numbers(lines[1])[-1] == 0.0
    assert _numbers(lines[2])[-3:] == [0.0, 0.5, 0.5]
    assert _numbers(lines[3])[-2:] == [0.0, 0.0]
    assert _numbers(lines[4])[-1] == 0.0
    assert _numbers(lines[5])[-2:] == [0.0, 1.0]


def test_checking_guide_catches_the_wrong_rule_and_excuses_the_kink():
    assert "analytic 1, numerical 2" in _printed("checking.md", "def wrong(x)")  # x vs 2x at 1
    printed = _printed("checking.md", "caught:")
    assert printed.startswith("True") and "KinkWarning" in printed
    # ∂/∂x sin(xy) = y·cos(xy): autograd, central differences and the hand formula agree.
    rows = [_numbers(line) for line in _printed("checking.md", "numerical_grad(f").splitlines()]
    assert rows[0] == pytest.approx(rows[2], rel=1e-6) and rows[1] == pytest.approx(rows[2],
                                                                                      rel=1e-6)


def test_new_op_guide_log1p_is_exact_and_its_gradient_right():
    # log1p(1e-20) = 1e-20 where log(1 + 1e-20) = 0; ∂/∂x log(1 + x) at 1e-20 is 1.
    assert _printed("new_op.md", "np.log1p(1e-20))").split() == ["0.0", "1e-20"]
    assert _printed("new_op.md", "y = log1p(x)  ").split() == ["1e-20", "1.0"]
    assert _printed("new_op.md", "gradgradcheck(lambda").split() == ["True", "True"]
    assert "GradcheckError" not in _printed("new_op.md", "broken = tg.Op")  # it was caught
    assert "analytic" in _printed("new_op.md", "broken = tg.Op")


def test_models_guide_reaches_the_digits_accuracy():
    # examples/digits_mlp.py's target: at least 95 % test accuracy on scikit-learn's digits.
    printed = _printed("models.md", "tg.fit(")
    assert float(printed.rsplit(":", 1)[1]) >= 0.95
