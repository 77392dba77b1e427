"""Tests for tinygrad_edu.optim: SGD and Adam against first steps computed by hand.

Oracles: the update rules written out in closed form in each test (PyTorch's SGD
convention, Kingma & Ba's Adam with bias correction), evaluated on loss = ½·Σ w²
(whose gradient is w itself) or on a fixed gradient set directly.
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value, nn, optim


def quadratic_step(opt, params):
    """One step on loss = ½ Σ w² (gradient = w)."""
    opt.zero_grad()
    total = 0.0
    for p in params:
        total = total + (p * p).sum() * 0.5 if p.shape else total + p * p * 0.5
    total.backward()
    opt.step()


def test_sgd_plain_first_step():
    w = Value(np.array([1.0, -2.0]))
    quadratic_step(optim.SGD([w], lr=0.1), [w])
    np.testing.assert_allclose(w.data, [1.0 - 0.1 * 1.0, -2.0 - 0.1 * -2.0])   # w − lr·w


def test_sgd_scalar_parameter_stays_a_float():
    w = Value(3.0)
    quadratic_step(optim.SGD([w], lr=0.5), [w])
    assert type(w.data) is float and w.data == pytest.approx(1.5)     # 3 − 0.5·3


def test_sgd_momentum_two_steps_by_hand():
    w0, lr, mu = 2.0, 0.1, 0.9
    w = Value(w0)
    opt = optim.SGD([w], lr=lr, momentum=mu)
    quadratic_step(opt, [w])
    b1 = w0                              # the buffer starts as the first gradient
    w1 = w0 - lr * b1
    assert w.data == pytest.approx(w1, rel=1e-14)
    quadratic_step(opt, [w])
    b2 = mu * b1 + w1                     # gradient at w1 is w1
    assert w.data == pytest.approx(w1 - lr * b2, rel=1e-14)


def test_sgd_nesterov_and_weight_decay_first_two_steps():
    w0, lr, mu, wd = 1.0, 0.1, 0.5, 0.01
    w = Value(np.array([w0]))
    opt = optim.SGD([w], lr=lr, momentum=mu, weight_decay=wd, nesterov=True)
    quadratic_step(opt, [w])
    g1 = w0 + wd * w0
    b1 = g1
    w1 = w0 - lr * (g1 + mu * b1)
    np.testing.assert_allclose(w.data, [w1], rtol=1e-14)
    quadratic_step(opt, [w])
    g2 = w1 + wd * w1
    b2 = mu * b1 + g2
    np.testing.assert_allclose(w.data, [w1 - lr * (g2 + mu * b2)], rtol=1e-14)


def test_adam_first_two_steps_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w0 = np.array([0.5, -3.0, 0.0])
    w = Value(w0.copy())
    opt = optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    quadratic_step(opt, [w])
    g = w0
    m, v = (1 - b1) * g, (1 - b2) * g * g
    w1 = w0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    # on step one this is w − lr·sign(g) (where g ≠ 0)
    np.testing.assert_allclose(w1[:2], w0[:2] - lr * np.sign(w0[:2]), rtol=1e-6)
    np.testing.assert_allclose(w.data, w1, rtol=1e-14)
    quadratic_step(opt, [w])
    g = w1
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    w2 = w1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps)
    np.testing.assert_allclose(w.data, w2, rtol=1e-14)


def test_adam_scalar_with_weight_decay():
    lr, wd = 0.1, 0.5
    w = Value(2.0)
    quadratic_step(optim.Adam([w], lr=lr, weight_decay=wd), [w])
    g = 2.0 + wd * 2.0
    expected = 2.0 - lr * g / (math.sqrt(g * g) + 1e-8)
    assert type(w.data) is float and w.data == pytest.approx(expected, rel=1e-14)


def test_parameters_without_grad_are_skipped_and_updates_not_recorded():
    a, b = Value(np.ones(2)), Value(np.ones(2))
    opt = optim.SGD([a, b], lr=0.1)
    (a * 3.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.data, [0.7, 0.7])     # 1 − 0.1·3
    np.testing.assert_allclose(b.data, [1.0, 1.0])
    assert a.is_leaf and b.is_leaf


def test_zero_grad_clears():
    w = Value(np.ones(3))
    opt = optim.Adam([w])
    w.sum().backward()
    opt.zero_grad()
    assert w.grad is None


def test_state_dict_round_trip_continues_identically():
    """Two optimizers, one restored from the other's state, take identical next steps."""
    def make():
        model = nn.Linear(3, 2, rng=0)
        return model, optim.Adam(model.parameters(), lr=0.05)
    x = np.random.default_rng(1).standard_normal((4, 3))

    def step(model, opt):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()
    m1, o1 = make()
    for _ in range(3):
        step(m1, o1)
    m2, o2 = make()
    for p, q in zip(m2.parameters(), m1.parameters(), strict=True):
        p.data = q.data.copy()
    saved = o1.state_dict()
    o2.load_state_dict(saved)
    step(m1, o1)
    step(m2, o2)
    for p, q in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert o2.steps == 4
    # the state is a copy: stepping o1 did not change what state_dict returned
    assert o1.state_dict()["slots.0.m"] is not saved["slots.0.m"]
    assert saved["steps"] == 3


def test_state_survives_an_npz_file_without_pickle(tmp_path):
    """The issue's "state that can be saved": np.savez, np.load(allow_pickle=False), resume.

    Oracle: an optimizer that never stopped takes the identical next step.
    """
    w0 = np.array([0.5, -3.0])
    a, b = Value(w0.copy()), Value(w0.copy())
    opt_a = optim.Adam([a], lr=0.01, betas=(0.8, 0.99))
    for _ in range(2):
        quadratic_step(opt_a, [a])
    np.savez(tmp_path / "opt.npz", **opt_a.state_dict())
    b.data[:] = a.data
    opt_b = optim.Adam([b], lr=0.5)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as archive:
        opt_b.load_state_dict(archive)
    assert opt_b.lr == 0.01 and opt_b.betas == (0.8, 0.99) and opt_b.steps == 2
    quadratic_step(opt_a, [a])
    quadratic_step(opt_b, [b])
    np.testing.assert_array_equal(b.data, a.data)


def test_load_state_dict_rejects_mismatch_without_changing_anything():
    opt = optim.SGD([Value(np.ones(2)), Value(1.0)], lr=0.1, momentum=0.9)
    bad = {"parameters": 2, "hyper.lr": 5.0, "steps": 7,
           "slots.0.momentum_buffer": np.ones(3), "slots.1.momentum_buffer": 0.0,
           "slots.1.velocity": 0.0, "hyper.gamma": 1.0}
    with pytest.raises(ValueError) as info:
        opt.load_state_dict(bad)
    message = str(info.value)     # every problem in one message
    assert "parameter 0: slot 'momentum_buffer' has shape (3,)" in message
    assert "unknown key 'slots.1.velocity'" in message
    assert "unknown key 'hyper.gamma'" in message
    assert opt.lr == 0.1 and opt.steps == 0 and opt.state == [{}, {}]
    with pytest.raises(ValueError, match="state is for 1 parameters"):
        opt.load_state_dict({"parameters": 1, "steps": 0})


def test_bad_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="SGD"):
        optim.SGD([Value(1.0)], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Adam"):
        optim.Adam([Value(1.0)], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match="parameter 0 is ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_the_same_parameter_twice_is_an_error_naming_both_positions():
    # Listed twice it would get two updates per step.
    w = Value(1.0)
    with pytest.raises(ValueError, match="SGD: parameter 2 is the same Value as parameter 0"):
        optim.SGD([w, Value(2.0), w], lr=0.1)
