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
from notebooks import cell_with, executed, read, require_notebook_tools

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


def _outputs(cell) -> dict[str, str]:
    """Every mime type a code cell displayed, with its data ("stream" for printed text)."""
    shown: dict[str, str] = {}
    for output in cell.outputs:
        if output["output_type"] == "stream":
            shown["stream"] = shown.get("stream", "") + output["text"]
        else:
            shown.update(output.get("data", {}))
    return shown


def test_getting_started_shows_a_value_as_svg_and_explain_as_latex():
    notebook = executed(ROOT / "docs" / "getting_started.md")
    graph = _outputs(cell_with(notebook, "y.backward()"))
    # y = tanh(x·w + b), its graph: the SVG Graphviz drew, with y's name and value.
    assert "image/svg+xml" in graph and "<svg" in graph["image/svg+xml"]
    assert ">y</text>" in graph["image/svg+xml"]
    assert graph["text/plain"].startswith("Value(")
    (explain_cell,) = [c for c in notebook.cells if c.cell_type == "code"
                       and c.source.strip() == "tg.viz.explain(w, y)"]
    latex = _outputs(explain_cell)["text/latex"]
    # ∂y/∂w = (1 − tanh²(−0.5)) · 1 · x with x = 2: 1.573 (the page's hand derivation).
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert "&= 1.573" in latex


def test_a_fresh_kernel_shows_the_objects_and_the_progress_bar():
    # What a learner's notebook shows, run by nbclient: no Graphviz needed for the bar
    # and the table; the kernel's streams are no TTY, yet fit's bar shows (tqdm.auto).
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "import numpy as np, tinygrad_edu as tg\n"
        "from tinygrad_edu import losses, nn, optim\n"
        "x = tg.Value(3.0, name='x'); y = x * x; y",
        "model = nn.Linear(1, 1, rng=0)\n"
        "X = np.linspace(-1, 1, 8).reshape(-1, 1)\n"
        "h = tg.fit(model, losses.mse, (X, 2 * X), epochs=5, "
        "optimizer=optim.SGD(model.parameters(), lr=0.1))",
        "from tinygrad_edu.check import compare\n"
        "compare(lambda w: (w * w).sum(), {'w': np.array([1.0, 2.0])}, {'w': [2.0, 4.0]})",
        "tg.viz.stepper(y)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    value, fit, report, steps = (_outputs(c) for c in notebook.cells)
    assert "<svg" in value["image/svg+xml"] and value["text/plain"].startswith("Value(9")
    assert "fit: 100%" in fit["stream"] and "5/5" in fit["stream"]
    assert "<table>" in report["text/html"] and "<td>OK</td>" in report["text/html"]
    assert steps["text/html"].startswith('<div class="tg-stepper"')
    assert "frame 1 / 3" in steps["text/html"]      # x·x: frames for mul and x, the summary
