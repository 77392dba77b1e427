"""The engine a student reads: the op table, Value, the backward pass.

Start with :mod:`.ops` (the table: one row per primitive, its forward and its VJP rule
beside it) and :mod:`.value` (a node of the graph). ``loss.backward()`` is
:meth:`Value.backward`, which runs :func:`.backward.run_backward`: one loop that, for
each node from the output back, calls the steps of :mod:`.steps` — ``call_vjp`` (the
table's rule), ``sum_to_shape``, and the storing of gradients.

The other modules: :mod:`.op` (what a row is), :mod:`.kernels` (the forward
computations on raw data), :mod:`.rules` (VJP rules too long for a row),
:mod:`.context` (grad mode, anomaly mode, the version counter: per-thread settings),
:mod:`.anomaly`, :mod:`.errors`, :mod:`.forward` (forward mode: tangents through the
table's JVP rules), :mod:`.transforms` (grad, jacobian, hessian, jvp, hvp),
:mod:`.functional` (every op as a free function), :mod:`.numpy_protocol` (NumPy
functions on Values).

Imports nothing above it: the rest of the package is built on this.
"""

from .anomaly import origin_of
from .backward import backward, run_backward, topological_order
from .context import (
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    is_tracing,
    last_backward_root,
    no_grad,
    set_anomaly_enabled,
    set_grad_enabled,
)
from .errors import (
    AnomalyError,
    ChangedInputError,
    IndexShapeError,
    ShapeError,
    SingularMatrixError,
    TraceWarning,
)
from .forward import run_forward_mode
from .op import Domain, Op
from .ops import OPS, op_named
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .value import Value, apply, as_data

__all__ = [
    "Value", "apply", "as_data", "OPS", "Op", "Domain", "op_named", "backward", "run_backward",
    "topological_order", "grad", "value_and_grad", "jacobian", "hessian", "jvp", "hvp",
    "run_forward_mode", "no_grad",
    "enable_grad", "detect_anomaly", "is_grad_enabled", "set_grad_enabled", "is_tracing",
    "is_anomaly_enabled", "set_anomaly_enabled", "last_backward_root", "origin_of",
    "ShapeError", "IndexShapeError", "AnomalyError", "ChangedInputError", "TraceWarning",
    "SingularMatrixError",
]
