"""The op table: every primitive of tinygrad_edu, declared once, one row each.

A row says, for one primitive (see :class:`~tinygrad_edu.core.op.Op`):

* ``forward`` — the computation on raw data (a kernel in :mod:`.kernels`);
* ``vjps`` — for each input, the vector-Jacobian product: ``vjp(g, out, *inputs,
  **params)`` is what that input receives from the upstream gradient ``g``. Short rules
  are written right here; longer ones are in :mod:`.rules`;
* ``derivatives`` — the same local derivative in words, for people: edge labels,
  ``explain()`` and the docs read it;
* ``domain`` — where the op is smooth (the property tests draw from it; the gradient
  checker asks it how far inputs are from a kink); ``check`` explains bad input;
  ``ufunc`` is the NumPy function the op is (``np.exp(value)`` dispatches here).

Everything else reads this table: the engine, ``trace()``, the checker, the drawings,
the property tests, the docs' op page. Adding an op is adding a row.

Rule for composites: an operation is a row only when it is a primitive, or when speed
or numerical stability demands its own derivative (sigmoid, softplus, logsumexp,
log_softmax). Everything else (mean, softmax, clip, stack, the losses) is built from
rows (:mod:`.functional`, :class:`~tinygrad_edu.core.value.Value`'s methods).

Imports: ``op``, ``kernels``, ``rules``.
"""

from __future__ import annotations

import numpy as np

from . import kernels as k
from . import rules
from .errors import IndexShapeError, ShapeError
from .op import Domain, Op, PerInput, shape_of
from .rules import unbroadcast

# The table, and the names a row is made of (so `from tinygrad_edu.core.ops import Op`).
__all__ = ["OPS", "op_named", "Op", "Domain", "PerInput", "ShapeError", "IndexShapeError",
           "shape_of", "unbroadcast"]

ANY = Domain()
POSITIVE = Domain(ranges=((0.1, 5.0),), singular="x ≤ 0")
PAIR = Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)))
data_of, select = rules.data_of, rules.select

# ------------------------------------------------------------------ arithmetic

ADD = Op("add", doc="x + y", kind="binary", symbol="+", ufunc=np.add,
         forward=lambda x, y: x + y,
         vjps=(lambda g, out, x, y: g,
               lambda g, out, x, y: g),
         derivatives=("1", "1"),
         domain=PAIR, check=k.check_broadcast("add"))

SUB = Op("sub", doc="x − y", kind="binary", symbol="−", ufunc=np.subtract,
         forward=lambda x, y: x - y,
         vjps=(lambda g, out, x, y: g,
               lambda g, out, x, y: -g),
         derivatives=("1", "−1"),
         domain=PAIR, check=k.check_broadcast("sub"))

MUL = Op("mul", doc="x · y", kind="binary", symbol="×", ufunc=np.multiply,
         forward=lambda x, y: x * y,
         vjps=(lambda g, out, x, y: g * y,
               lambda g, out, x, y: g * x),
         derivatives=("y", "x"),
         domain=PAIR, check=k.check_broadcast("mul"))

DIV = Op("div", doc="x / y", kind="binary", symbol="÷", ufunc=np.true_divide,
         forward=k.divide,
         vjps=(lambda g, out, x, y: g / y,
               lambda g, out, x, y: -g * out / y),
         derivatives=("1/y", "−x/y²"),
         domain=Domain(ranges=((-3.0, 3.0), (0.5, 3.0)), singular="y = 0"),
         check=k.check_broadcast("div"))

POW = Op("pow", doc="x ** y (x > 0 unless y is an integer constant)", kind="binary",
         symbol="^", ufunc=np.power,
         forward=k.power,
         vjps=(rules.pow_x,
               rules.pow_y),
         derivatives=("y·x^(y−1)", "x^y·ln x"),
         domain=Domain(ranges=((0.5, 2.0), (-2.0, 2.0)), singular="x ≤ 0 for non-integer y"),
         check=k.check_broadcast("pow"))

