"""Write docs/ops.md from the op table (the table is the only source of truth).

Run ``python scripts/gen_op_table.py``; ``tests/docs/test_docs.py`` fails when the committed
page differs from what this prints, so the docs cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinygrad_edu import OPS

HEADER = """# The op table

Every primitive of tinygrad_edu, generated from `tinygrad_edu.OPS` (the table in
`tinygrad_edu/core/ops.py`) by `scripts/gen_op_table.py` — do not edit by hand. The
*local derivative* column is the text the graph drawings put on edges (reverse mode),
the *JVP* column what forward mode computes (`tg.jvp`); *test range* is
where the property tests draw inputs (per input); *kinks* are points without a
derivative, where the gradient checker reports a kink instead of a failure.

| op | does | derivative (per input) | JVP (tangent t) | test range | singular | kinks |
|---|---|---|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def render() -> str:
    """The Markdown page, one row per table entry, in table order."""
    rows = []
    for op in OPS.values():
        ranges = ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in op.domain.ranges)
        jvps = "; ".join(op.jvp_text(i) for i in range(op.arity or 1))
        rows.append(
            f"| `{op.name}` | {_cell(op.doc)} | {_cell('; '.join(op.derivatives))} | "
            f"{_cell(jvps)} | {ranges} | {_cell(op.domain.singular)} | "
            f"{_cell(op.domain.kinks)} |"
        )
    footer = (f"\n{len(OPS)} primitives. Composites built from them: mean, min, softmax, "
              "clip, stack, every loss in `tinygrad_edu.nn.losses`, and the structure "
              "functions of `tinygrad_edu.functional` (repeat, tile, roll, flip, pad, split, "
              "squeeze, expand_dims, swapaxes, moveaxis, diff, ravel, take, take_along_axis, "
              "…: reshape, transpose, broadcast_to, getitem, index_add and concatenate, with "
              "their derivatives in their docstrings).\n")
    return HEADER + "\n".join(rows) + "\n" + footer


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "ops.md"
    target.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
