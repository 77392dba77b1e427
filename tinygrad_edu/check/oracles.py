"""Independent references for the op table, and the conventions at its edges.

Three things live here, all test infrastructure (they need the ``test`` extra):

* :data:`CONVENTIONS` — the one table of kink, tie and edge conventions (relu′(0),
  |x|′(0), ties in max and maximum, powers at a zero base, …), each with the value
  tinygrad_edu gives and what PyTorch and HIPS autograd give. It mirrors the table in
  ``docs/conventions.md``; the tests read the expected values from here.
* Spellings of every op of the table in HIPS autograd (pure NumPy, always installed
  with the ``test`` extra) and in PyTorch (used when importable). The HIPS spelling
  comes in two flavours: ``native`` (HIPS's own rules everywhere) and ``conventions``
  (HIPS's rules for smooth ops, and at kinks, ties and edges the rule written in
  :data:`CONVENTIONS`, implemented here from that table, not from the engine).
* :class:`Program` — a straight-line program over the op table, and :func:`run_program`
  / :func:`compare_program`, which run it on the engine and on the references and list
  every disagreement, each either explained by a convention or not.

Imports: ``core``; ``autograd`` (HIPS) lazily; ``torch`` lazily.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..core import OPS, Value, apply, grad
from ..core.kernels import normalize_axis

__all__ = ["Convention", "CONVENTIONS", "KINK_CONVENTION", "Const", "Instruction", "Program",
           "run_program", "hips_ops", "torch_ops", "torch_available", "Disagreement",
           "compare_program", "active_conventions"]


# ----------------------------------------------------------------------- conventions


@dataclass(frozen=True)
class Convention:
    """One rule at a kink, tie or edge of the domain, and how the references differ.

    ``ours`` is the value the rule gives (a number, or a word for rules with options);
    ``pytorch`` and ``hips`` say what those libraries give, with the source; ``differs``
    names the references that give something else (a disagreement with them is
    explained by this rule when the rule is active in a program).
    """

    rule: str
    ours: Any
    pytorch: str
    hips: str
    differs: frozenset[str] = frozenset()
    forward: bool = False  # the rule is about forward values (else about gradients)
    #: In a float32 program the value depends on its inputs' last bits, which each run
    #: rounds its own way (the engine keeps 0-d results as Python floats, the references
    #: stay float32 or run float64): then every reference may differ, HIPS's too.
    rounding_sensitive: bool = False


CONVENTIONS: dict[str, Convention] = {
    "relu_at_0": Convention(
        "relu′(0) = 0", 0.0,
        "0: relu's backward is threshold_backward, which passes the gradient only where x > 0",
        "no relu; maximum(x, 0) gives 0.5 at 0 (ties share)", frozenset({"hips"})),
    "abs_at_0": Convention(
        "|x|′(0) = 0", 0.0, "0: abs backward is grad · sgn(x), sgn(0) = 0",
        "0: abs backward is g · x / |x| with 0 where x = 0"),
    "max_ties": Convention(
        "max/min over an axis: tied extremes share the gradient equally (1/k each)", "share",
        "share: amax/amin divide the gradient among the ties",
        "share: g · (x == max) / count"),
    "maximum_ties": Convention(
        "maximum(x, y) at x = y: the whole gradient goes to y, the second argument (the "
        "bound: maximum(x, 0) is relu, gradient included)", "second",
        "0.5 each: maximum backward halves the gradient at ties",
        "0.5 each: balanced_eq", frozenset({"pytorch", "hips"})),
    "minimum_ties": Convention(
        "minimum(x, y) at x = y: the whole gradient goes to y, as for maximum", "second",
        "0.5 each: minimum backward halves the gradient at ties",
        "0.5 each: balanced_eq", frozenset({"pytorch", "hips"})),
    "clip_bounds": Convention(
        "clip(x, lo, hi) at x = lo or x = hi: gradient 0 (the bound wins the tie, as for "
        "relu)", 0.0,
        "1: clamp backward passes the gradient where lo ≤ x ≤ hi",
        "0: clip backward passes it only where lo < x < hi", frozenset({"pytorch"})),
    "relu_maximum_clip_agree": Convention(
        "relu(x), maximum(x, 0) and clip(x, 0, None) have the same derivative at x = 0",
        True, "no: 0, 0.5 and 1", "no relu; maximum 0.5, clip 0", frozenset({"pytorch", "hips"})),
    "pow_zero_exponent": Convention(
        "d/dx x**0 = 0 everywhere, x = 0 and x = ±inf included", 0.0,
        "0: pow backward returns zeros where the exponent is 0",
        "0: the exponent 0 is replaced by 1 in the rule"),
    "pow_zero_base": Convention(
        "d/dy 0**y = 0 for y ≥ 0 and −inf for y < 0 (PyTorch's limits); "
        "d/dx x**y at x = 0 is y·0**(y−1)", "pytorch",
        "0 where x = 0 and y ≥ 0, else result · log x (−inf for y < 0)",
        "g · log(1) · result: nan for y < 0", frozenset({"hips"})),
    "pow_negative_base": Convention(
        "d/dy x**y at x < 0 is nan (x**y is not real for nearby y)", math.nan,
        "nan: result · log x", "nan: result · log x"),
    "select_not_multiply": Convention(
        "a zero local derivative (a mask: relu, maximum, minimum, max, abs at 0, where) "
        "times an infinite or nan upstream gradient is 0, not nan", 0.0,
        "0 for relu, maximum, minimum, where (masked_fill / where); nan for amax and abs "
        "(they multiply)", "nan for maximum, minimum, max, abs (they multiply); 0 for where",
        frozenset({"pytorch", "hips"})),
    "signed_zero": Convention(
        "at −0.0 the IEEE sign is kept: d/dx √x = 1/(2·(−0.0)) = −inf, 1/(−0.0) = −inf",
        -math.inf, "the same: sqrt backward is grad / (2·result)",
        "+inf: sqrt backward is g · 0.5 · x**−0.5 and (−0.0)**−0.5 = +inf",
        frozenset({"hips"})),
    "softmax_of_inf": Convention(
        "log_softmax of a row holding +inf, or of a row of −inf: nan across the row "
        "(∞ − ∞ has no limit to take)", math.nan, "the same", "x − logsumexp(x): −inf at "
        "the finite entries of a row holding +inf", frozenset({"hips"}), forward=True),
    "saturation": Convention(
        "σ′ = σ(1 − σ) and tanh′ = 1 − tanh² are computed from the output: where it "
        "rounds to ±1 (|x| > 19 for tanh, x > 37 for σ in float64) the derivative is 0, "
        "not the e^−2|x|-small exact value", 0.0, "the same (sigmoid_backward, "
        "tanh_backward use the output)", "exact: tanh′ = 1/cosh², σ through exp",
        frozenset({"hips"})),
    "singular_intermediate": Convention(
        "the chain rule through an intermediate at a singular point (sqrt or log at 0) "
        "gives inf or nan even where the composite is smooth (sqrt(x − x) at any x)", None,
        "the same (chain rule)", "the same (chain rule)"),
    "nan_forward": Convention(
        "a program whose forward pass produced nan has no defined gradient: only the "
        "forward values are compared (nan must propagate through every op)", None,
        "relu passes the gradient at nan (threshold_backward tests the output)",
        "masks are 0 at nan (nan == nan is false)"),
    # reductions, continued
    "prod_zeros": Convention(
        "prod with zeros: each element gets the product of the others, computed without "
        "dividing (one zero: that element gets the rest's product, the others 0; two "
        "zeros: all 0) as (product before it)·(product after it, from the right); cumprod "
        "as Π_{k<i} x_k · Σ_{j≥i} g_j Π_{i<k≤j} x_k (no nested loop: 0·1e300·1e300 is 0, "
        "not an overflow times 0)", "exact",
        "the same (prod_backward handles zeros apart)",
        "nan where x = 0: g · prod / x (0/0)", frozenset({"hips"})),
    "std_zero_variance": Convention(
        "std at a constant slice (variance 0): gradient 0, the smallest subgradient of "
        "the cone √(Σ(x − mean)²/(n − ddof))", 0.0,
        "0: std_backward masks result == 0 (2.13)",
        "nan: g · (x − mean) / (std · (n − ddof)) is 0/0", frozenset({"hips"})),
    "norm_at_zero": Convention(
        "‖x‖ at the zero vector: gradient 0, the smallest subgradient of the cone", 0.0,
        "0: vector_norm's backward masks ‖x‖ = 0",
        "nan: g / ‖x‖ · x is 0/0", frozenset({"hips"})),
    "norm_scaled": Convention(
        "‖x‖ and std (‖x − mean‖/√(n − ddof)) are computed scaled by the largest |x| (as "
        "LAPACK's nrm2): finite where the result is, although x² overflows (|x| > 1e154 "
        "in float64) or underflows", "scaled",
        "squares first in float64 (inf at 1e200; float32 accumulates in float64)",
        "np.linalg.norm squares first (the spelling here is scaled, as ours)",
        frozenset({"pytorch"}), forward=True),
    # elementwise, continued
    "steps_flat": Convention(
        "floor, ceil, round and sign: gradient 0 everywhere, at their jumps too (no "
        "derivative there; 0 is the one-sided value of both sides)", 0.0,
        "0: their backward returns zeros", "0: nograd functions (anp.floor, anp.rint, "
        "anp.sign, …)"),
    "steps_pass_zeros": Convention(
        "a step function (floor, ceil, round, sign) sends a gradient of zeros to its input, "
        "as PyTorch: through an intermediate at a singular point (1/x at x = 0) the chain "
        "rule gives 0·∞ = nan, as for singular_intermediate", None,
        "the same (zeros_like(grad), then the chain rule)",
        "0: nograd functions cut the graph, nothing flows back", frozenset({"hips"})),
    "remainder_jump": Convention(
        "x mod y where x/y is an integer (a jump): ∂/∂x = 1, ∂/∂y = −⌊x/y⌋ with ⌊x/y⌋ the "
        "quotient the forward used (np.floor_divide)", "floor_divide",
        "the same: remainder backward is −grad·div(x, y, rounding_mode='floor')",
        "−g·floor(x / y): differs by 1 where x / y rounds up to an integer "
        "(1.0 mod 0.1: −10, the forward's quotient is 9)", frozenset({"hips"})),
    "hypot_at_origin": Convention(
        "hypot(x, y) at (0, 0) (a cone point, |x| when y = 0): gradient (0, 0), as |x|′(0)",
        0.0, "nan: hypot backward is grad·x/result = 0/0", "nan: g·x/ans = 0/0",
        frozenset({"pytorch", "hips"})),
    "arctan2_at_origin": Convention(
        "arctan2(x, y) at (0, 0) (no limit: the angle's direction is undefined): gradient "
        "(0, 0)", 0.0, "0: atan2 backward masks the origin", "nan: g·y/(x² + y²) = 0/0",
        frozenset({"hips"})),
    "logaddexp_infinite": Convention(
        "∂logaddexp/∂x = σ(x − y): at x = +inf, y finite it is 1 (and 0 for y); at (−inf, "
        "−inf) and (+inf, +inf) nan (no limit: it depends on the direction)", 1.0,
        "the same: grad / (1 + exp(y − x))", "nan: g·exp(x − ans) = exp(inf − inf)",
        frozenset({"hips"})),
    "elu_at_0": Convention(
        "elu′(0) = α, the x ≤ 0 branch's e^0·α (for α = 1 the derivative; for α ≠ 1 a "
        "kink)", 1.0, "the same: elu backward takes the negative branch where x ≤ 0",
        "no elu; where(x > 0, x, α·expm1(x)) gives α"),
    "sign_of_nan": Convention(
        "sign(nan) = nan, as NumPy", math.nan, "0: torch.sign(nan) is 0", "nan (np.sign)",
        frozenset({"pytorch"}), forward=True),
    "remainder_overflow": Convention(
        "x mod y where |x/y| ≥ 2²⁴ (1e300 mod 1e-12): NumPy's exact remainder, in [0, y)",
        "numpy", "x − floor(x/y)·y: digits lost; nan where x/y overflows (its vectorised kernel, "
        "8 or more elements)", "NumPy's value",
        frozenset({"pytorch"}), forward=True, rounding_sensitive=True),
    "periodic_huge_argument": Convention(
        "sin, cos, tan of |x| ≥ 2²⁴ in a float32 program: NumPy's value at the argument the "
        "engine holds (its 0-d results are Python floats), where a float32 rounding of "
        "that argument gives any value in the period", "numpy", "its float32 argument's",
        "its float32 or float64 argument's", frozenset({"pytorch", "hips"}), forward=True,
        rounding_sensitive=True),
    # linear algebra (issue 14)
    "linalg_nonfinite": Convention(
        "inv, solve, det and slogdet of a matrix holding inf or nan: nan for that matrix "
        "(LAPACK's answer depends on its pivots: inf, nan, or 'singular' where no matrix "
        "is)", math.nan, "nan or inf by the pivots; slogdet's sign is 0",
        "NumPy's: inf, nan or LinAlgError by the pivots (the spelling here follows the rule)",
        frozenset({"pytorch"}), forward=True),
    "einsum_order": Convention(
        "einsum of three or more operands is NumPy's unoptimized einsum: every product term "
        "at once, so a 0·inf term is nan where pairwise contraction may give ±inf",
        math.nan, "pairwise contractions (inf where the 0 was summed away first)",
        "the same as ours (np.einsum)", frozenset({"pytorch"}), forward=True),
    "det_singular": Convention(
        "d det X/dX at a singular X is adj(X)ᵀ, the cofactors (finite, the limit of "
        "det X · X⁻ᵀ), computed from the minors", "adjugate",
        "0 at an exactly singular X in 2.13 (linalg_det_backward)",
        "LinAlgError: its rule is det X · inv(X)ᵀ", frozenset({"pytorch", "hips"})),
    "slogdet_singular": Convention(
        "slogdet at det X = 0 is (0, −inf), as NumPy; its gradient X⁻ᵀ does not exist: the "
        "cofactors divided by 0, ±inf along their signs and nan where a cofactor is 0",
        -math.inf, "the same ±inf", "LinAlgError: its rule is inv(X)ᵀ", frozenset({"hips"})),
}

#: The convention that governs each non-smooth op's kink (every such op must have one).
KINK_CONVENTION = {"relu": "relu_at_0", "abs": "abs_at_0", "max": "max_ties",
                   "maximum": "maximum_ties", "minimum": "minimum_ties",
                   # elementwise, continued
                   "floor": "steps_flat", "ceil": "steps_flat", "round": "steps_flat",
                   "sign": "steps_flat", "remainder": "remainder_jump",
                   "hypot": "hypot_at_origin", "arctan2": "arctan2_at_origin",
                   "elu": "elu_at_0"}
KINK_CONVENTION |= {"std": "std_zero_variance", "norm": "norm_at_zero"}  # reductions, cont.


# ---------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class Const:
    """A constant operand of an instruction (a float or an array)."""

    value: Any

    def __repr__(self) -> str:
        return _literal(self.value)


@dataclass(frozen=True)
class Instruction:
    """``slot = OPS[op](*args, **params)``; an int argument names an earlier slot."""

    op: str
    args: tuple[Any, ...]
    params: dict = field(default_factory=dict)


@dataclass
class Program:
    """Leaves (float or float32/float64 arrays), instructions, and the output's upstream.

    Slots are numbered leaves first; the last slot is the output, and ``upstream`` is
    the gradient sent back into it (same shape).
    """

    leaves: list[Any]
    instructions: list[Instruction]
    upstream: Any = 1.0

    def source(self) -> str:
        """Runnable tinygrad_edu code that builds this program and backpropagates."""
        lines = ["import numpy as np",
                 "from tinygrad_edu import OPS, Value, grad",
                 "from tinygrad_edu.core import apply",
                 "nan, inf = float('nan'), float('inf')"]
        lines += [f"s{i} = Value({_literal(x)})" for i, x in enumerate(self.leaves)]
        n = len(self.leaves)
        for k, ins in enumerate(self.instructions):
            args = ", ".join(f"s{a}" if isinstance(a, int) else repr(a) for a in ins.args)
            params = ", ".join(f"{key!r}: {_literal(v)}" for key, v in ins.params.items())
            lines.append(f"s{n + k} = apply(OPS[{ins.op!r}], ({args},), {{{params}}})")
        last = n + len(self.instructions) - 1
        leaves = ", ".join(f"s{i}" for i in range(n))
        lines.append(f"grads = grad(s{last}, [{leaves}], grad_outputs={_literal(self.upstream)})")
        return "\n".join(lines)

    @property
    def dtype(self) -> np.dtype:
        """float32 when any leaf is a float32 array (results are float32), else float64."""
        f32 = any(isinstance(x, np.ndarray) and x.dtype == np.float32 for x in self.leaves)
        return np.dtype(np.float32 if f32 else np.float64)

    def ancestors(self, slot: int) -> set[int]:
        """Slots that ``slot`` depends on, itself included."""
        n = len(self.leaves)
        seen, todo = set(), [slot]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            if s >= n:
                todo.extend(a for a in self.instructions[s - n].args if isinstance(a, int))
        return seen


def _literal(x: Any) -> str:
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return f"np.array({x.tolist()!r})"
        if x.dtype.kind == "f":  # tolist() repr: exact, one line; inf and nan are names
            return f"np.array({x.tolist()!r}, dtype=np.{x.dtype.name})"
        return f"np.array({x.tolist()!r})"
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, tuple):
        return "(" + "".join(_literal(v) + ", " for v in x) + ")"
    if isinstance(x, slice):
        return f"slice({x.start}, {x.stop}, {x.step})"
    return repr(x)


def run_program(program: Program, leaves: Sequence[Any],
                call: Callable[[str, list, dict], Any],
                const: Callable[[Any], Any] = lambda v: v) -> list[Any]:
    """Every slot's value: ``leaves`` (already converted), then each instruction's result."""
    slots = list(leaves)
    for ins in program.instructions:
        args = [slots[a] if isinstance(a, int) else const(a.value) for a in ins.args]
        slots.append(call(ins.op, args, ins.params))
    return slots


# --------------------------------------------------------------------- the references


def _hips():
    """HIPS autograd's modules; a missing install is an error (it is a test dependency)."""
    import autograd
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive
    from autograd.tracer import getval

    return autograd, anp, primitive, defvjp, getval


