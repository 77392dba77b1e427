"""Convolution and pooling over images ``(batch, channels, height, width)``, and Flatten.

All three are built on the op table's ``windows`` row (``F.windows``): it cuts the
input into the patches a kernel sees, ``(N, C, OH, OW, KH, KW)``. A convolution is
then one matmul of those patches with the kernels ("im2col"), max pooling a ``max``
over each patch and average pooling a ``mean``. So their gradients come from rows the
property tests already check: the windows' VJP adds each patch's gradient back where
the patch was cut from.

Imports: ``core`` and ``nn.module``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Value
from ..core import functional as F
from ..core.kernels import window_geometry
from .layers import as_generator
from .module import Module

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"]

Size = int | tuple[int, int]


def _image_shape(layer: str, x: Any, channels: int | None = None) -> tuple[int, ...]:
    """The shape of a batch of images ``(N, C, H, W)``, or a ValueError naming ``layer``."""
    shape = np.shape(x.data if isinstance(x, Value) else x)
    if len(shape) != 4 or (channels is not None and shape[1] != channels):
        wanted = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ValueError(f"{layer}: expects images shaped {wanted}, got shape {shape}")
    return shape


def _pair(value: Size) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else tuple(value)


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in PyTorch): ``out[n, o, i, j] = bias[o] +
    Σ_c,a,b weight[o, c, a, b] · x[n, c, i·s + a·d, j·s + b·d]`` over ``x`` zero-padded by
    ``padding``. ``weight`` has PyTorch's layout ``(out_channels, in_channels, KH, KW)``.

    Computed as im2col: the input's windows ``(N, C, OH, OW, KH, KW)`` are moved to
    ``(N·OH·OW, KH·KW·C)`` rows and multiplied by the kernels as a
    ``(KH·KW·C, out_channels)`` matrix: one matmul for the whole batch. The channels are
    the rows' innermost axis (channels-last columns) because the output is channels-last
    in memory: it is the matmul's ``(N·OH·OW, out_channels)`` result, seen as
    ``(N, out_channels, OH, OW)`` without a copy. So the next convolution copies its
    windows in runs of whole channel vectors (the ``windows`` row pads in its input's
    memory order), and the windows' gradient adds up in the same order: about three
    times faster than ``(C·KH·KW)`` columns, which read one strided element at a time.

    Initialisation as PyTorch's default: weight and bias uniform in ±1/√fan_in with
    fan_in = in_channels·KH·KW (kaiming-uniform with a = √5 gives this bound).

    >>> conv = Conv2d(1, 4, 3, padding=1, rng=0)
    >>> conv(np.zeros((2, 1, 8, 8))).shape
    (2, 4, 8, 8)
    >>> conv.weight.shape
    (4, 1, 3, 3)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size,
                 stride: Size = 1, padding: Size = 0, dilation: Size = 1, bias: bool = True,
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float64):
        if int(in_channels) < 1 or int(out_channels) < 1:
            raise ValueError(f"Conv2d: channels must be positive, got in_channels="
                             f"{in_channels}, out_channels={out_channels}")
        # the geometry checks the sizes now, not at the first call
        self.kernel_size = window_geometry((1, 1), kernel_size, stride, padding, dilation,
                                           need_fit=False).kernel
        self.stride, self.padding, self.dilation = _pair(stride), _pair(padding), _pair(dilation)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        fan_in = self.in_channels * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)
        gen = as_generator(rng)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Value(gen.uniform(-bound, bound, shape).astype(dtype), name="weight")
        self.bias = None
        if bias:
            b = gen.uniform(-bound, bound, (self.out_channels,)).astype(dtype)
            self.bias = Value(b, name="bias")

    def __call__(self, x: Any) -> Value:
        n = _image_shape(repr(self), x, self.in_channels)[0]
        patches = F.windows(x, self.kernel_size, self.stride, self.padding, self.dilation)
        oh, ow = patches.shape[2:4]
        rows = patches.transpose(0, 2, 3, 4, 5, 1).reshape(n * oh * ow, -1)
        kernels = self.weight.transpose(0, 2, 3, 1).reshape(self.out_channels, -1).T
        out = rows @ kernels
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(n, oh, ow, self.out_channels).transpose(0, 3, 1, 2)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")


class _Pool2d(Module):
    """What both poolings share: the window settings and the patches."""

    fill = 0.0

    def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0):
        stride = kernel_size if stride is None else stride
        geometry = window_geometry((1, 1), kernel_size, stride, padding, need_fit=False)
        self.kernel_size, self.stride, self.padding = geometry.kernel, geometry.stride, \
            geometry.padding
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{type(self).__name__}: padding {self.padding} must be at most "
                             f"half the kernel {self.kernel_size}")

    def patches(self, x: Any) -> Value:
        """The windows of ``x`` with each window's elements on one last axis."""
        _image_shape(repr(self), x)
        w = F.windows(x, self.kernel_size, self.stride, self.padding, fill=self.fill)
        return w.reshape(*w.shape[:4], -1)

    def windows(self, x: Any) -> tuple[Value, tuple[int, ...]]:
        """The windows of ``x`` and the axes that hold each window's elements (the axes
        to reduce). Windows side by side (stride = kernel, no padding, PyTorch's default)
        are ``x`` itself reshaped to ``(N, C, OH, KH, OW, KW)``, a view: no copy of every
        element into :meth:`patches`, and the gradient comes back through the reshape
        instead of the windows' slice-adds. Rows and columns that no window reaches (8
        rows, kernel 3) are cut off first, as the windows leave them out.

        >>> blocks, axes = MaxPool2d(2).windows(np.arange(16.0).reshape(1, 1, 4, 4))
        >>> blocks.shape, axes
        ((1, 1, 2, 2, 2, 2), (3, 5))
        """
        n, c, h, w = _image_shape(repr(self), x)
        (kh, kw), (oh, ow) = self.kernel_size, (h // self.kernel_size[0],
                                                w // self.kernel_size[1])
        if self.stride != self.kernel_size or self.padding != (0, 0) or not (oh and ow):
            return self.patches(x), (-1,)  # (no window fits: the windows row says so)
        x = F.as_value(x)
        if (oh * kh, ow * kw) != (h, w):
            x = x[:, :, :oh * kh, :ow * kw]
        return x.reshape(n, c, oh, kh, ow, kw), (3, 5)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest element of each ``kernel_size`` window (stride defaults to the
    kernel: windows side by side). Padding counts as −∞, so it is never the max.

    Ties: a window whose maximum is held by k elements gives each of them 1/k of the
    gradient, the ``max`` row's convention (PyTorch gives all of it to one of them; see
    docs/conventions.md).

    >>> MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    fill = -math.inf

    def __call__(self, x: Any) -> Value:
        windows, axes = self.windows(x)
        return windows.max(axis=axes)


class AvgPool2d(_Pool2d):
    """The mean of each ``kernel_size`` window; padding counts as zeros in the mean
    (PyTorch's default ``count_include_pad=True``).

    >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """

    def __call__(self, x: Any) -> Value:
        windows, axes = self.windows(x)
        return windows.mean(axis=axes)


class Flatten(Module):
    """Every axis from ``start_dim`` on joined into one (the batch axis stays).

    >>> Flatten()(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def __init__(self, start_dim: int = 1):
        self.start_dim = int(start_dim)

    def __call__(self, x: Any) -> Value:
        x = F.as_value(x)
        if not -x.ndim <= self.start_dim < max(x.ndim, 1):
            raise ValueError(f"Flatten(start_dim={self.start_dim}): input shape {x.shape} "
                             f"has no axis {self.start_dim}")
        start = self.start_dim % x.ndim
        return x.reshape(*x.shape[:start], -1)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
