"""tinygrad_edu: an autograd micro-framework for learning, teaching and checking backprop.

>>> from tinygrad_edu import Value
>>> x = Value(2.0, name="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad                     # dy/dx = 2x + 3
7.0
"""

# Every layer is an attribute too: ``import tinygrad_edu as tg; tg.nn.MLP(...)`` works.
from . import check, functional, io, losses, nn, numpy_protocol, optim, training, viz
from .autodiff import (
    AnomalyError,
    ChangedInputError,
    backward,
    detect_anomaly,
    enable_grad,
    grad,
    hessian,
    jacobian,
    no_grad,
    value_and_grad,
)
from .io import load, save
from .ops import OPS, Domain, Op, ShapeError
from .tracing import TraceWarning, trace
from .training import fit
from .value import Value, is_grad_enabled

__version__ = "0.1.0"

__all__ = [
    "Value", "OPS", "Op", "Domain", "ShapeError", "AnomalyError", "ChangedInputError",
    "functional", "backward",
    "grad", "value_and_grad", "jacobian", "hessian", "no_grad", "enable_grad",
    "detect_anomaly", "is_grad_enabled", "check", "io", "losses", "nn", "optim", "training",
    "viz", "numpy_protocol", "save", "load", "fit", "trace", "TraceWarning", "__version__",
]
