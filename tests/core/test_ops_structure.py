"""The structure ops of issue 14 (repeat, tile, roll, flip, pad, split, array_split,
squeeze, expand_dims, swapaxes, moveaxis, broadcast_to, diff, flatten/ravel, take,
take_along_axis, and HIPS autograd's flipud, fliplr, rot90, rollaxis, h/v/dsplit,
atleast_1d/2d/3d): composites of table rows, reached as ``F.xxx``, ``np.xxx(value)`` and
Value methods.

Oracles: NumPy's own function for the values (and, through float64 central differences
of NumPy's function, for gradients and JVPs: these ops are linear, so the differences are
exact up to rounding); closed-form adjoints (flip's gradient is the flipped upstream,
take's counts repeated indices, pad's is the upstream's inner block); HIPS autograd's
gradients where it has the function.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value
from tinygrad_edu import functional as F
from tinygrad_edu.core import OPS, apply
from tinygrad_edu.core.context import set_recorder
from tinygrad_edu.core.errors import IndexShapeError, ShapeError

A23 = np.array([[0, 1, 1], [2, 0, 1]])

#: (id, the op on a Value, the same op in NumPy, input shape). Each NumPy spelling is the
#: reference; the tinygrad_edu spelling alternates between F.xxx and Value methods.
CASES = [
    ("repeat-scalar-axis1", lambda x: F.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, axis=1),
     (2, 3)),
    ("repeat-counts", lambda x: x.repeat([1, 0, 3], axis=-1),
     lambda a: np.repeat(a, [1, 0, 3], axis=-1), (2, 3)),
    ("repeat-flat", lambda x: F.repeat(x, 3), lambda a: np.repeat(a, 3), (2, 2)),
    ("repeat-flat-counts", lambda x: F.repeat(x, [2, 0, 1, 3]),
     lambda a: np.repeat(a, [2, 0, 1, 3]), (4,)),
    ("repeat-zero", lambda x: F.repeat(x, 0, axis=0), lambda a: np.repeat(a, 0, axis=0), (2, 3)),
    ("tile-2d", lambda x: F.tile(x, (2, 1)), lambda a: np.tile(a, (2, 1)), (2, 3)),
    ("tile-more-reps", lambda x: F.tile(x, (2, 2)), lambda a: np.tile(a, (2, 2)), (3,)),
    ("tile-fewer-reps", lambda x: F.tile(x, 2), lambda a: np.tile(a, 2), (2, 1, 3)),
    ("roll-1d", lambda x: F.roll(x, 2), lambda a: np.roll(a, 2), (5,)),
    ("roll-flat", lambda x: F.roll(x, -1), lambda a: np.roll(a, -1), (2, 3)),
    ("roll-axes", lambda x: F.roll(x, (1, 2), axis=(0, 1)),
     lambda a: np.roll(a, (1, 2), axis=(0, 1)), (2, 3)),
    ("roll-same-axis", lambda x: F.roll(x, (1, 1), axis=(1, 1)),
     lambda a: np.roll(a, (1, 1), axis=(1, 1)), (2, 3)),
    ("roll-full-turn", lambda x: F.roll(x, 3, axis=1), lambda a: np.roll(a, 3, axis=1), (2, 3)),
    ("flip-all", lambda x: F.flip(x), lambda a: np.flip(a), (2, 3)),
    ("flip-axis", lambda x: F.flip(x, 0), lambda a: np.flip(a, 0), (2, 3)),
    ("flip-axes", lambda x: F.flip(x, (0, -1)), lambda a: np.flip(a, (0, -1)), (2, 3, 4)),
    ("pad-1d", lambda x: F.pad(x, (1, 2)), lambda a: np.pad(a, (1, 2)), (3,)),
    ("pad-pairs", lambda x: F.pad(x, ((1, 0), (2, 1)), constant_values=((1, 2), (3, 4))),
     lambda a: np.pad(a, ((1, 0), (2, 1)), constant_values=((1, 2), (3, 4))), (2, 3)),
    ("pad-one", lambda x: F.pad(x, 1, constant_values=-1.5),
     lambda a: np.pad(a, 1, constant_values=-1.5), (2, 3)),
    ("squeeze-all", lambda x: x.squeeze(), lambda a: np.squeeze(a), (1, 3, 1)),
    ("squeeze-axis", lambda x: F.squeeze(x, -1), lambda a: np.squeeze(a, -1), (1, 3, 1)),
    ("expand_dims", lambda x: F.expand_dims(x, 1), lambda a: np.expand_dims(a, 1), (2, 3)),
    ("expand_dims-axes", lambda x: F.expand_dims(x, (0, -1)),
     lambda a: np.expand_dims(a, (0, -1)), (2, 3)),
    ("swapaxes", lambda x: x.swapaxes(0, -1), lambda a: np.swapaxes(a, 0, -1), (2, 3, 4)),
    ("moveaxis", lambda x: F.moveaxis(x, 0, -1), lambda a: np.moveaxis(a, 0, -1), (2, 3, 4)),
    ("moveaxis-many", lambda x: F.moveaxis(x, (0, 1), (2, 0)),
     lambda a: np.moveaxis(a, (0, 1), (2, 0)), (2, 3, 4)),
    ("broadcast_to", lambda x: F.broadcast_to(x, (4, 2, 3)),
     lambda a: np.broadcast_to(a, (4, 2, 3)), (2, 3)),
    ("diff", lambda x: F.diff(x), lambda a: np.diff(a), (2, 4)),
    ("diff-n2-axis0", lambda x: F.diff(x, 2, axis=0), lambda a: np.diff(a, 2, axis=0), (4, 3)),
    ("diff-ends", lambda x: F.diff(x, prepend=1.0, append=np.array([[5.0], [6.0]])),
     lambda a: np.diff(a, prepend=1.0, append=np.array([[5.0], [6.0]])), (2, 3)),
    ("diff-too-far", lambda x: F.diff(x, 5), lambda a: np.diff(a, 5), (4,)),
    ("flatten", lambda x: x.flatten(), lambda a: a.flatten(), (2, 3)),
    ("ravel", lambda x: F.ravel(x), lambda a: np.ravel(a), (2, 1, 3)),
    ("take-flat", lambda x: F.take(x, [5, 0, 5, 5]), lambda a: np.take(a, [5, 0, 5, 5]), (2, 3)),
    ("take-axis", lambda x: x.take(np.array([[2, -1], [0, 2]]), axis=1),
     lambda a: np.take(a, np.array([[2, -1], [0, 2]]), axis=1), (2, 3)),
    ("take-one", lambda x: F.take(x, 1, axis=0), lambda a: np.take(a, 1, axis=0), (2, 3)),
    ("take-wrap", lambda x: F.take(x, [4, -5], axis=1, mode="wrap"),
     lambda a: np.take(a, [4, -5], axis=1, mode="wrap"), (2, 3)),
    ("take-clip", lambda x: F.take(x, [7, -2], axis=1, mode="clip"),
     lambda a: np.take(a, [7, -2], axis=1, mode="clip"), (2, 3)),
    ("take_along_axis", lambda x: F.take_along_axis(x, A23, axis=1),
     lambda a: np.take_along_axis(a, A23, axis=1), (2, 3)),
    ("take_along_axis-broadcast", lambda x: F.take_along_axis(x, np.array([[1, 0, 1, 1]]), 0),
     lambda a: np.take_along_axis(a, np.array([[1, 0, 1, 1]]), 0), (2, 4)),
    ("take_along_axis-flat", lambda x: F.take_along_axis(x, np.array([3, 3, 0]), None),
     lambda a: np.take_along_axis(a, np.array([3, 3, 0]), None), (2, 2)),
    # the rest of HIPS autograd's structure functions
    ("flipud", lambda x: F.flipud(x), lambda a: np.flipud(a), (3, 2)),
    ("fliplr", lambda x: F.fliplr(x), lambda a: np.fliplr(a), (2, 3)),
    ("rot90", lambda x: F.rot90(x), lambda a: np.rot90(a), (2, 3)),
    ("rot90-k3-axes", lambda x: F.rot90(x, 3, (2, 0)), lambda a: np.rot90(a, 3, (2, 0)),
     (2, 3, 4)),
    ("rot90-k-2", lambda x: F.rot90(x, -2), lambda a: np.rot90(a, -2), (2, 3)),
    ("rollaxis", lambda x: F.rollaxis(x, 2, 1), lambda a: np.rollaxis(a, 2, 1), (2, 3, 4)),
    ("rollaxis-back", lambda x: F.rollaxis(x, 0, 3), lambda a: np.rollaxis(a, 0, 3), (2, 3, 4)),
    ("atleast_2d", lambda x: F.atleast_2d(x), lambda a: np.atleast_2d(a), (3,)),
    ("atleast_3d", lambda x: F.atleast_3d(x), lambda a: np.atleast_3d(a), (2, 3)),
]
IDS = [c[0] for c in CASES]


def _input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _central(np_fn, x, t, eps=1e-6):
    """(f(x + εt) − f(x − εt)) / 2ε, NumPy's function in float64."""
    return (np.asarray(np_fn(x + eps * t)) - np.asarray(np_fn(x - eps * t))) / (2 * eps)


