"""Conv2d, MaxPool2d, AvgPool2d, Flatten and the windows row under them.

Oracles: PyTorch at float64 (forward and every gradient; skipped without torch), a
direct loop over output positions written from the definition of a windowed input,
central differences (tinygrad_edu.check.gradcheck), and small closed forms (the
maximum of each window, the tie convention of docs/conventions.md).
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value, grad, nn
from tinygrad_edu import functional as F
from tinygrad_edu.check import gradcheck
from tinygrad_edu.core import kernels
from tinygrad_edu.core.errors import ShapeError

GEOMETRIES = [  # kernel, stride, padding, dilation
    (3, 1, 0, 1), (3, 1, 1, 1), ((2, 3), (2, 1), (1, 0), 1), (2, 2, 0, 2), (3, 2, 1, (1, 2)),
]


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _pairs(*values):
    return [(v, v) if isinstance(v, int) else v for v in values]


def loop_windows(x, kernel, stride, padding, dilation, fill=0.0):
    """Windows by the definition: element (i, j, a, b) is padded x at row i·s + a·d."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pairs(kernel, stride, padding, dilation)
    h, w = x.shape[-2:]
    padded = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), fill)
    padded[..., ph:ph + h, pw:pw + w] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.empty(x.shape[:-2] + (oh, ow, kh, kw))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    out[..., i, j, a, b] = padded[..., i * sh + a * dh, j * sw + b * dw]
    return out


# ------------------------------------------------------------------ windows


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_windows_match_the_definition(geometry):
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 7))
    got = F.windows(Value(x), *geometry, fill=-1.5).data
    np.testing.assert_array_equal(got, loop_windows(x, *geometry, fill=-1.5))


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_windows_gradient_by_central_differences(geometry):
    x = np.random.default_rng(1).normal(size=(1, 2, 5, 6))
    assert gradcheck(lambda v: F.windows(v, *geometry), [x])


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_windows_adjoint_agrees_with_np_add_at(geometry):
    # the fast rule (a strided slice-add per kernel offset) against the scatter of the
    # recorded rule (np.add.at at every window element's index): two implementations
    shape = (2, 3, 6, 7)
    g = np.random.default_rng(2).normal(size=F.windows(np.zeros(shape), *geometry).shape)
    geo = kernels.window_geometry(shape, *geometry)
    (ph, pw), (h, w) = geo.padding, shape[-2:]
    scattered = np.zeros(shape[:2] + (h + 2 * ph, w + 2 * pw))
    np.add.at(scattered, kernels.window_index(geo), g)
    np.testing.assert_allclose(kernels.windows_adjoint(g, shape, *geometry),
                               scattered[..., ph:ph + h, pw:pw + w], rtol=1e-13, atol=1e-13)


def test_windows_second_derivative_records_the_scatter():
    x = Value(np.random.default_rng(3).normal(size=(1, 1, 4, 4)))
    w = F.windows(x * x, 2, padding=1)
    (g,) = grad(w.sum(), [x], create_graph=True)
    (gg,) = grad(g.sum(), [x])
    # d/dx Σ windows(x²) = 2x·(how many windows hold x) = 2x·4 inside a 2×2 kernel
    # with padding 1, so the second derivative summed is 2·4 everywhere
    np.testing.assert_allclose(gg.data, np.full((1, 1, 4, 4), 8.0))


def test_windows_refuse_a_kernel_that_does_not_fit():
    with pytest.raises(ShapeError, match=r"windows: a \(5, 5\) kernel .* shape \(1, 1, 4, 4\)"):
        F.windows(Value(np.zeros((1, 1, 4, 4))), 5)
    with pytest.raises(ShapeError, match="windows: stride must be an int or two ints ≥ 1"):
        F.windows(Value(np.zeros((4, 4))), 2, stride=0)


def test_windows_against_torch_unfold(torch):
    x = np.random.default_rng(4).normal(size=(2, 3, 7, 6))
    for k, s, p, d in GEOMETRIES:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pairs(k, s, p, d)
        cols = torch.nn.functional.unfold(torch.tensor(x), (kh, kw), (dh, dw), (ph, pw), (sh, sw))
        ours = F.windows(Value(x), k, s, p, d).data          # (N, C, OH, OW, KH, KW)
        n, c, oh, ow = ours.shape[:4]
        ours = ours.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
        np.testing.assert_array_equal(ours, cols.numpy())


# ------------------------------------------------------------------ Conv2d


def _torch_conv(torch, conv, x):
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(conv.weight.data, requires_grad=True)
    bt = torch.tensor(conv.bias.data, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, conv.stride, conv.padding, conv.dilation)
    return xt, wt, bt, out


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_matches_torch(torch, geometry):
    k, s, p, d = geometry
    rng = np.random.default_rng(5)
    conv = nn.Conv2d(3, 4, k, stride=s, padding=p, dilation=d, rng=6)
    x = rng.normal(size=(2, 3, 8, 7))
    xt, wt, bt, expected = _torch_conv(torch, conv, x)
    xv = Value(x)
    out = conv(xv)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for ours, theirs in ((xv, xt), (conv.weight, wt), (conv.bias, bt)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-11, atol=1e-12)


