"""trace(fn): a recorded-and-replayed function gives the eager engine's numbers.

Most tests here are *differential*: the same Python function is run eagerly (no trace,
a fresh graph per call) and traced (recorded once, replayed as generated code), and
forward values and leaf ``.grad`` must agree. The eager engine is the oracle because it
shares no code path with the replay (no tape, no generated source). Where a closed
form exists it is checked too, and so are central differences in float64
(``check.numerical_grad``) and PyTorch when it is installed.
"""

import gc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import OPS, Value, detect_anomaly, no_grad
from tinygrad_edu.bench.article2 import LR, W_HIDDEN, W_OUTPUT, T, X
from tinygrad_edu.check import numerical_grad
from tinygrad_edu.core import AnomalyError, apply
from tinygrad_edu.jit import TraceWarning, trace
from tinygrad_edu.jit.traced import MAX_TAPES


def _fresh(*arrays):
    return [Value(np.array(a, dtype=float)) for a in arrays]


def _same(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=tol, atol=tol)


# ----------------------------------------------------------------- article II loop
def _article2_run(traced: bool, iterations: int = 200):
    """Article II's loop body (2-3-1 sigmoid net, ½Σ(o−t)², lr 0.05), in-place updates."""
    w_h, w_o = Value(W_HIDDEN.copy()), Value(W_OUTPUT.copy())

    def loss_of():
        hidden = (X @ w_h).sigmoid()
        out = (hidden @ w_o).sigmoid()
        return (0.5 * (out - T) ** 2).sum()

    loss_fn = trace(loss_of) if traced else loss_of
    losses = []
    for _ in range(iterations):
        loss = loss_fn()
        loss.backward()
        losses.append(loss.item())
        with no_grad():
            for w in (w_h, w_o):
                w.data -= LR * w.grad
                w.grad = None
    return losses, w_h.data, w_o.data, loss_fn


def test_article2_training_loop_matches_eager_exactly():
    # Differential test: eager engine vs replay. Equality is exact (not just ≤1e-12)
    # because the replay calls the same op-table forward and VJP functions on the same
    # arrays, in the same order, and sums contributions in the engine's order.
    eager_losses, eager_wh, eager_wo, _ = _article2_run(traced=False)
    losses, wh, wo, traced = _article2_run(traced=True)
    assert losses == eager_losses
    np.testing.assert_array_equal(wh, eager_wh)
    np.testing.assert_array_equal(wo, eager_wo)
    assert traced.recordings == 1
    # The loss falls over training (the article's point) and the first loss is the
    # article's forward with the initial weights, recomputed here in plain NumPy.
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    first = (0.5 * (sig(sig(X @ W_HIDDEN) @ W_OUTPUT) - T) ** 2).sum()
    assert losses[0] == pytest.approx(first, rel=1e-12)
    assert losses[-1] < losses[0]


def test_article2_gradient_matches_hand_derivation():
    # Closed form: article II's hand-derived dE/dW (sigmoid' = s(1−s)).
    w_h, w_o = Value(W_HIDDEN.copy()), Value(W_OUTPUT.copy())
    step = trace(lambda: (0.5 * (((X @ w_h).sigmoid() @ w_o).sigmoid() - T) ** 2).sum())
    for _ in range(3):  # record, first replay (data loop), compiled replay
        w_h.grad = w_o.grad = None
        step().backward()
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(X @ W_HIDDEN)
    o = sig(h @ W_OUTPUT)
    delta_o = (o - T) * o * (1 - o)
    _same(w_o.grad, h.T @ delta_o)
    _same(w_h.grad, X.T @ ((delta_o @ W_OUTPUT.T) * h * (1 - h)))


# ------------------------------------------------------- random graphs (property)
UNARY = sorted(n for n, op in OPS.items() if op.kind == "unary")
BINARY = sorted(n for n, op in OPS.items() if op.kind == "binary")
_POSITIVE = {n for n in UNARY + BINARY if OPS[n].domain.ranges[0][0] > 0}


