"""gradcheck excuses a kink only at the elements the kink can affect.

A mismatch is excused (KinkWarning) when an op sits on a kink *and* the analytic value
lies between the element's one-sided differences; every other mismatch raises, however
many kinks the graph has elsewhere. Expected values are closed forms: d/dx x² = 2x, and
a wrong rule written as ``x * x.detach()`` (its analytic derivative is x, not 2x).
"""

import warnings

import numpy as np
import pytest

from tinygrad_edu import Value
from tinygrad_edu.check import GradcheckError, KinkWarning, gradcheck


def test_a_real_mismatch_beside_a_kink_is_an_error():
    # element 0 sits on relu's kink; element 1 is smooth: analytic 1 + 2 = 3 (the wrong
    # rule gives x = 2 for x²), numerical 1 + 4 = 5
    with pytest.raises(GradcheckError, match=r"element \(1,\): analytic 3, numerical 5"):
        gradcheck(lambda x: (x.relu() + x * x.detach()).sum(), [Value([0.0, 2.0])])


def test_the_element_on_the_kink_is_still_only_a_warning_when_it_is_alone():
    with pytest.warns(KinkWarning, match=r"element \(0,\)"):
        assert gradcheck(lambda x: (x.relu() + x * x.detach()).sum(), [np.array([0.0])])


def test_a_wrong_rule_on_the_kink_element_itself_is_an_error():
    # f(x) = relu(x) + 2x with the 2x detached (a rule that forgets the slope): analytic
    # 0, one-sided differences 2 (left) and 3 (right): 0 is no subgradient of f at 0
    with pytest.raises(GradcheckError, match=r"element \(0,\): analytic 0, numerical 2.5"):
        gradcheck(lambda x: (x.relu() + 2.0 * x.detach()).sum(), [np.array([0.0])])


def test_a_kink_in_one_input_does_not_excuse_another_input():
    def f(x, y):
        return x.relu().sum() + (y * y.detach()).sum()  # y's rule is wrong everywhere

    with pytest.raises(GradcheckError, match=r"input 1, element \(0,\): analytic 3, "
                                             r"numerical 6"):
        gradcheck(f, [np.array([0.0]), np.array([3.0])])


def test_ties_in_max_share_like_central_differences():
    # two tied maxima: the shared 1/2 each is exactly what central differences measure
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda x: x.max(), [np.array([1.0, 1.0, -2.0])])


def test_maximum_tie_is_excused_and_a_neighbouring_bug_is_not():
    def f(x, y):  # the wrong rule (x · detached x) only on element 1
        return x.maximum(y).sum() + (x * x.detach() * np.array([0.0, 1.0])).sum()

    x0 = [np.array([1.0, 2.0]), np.array([1.0, 0.0])]  # element 0 ties, element 1 does not
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(GradcheckError, match=r"input 0, element \(1,\): analytic 3, "
                                                 r"numerical 5"):
            gradcheck(f, x0)
    assert any(issubclass(w.category, KinkWarning) and "element (0,)" in str(w.message)
               for w in caught)


def test_smooth_functions_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda x: (x.tanh() * x).sum(), [np.array([0.3, -1.2])])