MAXIMUM = Op("maximum", doc="elementwise max(x, y)", kind="binary", smooth=False,
             ufunc=np.maximum,
             forward=k.maximum,
             vjps=(lambda g, out, x, y: select(data_of(x) > data_of(y), g),
                   lambda g, out, x, y: select(data_of(x) <= data_of(y), g)),
             derivatives=("[x > y]", "[x ≤ y]"),
             domain=Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                           kinks="x = y (ties go to y, the bound: maximum(x, 0) is relu)",
                           kink_gap=k.tie_gap),
             check=k.check_broadcast("maximum"))

MINIMUM = Op("minimum", doc="elementwise min(x, y)", kind="binary", smooth=False,
             ufunc=np.minimum,
             forward=k.minimum,
             vjps=(lambda g, out, x, y: select(data_of(x) < data_of(y), g),
                   lambda g, out, x, y: select(data_of(x) >= data_of(y), g)),
             derivatives=("[x < y]", "[x ≥ y]"),
             domain=Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                           kinks="x = y (ties go to y, the bound, as for maximum)",
                           kink_gap=k.tie_gap),
             check=k.check_broadcast("minimum"))

# ------------------------------------------------------------------ elementwise

NEG = Op("neg", doc="−x", kind="unary", symbol="−", ufunc=np.negative,
         forward=lambda x: -x,
         vjps=(lambda g, out, x: -g,),
         derivatives=("−1",), domain=ANY)

EXP = Op("exp", doc="e^x", kind="unary", ufunc=np.exp,
         forward=k.exp,
         vjps=(lambda g, out, x: g * out,),
         derivatives=("exp(x)",), domain=ANY)

LOG = Op("log", doc="natural logarithm", kind="unary", ufunc=np.log,
         forward=k.log,
         vjps=(lambda g, out, x: g / x,),
         derivatives=("1/x",), domain=POSITIVE)

SQRT = Op("sqrt", doc="square root", kind="unary", ufunc=np.sqrt,
          forward=k.sqrt,
          vjps=(lambda g, out, x: g / (2.0 * out),),
          derivatives=("1/(2√x)",), domain=POSITIVE)

TANH = Op("tanh", doc="hyperbolic tangent", kind="unary", ufunc=np.tanh,
          forward=k.tanh,
          vjps=(lambda g, out, x: g * (1.0 - out * out),),
          derivatives=("1 − tanh²(x)",), domain=ANY)

SIGMOID = Op("sigmoid", doc="logistic σ(x) = 1/(1+e^−x), stable for large |x|", kind="unary",
             symbol="σ",
             forward=k.sigmoid,
             vjps=(lambda g, out, x: g * out * (1.0 - out),),
             derivatives=("σ(x)·(1−σ(x))",), domain=ANY)

RELU = Op("relu", doc="max(x, 0)", kind="unary", smooth=False,
          forward=k.relu,
          vjps=(lambda g, out, x: select(data_of(x) > 0, g),),
          derivatives=("[x > 0]",),
          domain=Domain(kinks="x = 0 (subgradient 0)", kink_gap=k.zero_gap))

ABS = Op("abs", doc="|x|", kind="unary", smooth=False, ufunc=np.absolute,
         forward=k.absolute,
         vjps=(rules.abs_rule,),
         derivatives=("sign(x)",),
         domain=Domain(kinks="x = 0 (subgradient 0)", kink_gap=k.zero_gap))

SIN = Op("sin", doc="sine", kind="unary", ufunc=np.sin,
         forward=k.sin,
         vjps=(lambda g, out, x: g * COS(x),),
         derivatives=("cos(x)",), domain=ANY)

COS = Op("cos", doc="cosine", kind="unary", ufunc=np.cos,
         forward=k.cos,
         vjps=(lambda g, out, x: -g * SIN(x),),
         derivatives=("−sin(x)",), domain=ANY)

SOFTPLUS = Op("softplus", doc="log(1 + e^x), stable for large |x|", kind="unary",
              forward=k.softplus,
              vjps=(lambda g, out, x: g * SIGMOID(x),),
              derivatives=("σ(x)",), domain=ANY)

LOG_SIGMOID = Op("log_sigmoid", doc="log σ(x), stable for large |x|", kind="unary",
                 forward=k.log_sigmoid,
                 vjps=(lambda g, out, x: g * SIGMOID(-x),),
                 derivatives=("σ(−x)",), domain=ANY)

