"""LayerNorm, BatchNorm1d/2d, Dropout and Embedding; buffers saved with the weights.

Oracles: PyTorch at float64 (forward, gradients, running statistics; skipped without
torch), central differences (tinygrad_edu.check.gradcheck), and the definitions: a
normalised row has mean 0 and variance 1, dropout keeps about 1 − p of the elements
and scales them by 1/(1 − p), an embedding row used k times gets k upstreams.
"""

import numpy as np
import pytest

from tinygrad_edu import Value, io, nn
from tinygrad_edu.check import gradcheck
from tinygrad_edu.nn.weights import WeightsError


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _check_grads(pairs):
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ LayerNorm


@pytest.mark.parametrize("shape", [5, (3, 4)])
def test_layer_norm_matches_torch(torch, shape):
    rng = np.random.default_rng(0)
    norm = nn.LayerNorm(shape, eps=1e-3)
    norm.weight.data = rng.normal(size=norm.weight.shape)
    norm.bias.data = rng.normal(size=norm.bias.shape)
    x = rng.normal(size=(2,) + norm.normalized_shape)
    theirs = torch.nn.LayerNorm(shape, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(norm.weight.data))
        theirs.bias.copy_(torch.tensor(norm.bias.data))
    xv, xt = Value(x), torch.tensor(x, requires_grad=True)
    out, expected = norm(xv), theirs(xt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    _check_grads([(xv, xt), (norm.weight, theirs.weight), (norm.bias, theirs.bias)])


def test_layer_norm_normalises_rows_and_passes_gradcheck():
    x = np.random.default_rng(1).normal(3.0, 5.0, size=(4, 6))
    out = nn.LayerNorm(6, elementwise_affine=False)(x).data
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1.0, rtol=1e-5)   # eps 1e-5 vs var ≈ 25
    assert nn.LayerNorm(6, elementwise_affine=False).parameters() == []
    assert gradcheck(lambda v: nn.LayerNorm(6)(v), [x])
    with pytest.raises(ValueError, match=r"LayerNorm\(\(6,\)\).*got input shape \(4, 5\)"):
        nn.LayerNorm(6)(np.zeros((4, 5)))


# ------------------------------------------------------------------ BatchNorm


@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 2, 5))])
def test_batch_norm_matches_torch_in_train_and_eval(torch, cls, shape):
    rng = np.random.default_rng(2)
    ours = getattr(nn, cls)(3, momentum=0.3)
    theirs = getattr(torch.nn, cls)(3, momentum=0.3, dtype=torch.float64)
    ours.weight.data = rng.normal(size=3)
    ours.bias.data = rng.normal(size=3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    for _ in range(2):  # two training steps: the running statistics move twice
        x = rng.normal(2.0, 3.0, size=shape)
        xv, xt = Value(x), torch.tensor(x, requires_grad=True)
        out, expected = ours(xv), theirs(xt)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-11, atol=1e-12)
        upstream = rng.normal(size=shape)
        ours.zero_grad()
        theirs.zero_grad()
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        _check_grads([(xv, xt), (ours.weight, theirs.weight), (ours.bias, theirs.bias)])
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-13)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=shape)
    xv, xt = Value(x), torch.tensor(x, requires_grad=True)
    out, expected = ours(xv), theirs(xt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    out.backward(np.ones(shape))
    expected.backward(torch.ones(shape, dtype=torch.float64))
    _check_grads([(xv, xt)])


def test_batch_norm_statistics_by_hand_and_gradcheck():
    x = np.array([[1.0], [2.0], [6.0]])
    bn = nn.BatchNorm1d(1, momentum=0.5)
    bn(x)
    # mean 3; unbiased variance (4 + 1 + 9) / 2 = 7: halfway from (0, 1)
    assert bn.running_mean.tolist() == [1.5] and bn.running_var.tolist() == [4.0]
    assert gradcheck(lambda v: nn.BatchNorm2d(2)(v),
                     [np.random.default_rng(3).normal(size=(3, 2, 2, 2))])


def test_batch_norm_buffers_are_saved_loaded_and_a_bad_load_changes_nothing(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    model(np.random.default_rng(4).normal(size=(8, 3)))
    path = tmp_path / "bn.npz"
    io.save(model, path)
    fresh = nn.Sequential(nn.Linear(3, 4, rng=1), nn.BatchNorm1d(4))
    assert sorted(io.state_dict(fresh)) == ["0.bias", "0.weight", "1.bias", "1.running_mean",
                                            "1.running_var", "1.weight"]
    io.load(fresh, path)
    np.testing.assert_array_equal(fresh[1].running_mean, model[1].running_mean)
    np.testing.assert_array_equal(fresh[1].running_var, model[1].running_var)
    x = np.random.default_rng(5).normal(size=(2, 3))
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)

    wrong = nn.Sequential(nn.Linear(3, 4, rng=2), nn.BatchNorm1d(5))
    before = {k: v.copy() for k, v in io.state_dict(wrong).items()}
    with pytest.raises(WeightsError, match=r"1\.running_mean: shape \(4,\) in the file"):
        io.load(wrong, path)
    after = io.state_dict(wrong)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_batch_norm_refuses_one_value_per_channel_and_wrong_shapes():
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))


# ------------------------------------------------------------------ Dropout


def test_dropout_is_seeded_scaled_and_the_identity_in_eval():
    x = Value(np.ones((200, 50)))
    first, second = nn.Dropout(0.3, rng=7)(x), nn.Dropout(0.3, rng=7)(x)
    np.testing.assert_array_equal(first.data, second.data)
    kept = first.data != 0
    assert set(np.unique(first.data)) == {0.0, 1 / 0.7}
    assert abs(kept.mean() - 0.7) < 0.02          # 10,000 draws: σ ≈ 0.005
    first.sum().backward()
    np.testing.assert_array_equal(x.grad, kept / 0.7)
    drop = nn.Dropout(0.3, rng=7).eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="Dropout: p must be a probability"):
        nn.Dropout(1.5)


def test_dropout_mask_selects_an_infinite_upstream():
    x = Value(np.ones(20))
    out = nn.Dropout(0.5, rng=0)(x)
    out.backward(np.full(20, np.inf))
    assert not np.isnan(x.grad).any()             # dropped elements get 0, not 0·inf


# ------------------------------------------------------------------ Embedding


def test_embedding_matches_torch_with_repeated_ids(torch):
    emb = nn.Embedding(6, 3, rng=0)
    ids = np.array([[0, 2, 2], [5, 2, 0]])
    theirs = torch.nn.Embedding(6, 3, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(emb.weight.data))
    out, expected = emb(ids), theirs(torch.tensor(ids))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    upstream = np.random.default_rng(1).normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    _check_grads([(emb.weight, theirs.weight)])


def test_embedding_gradient_adds_repeats_and_ids_are_checked():
    emb = nn.Embedding(4, 2, rng=0)
    emb(np.array([3, 1, 3, 3])).sum().backward()
    assert emb.weight.grad.tolist() == [[0, 0], [1, 1], [0, 0], [3, 3]]
    with pytest.raises(IndexError, match=r"ids must be in \[0, 4\), got values from 0 to 4"):
        emb(np.array([0, 4]))
    with pytest.raises(TypeError, match="ids must be integers"):
        emb(np.array([0.0]))


def test_train_eval_switch_reaches_nested_layers():
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sequential(nn.Dropout(0.5)))
    model.eval()
    assert not model[1][0].training
    model.train()
    assert model[1][0].training
