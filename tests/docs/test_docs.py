"""The docs are generated from the code where they describe the code, and every python
snippet in README.md and docs/ runs as pasted and prints what the page shows."""

import contextlib
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from markdown_blocks import code_cells, doc_pages, fenced_blocks, python_snippets
from notebooks import cell_with, executed, require_notebook_tools, text_output

from tinygrad_edu.viz.render import DotNotFoundError

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_op_table_page_is_up_to_date():
    generator = _load(ROOT / "scripts" / "gen_op_table.py")
    committed = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python scripts/gen_op_table.py"


def test_every_op_appears_in_the_op_page():
    from tinygrad_edu import OPS

    page = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    for name in OPS:
        assert f"| `{name}` |" in page


def test_api_reference_is_up_to_date():
    generator = _load(ROOT / "scripts" / "gen_api_doc.py")
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python scripts/gen_api_doc.py"


def test_readme_example_gives_article_one_hand_gradients(capsys):
    """The README's first example prints one descent step's gradients for article I's OR
    gate; they must equal the hand derivation of tinygrad_edu.manual."""
    import re

    import numpy as np

    from tinygrad_edu.articles import manual

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_example = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    namespace: dict = {}
    exec(first_example, namespace)
    expected = manual.perceptron_grads(manual.OR_X, manual.OR_T, np.array([[0.1], [0.2]]), 0.3)
    np.testing.assert_allclose(namespace["w"].grad, expected["w"], rtol=1e-12)
    np.testing.assert_allclose(namespace["b"].grad, expected["b"], rtol=1e-12)
    np.testing.assert_allclose(namespace["loss"].data, expected["loss"], rtol=1e-14)
    capsys.readouterr()


def test_speed_guide_example_trains_like_the_hand_derivation(capsys):
    """The speed guide's traced article II loop (its first code cell, run on its own)
    records once and, after its 1000 steps, holds the weights that
    manual.train_two_layer (the article's NumPy derivation) reaches in 1000 iterations;
    the code listing the page shows is what ``tinygrad-edu code article2`` prints."""
    import numpy as np

    from tinygrad_edu.articles import manual
    from tinygrad_edu.cli import main

    guide = ROOT / "docs" / "guides" / "speed.md"
    example = code_cells(guide.read_text(encoding="utf-8"))[0].code
    namespace: dict = {}
    exec(example, namespace)
    capsys.readouterr()
    assert namespace["loss_fn"].recordings == 1
    fit = manual.train_two_layer(manual.OR_X, manual.OR_T,
                                 np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
                                 np.array([[0.7], [0.8], [0.9]]), iterations=1000)
    np.testing.assert_allclose(namespace["w_h"].data, fit.W_h, rtol=1e-12)
    np.testing.assert_allclose(namespace["w_o"].data, fit.W_o, rtol=1e-12)
    np.testing.assert_allclose(namespace["loss"].item(), fit.last_loss, rtol=1e-12)

    require_notebook_tools()  # the listing the page shows is its cell's output
    assert main(["code", "article2"]) == 0
    listing = text_output(cell_with(executed(guide), "!tinygrad-edu code article2"))
    assert listing == capsys.readouterr().out


# ------------------------------------------- every snippet runs (issue 15, item 14)
SNIPPETS = python_snippets()


def test_the_docs_have_snippets_and_mark_few_as_not_runnable():
    cells = [c for page in doc_pages() for c in code_cells(page.read_text(encoding="utf-8"))]
    assert len(SNIPPETS) + len(cells) >= 15  # notebook cells run in tests/docs/test_notebooks.py
    skipped = [s for s in SNIPPETS if s.not_runnable]
    assert len(skipped) <= 3, [s.where for s in skipped]  # fragments quoting the articles
    assert all(len(s.not_runnable.split()) >= 3 for s in skipped)  # with a real reason


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.where for s in SNIPPETS])
def test_snippet_runs_alone_and_prints_what_the_doc_shows(snippet, tmp_path, monkeypatch):
    """Each python block of README.md and docs/**/*.md runs in a fresh namespace (so it
    defines every name it uses), in an empty folder; where the doc shows the output,
    the printed text must be that output."""
    if snippet.not_runnable:
        pytest.skip(f"marked not runnable: {snippet.not_runnable}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the blog's log(0) is its point
        try:
            exec(compile(snippet.code, snippet.where, "exec"), {"__name__": "__snippet__"})
        except DotNotFoundError as error:  # rendering needs Graphviz; DOT text does not
            pytest.skip(str(error))
    if snippet.output is not None:
        assert _lines(printed.getvalue()) == _lines(snippet.output)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


# --------------------------------------- the README's quick start (issue 15, item 5)
README = ROOT / "README.md"
SHELL_LINES = [line for block in fenced_blocks(README.read_text(encoding="utf-8"))
               if block.language == "sh" for line in block.body.splitlines()
               if line.strip() and not line.startswith("make ")]
ACTIVATE = ". .venv/bin/activate"


def test_readme_says_how_to_reach_the_tools_right_under_the_make_commands():
    blocks = fenced_blocks(README.read_text(encoding="utf-8"))
    first = next(i for i, b in enumerate(blocks) if b.body.startswith("make demo"))
    following = blocks[first + 1]
    assert following.language == "sh" and following.body.startswith(ACTIVATE + "\n")
    assert "`.venv/bin/tinygrad-edu`" in following.before  # the way without activating


@pytest.mark.parametrize("line", [l for l in SHELL_LINES if l != ACTIVATE])
def test_readme_shell_line_works_in_a_fresh_shell_after_make(line, tmp_path):
    """Each shell line of the README, pasted into a new shell in a checkout where `make
    demo` has run: the README's activation line first, a bare PATH, an empty folder
    (with the checkout's .venv and examples/). The exit status is 0 unless the line's
    comment says otherwise ("exit status 1")."""
    venv = Path(sys.prefix)
    if not (venv / "bin" / "activate").is_file():
        pytest.skip("the tests are not running in a virtual environment (make test makes one)")
    (tmp_path / ".venv").symlink_to(venv)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    expected = re.search(r"#.*exit status (\d+)", line)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run(["bash", "-c", f"{ACTIVATE} && {line}"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    if "not found on PATH" in result.stderr and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert result.returncode == (int(expected.group(1)) if expected else 0), result.stderr
    assert "Traceback" not in result.stderr