# ------------------------------------------------------------------ elementwise, continued
# Inverse trigonometric and hyperbolic functions, rounding, the newer activations.
# Every rule is the textbook one PyTorch and HIPS autograd write (1/√(1 − x²), not
# 1/√((1 − x)(1 + x))), in HIPS's order of operations (g/x/ln 2, g·2·x: the same
# overflow at 1e300), so they agree to rounding up to the singular points, where the
# rule's own arithmetic gives PyTorch's values: ±inf where the one-sided limit is
# infinite (arcsin at ±1, log at 0), nan outside the domain.

LN2, LN10 = float(np.log(2.0)), float(np.log(10.0))
#: The ranges the property tests draw from: open intervals, away from the singular ends.
UNIT = Domain(ranges=((-0.9, 0.9),), singular="|x| ≥ 1 (±inf at x = ±1)")
ABOVE_ONE = Domain(ranges=((1.1, 5.0),), singular="x < 1 (derivative +inf at x = 1)")
STEP_DOC = "; gradient 0 (almost everywhere: the jumps have none, and 0 is used there too)"

LOG1P = Op("log1p", doc="log(1 + x), accurate for small |x|", kind="unary", ufunc=np.log1p,
           forward=k.log1p,
           vjps=(lambda g, out, x: g / (1.0 + x),),
           derivatives=("1/(1 + x)",),
           domain=Domain(ranges=((-0.9, 5.0),), singular="x ≤ −1 (−inf at −1, derivative +inf)"))

EXPM1 = Op("expm1", doc="e^x − 1, accurate for small |x|", kind="unary", ufunc=np.expm1,
           forward=k.expm1,
           vjps=(lambda g, out, x: g * (out + 1.0),),
           derivatives=("exp(x)",), domain=ANY)

LOG2 = Op("log2", doc="base-2 logarithm", kind="unary", ufunc=np.log2,
          forward=k.log2,
          vjps=(lambda g, out, x: g / x / LN2,),
          derivatives=("1/(x·ln 2)",),
          domain=Domain(ranges=((0.1, 5.0),), singular="x ≤ 0 (−inf at 0, derivative ±inf)"))

LOG10 = Op("log10", doc="base-10 logarithm", kind="unary", ufunc=np.log10,
           forward=k.log10,
           vjps=(lambda g, out, x: g / x / LN10,),
           derivatives=("1/(x·ln 10)",),
           domain=Domain(ranges=((0.1, 5.0),), singular="x ≤ 0 (−inf at 0, derivative ±inf)"))

EXP2 = Op("exp2", doc="2^x", kind="unary", ufunc=np.exp2,
          forward=k.exp2,
          vjps=(lambda g, out, x: g * (out * LN2),),
          derivatives=("2^x·ln 2",), domain=ANY)

SQUARE = Op("square", doc="x²", kind="unary", ufunc=np.square,
            forward=k.square,
            vjps=(lambda g, out, x: g * 2.0 * x,),
            derivatives=("2·x",), domain=ANY)

RECIPROCAL = Op("reciprocal", doc="1/x", kind="unary", ufunc=np.reciprocal,
                forward=k.reciprocal,
                vjps=(lambda g, out, x: -g / (x * x),),
                derivatives=("−1/x²",),
                domain=Domain(ranges=((0.5, 3.0),),
                              singular="x = 0 (±inf, with the zero's sign; derivative −inf)"))

TAN = Op("tan", doc="tangent", kind="unary", ufunc=np.tan,
         forward=k.tan,
         vjps=(lambda g, out, x: g / SQUARE(COS(x)),),
         derivatives=("1/cos²(x)",),
         domain=Domain(ranges=((-1.2, 1.2),), singular="x = π/2 + kπ"))

SINH = Op("sinh", doc="hyperbolic sine", kind="unary", ufunc=np.sinh,
          forward=k.sinh,
          vjps=(lambda g, out, x: g * COSH(x),),
          derivatives=("cosh(x)",), domain=ANY)