def _numeric_grad(np_fn, x, w):
    """∂/∂x Σ w·f(x) by central differences, one unit direction per element of x."""
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[j] = 1.0
        grad[j] = np.sum(w * _central(np_fn, x, e))
    return grad


@pytest.mark.parametrize("name, fn, np_fn, shape", CASES, ids=IDS)
def test_values_match_numpy(name, fn, np_fn, shape):
    x = _input(shape)
    out = fn(Value(x))
    expected = np_fn(x)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(out.data), expected)


@pytest.mark.parametrize("name, fn, np_fn, shape", CASES, ids=IDS)
def test_gradients_match_central_differences(name, fn, np_fn, shape):
    x = _input(shape)
    w = _input(np.shape(np_fn(x)), seed=1)
    v = Value(x)
    (fn(v) * w).sum().backward()
    np.testing.assert_allclose(np.asarray(v.grad), _numeric_grad(np_fn, x, w), rtol=1e-7,
                               atol=1e-9)


@pytest.mark.parametrize("name, fn, np_fn, shape", CASES, ids=IDS)
def test_jvp_matches_central_differences(name, fn, np_fn, shape):
    x, t = _input(shape), _input(shape, seed=2)
    out, tangent = tg.jvp(fn, (x,), (t,))
    np.testing.assert_array_equal(np.asarray(out), np_fn(x))
    np.testing.assert_allclose(np.asarray(tangent), _central(np_fn, x, t), rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------ closed-form adjoints


def test_flip_gradient_is_the_flipped_upstream():
    x, g = Value(_input((2, 3))), _input((2, 3), seed=1)
    F.flip(x, axis=1).backward(g)
    np.testing.assert_array_equal(x.grad, g[:, ::-1])


@pytest.mark.parametrize("take", [
    lambda x, i: F.take(x, i),
    lambda x, i: x[i],                                        # getitem itself
    lambda x, i: F.take_along_axis(x, i, axis=0),
    lambda x, i: np.take(x, i),
])
def test_repeated_indices_accumulate(take):
    # np.add.at semantics: each index's gradient is the sum of its picks' upstreams
    idx = np.array([3, 0, 3, 3, 1])
    g = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])
    x = Value(np.zeros(5))
    take(x, idx).backward(g)
    np.testing.assert_array_equal(x.grad, [10.0, 10000.0, 0.0, 1101.0, 0.0])


