"""Classify scikit-learn's 8×8 handwritten digits with a small convolutional network.

The same data and split as ``digits_mlp.py`` (1,797 images shipped with scikit-learn,
no download; pixels scaled to 0…1, a stratified quarter held out), but the images keep
their shape ``(1, 8, 8)`` and go through two 3×3 convolutions and a 2×2 max pooling
before two Linear layers:

    Conv2d(1, 16, 3, padding=1) → ReLU → Conv2d(16, 32, 3, padding=1) → ReLU
    → MaxPool2d(2) → Flatten → Linear(512, 64) → ReLU → Dropout(0.25) → Linear(64, 10)

Trained with Adam on softmax cross-entropy, with ``fit``'s progress bar, on the
training images and their four one-pixel shifts (up, down, left, right: a digit moved
by a pixel is the same digit), 7 epochs at lr 2e-3 and 3 more at 4e-4. The loss curve
is saved as a PNG (matplotlib), the weights to an ``.npz`` file, and a fresh model
loaded from it must give the very same predictions.

Test accuracy over weight seeds 0–5 (the split is fixed): 100, 100, 99.8, 99.6, 99.3,
99.8 %; without the shifts and the lower final rate (30 epochs at 2e-3) it was 99.1,
98.7, 98.9, 98.4, 98.9, 98.0 %, two seeds under the 98.5 % the issue asked for.

    python examples/digits_cnn.py            # full run (≥ 98.5 % test accuracy; about 35 s)
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

FULL = {"epochs": 10, "final_epochs": 3, "batch_size": 32, "lr": 2e-3, "final_lr": 4e-4,
        "train_size": None, "shifts": True}
SMOKE = {"epochs": 3, "final_epochs": 0, "batch_size": 32, "lr": 3e-3, "final_lr": 3e-3,
         "train_size": 400, "shifts": False}


def load_data(seed: int = 0):
    """(X_train, X_test, y_train, y_test), images ``(N, 1, 8, 8)`` scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.images.astype(np.float32)[:, None] / 16.0
    return train_test_split(X, digits.target, test_size=0.25, random_state=seed,
                            stratify=digits.target)


def with_shifts(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The images ``(N, 1, 8, 8)`` and their four one-pixel shifts (the pixel that comes
    in is blank), labels repeated: five times the data.

    >>> X = np.arange(4.0).reshape(1, 1, 2, 2); Xs, ys = with_shifts(X, np.array([7]))
    >>> Xs.shape, ys.tolist(), Xs[1, 0].tolist()      # the first shift: down by one
    ((5, 1, 2, 2), [7, 7, 7, 7, 7], [[0.0, 0.0], [0.0, 1.0]])
    """
    shifted = [X]
    for axis, step in ((2, 1), (2, -1), (3, 1), (3, -1)):
        moved = np.roll(X, step, axis=axis)
        blank = [slice(None)] * 4
        blank[axis] = 0 if step == 1 else -1
        moved[tuple(blank)] = 0.0
        shifted.append(moved)
    return np.concatenate(shifted), np.concatenate([y] * len(shifted))


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
    if config["shifts"]:
        X_train, y_train = with_shifts(X_train, y_train)
    model = make_model(seed)
    opt = optim.Adam(model.parameters(), lr=config["lr"])
    final = min(config["final_epochs"], config["epochs"] - 1)
    start = time.perf_counter()
    history = fit(model, losses.cross_entropy, (X_train, y_train), config["epochs"] - final,
                  opt, config["batch_size"], rng=seed, progress=verbose)
    if final:  # a lower rate for the last epochs: the last steps settle instead of jitter
        opt.lr = config["final_lr"]
        more = fit(model, losses.cross_entropy, (X_train, y_train), final, opt,
                   config["batch_size"], rng=seed + 1, progress=verbose)
        history = {key: history[key] + more[key] for key in history}
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
    parser.add_argument("--epochs", type=positive_int,
                        help="epochs, the last 3 at the lower rate (default: 10, smoke: 3)")
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