COSH = Op("cosh", doc="hyperbolic cosine", kind="unary", ufunc=np.cosh,
          forward=k.cosh,
          vjps=(lambda g, out, x: g * SINH(x),),
          derivatives=("sinh(x)",), domain=ANY)

ARCSIN = Op("arcsin", doc="inverse sine, in [−π/2, π/2]", kind="unary", ufunc=np.arcsin,
            forward=k.arcsin,
            vjps=(lambda g, out, x: g / SQRT(1.0 - x * x),),
            derivatives=("1/√(1 − x²)",), domain=UNIT)

ARCCOS = Op("arccos", doc="inverse cosine, in [0, π]", kind="unary", ufunc=np.arccos,
            forward=k.arccos,
            vjps=(lambda g, out, x: -g / SQRT(1.0 - x * x),),
            derivatives=("−1/√(1 − x²)",),
            domain=Domain(ranges=UNIT.ranges, singular="|x| ≥ 1 (−inf at x = ±1)"))

ARCTAN = Op("arctan", doc="inverse tangent, in (−π/2, π/2)", kind="unary", ufunc=np.arctan,
            forward=k.arctan,
            vjps=(lambda g, out, x: g / (1.0 + x * x),),
            derivatives=("1/(1 + x²)",), domain=ANY)

ARCSINH = Op("arcsinh", doc="inverse hyperbolic sine", kind="unary", ufunc=np.arcsinh,
             forward=k.arcsinh,
             vjps=(lambda g, out, x: g / SQRT(x * x + 1.0),),
             derivatives=("1/√(x² + 1)",), domain=ANY)

ARCCOSH = Op("arccosh", doc="inverse hyperbolic cosine, x ≥ 1", kind="unary", ufunc=np.arccosh,
             forward=k.arccosh,
             vjps=(lambda g, out, x: g / SQRT(x * x - 1.0),),
             derivatives=("1/√(x² − 1)",), domain=ABOVE_ONE)

ARCTANH = Op("arctanh", doc="inverse hyperbolic tangent, |x| < 1", kind="unary",
             ufunc=np.arctanh,
             forward=k.arctanh,
             vjps=(lambda g, out, x: g / (1.0 - x * x),),
             derivatives=("1/(1 − x²)",),
             domain=Domain(ranges=UNIT.ranges, singular="|x| ≥ 1 (±inf at ±1, derivative +inf)"))

ARCTAN2 = Op("arctan2", doc="the angle of the point (y, x): arctan(x/y) in the right quadrant "
             "(np.arctan2(x, y))", kind="binary", smooth=False, ufunc=np.arctan2,
             forward=k.arctan2,
             vjps=(rules.arctan2_x,
                   rules.arctan2_y),
             derivatives=("y/(x² + y²)", "−x/(x² + y²)"),
             domain=Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                           kinks="x = 0 with y ≤ 0: the branch cut, a jump of 2π (the "
                                 "gradient is continuous across it); at x = y = 0 no limit: "
                                 "gradient 0, as PyTorch",
                           kink_gap=k.arctan2_gap),
             check=k.check_broadcast("arctan2"))

HYPOT = Op("hypot", doc="√(x² + y²), without overflow", kind="binary", smooth=False,
           ufunc=np.hypot,
           forward=k.hypot,
           vjps=(rules.hypot_x,
                 rules.hypot_y),
           derivatives=("x/hypot(x, y)", "y/hypot(x, y)"),
           domain=Domain(ranges=((-3.0, 3.0), (-3.0, 3.0)),
                         kinks="x = y = 0 (a cone point: gradient 0, as |x|′(0))",
                         kink_gap=k.origin_gap),
           check=k.check_broadcast("hypot"))

LOGADDEXP = Op("logaddexp", doc="log(e^x + e^y), stable for large |x|, |y|", kind="binary",
               ufunc=np.logaddexp,
               forward=k.logaddexp,
               # σ(x − y) rather than e^(x − out): finite where one input is infinite
               # (at x = +inf, y finite: 1 and 0, as PyTorch; e^(x − out) is e^nan)
               vjps=(lambda g, out, x, y: g * SIGMOID(x - y),
                     lambda g, out, x, y: g * SIGMOID(y - x)),
               derivatives=("σ(x − y)", "σ(y − x)"),
               domain=PAIR, check=k.check_broadcast("logaddexp"))

