"""The fenced code blocks of the README and the docs, as the doc tests read them.

Conventions a doc writer follows (README.md and docs/**/*.md):

* every ```` ```python ```` block runs on its own, in a fresh namespace (it imports and
  defines every name it uses);
* a plain ```` ``` ```` or ```` ```text ```` block right after a python block (nothing
  but blank lines between) is that block's printed output, compared line by line;
* ``<!-- snippet: not runnable (REASON) -->`` on the line before a python block skips it
  (for the few blocks that quote an article's own fragment); the reason is required;
* ``<!-- snippet: tested with 200_000 replaced by 200 (REASON) -->`` runs a slow block
  shortened; such a block shows no output.

Notebook pages (MyST Markdown notebooks: a front matter with a ``kernelspec``, as
jupytext writes them) are different: their ```` ```{code-cell} ipython3 ```` blocks share
one kernel and run top to bottom (tests/docs/test_notebooks.py, with nbclient, as the site's
build does), and the output a page shows is what its cells printed, so no output block
follows a code cell. A ```` ```python ```` block on such a page is a quotation (an
article's own lines) and follows the rules above.

>>> blocks = fenced_blocks("```python\\nprint(1)\\n```\\n```\\n1\\n```\\n")
>>> [(b.language, b.body, b.line) for b in blocks]
[('python', 'print(1)\\n', 1), ('', '1\\n', 4)]
>>> (snippet,) = python_snippets_of_text("```python\\nprint(1)\\n```\\n```\\n1\\n```\\n")
>>> snippet.code, snippet.output
('print(1)\\n', '1\\n')
>>> page = ("---\\nkernelspec:\\n  name: python3\\n---\\n"
...         "```{code-cell} ipython3\\n:tags: [x]\\nx = 1\\n```\\n")
>>> is_notebook(page), [cell.code for cell in code_cells(page)]
(True, ['x = 1\\n'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^```([^`\n]*)\n(.*?)^```[ \t]*$", flags=re.S | re.M)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)^---[ \t]*$", flags=re.S | re.M)
CODE_CELL = "{code-cell}"
_MARKER = re.compile(r"<!--\s*snippet:\s*(.*?)\s*-->\s*$")
_NOT_RUNNABLE = re.compile(r"not runnable \((.+)\)$")
_SHORTENED = re.compile(r"tested with (\S+) replaced by (\S+) \((.+)\)$")


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    line: int  # 1-based line of the opening fence
    before: str  # the text between the previous block and this one
    start: int
    end: int


@dataclass(frozen=True)
class Cell:
    """A code cell of a notebook page, without its options (``:tags: [...]`` lines)."""

    where: str  # "docs/tutorials/article1.md:42"
    code: str


@dataclass(frozen=True)
class Snippet:
    """A python block with what the doc says about it."""

    where: str  # "docs/tutorials/blog.md:42"
    code: str  # as it will run (shortened if the doc asks)
    output: str | None  # the output block after it, if any
    not_runnable: str | None  # the reason, for the few blocks marked so


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block of a markdown text, in order."""
    blocks, previous_end = [], 0
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        info = match.group(1).split()  # "python", or "{code-cell} ipython3"
        blocks.append(Block(info[0] if info else "", match.group(2), line,
                            text[previous_end:match.start()], match.start(), match.end()))
        previous_end = match.end()
    return blocks


def python_snippets_of_text(text: str, name: str = "<text>") -> list[Snippet]:
    """The python blocks of ``text`` with their output blocks and markers."""
    blocks = fenced_blocks(text)
    snippets = []
    for i, block in enumerate(blocks):
        if block.language != "python":
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        output = (following.body if following is not None and following.language in ("", "text")
                  and not following.before.strip() else None)
        marker = _marker(block.before)
        code, not_runnable = block.body, None
        if marker is not None:
            if (skip := _NOT_RUNNABLE.match(marker)) is not None:
                not_runnable = skip.group(1)
            elif (short := _SHORTENED.match(marker)) is not None:
                if output is not None:
                    raise ValueError(f"{name}:{block.line}: a shortened block cannot show output")
                code = re.sub(rf"\b{re.escape(short.group(1))}\b", short.group(2), code)
            else:
                raise ValueError(f"{name}:{block.line}: unknown snippet marker {marker!r}")
        snippets.append(Snippet(f"{name}:{block.line}", code, output, not_runnable))
    return snippets


def is_notebook(text: str) -> bool:
    """True for a MyST Markdown notebook: a front matter that names a kernel."""
    front = _FRONT_MATTER.match(text)
    return front is not None and re.search(r"^kernelspec:", front.group(1), re.M) is not None


def code_cells(text: str, name: str = "<text>") -> list[Cell]:
    """The code cells of a notebook page, in order, with their option lines removed."""
    cells = []
    for block in fenced_blocks(text):
        if block.language == CODE_CELL:
            lines = block.body.splitlines(keepends=True)
            while lines and lines[0].startswith(":"):  # ":tags: [hide-input]" and the like
                lines.pop(0)
            cells.append(Cell(f"{name}:{block.line}", "".join(lines)))
    return cells


def _marker(before: str) -> str | None:
    lines = [line for line in before.splitlines() if line.strip()]
    if not lines:
        return None
    match = _MARKER.search(lines[-1])
    return match.group(1) if match else None


def doc_pages() -> list[Path]:
    """README.md and every markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def notebook_pages() -> list[Path]:
    """The pages under docs/ that are notebooks (executed when the site is built)."""
    return [page for page in doc_pages() if is_notebook(page.read_text(encoding="utf-8"))]


def python_snippets() -> list[Snippet]:
    """Every python block of the README and the docs."""
    return [s for page in doc_pages()
            for s in python_snippets_of_text(page.read_text(encoding="utf-8"),
                                             str(page.relative_to(ROOT)))]
