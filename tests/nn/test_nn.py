"""Tests for tinygrad_edu.nn: parameter discovery, layers, the scalar path, whole-model gradients.

Oracles: forward values are recomputed in plain NumPy from the layers' own weights
(``x @ W + b`` written out independently); gradients through whole models are compared
with central differences (``check.gradcheck`` / ``check.numerical_grad``, float64).
"""

import numpy as np
import pytest

from tinygrad_edu import Value, losses, nn
from tinygrad_edu.check import numerical_grad


# ------------------------------------------------------------------ Module
class Pair(nn.Module):
    def __init__(self):
        self.a = nn.Linear(2, 3, rng=0)
        self.blocks = [nn.Linear(3, 3, rng=1), nn.ReLU(), nn.Linear(3, 1, bias=False, rng=2)]
        self.scale = Value(1.5)
        self.constant = Value(2.0, requires_grad=False)   # not a parameter

    def __call__(self, x):
        for layer in [self.a, *self.blocks]:
            x = layer(x)
        return x * self.scale


def test_named_parameters_use_dotted_paths_in_attribute_order():
    names = [n for n, _ in Pair().named_parameters()]
    assert names == ["a.weight", "a.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.2.weight", "scale"]


def test_named_parameters_prefix_is_joined_with_a_dot():
    # PyTorch's convention: the prefix names the module itself, so a dot separates it
    names = [n for n, _ in nn.Linear(2, 3, rng=0).named_parameters("encoder")]
    assert names == ["encoder.weight", "encoder.bias"]
    seq_names = [n for n, _ in nn.Sequential(nn.Linear(2, 2, rng=0)).named_parameters("m")]
    assert seq_names == ["m.0.weight", "m.0.bias"]


def test_shared_parameter_listed_once():
    class Tied(nn.Module):
        def __init__(self):
            self.first = nn.Linear(2, 2, rng=0)
            self.second = self.first
    assert [n for n, _ in Tied().named_parameters()] == ["first.weight", "first.bias"]


def test_parameters_and_counts():
    model = Pair()
    # 2·3 + 3 + 3·3 + 3 + 3·1 + 1 scalar
    assert model.num_parameters() == 6 + 3 + 9 + 3 + 3 + 1
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())


def test_zero_grad_clears_every_parameter():
    model = Pair()
    model(np.ones((4, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_eval_flag_reaches_children():
    model = Pair()
    assert model.training and model.blocks[0].training
    assert model.eval() is model
    assert not model.training and not model.a.training and not model.blocks[2].training
    model.train()
    assert model.blocks[1].training


def test_repr_lists_children_with_settings():
    text = repr(nn.MLP([4, 8, 3], rng=0))
    assert "(0): Linear(in_features=4, out_features=8, bias=True)" in text
    assert "(1): ReLU()" in text
    assert text.startswith("MLP(") and text.endswith(")")


# ------------------------------------------------------------------ Linear
def test_linear_forward_is_x_at_w_plus_b():
    layer = nn.Linear(3, 2, rng=np.random.default_rng(5))
    x = np.random.default_rng(1).standard_normal((4, 3))
    expected = x @ layer.weight.data + layer.bias.data   # the layer's definition
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12)
    np.testing.assert_allclose(layer(x[0]).data, expected[0], rtol=1e-12)   # one vector


def test_linear_without_bias_has_only_weight():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(np.eye(3)).data, layer.weight.data)


def test_linear_init_is_seeded_and_bounded():
    a, b = nn.Linear(16, 8, rng=3), nn.Linear(16, 8, rng=3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    # documented: U(−1/√in, 1/√in) with in = 16 → bound 0.25
    assert np.all(np.abs(a.weight.data) <= 0.25) and np.all(np.abs(a.bias.data) <= 0.25)
    big = nn.Linear(100, 400, rng=0).weight.data
    # the uniform's standard deviation is bound/√3
    assert abs(big.std() - 0.1 / np.sqrt(3)) < 0.003


def test_linear_rejects_wrong_input_width_naming_shapes():
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*\(4, 5\)"):
        nn.Linear(3, 2, rng=0)(np.ones((4, 5)))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 2)


def test_linear_gradients_match_central_differences():
    """The layer's own weight, bias and input gradients vs central differences of x @ W + b."""
    layer = nn.Linear(3, 2, rng=0)
    x = Value(np.random.default_rng(2).standard_normal((5, 3)))

    def f(w, b, xv):
        return (xv @ w + b).tanh().sum()
    layer(x).tanh().sum().backward()   # autograd through the Linear module itself
    numeric = numerical_grad(f, [layer.weight.data, layer.bias.data, x.data])
    for got, expected in zip((layer.weight.grad, layer.bias.grad, x.grad), numeric,
                             strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------ MLP / Sequential
def test_mlp_structure_and_activation_names():
    model = nn.MLP([5, 7, 6, 2], activation="tanh", output_activation="sigmoid", rng=0)
    kinds = [type(layer).__name__ for layer in model.net.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 2], activation="swish")
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([3])


def test_mlp_forward_matches_numpy_recomputation():
    model = nn.MLP([4, 6, 3], activation="relu", rng=1)
    x = np.random.default_rng(0).standard_normal((8, 4))
    l1, l2 = model.net[0], model.net[2]
    hidden = np.maximum(x @ l1.weight.data + l1.bias.data, 0)
    expected = hidden @ l2.weight.data + l2.bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_whole_mlp_loss_gradient_matches_central_differences(activation):
    """d(loss)/d(every weight) of a 3-layer MLP vs central differences, per parameter."""
    model = nn.MLP([3, 4, 4, 2], activation=activation, rng=7)
    rng = np.random.default_rng(3)
    x, labels = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    params = model.parameters()

    # The same network written out by hand, so central differences can perturb weights.
    def functional(*ws):
        h = x
        for i in range(3):   # Linear layers sit at net[0], net[2], net[4]
            h = h @ ws[2 * i] + ws[2 * i + 1]
            if i < 2:
                h = getattr(h, activation)()
        return losses.cross_entropy(h, labels)
    datas = [p.data for p in params]
    model.zero_grad()
    loss = losses.cross_entropy(model(x), labels)
    assert loss.data == pytest.approx(functional(*map(Value, datas)).data, rel=1e-12)
    loss.backward()   # autograd through the real model
    numeric = numerical_grad(functional, datas)
    for p, n in zip(params, numeric, strict=True):
        np.testing.assert_allclose(p.grad, n, rtol=1e-5, atol=1e-7)


def test_sequential_accepts_plain_callables_and_indexes():
    seq = nn.Sequential(nn.Linear(2, 2, rng=0), lambda v: v * 2.0, nn.Tanh())
    x = np.array([[0.1, -0.2]])
    lin = seq[0]
    expected = np.tanh(2.0 * (x @ lin.weight.data + lin.bias.data))
    np.testing.assert_allclose(seq(x).data, expected, rtol=1e-12)
    assert len(seq) == 3
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


@pytest.mark.parametrize("module, fn", [
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Identity(), lambda x: x),
])
def test_activation_modules_match_their_formulas(module, fn):
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(module(Value(x)).data, fn(x), rtol=1e-12, atol=1e-15)
    assert module.parameters() == []