def _unbroadcast_to(anp, g, shape):
    """Sum ``g`` down to ``shape`` (HIPS's where and broadcast_to do not)."""
    while anp.ndim(g) > len(shape):
        g = anp.sum(g, axis=0)
    for i, n in enumerate(shape):
        if n == 1 and anp.shape(g)[i] != 1:
            g = anp.sum(g, axis=i, keepdims=True)
    return g


_HIPS_CACHE: dict[tuple, dict[str, Callable]] = {}


def hips_ops(conventions: bool = True, dtype: Any = np.float64) -> dict[str, Callable[..., Any]]:
    """Every op of the table spelt in HIPS autograd: ``{name: fn(*args, **params)}``.

    With ``conventions`` the kinks, ties and edges follow :data:`CONVENTIONS` (custom
    HIPS primitives written from that table); without, HIPS's own rules apply. ``dtype``
    is the precision of the run: Python floats broadcast to arrays take it.
    """
    key = (conventions, np.dtype(dtype))
    if key in _HIPS_CACHE:
        return _HIPS_CACHE[key]
    autograd, anp, primitive, defvjp, getval = _hips()


    def dtype_of(x):
        raw = getval(x)
        return raw.dtype if isinstance(raw, (np.ndarray, np.generic)) else np.dtype(dtype)

    def broadcast_to(x, shape):
        # x · ones keeps −0.0, inf and nan as they are (x + zeros would turn −0.0 into 0.0)
        return x * np.ones(shape, dtype=dtype_of(x))

    def where(x, y, cond):
        shape = np.broadcast_shapes(np.shape(cond), anp.shape(x), anp.shape(y))
        return anp.where(cond, broadcast_to(x, shape), broadcast_to(y, shape))

    def logsumexp(x, axis=None, keepdims=False):
        raw = np.asarray(getval(x))
        m = np.max(raw, axis=axis, keepdims=True) if raw.size else raw
        # a constant: its gradient cancels exactly. A row holding +inf shifts by its
        # largest finite entry, so its finite entries' e^(x − m) do not overflow to an
        # inf/inf = nan gradient (the engine's e^(x − out) gives them 0, as PyTorch)
        with np.errstate(invalid="ignore"):
            finite_max = np.max(np.where(np.isfinite(raw), raw, -np.inf), axis=axis,
                                keepdims=True) if raw.size else raw
        m = np.where(np.isfinite(m), m, np.where(np.isfinite(finite_max), finite_max, 0.0))
        with np.errstate(all="ignore"):
            out = anp.log(anp.sum(anp.exp(x - m), axis=axis, keepdims=True)) + m
        if not keepdims:
            out = anp.squeeze(out, axis=axis) if axis is not None else anp.reshape(out, ())
        return out

    def log_softmax(x, axis=-1):
        # the shifted form, (x − m) − log Σ e^(x − m) with m a constant: x − logsumexp(x)
        # would round logsumexp at the logits' magnitude (2e30 + log 2 is 2e30)
        raw = np.asarray(getval(x))
        m = np.max(raw, axis=axis, keepdims=True)
        shifted = x - np.where(np.isfinite(m), m, 0.0)
        with np.errstate(all="ignore"):
            out = shifted - anp.log(anp.sum(anp.exp(shifted), axis=axis, keepdims=True))
        if not conventions:
            return out
        # convention softmax_of_inf: a row holding +inf, or of −inf only, is nan
        undefined = np.any(raw == np.inf, axis=axis, keepdims=True) | \
            np.all(raw == -np.inf, axis=axis, keepdims=True)
        return anp.where(undefined, np.nan, out) if np.any(undefined) else out

    def softplus(x):
        # log(1 + e^x) without overflow, finite gradients at ±inf: each branch sees only
        # the inputs it keeps (the other branch's inputs are 0, so no inf·0 in backward)
        positive = np.asarray(getval(x)) > 0
        xp, xn = anp.where(positive, x, 0.0), anp.where(positive, 0.0, x)
        return anp.where(positive, xp + anp.log1p(anp.exp(-xp)), anp.log1p(anp.exp(xn)))

    def typed(fn):
        # constants as NumPy scalars of the run's dtype: HIPS's arctan2 rule squares them,
        # and a Python float 1e300 ** 2 raises OverflowError where NumPy gives inf
        def call(*xs):
            return fn(*(np.dtype(dtype).type(x) if type(x) is float else x for x in xs))
        return call

    def elu(x, alpha=1.0):
        # each branch sees only the inputs it keeps (expm1 of +inf would give inf·0 = nan)
        positive = np.asarray(getval(x)) > 0
        below = anp.where(positive, 0.0, x)
        return anp.where(positive, x, alpha * anp.expm1(below))

    def index_add(x, shape, index):
        zeros = np.zeros(shape, dtype=dtype_of(x))
        vjp, _ = autograd.make_vjp(lambda z: z[index])(zeros)
        return vjp(x)

    def windows(x, kernel, stride=1, padding=0, dilation=1, fill=0.0):
        # pad by joining constant blocks (no arithmetic on x: −0.0, inf and nan stay),
        # then take every window with one integer-array index
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pairs(kernel, stride, padding, dilation)
        lead, (h, w) = anp.shape(x)[:-2], anp.shape(x)[-2:]
        if pw:
            side = np.full(lead + (h, pw), fill, dtype=dtype_of(x))
            x = anp.concatenate([side, x, side], axis=-1)
        if ph:
            side = np.full(lead + (ph, w + 2 * pw), fill, dtype=dtype_of(x))
            x = anp.concatenate([side, x, side], axis=-2)
        oh = (h + 2 * ph - (kh - 1) * dh - 1) // sh + 1
        ow = (w + 2 * pw - (kw - 1) * dw - 1) // sw + 1
        rows = np.add.outer(np.arange(oh) * sh, np.arange(kh) * dh)[:, None, :, None]
        cols = np.add.outer(np.arange(ow) * sw, np.arange(kw) * dw)[None, :, None, :]
        return x[..., rows, cols]

    def finite_matrices(fn):
        # convention linalg_nonfinite: a matrix holding inf or nan gives nan (an identity
        # stands in for it, so HIPS's rules never invert it)
        def call(a, *rest):
            bad = ~np.all(np.isfinite(np.asarray(getval(a))), axis=(-2, -1))
            if not np.any(bad):
                return fn(a, *rest)
            out = fn(anp.where(bad[..., None, None], np.eye(anp.shape(a)[-1]), a), *rest)
            return anp.where(np.reshape(bad, bad.shape + (1,) * (anp.ndim(out) - bad.ndim)),
                             np.nan, out)
        return call

    table: dict[str, Callable[..., Any]] = {
        "add": anp.add, "sub": anp.subtract, "mul": anp.multiply, "div": anp.true_divide,
        "pow": anp.power, "maximum": anp.maximum, "minimum": anp.minimum,
        "neg": anp.negative, "exp": anp.exp, "log": anp.log, "sqrt": anp.sqrt,
        "tanh": anp.tanh, "sin": anp.sin, "cos": anp.cos, "abs": anp.abs,
        "relu": lambda x: anp.maximum(x, 0.0),
        "sigmoid": lambda x: anp.exp(-softplus(-x)),
        "softplus": softplus, "log_sigmoid": lambda x: -softplus(-x),
        "sum": lambda x, axis=None, keepdims=False: anp.sum(x, axis=axis, keepdims=keepdims),
        "max": lambda x, axis=None, keepdims=False: anp.max(x, axis=axis, keepdims=keepdims),
        "logsumexp": logsumexp,
        "log_softmax": log_softmax,
        "matmul": anp.matmul,
        "reshape": lambda x, shape: anp.reshape(x, shape),
        # HIPS's transpose rule inverts axes with argsort: (0, -2, -1) must be (0, 1, 2)
        "transpose": lambda x, axes=None: anp.transpose(
            x, None if axes is None else tuple(a % max(anp.ndim(x), 1) for a in axes)),
        "broadcast_to": broadcast_to,
        "getitem": lambda x, index: x[index],
        "index_add": index_add,
        "concatenate": lambda *xs, axis=0: anp.concatenate(list(xs), axis=axis),
        "where": where,
        "windows": windows,
        # elementwise, continued
        "log1p": anp.log1p, "expm1": anp.expm1, "log2": anp.log2, "log10": anp.log10,
        "exp2": anp.exp2, "square": anp.square, "reciprocal": anp.reciprocal,
        "tan": anp.tan, "sinh": anp.sinh, "cosh": anp.cosh, "arcsin": anp.arcsin,
        "arccos": anp.arccos, "arctan": anp.arctan, "arcsinh": anp.arcsinh,
        "arccosh": anp.arccosh, "arctanh": anp.arctanh, "arctan2": typed(anp.arctan2),
        "hypot": anp.hypot, "logaddexp": anp.logaddexp, "remainder": anp.remainder,
        "floor": anp.floor, "ceil": anp.ceil, "round": anp.rint, "sign": anp.sign,
        "elu": elu,
        # linear algebra and astype (issue 14)
        "einsum": lambda *xs, subscripts: _einsum_without_repeats(anp, subscripts, xs),
        "inv": finite_matrices(anp.linalg.inv),
        "solve": finite_matrices(anp.linalg.solve),
        "det": finite_matrices(anp.linalg.det),
        "slogdet": finite_matrices(lambda x: anp.stack(list(anp.linalg.slogdet(x)), axis=-1)),
        "astype": lambda x, dtype: anp.array(x).astype(dtype),
    }
    table.update(_hips_reductions(anp))  # reductions, continued
    if conventions:
        table.update(_convention_primitives(anp, primitive, defvjp))
        table.update(_reduction_convention_primitives(anp, primitive, defvjp))
    _HIPS_CACHE[key] = table
    return table


