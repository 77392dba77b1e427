"""Full-size runs of the drawings under abuse (issue 12, items 7-9): time and size.

Builds scalar chains (alternating ``v * 1.0001`` and ``sin``, as tests/viz/test_viz.py does)
and measures:

* ``explain(x, loss)`` for the chain's input: seconds and characters of text;
* ``backward_html(loss, path)``: seconds and bytes of the page (needs Graphviz's
  ``dot``), on chains and on wide sums ``p0 + p1·p1 + …`` (no chain to fold: the
  frame cap and the page's node budget are what bound the page);
* one name of 20,000 characters and one with a lone surrogate through
  ``backward_html``: the page is written and no ``.tmp`` file is left.

Usage::

    .venv/bin/python scripts/abuse_drawings.py                  # every size below
    .venv/bin/python scripts/abuse_drawings.py --explain 10000 100000 --html 199 4001

Sizes are node counts (the chain's input included). Nothing here is part of the test
suite: the small versions of these checks are in tests/viz/test_viz.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tinygrad_edu import Value
from tinygrad_edu.viz import backward_html, explain


def chain(nodes: int) -> tuple[Value, Value]:
    """A chain of ``nodes`` Values: the input ``x`` and ``nodes - 1`` ops above it."""
    x = Value(0.3, name="x")
    v = x
    for i in range(nodes - 1):
        v = v.sin() if i % 2 else v * 1.0001
    return x, v


def measure_explain(nodes: int) -> None:
    x, loss = chain(nodes)
    start = time.perf_counter()
    text = explain(x, loss).text
    seconds = time.perf_counter() - start
    print(f"explain       {nodes:>7,} nodes  {seconds:8.2f} s  {len(text):>12,} chars",
          flush=True)


def wide(leaves: int) -> Value:
    """p0 + p1·p1 + p2·p2 + …: 3·leaves − 2 nodes, every one its own frame."""
    ps = [Value(float(i) / leaves, name=f"p{i}") for i in range(leaves)]
    total = ps[0]
    for p in ps[1:]:
        total = total + p * p
    return total


def measure_html(nodes: int, directory: Path, kind: str = "chain") -> None:
    loss = chain(nodes)[1] if kind == "chain" else wide((nodes + 2) // 3)
    path = directory / f"{kind}_{nodes}.html"
    start = time.perf_counter()
    backward_html(loss, path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    sections = path.read_text("utf-8").count('<section class="frame')
    path.unlink()
    print(f"backward_html {nodes:>7,} nodes  {seconds:8.2f} s  {size:>12,} bytes  "
          f"{sections} frames on the page ({kind})", flush=True)


def hostile_names(directory: Path) -> None:
    for label, name in [("20,000-character name", "n" * 20_000),
                        ("lone surrogate", "bad\ud800")]:
        x = Value(2.0, name=name)
        path = directory / "hostile.html"
        try:
            backward_html(x * x, path)
            outcome = f"page written, {path.stat().st_size:,} bytes"
        except Exception as error:  # report, don't stop: this is what the run checks
            outcome = f"{type(error).__name__}: {str(error)[:80]}"
        left = sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))
        print(f"hostile       {label:<24} {outcome}; temp files left: {left or 'none'}",
              flush=True)
        for p in directory.iterdir():
            p.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", type=int, nargs="*", default=[10_000, 100_000],
                        help="chain sizes (nodes) for explain()")
    parser.add_argument("--html", type=int, nargs="*", default=[199, 4_001, 10_000, 100_000],
                        help="chain sizes (nodes) for backward_html()")
    parser.add_argument("--wide", type=int, nargs="*", default=[199, 4_001],
                        help="wide-sum sizes (nodes, rounded to 3k − 2) for backward_html()")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile names")
    args = parser.parse_args(argv)
    if any(n < 2 for n in [*args.explain, *args.html, *args.wide]):
        parser.error("sizes are node counts of at least 2")
    sys.setrecursionlimit(10_000)  # nothing here may need more; a deep recursion fails
    for n in args.explain:
        measure_explain(n)
    with tempfile.TemporaryDirectory() as d:
        for n in args.html:
            measure_html(n, Path(d))
        for n in args.wide:
            measure_html(n, Path(d), "wide")
        if not args.no_hostile:
            hostile_names(Path(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
