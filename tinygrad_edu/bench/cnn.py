"""W7: one training step of the digits CNN (``examples/digits_cnn.py``), batch 64, float32.

The model: Conv2d(1, 16, 3, padding=1) → ReLU → Conv2d(16, 32, 3, padding=1) → ReLU →
MaxPool2d(2) → Flatten → Linear(512, 64) → ReLU → Dropout(0.25) → Linear(64, 10), on
8×8 images, softmax cross-entropy, then an SGD update. Three systems take the same
step from the same weights:

* ``hand-numpy``: the step written out here, im2col with ``sliding_window_view`` and
  one matmul per convolution, the windows' gradient added back one kernel offset at a
  time; the same math as tinygrad_edu's rows (max pooling shares ties, as ``max`` does)
  and the same memory order (channels-last activations, (kh, kw, c) im2col columns),
  float32 throughout;
* ``tinygrad_edu``: ``nn`` layers, ``losses.cross_entropy``, ``backward()``;
* ``pytorch-1thread``: ``torch.nn`` layers with ``torch.set_num_threads(1)``.

:func:`self_check` runs the hand step and tinygrad_edu's at float64 with the same
dropout mask and says how far apart their gradients are.

Imports: numpy, ``tinygrad_edu`` (Value, no_grad, nn, losses), ``.harness``; torch only
if present.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..core import no_grad
from ..nn import losses
from .harness import Goal, Report, add_pytorch, compare

BATCH, P_DROP, LR = 64, 0.25, 0.05


def _data(dtype: type, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Images, labels and the model's weights as arrays (PyTorch's layouts for the
    convolutions, ours — input-major — for the Linear layers)."""
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, 1, 8, 8)).astype(dtype)
    labels = rng.integers(0, 10, BATCH)

    def uniform(shape: tuple, fan_in: int) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(dtype)

    weights = [uniform((16, 1, 3, 3), 9), uniform((16,), 9),
               uniform((32, 16, 3, 3), 144), uniform((32,), 144),
               uniform((512, 64), 512), uniform((64,), 512),
               uniform((64, 10), 64), uniform((10,), 64)]
    return x, labels, weights


# ------------------------------------------------------------------ hand NumPy
# Activations are kept channels-last, (N, H, W, C): the im2col rows then take whole
# channel vectors, (kh, kw, c) columns, as nn.Conv2d does.
def _rows(images: np.ndarray) -> np.ndarray:
    """im2col of a 3×3, padding-1 convolution: (N, H, W, C) → (N·H·W, 9·C)."""
    n, h, w, c = images.shape
    padded = np.zeros((n, h + 2, w + 2, c), images.dtype)
    padded[:, 1:-1, 1:-1] = images
    patches = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    return patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, 9 * c)


def _rows_adjoint(d_rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of :func:`_rows`: each patch's gradient added back where it was cut."""
    n, h, w, c = shape
    patches = d_rows.reshape(n, h, w, 3, 3, c)
    padded = np.zeros((n, h + 2, w + 2, c), d_rows.dtype)
    for a in range(3):
        for b in range(3):
            padded[:, a:a + h, b:b + w] += patches[:, :, :, a, b]
    return padded[:, 1:-1, 1:-1]


def _columns(kernels: np.ndarray) -> np.ndarray:
    """PyTorch's (O, C, 3, 3) kernels as the (O, 9·C) matrix of :func:`_rows`' order."""
    return kernels.transpose(0, 2, 3, 1).reshape(len(kernels), -1)


def hand_step(dtype: type, seed: int = 0, grads: dict | None = None) -> Callable[[], float]:
    """The training step in plain NumPy, all of it in ``dtype``; ``grads``, if given,
    receives each gradient."""
    x, labels, params = _data(dtype, seed)
    x = x.transpose(0, 2, 3, 1)  # channels-last (one channel: the same memory)
    onehot = np.eye(10, dtype=dtype)[labels]
    drop = np.random.default_rng(seed)
    scale, lr = dtype(1 / (1 - P_DROP)), dtype(LR)

    def step() -> float:
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        k1, k2 = _columns(w1), _columns(w2)
        r1 = _rows(x)
        z1 = r1 @ k1.T + b1                                           # (N·64, 16)
        a1 = np.maximum(z1, 0).reshape(BATCH, 8, 8, 16)
        r2 = _rows(a1)
        z2 = r2 @ k2.T + b2                                           # (N·64, 32)
        blocks = np.maximum(z2, 0).reshape(BATCH, 4, 2, 4, 2, 32)
        pooled = blocks.max(axis=(2, 4))                              # (N, 4, 4, 32)
        flat = pooled.transpose(0, 3, 1, 2).reshape(BATCH, 512)       # PyTorch's order
        z3 = flat @ w3 + b3
        keep = drop.random(z3.shape) >= P_DROP
        h3 = np.where(keep, np.maximum(z3, 0) * scale, 0)
        z4 = h3 @ w4 + b4
        shifted = z4 - z4.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -((shifted - np.log(total)) * onehot).sum() / BATCH

        dz4 = (e / total - onehot) / BATCH
        dz3 = np.where(keep & (z3 > 0), (dz4 @ w4.T) * scale, 0)
        d_pooled = (dz3 @ w3.T).reshape(BATCH, 32, 4, 4).transpose(0, 2, 3, 1)
        winners = blocks == pooled[:, :, None, :, None]
        # ties share, as max does; counted in dtype (a bool sum / int would be float64)
        counts = winners.sum(axis=(2, 4), keepdims=True, dtype=dtype)
        d_blocks = np.where(winners, d_pooled[:, :, None, :, None] / counts, 0)
        dz2 = np.where(z2 > 0, d_blocks.reshape(-1, 32), 0)
        d_a1 = _rows_adjoint(dz2 @ k2, a1.shape)
        dz1 = np.where(z1 > 0, d_a1.reshape(-1, 16), 0)
        found = [(dz1.T @ r1).reshape(16, 3, 3, 1).transpose(0, 3, 1, 2), dz1.sum(axis=0),
                 (dz2.T @ r2).reshape(32, 3, 3, 16).transpose(0, 3, 1, 2), dz2.sum(axis=0),
                 flat.T @ dz3, dz3.sum(axis=0), h3.T @ dz4, dz4.sum(axis=0)]
        if grads is not None:
            grads.update(enumerate(found))
        for p, g in zip(params, found, strict=True):
            p -= lr * g
        return float(loss)

    return step


# ------------------------------------------------------------------ tinygrad_edu
def digits_cnn(weights: list[np.ndarray], seed: int = 0) -> nn.Sequential:
    """The model of ``examples/digits_cnn.py`` holding ``weights`` (see :func:`_data`)."""
    dtype = weights[0].dtype
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, dtype=dtype), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, dtype=dtype), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(512, 64, dtype=dtype), nn.ReLU(),
        nn.Dropout(P_DROP, rng=seed), nn.Linear(64, 10, dtype=dtype))
    for p, array in zip(model.parameters(), weights, strict=True):
        p.data = array.copy()
    return model