def _convention_primitives(anp, primitive, defvjp) -> dict[str, Callable[..., Any]]:
    """HIPS primitives whose rules at kinks, ties and edges come from CONVENTIONS.

    Each rule is a local derivative (an array, computed on raw data). Masks and flat
    points *select* (the convention "select, don't multiply"); true products multiply.
    """


    def rule(local_of, position=0, selected="zeros"):
        """A VJP ``g · local``. Where ``selected`` holds the result is exactly 0 whatever
        g is (a mask, or a flat point such as x**0): "zeros" means wherever local is 0,
        None means nowhere (a true product: inf · 0 stays nan, as in PyTorch), and a
        function of the inputs gives the places."""
        def make(ans, *args, **params):
            raw = [np.asarray(a) for a in args]
            with np.errstate(all="ignore"):
                local = np.asarray(local_of(*raw, **params))
                zero = local == 0 if selected == "zeros" else None if selected is None \
                    else np.broadcast_to(selected(*raw), np.shape(local))
            shape = np.shape(args[position])

            def vjp(g):
                g = anp.reshape(g, np.shape(local)) if np.shape(g) != np.shape(local) else g
                out = g * local if zero is None else anp.where(
                    zero, np.zeros(np.shape(local)), g * local)
                return _unbroadcast_to(anp, out, shape)
            return vjp
        return make

    def divide_forward(x, y):
        with np.errstate(all="ignore"):
            return np.true_divide(x, y)

    # d/dy x/y = −(x/y)/y: HIPS's −x/y² underflows to 0/0 = nan for tiny y (1e-166)
    divide = primitive(divide_forward)
    full = lambda x, y: np.broadcast_shapes(np.shape(x), np.shape(y))  # noqa: E731
    defvjp(divide, rule(lambda x, y: np.broadcast_to(1.0 / y, full(x, y)), 0, None),
           rule(lambda x, y: np.broadcast_to(-(x / y) / y, full(x, y)), 1, None))

    # σ′ = σ(1 − σ) and tanh′ = 1 − tanh², from the output (convention saturation)
    sigmoid = primitive(lambda x: _exact_sigmoid(x))
    defvjp(sigmoid, lambda ans, x: lambda g: g * (ans * (1.0 - ans)))
    tanh = primitive(np.tanh)
    defvjp(tanh, lambda ans, x: lambda g: g * (1.0 - ans * ans))
    # softplus′ = σ(x): an infinite upstream at x = +inf gives inf, not inf·0 = nan.
    # The value as max(x, 0) + log1p(e^−|x|): in float32 np.logaddexp differs in the last
    # bit, and std of [softplus(0), softplus(−1e-7)] is then 0 on one side and 2.5e-8 on
    # the other (a constant slice, std's kink, on one side only)
    softplus = primitive(lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))
    defvjp(softplus, lambda ans, x: lambda g: g * _exact_sigmoid(x))

    # d/dx √x = 1/(2√x) written with the result, so −0.0 keeps its sign (convention
    # signed_zero; HIPS's x**−0.5 turns −0.0 into +inf)
    root = primitive(lambda x: np.sqrt(x))
    defvjp(root, rule(lambda x: 0.5 / np.sqrt(x), 0, None))

    relu_at_0 = CONVENTIONS["relu_at_0"].ours
    relu = primitive(lambda x: np.maximum(x, 0.0))
    defvjp(relu, rule(lambda x: np.where(x > 0, 1.0, np.where(x == 0, relu_at_0, 0.0))))

    abs_at_0 = CONVENTIONS["abs_at_0"].ours
    absolute = primitive(np.abs)
    defvjp(absolute, rule(lambda x: np.where(x == 0, abs_at_0, np.sign(x))))

    def tie_weights(name):
        def weights(x, y):
            wins = x > y if name == "maximum" else x < y
            loses = x < y if name == "maximum" else x > y
            tie = x == y
            first = {"first": 1.0, "second": 0.0, "share": 0.5}[CONVENTIONS[f"{name}_ties"].ours]
            return (np.where(tie, first, wins.astype(float)),
                    np.where(tie, 1.0 - first, loses.astype(float)))
        return weights

    maximum = primitive(lambda x, y: np.maximum(x, y))
    minimum = primitive(lambda x, y: np.minimum(x, y))
    for f, name in ((maximum, "maximum"), (minimum, "minimum")):
        w = tie_weights(name)
        defvjp(f, rule(lambda x, y, w=w: np.broadcast_to(w(x, y)[0], full(x, y)), 0),
               rule(lambda x, y, w=w: np.broadcast_to(w(x, y)[1], full(x, y)), 1))

    def pow_dx(x, y):  # y·x^(y−1), and 0 wherever y = 0 (x**0 is constant)
        return np.where(y == 0, 0.0, y * np.power(x, np.where(y == 0, 1.0, y - 1.0)))

    def pow_dy(x, y):  # x^y·ln x, and PyTorch's 0 at x = 0, y ≥ 0
        zero_base = (x == 0) & (y >= 0)
        return np.where(zero_base, 0.0, np.power(x, y) * np.log(np.where(zero_base, 1.0, x)))

    def power_forward(x, y):
        with np.errstate(all="ignore"):
            return np.power(x, y)

    power = primitive(power_forward)
    defvjp(power, rule(lambda x, y: np.broadcast_to(pow_dx(x, y), full(x, y)), 0,
                       lambda x, y: y == 0),
           rule(lambda x, y: np.broadcast_to(pow_dy(x, y), full(x, y)), 1,
                lambda x, y: (x == 0) & (y >= 0)))

    def amax_share(x, axis=None, keepdims=False):
        if x.ndim == 0:
            return np.ones(())
        mask = x == np.max(x, axis=axis, keepdims=True)
        return mask / np.sum(mask, axis=axis, keepdims=True)

    def amax_rule(ans, x, axis=None, keepdims=False):
        x = np.asarray(x)
        share = amax_share(x, axis)
        kept = np.shape(np.max(x, axis=axis, keepdims=True)) if x.ndim else ()

        def vjp(g):
            g = anp.reshape(g, kept) * np.ones(x.shape) if x.ndim else g
            return anp.where(share != 0, g * share, np.zeros(x.shape))
        return vjp

    amax = primitive(lambda x, axis=None, keepdims=False: np.max(x, axis=axis,
                                                                 keepdims=keepdims))
    defvjp(amax, amax_rule)
    # elementwise, continued: the rules of CONVENTIONS at the new rows' edges
    def quiet(fn):
        def forward(*xs, **params):
            with np.errstate(all="ignore"):
                return fn(*xs, **params)
        return primitive(forward)

    origin = lambda x, y: (x == 0) & (y == 0)  # noqa: E731
    hypot = quiet(np.hypot)  # convention hypot_at_origin: 0 at (0, 0)
    defvjp(hypot, rule(lambda x, y: np.broadcast_to(x / np.hypot(x, y), full(x, y)), 0,
                       origin),
           rule(lambda x, y: np.broadcast_to(y / np.hypot(x, y), full(x, y)), 1, origin))
    arctan2 = quiet(np.arctan2)  # convention arctan2_at_origin: 0 at (0, 0)
    # (·/r)/r with r = hypot(x, y): x² + y² overflows at 1e200 and underflows at 1e-300
    defvjp(arctan2, rule(lambda x, y: np.broadcast_to(y / np.hypot(x, y) / np.hypot(x, y),
                                                      full(x, y)), 0, origin),
           rule(lambda x, y: np.broadcast_to(-x / np.hypot(x, y) / np.hypot(x, y),
                                             full(x, y)), 1, origin))
    logaddexp = quiet(np.logaddexp)  # convention logaddexp_infinite: σ(x − y)
    defvjp(logaddexp, rule(lambda x, y: _exact_sigmoid(x - y), 0, None),
           rule(lambda x, y: _exact_sigmoid(y - x), 1, None))
    remainder = quiet(np.remainder)  # convention remainder_jump: the forward's quotient
    defvjp(remainder, rule(lambda x, y: np.ones(full(x, y)), 0, None),
           rule(lambda x, y: np.broadcast_to(-np.floor_divide(x, y), full(x, y)), 1, None))

    def step(fn):  # convention steps_pass_zeros: zeros flow back (HIPS: no edge at all)
        f = primitive(fn)
        defvjp(f, rule(lambda x: np.zeros(np.shape(x)), 0))
        return f

    steps = {"floor": step(np.floor), "ceil": step(np.ceil), "round": step(np.rint),
             "sign": step(np.sign)}

    def elu_forward(x, alpha=1.0):
        with np.errstate(all="ignore"):
            return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    elu = primitive(elu_forward)  # convention elu_at_0; α·e^x, not expm1(x) + 1 (rounds)
    defvjp(elu, rule(lambda x, alpha=1.0: np.where(x > 0, 1.0, alpha * np.exp(np.minimum(
        x, 0))), 0, None))
    return {"relu": relu, "abs": absolute, "maximum": maximum, "minimum": minimum,
            "pow": power, "max": amax, "div": divide, "sqrt": root, "sigmoid": sigmoid,
            "tanh": tanh, "softplus": softplus,
            # elementwise, continued
            "hypot": hypot, "arctan2": arctan2, "logaddexp": logaddexp,
            "remainder": remainder, "elu": elu, **steps,
            # log σ(x) = −softplus(−x) with the primitive above: an infinite upstream at
            # x = −inf gives inf·σ(inf), where the composite's log1p(e^−x) branch gave
            # inf·0 = nan (found when the table's growth moved the fuzzer's draws)
            "log_sigmoid": lambda x: -softplus(-x)}


