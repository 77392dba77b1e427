"""The blog's 3-1 network: the output follows the first input, trained with autograd.

Inputs [[0,0,1],[0,1,1],[1,0,1],[1,1,1]] (the constant third column acts as a bias),
targets [0,0,1,1], weights ``2*random((3,1)) - 1`` after ``np.random.seed(42)``. The
blog's update ``weights += X.T @ (error * out * (1 - out))`` is gradient descent on
½·Σ(out − t)² with a learning rate of 1, so that is what we run, 10,000 epochs.

    python examples/blog_three_input.py [--epochs N] [--smoke]
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Value
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import blog_loss, gradient_descent
from tinygrad_edu.cli.args import example_run_length


def main(argv: list[str] | None = None) -> None:
    epochs = example_run_length(__doc__, argv, flag="epochs", default=10_000, smoke=20)

    rng = np.random.RandomState(42)  # the same draws as np.random.seed(42)
    weights = Value(2.0 * rng.random_sample((3, 1)) - 1.0, name="weights")
    # Train epochs - 1 times, then compute the outputs once more: the blog prints the
    # outputs of its last epoch, computed before that epoch's update.
    if epochs > 1:
        gradient_descent(blog_loss, {"weights": weights}, lr=1.0, iterations=epochs - 1)
    out = (manual.BLOG_X @ weights).sigmoid().numpy()
    print(f"Output after training ({epochs} epochs):")
    print(np.array2string(out, precision=8))
    print("blog: [[0.00966808] [0.00786589] [0.99358863] [0.99211705]]")


if __name__ == "__main__":
    main()