def test_index_add_adds_repeated_indices_up():
    # the row itself: zeros(4) with [1, 2, 4] added at [0, 2, 0]
    out = apply(OPS["index_add"], (np.array([1.0, 2.0, 4.0]),),
                {"shape": (4,), "index": np.array([0, 2, 0])})
    np.testing.assert_array_equal(out.data, [5.0, 0.0, 2.0, 0.0])


def test_repeat_gradient_counts_the_copies():
    x = Value(np.ones((2, 3)))
    F.repeat(x, [2, 0, 5], axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0, 5.0]] * 2)


def test_pad_gradient_is_the_inner_block():
    x, g = Value(_input((2, 3))), _input((5, 4), seed=1)
    F.pad(x, ((1, 2), (0, 1)), constant_values=9.0).backward(g)
    np.testing.assert_array_equal(x.grad, g[1:3, 0:3])


def test_diff_gradient_closed_form():
    # x[i] gets g[i−1] − g[i]: −g[0] at the start, g[−1] at the end
    x, g = Value(_input(5)), np.array([1.0, 2.0, 4.0, 8.0])
    F.diff(x).backward(g)
    np.testing.assert_array_equal(x.grad, [-1.0, -1.0, -2.0, -4.0, 8.0])


def test_diff_prepend_value_gets_its_gradient():
    x, first = Value([2.0, 5.0]), Value(1.0)
    (F.diff(x, prepend=first) * np.array([1.0, 10.0])).sum().backward()
    assert first.grad == -1.0                          # out[0] = x[0] − first
    np.testing.assert_array_equal(x.grad, [1.0 - 10.0, 10.0])