def _apply(name, args):
    """One op-table entry on Values, inputs squashed into its domain by smooth maps."""
    xs = list(args)
    if name in _POSITIVE:
        xs[0] = (xs[0] * xs[0] + 0.5).sqrt()  # log, sqrt, pow's base: strictly positive
    if name == "div":
        xs[1] = (xs[1] * xs[1] + 0.5).sqrt()
    if name == "pow":
        xs[1] = xs[1].tanh()  # a moderate exponent
    if name == "exp":
        xs[0] = xs[0].tanh()
    return apply(OPS[name], tuple(xs), {})


@st.composite
def _programs(draw):
    """A random program: (op name, argument slots) over a pool that grows by one per op."""
    program, pool = [], 3
    for _ in range(draw(st.integers(2, 7))):
        if draw(st.booleans()):
            program.append((draw(st.sampled_from(UNARY)), (draw(st.integers(0, pool - 1)),)))
        else:
            program.append((draw(st.sampled_from(BINARY)),
                            (draw(st.integers(0, pool - 1)), draw(st.integers(0, pool - 1)))))
        pool += 1
    return program


def _run_program(program, a, b, c):
    slots = [a, b, c]
    for name, args in program:
        slots.append(_apply(name, [slots[i] for i in args]))
    # every slot feeds the loss, so fan-out and unused-looking branches are exercised
    return sum((s * s).sum() * 0.1 for s in slots[3:]) + slots[-1].tanh().sum()


SHAPES = [(2, 3), (3,), (1, 3)]  # broadcast against each other


@settings(max_examples=25, deadline=None)
@given(_programs(), st.integers(0, 2**32 - 1))
def test_random_graphs_traced_equal_eager(program, seed):
    # Differential test: eager engine on a fresh graph per call vs the replayed tape,
    # for the recording call, the first replay (data loop) and the compiled replay.
    rng = np.random.default_rng(seed)
    w = Value(rng.uniform(-1, 1, (3,)))  # a closed-over parameter

    def fn(a, b, c):
        return _run_program(program, a, b * w, c)

    traced = trace(fn)
    for _ in range(3):
        data = [rng.uniform(-1.5, 1.5, s) for s in SHAPES]
        eager_in, traced_in = _fresh(*data), _fresh(*data)
        w.grad = None
        eager_out = fn(*eager_in)
        eager_out.backward()
        eager_w = w.grad
        w.grad = None
        out = traced(*traced_in)
        _same(out.data, eager_out.data)
        out.backward()
        _same(w.grad, eager_w)
        for mine, theirs in zip(traced_in, eager_in, strict=True):
            if theirs.grad is None:  # an input the program never used
                assert mine.grad is None
                continue
            _same(mine.grad, theirs.grad)
            assert mine.grad.shape == theirs.data.shape
    assert traced.recordings == 1


# ------------------------------------------------------------------ broadcasting
def test_broadcast_bias_gradient_is_fitted_on_replay():
    # Closed form: d/db Σ_i (x_i + b)² = 2 Σ_i (x_i + b), summed over the 4 rows.
    b = Value(np.array([0.1, -0.2, 0.3]))
    f = trace(lambda x: ((x + b) ** 2).sum())
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=(4, 3))
        b.grad = None
        f(x).backward()
        assert b.grad.shape == (3,)
        _same(b.grad, 2 * (x + b.data).sum(axis=0))


def test_float32_inputs_keep_float32_gradients():
    # Closed form: d/db Σ (x + b) = number of rows (4), d/dx = 1; dtypes as the leaves'.
    b = Value(np.zeros(3, dtype=np.float32))
    f = trace(lambda x: (x + b).sum())
    for _ in range(3):
        b.grad = None
        x = Value(np.ones((4, 3), dtype=np.float32))
        out = f(x)
        assert out.dtype == (x + b).sum().dtype  # as eager: a 0-d sum is a Python float
        out.backward()
        assert b.grad.dtype == np.float32 and x.grad.dtype == np.float32
        np.testing.assert_array_equal(b.grad, np.full(3, 4.0, dtype=np.float32))
        np.testing.assert_array_equal(x.grad, np.ones((4, 3), dtype=np.float32))


