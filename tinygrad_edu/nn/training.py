"""A small training loop: ``fit``, its progress bar, and ``plot_history``.

``fit`` runs minibatch gradient descent over ``(inputs, targets)`` arrays for some
epochs and returns the per-epoch history (mean training loss, plus validation loss and
any metrics you ask for). The progress bar is tqdm's (``tqdm.auto``: a bar in a
terminal, a widget in Jupyter, nothing in logs and CI).

``plot_history`` needs matplotlib (the optional ``examples`` extra).

Imports: ``core``; tqdm (when a bar is made). Models, losses and optimizers are passed in.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from ..core import Value, no_grad

if TYPE_CHECKING:  # tqdm is imported when a bar is made: ~50 ms off `import tinygrad_edu`
    import tqdm.std

__all__ = ["fit", "evaluate", "progress_bar", "plot_history"]

Metric = Callable[[Any, np.ndarray], float]


def _in_jupyter() -> bool:
    """Does this code run in a Jupyter kernel? (tqdm.auto's own test; IPython is never
    imported here, only asked when it already runs.)"""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_bar(total: int, progress: bool | None = None,
                 stream: TextIO | None = None) -> tqdm.std.tqdm:
    """The bar :func:`fit` draws: tqdm's, one step per epoch, the latest numbers after it.

    ``progress=None`` means on in a terminal and in Jupyter (a widget there, when
    ipywidgets is installed), off when the output is not a terminal (logs, CI);
    ``True``/``False`` decide. With ``stream``, the text bar goes there (tqdm's ``file``)
    and ``None`` asks whether ``stream`` is a terminal; without it, ``tqdm.auto``
    chooses the widget or text on stderr.

    >>> import io
    >>> progress_bar(3, stream=io.StringIO()).disable    # not a terminal: off
    True
    """
    if stream is not None or progress is False:
        from tqdm.std import tqdm as bar_class  # a stream of your own (or none): text
    else:
        with warnings.catch_warnings():
            # Jupyter without ipywidgets: tqdm.auto warns and falls back to the text bar,
            # which a notebook shows well enough; the warning would only be noise.
            warnings.filterwarnings("ignore", "IProgress not found")
            from tqdm.auto import tqdm as bar_class
    if progress is None:
        out = stream if stream is not None else sys.stderr
        isatty = getattr(out, "isatty", None)
        # A Jupyter kernel's streams are no TTY, yet a notebook shows the bar live.
        progress = bool(isatty and isatty()) or (stream is None and _in_jupyter())
    return bar_class(total=int(total), file=stream, disable=not progress, desc="fit",
                     unit="epoch", leave=True)


def _batch_size(batch_size: int | None, n: int, where: str) -> int:
    # A size below one would make range() empty: no step, and a history of zeros.
    if n == 0:
        raise ValueError(f"{where}: the data has no samples (inputs have length 0)")
    if batch_size is None:
        return n
    if int(batch_size) < 1:
        raise ValueError(f"{where}: batch_size must be ≥ 1, got {batch_size}")
    return int(batch_size)


def _batches(n: int, batch_size: int, rng: np.random.Generator | None):
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def evaluate(model: Callable[[Any], Value], loss_fn: Callable[[Value, Any], Value],
             data: tuple[Any, Any], metrics: dict[str, Metric] | None = None,
             batch_size: int | None = None) -> dict[str, float]:
    """Loss (and metrics) of ``model`` on ``data`` without recording a graph.

    Metrics get the model output as an ndarray and the targets.

    >>> from tinygrad_edu import nn, losses
    >>> X, y = np.zeros((4, 2)), np.zeros((4, 1))
    >>> sorted(evaluate(nn.Linear(2, 1, rng=0), losses.mse, (X, y)))
    ['loss']
    """
    inputs, targets = np.asarray(data[0]), np.asarray(data[1])
    n = len(inputs)
    size = _batch_size(batch_size, n, "evaluate")
    with no_grad():
        outs, total = [], 0.0
        for idx in _batches(n, size, None):
            out = model(inputs[idx])
            total += float(loss_fn(out, targets[idx]).data) * len(idx)
            outs.append(np.asarray(out.data))
    result = {"loss": total / n}
    if metrics:
        output = np.concatenate(outs)
        for name, fn in metrics.items():
            result[name] = float(fn(output, targets))
    return result


def fit(model: Callable[[Any], Value], loss_fn: Callable[[Value, Any], Value],
        data: tuple[Any, Any], epochs: int, optimizer: Any, batch_size: int | None = None,
        *, val_data: tuple[Any, Any] | None = None, metrics: dict[str, Metric] | None = None,
        shuffle: bool = True, rng: np.random.Generator | int | None = 0,
        progress: bool | None = None, stream: TextIO | None = None,
        callback: Callable[[int, dict[str, list[float]]], None] | None = None,
        ) -> dict[str, list[float]]:
    """Train ``model`` on ``data = (inputs, targets)``; return the history per epoch.

    Each step: ``optimizer.zero_grad()``, ``loss_fn(model(x_batch), y_batch).backward()``,
    ``optimizer.step()``. ``batch_size=None`` uses the whole set (full-batch). The
    history has ``loss`` (mean training loss over the epoch's batches, weighted by batch
    size) and, with ``val_data``, ``val_loss`` and ``val_<metric>`` for each metric;
    metrics on the training set are computed after the epoch under no_grad.
    ``callback(epoch, history)`` runs after each epoch. The progress bar (tqdm's, see
    :func:`tinygrad_edu.nn.training.progress_bar`) is on in a terminal and in Jupyter,
    off in logs: ``progress`` decides otherwise, ``stream`` sends the text bar elsewhere
    than stderr. A Module is
    put in train mode for each epoch's updates and left in eval mode. The model is
    called on a batch array, as the tensor layers expect; ``nn.scalar`` models take one
    sample at a time, so write their loop by hand (see ``examples/micrograd_moons.py``).

    >>> from tinygrad_edu import nn, losses, optim
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1); y = 3 * X
    >>> model = nn.Linear(1, 1, rng=0)
    >>> opt = optim.SGD(model.parameters(), lr=0.5)
    >>> h = fit(model, losses.mse, (X, y), epochs=50, optimizer=opt)
    >>> h["loss"][-1] < 1e-6
    True
    """
    inputs, targets = np.asarray(data[0]), np.asarray(data[1])
    if len(inputs) != len(targets):
        raise ValueError(f"fit: {len(inputs)} inputs but {len(targets)} targets "
                         f"(shapes {inputs.shape} and {targets.shape})")
    if int(epochs) < 0:
        raise ValueError(f"fit: epochs must be ≥ 0, got {epochs}")
    n = len(inputs)
    size = _batch_size(batch_size, n, "fit")
    gen = (rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)) \
        if shuffle else None
    history: dict[str, list[float]] = {"loss": []}
    bar = progress_bar(epochs, progress, stream)
    train_mode = getattr(model, "train", None)
    try:
        for epoch in range(1, int(epochs) + 1):
            if callable(train_mode):
                model.train()
            total = 0.0
            for idx in _batches(n, size, gen):
                optimizer.zero_grad()
                loss = loss_fn(model(inputs[idx]), targets[idx])
                loss.backward()
                optimizer.step()
                total += float(loss.data) * len(idx)
            history["loss"].append(total / n)
            if callable(train_mode):
                model.eval()
            if metrics:
                for name, value in evaluate(model, loss_fn, (inputs, targets), metrics,
                                            size).items():
                    if name != "loss":
                        history.setdefault(name, []).append(value)
            if val_data is not None:
                for name, value in evaluate(model, loss_fn, val_data, metrics, size).items():
                    history.setdefault(f"val_{name}", []).append(value)
            bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.items()}, refresh=False)
            bar.update(1)
            if callback is not None:
                callback(epoch, history)
    finally:
        bar.close()
    return history


def plot_history(history: dict[str, list[float]], path: str | None = None, ax: Any = None):
    """Plot every series of a ``fit`` history against the epoch; returns the Axes.

    Loss curves go on a log scale when all values are positive. With ``path`` the
    figure is saved there. Needs matplotlib: ``pip install 'tinygrad_edu[examples]'``.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib "
                          "(or the package's 'examples' extra)") from error
    if not history:
        raise ValueError("plot_history: the history is empty")
    if ax is None and path is not None:
        # A bare Figure needs no GUI backend, so saving works on a headless machine.
        ax = Figure(figsize=(6, 4)).subplots()
    elif ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    for name, series in history.items():
        ax.plot(range(1, len(series) + 1), series, label=name)
    losses = [v for k, s in history.items() if "loss" in k for v in s]
    if losses and min(losses) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.legend()
    if path is not None:
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    return ax