REMAINDER = Op("remainder", doc="x mod y, with the sign of y (Python's %, np.mod); jumps "
               "where x/y is an integer", kind="binary", smooth=False, symbol="%",
               ufunc=np.remainder,
               forward=k.remainder,
               vjps=(lambda g, out, x, y: g,
                     rules.remainder_y),
               derivatives=("1", "−⌊x/y⌋"),
               domain=Domain(ranges=((-3.0, 3.0), (0.5, 3.0)), singular="y = 0 (nan)",
                             kinks="x a multiple of y (a jump: the rules of the side the "
                                   "forward rounds to)",
                             kink_gap=k.remainder_gap),
               check=k.check_broadcast("remainder"))

FLOOR = Op("floor", doc="largest integer ≤ x" + STEP_DOC, kind="unary", smooth=False,
           ufunc=np.floor,
           forward=k.floor,
           vjps=(rules.zero_rule,),
           derivatives=("0 (almost everywhere)",), jvp_texts=("0",),
           domain=Domain(kinks="integers (jumps; gradient 0 there too)",
                         kink_gap=k.integer_gap))

CEIL = Op("ceil", doc="smallest integer ≥ x" + STEP_DOC, kind="unary", smooth=False,
          ufunc=np.ceil,
          forward=k.ceil,
          vjps=(rules.zero_rule,),
          derivatives=("0 (almost everywhere)",), jvp_texts=("0",),
          domain=Domain(kinks="integers (jumps; gradient 0 there too)",
                        kink_gap=k.integer_gap))

ROUND = Op("round", doc="nearest integer, halves to even (np.rint)" + STEP_DOC, kind="unary",
           smooth=False, ufunc=np.rint,
           forward=k.rint,
           vjps=(rules.zero_rule,),
           derivatives=("0 (almost everywhere)",), jvp_texts=("0",),
           domain=Domain(kinks="half-integers (jumps; gradient 0 there too)",
                         kink_gap=k.half_gap))

SIGN = Op("sign", doc="−1, 0 or 1" + STEP_DOC, kind="unary", smooth=False, ufunc=np.sign,
          forward=k.sign,
          vjps=(rules.zero_rule,),
          derivatives=("0 (almost everywhere)",), jvp_texts=("0",),
          domain=Domain(kinks="x = 0 (a jump; gradient 0 there too)", kink_gap=k.zero_gap))

ELU = Op("elu", doc="x for x > 0, α·(e^x − 1) below (alpha=1.0)", kind="unary", smooth=False,
         forward=k.elu,
         vjps=(rules.elu_rule,),
         derivatives=("1 if x > 0 else α·exp(x)",),
         domain=Domain(kinks="x = 0 (derivative α there, the x ≤ 0 branch, as PyTorch; "
                             "continuous for α = 1, the second derivative jumps)",
                       kink_gap=k.zero_gap))


# ------------------------------------------------------------------ reductions

SUM = Op("sum", doc="sum over axis (all axes by default)", kind="reduce", symbol="Σ",
         forward=k.total,
         vjps=(lambda g, out, x, axis=None, keepdims=False:
               rules.expand_reduced(g, x, axis, keepdims),),
         jvps=(lambda t, out, x, axis=None, keepdims=False: SUM(t, axis=axis, keepdims=keepdims),),
         jvp_texts=("Σ t over axis",),
         derivatives=("1",), domain=ANY, check=k.check_reduce("sum"))

MAX = Op("max", doc="maximum over axis", kind="reduce", smooth=False,
         forward=k.largest,
         vjps=(rules.max_rule,),
         jvps=(rules.max_jvp,), jvp_texts=("t at the maximum (averaged over ties)",),
         derivatives=("[x = max]",),
         domain=Domain(kinks="ties for the maximum (gradient shared equally)",
                       kink_gap=k.max_gap),
         check=k.check_reduce("max"))

