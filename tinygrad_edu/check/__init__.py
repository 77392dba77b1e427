"""Checking gradients: is autograd right, is a hand derivation right?

:mod:`.numerical` (central differences in float64), :mod:`.gradcheck` (autograd against
them, with kinks told apart from bugs), :mod:`.compare` (a hand derivation against
autograd and central differences: the table ``tinygrad-edu compare`` prints),
:mod:`.strategies` (hypothesis strategies drawing valid inputs for any op of the table,
for your own ops too; needs the ``test`` extra) and :mod:`.oracles` (the conventions
table and the HIPS autograd / PyTorch references the fuzzer compares with).

Imports: ``core`` only.

>>> import numpy as np
>>> gradcheck(lambda x: (x * x).sum(), [np.array([1.0, 2.0])])
True
"""

from .compare import CompareReport, CompareRow, compare
from .gradcheck import GradcheckError, KinkWarning, gradcheck, gradgradcheck, kinks_near
from .numerical import numerical_grad

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError", "KinkWarning",
           "kinks_near", "compare", "CompareReport", "CompareRow"]