def test_scalar_values():
    # Closed form: d/dx (w·x + sin x) = w + cos x; d/dw = x.
    w = Value(1.5)
    f = trace(lambda x: w * x + x.sin())
    for x0 in (0.3, -1.2, 2.0):
        w.grad = None
        x = Value(x0)
        out = f(x)
        assert type(out.data) is float
        assert out.data == pytest.approx(1.5 * x0 + np.sin(x0), rel=1e-15)
        out.backward()
        assert type(x.grad) is float and type(w.grad) is float
        assert x.grad == pytest.approx(1.5 + np.cos(x0), rel=1e-15)
        assert w.grad == pytest.approx(x0, rel=1e-15)


# ------------------------------------------------------------------- outputs
def _two_outputs(x, w):
    out = (x @ w).tanh()
    return (out ** 2).sum(), out


def test_multiple_outputs_and_backward_on_the_second():
    # Differential test against eager; numerical_grad (float64 central differences).
    w = Value(np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]]))
    f = trace(lambda x: _two_outputs(x, w))
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(size=(4, 3))
        upstream = rng.normal(size=(4, 2))
        w.grad = None
        loss, out = f(x)
        _same(loss.data, (np.tanh(x @ w.data) ** 2).sum())
        out.backward(upstream)
        traced_grad = w.grad
        w_eager = Value(w.data.copy())
        _two_outputs(x, w_eager)[1].backward(upstream)
        _same(traced_grad, w_eager.grad)
        (numeric,) = numerical_grad(lambda v, x=x, u=upstream: ((x @ v).tanh() * u).sum(), [w.data])
        _same(traced_grad, numeric, tol=1e-7)
        w.grad = None
        loss.backward()
        (numeric,) = numerical_grad(lambda v, x=x: ((x @ v).tanh() ** 2).sum(), [w.data])
        _same(w.grad, numeric, tol=1e-7)
    assert f.recordings == 1


def test_node_used_twice_accumulates():
    # Closed form: d/dx Σ (x·x + x) = 2x + 1 (x feeds mul twice and add once).
    f = trace(lambda x: (x * x + x).sum())
    for data in ([1.0, 2.0], [-3.0, 0.5]):
        x = Value(np.array(data))
        f(x).backward()
        _same(x.grad, 2 * np.array(data) + 1)


def test_inputs_not_requiring_grad():
    # Closed form: only w gets a gradient, d/dw Σ x·w = Σ rows of x.
    w = Value(np.array([1.0, 2.0]))
    f = trace(lambda x, y: (x * w + y).sum())
    for k in range(3):
        x = Value(np.full((2, 2), float(k)), requires_grad=False)
        y = np.ones(2)
        w.grad = None
        f(x, y).backward()
        assert x.grad is None
        _same(w.grad, x.data.sum(axis=0))
    assert f.recordings == 1


def test_non_leaf_argument_passes_gradient_into_its_eager_graph():
    # Closed form: z = 3a (eager, outside), loss = Σ z² ⇒ d/da = 18a.
    f = trace(lambda z: (z * z).sum())
    for data in ([1.0, 2.0], [0.5, -1.0], [2.0, 2.0]):
        a = Value(np.array(data))
        z = a * 3.0
        f(z).backward()
        _same(z.grad, 2 * z.data)  # z is an intermediate: it stores this pass's gradient
        _same(a.grad, 18 * np.array(data))
    assert f.recordings == 1


def test_argument_identity_changes_between_calls():
    # Closed form: d/dx Σ x³ = 3x²; each call's gradient goes to the Value passed then.
    f = trace(lambda x: (x ** 3).sum())
    first, second = _fresh([1.0, 2.0], [3.0, -1.0])
    f(first).backward()
    f(second).backward()
    _same(first.grad, [3.0, 12.0])
    _same(second.grad, [27.0, 3.0])


