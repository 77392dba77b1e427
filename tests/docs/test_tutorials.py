"""The tutorials show the articles' numbers, and say what a learner needs where they need it.

The tutorials are notebook pages: tests/docs/test_notebooks.py runs each top to bottom in a
fresh kernel, as the site's build does, and the page shows what its cells printed. Here
those printed outputs are held to the articles (and to closed forms), so a page cannot
drift to whatever the code happens to print.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_blocks import code_cells
from notebooks import cell_with, executed, require_notebook_tools, text_output

require_notebook_tools()

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _tutorials_in_reading_order() -> list[Path]:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    return [DOCS / link for link in re.findall(r"\((tutorials/[\w.]+\.md)\)", index)]


def _printed(page: str, fragment: str) -> str:
    """What the one code cell of ``page`` containing ``fragment`` printed."""
    return text_output(cell_with(executed(DOCS / "tutorials" / page), fragment))


def test_the_first_double_backward_says_gradients_add_up():
    """Issue 15.4: where a learner first calls backward() twice, the page says leaves
    accumulate and shows zero_grad(). Oracle for the output it shows: L = w², w = 3, so
    dL/dw = 6; a second pass adds 6 (12); after zero_grad() one pass gives 6 again."""
    pages = _tutorials_in_reading_order()
    assert [p.name for p in pages] == ["article1.md", "article2.md", "blog.md"]
    page, cell = next((page, cell) for page in pages
                      for cell in code_cells(page.read_text(encoding="utf-8"), page.name)
                      if cell.code.count(".backward()") >= 2)
    assert page.name == "article1.md"
    assert "zero_grad()" in cell.code
    printed = text_output(cell_with(executed(page), cell.code.strip()))
    assert printed.split() == ["6.0", "12.0", "6.0"]
    text = page.read_text(encoding="utf-8")
    before = text[:text.index(cell.code)]
    assert "*adds* into the `.grad` of every leaf" in before.split("\n## ")[-1]


# Article I, after 10,000 epochs: w = [5.365463221736, 5.365519119005], b = -2.427598233447;
# the listing as published: w = [7.009224253587, 7.00953280647], b = -3.149051345913.
ARTICLE1 = "[5.365463221736, 5.365519119005] -2.427598233447"
ARTICLE1_PUBLISHED = "[7.009224253587, 7.00953280647] -3.149051345913"


def test_article1_autograd_and_hand_training_show_the_articles_weights():
    assert _printed("article1.md", "opt.step()").strip() == ARTICLE1
    assert _printed("article1.md", "print(*train_by_hand(hand_gradients))").strip() == ARTICLE1


def test_article1_shows_where_the_published_code_ends():
    printed = _printed("article1.md", "print(*train_by_hand(published_gradients))")
    assert printed.strip() == ARTICLE1_PUBLISHED
    page = (DOCS / "tutorials" / "article1.md").read_text(encoding="utf-8")
    assert "$w = [7.009224253587, 7.00953280647]$, $b = -3.149051345913$" in page


def test_article1_published_factor_lies_where_the_text_says():
    # σ(o)(1 − σ(o)) for o in (0, 1): 0.25 at o = 0 and σ(1)(1 − σ(1)) = 0.19661 at o = 1.
    printed = _printed("article1.md", "def published_factor")
    assert printed.strip().splitlines()[-1].endswith("[0.197 0.25 ]")


def test_article1_autograd_follows_the_published_derivative():
    # One step of the listing's chain, by autograd (value o, derivative c) and by hand.
    w, hand = _printed("article1.md", "def published_loss").strip().splitlines()
    numbers = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", w)]
    expected = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", hand)]
    assert numbers == pytest.approx(expected, rel=1e-7) and len(numbers) == 3  # 8 digits shown


def test_article1_shows_both_mismatches_of_the_published_code():
    table = _printed("article1.md", "print(compare(loss")
    assert re.search(r"^w .* MISMATCH$", table, re.M) and re.search(r"^b .* MISMATCH$", table,
                                                                    re.M)
    assert table.startswith("loss = 0.379566104591;")  # ½Σ(σ(Xw + b) − t)² at the start


def test_article1_shell_command_prints_the_same_table_and_exit_status_1():
    shell = _printed("article1.md", "!tinygrad-edu compare article1 --as-published")
    python = _printed("article1.md", "print(compare(loss")
    assert shell.strip().endswith("exit status 1")
    assert python.strip() in shell


def test_article2_first_loss_and_the_agreement_of_hand_and_autograd():
    # Article II's first printed loss: 0.34794838215653723.
    assert _printed("article2.md", "print(first_loss)").strip() == "0.34794838215653723"
    first, differences = _printed("article2.md", "L.backward()").strip().splitlines()
    assert first == "0.34794838215653723"
    assert all(float(d) <= 1e-12 for d in differences.split())
    after_2000 = _printed("article2.md", "for iteration in range(2_000)").split()
    assert all(float(d) <= 1e-12 for d in after_2000)


def test_article2_xor_predictions_are_on_the_right_side():
    printed = _printed("article2.md", "@tg.trace")
    assert "right side of 0.5: True" in printed
    assert float(printed.rsplit("=", 1)[1]) < 0  # Σ W_o < 0 pushes (0, 0) below 0.5


def test_blog_prints_the_numbers_it_promises():
    # The blog's printed outputs after 10,000 epochs (issue 15.14: not a Value repr), by
    # the blog's own loop and by autograd.
    blog = "[0.00966808, 0.00786589, 0.99358863, 0.99211705]"
    assert _printed("blog.md", "weights += X.T @").strip() == blog
    assert _printed("blog.md", "range(9_999)").strip() == blog


def test_blog_parkinson_block_shows_the_closed_form():
    # z = 49.8: σ(z) rounds to 1, naive BCE = inf; softplus(49.8) = 49.8 in float64;
    # dL/dw = x·(σ(z) − t) = 100, dL/db = 1.
    assert _printed("blog.md", "naive = ").split("\n")[:3] == ["True", "inf", "49.8 100.0 1.0"]


def test_blog_clamped_bce_and_the_update_step():
    # −log(1e-7) = 16.118…; w = 0.5 − 0.01·(−10) = 0.6, b = −0.2 − 0.01·(−5) = −0.15.
    assert float(_printed("blog.md", "tg.losses.bce(p, 0.0)")) == pytest.approx(16.1180956509)
    assert _printed("blog.md", "w.grad, b.grad = -10.0, -5.0").split() == ["0.6", "-0.15"]