def _pairs(*values: Any) -> list[tuple[int, int]]:
    """Each int or pair of ints as a pair (the parameters of ``windows``)."""
    return [(v, v) if isinstance(v, (int, np.integer)) else tuple(v) for v in values]


# ---- reductions, continued: prod, std, norm, cumsum, cumprod in HIPS autograd and PyTorch.
# The reductions run over the last axis of a copy with the reduced axes moved there and
# flattened (HIPS's prod and std take one int axis; torch.prod one dim).


def _over_last(lib, x, axis, keepdims, reduce_last):
    """``reduce_last`` of x with the ``axis`` axes moved last and flattened into one;
    ``lib`` is ``autograd.numpy`` or a namespace with ``transpose``/``reshape``/``shape``."""
    shape = tuple(lib.shape(x))
    axes = normalize_axis(axis, len(shape))
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    moved = lib.transpose(x, kept + axes) if len(shape) > 1 else x
    out = reduce_last(lib.reshape(moved, tuple(shape[i] for i in kept) + (-1,)))
    if keepdims:
        out = lib.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


def _hips_running(anp, x, axis, step):
    """A running reduction written as a loop of ``step`` (HIPS has no cumprod rule)."""
    flat = anp.reshape(x, (-1,)) if axis is None or anp.ndim(x) == 0 else \
        anp.moveaxis(x, axis, -1)
    n = anp.shape(flat)[-1]
    parts = [flat[..., 0]]
    for j in range(1, n):
        parts.append(step(parts[-1], flat[..., j]))
    out = anp.stack(parts, axis=-1)
    return out if axis is None or anp.ndim(x) == 0 else anp.moveaxis(out, -1, axis)