@pytest.mark.parametrize("split, sections, sizes", [
    (F.split, 3, [2, 2, 2]), (F.split, [1, 4], [1, 3, 2]), (F.array_split, 4, [2, 2, 1, 1]),
    (F.array_split, [2, 10], [2, 4, 0]), (np.split, [4, 1], [4, 0, 5]),
    (np.array_split, 5, [2, 1, 1, 1, 1]), (F.vsplit, [1], [1, 5]), (np.vsplit, 2, [3, 3]),
])
def test_split_pieces_and_their_gradients(split, sections, sizes):
    x = Value(_input((6, 2)))
    pieces = split(x, sections)
    expected = np.array_split(x.data, sections)
    assert [p.shape[0] for p in pieces] == sizes
    for p, e in zip(pieces, expected, strict=True):
        np.testing.assert_array_equal(p.data, e)
    # piece k weighted by k + 1: each row's gradient is the sum of its pieces' weights
    # (pieces overlap when the cuts go back: np.split(x, [4, 1]) is x[:4], x[4:1], x[1:])
    F.sum(F.stack([(k + 1.0) * p.sum() for k, p in enumerate(pieces)])).backward()
    weights = np.zeros(6)
    for k, rows in enumerate(np.array_split(np.arange(6), sections)):
        weights[rows] += k + 1.0
    np.testing.assert_array_equal(x.grad, np.stack([weights] * 2, axis=1))


@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda x: F.split(x, 2, axis=-1), lambda a: np.split(a, 2, axis=-1), (2, 6)),
    (lambda x: F.hsplit(x, [1, 4]), lambda a: np.hsplit(a, [1, 4]), (2, 6)),
    (lambda x: np.hsplit(x, 3), lambda a: np.hsplit(a, 3), (6,)),
    (lambda x: F.dsplit(x, 2), lambda a: np.dsplit(a, 2), (1, 2, 4)),
])
def test_split_along_other_axes(ours, theirs, shape):
    x = Value(_input(shape))
    for p, e in zip(ours(x), theirs(x.data), strict=True):
        np.testing.assert_array_equal(p.data, e)


def test_atleast_takes_several_inputs():
    # NumPy's answer: one array for one input, a tuple for several
    a, b = Value(2.0), Value(np.ones((2, 3)))
    assert F.atleast_1d(a).shape == (1,)
    assert [v.shape for v in np.atleast_3d(a, b)] == [(1, 1, 1), (2, 3, 1)]
    assert F.atleast_2d(b) is b                      # already 2-d: itself, as NumPy


