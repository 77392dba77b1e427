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


def test_flatten():
    x = Value(np.arange(24.0).reshape(2, 3, 4))
    out = nn.Flatten()(x)
    assert out.shape == (2, 12) and out.data[1].tolist() == list(range(12, 24))
    with pytest.raises(ValueError, match="Flatten"):
        nn.Flatten(3)(x)
