"""The backward pass and the functional API: the rules users rely on.

Expected values are closed forms (written next to each assert) or counts of passes.
"""

import gc
import threading

import numpy as np
import pytest

from tinygrad_edu import (
    AnomalyError,
    ShapeError,
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    hessian,
    is_grad_enabled,
    jacobian,
    no_grad,
    value_and_grad,
)
from tinygrad_edu.core import run_backward, topological_order


def test_leaves_accumulate_across_backward_calls():
    x = Value(2.0)
    y = x * x  # dy/dx = 2x = 4
    y.backward()
    y.backward()
    assert x.grad == 8.0  # 4 + 4: the same graph twice gives twice the gradient
    x.zero_grad()
    y.backward()
    assert x.grad == 4.0


def test_intermediate_gradients_are_fresh_each_pass():
    x = Value(3.0)
    h = x * 2.0
    y = h * h  # dy/dh = 2h = 12
    y.backward()
    y.backward()
    assert h.grad == 12.0  # not 24: intermediates never keep a stale gradient
    assert x.grad == 48.0  # leaf: 24 + 24


def test_minibatch_accumulation_equals_full_batch():
    """Σ over two half-batches of the gradient equals the full-batch gradient."""
    rng = np.random.default_rng(0)
    X, t = rng.standard_normal((8, 3)), rng.standard_normal(8)
    w_full, w_mini = Value(np.ones(3)), Value(np.ones(3))
    ((X @ w_full - t) ** 2).sum().backward()
    for part in (slice(0, 4), slice(4, 8)):
        ((X[part] @ w_mini - t[part]) ** 2).sum().backward()
    np.testing.assert_allclose(w_mini.grad, w_full.grad, rtol=1e-13)
    np.testing.assert_allclose(w_full.grad, 2 * X.T @ (X @ np.ones(3) - t), rtol=1e-13)


def test_fan_out_sums_contributions():
    x = Value(1.5)
    y = x * x + x.sin() * x  # dy/dx = 2x + cos(x)·x + sin(x)
    y.backward()
    assert x.grad == pytest.approx(2 * 1.5 + np.cos(1.5) * 1.5 + np.sin(1.5), rel=1e-14)


def test_million_node_chain_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0


def test_non_scalar_backward_needs_an_explicit_gradient():
    x = Value([1.0, 2.0, 3.0])
    y = x * x
    with pytest.raises(ShapeError, match=r"backward: the output has shape \(3,\); pass gradient="):
        y.backward()
    with pytest.raises(ShapeError, match=r"gradient has shape \(2,\), output has shape \(3,\)"):
        y.backward(np.ones(2))
    y.backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 12.0])  # g · 2x


def test_backward_on_a_constant_is_a_clear_error():
    with pytest.raises(ValueError, match="does not depend on any Value with requires_grad"):
        (Value(1.0, requires_grad=False) * 2).backward()


def test_grad_is_none_until_reached_then_shaped_like_data():
    a, b = Value(np.ones((2, 2))), Value(np.ones(2))
    assert a.grad is None
    (a.sum() * 1.0).backward()
    assert a.grad.shape == (2, 2) and b.grad is None


def test_no_grad_context_and_decorator():
    x = Value(1.0)
    with no_grad():
        y = x * 2
        with enable_grad():
            z = x * 3
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and is_grad_enabled()

    @no_grad()
    def infer(v):
        return v * 2

    assert not infer(x).requires_grad and is_grad_enabled()


def test_no_grad_is_thread_local():
    inside, seen_by_other = threading.Event(), {}
    release = threading.Event()

    def other():
        inside.wait()
        seen_by_other["requires_grad"] = (Value(1.0) * 2).requires_grad
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        inside.set()
        release.wait(timeout=10)
        mine = (Value(1.0) * 2).requires_grad
    t.join()
    assert seen_by_other["requires_grad"] is True and mine is False


def test_hooks_see_and_may_replace_the_gradient():
    x = Value(2.0)
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(g))
    handle = h.register_hook(lambda g: g * 10.0)
    (h * h).backward()  # d/dh h² = 2h = 12
    assert seen == [12.0] and h.grad == 120.0 and x.grad == 360.0
    handle.remove()
    x.zero_grad()
    (h * h).backward()
    assert x.grad == 36.0


def test_grad_does_not_touch_dot_grad():
    x = Value(np.array([1.0, 2.0]))
    y = (x**2.0).sum()
    (g,) = grad(y, x)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert x.grad is None and y.grad is None


def test_grad_of_unused_input_is_zero():
    x, unused = Value(1.0), Value(np.ones(3))
    gx, gu = grad(x * 2, [x, unused])
    assert gx.data == 2.0 and np.array_equal(gu.data, np.zeros(3))


@pytest.mark.parametrize("order, closed_form", [(1, 5 * 1.3**4), (2, 20 * 1.3**3),
                                                (3, 60 * 1.3**2), (4, 120 * 1.3), (5, 120.0)])
def test_grad_of_grad_any_order(order, closed_form):
    """d^n/dx^n x^5 at x = 1.3."""
    x = Value(1.3)
    d = x**5.0
    for _ in range(order):
        (d,) = grad(d, x, create_graph=True)
    assert d.data == pytest.approx(closed_form, rel=1e-12)


def test_jacobian_of_softmax_closed_form():
    z = np.array([0.5, -1.0, 2.0])
    s = np.exp(z) / np.exp(z).sum()
    j = jacobian(lambda v: v.softmax(), z)
    np.testing.assert_allclose(j, np.diag(s) - np.outer(s, s), atol=1e-15)


