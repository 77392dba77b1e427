"""Article II's training loop, eager and under ``trace()``: same numbers, less time.

The 2-3-1 network of article II (W_h = [[.1, .2, .3], [.4, .5, .6]], W_o = [[.7], [.8],
[.9]], lr 0.05, loss Σ½(o − t)²) is trained twice from the same start: once eagerly (a
new graph every iteration) and once with the loss wrapped in ``tinygrad_edu.trace``
(recorded on the first call, replayed as generated Python afterwards). It prints both
runs' last loss (they are equal to the last bit), their times, and the backward code
the traced run executes: the article's two "phases", one chain-rule step per line.

    python examples/article2_traced.py [--iterations N] [--smoke]
"""

from __future__ import annotations

import time

from tinygrad_edu import Value, no_grad, trace
from tinygrad_edu.articles import manual
from tinygrad_edu.cli.args import example_run_length

X, T = manual.OR_X, manual.OR_T  # the OR gate's four inputs and targets
LR = 0.05


def train(iterations: int, traced: bool) -> tuple[float, float, object]:
    """Last loss, seconds, and the loss function used (traced or not)."""
    W_h = Value([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], name="W_h")
    W_o = Value([[0.7], [0.8], [0.9]], name="W_o")

    def loss_of() -> Value:
        hidden = (X @ W_h).sigmoid()
        out = (hidden @ W_o).sigmoid()
        return (0.5 * (out - T) ** 2).sum()

    loss_fn = trace(loss_of) if traced else loss_of
    start = time.perf_counter()
    for _ in range(iterations):
        loss = loss_fn()
        loss.backward()
        with no_grad():  # update in place: the traced tape holds these very Values
            for W in (W_h, W_o):
                W.data -= LR * W.grad
                W.grad = None
    return loss.item(), time.perf_counter() - start, loss_fn


def main(argv: list[str] | None = None) -> None:
    iterations = example_run_length(__doc__, argv, flag="iterations", default=20_000, smoke=50)
    eager_loss, eager_s, _ = train(iterations, traced=False)
    traced_loss, traced_s, loss_fn = train(iterations, traced=True)
    print(f"{iterations:,} iterations of article II's network")
    print(f"  eager:   last loss {eager_loss:.17g}   {eager_s:.2f} s")
    print(f"  traced:  last loss {traced_loss:.17g}   {traced_s:.2f} s   "
          f"(recorded {loss_fn.recordings} time)")
    print(f"  same numbers: {eager_loss == traced_loss}")
    (tape,) = loss_fn.tapes.values()
    print("\nThe backward pass the traced run executes (tape.source()):\n")
    print(tape.source().split("def backward", 1)[1].join(["def backward", ""]))


if __name__ == "__main__":
    main()