LOGSUMEXP = Op("logsumexp", doc="log Σ e^x over axis, stable for large |x|", kind="reduce",
               forward=k.logsumexp,
               vjps=(rules.logsumexp_rule,),
               jvps=(rules.logsumexp_jvp,), jvp_texts=("Σ softmax(x)·t over axis",),
               derivatives=("softmax(x)",), domain=ANY, check=k.check_reduce("logsumexp"))

LOG_SOFTMAX = Op("log_softmax", doc="x − logsumexp(x) along axis, stable", kind="axis",
                 forward=k.log_softmax,
                 vjps=(lambda g, out, x, axis=-1:
                       g - EXP(out) * SUM(g, axis=axis, keepdims=True),),
                 jvps=(lambda t, out, x, axis=-1:
                       t - SUM(t * EXP(out), axis=axis, keepdims=True),),
                 jvp_texts=("t − Σ softmax(x)·t along axis",),
                 derivatives=("δᵢⱼ − softmax(x)ⱼ",), domain=ANY,
                 check=k.check_reduce("log_softmax"))

# ------------------------------------------------------------------ reductions, continued
# Products, moments, running sums, norms.

PROD = Op("prod", doc="product over axis (all axes by default); zeros are exact (no division)",
          kind="reduce", symbol="Π",
          forward=k.product,
          vjps=(rules.prod_rule,),
          jvps=(rules.prod_jvp,), jvp_texts=("Σ t · (product of the others) over axis",),
          derivatives=("product of the others",),
          domain=Domain(ranges=((-2.0, 2.0),)), check=k.check_reduce("prod"))

STD = Op("std", doc="standard deviation over axis, √(Σ(x − mean)²/(n − ddof)); var is its "
                    "composite cousin (F.var)", kind="moment", symbol="σ", smooth=False,
         forward=k.standard_deviation,
         vjps=(rules.std_rule,),
         jvps=(rules.std_jvp,), jvp_texts=("Σ t·(x − mean)/(std·(n − ddof)) over axis",),
         derivatives=("(x − mean)/(std·(n − ddof))",),
         domain=Domain(kinks="a constant slice, std = 0 (gradient 0 there, as PyTorch)",
                       kink_gap=k.std_gap),
         check=k.check_moment("std"))

NORM = Op("norm", doc="Euclidean norm √Σx² over axis (vector 2-norm; Frobenius over two "
                      "axes); F.norm adds np.linalg.norm's other ords", kind="reduce",
          symbol="‖·‖", smooth=False,
          forward=k.euclidean_norm,
          vjps=(rules.norm_rule,),
          jvps=(rules.norm_jvp,), jvp_texts=("Σ t·x/‖x‖ over axis",),
          derivatives=("x/‖x‖",),
          domain=Domain(kinks="the zero vector (gradient 0 there, as PyTorch)",
                        kink_gap=k.norm_gap),
          check=k.check_reduce("norm"))

CUMSUM = Op("cumsum", doc="running sum along axis (None: over the flattened input)",
            kind="scan",
            forward=k.cumulative_sum,
            vjps=(rules.cumsum_rule,),
            jvps=(rules.cumsum_jvp,), jvp_texts=("running sum of t",),
            derivatives=("1 for every later output (running sum of g from the end)",),
            domain=ANY, check=k.check_scan("cumsum"))

CUMPROD = Op("cumprod", doc="running product along axis (None: over the flattened input); "
                            "zeros are exact (no division)", kind="scan",
             forward=k.cumulative_product,
             vjps=(rules.cumprod_rule,),
             jvps=(rules.cumprod_jvp,),
             jvp_texts=("outⱼ gets Σ tᵢ · Π xₖ over i ≤ j (k ≤ j, k ≠ i)",),
             derivatives=("∂outⱼ/∂xᵢ = Π xₖ (k ≤ j, k ≠ i) for j ≥ i",),
             domain=Domain(ranges=((-2.0, 2.0),)), check=k.check_scan("cumprod"))

# ------------------------------------------------------------------ matrices and shapes

