"""Article II: a 2-3-1 sigmoid network (no biases) learns the OR gate, with autograd.

The article derives ∂E/∂W_o and ∂E/∂W_h by hand in two "phases"; here ``backward()``
applies the chain rule instead, and the update is the same gradient-descent step.
W_h = [[.1, .2, .3], [.4, .5, .6]], W_o = [[.7], [.8], [.9]], lr 0.05, loss Σ½(o − t)²,
200,000 full-batch iterations (about 20 s: autograd builds and walks a small graph
200,000 times). Prints the loss of the last iteration and the article's figure, with an
explanation of why the listed code does not give it.

    python examples/article2_or_gate.py [--iterations N] [--smoke]
"""

from __future__ import annotations

import time

from tinygrad_edu import Value, no_grad
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import print_predictions
from tinygrad_edu.cli.args import example_run_length

X, T = manual.OR_X, manual.OR_T  # the OR gate's four inputs and targets
LR = 0.05


def main(argv: list[str] | None = None) -> None:
    iterations = example_run_length(__doc__, argv, flag="iterations", default=200_000, smoke=50)

    W_h = Value([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], name="W_h")  # input -> hidden
    W_o = Value([[0.7], [0.8], [0.9]], name="W_o")                # hidden -> output

    start = time.perf_counter()
    for i in range(iterations):
        hidden = (X @ W_h).sigmoid()
        out = (hidden @ W_o).sigmoid()
        loss = (0.5 * (out - T) ** 2).sum()
        if i == 0:
            first_loss = loss.item()
        loss.backward()  # both "phases" of the article at once
        with no_grad():  # the update itself is not part of the model
            for W in (W_h, W_o):
                W.data -= LR * W.grad
                W.grad = None
    seconds = time.perf_counter() - start

    print(f"{iterations:,} iterations in {seconds:.1f} s")
    print(f"first loss: {first_loss:.17g}   (article's code: 0.34794838215653723)")
    print(f"last loss:  {loss.item():.15g}   (article's code at 200,000: 0.000265015854894)")
    with no_grad():
        print_predictions(X, ((X @ W_h).sigmoid() @ W_o).sigmoid())
    print("\nA note on the article's final error:")
    print(manual.article2_loss_note())


if __name__ == "__main__":
    main()