def tinygrad_step(dtype: type, seed: int = 0, model_out: list | None = None
                  ) -> Callable[[], float]:
    x, labels, weights = _data(dtype, seed)
    model = digits_cnn(weights, seed)
    params = model.parameters()
    if model_out is not None:
        model_out.append(model)
    lr = dtype(LR)

    def step() -> float:
        model.zero_grad()
        loss = losses.cross_entropy(model(x), labels)
        loss.backward()
        with no_grad():
            for p in params:
                p.data -= lr * p.grad
        return float(loss.data)

    return step


def torch_step(dtype: type, seed: int = 0) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x, labels, weights = _data(dtype, seed)
    tn = torch.nn
    model = tn.Sequential(tn.Conv2d(1, 16, 3, padding=1), tn.ReLU(),
                          tn.Conv2d(16, 32, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2),
                          tn.Flatten(), tn.Linear(512, 64), tn.ReLU(), tn.Dropout(P_DROP),
                          tn.Linear(64, 10)).to(torch.float32 if dtype == np.float32
                                                else torch.float64)
    with torch.no_grad():
        for p, array in zip(model.parameters(), weights, strict=True):
            p.copy_(torch.from_numpy(array.T.copy() if array.shape[0] in (512, 64)
                                     and array.ndim == 2 else array))
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def step() -> float:
        model.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
        return loss.item()

    return step


def self_check(seed: int = 0) -> float:
    """The largest relative difference between the hand step's gradients and
    tinygrad_edu's, at float64 with the same dropout mask (a few 1e-16 when they agree)."""
    grads: dict[int, np.ndarray] = {}
    models: list[Any] = []
    hand_loss = hand_step(np.float64, seed, grads)()
    ours = tinygrad_step(np.float64, seed, models)
    params = models[0].parameters()
    before = [p.data.copy() for p in params]
    our_loss = ours()
    worst = abs(hand_loss - our_loss) / abs(hand_loss)
    for i, (p, start) in enumerate(zip(params, before, strict=True)):
        our_grad = (start - p.data) / LR          # the update undone: p ← p − lr·g
        scale = np.abs(grads[i]).max() + 1e-300
        worst = max(worst, float(np.abs(our_grad - grads[i]).max() / scale))
    return worst


def w7(report: Report, quick: bool = False) -> None:
    """W7: digits CNN step, batch 64, float32; goals ≤ 1.5× hand NumPy, ≤ 2× PyTorch."""
    difference = self_check()
    report.extra["W7"] = {"gradients hand vs tinygrad_edu (float64, max relative)": difference}
    if difference > 1e-6:
        raise AssertionError(f"W7: the hand NumPy step and tinygrad_edu disagree "
                             f"(gradients {difference:.2e} apart): fix before timing")
    dtype = np.float32
    systems: dict[str, Callable[[], Any]] = {"hand-numpy": hand_step(dtype),
                                             "tinygrad_edu": tinygrad_step(dtype)}
    has_torch = add_pytorch(report, "W7", systems, torch_step(dtype))
    t = compare(report, "W7", "digits CNN step b64 float32", systems, "hand-numpy",
                repeats=3 if quick else 9, sample_seconds=0.05 if quick else 0.5)
    ratio = t["tinygrad_edu"].ratio
    report.goals.append(Goal("W7", "≤ 1.5× hand NumPy", f"{ratio:.2f}×", ratio <= 1.5))
    if not has_torch:
        report.goals.append(Goal("W7", "≤ 2× PyTorch (1 thread)", "torch not installed", None))
    else:
        vs_torch = t["tinygrad_edu"].median / t["pytorch-1thread"].median
        report.goals.append(Goal("W7", "≤ 2× PyTorch (1 thread)", f"{vs_torch:.2f}×",
                                 vs_torch <= 2.0))