MATMUL = Op("matmul", doc="matrix product x @ y (1-d, 2-d and batched)", kind="matmul",
            symbol="@", ufunc=np.matmul,
            forward=k.matmul,
            vjps=(rules.matmul_x,
                  rules.matmul_y),
            jvps=(lambda t, out, x, y: MATMUL(t, y),
                  lambda t, out, x, y: MATMUL(x, t)),
            jvp_texts=("T @ Y", "X @ T"),
            derivatives=("Yᵀ (on the right)", "Xᵀ (on the left)"),
            domain=Domain(ranges=((-2.0, 2.0), (-2.0, 2.0))), check=k.check_matmul)

RESHAPE = Op("reshape", doc="same data, new shape", kind="reshape",
             forward=k.reshape,
             vjps=(lambda g, out, x, shape: RESHAPE(g, shape=shape_of(x)),),
             jvps=(lambda t, out, x, shape: RESHAPE(t, shape=shape),), jvp_texts=("t reshaped",),
             derivatives=("1 (reshaped)",), domain=ANY, check=k.check_reshape)

TRANSPOSE = Op("transpose", doc="permute axes (reverse by default)", kind="transpose",
               forward=k.transpose,
               vjps=(lambda g, out, x, axes=None:
                     TRANSPOSE(g, axes=k.inverse_axes(axes, len(shape_of(x)))),),
               jvps=(lambda t, out, x, axes=None: TRANSPOSE(t, axes=axes),),
               jvp_texts=("t with its axes permuted",),
               derivatives=("1 (axes permuted back)",), domain=ANY, check=k.check_transpose)

BROADCAST_TO = Op("broadcast_to", doc="repeat along new or size-1 axes", kind="broadcast_to",
                  forward=k.broadcast_to,
                  vjps=(lambda g, out, x, shape: rules.unbroadcast(g, shape_of(x)),),
                  jvps=(lambda t, out, x, shape: BROADCAST_TO(t, shape=shape),),
                  jvp_texts=("t broadcast",),
                  derivatives=("1 (summed over broadcast axes)",), domain=ANY,
                  check=k.check_broadcast_to)

GETITEM = Op("getitem", doc="x[index] — basic and integer-array indexing", kind="getitem",
             forward=k.getitem,
             vjps=(lambda g, out, x, index: INDEX_ADD(g, shape=shape_of(x), index=index),),
             jvps=(lambda t, out, x, index: GETITEM(t, index=index),), jvp_texts=("t[index]",),
             derivatives=("1 at the selected elements",), domain=ANY, check=k.check_getitem)

INDEX_ADD = Op("index_add", doc="zeros(shape) with x added at index (the adjoint of getitem)",
               kind="index_add",
               forward=k.index_add,
               vjps=(lambda g, out, x, shape, index: GETITEM(g, index=index),),
               jvps=(lambda t, out, x, shape, index: INDEX_ADD(t, shape=shape, index=index),),
               jvp_texts=("t added at index",),
               derivatives=("1 at the selected elements",), domain=ANY)

CONCATENATE = Op("concatenate", doc="join arrays along an axis", kind="concatenate",
                 forward=k.concatenate,
                 vjps=PerInput(rules.concatenate_rule),
                 jvps=PerInput(rules.concatenate_jvp), jvp_texts=("t in its slice, 0 elsewhere",),
                 derivatives=("1 on its slice",), domain=ANY, check=k.check_concatenate)

WHERE = Op("where", doc="elementwise choice: x where cond else y", kind="where",
           forward=k.where,
           vjps=(lambda g, out, x, y, cond: select(cond, g),
                 lambda g, out, x, y, cond: select(~cond, g)),
           derivatives=("[cond]", "[not cond]"), domain=PAIR, check=k.check_where)

# ------------------------------------------------------------------ linear algebra
# Contractions (dot, tensordot, einsum), diagonals and triangles, np.linalg.

SQUARE_MATRIX = Domain(ranges=((-2.0, 2.0),),
                singular="det X = 0 (the strategies add a multiple of the identity: "
                         "diagonally dominant X)")

EINSUM = Op("einsum", doc="Einstein summation, NumPy's einsum (subscripts made explicit by "
            "F.einsum: dot, outer, tensordot, trace and diagonal are einsums)", kind="einsum",
            forward=k.einsum,
            vjps=PerInput(rules.einsum_rule),
            jvps=PerInput(rules.einsum_jvp),
            jvp_texts=("the same einsum with t in the operand's place",),
            derivatives=("g einsummed with the other operands (diagonals tied by I)",),
            domain=ANY, check=k.check_einsum)

