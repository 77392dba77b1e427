"""The errors the engine raises, each naming the op, the Value or the shapes involved.

Imports nothing of the package.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ShapeError", "IndexShapeError", "SingularMatrixError", "AnomalyError",
           "ChangedInputError", "TraceWarning"]


class ShapeError(ValueError):
    """Input shapes that an op cannot combine; the message names the op and the shapes."""


class IndexShapeError(ShapeError, IndexError):
    """An index outside a Value's shape: an IndexError too, so loops over rows end."""


class SingularMatrixError(np.linalg.LinAlgError):
    """``inv`` or ``solve`` of a singular matrix: the message names the op, the shape and
    which matrix of a batch. A ``numpy.linalg.LinAlgError`` too, so code written for
    NumPy's error catches it."""


class AnomalyError(FloatingPointError):
    """Inside :func:`tinygrad_edu.detect_anomaly`, an op's result (forward) or gradient
    (backward) was nan or inf; the message names the op and the line that made it."""


class ChangedInputError(RuntimeError):
    """A graph's input changed after the forward pass used it: backward would compute the
    gradient from the new data, so it refuses (PyTorch's version counter does the same)."""


class TraceWarning(UserWarning):
    """Something in a traced function will not change from call to call (a branch or a
    comparison on a Value's data, fixed when the function was recorded)."""
