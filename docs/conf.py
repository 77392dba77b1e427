"""Sphinx configuration of the tinygrad_edu documentation site (``make docs``).

Tutorials and guides are MyST Markdown notebooks (jupytext's ``myst`` format): MyST-NB
executes every code cell at build time against the installed package, so the numbers
and graphs on a page are what the code computes today. ``make docs`` builds with
warnings as errors (``-W --keep-going -n``): a failing cell, a broken link or a missing
reference fails the build. Nothing on the built site loads from the network: the theme
ships its own assets, MathJax comes from the sphinx-mathjax-offline package, and no
intersphinx inventory is fetched.

Notebook cells may run ``!tinygrad-edu ...``: the kernels inherit this process's PATH,
which gets the folder of the running interpreter first, so the command is the one of
the environment that builds the docs, activated or not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import tinygrad_edu

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

project = "tinygrad_edu"
author = "the tinygrad_edu authors"
copyright = "the tinygrad_edu authors, MIT licence"
release = version = tinygrad_edu.__version__

extensions = [
    "myst_nb",                   # MyST Markdown + notebooks, executed at build time
    "sphinx.ext.autodoc",        # docstrings are plain text with reST roles: no napoleon
    "sphinx.ext.mathjax",        # with MathJax from the site itself (tinygrad_docs)
    "sphinx_copybutton",
    "tinygrad_docs",             # op-table, .ipynb downloads, offline MathJax (docs/_ext)
]

root_doc = "index"
# api.md and ops.md are the GitHub-readable pages written by scripts/gen_api_doc.py and
# scripts/gen_op_table.py; the site builds its own from the code (reference/).
exclude_patterns = ["_build", "jupyter_execute", "api.md", "ops.md", "**.ipynb_checkpoints"]

# ---------------------------------------------------------------------------- MyST / notebooks
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# "force" runs every notebook on every build, so a page can never show a stale number;
# TG_DOCS_EXECUTION=cache (jupyter-cache) is for quick local rebuilds of unchanged pages.
nb_execution_mode = os.environ.get("TG_DOCS_EXECUTION", "force")
nb_execution_timeout = 60            # seconds per cell; the slowest cell takes about 2 s
nb_execution_raise_on_error = True   # a failing cell fails the build
nb_execution_show_tb = True
nb_execution_in_temp = True          # files a page writes (steps.html, …) stay out of docs/
nb_merge_streams = True
nb_execution_allow_errors = False

# ---------------------------------------------------------------------------- API reference
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True

# Every reference must resolve, except to libraries whose inventories we do not fetch
# (no network at build time) and to typing spellings autodoc cannot link.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|graphviz|collections|typing|types|pathlib|os|io|threading)\..*"),
    (r"py:.*", r"(Any|Callable|Iterable|Iterator|Mapping|Sequence|NDArray|ArrayLike|Path)"),
    (r"py:class", r"(optional|array|ndarray|float|int|str|bool|dict|list|tuple)"),
    # The reference documents the public names, not the modules behind them (their paths
    # move with the layout). A docstring's reference into the layout that names no public
    # object (tinygrad_edu.core.backward.run_backward, a submodule) is shown as text; a
    # public object spelled by its module path still links (docs/_ext/tinygrad_docs.py).
    (r"py:.*", r"tinygrad_edu(\.\w+){2,}"),
    (r"py:mod", r".*"),
    # ... and the few types public functions return that live there, by their short names.
    (r"py:.*", r"(_HookHandle|TracedFunction|BackwardTrace|ForwardTrace|Frame|Explanation"
               r"|check_leaves"
               r"|apply|ACTIVATIONS)"),
]

# ---------------------------------------------------------------------------- HTML
html_theme = "furo"
html_title = "tinygrad_edu"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # else browsers ask for /favicon.ico and log a 404
html_show_sphinx = False
html_last_updated_fmt = None
copybutton_exclude = ".linenos, .gp, .go"
