"""Classify scikit-learn's 8×8 handwritten digits with an MLP built from tinygrad_edu.

The data ships with scikit-learn (1,797 images, no download). Pixels 0…16 are scaled
to 0…1, a stratified quarter is held out for testing, and an MLP 64 → hidden → 10 is
trained with Adam on softmax cross-entropy. The weights are then saved to an ``.npz``
file, loaded into a fresh model, and the reloaded model must score exactly the same.

    python examples/digits_mlp.py            # full run
    python examples/digits_mlp.py --smoke    # the fast configuration the tests use

Needs scikit-learn: ``pip install 'tinygrad_edu[examples]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from tinygrad_edu import io, losses, nn, optim
from tinygrad_edu.cli.args import nonnegative_int
from tinygrad_edu.core import no_grad
from tinygrad_edu.nn.training import fit

FULL = {"hidden": 128, "epochs": 40, "batch_size": 32, "lr": 2e-3}
SMOKE = {"hidden": 64, "epochs": 25, "batch_size": 32, "lr": 3e-3}


def load_data(seed: int = 0):
    """(X_train, X_test, y_train, y_test) with pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data.astype(np.float64) / 16.0
    return train_test_split(X, digits.target, test_size=0.25, random_state=seed,
                            stratify=digits.target)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the true label."""
    with no_grad():
        logits = model(X).data
    return float(np.mean(np.argmax(logits, axis=1) == y))


def run(config: dict, seed: int = 0, weights: str | None = None, verbose: bool = True) -> dict:
    """Train, test, save, reload; returns accuracies and timing."""
    X_train, X_test, y_train, y_test = load_data(seed)
    model = nn.MLP([64, config["hidden"], 10], activation="relu", rng=seed)
    opt = optim.Adam(model.parameters(), lr=config["lr"])
    start = time.perf_counter()
    history = fit(model, losses.cross_entropy, (X_train, y_train), config["epochs"], opt,
                  config["batch_size"], rng=seed)
    seconds = time.perf_counter() - start
    test_acc = accuracy(model, X_test, y_test)

    with tempfile.TemporaryDirectory() as tmp:
        path = weights or os.path.join(tmp, "digits_mlp.npz")
        io.save(model, path)
        fresh = nn.MLP([64, config["hidden"], 10], activation="relu", rng=seed + 1)
        io.load(fresh, path)
        reloaded_acc = accuracy(fresh, X_test, y_test)

    result = {"test_accuracy": test_acc, "reloaded_accuracy": reloaded_acc,
              "train_seconds": seconds, "final_loss": history["loss"][-1],
              "parameters": model.num_parameters()}
    if verbose:
        print(f"model: {model.num_parameters()} parameters, {config}")
        print(f"final training loss {history['loss'][-1]:.4f}, training took {seconds:.2f} s")
        print(f"test accuracy {test_acc:.2%} on {len(y_test)} images; "
              f"after save/load {reloaded_acc:.2%}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="fast configuration (for tests)")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seed of the train/test split and of the initial weights "
                             "(default: 0)")
    parser.add_argument("--weights", metavar="FILE",
                        help="where to save the weights (default: a temporary folder)")
    args = parser.parse_args(argv)
    result = run(SMOKE if args.smoke else FULL, args.seed, args.weights)
    ok = result["test_accuracy"] >= 0.95 and \
        result["reloaded_accuracy"] == result["test_accuracy"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