# ------------------------------------------------------------------ scalar path
def test_scalar_neuron_computes_b_plus_sum_w_x():
    n = nn.scalar.Neuron(3, activation="tanh", rng=0)
    x = [0.5, -1.0, 2.0]
    pre = n.b.data + sum(w.data * xi for w, xi in zip(n.w, x, strict=True))
    assert n(x).data == pytest.approx(np.tanh(pre), rel=1e-12)
    assert all(type(w.data) is float for w in n.w)   # one scalar Value per weight


def test_scalar_mlp_is_micrograd_shaped():
    net = nn.scalar.MLP(2, [16, 16, 1], rng=0)
    # (2+1)·16 + (16+1)·16 + (16+1)·1 = 337, the micrograd demo network
    assert net.num_parameters() == 337 == len(net.parameters())
    assert net.layers[-1].neurons[0].activation is None      # linear output
    names = [n for n, _ in net.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    init = np.array([p.data for p in net.parameters()])
    assert np.all(np.abs(init) <= 1.0)   # documented U(−1, 1)


def test_scalar_graph_has_one_node_per_weight_product():
    from tinygrad_edu.core import topological_order
    net = nn.scalar.MLP(2, [2, 1], activation="tanh", rng=0)
    out = net([1.0, 2.0])
    ops = [v.op.name for v in topological_order(out) if v.op is not None]
    # 3 neurons × (2 inputs): 6 muls, 6 adds, 2 tanh on the hidden neurons
    assert ops.count("mul") == 6 and ops.count("add") == 6 and ops.count("tanh") == 2


def test_scalar_mlp_gradients_match_central_differences():
    """The scalar and tensor paths agree on values and gradients with the same weights."""
    net = nn.scalar.MLP(3, [4, 2], activation="tanh", rng=4)
    x = [0.3, -0.7, 1.1]
    layers = net.layers
    W1 = np.array([[w.data for w in n.w] for n in layers[0].neurons]).T
    b1 = np.array([n.b.data for n in layers[0].neurons])
    W2 = np.array([[w.data for w in n.w] for n in layers[1].neurons]).T
    b2 = np.array([n.b.data for n in layers[1].neurons])

    def f(w1, c1, w2, c2):
        return losses.half_sse((np.array(x) @ w1 + c1).tanh() @ w2 + c2, np.array([1.0, -1.0]))
    loss = losses.half_sse(net(x), [1.0, -1.0])
    assert loss.data == pytest.approx(f(*map(Value, (W1, b1, W2, b2))).data, rel=1e-12)
    loss.backward()
    g1, gb1, g2, gb2 = numerical_grad(f, [W1, b1, W2, b2])
    got = [np.array([[w.grad for w in n.w] for n in layers[0].neurons]).T,
           np.array([n.b.grad for n in layers[0].neurons]),
           np.array([[w.grad for w in n.w] for n in layers[1].neurons]).T,
           np.array([n.b.grad for n in layers[1].neurons])]
    for name, g, expected in zip(("W1", "b1", "W2", "b2"), got, (g1, gb1, g2, gb2),
                                 strict=True):
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-9, err_msg=name)


def test_scalar_neuron_rejects_wrong_input_count():
    with pytest.raises(ValueError, match="expected 3 inputs, got 2"):
        nn.scalar.Neuron(3, rng=0)([1.0, 2.0])


@pytest.mark.parametrize("sizes", [(2, 0), (0, 3)])
def test_scalar_layer_rejects_empty_sizes(sizes):
    with pytest.raises(ValueError, match="Layer: sizes must be positive"):
        nn.scalar.Layer(*sizes)
