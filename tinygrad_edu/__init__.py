"""tinygrad_edu: an autograd micro-framework for learning, teaching and checking backprop.

>>> from tinygrad_edu import Value
>>> x = Value(2.0, name="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad                     # dy/dx = 2x + 3
7.0

The package, by product: ``core`` (the engine: op table, Value, backward pass),
``jit`` (``trace()``), ``check`` (gradient checking, compare), ``nn`` (models, losses,
optimizers, weights on disk, fit), ``articles`` (the seed articles' hand derivations),
``viz`` (graphs and backward frames), ``cli`` and ``bench``.
"""

import sys as _sys

# Every product is an attribute too: ``import tinygrad_edu as tg; tg.nn.MLP(...)`` works.
from . import check, core, io, jit, losses, nn, optim, training, viz
from .core import (
    OPS,
    AnomalyError,
    ChangedInputError,
    Domain,
    Op,
    ShapeError,
    TraceWarning,
    Value,
    backward,
    detect_anomaly,
    enable_grad,
    functional,
    grad,
    hessian,
    is_grad_enabled,
    jacobian,
    no_grad,
    numpy_protocol,
    value_and_grad,
)
from .io import load, save
from .jit import trace
from .training import fit

__version__ = "0.1.0"

__all__ = [
    "Value", "OPS", "Op", "Domain", "ShapeError", "AnomalyError", "ChangedInputError",
    "functional", "backward",
    "grad", "value_and_grad", "jacobian", "hessian", "no_grad", "enable_grad",
    "detect_anomaly", "is_grad_enabled", "check", "io", "losses", "nn", "optim", "training",
    "viz", "numpy_protocol", "save", "load", "fit", "trace", "TraceWarning", "__version__",
]

# The module paths of earlier versions (``from tinygrad_edu.ops import OPS``,
# ``tinygrad_edu.autodiff.grad``) keep working: each names the module that now holds it.
_MOVED = {"ops": core.ops, "value": core.value, "autodiff": core, "functional": functional,
          "numpy_protocol": numpy_protocol, "tracing": jit, "codegen": jit.codegen}
for _old, _module in _MOVED.items():
    _sys.modules.setdefault(f"{__name__}.{_old}", _module)
