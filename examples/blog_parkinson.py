"""The blog's Parkinson example: a naive cross-entropy gives ∞, a stable one does not.

One neuron, w = 0.5, b = −0.2, input x = 100, true label 0. The logit is z = 49.8 and
sigmoid(49.8) rounds to exactly 1.0 in float64, so log(1 − p) = log(0): the textbook
formula gives ∞ (the blog's point). Written from the logit, BCE = softplus(z) − t·z is
49.8 with finite gradients dL/dw = x·(σ(z) − t) = 100 and dL/db = 1. Finally the
blog's gradient-descent step with α = 0.01, dw = −10, db = −5 gives w = 0.6, b = −0.15.

    python examples/blog_parkinson.py [--smoke]
"""

from __future__ import annotations

import argparse
import warnings

from tinygrad_edu import Value
from tinygrad_edu.articles.cases import naive_bce, sgd_step
from tinygrad_edu.nn.losses import bce_with_logits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="same run (it is instant)")
    parser.parse_args(argv)

    w, b, x, t = Value(0.5, name="w"), Value(-0.2, name="b"), 100.0, 0.0
    z = x * w + b
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the ∞ is the point here
        naive = naive_bce(z, t)
    print(f"z = x·w + b = {z.item():.6g}; sigmoid(z) = {z.sigmoid().item()!r}")
    print(f"naive BCE  -[t·log p + (1-t)·log(1-p)] = {naive.item()}")

    loss = bce_with_logits(z, t)  # mean(softplus(z) - t·z); one sample
    loss.backward()
    print(f"BCE from the logit, softplus(z) - t·z  = {loss.item():.12g}")
    print(f"dL/dw = {w.grad:.12g}, dL/db = {b.grad:.12g}   (all finite)")

    # The blog's step uses its own illustrative gradients, not the ones above.
    w.grad, b.grad = -10.0, -5.0
    sgd_step({"w": w, "b": b}, lr=0.01)
    print(f"one step with α = 0.01, dw = -10, db = -5: w = {w.item():.12g}, "
          f"b = {b.item():.12g}")


if __name__ == "__main__":
    main()
