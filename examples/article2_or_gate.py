"""Article II: a 2-3-1 sigmoid network (no biases) learns the OR gate, with autograd.

W_h = [[.1, .2, .3], [.4, .5, .6]], W_o = [[.7], [.8], [.9]], lr 0.05, loss Σ½(o − t)²,
200,000 full-batch iterations (about half a minute to a minute here: autograd builds
and walks a small graph 200,000 times). Prints the loss of the last iteration and the
article's figure with an explanation of why the listed code does not give it.

    python examples/article2_or_gate.py [--iterations N] [--smoke]
"""

from __future__ import annotations

from tinygrad_edu import manual
from tinygrad_edu.cases import (
    example_run_length,
    get_case,
    gradient_descent,
    print_predictions,
    two_layer_output,
)


def main(argv: list[str] | None = None) -> None:
    iterations = example_run_length(__doc__, argv, flag="iterations", default=200_000, smoke=50)

    case = get_case("article2")
    params = case.fresh_params()  # W_h and W_o as in the article
    run = gradient_descent(case.loss, params, lr=case.lr, iterations=iterations)
    print(f"{iterations:,} iterations in {run.seconds:.1f} s")
    print(f"first loss: {run.first_loss:.17g}   (article's code: 0.34794838215653723)")
    print(f"last loss:  {run.last_loss:.15g}   (article's code at 200,000: 0.000265015854894)")
    print_predictions(manual.OR_X, two_layer_output(manual.OR_X, params["W_h"], params["W_o"]))
    print("\nA note on the article's final error:")
    print(manual.article2_loss_note())


if __name__ == "__main__":
    main()
