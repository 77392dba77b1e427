"""Classify scikit-learn's 8×8 handwritten digits with a small convolutional network.

The same data and split as ``digits_mlp.py`` (1,797 images shipped with scikit-learn,
no download; pixels scaled to 0…1, a stratified quarter held out), but the images keep
their shape ``(1, 8, 8)`` and go through two 3×3 convolutions and a 2×2 max pooling
before two Linear layers:

    Conv2d(1, 16, 3, padding=1) → ReLU → Conv2d(16, 32, 3, padding=1) → ReLU
    → MaxPool2d(2) → Flatten → Linear(512, 64) → ReLU → Dropout(0.25) → Linear(64, 10)

Trained with Adam on softmax cross-entropy, with ``fit``'s progress bar; the loss
curve is saved as a PNG (matplotlib), the weights to an ``.npz`` file, and a fresh
model loaded from it must give the very same predictions.

    python examples/digits_cnn.py            # full run (≥ 98.5 % test accuracy)
    python examples/digits_cnn.py --smoke    # the fast configuration the tests use

Needs scikit-learn (and matplotlib for the plot): ``pip install 'tinygrad_edu[examples]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from tinygrad_edu import io, losses, nn, optim
from tinygrad_edu.cli.args import nonnegative_int, positive_int
from tinygrad_edu.core import no_grad
from tinygrad_edu.nn.training import fit, plot_history

FULL = {"epochs": 30, "batch_size": 32, "lr": 2e-3, "train_size": None}
SMOKE = {"epochs": 3, "batch_size": 32, "lr": 3e-3, "train_size": 400}


def load_data(seed: int = 0):
    """(X_train, X_test, y_train, y_test), images ``(N, 1, 8, 8)`` scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.images.astype(np.float32)[:, None] / 16.0
    return train_test_split(X, digits.target, test_size=0.25, random_state=seed,
                            stratify=digits.target)


def make_model(seed: int = 0, dtype=np.float32) -> nn.Module:
    """The CNN above, its weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, rng=rng, dtype=dtype), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64, rng=rng, dtype=dtype), nn.ReLU(),
        nn.Dropout(0.25, rng=rng), nn.Linear(64, 10, rng=rng, dtype=dtype))


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """The class with the largest logit for each image (evaluation mode, no graph)."""
    model.eval()
    with no_grad():
        return np.argmax(model(X).data, axis=1)


def run(config: dict, seed: int = 0, weights: str | None = None, plot: str | None = None,
        verbose: bool = True) -> dict:
    """Train, test, plot, save, reload; returns accuracies and timing."""
    X_train, X_test, y_train, y_test = load_data()   # the split is fixed; seed: the weights
    if config["train_size"]:
        X_train, y_train = X_train[:config["train_size"]], y_train[:config["train_size"]]
    model = make_model(seed)
    opt = optim.Adam(model.parameters(), lr=config["lr"])
    start = time.perf_counter()
    history = fit(model, losses.cross_entropy, (X_train, y_train), config["epochs"], opt,
                  config["batch_size"], rng=seed, progress=verbose)
    seconds = time.perf_counter() - start
    predictions = predict(model, X_test)
    test_acc = float(np.mean(predictions == y_test))
    if plot:
        try:
            plot_history(history, plot)
        except ImportError:
            print("matplotlib is not installed: no plot (pip install matplotlib)")
            plot = None

    with tempfile.TemporaryDirectory() as tmp:
        path = weights or os.path.join(tmp, "digits_cnn.npz")
        io.save(model, path)
        fresh = io.load(make_model(seed + 1), path)
        same = bool(np.array_equal(predict(fresh, X_test), predictions))

    result = {"test_accuracy": test_acc, "same_after_reload": same, "train_seconds": seconds,
              "final_loss": history["loss"][-1], "parameters": model.num_parameters()}
    if verbose:
        print(f"model: {model.num_parameters()} parameters, {config}")
        print(f"final training loss {history['loss'][-1]:.4f}, training took {seconds:.1f} s")
        print(f"test accuracy {test_acc:.2%} on {len(y_test)} images; predictions after "
              f"save/load {'identical' if same else 'DIFFERENT'}")
        if plot:
            print(f"loss curve: {plot}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="fast configuration (for tests)")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seed of the initial weights, dropout and batch order "
                             "(default: 0; the train/test split is fixed)")
    parser.add_argument("--epochs", type=positive_int, help="epochs (default: 30, smoke: 3)")
    parser.add_argument("--weights", metavar="FILE",
                        help="where to save the weights (default: a temporary folder)")
    parser.add_argument("--plot", metavar="FILE", default="digits_cnn_loss.png",
                        help="PNG for the loss curve (default: digits_cnn_loss.png)")
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("SKIP: needs scikit-learn (pip install 'tinygrad_edu[examples]')")
        return 0
    config = dict(SMOKE if args.smoke else FULL)
    if args.epochs:
        config["epochs"] = args.epochs
    result = run(config, args.seed, args.weights, args.plot)
    bar = 0.6 if args.smoke else 0.985  # the smoke run checks it learns, not how well
    return 0 if result["test_accuracy"] >= bar and result["same_after_reload"] else 1


if __name__ == "__main__":
    sys.exit(main())