# --------------------------------------------------------------- re-recording
def test_static_arguments_are_part_of_the_key():
    # Closed form: Σ (x·k)² has d/dx = 2k²x.
    f = trace(lambda x, k: ((x * k) ** 2).sum())
    for k in (2.0, 3.0, 2.0):
        x = Value(np.array([1.0, -1.0]))
        f(x, k).backward()
        _same(x.grad, 2 * k * k * x.data)
    assert f.recordings == 2  # 2.0 and 3.0; the second 2.0 reuses the first tape
    assert len(f.tapes) == 2


def test_keyword_static_argument():
    f = trace(lambda x, *, scale=1.0: (x * scale).sum())
    x = Value(np.ones(2))
    assert f(x, scale=2.0).item() == 4.0  # Σ 2·1 over 2 elements
    assert f(x, scale=5.0).item() == 10.0
    assert f.recordings == 2


def test_shape_change_records_again():
    # Closed form: d/dx Σ sin x = cos x.
    f = trace(lambda x: x.sin().sum())
    for n in (3, 4, 3):
        x = Value(np.linspace(-1, 1, n))
        f(x).backward()
        _same(x.grad, np.cos(x.data))
    assert f.recordings == 2


def test_closed_over_parameter_requires_grad_flip_records_again():
    # Closed form: d/dw Σ x·w = Σ x; with requires_grad off, w gets nothing.
    w = Value(np.array([1.0, 2.0]))
    f = trace(lambda x: (x * w).sum())
    x = Value(np.array([3.0, 4.0]))
    f(x).backward()
    _same(w.grad, [3.0, 4.0])
    w.requires_grad = False
    w.grad = None
    x = Value(np.array([3.0, 4.0]))
    f(x).backward()
    assert w.grad is None
    _same(x.grad, [1.0, 2.0])
    assert f.recordings == 2


def test_eviction_after_max_tapes_leaves_a_working_graph():
    # Closed form: d/dx Σ x·w·x = 2xw, d/dw = Σ x² (per element).
    w = Value(2.0)
    f = trace(lambda x: (x * w * x).sum())
    first_x = Value(np.array([1.0, 3.0]))
    first = f(first_x)
    for n in range(3, 3 + MAX_TAPES):  # MAX_TAPES new shapes push the first tape out
        f(Value(np.ones(n)))
    assert len(f.tapes) == MAX_TAPES and f.recordings == MAX_TAPES + 1
    w.grad = None
    first.backward()  # the general engine now, on the recorded graph
    _same(first_x.grad, 2 * first_x.data * 2.0)
    assert w.grad == pytest.approx(10.0)  # 1² + 3²


def test_outputs_outlive_their_traced_function():
    # Closed form: d/dx Σ x·w = w, d/dw = Σ x. Once the traced function is gone its
    # tapes are freed (nothing global keeps them) and what it returned is an ordinary
    # graph over the last call's arguments.
    w = Value(np.array([2.0, -1.0]))
    f = trace(lambda x: (x * w).sum())
    f(Value(np.ones(2)))
    x = Value(np.array([3.0, 5.0]))
    out = f(x)
    tape = weakref.ref(next(iter(f.tapes.values())))
    del f
    gc.collect()
    assert tape() is None
    out.backward()
    _same(x.grad, w.data)
    _same(w.grad, [3.0, 5.0])


# ---------------------------------------------------------------- hooks, anomaly
def test_hook_registered_after_recording_runs_and_replaces_the_gradient():
    # Closed form: d/dx Σ x² = 2x; the hook multiplies the root's upstream by 10.
    f = trace(lambda x: (x * x).sum())
    f(Value(np.ones(2))).backward()
    x = Value(np.array([1.0, 2.0]))
    out = f(x)
    seen = []
    handle = out.register_hook(lambda g: seen.append(g) or g * 10.0)
    out.backward()
    assert seen == [1.0]
    _same(x.grad, [20.0, 40.0])
    handle.remove()
    x = Value(np.array([1.0, 2.0]))
    f(x).backward()
    _same(x.grad, [2.0, 4.0])


def test_hook_on_closed_over_parameter_runs():
    # Closed form: d/dw Σ x·w = Σ x = 3; the hook sees it and doubles it.
    w = Value(1.0)
    w.register_hook(lambda g: 2 * g)
    f = trace(lambda x: (x * w).sum())
    for _ in range(3):
        w.grad = None
        f(np.array([1.0, 2.0])).backward()
        assert w.grad == pytest.approx(6.0)


