"""A Value behaves like a Python number (0-d) and like a NumPy array (issue 15, items 1-3).

Expected values are what Python and NumPy give for the same data.
"""

import math

import numpy as np
import pytest

from tinygrad_edu import Value


def test_iterating_a_tensor_gives_its_rows_and_ends():
    v = Value([[1.0, 2.0], [3.0, 4.0]])
    rows = list(v)
    assert len(rows) == 2 == len(v)
    np.testing.assert_array_equal(rows[1].data, [3.0, 4.0])
    total = sum(Value([1.0, 2.0, 3.0]))  # 0 + v[0] + v[1] + v[2], a Value with a graph
    assert total.data == 6.0 and total.requires_grad
    with pytest.raises(IndexError):  # an IndexError, as NumPy's, so old-style loops end
        Value([1.0, 2.0])[2]


def test_a_zero_d_value_is_not_iterable():
    with pytest.raises(TypeError, match="0-d"):
        iter(Value(3.0))
    with pytest.raises(TypeError, match="0-d"):
        len(Value(3.0))


def test_zero_d_values_format_round_and_convert_like_floats():
    v = Value(2.567)
    assert f"{v:.2f}" == "2.57" and round(v, 2) == 2.57 and round(v) == 3
    assert int(Value(3.7)) == 3 and math.floor(v) == 2 and math.ceil(v) == 3
    assert math.trunc(Value(-2.5)) == -2
    assert Value(3.0).tolist() == 3.0 and Value([[1.0], [2.0]]).tolist() == [[1.0], [2.0]]
    assert f"{Value([1.0, 2.0])}" == str(Value([1.0, 2.0]))
    with pytest.raises(TypeError, match="0-d"):
        f"{Value([1.0, 2.0]):.2f}"
    with pytest.raises(ValueError, match="one-element"):
        int(Value([1.0, 2.0]))


def test_comparisons_hash_and_membership():
    # PyTorch's model: elementwise comparisons, hashing by identity
    assert Value(1.0) == Value(1.0) and type(Value(1.0) == Value(1.0)) is bool
    assert Value(1.0) not in {Value(1.0)}  # a different object: identity hash
    a, b = Value([1.0, 2.0]), Value([1.0, 3.0])
    assert a in [b, a] and b in [a, b]  # no "truth value is ambiguous"
    assert Value([1.0, 2.0]) in [b, Value([1.0, 2.0])]  # == on tensors: all equal
    assert [b, a].index(a) == 1
    assert Value([1.0, 2.0, 3.0]) not in [a]  # shapes that do not broadcast: not equal
    assert (a != b) and not (a != Value([1.0, 2.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a < b)  # an ordering of tensors stays ambiguous, as in NumPy