INV = Op("inv", doc="matrix inverse X⁻¹ (batched); a singular X raises SingularMatrixError",
         kind="square",
         forward=k.inv,
         vjps=(rules.inv_vjp,),
         jvps=(rules.inv_jvp,), jvp_texts=("−X⁻¹ T X⁻¹",),
         derivatives=("−X⁻ᵀ g X⁻ᵀ",),
         domain=SQUARE_MATRIX, check=k.check_square("inv", singular=True))

SOLVE = Op("solve", doc="the Z with X·Z = Y (Y a vector (n,) or matrices (…, n, k), as "
           "NumPy 2); a singular X raises SingularMatrixError", kind="solve",
           forward=k.solve,
           vjps=(rules.solve_x,
                 rules.solve_y),
           jvps=(rules.solve_x_jvp,
                 rules.solve_y_jvp),
           jvp_texts=("−solve(X, T · solve(X, Y))", "solve(X, T)"),
           derivatives=("−solve(Xᵀ, g) · solve(X, Y)ᵀ", "solve(Xᵀ, g)"),
           domain=Domain(ranges=((-2.0, 2.0), (-2.0, 2.0)), singular=SQUARE_MATRIX.singular),
           check=k.check_solve)

DET = Op("det", doc="determinant (batched); its gradient is finite at singular X too",
         kind="square",
         forward=k.det,
         vjps=(rules.det_vjp,),
         jvps=(rules.det_jvp,), jvp_texts=("Σ adj(X)ᵀ ⊙ T (det X · tr(X⁻¹ T))",),
         derivatives=("adj(X)ᵀ, the cofactors (det X · X⁻ᵀ when X is invertible)",),
         domain=SQUARE_MATRIX, check=k.check_square("det"))

SLOGDET = Op("slogdet", doc="(sign, log|det X|) stacked along a new last axis (F.linalg.slogdet "
             "splits them as NumPy does); the sign has no gradient", kind="square",
             forward=k.slogdet,
             vjps=(rules.slogdet_vjp,),
             jvps=(rules.slogdet_jvp,), jvp_texts=("(0, tr(X⁻¹ T))",),
             derivatives=("(0, X⁻ᵀ); ±inf/nan at det X = 0",),
             domain=SQUARE_MATRIX, check=k.check_square("slogdet"))


# ------------------------------------------------------------------ structure, continued
# Repeating, flipping, padding, splitting and moving axes; gathering by index.

ASTYPE = Op("astype", doc="cast between float32 and float64", kind="astype",
            forward=k.astype,
            vjps=(lambda g, out, x, dtype: ASTYPE(g, dtype=rules.dtype_name(x)),),
            jvps=(lambda t, out, x, dtype: ASTYPE(t, dtype=dtype),),
            jvp_texts=("t cast to dtype",),
            derivatives=("1 (cast back to x's dtype)",), domain=ANY, check=k.check_astype)


# ------------------------------------------------------------------ windows
# Sliding windows: what convolution and pooling are built from.
WINDOWS = Op("windows", doc="sliding windows over the last two axes (..., H, W) → (..., OH, OW, "
             "KH, KW), with stride, zero (or fill) padding and dilation: im2col's patches",
             kind="windows",
             forward=k.windows,
             vjps=(rules.windows_rule,),
             # the tangent's padding is 0 whatever the fill: the fill is a constant
             jvps=(lambda t, out, x, fill=0.0, **params: WINDOWS(t, **params),),
             jvp_texts=("the windows of t (padded with 0)",),
             derivatives=("1 at each window's place in x (overlapping windows add)",),
             domain=ANY, check=k.check_windows)

#: Every primitive, by name, in the order the rows are written above (a new row is in
#: it by being written). Tests, docs, the graph labels and the checker read this.
OPS: dict[str, Op] = {row.name: row for row in list(globals().values()) if isinstance(row, Op)}


def op_named(name: str) -> Op:
    """The table entry called ``name``.

    >>> op_named("mul").derivative(0)
    'y'
    """
    return OPS[name]