def test_detect_anomaly_raises_through_a_traced_function():
    # log at 0 has gradient 1/0 = inf: the eager engine raises AnomalyError there.
    f = trace(lambda x: x.log().sum())
    f(Value(np.array([1.0, 2.0]))).backward()
    x = Value(np.array([1.0, 0.0]))
    with np.errstate(divide="ignore"):
        out = f(x)
        with detect_anomaly(), pytest.raises(AnomalyError, match="log"):
            out.backward()


# --------------------------------------------------------------- accumulation
def test_leaves_accumulate_and_intermediates_are_fresh():
    # Differential test: eager does the same two backward calls on one graph.
    w = Value(np.array([0.5, -1.0]))
    w_eager = Value(w.data.copy())

    def make(param):
        def fn(x):
            h = (x * param).tanh()
            h.name = "h"
            return h.sum(), h
        return fn

    f = trace(make(w))
    x = np.array([1.0, 2.0])
    f(x)  # record
    loss, h = f(x)  # replay
    loss.backward()
    loss.backward()  # no zero_grad: leaves add up
    eager_loss, eager_h = make(w_eager)(x)
    eager_loss.backward()
    eager_loss.backward()
    _same(w.grad, w_eager.grad)
    _same(w.grad, 2 * x * (1 - np.tanh(x * w.data) ** 2))  # closed form, twice
    _same(h.grad, eager_h.grad)
    _same(h.grad, np.ones(2))  # d loss / dh = 1, not 2: intermediates are fresh


# ---------------------------------------------------------------------- errors
def test_non_value_return_is_a_type_error():
    f = trace(lambda x: 3.0)
    with pytest.raises(TypeError, match="trace"):
        f(np.ones(2))


def test_unhashable_static_argument_is_a_type_error():
    f = trace(lambda x, sizes: (x * len(sizes)).sum())
    with pytest.raises(TypeError, match="trace.*list"):
        f(np.ones(2), [1, 2])
    assert f.recordings == 0


def test_trace_of_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="trace.*int"):
        trace(3)


def test_returning_an_argument_is_a_type_error():
    with pytest.raises(TypeError, match="trace"):
        trace(lambda x: x)(Value(1.0))


