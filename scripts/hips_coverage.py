"""Which NumPy functions HIPS autograd differentiates, and which of them tinygrad_edu does.

HIPS autograd registers a VJP for each NumPy function it differentiates; this script
reads that registry (``autograd.core.primitive_vjps``), drops autograd's own plumbing
(container helpers, adjoints of other primitives), and asks tinygrad_edu whether the same
NumPy function works on a Value (``numpy_protocol.SUPPORTED``: ``np.xxx(value)`` keeps the
graph) or exists as ``tinygrad_edu.functional.xxx``. Each missing one is printed with the
reason it is missing, when there is one on record below.

    python scripts/hips_coverage.py          # a table, then the counts
"""

from __future__ import annotations

import subprocess
import sys

#: autograd's internal primitives: they are not NumPy functions a user calls.
PLUMBING = {
    "_array_from_scalar_or_array", "_make_dict", "array_from_args", "concatenate_args",
    "container_take", "container_untake", "covector", "dot_adjoint_0", "dot_adjoint_1",
    "inner_prod", "make_diagonal", "make_sequence", "mut_add", "scalar_mul",
    "sequence_extend_left", "sequence_extend_right", "tensordot_adjoint_0",
    "tensordot_adjoint_1", "untake", "truncate_pad", "sparse_add",
}

#: autograd's name -> the name NumPy users write.
SPELLED = {"__getitem__": "getitem", "absolute": "abs", "amax": "max", "amin": "min",
           "fabs": "abs", "remainder": "mod"}

#: Why a function is left out, for the ones left out on purpose.
REASONS = {
    **dict.fromkeys(["fft", "fft2", "fftn", "ifft", "ifft2", "ifftn", "rfft", "rfft2",
                     "rfftn", "irfft", "irfft2", "irfftn", "fftshift", "ifftshift",
                     "real", "imag", "angle", "conjugate", "real_if_close"],
                    "complex numbers: Values are real float arrays"),
    **dict.fromkeys(["eig", "eigh", "svd", "cholesky", "pinv"],
                    "decompositions: their gradients are singular at repeated eigen/singular "
                    "values; not yet with a stated convention"),
    **dict.fromkeys(["sort", "partition"], "ties need a stated convention; not yet"),
    **dict.fromkeys(["full", "linspace"], "constructors: differentiable only in their "
                                          "fill/end points, rarely wanted"),
    "nan_to_num": "would hide the nan the engine exists to report",
    "gradient": "np.gradient's spacing and edge_order arguments; a composite of slices "
                "(F.diff) is the way today",
}


def hips_functions() -> list[str]:
    """The public NumPy functions HIPS autograd differentiates, in NumPy's spelling."""
    # Read in a fresh interpreter: the registry is global, and code that ran before in
    # this process (the project's oracles) may have added primitives of its own.
    listing = subprocess.run(
        [sys.executable, "-c", "import autograd.numpy, autograd.numpy.linalg, "
         "autograd.numpy.fft\nfrom autograd.core import primitive_vjps\n"
         "print(' '.join(sorted({f.__name__ for f in primitive_vjps})))"],
        capture_output=True, text=True, check=True).stdout
    names = set(listing.split()) - PLUMBING
    return sorted({SPELLED.get(n, n) for n in names})


def ours() -> set[str]:
    """Names tinygrad_edu differentiates: NumPy functions on Values, functional, rows."""
    import tinygrad_edu.functional as F

    from tinygrad_edu.core.numpy_protocol import SUPPORTED
    from tinygrad_edu.core.ops import OPS

    names = set(SUPPORTED) | set(OPS)
    names |= {n for n in dir(F) if not n.startswith("_")}
    linalg = getattr(F, "linalg", None)
    if linalg is not None:
        names |= {n for n in dir(linalg) if not n.startswith("_")}
    return names


def main() -> int:
    have = ours()
    wanted = hips_functions()
    missing = [n for n in wanted if n not in have]
    for name in missing:
        print(f"  missing  {name:<14} {REASONS.get(name, '')}")
    print(f"HIPS autograd differentiates {len(wanted)} NumPy functions; tinygrad_edu "
          f"{len(wanted) - len(missing)}; missing {len(missing)} "
          f"({sum(n in REASONS for n in missing)} on purpose, listed with a reason)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