def test_float32_stays_float32():
    x = Value(np.ones((2, 3), dtype=np.float32))
    for out in (F.pad(x, 1, constant_values=2.0), F.repeat(x, 2), F.tile(x, 2), F.flip(x),
                F.roll(x, 1), F.take(x, [0, 0]), F.diff(x)):
        assert out.dtype == np.float32


def test_zero_dimensional_inputs_as_numpy():
    x = Value(5.0)
    for ours, theirs in [(F.flip(x), np.flip(5.0)), (F.pad(x, 2), np.pad(np.array(5.0), 2)),
                         (F.roll(x, 1), np.roll(np.array(5.0), 1)),
                         (F.tile(x, ()), np.tile(np.array(5.0), ())),
                         (F.repeat(x, 3), np.repeat(5.0, 3)), (x.ravel(), np.ravel(5.0)),
                         (F.expand_dims(x, 0), np.expand_dims(5.0, 0)), (x.squeeze(), 5.0)]:
        np.testing.assert_array_equal(np.asarray(ours.data), theirs)
        assert ours.shape == np.shape(theirs)


# ------------------------------------------------------------------ NumPy's functions


NP_CALLS = [
    ("repeat", lambda m, v: m.repeat(v, [1, 2], axis=0)),
    ("tile", lambda m, v: m.tile(v, (1, 2))),
    ("roll", lambda m, v: m.roll(v, 1, axis=1)),
    ("flip", lambda m, v: m.flip(v, axis=0)),
    ("pad", lambda m, v: m.pad(v, ((0, 1), (2, 0)), mode="constant", constant_values=3.0)),
    ("squeeze", lambda m, v: m.squeeze(m.expand_dims(v, 0), axis=0)),
    ("swapaxes", lambda m, v: m.swapaxes(v, 0, 1)),
    ("moveaxis", lambda m, v: m.moveaxis(v, -1, 0)),
    ("broadcast_to", lambda m, v: m.broadcast_to(v, (2, 2, 3))),
    ("diff", lambda m, v: m.diff(v, n=1, axis=0)),
    ("ravel", lambda m, v: m.ravel(v)),
    ("take", lambda m, v: m.take(v, [0, 4, 4], axis=None)),
    ("take_along_axis", lambda m, v: m.take_along_axis(v, A23, axis=1)),
    ("split", lambda m, v: m.split(v, 3, axis=1)[2]),
    ("array_split", lambda m, v: m.array_split(v, 2, axis=1)[0]),
]


@pytest.mark.parametrize("name, call", NP_CALLS, ids=[c[0] for c in NP_CALLS])
def test_numpy_functions_dispatch_on_values(name, call):
    # np.xxx(Value) is a Value with NumPy's answer, and its gradient is F's
    x = _input((2, 3))
    out = call(np, Value(x))
    assert isinstance(out, Value)
    np.testing.assert_array_equal(out.data, call(np, x))
    v = Value(x)
    w = _input(out.shape, seed=1)
    (call(np, v) * w).sum().backward()
    numeric = _numeric_grad(lambda a: call(np, a), x, w)
    np.testing.assert_allclose(v.grad, numeric, rtol=1e-7, atol=1e-9)


def test_broadcast_to_takes_an_int_shape():
    out = np.broadcast_to(Value(2.0), 3)
    np.testing.assert_array_equal(out.data, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("call, message", [
    (lambda v: np.take(v, [0], out=np.zeros(1)), "numpy.take on a Value: argument(s) out"),
    (lambda v: np.pad(v, 1, mode="constant", stat_length=2), "numpy.pad on a Value: argument(s) "
                                                              "stat_length"),
    (lambda v: v.take([0], out=np.zeros(1)), "take: out= is not supported"),
])
def test_numpy_out_style_arguments_are_refused(call, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        call(Value(np.zeros(3)))


# ------------------------------------------------------------------ HIPS autograd


HIPS = [
    ("repeat", lambda m, x: m.repeat(x, 2, axis=1)),
    ("tile", lambda m, x: m.tile(x, (2, 1))),
    ("roll", lambda m, x: m.roll(x, 1, axis=1)),
    ("pad", lambda m, x: m.pad(x, ((1, 0), (0, 2)), mode="constant")),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 1))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, 1)),
    ("diff", lambda m, x: m.diff(x, axis=1)),
    ("ravel", lambda m, x: m.ravel(x)),
    ("array_split", lambda m, x: m.array_split(x, 2, axis=1)[0]),
    ("flipud", lambda m, x: m.flipud(x)),
    ("fliplr", lambda m, x: m.fliplr(x)),
    ("rot90", lambda m, x: m.rot90(x, 3)),
    ("rollaxis", lambda m, x: m.rollaxis(m.atleast_3d(x), 2)),
    ("hsplit", lambda m, x: m.hsplit(x, [1])[1]),
]


