"""Article II: a 2-4-1 sigmoid network (no biases) learns XOR, with autograd.

Weights start from ``np.random.seed(0); rand(2, 4); rand(4, 1)`` (the article's recipe,
seed 0), lr 0.05, 200,000 iterations. XOR is not linearly separable, so one neuron
cannot learn it; four hidden units can, and every prediction ends on the right side of 0.5.

    python examples/article2_xor.py [--iterations N] [--smoke]
"""

from __future__ import annotations

from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import get_case, gradient_descent, two_layer_output
from tinygrad_edu.cli.args import example_run_length


def main(argv: list[str] | None = None) -> None:
    iterations = example_run_length(__doc__, argv, flag="iterations", default=200_000, smoke=50)

    case = get_case("xor")
    params = case.fresh_params()
    run = gradient_descent(case.loss, params, lr=case.lr, iterations=iterations)
    print(f"{iterations:,} iterations; loss: first {run.first_loss:.6f}, "
          f"last {run.last_loss:.3e}")
    out = two_layer_output(manual.XOR_X, params["W_h"], params["W_o"]).numpy().ravel()
    right = 0
    for x, o, t in zip(manual.XOR_X.tolist(), out, manual.XOR_T.ravel(), strict=True):
        ok = (o > 0.5) == (t > 0.5)
        right += ok
        print(f"  xor({int(x[0])}, {int(x[1])}) = {int(t)}: predicted {o:.5f} "
              f"{'right' if ok else 'wrong'}")
    print(f"{right} of 4 right")


if __name__ == "__main__":
    main()
