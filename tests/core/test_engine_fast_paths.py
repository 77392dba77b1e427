"""The engine's speed-ups change no result: the fast paths agree with the general ones.

Each fast path (a leaf keeping its gradient without a copy, sigmoid with one division,
``x ** 2.0`` as ``x * x``, matrix-product VJPs straight to ``np.matmul``, the
option-free backward loop) is checked here against an independent oracle: closed forms,
central differences (``check.numerical_grad``), or the aliasing rule of DESIGN.md
(a leaf's ``.grad`` never shares memory with another node's gradient).
"""

import threading

import numpy as np
import pytest

from tinygrad_edu import Value, grad, no_grad
from tinygrad_edu.check import numerical_grad


def test_leaf_grad_never_shares_memory_with_an_intermediate_grad():
    # add passes its upstream through unchanged and reshape gives a view: without a
    # copy the leaf's grad would be the very array stored on y and z.
    x = Value(np.arange(6.0))
    y = x + 0.0
    z = y.reshape(2, 3)
    (z * 2.0).sum().backward()
    for other in (y.grad, z.grad):
        assert not np.shares_memory(x.grad, other)
    x.grad *= 10.0  # a user's in-place edit of the leaf must not reach the others
    np.testing.assert_array_equal(y.grad, np.full(6, 2.0))  # d(sum 2z)/dy = 2


def test_leaf_that_keeps_its_gradient_is_a_private_writable_array():
    w = Value(np.ones((3, 2)))
    out = w @ np.ones((2, 4))
    out.sum().backward()
    # d/dw sum(w @ B) = ones(3, 4) @ B.T = 4 everywhere (closed form)
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 4.0))
    assert w.grad.flags.writeable
    assert not np.shares_memory(w.grad, out.grad)


def test_second_backward_accumulates_into_leaf_without_touching_first_result():
    w = Value(np.array([1.0, 2.0]))
    (w * w).sum().backward()
    first = w.grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(first, [2.0, 4.0])  # 2w, not changed in place
    np.testing.assert_array_equal(w.grad, [4.0, 8.0])  # 2w + 2w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_matches_closed_form_and_stays_finite(dtype):
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0], dtype=dtype)
    s = Value(x).sigmoid().data
    assert s.dtype == dtype
    with np.errstate(over="ignore"):
        expected = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))  # σ's definition
    np.testing.assert_allclose(s, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
    assert np.all(np.isfinite(s))


def test_square_and_its_gradient_match_closed_forms():
    x = np.array([[-1.5, 0.0, 2.0]])
    v = Value(x)
    y = v ** 2.0
    np.testing.assert_array_equal(y.data, x * x)
    y.sum().backward()
    np.testing.assert_array_equal(v.grad, 2.0 * x)  # d/dx x² = 2x


@pytest.mark.parametrize("shapes", [((4, 3), (3, 2)), ((2, 4, 3), (3, 5)), ((3,), (3, 2))])
def test_matmul_gradients_match_central_differences(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=s) for s in shapes)
    va, vb = Value(a), Value(b)
    (va @ vb).sum().backward()
    num_a, num_b = numerical_grad(lambda p, q: (p @ q).sum(), [a, b])
    np.testing.assert_allclose(va.grad, num_a, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(vb.grad, num_b, rtol=1e-6, atol=1e-8)


def test_plain_backward_and_grad_agree():
    # backward() takes the option-free loop; grad() takes the general one.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3))
    w = Value(rng.normal(size=(3, 2)))
    loss = ((x @ w).sigmoid() * 0.5 - 0.25).abs().sum()
    (expected,) = grad(loss, w)
    loss.backward()
    np.testing.assert_allclose(w.grad, expected.data, rtol=1e-15)


def test_no_grad_nests_and_is_per_thread():
    seen = {}

    def worker():
        seen["thread"] = (Value(1.0) * 2).requires_grad

    with no_grad():
        with no_grad():
            assert not (Value(1.0) * 2).requires_grad
        assert not (Value(1.0) * 2).requires_grad
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert (Value(1.0) * 2).requires_grad
    assert seen["thread"] is True  # the other thread never entered no_grad


# A view's gradient (reshape, transpose, add's pass-through) is stored as a view and
# copied when first read: a CNN step reads only the leaves' gradients, and copying every
# activation's gradient was half of it (docs/guides/speed.md, "The CNN step").


def test_view_gradients_are_copied_when_read_not_when_stored():
    x = Value(np.arange(6.0))
    y = x.reshape(2, 3)
    z = y.T
    w = np.arange(6.0).reshape(3, 2) + 1.0
    (z * w).sum().backward()
    assert y._grad_shared and z._grad_shared  # stored as views of each other (no copy)
    assert not np.shares_memory(x.grad, y._grad)  # a leaf owns its gradient at once
    # d/dz Σ z·w = w; y = zᵀ so d/dy = wᵀ; x = y flattened (closed forms)
    np.testing.assert_array_equal(z.grad, w)
    np.testing.assert_array_equal(y.grad, w.T)
    np.testing.assert_array_equal(x.grad, w.T.ravel())
    grads = [x.grad, y.grad, z.grad]
    for i, g in enumerate(grads):
        for h in grads[i + 1:]:
            assert not np.shares_memory(g, h)
    z.grad[0, 0] = 99.0
    y.grad[1, 1] = -99.0
    assert y.grad[0, 0] == w[0, 0] and z.grad[1, 1] == w[1, 1] and x.grad[0] == w[0, 0]


def test_a_hook_editing_a_view_gradient_in_place_changes_only_its_node():
    x = Value(np.ones(4))
    y = x * 3.0
    z = y.reshape(2, 2)  # y's gradient arrives as a view of z's

    def double(g):
        g *= 2.0  # in place, returning None: allowed for a hook

    y.register_hook(double)
    z.sum().backward()
    np.testing.assert_array_equal(z.grad, np.ones((2, 2)))  # d Σz / dz, untouched
    np.testing.assert_array_equal(y.grad, np.full(4, 2.0))  # the hook's doubling
    np.testing.assert_array_equal(x.grad, np.full(4, 6.0))  # 3 · 2 (chain rule)


def test_view_gradients_are_the_same_with_and_without_reads_between_passes():
    # a second pass on a new graph must not see the first pass's shared arrays
    w = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    for _ in range(2):
        ((w.T + 0.0).reshape(4) * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    # d/dw Σ (wᵀ)ᵢ·cᵢ = cᵀ reshaped, twice (two passes add up on the leaf)
    np.testing.assert_array_equal(w.grad, 2 * np.array([[1.0, 3.0], [2.0, 4.0]]))
