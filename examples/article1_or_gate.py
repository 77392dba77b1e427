"""Article I: a single sigmoid neuron learns the OR gate, trained with autograd.

Three runs, 10,000 epochs each (lr 0.05, loss ½·Σ(o − t)², full batch):

1. with a bias, correct gradients (what ``backward()`` computes);
2. the article's code as published, which applies the sigmoid derivative to the
   sigmoid's output — reproduced by giving autograd that local derivative;
3. without a bias: (0, 0) is then stuck at sigmoid(0) = 0.5, the article's case for bias.

    python examples/article1_or_gate.py            # the article's 10,000 epochs
    python examples/article1_or_gate.py --smoke    # a few epochs, for CI
"""

from __future__ import annotations

from tinygrad_edu import Value
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import (
    gradient_descent,
    perceptron_loss,
    perceptron_output,
    print_predictions,
)
from tinygrad_edu.cli.args import example_run_length

X, T = manual.OR_X, manual.OR_T


def train(epochs: int, *, bias: bool, as_published: bool = False) -> dict[str, Value]:
    """Gradient descent from the article's start w = [0.1, 0.2], b = 0.3."""
    params = {"w": Value([0.1, 0.2], name="w")}
    if bias:
        params["b"] = Value(0.3, name="b")

    def loss(w: Value, b: Value | None = None) -> Value:
        return perceptron_loss(X, T, w, b, as_published=as_published)

    run = gradient_descent(loss, params, lr=0.05, iterations=epochs)
    print(f"  loss: first {run.first_loss:.6f}, last {run.last_loss:.3e}")
    return params


def report(params: dict[str, Value]) -> None:
    w, b = params["w"], params.get("b")
    line = f"  w = {w.numpy().round(12).tolist()}"
    if b is not None:
        line += f", b = {round(b.item(), 12)}"
    print(line)
    print_predictions(X, perceptron_output(X, w, b))


def main(argv: list[str] | None = None) -> None:
    epochs = example_run_length(__doc__, argv, flag="epochs", default=10_000, smoke=20)

    print(f"OR gate with bias, correct gradients, {epochs} epochs "
          "(article: w = [5.365463221736, 5.365519119005], b = -2.427598233447)")
    report(train(epochs, bias=True))
    print(f"\nOR gate with bias, gradient as published: sigmoid_der(out), {epochs} epochs "
          "(article's code: w = [7.009224253587, 7.00953280647], b = -3.149051345913)")
    report(train(epochs, bias=True, as_published=True))
    print(f"\nOR gate without bias, {epochs} epochs "
          "(article: w = [3.360722586179, 3.362115639251]; (0, 0) stays at 0.5)")
    report(train(epochs, bias=False))


if __name__ == "__main__":
    main()