def _scaled(anp, f, norm_last):
    """``m · norm_last(f / m)`` with m = max |f| along the last axis, a constant (as
    LAPACK's nrm2 and PyTorch; squaring first overflows at 1e154), 1 where it is 0 or
    not finite; its gradient cancels exactly, as logsumexp's shift does."""
    from autograd.tracer import getval

    raw = np.asarray(getval(f))
    m = np.max(np.abs(raw), axis=-1, keepdims=True) if raw.size else np.ones(raw.shape)
    m = np.where((m > 0) & np.isfinite(m), m, 1.0).astype(raw.dtype)
    return norm_last(f / m, axis=-1) * m[..., 0]


def _scaled_std(anp, f, ddof, norm_last):
    """std along the last axis as ‖f − mean‖ / √(n − ddof), the norm :func:`_scaled`."""
    n = anp.shape(f)[-1]
    centered = f - anp.sum(f, axis=-1, keepdims=True) / n
    return _scaled(anp, centered, norm_last) / np.sqrt(n - ddof)


def _hips_reductions(anp) -> dict[str, Callable[..., Any]]:
    """HIPS's own rules (std at a constant slice and the norm at 0 are nan, and prod
    divides by x: nan at zeros)."""
    return {
        "prod": lambda x, axis=None, keepdims=False: _over_last(
            anp, x, axis, keepdims, lambda f: anp.prod(f, axis=-1)),
        "std": lambda x, axis=None, keepdims=False, ddof=0: _over_last(
            anp, x, axis, keepdims, lambda f: _scaled_std(anp, f, ddof, anp.linalg.norm)),
        "norm": lambda x, axis=None, keepdims=False: _over_last(
            anp, x, axis, keepdims, lambda f: _scaled(anp, f, anp.linalg.norm)),
        "cumsum": lambda x, axis=None: anp.cumsum(x, axis=axis),
        "cumprod": lambda x, axis=None: _hips_running(anp, x, axis, lambda a, b: a * b),
    }


