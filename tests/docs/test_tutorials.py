"""The tutorials show the articles' numbers, and say what a learner needs where they need it.

Every python block of the tutorials runs, and prints what its output block shows, in
tests/docs/test_docs.py; here the output blocks themselves are held to the articles (and to
closed forms), so a page cannot drift to whatever the code happens to print.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_blocks import Snippet, python_snippets_of_text

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _tutorials_in_reading_order() -> list[Path]:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    return [DOCS / link for link in re.findall(r"\((tutorials/[\w.]+\.md)\)", index)]


def _snippets(page: str) -> list[Snippet]:
    return python_snippets_of_text((DOCS / "tutorials" / page).read_text(encoding="utf-8"),
                                   page)


def test_the_first_double_backward_says_gradients_add_up():
    """Issue 15.4: where a learner first calls backward() twice, the page says leaves
    accumulate and shows zero_grad(). Oracle for the output it shows: L = w², w = 3, so
    dL/dw = 6; a second pass adds 6 (12); after zero_grad() one pass gives 6 again."""
    pages = _tutorials_in_reading_order()
    assert [p.name for p in pages] == ["article1.md", "article2.md", "blog.md"]
    first = next((page, s) for page in pages
                 for s in python_snippets_of_text(page.read_text(encoding="utf-8"), page.name)
                 if s.code.count(".backward()") >= 2)
    page, snippet = first
    assert page.name == "article1.md"
    assert "zero_grad()" in snippet.code and snippet.output.split() == ["6.0", "12.0", "6.0"]
    text = page.read_text(encoding="utf-8")
    before = text[:text.index(snippet.code)]
    assert "*adds* into the `.grad` of every leaf" in before.split("\n## ")[-1]


def test_article1_autograd_block_shows_the_articles_weights():
    # Article I, after 10,000 epochs: w = [5.365463221736, 5.365519119005], b = -2.427598233447
    shown = [s.output for s in _snippets("article1.md") if "gradient_descent" in s.code]
    assert shown == ["[5.365463221736, 5.365519119005] -2.427598233447\n"]


def test_article1_shows_both_mismatches_of_the_published_code():
    (table,) = [s.output for s in _snippets("article1.md") if s.output and "MISMATCH" in s.output]
    assert re.search(r"^w .* MISMATCH$", table, re.M) and re.search(r"^b .* MISMATCH$", table,
                                                                    re.M)


def test_blog_prints_the_numbers_it_promises():
    # The blog's printed outputs after 10,000 epochs (issue 15.14: not a Value repr).
    outputs = [s.output for s in _snippets("blog.md") if "blog_loss" in s.code]
    assert outputs == ["[0.00966808, 0.00786589, 0.99358863, 0.99211705]\n"]


def test_blog_parkinson_block_shows_the_closed_form():
    # z = 49.8: naive BCE = inf; softplus(49.8) = 49.8 in float64; dL/dw = x·(σ(z) − t) = 100,
    # dL/db = 1.
    outputs = [s.output for s in _snippets("blog.md") if "bce_with_logits" in s.code]
    assert outputs == ["inf\n49.8 100.0 1.0\n"]
