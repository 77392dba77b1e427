"""The engine refuses what would give a wrong number: changed inputs, bad hooks, nan in
anomaly mode, concurrent passes sharing nodes; and the odds and ends of issue 12.

Expected values are closed forms; the thread tests compare with the same computation
run alone (single-threaded), which the closed-form tests of the engine already pin.
"""

import copy
import pickle
import runpy
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import (
    AnomalyError,
    ChangedInputError,
    Value,
    detect_anomaly,
    grad,
    jacobian,
    nn,
    no_grad,
    optim,
    trace,
)
from tinygrad_edu.core import ShapeError


# --------------------------------------------------------- changed inputs (issue 11.3)
def test_assigning_data_after_the_forward_refuses_backward():
    # the reproducer gave [0, 2]; the gradient of Σw² at the forward's w is [2, 4]
    w = Value([1.0, 2.0], name="w")
    loss = (w * w).sum()
    w.data -= 1.0
    with pytest.raises(ChangedInputError, match="'w'.*mul"):
        loss.backward()
    assert w.grad is None  # nothing half-done


@pytest.mark.parametrize("change", [
    lambda w: setattr(w, "data", np.zeros(2)),
    lambda w: w.__setattr__("data", w.data * 2),
    lambda w: optim.SGD([w], lr=0.1).step(),
    lambda w: optim.Adam([w], lr=0.1).step(),
], ids=["assign", "assign-scaled", "sgd", "adam"])
def test_every_api_change_is_detected(change):
    w = Value([1.0, 2.0], name="w")
    w.grad = np.ones(2)  # so that optimizers have something to apply
    loss = (w * 3.0).sum().exp()
    change(w)
    with pytest.raises(ChangedInputError):
        loss.backward()


def test_in_place_operator_under_no_grad_updates_and_counts_as_a_change():
    w = Value([1.0, 2.0])
    loss = (w * w).sum()
    loss.backward()
    with no_grad():
        w -= 0.5 * w.grad  # 1 − 0.5·2, 2 − 0.5·4
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    assert w.is_leaf and w.requires_grad
    with pytest.raises(ChangedInputError):
        loss.backward()


def test_in_place_operator_on_a_leaf_while_recording_is_an_error():
    # PyTorch: "a leaf Variable that requires grad is being used in an in-place operation"
    w = Value([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_in_place_operator_on_a_node_rebinds_like_python():
    x = Value(2.0)
    y = x * 3.0
    y += x  # y = y + x: d/dx (3x + x) = 4
    y.backward()
    assert x.grad == 4.0


def test_in_place_operator_refuses_a_shape_change():
    c = Value([1.0, 2.0], requires_grad=False)
    with pytest.raises(ShapeError, match="shape"):
        c += np.ones((2, 2))


def test_changed_intermediate_data_is_detected():
    x = Value(2.0)
    y = x.exp()
    z = y * 2.0
    y.data = 0.0  # exp's VJP uses its output; mul's uses y
    with pytest.raises(ChangedInputError):
        z.backward()


def test_a_new_forward_after_the_change_is_fine():
    w = Value([1.0, 2.0])
    (w * w).sum().backward()
    with no_grad():
        w.data -= 0.5 * w.grad
    w.grad = None
    (w * w).sum().backward()  # at w = [0, 0]: gradient 2w = 0
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])


def test_traced_function_detects_a_change_between_replay_and_backward():
    w = Value(np.array([1.0, 2.0]), name="w")
    step = trace(lambda x: (w * x).sum() ** 2.0)
    step(np.ones(2)).backward()
    out = step(np.ones(2))  # replayed: compiled code
    w.data = np.zeros(2)
    with pytest.raises(ChangedInputError, match="'w'"):
        out.backward()
    w.grad = None
    step(np.ones(2)).backward()  # replayed after the change: d/dw (w·x)² = 2(w·x)x = 0
    np.testing.assert_array_equal(w.grad, [0.0, 0.0])


# ------------------------------------------------------------------- hooks (11.4)
def test_hook_result_of_the_wrong_shape_is_an_error_naming_node_and_shapes():
    x = Value(np.ones(2))
    y = x * 3
    y.name = "y"
    y.register_hook(lambda g: np.ones((3, 2)))
    with pytest.raises(ShapeError, match=r"'y'.*\(3, 2\).*\(2,\)"):
        y.sum().backward()


def test_hook_result_of_the_wrong_kind_is_an_error():
    x = Value(np.ones(2))
    y = x * 3
    y.register_hook(lambda g: np.array(["a", "b"]))
    with pytest.raises(TypeError, match="dtype"):
        y.sum().backward()


def test_a_right_hook_still_replaces_the_gradient():
    x = Value(np.ones(2))
    y = x * 3
    y.register_hook(lambda g: g * 10)
    y.sum().backward()  # 10 · 3
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])


# ------------------------------------------------------------ anomaly mode (11.6)
def test_anomaly_mode_names_the_first_forward_op_that_made_nan_and_the_line():
    x = Value([-1.0, 4.0])
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        y = x.log()  # log(−1) = nan: this line is named
        _ = y.sum()
    message = str(info.value)
    assert message.startswith("log: the forward result is not finite")
    assert "input shapes (2,)" in message
    assert "test_engine_guards.py" in message and "x.log()" in message


