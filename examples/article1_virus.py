"""Article I's case study: which symptoms predict the virus? One sigmoid neuron, autograd.

Inputs (columns): loss of smell, weight loss, runny nose, body pain; 8 patients.
Start w = [0.1, 0.2, 0.3, 0.4], b = 0.3; lr 0.05; 10,000 epochs of full-batch descent.
After training, the largest weight is on loss of smell, the symptom that predicts it.

    python examples/article1_virus.py [--epochs N] [--smoke]
"""

from __future__ import annotations

from tinygrad_edu import Value
from tinygrad_edu.articles import manual
from tinygrad_edu.articles.cases import gradient_descent, perceptron_loss, perceptron_output
from tinygrad_edu.cli.args import example_run_length

SYMPTOMS = ("loss of smell", "weight loss", "runny nose", "body pain")


def main(argv: list[str] | None = None) -> None:
    epochs = example_run_length(__doc__, argv, flag="epochs", default=10_000, smoke=20)

    params = {"w": Value([0.1, 0.2, 0.3, 0.4], name="w"), "b": Value(0.3, name="b")}
    run = gradient_descent(lambda w, b: perceptron_loss(manual.VIRUS_X, manual.VIRUS_T, w, b),
                           params, lr=0.05, iterations=epochs)
    w, b = params["w"], params["b"]
    print(f"{epochs} epochs; loss: first {run.first_loss:.6f}, last {run.last_loss:.3e}")
    print("article: w = [7.548038405123, 0.513608655258, 2.275247571476, 2.27832380508], "
          "b = -4.620222578898")
    print(f"got:     w = {w.numpy().round(12).tolist()}, b = {round(b.item(), 12)}")
    for name, weight in zip(SYMPTOMS, w.numpy(), strict=True):
        print(f"  {name:<14} {weight:+.4f}")
    out = perceptron_output(manual.VIRUS_X, w, b).numpy()
    for x, o, t in zip(manual.VIRUS_X.tolist(), out, manual.VIRUS_T.ravel(), strict=True):
        print(f"  patient {[int(v) for v in x]}: predicted {o:.4f}, has virus: {int(t)}")


if __name__ == "__main__":
    main()
