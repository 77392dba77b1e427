"""The article tutorials' code runs, and the table they show is what compare() prints.

Code blocks are run with their iteration counts cut to 10 (`10_000`, `9_999` and
`200_000` are rewritten) so that the check stays fast; the full-length numbers they
quote are asserted in test_articles.py.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from tinygrad_edu.cases import get_case
from tinygrad_edu.check import compare

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "tutorials"
PAGES = ["article1.md", "article2.md", "blog.md"]


def _blocks(page: str, language: str) -> list[str]:
    """The fenced blocks of ``page`` whose fence names ``language`` ("" for none)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)
            if lang == language]


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, capsys):
    blocks = _blocks(page, "python")
    runnable = [b for b in blocks if "import" in b]  # fragments quoting the articles are not
    assert runnable, f"{page} has no runnable example"
    for block in runnable:
        code = re.sub(r"\b(10_000|9_999|200_000)\b", "10", block)
        exec(compile(code, f"{page}", "exec"), {})  # noqa: S102 - our own docs


def test_article1_page_shows_the_current_compare_table():
    case = get_case("article1", as_published=True)
    table = str(compare(case.loss, case.start, case.manual_grads))
    shown = [b for b in _blocks("article1.md", "") if "MISMATCH" in b]
    assert shown and shown[0].strip() == table.strip()