def _reduction_convention_primitives(anp, primitive, defvjp) -> dict[str, Callable[..., Any]]:
    """prod, cumprod, std and norm with the rules of CONVENTIONS (prod_zeros,
    std_zero_variance, norm_at_zero), written over the last axis from those rules, not
    from the engine. The products multiply in the order prod_zeros states (a product
    over a range from its left end; the products after an element from the right), so
    that overflow and underflow happen where the engine's do (1e-286 · 1e-293 · inf)."""

    def before(x):  # Π_{k < i} x_k, multiplied from the left
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        return np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)

    def others(x):  # Π_{k ≠ i} x_k = (Π before i)·(Π after i, multiplied from the right)
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        after = np.concatenate([np.cumprod(x[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
        return before(x) * after

    def cumprod_vjp(ans, x):  # ∂/∂x_i = Π_{k < i} x_k · Σ_{j ≥ i} g_j Π_{i < k ≤ j} x_k
        x = np.asarray(x)
        n = x.shape[-1]
        later = np.cumprod(np.where(np.tril(np.ones((n, n), dtype=bool)), 1.0, x[..., None, :]),
                           axis=-1)
        upper = np.triu(np.ones((n, n), dtype=bool))

        def vjp(g):
            with np.errstate(all="ignore"):
                terms = np.where(upper, later * np.asarray(g)[..., None, :], 0.0)
                return before(x) * np.sum(terms, axis=-1)
        return vjp

    def std_local(x, ddof):  # (x − mean)/(std·(n − ddof)), 0 where std = 0
        n = x.shape[-1]
        std = _scaled_std(np, x, ddof, plain_norm)[..., None]
        with np.errstate(all="ignore"):
            return np.where(std == 0, 0.0, (x - np.mean(x, axis=-1, keepdims=True))
                            / (std * (n - ddof)))

    def expand_rule(local_of):
        def make(ans, x, *args):
            local = local_of(np.asarray(x), *args)
            mask = local == 0
            return lambda g: anp.where(mask, np.zeros(np.shape(local)),
                                       anp.expand_dims(g, -1) * local)
        return make

    cumprod_last = primitive(lambda x: np.cumprod(x, axis=-1))
    defvjp(cumprod_last, cumprod_vjp)

    def cumprod(x, axis=None):
        if axis is None or anp.ndim(x) == 0:
            return cumprod_last(anp.reshape(x, (-1,)))
        return anp.moveaxis(cumprod_last(anp.moveaxis(x, axis, -1)), -1, axis)

    prod_last = primitive(lambda x: np.prod(x, axis=-1))
    defvjp(prod_last, lambda ans, x: lambda g: anp.expand_dims(g, -1) * others(np.asarray(x)))
    plain_norm = lambda f, axis: np.sqrt(np.sum(f * f, axis))  # noqa: E731
    std_last = primitive(lambda x, ddof: _scaled_std(np, x, ddof, plain_norm))
    defvjp(std_last, expand_rule(std_local))

    def unit(x):  # x/‖x‖, 0 at the zero vector
        size = norm_last(x)[..., None]
        with np.errstate(all="ignore"):
            return np.where(size == 0, 0.0, x / size)

    norm_last = primitive(lambda x: _scaled(np, x, plain_norm))
    defvjp(norm_last, expand_rule(unit))
    return {
        "prod": lambda x, axis=None, keepdims=False: _over_last(anp, x, axis, keepdims,
                                                                prod_last),
        "std": lambda x, axis=None, keepdims=False, ddof=0: _over_last(
            anp, x, axis, keepdims, lambda f: std_last(f, ddof)),
        "norm": lambda x, axis=None, keepdims=False: _over_last(anp, x, axis, keepdims,
                                                                norm_last),
        "cumprod": cumprod,
    }


def _torch_reductions(torch) -> dict[str, Callable[..., Any]]:
    """The same in PyTorch (its own rules: exact prod, 0 at std = 0 and at ‖x‖ = 0)."""

    class lib:  # noqa: N801 - the three calls _over_last needs, spelt for tensors
        shape = staticmethod(lambda x: tuple(x.shape))
        transpose = staticmethod(lambda x, axes: x.permute(axes))
        reshape = staticmethod(lambda x, shape: x.reshape(shape))

    def running(fn):
        return lambda x, axis=None: fn(x.reshape(-1), 0) if axis is None else fn(x, axis)

    return {
        "prod": lambda x, axis=None, keepdims=False: _over_last(
            lib, x, axis, keepdims, lambda f: f.prod(-1)),
        "std": lambda x, axis=None, keepdims=False, ddof=0: _over_last(
            lib, x, axis, keepdims, lambda f: torch.std(f, -1, correction=ddof)),
        "norm": lambda x, axis=None, keepdims=False: _over_last(
            lib, x, axis, keepdims, lambda f: torch.linalg.vector_norm(f, 2, -1)),
        "cumsum": running(torch.cumsum),
        "cumprod": running(torch.cumprod),
    }


def _exact_sigmoid(x: Any) -> Any:
    """σ(x) to the last bit, without overflow: e^−|x| ≤ 1 in both branches."""
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def torch_available() -> bool:
    """True when PyTorch imports (it is optional; HIPS autograd always runs)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_ops() -> dict[str, Callable[..., Any]]:
    """Every op of the table spelt in PyTorch (its own rules at kinks, ties and edges)."""
    import torch

    def as_tensor(x, like):
        if isinstance(x, torch.Tensor):
            return x
        return torch.as_tensor(np.asarray(x), dtype=like.dtype)

    def common(*xs):
        # NumPy promotes mixed float32/float64 operands (after an astype); torch.matmul
        # and einsum refuse them, so the reference promotes as NumPy does
        dtype = xs[0].dtype
        for x in xs[1:]:
            dtype = torch.promote_types(dtype, x.dtype)
        return [x.to(dtype) for x in xs]

    def binary(fn):
        def call(x, y):
            like = x if isinstance(x, torch.Tensor) else y
            return fn(*common(as_tensor(x, like), as_tensor(y, like)))
        return call

    def reduce(fn):
        def call(x, axis=None, keepdims=False):
            if x.ndim == 0:
                return x
            dims = tuple(range(x.ndim)) if axis is None else axis
            return fn(x, dims, keepdims)
        return call

    def index_add(x, shape, index):
        zeros = torch.zeros(shape, dtype=x.dtype)
        return torch.func.vjp(lambda z: z[_torch_index(index)], zeros)[1](x)[0]

    def where(x, y, cond):
        like = x if isinstance(x, torch.Tensor) else y
        return torch.where(torch.as_tensor(cond), as_tensor(x, like), as_tensor(y, like))

    def windows(x, kernel, stride=1, padding=0, dilation=1, fill=0.0):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pairs(kernel, stride, padding, dilation)
        x = torch.nn.functional.pad(x, (pw, pw, ph, ph), value=fill)
        x = x.unfold(-2, (kh - 1) * dh + 1, sh).unfold(-2, (kw - 1) * dw + 1, sw)
        return x[..., ::dh, ::dw]

    table = {
        "add": binary(torch.add), "sub": binary(torch.sub), "mul": binary(torch.mul),
        "div": binary(torch.div), "pow": binary(torch.pow),
        "maximum": binary(torch.maximum), "minimum": binary(torch.minimum),
        "neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs,
        "sin": torch.sin, "cos": torch.cos, "softplus": torch.nn.functional.softplus,
        "log_sigmoid": torch.nn.functional.logsigmoid,
        "sum": reduce(lambda x, d, k: torch.sum(x, d, keepdim=k)),
        "max": reduce(lambda x, d, k: torch.amax(x, d, keepdim=k)),
        "logsumexp": reduce(lambda x, d, k: torch.logsumexp(x, d, keepdim=k)),
        "log_softmax": lambda x, axis=-1: torch.log_softmax(x, axis),
        "matmul": binary(torch.matmul),
        "reshape": lambda x, shape: x.reshape(shape),
        "transpose": lambda x, axes=None: x.permute(
            tuple(axes) if axes is not None else tuple(reversed(range(x.ndim)))),
        "broadcast_to": lambda x, shape: torch.broadcast_to(x, shape),
        "getitem": lambda x, index: x[_torch_index(index)],
        "index_add": index_add,
        "concatenate": lambda *xs, axis=0: torch.cat(xs, dim=axis),
        "where": where,
        "windows": windows,
        # elementwise, continued
        "log1p": torch.log1p, "expm1": torch.expm1, "log2": torch.log2,
        "log10": torch.log10, "exp2": torch.exp2, "square": torch.square,
        "reciprocal": torch.reciprocal, "tan": torch.tan, "sinh": torch.sinh,
        "cosh": torch.cosh, "arcsin": torch.asin, "arccos": torch.acos, "arctan": torch.atan,
        "arcsinh": torch.asinh, "arccosh": torch.acosh, "arctanh": torch.atanh,
        "arctan2": binary(torch.atan2), "hypot": binary(torch.hypot),
        "logaddexp": binary(torch.logaddexp), "remainder": binary(torch.remainder),
        "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "sign": torch.sign,
        "elu": lambda x, alpha=1.0: torch.nn.functional.elu(x, alpha),
        # linear algebra and astype (issue 14)
        "einsum": lambda *xs, subscripts: torch.einsum(subscripts, *common(*xs)),
        "inv": torch.linalg.inv,
        "solve": lambda a, b: torch.linalg.solve(*common(a, b)),
        "det": torch.linalg.det,
        "slogdet": lambda x: torch.stack(tuple(torch.linalg.slogdet(x)), dim=-1),
        "astype": lambda x, dtype: x.to(getattr(torch, dtype)),
    }
    table.update(_torch_reductions(torch))  # reductions, continued
    return table


def _einsum_without_repeats(anp, subscripts: str, xs: Sequence[Any]) -> Any:
    """HIPS's einsum, for explicit subscripts with a letter repeated within an operand
    ('ii->i'), which its gradient rule refuses: each such diagonal is taken first with
    ``anp.diagonal`` (the diagonal axis goes last, as NumPy's)."""
    lhs, out = subscripts.split("->")
    terms, operands = [], []
    for term, x in zip(lhs.split(","), xs, strict=True):
        while len(set(term)) < len(term):
            letter = next(c for c in term if term.count(c) > 1)
            i = term.index(letter)
            j = term.index(letter, i + 1)
            # HIPS differentiates diagonal on the last two axes only
            x = anp.diagonal(anp.moveaxis(x, (i, j), (-1, -2)), axis1=-1, axis2=-2)
            term = term[:i] + term[i + 1:j] + term[j + 1:] + letter
        terms.append(term)
        operands.append(x)
    return anp.einsum(",".join(terms) + "->" + out, *operands)


def _torch_index(index: Any) -> Any:
    import torch

    if isinstance(index, tuple):
        return tuple(_torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index)
    return index


# ------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Disagreement:
    """The engine and one reference differ on a forward value or a gradient element.

    ``explained_by`` lists the conventions active in the program under which that
    reference is documented to give something else; empty means a real failure.
    """

    kind: str  # "forward", "gradient" or "error"
    reference: str  # "hips", "hips-native", "torch" or "numerical"
    where: str  # "slot 3 (relu)" or "leaf 0"
    index: tuple
    ours: float
    expected: float
    explained_by: tuple[str, ...] = ()

    def __str__(self) -> str:
        why = f" (explained by {', '.join(self.explained_by)})" if self.explained_by else ""
        return (f"{self.kind} of {self.where}{list(self.index) if self.index else ''}: "
                f"ours {self.ours!r}, {self.reference} {self.expected!r}{why}")


#: Relative tolerances per dtype, for values of one array scaled by its largest entry.
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}
#: Central differences: a smooth point's two estimates agree to this, and so must autograd.
NUMERICAL_RTOL = 1e-5
#: ... up to this absolute error: rounding in f(x ± h) with h = 1e-5 (gradients below
#: 1e-8 are indistinguishable from 0 there).
NUMERICAL_ATOL = 1e-8


def _mismatches(ours: Any, expected: Any, rtol: float, atol: float = 1e-300) -> list[tuple]:
    """Indices where ``ours`` and ``expected`` differ: nan-ness, infinities, or beyond
    ``rtol`` relative to the larger of the element and the arrays' largest finite entry.

    ``expected`` is first rounded to ``ours``'s dtype: the exact answer of a float32
    program is the float64 reference rounded to float32 (1e67 overflows to inf there).
    """
    a = np.asarray(ours, dtype=np.float64)
    with np.errstate(over="ignore"):
        b = np.asarray(expected, dtype=np.asarray(ours).dtype).astype(np.float64)
    if a.shape != b.shape:
        return [("shape", a.shape, b.shape)]
    finite = np.isfinite(a) & np.isfinite(b)
    both = np.concatenate([np.abs(a[finite]), np.abs(b[finite])])
    scale = float(np.max(both)) if both.size else 0.0
    with np.errstate(all="ignore"):
        floor = max(atol, float(np.finfo(np.asarray(ours).dtype).tiny)) \
            if np.asarray(ours).dtype.kind == "f" else atol
        far = np.abs(a - b) > rtol * np.maximum(np.abs(b), scale) + floor
    bad = np.where(finite, far, ~((a == b) | (np.isnan(a) & np.isnan(b))))
    return [tuple(int(i) for i in idx) for idx in zip(*np.nonzero(bad), strict=True)] \
        if bad.ndim else ([()] if bad else [])


def active_conventions(program: Program, slots: Sequence[Any]) -> set[str]:
    """The conventions whose special points the program touches (read from raw slots)."""
    active = set()
    n = len(program.leaves)
    for k, ins in enumerate(program.instructions):
        op = OPS[ins.op]
        args = [np.asarray(slots[a]) if isinstance(a, int) else np.asarray(a.value)
                for a in ins.args]
        if not op.smooth:
            with np.errstate(all="ignore"):
                gap = op.domain.gap(*args, **ins.params)
            if gap == 0 or math.isnan(gap):
                active.add(KINK_CONVENTION[ins.op])
        if ins.op == "pow":
            base, exponent = np.broadcast_arrays(*args)
            if np.any(exponent == 0):
                active.add("pow_zero_exponent")
            if np.any(base == 0):
                active.add("pow_zero_base")
            if np.any(base < 0):
                active.add("pow_negative_base")
        if any(np.any((a == 0) & np.signbit(a)) for a in args):
            active.add("signed_zero")
        if ins.op == "log_softmax" and np.any(np.isinf(args[0])):
            active.add("softmax_of_inf")
        if ins.op in ("prod", "cumprod") and np.any(args[0] == 0):  # reductions, continued
            active.add("prod_zeros")
        if ins.op in ("norm", "std"):
            with np.errstate(all="ignore"):
                moved = args[0] - np.mean(args[0], axis=ins.params.get("axis"), keepdims=True) \
                    if ins.op == "std" else args[0]
                square = moved * moved
            if np.any((np.isinf(square) & np.isfinite(moved)) | ((square == 0) & (moved != 0))):
                active.add("norm_scaled")
        if ins.op in ("tanh", "sigmoid") and np.any(np.abs(slots[n + k]) == 1.0):
            active.add("saturation")
        # elementwise, continued
        if ins.op == "logaddexp" and any(np.any(np.isinf(a)) for a in args):
            active.add("logaddexp_infinite")
        if ins.op in ("floor", "ceil", "round", "sign"):
            active.add("steps_pass_zeros")
        if ins.op == "sign" and np.any(np.isnan(args[0])):
            active.add("sign_of_nan")
        if ins.op in ("sin", "cos", "tan") and program.dtype == np.float32 and \
                np.any(np.abs(args[0]) >= 2.0**24):
            active.add("periodic_huge_argument")
        if ins.op == "remainder":
            with np.errstate(all="ignore"):
                quotient = np.divide(*args)
            # past 2**24 (float32's integers) x − ⌊x/y⌋·y loses the remainder's digits
            if np.any((np.abs(quotient) >= 2.0**24) & np.isfinite(args[0])):
                active.add("remainder_overflow")
        if ins.op in ("inv", "solve", "det", "slogdet") and args[0].ndim >= 2 and \
                not np.all(np.isfinite(args[0])):
            active.add("linalg_nonfinite")
        if ins.op == "einsum" and len(args) > 2 and not all(np.all(np.isfinite(a))
                                                          for a in args):
            active.add("einsum_order")
        out = np.asarray(slots[n + k])
        if not np.all(np.isfinite(out)):
            active.add("select_not_multiply")
    if any(np.any(np.isnan(np.asarray(s))) for s in slots):
        active.add("nan_forward")
    return active


def _moderate(slots: Sequence[Any], among: set[int]) -> bool:
    """Every value finite and at most NUMERICAL_MAX_MAGNITUDE: central differences with a
    step of 1e-5 resolve a change there (in −1e300 + x the step vanishes, and an −inf
    output element has no difference at all)."""
    return all(np.all(np.abs(np.asarray(slots[s], dtype=np.float64))
                      <= NUMERICAL_MAX_MAGNITUDE) for s in among)


def _has_nan(slots: Sequence[Any], among: set[int]) -> bool:
    return any(np.any(np.isnan(np.asarray(slots[s], dtype=np.float64))) for s in among)


def _engine_run(program: Program) -> tuple[list[Any], list[Any]]:
    leaves = [Value(x) for x in program.leaves]
    slots = run_program(program, leaves,
                        lambda name, args, params: apply(OPS[name], tuple(args), params))
    grads = grad(slots[-1], leaves, grad_outputs=program.upstream)
    return [s.data for s in slots], [g.data for g in grads]


def _hips_run(program: Program, conventions: bool, dtype: Any) -> tuple[list, list]:
    import autograd

    table = hips_ops(conventions, dtype)
    # NumPy scalars, not Python floats: HIPS's sqrt rule raises on 0.0 ** −0.5
    with np.errstate(over="ignore"):
        leaves = [np.asarray(x, dtype=dtype) if isinstance(x, np.ndarray) else
                  np.dtype(dtype).type(x) for x in program.leaves]
    call = lambda name, args, params: table[name](*args, **params)  # noqa: E731
    slots = run_program(program, leaves, call)
    upstream = np.asarray(program.upstream, dtype=dtype)

    def loss(xs):
        return autograd.numpy.sum(run_program(program, xs, call)[-1] * upstream)

    grads = autograd.grad(loss)(list(leaves))
    return [np.asarray(s) for s in slots], grads


def _torch_run(program: Program, dtype: Any) -> tuple[list, list]:
    import torch

    table = torch_ops()
    tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    with np.errstate(over="ignore"):
        leaves = [torch.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
                  for x in program.leaves]
    slots = run_program(program, leaves, lambda name, args, params: table[name](*args, **params),
                        lambda v: v if isinstance(v, float) else torch.as_tensor(
                            np.asarray(v, dtype=dtype)))
    out = slots[-1]
    out.backward(torch.as_tensor(np.asarray(program.upstream), dtype=tdtype).expand(out.shape))
    grads = [x.grad.numpy() if x.grad is not None else np.zeros(x.shape) for x in leaves]
    return [s.detach().numpy() for s in slots], grads


def _raw_output(program: Program, leaves: list[Any]) -> np.ndarray:
    slots = run_program(program, leaves,
                        lambda name, args, params: OPS[name].forward(*args, **params))
    return np.asarray(slots[-1], dtype=np.float64)


def _smooth_everywhere(program: Program, slots: Sequence[Any], margin: float) -> bool:
    for ins in program.instructions:
        op = OPS[ins.op]
        if op.smooth:
            continue
        args = [np.asarray(slots[a]) if isinstance(a, int) else np.asarray(a.value)
                for a in ins.args]
        scale = max(1.0, *(float(np.max(np.abs(a), initial=0.0)) for a in args))
        with np.errstate(all="ignore"):
            if not op.domain.gap(*args, **ins.params) > margin * scale:
                return False
    return True


#: Central differences are taken only where a relative step of 1e-5 is resolvable.
NUMERICAL_MAX_MAGNITUDE = 1e8


def numerical_gradients(program: Program) -> list[np.ndarray]:
    """Central differences of ``sum(output · upstream)`` per leaf element (float64), nan
    where the program is not smooth there or the step is lost: the estimates with steps
    h and h/4 must be finite, not both 0, agree to ``NUMERICAL_RTOL/4`` relative, and
    |x| ≤ 1e8."""
    base = [x if isinstance(x, float) else np.array(x, dtype=np.float64)
            for x in program.leaves]
    out = []
    for k, leaf in enumerate(base):
        g = np.full(np.shape(leaf), np.nan)
        for idx in np.ndindex(np.shape(leaf)):
            x0 = float(np.asarray(leaf)[idx])
            if not abs(x0) <= NUMERICAL_MAX_MAGNITUDE:
                continue
            estimates = []
            for h in (1e-5 * max(1.0, abs(x0)), 2.5e-6 * max(1.0, abs(x0))):
                values = []
                for step in (h, -h):
                    moved = list(base)
                    if isinstance(leaf, float):
                        moved[k] = x0 + step
                    else:
                        moved[k] = leaf.copy()
                        moved[k][idx] = x0 + step
                    values.append(_raw_output(program, moved))
                # difference per output element first: a huge output element that this
                # input does not move must not swamp the others in a sum
                with np.errstate(all="ignore"):
                    change = np.where(values[0] == values[1], 0.0, values[0] - values[1])
                estimates.append(float(np.sum(change * program.upstream)) / (2 * h))
            coarse, fine = estimates
            # both 0 is no evidence: the step may vanish in rounding (1e300 + x), so a
            # zero derivative is left to the other references
            size = max(abs(coarse), abs(fine))
            if math.isfinite(size) and 0 < size and \
                    abs(coarse - fine) <= NUMERICAL_RTOL / 4 * size:
                g[idx] = fine
        out.append(g)
    return out


def compare_program(program: Program, references: Sequence[str] = ("hips", "hips-native",
                                                                     "pytorch", "numerical"),
                    ) -> list[Disagreement]:
    """Run ``program`` on the engine and on each reference; return every disagreement.

    ``hips`` (HIPS autograd with :data:`CONVENTIONS` at kinks, ties and edges) and
    ``numerical`` (float64 central differences, only where the program is smooth) admit
    no explanation: any difference is a failure. ``hips-native`` and ``pytorch`` differ
    where a convention that they do not share is active; such differences carry the
    convention's name in ``explained_by``. Where no convention applies but ours equals
    the ``hips`` reference, the other reference's own rounding is the explanation
    (``reference_rounding``: PyTorch's x/x at 1e-12 sums ±1e12 to −0.0005, HIPS's
    −x/y² underflows to nan at y = 1e-166; forward values too: PyTorch's float32 tanh
    differs from NumPy's in the last bit, and cos(1e10 · tanh) turns that bit into any
    number). A gradient difference below the rounding of
    the largest gradient flowing through the program is ``absorbed`` (1 + 2e30 − 2e30).
    A gradient is compared only when the forward pass leading to the output produced no
    nan (convention ``nan_forward``).
    """
    found: list[Disagreement] = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ours_slots, ours_grads = _engine_run(program)
        except Exception as error:  # noqa: BLE001 - any crash on valid input is a finding
            return [Disagreement("error", "engine", f"{type(error).__name__}: {error}", (),
                                 math.nan, math.nan)]
        dtype = program.dtype
        rtol = RTOL[dtype]
        runs = {name: _reference_runs(program, name, dtype) for name in references
                if name != "numerical" and (name != "pytorch" or torch_available())}
        hips = runs.get("hips") or _reference_runs(program, "hips", dtype)
        if isinstance(hips, Disagreement):
            return [hips]
        ref_slots, ref_grads = hips[0]
        active = active_conventions(program, ref_slots)
        lineage = program.ancestors(len(ours_slots) - 1)
        nan_free = not _has_nan(ours_slots, lineage) and not _has_nan(ref_slots, lineage)
        n = len(program.leaves)
        spread: dict = {}
        for name in references:
            if name == "numerical":
                if dtype == np.float64 and _moderate(ref_slots, lineage) and \
                        _smooth_everywhere(program, ref_slots, 1e-3):
                    found += _compare_numerical(program, ours_grads, ref_grads)
                continue
            if name not in runs:
                continue
            if isinstance(runs[name], Disagreement):
                found.append(runs[name])
                continue
            differing = [c for c in sorted(active) if
                         (name != "hips" and name.split("-")[0] in CONVENTIONS[c].differs)
                         or (dtype == np.float32 and CONVENTIONS[c].rounding_sensitive)]
            explained = tuple(c for c in differing  # a rounding-sensitive value: its gradient too
                              if not CONVENTIONS[c].forward or CONVENTIONS[c].rounding_sensitive)
            forward_explained = tuple(c for c in differing if CONVENTIONS[c].forward)
            for s, mine in enumerate(ours_slots):
                where = f"slot {s}" + (f" ({program.instructions[s - n].op})" if s >= n else "")
                found += _disagreements("forward", name, where, mine,
                                        [slots[s] for slots, _ in runs[name]],
                                        [slots[s] for slots, _ in hips], rtol,
                                        forward_explained)
            if not nan_free:
                continue
            for k, mine in enumerate(ours_grads):
                for entry in _disagreements("gradient", name, f"leaf {k}", mine,
                                            [grads[k] for _, grads in runs[name]],
                                            [grads[k] for _, grads in hips], rtol, explained):
                    if not entry.explained_by and _absorbed(entry, program, dtype, spread):
                        entry = replace(entry, explained_by=("absorbed",))
                    found.append(entry)
    return found


def _disagreements(kind: str, name: str, where: str, mine: Any, theirs: list[Any],
                   hips_values: list[Any], rtol: float, explained: tuple[str, ...]
                   ) -> list[Disagreement]:
    """Up to three places where ``mine`` differs from every run of reference ``name``;
    one where ours equals the ``hips`` reference is that reference's own rounding
    (``reference_rounding``) unless a convention already explains it."""
    differs_from_hips = set(_mismatches_all(mine, hips_values, rtol))
    entries = []
    for idx in _mismatches_all(mine, theirs, rtol)[:3]:
        entry = _entry(kind, name, where, idx, mine, theirs[0], explained)
        if not explained and name != "hips" and idx not in differs_from_hips:
            entry = replace(entry, explained_by=("reference_rounding",))
        entries.append(entry)
    return entries


def _absorbed(entry: Disagreement, program: Program, dtype: np.dtype, spread: dict) -> bool:
    """True when the difference is below the rounding of the largest gradient flowing
    through the program: a leaf's gradient is a sum of contributions, and 1 + 2e30 − 2e30
    is 0 or 1 depending on the order of the sum (HIPS and the engine add in different
    orders). ``spread`` caches that largest gradient (HIPS reference, probes per slot)."""
    if not (math.isfinite(entry.ours) and math.isfinite(entry.expected)):
        return False
    if "largest" not in spread:
        grads = slot_gradients(program)
        finite = [np.abs(g[np.isfinite(g)]) for g in map(np.asarray, grads)]
        spread["largest"] = max((float(np.max(f)) for f in finite if f.size), default=0.0)
    eps = float(np.finfo(dtype).eps)
    return abs(entry.ours - entry.expected) <= 8 * eps * spread["largest"]


def _mismatches_all(ours: Any, references: list[Any], rtol: float) -> list[tuple]:
    """Indices where ``ours`` differs from every one of ``references`` (a float32
    program may match the exact float64 answer or a float32 run of the reference)."""
    bad = _mismatches(ours, references[0], rtol)
    for other in references[1:]:
        also = set(_mismatches(ours, other, rtol))
        bad = [idx for idx in bad if idx in also]
    return bad


def _reference_runs(program: Program, name: str, dtype: np.dtype) -> list | Disagreement:
    """A reference's (slots, gradients): in float64 (the exact answer for the program's
    inputs), and for a float32 program in float32 too (its intermediates rounded like
    the engine's: (−1e-7)**−1 is the integer −1e7 in float32, so a power of it is
    real there and nan in float64). A reference that cannot run gives a Disagreement."""
    run = {"hips": lambda d: _hips_run(program, True, d),
           "hips-native": lambda d: _hips_run(program, False, d),
           "pytorch": lambda d: _torch_run(program, d)}[name]
    try:
        return [run(np.float64)] + ([run(np.float32)] if dtype == np.float32 else [])
    except Exception as error:  # noqa: BLE001 - a reference that cannot run this
        return Disagreement("error", name, f"{type(error).__name__}: {error}", (),
                            math.nan, math.nan)


def _entry(kind, reference, where, idx, mine, theirs, explained) -> Disagreement:
    if idx and idx[0] == "shape":
        return Disagreement(kind, reference, f"{where} shape", (), idx[1], idx[2], explained)
    a = float(np.asarray(mine, dtype=np.float64)[idx])
    b = float(np.asarray(theirs, dtype=np.float64)[idx])
    return Disagreement(kind, reference, where, idx, a, b, explained)


def _compare_numerical(program: Program, ours_grads: list[Any],
                       chain_rule: list[Any]) -> list[Disagreement]:
    """Ours against central differences, where the program is smooth and the chain rule
    (the HIPS reference) is finite: an intermediate at a singular point (sqrt at 0 in
    sqrt(x − x)) gives inf or nan by the chain rule although the composite is smooth."""
    found = []
    numerics = numerical_gradients(program)
    for k, (mine, numeric, rule) in enumerate(zip(ours_grads, numerics, chain_rule,
                                                  strict=True)):
        smooth = ~np.isnan(numeric) & np.isfinite(np.asarray(rule, dtype=np.float64))
        if not np.any(smooth):
            continue
        a = np.where(smooth, np.asarray(mine, dtype=np.float64), 0.0)
        b = np.where(smooth, numeric, 0.0)
        for idx in _mismatches(a, b, NUMERICAL_RTOL, NUMERICAL_ATOL)[:3]:
            found.append(_entry("gradient", "numerical", f"leaf {k}", idx, a, b, ()))
    return found


# ------------------------------------------------------------------------- localizing


def slot_gradients(program: Program) -> list[Any]:
    """d(output · upstream)/d(slot) for every slot, from the HIPS reference in float64
    (each result is passed through an identity whose second input is a zero probe)."""
    autograd, anp, primitive, defvjp, _ = _hips()
    table = hips_ops(conventions=True)
    probe = primitive(lambda x, p: x)
    defvjp(probe, lambda ans, x, p: lambda g: g, lambda ans, x, p: lambda g: g)
    leaves = [np.asarray(x, dtype=np.float64) if isinstance(x, np.ndarray) else np.float64(x)
              for x in program.leaves]
    upstream = np.asarray(program.upstream, dtype=np.float64)

    def loss(xs):
        leaves_, probes = xs
        counter = iter(probes[len(leaves_):])
        call = lambda name, args, params: probe(table[name](*args, **params),  # noqa: E731
                                                next(counter))
        slots = run_program(program, [probe(x, p) for x, p in zip(leaves_, probes, strict=False)],
                            call)
        return anp.sum(slots[-1] * upstream)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shapes = [np.shape(x) for x in leaves]
        ones = [1.0 if x == () else np.ones(x) for x in shapes]
        slots = run_program(program, ones, lambda name, args, params: OPS[name].forward(
            *args, **params))
        probes = [np.zeros(np.shape(s)) for s in slots]
        _, grads = autograd.grad(loss)([leaves, probes])
    return [np.asarray(g) for g in grads]


def localize(program: Program) -> list[tuple[Program, list[Disagreement]]]:
    """The instructions that disagree on their own: each instruction is rerun as a
    one-op program on the engine's own input values, with the upstream gradient the
    HIPS reference sends into it. Returns (one-op program, its disagreements) pairs,
    the last instruction first: minimal reproducers of what went wrong."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaves = [Value(x) for x in program.leaves]
        values = [s.data for s in run_program(
            program, leaves, lambda name, args, params: apply(OPS[name], tuple(args), params))]
    upstreams = slot_gradients(program)
    n = len(program.leaves)
    found = []
    for k in reversed(range(len(program.instructions))):
        ins = program.instructions[k]
        slots = [a for a in ins.args if isinstance(a, int)]
        renumber = {s: i for i, s in enumerate(dict.fromkeys(slots))}
        single = Program([values[s] for s in renumber],
                         [Instruction(ins.op, tuple(renumber[a] if isinstance(a, int) else a
                                                    for a in ins.args), ins.params)],
                         _as_float(upstreams[n + k]))
        bad = [d for d in compare_program(single, ("hips",)) if not d.explained_by]
        if bad:
            found.append((single, bad))
    return found


def _as_float(x: Any) -> Any:
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=np.float64)