def test_conv2d_gradcheck():
    conv = nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=1, rng=0)

    def f(x, w, b):
        conv.weight, conv.bias = w, b
        return conv(x)

    x = np.random.default_rng(7).normal(size=(2, 2, 4, 5))
    assert gradcheck(f, [x, conv.weight.data, conv.bias.data])


def test_conv2d_initialisation_is_pytorch_uniform_bound():
    conv = nn.Conv2d(8, 16, 3, rng=0)
    bound = 1 / math.sqrt(8 * 3 * 3)           # PyTorch: kaiming_uniform(a=√5) = 1/√fan_in
    w = conv.weight.data
    assert np.abs(w).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound   # U(−b, b) has std b/√3


def test_conv2d_refuses_the_wrong_channels_and_bad_sizes():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expects images shaped \(N, 3, H, W\), "
                                         r"got shape \(2, 2, 5, 5\)"):
        nn.Conv2d(3, 4, 3)(np.zeros((2, 2, 5, 5)))
    with pytest.raises(ShapeError, match="kernel must be"):
        nn.Conv2d(3, 4, 0)
    with pytest.raises(ShapeError, match="does not fit"):
        nn.Conv2d(1, 1, 5)(np.zeros((1, 1, 3, 3)))


# ------------------------------------------------------------------ pooling


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), 1, 0)])
def test_pooling_matches_torch(torch, kernel, stride, padding):
    rng = np.random.default_rng(8)
    x = rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0  # distinct: no ties
    for ours_cls, theirs in ((nn.MaxPool2d, torch.nn.functional.max_pool2d),
                             (nn.AvgPool2d, torch.nn.functional.avg_pool2d)):
        xv, xt = Value(x), torch.tensor(x, requires_grad=True)
        out = ours_cls(kernel, stride, padding)(xv)
        expected = theirs(xt, kernel, stride, padding)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-13)
        upstream = rng.normal(size=out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-13)


def test_max_pool_values_and_tie_convention():
    x = Value(np.array([[[[1.0, 3.0, 5.0, 5.0],
                          [2.0, 0.0, 5.0, 5.0]]]]))
    out = nn.MaxPool2d(2)(x)
    assert out.data.tolist() == [[[[3.0, 5.0]]]]
    out.sum().backward()
    # the second window's max is held by 4 elements: each gets 1/4 (the max row's rule)
    assert x.grad.tolist() == [[[[0.0, 1.0, 0.25, 0.25], [0.0, 0.0, 0.25, 0.25]]]]


def test_max_pool_padding_is_never_the_max():
    x = Value(-np.ones((1, 1, 2, 2)))
    assert nn.MaxPool2d(2, stride=1, padding=1)(x).data.max() == -1.0


def test_pooling_gradcheck():
    x = np.random.default_rng(9).permutation(36).reshape(1, 1, 6, 6) / 7.0
    assert gradcheck(lambda v: nn.MaxPool2d(3, 2, 1)(v), [x])
    assert gradcheck(lambda v: nn.AvgPool2d(3, 2, 1)(v), [x])