def test_hessian_of_logsumexp_closed_form():
    z = np.array([0.3, -0.2, 1.1])
    s = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(hessian(lambda v: v.logsumexp(), z),
                               np.diag(s) - np.outer(s, s), atol=1e-15)


def test_hessian_of_a_linear_function_is_zero():
    np.testing.assert_array_equal(hessian(lambda v: (v * 3.0).sum(), np.ones(2)), np.zeros((2, 2)))


def test_value_and_grad():
    f = value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))
    val, (ga, gb) = f(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert val == 11.0 and ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]


def test_detect_anomaly_names_the_op():
    x = Value(0.0)
    y = x.sqrt()  # d/dx √x = 1/(2√x): infinite at 0
    with detect_anomaly(), pytest.raises(AnomalyError, match="sqrt: gradient for input 0"):
        y.backward()
    y.backward()  # off again: inf, no error
    assert x.grad == np.inf


def test_topological_order_puts_inputs_first_and_skips_constants():
    a, b = Value(1.0), Value(2.0, requires_grad=False)
    c = a * b
    d = c + a
    ids = [id(n) for n in topological_order(d)]
    assert ids.index(id(a)) < ids.index(id(c)) < ids.index(id(d)) and id(b) not in ids


def test_observer_sees_every_node_once_in_reverse_topological_order():
    a = Value(1.0)
    b = a * 2.0
    c = b * a
    visits = []
    run_backward((c,), (1.0,), store=False, observer=lambda n, g, sent: visits.append((n, g)))
    assert [n for n, _ in visits] == list(reversed(topological_order(c)))
    assert dict((id(n), g) for n, g in visits)[id(a)] == 4.0  # d/da 2a² = 4a


def test_graphs_are_freed_by_reference_counting():
    """No reference cycles: after the last Value goes, nothing is left for the GC."""
    gc.collect()
    gc.disable()
    try:
        w = Value(np.ones((3, 3)))
        for _ in range(50):
            loss = ((w @ np.ones(3)).sigmoid() ** 2).sum()
            loss.backward()
        del loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_run_backward_with_mismatched_upstreams_changes_nothing():
    """Bad input is rejected before any state changes: a later pass sees only its own
    upstream (closed form: d/dx 3x = 3)."""
    x = Value(2.0)
    y = x * 3.0
    with pytest.raises(ValueError, match="run_backward: 1 roots but 2 upstreams"):
        run_backward((y,), (1.0, 1.0))  # one root, two upstreams
    y.backward()
    assert x.grad == 3.0 and y.grad == 1.0


def test_a_pass_that_fails_in_a_hook_leaves_nothing_pending_for_the_next():
    """A raising hook stops the pass while other nodes hold half-summed upstreams; the
    next pass must start clean. Closed form: y = 2x + 3x, so dy/dx = 5, dy/dq = 1."""
    x = Value(1.0)
    p, q = x * 2.0, x * 3.0
    y = p + q

    def broken(g):
        raise RuntimeError("hook failed")

    handle = p.register_hook(broken)
    with pytest.raises(RuntimeError, match="hook failed"):
        y.backward()
    assert x.grad is None  # the pass stopped before reaching the leaf
    handle.remove()
    y.backward()
    assert x.grad == 5.0 and q.grad == 1.0


@pytest.mark.parametrize("name", ["sum", "max", "logsumexp"])
def test_full_reduction_vjps_answer_in_the_inputs_dtype(name):
    """A full reduction's gradient (upstream a Python float) comes back in its input's
    dtype. In float64 it was cast back at the edge, but only after the VJP itself had
    made a float64 array, an extra pass (and a float64 multiply in max's and
    logsumexp's rules) on every float32 backward."""
    from tinygrad_edu.core import OPS

    op = OPS[name]
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    out = op.forward(x)
    assert op.vjps[0](1.0, out, x).dtype == np.float32


def test_create_graph_keeps_float32():
    """Gradients built with create_graph=True keep a float32 input's dtype, to any order.
    Oracle: closed forms, d/dx Σx² = 2x and d/dx Σ(2x)² = 8x."""
    x = Value(np.array([0.0, 1.0, 2.0], dtype=np.float32))
    (g,) = grad((x * x).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [0.0, 2.0, 4.0])
    (h,) = grad((g * g).sum(), x)
    assert h.dtype == np.float32
    np.testing.assert_array_equal(h.data, [0.0, 8.0, 16.0])


@pytest.mark.parametrize("name", ["relu", "maximum", "minimum"])
def test_create_graph_keeps_float32_through_masks(name):
    """Mask-based rules (relu, maximum, minimum) keep float32 when recorded.
    Oracle: the closed-form masks [x > 0], [x ≥ 0.5], [x ≤ 0.5]."""
    x = Value(np.array([0.3, -0.7, 1.2], dtype=np.float32))
    out = {"relu": lambda: x.relu(), "maximum": lambda: x.maximum(0.5),
           "minimum": lambda: x.minimum(0.5)}[name]()
    (g,) = grad(out.sum(), x, create_graph=True)
    assert g.dtype == np.float32
    expected = {"relu": x.data > 0, "maximum": x.data >= 0.5, "minimum": x.data <= 0.5}[name]
    np.testing.assert_array_equal(g.data, expected.astype(np.float32))

