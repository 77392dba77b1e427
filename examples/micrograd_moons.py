"""Two interleaving half-moons, separated by the scalar MLP (one Value per weight).

This is the classic micrograd demo rebuilt on tinygrad_edu's scalar path:
``nn.scalar.MLP(2, [16, 16, 1])`` (337 scalar weights), a max-margin (hinge) loss with
labels ±1 plus a small L2 penalty, full-batch SGD with a decaying learning rate. Every
weight, product and sum is its own graph node (tens of thousands per step), which is
slow next to the tensor layers but shows exactly what backpropagation visits.

With matplotlib installed, the decision boundary is drawn to ``--out`` (a PNG).

    python examples/micrograd_moons.py                 # 100 points, 100 steps (~30 s)
    python examples/micrograd_moons.py --smoke         # a few steps, for the tests
    python examples/micrograd_moons.py --out moons.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from tinygrad_edu import losses, nn, optim
from tinygrad_edu.cli.args import nonnegative_int, positive_int
from tinygrad_edu.core import no_grad


def make_moons(n: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two half circles (labels −1 and +1), with Gaussian noise.

    >>> X, y = make_moons(10)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [-1.0, 1.0])
    """
    rng = np.random.default_rng(seed)
    n_top = n // 2
    angles_top = np.linspace(0.0, np.pi, n_top)
    angles_bottom = np.linspace(0.0, np.pi, n - n_top)
    top = np.stack([np.cos(angles_top), np.sin(angles_top)], axis=1)
    bottom = np.stack([1.0 - np.cos(angles_bottom), 0.5 - np.sin(angles_bottom)], axis=1)
    X = np.concatenate([top, bottom]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([-np.ones(n_top), np.ones(n - n_top)])
    order = rng.permutation(n)
    return X[order], y[order]


def loss_and_accuracy(model: nn.scalar.MLP, X: np.ndarray, y: np.ndarray, alpha: float):
    """Hinge loss + α·Σw² over the whole set, and the fraction classified correctly."""
    scores = [model([float(a), float(b)]) for a, b in X]
    data_loss = losses.hinge(scores, y)
    penalty = 0.0
    for p in model.parameters():
        penalty = p * p + penalty
    accuracy = float(np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, y, strict=True)]))
    return data_loss + alpha * penalty, accuracy


def train(steps: int, n: int, seed: int = 0, verbose: bool = True):
    """Full-batch SGD, learning rate 1.0 decaying linearly to 0.1 (as in micrograd)."""
    X, y = make_moons(n, seed=seed)
    model = nn.scalar.MLP(2, [16, 16, 1], rng=seed)
    opt = optim.SGD(model.parameters(), lr=1.0)
    accuracy = 0.0
    for k in range(steps):
        opt.zero_grad()
        loss, accuracy = loss_and_accuracy(model, X, y, alpha=1e-4)
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / max(steps, 1)
        opt.step()
        if verbose and (k % 10 == 0 or k == steps - 1):
            print(f"step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    return model, X, y, accuracy


def plot_boundary(model: nn.scalar.MLP, X: np.ndarray, y: np.ndarray, path: str,
                  resolution: int = 40) -> bool:
    """Draw the sign of the model's score over a grid, with the points; False without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return False
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, resolution)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, resolution)
    with no_grad():
        grid = np.array([[model([float(a), float(b)]).data > 0 for a in xs] for b in ys])
    ax = Figure(figsize=(5, 4)).subplots()
    ax.contourf(xs, ys, grid, levels=[-0.5, 0.5, 1.5], colors=["#c3d7f4", "#f4c7c3"])
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
    ax.set_title("scalar MLP(2, [16, 16, 1]) decision boundary")
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    print(f"decision boundary saved to {path}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few steps on few points")
    parser.add_argument("--steps", type=positive_int, default=100, metavar="N",
                        help="full-batch SGD steps (default: 100)")
    parser.add_argument("--points", type=positive_int, default=100, metavar="N",
                        help="points in the data set, at least 2 (default: 100)")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seed of the data and the initial weights (default: 0)")
    parser.add_argument("--out", metavar="FILE", help="PNG for the plot (default "
                        "moons_boundary.png; with --smoke, a temporary file that is removed)")
    args = parser.parse_args(argv)
    if args.points < 2:
        parser.error(f"argument --points: must be at least 2 (one per moon), got {args.points}")
    steps, points = (20, 30) if args.smoke else (args.steps, args.points)
    start = time.perf_counter()
    model, X, y, accuracy = train(steps, points, args.seed)
    print(f"{steps} steps on {points} points in {time.perf_counter() - start:.2f} s, "
          f"final training accuracy {accuracy:.0%}")
    if args.out or not args.smoke:
        plot_boundary(model, X, y, args.out or "moons_boundary.png", resolution=40)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            plot_boundary(model, X, y, os.path.join(tmp, "moons.png"), resolution=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
