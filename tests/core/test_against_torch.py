"""Random expression graphs against PyTorch (float64), when PyTorch is installed.

PyTorch is an independent oracle for both the forward values and the gradients. It is
never required: without it these tests are skipped.
"""

import numpy as np
import pytest

from tinygrad_edu import OPS, Value
from tinygrad_edu.core import apply

torch = pytest.importorskip("torch")

# How PyTorch spells each elementwise entry of the op table; the test fails if the table
# grows an elementwise op that is missing here, so the oracle never silently shrinks.
TORCH_UNARY = {
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs,
    "sin": torch.sin, "cos": torch.cos, "softplus": torch.nn.functional.softplus,
    "log_sigmoid": torch.nn.functional.logsigmoid,
}
TORCH_BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "pow": torch.pow, "maximum": torch.maximum, "minimum": torch.minimum,
}

# elementwise, continued: checked one row at a time (below) inside its domain, not in the
# random graphs (tan, cosh, arccosh, floor … composed at random leave their domains)
TORCH_CONTINUED = {
    "log1p": torch.log1p, "expm1": torch.expm1, "log2": torch.log2, "log10": torch.log10,
    "exp2": torch.exp2, "square": torch.square, "reciprocal": torch.reciprocal,
    "tan": torch.tan, "sinh": torch.sinh, "cosh": torch.cosh, "arcsin": torch.asin,
    "arccos": torch.acos, "arctan": torch.atan, "arcsinh": torch.asinh,
    "arccosh": torch.acosh, "arctanh": torch.atanh, "floor": torch.floor,
    "ceil": torch.ceil, "round": torch.round, "sign": torch.sign,
    "elu": torch.nn.functional.elu, "arctan2": torch.atan2, "hypot": torch.hypot,
    "logaddexp": torch.logaddexp, "remainder": torch.remainder,
}


def test_oracle_covers_every_elementwise_op():
    table = {n for n, op in OPS.items() if op.kind in ("unary", "binary")}
    assert table == set(TORCH_UNARY) | set(TORCH_BINARY) | set(TORCH_CONTINUED)


@pytest.mark.parametrize("name", sorted(TORCH_CONTINUED))
def test_elementwise_continued_rows_match_pytorch(name):
    op = OPS[name]
    rng = np.random.default_rng(len(name))
    ranges = [op.domain.ranges[min(i, len(op.domain.ranges) - 1)] for i in range(op.arity)]
    data = [rng.uniform(lo, hi, (200,)) for lo, hi in ranges]
    keep = [i for i in range(200) if op.domain.gap(*(d[i] for d in data)) > 1e-3]
    data = [d[keep] for d in data]  # away from the kinks and jumps
    upstream = rng.standard_normal(len(keep))
    ours = [Value(d) for d in data]
    out = apply(op, tuple(ours))
    out.backward(upstream)
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    t_out = TORCH_CONTINUED[name](*theirs)
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-13, atol=1e-15)
    for v, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def _positive(name):
    lo, _ = OPS[name].domain.ranges[0]
    return lo > 0


def _random_graph(rng, n_ops):
    """A random program: a list of (op name, argument slots) over a growing pool."""
    program = []
    pool = 3
    for _ in range(n_ops):
        if rng.random() < 0.5:
            program.append((rng.choice(sorted(TORCH_UNARY)), (int(rng.integers(pool)),)))
        else:
            program.append((rng.choice(sorted(TORCH_BINARY)),
                            (int(rng.integers(pool)), int(rng.integers(pool)))))
        pool += 1
    return program


def _run(program, leaves, unary, binary, positive):
    slots = list(leaves)
    for name, args in program:
        xs = [slots[a] for a in args]
        if _positive(name) or (name == "pow"):
            xs[0] = positive(xs[0])  # keep log, sqrt and pow's base inside their domain
        if name == "div":
            xs[1] = positive(xs[1])
        slots.append(unary[name](*xs) if name in unary else binary[name](*xs))
    return slots[-1]


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs_match_pytorch(seed):
    rng = np.random.default_rng(seed)
    program = _random_graph(rng, 8)
    shapes = [(3, 4), (4,), (1, 4)]
    data = [rng.uniform(-1.5, 1.5, s) for s in shapes]

    ours = [Value(d) for d in data]
    ours_unary = {n: getattr(Value, n) if n != "neg" else Value.__neg__ for n in TORCH_UNARY}
    ours_binary = {
        "add": Value.__add__, "sub": Value.__sub__, "mul": Value.__mul__,
        "div": Value.__truediv__, "pow": Value.__pow__,
        "maximum": Value.maximum, "minimum": Value.minimum,
    }
    out = _run(program, ours, ours_unary, ours_binary,
               lambda v: (v * v + 0.5).sqrt())
    # squash to keep values moderate, then reduce
    loss = (out.tanh() * np.arange(12.0).reshape(3, 4)).sum()
    loss.backward()

    theirs = [torch.tensor(d, dtype=torch.float64, requires_grad=True) for d in data]
    t_out = _run(program, theirs, TORCH_UNARY, TORCH_BINARY,
                 lambda v: torch.sqrt(v * v + 0.5))
    t_loss = (torch.tanh(t_out) * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum()
    t_loss.backward()

    np.testing.assert_allclose(loss.data, t_loss.item(), rtol=1e-12, atol=1e-12)
    for v, t in zip(ours, theirs, strict=True):
        if t.grad is None:  # the random program never used this leaf
            assert v.grad is None
            continue
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_matmul_softmax_cross_entropy_matches_pytorch():
    rng = np.random.default_rng(7)
    X, W = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 1, 0])
    w = Value(W)
    loss = -(X @ w).log_softmax(axis=1)[np.arange(5), labels].mean()
    loss.backward()
    tw = torch.tensor(W, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ tw, torch.tensor(labels))
    t_loss.backward()
    np.testing.assert_allclose(loss.data, t_loss.item(), rtol=1e-13)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12, atol=1e-14)
