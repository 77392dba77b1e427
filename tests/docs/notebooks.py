"""The docs' notebook pages as Jupyter notebooks, executed the way the site's build does.

A notebook page (``docs/**/*.md`` with a ``kernelspec`` in its front matter) is read with
jupytext and run top to bottom by nbclient in a fresh ``python3`` kernel, in an empty
folder. Each page runs once per test session (:func:`executed`), and the tests read its
outputs: tests/docs/test_notebooks.py that every cell ran, tests/docs/test_tutorials.py that the
numbers printed are the articles'.

The kernel finds ``tinygrad-edu`` on PATH (a cell may run ``!tinygrad-edu ...``): the
folder of the interpreter running the tests goes first on the kernel's PATH, as
docs/conf.py does for the build.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

CELL_TIMEOUT = 60  # seconds, as nb_execution_timeout in docs/conf.py


def require_notebook_tools() -> None:
    """Skip (with the reason) when the notebooks cannot run here: they need nbclient and
    jupytext (the test extra) and Graphviz's ``dot`` (their cells draw graphs)."""
    import pytest

    pytest.importorskip("nbclient", reason="the notebook tests need the test extra (nbclient)")
    pytest.importorskip("jupytext", reason="the notebook tests need the test extra (jupytext)")
    if shutil.which("dot") is None:
        pytest.skip("the docs' notebooks draw graphs: Graphviz's dot is needed (make dot)",
                    allow_module_level=True)


def read(page: Path) -> Any:
    """The page as an (unexecuted) notebook, as jupytext reads it."""
    import jupytext

    return jupytext.read(page, fmt="md:myst")


@functools.cache
def executed(page: Path) -> Any:
    """The page's notebook after running it top to bottom in a fresh kernel (cached)."""
    from nbclient import NotebookClient

    notebook = read(page)
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        client.execute(env={**os.environ, "PATH": path})
    return notebook


def text_output(cell: Any) -> str:
    """Everything a code cell printed (stdout and stderr streams, then text results).

    A ``!command`` prints through a terminal, which ends lines with ``\\r\\n``: they
    come back as ``\\n``, as a page shows them.
    """
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts).replace("\r\n", "\n")


def cell_with(notebook: Any, fragment: str) -> Any:
    """The one code cell whose source contains ``fragment``."""
    found = [c for c in notebook.cells if c.cell_type == "code" and fragment in c.source]
    if len(found) != 1:
        raise LookupError(f"{len(found)} code cells contain {fragment!r}, expected 1")
    return found[0]
