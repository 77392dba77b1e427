"""Every notebook page of the docs runs top to bottom in a fresh kernel.

The tutorials and guides are MyST Markdown notebooks (docs/**/*.md with a kernelspec):
the site's build executes them (MyST-NB) and offers each as an ``.ipynb``. Here nbclient
runs the same notebooks, read by jupytext, in a fresh ``python3`` kernel in an empty
folder, as a learner who downloads one would; a cell that raises fails its page.
tests/docs/test_tutorials.py then holds the printed numbers to the articles.
"""

from __future__ import annotations

import pytest
from markdown_blocks import CODE_CELL, ROOT, code_cells, fenced_blocks, notebook_pages
from notebooks import executed, read, require_notebook_tools

require_notebook_tools()

PAGES = notebook_pages()


def test_the_tutorials_and_guides_are_notebooks():
    names = {str(page.relative_to(ROOT / "docs")) for page in PAGES}
    assert {"getting_started.md", "tutorials/article1.md", "tutorials/article2.md",
            "tutorials/blog.md", "guides/compare.md", "guides/checking.md",
            "guides/new_op.md", "guides/graphs.md", "guides/forward_mode.md", "guides/models.md",
            "guides/speed.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(page):
    text = page.read_text(encoding="utf-8")
    cells = [c for c in read(page).cells if c.cell_type == "code"]
    assert [c.source.strip() for c in cells] == [c.code.strip() for c in code_cells(text)]
    notebook = executed(page)  # raises CellExecutionError, naming the cell, if one fails
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert sum(1 for c in notebook.cells if c.cell_type == "code" and c.outputs) >= 1


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_notebook_page_shows_outputs_by_running_not_as_pasted_text(page):
    """A code cell's output is what it printed when the page ran: an output block pasted
    right after a code cell would show it twice, and could go stale."""
    blocks = fenced_blocks(page.read_text(encoding="utf-8"))
    for block, following in zip(blocks, blocks[1:], strict=False):
        if block.language == CODE_CELL:
            pasted = following.language in ("", "text") and not following.before.strip()
            assert not pasted, f"{page.name}:{following.line}: output block after a code cell"