def test_anomaly_mode_backward_error_says_where_the_node_was_made():
    with detect_anomaly():
        x = Value([0.0, 1.0])
        y = x.sqrt()  # fine forward; infinite gradient at 0
        with pytest.raises(AnomalyError, match=r"sqrt: gradient.*made at .*x\.sqrt\(\)"):
            y.sum().backward()


# -------------------------------------------------------- issue 12's odds and ends
def test_no_grad_decorates_generator_functions():
    x = Value(2.0)

    @no_grad()
    def doubled():
        for k in range(3):
            yield x * k

    assert not any(v.requires_grad for v in doubled())
    assert (x * 1).requires_grad  # and recording is back on outside


def test_grad_and_jacobian_say_what_they_expected():
    x = Value(2.0)
    y = x * x
    with pytest.raises(TypeError, match="inputs must be a Value.*got float"):
        grad(y, 5.0)
    with pytest.raises(TypeError, match="jacobian: f must return a Value.*got float"):
        jacobian(lambda v: 3.0, np.ones(2))


def test_intermediate_gradients_never_share_memory():
    # issue 12: after b.grad[0] = 99, c.grad and d.grad changed too
    a = Value(np.ones(3))
    b = a * 2.0
    c = b + 1.0
    d = c + 0.0
    e = d.reshape(3, 1)
    e.sum().backward()
    grads = [b.grad, c.grad, d.grad, e.grad, a.grad]
    for i, g in enumerate(grads):
        for h in grads[i + 1:]:
            assert not np.shares_memory(g, h)
    b.grad[0] = 99.0
    np.testing.assert_array_equal(c.grad, [1.0, 1.0, 1.0])


def test_leaves_pickle_and_deepcopy_graph_nodes_refuse_clearly():
    w = Value([1.0, 2.0], name="w")
    w.grad = np.array([0.5, 0.5])
    for copied in (pickle.loads(pickle.dumps(w)), copy.deepcopy(w)):
        assert copied is not w and copied.name == "w"
        np.testing.assert_array_equal(copied.data, w.data)
        np.testing.assert_array_equal(copied.grad, w.grad)
        assert not np.shares_memory(copied.data, w.data)
    model = nn.MLP([2, 3, 1], rng=0)
    clone = copy.deepcopy(model)  # modules hold leaves: a copy, for a target network
    for (_, p), (_, q) in zip(model.named_parameters(), clone.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert p is not q
    y = w
    for _ in range(100_000):  # deeper than the recursion limit: a clear error, at once
        y = y * 1.0
    with pytest.raises(TypeError, match="io.save"):
        copy.deepcopy(y)
    with pytest.raises(TypeError, match="node of a graph"):
        pickle.dumps(y)


# ----------------------------------------------------------------- threads (11.5)
#: worker(0) and worker(1) in two threads that switch every microsecond, so interleavings
#: that corrupt shared bookkeeping (they did, before passes kept theirs to themselves)
#: happen at once; scripts/threads_check.py runs the same at full size.
run_two = runpy.run_path(str(Path(__file__).resolve().parents[2] / "scripts" /
                             "threads_check.py"))["run_two"]


def _mlp_grads(model, x, t):
    out = model(Value(x, requires_grad=False))
    loss = ((out - t) ** 2.0).sum()
    return [g.data for g in grad(loss, model.parameters())]


def test_two_threads_taking_gradients_of_one_shared_model_get_the_right_numbers():
    model = nn.MLP([3, 8, 1], rng=1)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((5, 3)), rng.standard_normal((5, 1))) for _ in range(6)]
    expected = [_mlp_grads(model, x, t) for x, t in batches]  # one thread, one at a time
    wrong = []

    def worker(offset):
        for rep in range(60):
            k = (rep + offset) % len(batches)
            got = _mlp_grads(model, *batches[k])
            if not all(np.array_equal(a, b) for a, b in zip(got, expected[k], strict=True)):
                wrong.append(k)

    run_two(worker)
    assert wrong == []


def test_two_threads_accumulating_into_shared_leaves_lose_nothing():
    w = Value(np.zeros(4))
    per_thread = 300

    def worker(_):
        for _ in range(per_thread):
            (w * np.arange(4.0)).sum().backward()  # adds [0, 1, 2, 3] each time

    run_two(worker)
    np.testing.assert_array_equal(w.grad, 2 * per_thread * np.arange(4.0))


def test_a_traced_function_called_from_two_threads_keeps_each_threads_data():
    w = Value(np.array([0.5, -0.25]))
    step = trace(lambda x: ((w * x).sum() - 1.0) ** 2.0)
    inputs = {i: np.array([float(i), 1.0]) for i in range(2)}
    wrong = []

    def worker(i):
        x = inputs[i]
        expected = (0.5 * x[0] - 0.25 * x[1] - 1.0) ** 2  # closed form of the loss
        for _ in range(300):
            if step(x).item() != pytest.approx(expected, rel=1e-15):
                wrong.append(i)

    run_two(worker)
    assert wrong == []