@pytest.mark.parametrize("name, call", HIPS, ids=[c[0] for c in HIPS])
def test_gradients_match_hips_autograd(name, call):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    x = _input((2, 3))
    w = _input(np.shape(call(np, x)), seed=1)
    expected = autograd.grad(lambda a: anp.sum(call(anp, a) * w))(x)
    v = Value(x)
    (call(np, v) * w).sum().backward()
    np.testing.assert_allclose(v.grad, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ bad input


BAD = [
    (lambda x: F.repeat(x, 2, axis=2), ShapeError, "repeat: axis 2 is out of bounds for 2 "
                                                   "dimensions (input shape (2, 3))"),
    (lambda x: F.repeat(x, [1, 2], axis=1), ShapeError, "repeat: 2 counts for axis 1 of length 3"),
    (lambda x: F.repeat(x, -1), ValueError, "repeat: counts must be non-negative"),
    (lambda x: F.repeat(x, 1.5), TypeError, "repeat: repeats must be integers"),
    (lambda x: F.tile(x, (2, -1)), ValueError, "tile: reps must be non-negative"),
    (lambda x: F.roll(x, 1, axis=-3), ShapeError, "roll: axis -3 is out of bounds"),
    (lambda x: F.roll(x, (1, 2, 3), axis=(0, 1)), ShapeError, "roll: shift (1, 2, 3) and axis"),
    (lambda x: F.flip(x, (0, 0)), ShapeError, "flip: axis (0, 0) names an axis twice"),
    (lambda x: F.pad(x, (1, -1)), ValueError, "pad: pad widths must be non-negative"),
    (lambda x: F.pad(x, ((1, 1), (1, 1), (1, 1))), ShapeError,
     "pad: pad_width of shape (3, 2) does not fit input shape (2, 3)"),
    (lambda x: F.pad(x, 1, mode="reflect"), ValueError, "pad: only mode='constant'"),
    (lambda x: F.pad(x, 1, constant_values=Value(1.0)), TypeError,
     "pad: constant_values is a Value that requires grad"),
    (lambda x: F.split(x, 2, axis=1), ShapeError,
     "split: 2 sections do not divide axis 1 of length 3 (input shape (2, 3))"),
    (lambda x: F.array_split(x, 0), ValueError, "array_split: the number of sections must be "
                                                "positive"),
    (lambda x: F.squeeze(x, 1), ShapeError, "squeeze: axis 1 has length 3, not 1 (input shape "
                                            "(2, 3))"),
    (lambda x: F.expand_dims(x, 3), ShapeError, "expand_dims: axis 3 is out of bounds for 3 "
                                                "dimensions (input shape (2, 3))"),
    (lambda x: F.swapaxes(x, 0, 2), ShapeError, "swapaxes: axis 2 is out of bounds"),
    (lambda x: F.moveaxis(x, (0, 1), 0), ShapeError, "moveaxis: source (0, 1) and destination 0"),
    (lambda x: F.broadcast_to(x, (3, 3)), ShapeError, "broadcast_to: cannot broadcast shape "
                                                      "(2, 3) to (3, 3)"),
    (lambda x: F.diff(x, -1), ValueError, "diff: order n must be a non-negative integer"),
    (lambda x: F.diff(x, append=np.zeros((3, 1))), ShapeError,
     "diff: append of shape (3, 1) does not fit input shape (2, 3) along axis 1"),
    (lambda x: x.flatten("F"), ValueError, "flatten: only order='C'"),
    (lambda x: F.take(x, [6]), IndexShapeError, "take: index 6 is out of bounds for axis 0 of "
                                                "length 6 (input shape (2, 3)"),
    (lambda x: F.take(x, [-4], axis=1), IndexShapeError, "take: index -4 is out of bounds for "
                                                         "axis 1 of length 3"),
    (lambda x: F.take(x, [0.5]), TypeError, "take: indices must be integers"),
    (lambda x: F.take(x, [0], mode="nearest"), ValueError, "take: mode must be"),
    (lambda x: F.take_along_axis(x, np.array([[3]]), 1), IndexShapeError,
     "take_along_axis: index 3 is out of bounds for axis 1 of length 3"),
    (lambda x: F.take_along_axis(x, np.array([0, 1]), 1), ShapeError,
     "take_along_axis: indices of shape (2,) must have as many dimensions as the input "
     "(shape (2, 3))"),
    (lambda x: F.fliplr(np.zeros(3)), ShapeError,
     "fliplr: needs an input of at least 2 dimensions, got shape (3,)"),
    (lambda x: F.rot90(x, 1, (1, -1)), ShapeError, "rot90: axis (1, -1) names an axis twice"),
    (lambda x: F.rot90(x, 1, (0,)), ShapeError, "rot90: axes must name two axes"),
    (lambda x: F.rollaxis(x, 0, 3), ShapeError, "rollaxis: start 3 is out of bounds for 2 "
                                                "dimensions (input shape (2, 3))"),
    (lambda x: F.dsplit(x, 1), ShapeError, "dsplit: needs an input of at least 3 dimension(s), "
                                           "got shape (2, 3)"),
    (lambda x: F.take_along_axis(x, np.zeros((3, 1), dtype=int), 1), ShapeError,
     "take_along_axis: indices of shape (3, 1) do not broadcast with input shape (2, 3)"),
]


@pytest.mark.parametrize("call, error, message", BAD, ids=[b[2].split(":")[0] + str(i)
                                                           for i, b in enumerate(BAD)])
def test_bad_input_is_refused_before_anything_is_recorded(call, error, message):
    x = Value(np.zeros((2, 3)))
    made: list = []  # every node an op makes while the error is raised
    previous = set_recorder(made)
    try:
        with pytest.raises(error, match=re.escape(message)):
            call(x)
    finally:
        set_recorder(previous)
    assert made == [], f"nodes made before the error: {[v.op.name for v in made]}"


def test_diff_of_a_zero_dimensional_value_is_refused():
    with pytest.raises(ShapeError, match=r"diff: needs an input of at least one dimension"):
        F.diff(Value(1.0))


# ------------------------------------------------------------------ other readings


def test_second_derivatives_through_the_composites():
    # f = Σ take(x, [0, 0, 1])² + Σ pad(x)²: H = 2·diag(counts + 1), counts = (2, 1, 0)
    def f(x):
        return (F.take(x, [0, 0, 1]) ** 2).sum() + (F.pad(x, 1, constant_values=3.0) ** 2).sum()

    v = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(tg.hvp(f, (np.ones(3),), (v,)), 2 * np.array([3.0, 2.0, 1.0]) * v)


def test_traced_program_matches_eager():
    # trace() replays the recorded composites: same gradients on new inputs
    def f(x):
        y = F.roll(F.repeat(x, [2, 1, 0], axis=1), 1, axis=0)
        return (F.take_along_axis(y, np.array([[2], [0]]), axis=1) * F.diff(x, axis=1)).sum()

    traced = tg.trace(f)
    for seed in range(3):
        a, b = Value(_input((2, 3), seed)), Value(_input((2, 3), seed))
        traced(a).backward()
        f(b).backward()
        np.testing.assert_array_equal(a.grad, b.grad)
