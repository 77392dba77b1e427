"""W1 and W6: article II's training iteration (2-3-1 sigmoid net, OR gate, no biases).

One iteration is the article's loop body: forward, ``sum(½(o − t)²)``, backward, and a
gradient-descent update with ``lr = 0.05``. Systems: the article's hand-written NumPy
loop (rewritten here, same operations in the same order), tinygrad_edu, and PyTorch
float64 on one thread when it is installed. W6 runs the tinygrad_edu iteration many
times and watches the resident set size: a graph that is not freed shows up there.

Imports: numpy, ``tinygrad_edu`` (Value, no_grad, trace), ``.harness``; torch only if
present.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core import Value, no_grad
from ..jit import trace
from .harness import Goal, Report, add_pytorch, compare, rss_bytes

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([[0.0], [1.0], [1.0], [1.0]])
W_HIDDEN = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
W_OUTPUT = np.array([[0.7], [0.8], [0.9]])
LR = 0.05


def hand_numpy_step() -> Callable[[], float]:
    """The article's loop body in NumPy, derivatives by hand (``sigmoid_der`` of the input)."""
    w_h, w_o = W_HIDDEN.copy(), W_OUTPUT.copy()

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_der(x):
        return sigmoid(x) * (1 - sigmoid(x))

    def step() -> float:
        nonlocal w_h, w_o
        input_hidden = np.dot(X, w_h)
        output_hidden = sigmoid(input_hidden)
        input_op = np.dot(output_hidden, w_o)
        output_op = sigmoid(input_op)
        error_out = (1 / 2) * np.power(output_op - T, 2)
        loss = error_out.sum()
        derror_douto = output_op - T
        douto_dino = sigmoid_der(input_op)
        derror_dwo = np.dot(output_hidden.T, derror_douto * douto_dino)
        derror_dino = derror_douto * douto_dino
        derror_douth = np.dot(derror_dino, w_o.T)
        douth_dinh = sigmoid_der(input_hidden)
        derror_dwh = np.dot(X.T, douth_dinh * derror_douth)
        w_h -= LR * derror_dwh
        w_o -= LR * derror_dwo
        return loss

    return step


def tinygrad_step(traced: bool = False) -> Callable[[], float]:
    """The same iteration written the way a user of tinygrad_edu writes it.

    ``traced`` wraps the loss in :func:`tinygrad_edu.trace`: its graph is recorded on
    the first call and replayed as generated code afterwards; the step is otherwise
    the same code.
    """
    w_h, w_o = Value(W_HIDDEN), Value(W_OUTPUT)

    def loss_of() -> Value:
        hidden = (X @ w_h).sigmoid()
        out = (hidden @ w_o).sigmoid()
        return (0.5 * (out - T) ** 2).sum()

    loss_fn = trace(loss_of) if traced else loss_of

    def step() -> float:
        loss = loss_fn()
        loss.backward()
        with no_grad():
            for w in (w_h, w_o):
                w.data -= LR * w.grad
                w.grad = None
        return loss.data

    return step


def torch_step() -> Callable[[], float] | None:
    """PyTorch float64, one thread; None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.tensor(X, dtype=torch.float64)
    t = torch.tensor(T, dtype=torch.float64)
    w_h = torch.tensor(W_HIDDEN, dtype=torch.float64, requires_grad=True)
    w_o = torch.tensor(W_OUTPUT, dtype=torch.float64, requires_grad=True)

    def step() -> float:
        out = torch.sigmoid(torch.sigmoid(x @ w_h) @ w_o)
        loss = (0.5 * (out - t) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for w in (w_h, w_o):
                w -= LR * w.grad
                w.grad = None
        return loss.item()

    return step


def w1(report: Report, quick: bool = False) -> None:
    """W1: one article II iteration; goal ≤ 1.5× hand NumPy and faster than PyTorch."""
    systems = {"hand-numpy": hand_numpy_step(), "tinygrad_edu": tinygrad_step(),
               "tinygrad_edu-traced": tinygrad_step(traced=True)}
    add_pytorch(report, "W1", systems, torch_step(), name="pytorch")
    t = compare(report, "W1", "article II iteration", systems, "hand-numpy",
                repeats=5 if quick else 9, sample_seconds=0.02 if quick else 0.1)
    for system, how in (("tinygrad_edu", "eager"), ("tinygrad_edu-traced", "trace()")):
        ours = t[system]
        report.goals.append(Goal("W1", f"{how}: ≤ 1.5× hand NumPy", f"{ours.ratio:.2f}×",
                                 ours.ratio <= 1.5))
        if "pytorch" in t:
            vs = ours.median / t["pytorch"].median
            report.goals.append(Goal("W1", f"{how}: faster than PyTorch",
                                     f"{vs:.2f}× PyTorch's time", vs < 1.0))
        else:
            report.goals.append(Goal("W1", f"{how}: faster than PyTorch",
                                     "torch not installed", None))


def w6(report: Report, quick: bool = False) -> None:
    """W6: RSS after 1k and after many article II iterations; goal growth < 10 MB.

    Eager steps (a new graph each step) and traced steps (one recorded graph refreshed
    in place) are watched in turn.
    """
    long_run = 20_000 if quick else 200_000
    numbers: dict[str, float] = {}
    for how, traced in (("eager", False), ("trace()", True)):
        step = tinygrad_step(traced=traced)
        for _ in range(1_000):
            step()
        first = rss_bytes()
        if first is None:
            report.skipped["W6"] = "no /proc/self/statm on this platform"
            report.goals.append(Goal("W6", "RSS growth < 10 MB", "not measurable here", None))
            return
        for _ in range(long_run - 1_000):
            step()
        last = rss_bytes()
        growth_mb = (last - first) / 2**20
        numbers[f"{how}: rss after 1k iterations (MB)"] = first / 2**20
        numbers[f"{how}: rss after {long_run // 1000}k iterations (MB)"] = last / 2**20
        numbers[f"{how}: growth (MB)"] = growth_mb
        report.goals.append(Goal("W6", f"{how}: RSS growth 1k → {long_run // 1000}k "
                                 "iterations < 10 MB", f"{growth_mb:+.2f} MB", growth_mb < 10))
    report.extra["W6"] = numbers