def test_pool_refuses_too_much_padding_and_non_images():
    with pytest.raises(ValueError, match="padding .* at most half the kernel"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool2d.*expects images .* got shape \(4, 4\)"):
        nn.MaxPool2d(2)(np.zeros((4, 4)))


# Windows side by side (stride = kernel, no padding) are a reshape of the input: the
# fast path must give what the windows path gives, values, ties and gradients.
SIDE_BY_SIDE = [(2, (2, 3, 8, 8)), (2, (1, 2, 7, 5)), ((3, 2), (2, 1, 7, 6)), (3, (1, 1, 3, 3))]


def _loop_max_pool(x, kernel, upstream):
    """Max pooling and its gradient by the definition: each window's maxima share its
    upstream equally (docs/conventions.md); elements no window reaches get 0."""
    (kh, kw), (h, w) = _pairs(kernel)[0], x.shape[-2:]
    out = np.empty(x.shape[:2] + (h // kh, w // kw))
    dx = np.zeros_like(x)
    for i in range(h // kh):
        for j in range(w // kw):
            block = x[..., i * kh:(i + 1) * kh, j * kw:(j + 1) * kw]
            out[..., i, j] = block.max(axis=(-2, -1))
            hit = block == out[..., i, j, None, None]
            share = upstream[..., i, j, None, None] / hit.sum(axis=(-2, -1))[..., None, None]
            dx[..., i * kh:(i + 1) * kh, j * kw:(j + 1) * kw] = np.where(hit, share, 0.0)
    return out, dx


@pytest.mark.parametrize("kernel, shape", SIDE_BY_SIDE)
@pytest.mark.parametrize("ties", [False, True])
def test_side_by_side_max_pool_matches_the_definition_and_the_windows_path(kernel, shape, ties):
    rng = np.random.default_rng(12)
    # few values: most windows have tied maxima
    x = rng.integers(0, 3, shape) / 2.0 if ties else rng.normal(size=shape)
    pool = nn.MaxPool2d(kernel)
    assert pool.windows(x)[1] == (3, 5)  # the reshape path is taken
    fast, slow = Value(x), Value(x)
    out = pool(fast)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    expected, dx = _loop_max_pool(x, kernel, upstream)
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_allclose(fast.grad, dx, rtol=1e-15, atol=1e-15)
    by_windows = pool.patches(slow).max(axis=-1)  # the general path, on the same input
    by_windows.backward(upstream)
    np.testing.assert_array_equal(by_windows.data, out.data)
    np.testing.assert_allclose(slow.grad, fast.grad, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("kernel, shape", SIDE_BY_SIDE)
def test_side_by_side_pooling_gradcheck(kernel, shape):
    x = np.random.default_rng(13).permutation(math.prod(shape)).reshape(shape) / 7.0
    assert gradcheck(lambda v: nn.MaxPool2d(kernel)(v), [x])
    assert gradcheck(lambda v: nn.AvgPool2d(kernel)(v), [x])


def test_side_by_side_avg_pool_is_the_block_mean_and_keeps_float32():
    x = np.arange(2 * 5 * 7, dtype=np.float32).reshape(1, 2, 5, 7)
    v = Value(x)
    out = nn.AvgPool2d(2)(v)
    # block (i, j) of channel c: rows 2i, 2i+1, columns 2j, 2j+1 (row 4, column 6 unused)
    expected = x[..., :4, :6].reshape(1, 2, 2, 2, 3, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out.data, expected, rtol=1e-7)
    out.sum().backward()
    assert out.dtype == np.float32 and v.grad.dtype == np.float32
    np.testing.assert_array_equal(v.grad[..., :4, :6], np.full((1, 2, 4, 6), 0.25))
    np.testing.assert_array_equal(v.grad[..., 4, :], 0.0)
    np.testing.assert_array_equal(v.grad[..., :, 6], 0.0)


# The layers keep activations channels-last in memory (seen as (N, C, H, W)): results
# must not depend on an input's memory order.


def test_windows_of_a_channels_last_input_match_the_definition():
    x = np.random.default_rng(14).normal(size=(2, 6, 7, 3)).transpose(0, 3, 1, 2)
    for geometry in GEOMETRIES:
        got = F.windows(Value(x), *geometry, fill=-1.5).data
        np.testing.assert_array_equal(got, loop_windows(x, *geometry, fill=-1.5))
        assert gradcheck(lambda v, geometry=geometry: F.windows(v, *geometry),
                         [x[:1, :2, :5, :6]])


def test_stacked_convolutions_match_torch(torch):
    # the second convolution sees the first's channels-last output; its padding and the
    # gradient of its windows are then made channels-last too
    rng = np.random.default_rng(15)
    x = rng.normal(size=(2, 3, 6, 5))
    first = nn.Conv2d(3, 4, 3, padding=1, rng=0)
    second = nn.Conv2d(4, 5, (2, 3), stride=(1, 2), padding=(1, 1), rng=1)
    xv = Value(x)
    out = second(first(xv).relu())
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    T = lambda a: torch.tensor(a, requires_grad=True)  # noqa: E731
    xt, w1, b1, w2, b2 = (T(a) for a in (x, first.weight.data, first.bias.data,
                                         second.weight.data, second.bias.data))
    conv = torch.nn.functional.conv2d
    expected = conv(conv(xt, w1, b1, padding=1).relu(), w2, b2, stride=(1, 2), padding=(1, 1))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in ((xv, xt), (first.weight, w1), (first.bias, b1),
                         (second.weight, w2), (second.bias, b2)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-11, atol=1e-12)


def test_filled_like_keeps_the_memory_order_and_dtype():
    nchw = np.zeros((2, 3, 4, 5))
    a = kernels.filled_like(nchw, (2, 3, 6, 7), 0.5)
    assert a.flags.c_contiguous and a.shape == (2, 3, 6, 7) and np.all(a == 0.5)
    nhwc = np.zeros((2, 4, 5, 3), dtype=np.float32).transpose(0, 3, 1, 2)
    b = kernels.filled_like(nhwc, (2, 3, 6, 7), -np.inf)
    assert b.dtype == np.float32 and b.shape == (2, 3, 6, 7) and np.all(b == -np.inf)
    assert b.transpose(0, 2, 3, 1).flags.c_contiguous  # channels-last, as its model


def test_flatten():
    x = Value(np.arange(24.0).reshape(2, 3, 4))
    out = nn.Flatten()(x)
    assert out.shape == (2, 12) and out.data[1].tolist() == list(range(12, 24))
    with pytest.raises(ValueError, match="Flatten"):
        nn.Flatten(3)(x)