# -------------------------------------------------------------------- warnings
def test_branching_on_a_value_warns_while_recording():
    def fn(x):
        s = x.sum()
        if s:  # Value.__bool__: the branch is baked into the tape
            return s * 2.0
        return s * -1.0

    f = trace(fn)
    with pytest.warns(TraceWarning, match="branched"):
        f(np.array([1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = f(np.array([-5.0, 1.0]))  # replay: no warning, and the recorded branch
    assert out.item() == -8.0  # 2·(−5 + 1), the branch taken while recording


def test_values_computed_under_no_grad_warn_and_keep_recorded_data():
    def fn(x):
        with no_grad():
            frozen = x * 10.0
        return (x + frozen).sum()

    f = trace(fn)
    with pytest.warns(TraceWarning, match="no_grad"):
        f(np.array([1.0]))
    assert f(np.array([2.0])).item() == 12.0  # 2 + 10·1 (the frozen value is not redone)


def test_runs_eagerly_under_no_grad_and_inside_another_recording():
    f = trace(lambda x: (x * 2.0).sum())
    with no_grad():
        out = f(Value(np.array([1.0, 2.0])))
    assert out.item() == 6.0 and not out.requires_grad and f.recordings == 0
    outer = trace(lambda x: f(x) + 1.0)
    assert outer(np.array([1.0, 2.0])).item() == 7.0
    assert f.recordings == 0 and outer.recordings == 1


# ---------------------------------------------------------------------- source
def test_source_is_valid_python_naming_each_op():
    w = Value(np.array([[0.1], [0.2]]))
    f = trace(lambda x: ((x @ w).sigmoid() - 1.0).exp().sum())
    for _ in range(2):
        f(np.ones((3, 2))).backward()
    source = f.tapes[next(iter(f.tapes))].source()
    assert "def forward" in source and "def backward" in source
    for name in ("matmul", "sigmoid", "sub", "exp", "sum"):
        assert name in source
    compile(source, "<tape>", "exec")


# ---------------------------------------------------------------- singular point
def test_float_vjp_at_singular_point_gives_eagers_inf():
    # Differential test: eager sqrt at 0.0 gives d/dx = 1/(2·0) = inf (NumPy semantics
    # after the float ZeroDivisionError); the replay (data loop, then compiled) agrees.
    f = trace(lambda x: x.sqrt())
    for _ in range(3):
        x, x_eager = Value(0.0), Value(0.0)
        x_eager.sqrt().backward()
        f(x).backward()
        assert x_eager.grad == np.inf
        assert x.grad == x_eager.grad


# --------------------------------------------------------------------- PyTorch
def test_replay_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w_data, b_data = rng.normal(size=(3, 2)), rng.normal(size=(2,))
    w, b = Value(w_data.copy()), Value(b_data.copy())
    f = trace(lambda x: ((x @ w + b).softplus() * (x @ w).tanh()).mean())
    tw = torch.tensor(w_data, requires_grad=True)
    tb = torch.tensor(b_data, requires_grad=True)
    for _ in range(3):
        x = rng.normal(size=(5, 3))
        w.grad = b.grad = tw.grad = tb.grad = None
        out = f(x)
        out.backward()
        tx = torch.tensor(x)
        t_out = (torch.nn.functional.softplus(tx @ tw + tb) * torch.tanh(tx @ tw)).mean()
        t_out.backward()
        _same(out.data, t_out.item())
        _same(w.grad, tw.grad.numpy())
        _same(b.grad, tb.grad.numpy())


def test_an_output_this_pass_does_not_reach_has_no_stale_gradient():
    # Eager oracle: each call makes new outputs, whose .grad is None until reached.
    x = Value(np.ones(2))
    f = trace(lambda x: ((x * 2).sum(), (x * 3).sum()))
    a, _ = f(x)
    a.backward()
    a, b = f(x)
    b.backward()
    assert a.grad is None and b.grad == 1.0


def test_tapes_past_the_code_size_limit_replay_as_data(monkeypatch):
    # Differential test against eager: the data loop (used for tapes too long to write
    # out as code) gives the same values and gradients, and no code is written.
    import tinygrad_edu.jit.program as trace_module

    monkeypatch.setattr(trace_module, "MAX_CODE_NODES", 3)
    w = Value(np.array([0.3, -0.2, 0.5]))

    def loss(x):
        return ((x * w).tanh() * x + w).sum()

    f = trace(loss)
    rng = np.random.default_rng(4)
    for _ in range(3):
        x = rng.normal(size=3)
        w.grad = None
        out = f(x)
        out.backward()
        w_eager = Value(w.data.copy())
        expected = loss_eager = ((x * w_eager).tanh() * x + w_eager).sum()
        loss_eager.backward()
        _same(out.data, expected.data)
        _same(w.grad, w_eager.grad)
    (tape,) = f.tapes.values()
    assert len(tape.nodes) > 3 and tape.source() == ""


@pytest.mark.parametrize("loss_name", ["mse", "half_sse", "bce", "bce_with_logits", "hinge"])
def test_losses_see_each_calls_targets(loss_name):
    # Differential test against eager, with targets that change every call: a loss that
    # read its target's .data would replay the first call's targets.
    from tinygrad_edu import losses

    loss = getattr(losses, loss_name)
    w = Value(np.array([[0.4], [-0.7]]))
    f = trace(lambda x, t: loss((x @ w).sigmoid(), t))
    rng = np.random.default_rng(7)
    for _ in range(3):
        x = rng.normal(size=(5, 2))
        t = rng.choice([-1.0, 1.0] if loss_name == "hinge" else [0.0, 1.0], size=(5, 1))
        w.grad = None
        out = f(x, t)
        out.backward()
        w_eager = Value(w.data.copy())
        expected = loss((x @ w_eager).sigmoid(), t)
        expected.backward()
        _same(out.data, expected.data)
        _same(w.grad, w_eager.grad)
    assert f.recordings == 1


def test_cross_entropy_traced_with_one_hot_targets_equals_integer_labels_eagerly():
    # Oracle: eager cross_entropy with integer labels; and closed form for the gradient,
    # (softmax(z) − onehot)/n with respect to the logits z = x @ w.
    from tinygrad_edu import losses

    w = Value(np.array([[0.2, -0.1, 0.4], [0.3, 0.5, -0.6]]))
    f = trace(lambda x, onehot: losses.cross_entropy(x @ w, onehot))
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.normal(size=(6, 2))
        labels = rng.integers(0, 3, size=6)
        w.grad = None
        out = f(x, np.eye(3)[labels])
        out.backward()
        w_eager = Value(w.data.copy())
        expected = losses.cross_entropy(x @ w_eager, labels)
        expected.backward()
        _same(out.data, expected.data)
        _same(w.grad, w_eager.grad)
        z = x @ w.data
        softmax = np.exp(z - z.max(1, keepdims=True))
        softmax /= softmax.sum(1, keepdims=True)
        _same(w.grad, x.T @ (softmax - np.eye(3)[labels]) / 6)


def test_integer_array_argument_is_a_type_error():
    f = trace(lambda x: (x * 2.0).sum())
    with pytest.raises(TypeError, match="trace: argument 0 is a int64 array.*one-hot"):
        f(np.arange(3))


def test_cross_entropy_refuses_integer_labels_given_as_a_value_while_tracing():
    from tinygrad_edu import losses

    w = Value(np.ones((2, 3)))
    f = trace(lambda x, y: losses.cross_entropy(x @ w, y))
    with pytest.raises(TypeError, match="cross_entropy: integer labels inside trace"):
        f(np.ones((2, 2)), Value(np.array([0.0, 2.0])))


def test_rebinding_a_closed_over_parameter_records_again_and_matches_eager():
    # Differential test against eager, with the functional-style update w = Value(...)
    # that replaces the Value the function reads: the tape must not keep the old one.
    def make(w):
        def loss():
            return ((w * w) - 0.5).sum()

        def rebind(new):
            nonlocal w
            w = new

        return loss, rebind, lambda: w

    start = np.array([1.0, -1.0])
    loss, rebind, current = make(Value(start))
    traced = trace(loss)
    eager_w = Value(start)
    with pytest.warns(TraceWarning, match="'w' names a different Value"):
        for _ in range(3):
            out = traced()
            out.backward()
            rebind(Value(current().data - 0.1 * current().grad))
            eager = ((eager_w * eager_w) - 0.5).sum()
            eager.backward()
            _same(out.data, eager.data)
            eager_w = Value(eager_w.data - 0.1 * eager_w.grad)
    _same(current().data, eager_w.data)
    assert traced.recordings == 3


def test_rebinding_a_global_parameter_is_noticed_too():
    # Oracle: closed form, w ← w − 0.1·2w = 0.8·w per step, loss Σw².
    namespace = {"Value": Value, "np": np}
    exec("w = Value(np.array([1.0, 2.0]))\ndef loss():\n    return (w * w).sum()\n", namespace)
    traced = trace(namespace["loss"])
    with pytest.warns(TraceWarning, match="'w' names a different Value"):
        for step in range(3):
            out = traced()
            _same(out.data, 5.0 * 0.64**step)
            out.backward()
            w = namespace["w"]
            namespace["w"] = Value(w.data - 0.1 * w.grad)


def test_in_place_updates_replay_without_recording_again():
    # The documented way: the same Value, new data. Oracle: closed form as above.
    w = Value(np.array([1.0, 2.0]))
    traced = trace(lambda: (w * w).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in range(3):
            out = traced()
            _same(out.data, 5.0 * 0.64**step)
            out.backward()
            with no_grad():
                w.data = w.data - 0.1 * w.grad
            w.grad = None
    assert traced.recordings == 1
