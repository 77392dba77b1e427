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

import importlib as _importlib
import importlib.abc as _importlib_abc
import importlib.util as _importlib_util
import sys as _sys

# Every product is an attribute too: ``import tinygrad_edu as tg; tg.nn.MLP(...)`` works.
from . import articles, check, core, jit, nn, viz
from .core import (
    OPS,
    AnomalyError,
    ChangedInputError,
    Domain,
    Op,
    ShapeError,
    SingularMatrixError,
    TraceWarning,
    Value,
    backward,
    detect_anomaly,
    enable_grad,
    functional,
    grad,
    hessian,
    hvp,
    is_grad_enabled,
    jacobian,
    jvp,
    no_grad,
    numpy_protocol,
    value_and_grad,
)
from .jit import trace
from .nn import losses, optim, training
from .nn import weights as io
from .nn.training import fit
from .nn.weights import load, save

__version__ = "0.1.0"

__all__ = [
    "Value", "OPS", "Op", "Domain", "ShapeError", "AnomalyError", "ChangedInputError",
    "functional", "backward",
    "grad", "value_and_grad", "jacobian", "hessian", "jvp", "hvp", "no_grad", "enable_grad",
    "detect_anomaly", "is_grad_enabled", "check", "io", "losses", "nn", "optim", "training",
    "viz", "numpy_protocol", "save", "load", "fit", "trace", "TraceWarning", "__version__",
    "core", "jit", "articles", "SingularMatrixError",
]

# The module paths of earlier versions (``from tinygrad_edu.ops import OPS``,
# ``import tinygrad_edu.testing``) keep working: each is the module that now holds it,
# imported only when asked for.
_MOVED = {"ops": "core.ops", "value": "core.value", "autodiff": "core",
          "functional": "core.functional", "numpy_protocol": "core.numpy_protocol",
          "tracing": "jit", "codegen": "jit.codegen", "testing": "check.strategies",
          "oracles": "check.oracles", "losses": "nn.losses", "optim": "nn.optim",
          "io": "nn.weights", "training": "nn.training", "manual": "articles.manual",
          "cases": "articles.cases", "commands": "cli"}


class _MovedModules(_importlib_abc.MetaPathFinder, _importlib_abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.rpartition(".")
        if package != __name__ or old not in _MOVED:
            return None
        return _importlib_util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return _importlib.import_module(f"{__name__}.{_MOVED[spec.name.rpartition('.')[2]]}")

    def exec_module(self, module):
        pass


_sys.meta_path.append(_MovedModules())
