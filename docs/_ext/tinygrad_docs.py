"""Sphinx extension of the tinygrad_edu site: the op table page and notebook downloads.

* ``op-table`` directive: one row per entry of ``tinygrad_edu.OPS``, read at build time
  (name, what it does, the local derivative per input, the domain), so the page cannot
  drift from the table the engine runs.
* Every page MyST-NB executed gets a link to its notebook: the executed ``.ipynb``
  (outputs included) is copied next to the page's HTML, so ``tutorials/article1.html``
  offers ``article1.ipynb``.
* References in docstrings that spell an object by its internal module path
  (``tinygrad_edu.autodiff.backward``) resolve to where the API reference documents it
  (``tinygrad_edu.backward``): the reference documents the public names only, and the
  modules behind them may move.
* Plain-text docstrings write absolute values as ``|g|``; reST would read that as a
  substitution, so it is escaped before parsing.
* MathJax is served from the site itself: the files of the sphinx-mathjax-offline
  package (MathJax 3, ``tex-chtml``) are copied into ``_static/mathjax``, so a page
  with formulas loads nothing from the network.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# MyST-NB writes each executed notebook to <outdir>/../jupyter_execute/<docname>.ipynb.
EXECUTED_FOLDER = "jupyter_execute"
DOWNLOAD_CLASS = "notebook-download"


def _executed_notebook(app: Sphinx, docname: str) -> Path:
    return Path(app.outdir).parent / EXECUTED_FOLDER / f"{docname}.ipynb"


def _is_executed_notebook(app: Sphinx, docname: str) -> bool:
    from myst_nb.sphinx_ import NbMetadataCollector

    return NbMetadataCollector.get_exec_data(app.env, docname) is not None


# ------------------------------------------------------------------------------ op table
def _paragraph(text: str, literal: bool = False) -> nodes.paragraph:
    return nodes.paragraph("", "", nodes.literal(text, text) if literal else nodes.Text(text))


def _cell(*paragraphs: nodes.Node) -> nodes.entry:
    entry = nodes.entry()
    entry.extend(paragraphs or [_paragraph("—")])
    return entry


def _domain_lines(op: Any) -> list[nodes.paragraph]:
    ranges = ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in op.domain.ranges)
    lines = [_paragraph(f"tested on {ranges}")]
    if op.domain.singular:
        lines.append(_paragraph(f"singular: {op.domain.singular}"))
    if op.domain.kinks:
        lines.append(_paragraph(f"kinks: {op.domain.kinks}"))
    return lines


def _row(op: Any) -> nodes.row:
    derivatives = [_paragraph(text, literal=True) for text in op.derivatives]
    row = nodes.row()
    row += _cell(_paragraph(op.name, literal=True))
    row += _cell(_paragraph(op.doc))
    row += _cell(*derivatives)
    row += _cell(*_domain_lines(op))
    return row


class OpTable(SphinxDirective):
    """``{op-table}``: the op table as a docutils table, one row per primitive."""

    has_content = False
    HEADER = ("op", "does", "local derivative (per input)", "domain")
    WIDTHS = (12, 30, 28, 30)

    def run(self) -> list[nodes.Node]:
        from tinygrad_edu import OPS

        group = nodes.tgroup(cols=len(self.HEADER))
        group.extend(nodes.colspec(colwidth=w) for w in self.WIDTHS)
        head = nodes.row()
        head.extend(_cell(_paragraph(title)) for title in self.HEADER)
        group += nodes.thead("", head)
        group += nodes.tbody("", *(_row(op) for op in OPS.values()))
        table = nodes.table("", group, classes=["op-table"])
        count = _paragraph(f"{len(OPS)} primitives, read from tinygrad_edu.OPS when this "
                           "page was built.")
        return [table, count]


# ------------------------------------------------------------------------ notebook links
def _add_download_link(app: Sphinx, doctree: nodes.document) -> None:
    """Put "download this page as a notebook" under the title of every executed page."""
    docname = app.env.docname
    if not _is_executed_notebook(app, docname):
        return
    filename = f"{docname.rsplit('/', 1)[-1]}.ipynb"
    link = nodes.reference("", filename, refuri=filename, classes=[DOWNLOAD_CLASS])
    link["download"] = filename
    note = nodes.paragraph("", "", nodes.Text("Run this page yourself: download "), link,
                           nodes.Text(" and open it in Jupyter (it runs top to bottom)."),
                           classes=[DOWNLOAD_CLASS])
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children:
        doctree.insert(0, note)
    else:
        section.insert(1, note)  # right under the title


def _copy_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for docname in sorted(app.env.found_docs):
        source = _executed_notebook(app, docname)
        if _is_executed_notebook(app, docname) and source.is_file():
            target = Path(app.outdir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


# ------------------------------------------------------------------- docstring references
_ROLE_TYPES = {"func": ("function",), "class": ("class", "exception"), "meth": ("method",),
               "attr": ("attribute", "property"), "data": ("data",), "exc": ("exception",),
               "obj": ("function", "class", "exception", "method", "attribute", "property",
                       "data")}


def _public_target(app: Sphinx, node: Any, contnode: nodes.Node) -> nodes.Node | None:
    """Resolve ``some.internal.path.name`` to the documented ``tinygrad_edu…name``."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    types = _ROLE_TYPES.get(node["reftype"])
    if types is None:
        return None
    name = target.rsplit(".", 1)[-1]
    domain = app.env.get_domain("py")
    found = sorted((full.count("."), full, obj.docname, obj.node_id)
                   for full, obj in domain.objects.items()
                   if full.startswith("tinygrad_edu") and full.rsplit(".", 1)[-1] == name
                   and obj.objtype in types and not obj.aliased)
    if not found:
        return None
    _, full, docname, node_id = found[0]  # the shortest (most public) spelling
    from sphinx.util.nodes import make_refnode

    return make_refnode(app.builder, node["refdoc"], docname, node_id, contnode, full)


_ABSOLUTE_VALUE = re.compile(r"(?<![\\|`\w])\|(\w{1,3})\|(?![\w|_])")


def _escape_absolute_values(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                            lines: list[str]) -> None:
    lines[:] = [_ABSOLUTE_VALUE.sub(r"\\|\1\\|", line) for line in lines]


# ---------------------------------------------------------------------- offline MathJax
MATHJAX_PACKAGE = "sphinx-mathjax-offline"  # its folder name; it ships static/mathjax
MATHJAX_FILES = ("tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre")


def _mathjax_folder() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{MATHJAX_PACKAGE} is not installed: pip install -e '.[docs]'")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = _mathjax_folder(), Path(app.outdir) / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / name)


def setup(app: Sphinx) -> dict[str, Any]:
    _mathjax_folder()  # fail at once, not after the notebooks ran, when it is missing
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("build-finished", _copy_mathjax)
    app.add_directive("op-table", OpTable)
    app.connect("missing-reference", lambda app, env, node, contnode:
                _public_target(app, node, contnode))
    app.connect("autodoc-process-docstring", _escape_absolute_values)
    app.connect("doctree-read", _add_download_link)
    app.connect("build-finished", _copy_notebooks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
