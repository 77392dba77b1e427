"""Render the backward frame shown in README.md: docs/img/backward_frame.svg.

Article I's perceptron, at the frame where the engine visits z = X @ w + b: z's
gradient is complete, and the edges into its op show the local derivative and the
contribution each input receives (b, broadcast over the four rows, gets their sum).

    python scripts/make_readme_figure.py          # needs Graphviz's `dot`
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout without installing: the repository root holds the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinygrad_edu.articles.graphs import article1_loss  # noqa: E402
from tinygrad_edu.viz import draw_frame, trace_backward  # noqa: E402
from tinygrad_edu.viz.render import to_svg  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "backward_frame.svg"


def main() -> int:
    trace = trace_backward(article1_loss())
    index = next(f.index for f in trace.frames if trace.graph.nodes[f.node].name == "z")
    svg = to_svg(draw_frame(trace, index))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(svg, encoding="utf-8")
    print(f"wrote {OUT} (frame {index + 1} of {len(trace.frames)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
