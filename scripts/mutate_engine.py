"""Mutation testing of the engine: does the suite notice a wrong rule?

    .venv/bin/python scripts/mutate_engine.py            # every mutation
    .venv/bin/python scripts/mutate_engine.py relu_at_0  # some of them

Each mutation rewrites one rule of the engine (relu′(0) = 1, ties to the other argument,
tanh′ = 1 + tanh², a dropped unbroadcast, …) in a temporary copy of the repository and
runs the fast, relevant tests there. A mutation is *caught* when a test that passes on
the unmutated engine fails on the mutant: the baseline run comes first, and the tests
that fail on it (the open bugs of the engine) are deselected, so they can neither catch
a mutation nor hide one. Prints one line per mutation and the count caught.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The tests each mutant runs, most targeted first (the run stops at the first failure).
TESTS = ["tests/core/test_conventions.py", "tests/core/test_second_derivatives.py",
         "tests/check/test_gradcheck_kinks.py", "tests/core/test_state_machine.py",
         "tests/core/test_ops.py", "tests/core/test_fuzz_programs.py",
         "tests/core/test_edges.py", "tests/nn/test_losses.py", "tests/core/test_autodiff.py",
         "tests/core/test_value.py"]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    edits: tuple[tuple[str, str], ...]  # (old, new); each old must occur exactly once


def _m(name: str, path: str, *edits: tuple[str, str]) -> Mutation:
    return Mutation(name, path, tuple(edits))


OPS_PY, RULES_PY = "tinygrad_edu/core/ops.py", "tinygrad_edu/core/rules.py"
BACKWARD_PY, VALUE_PY = "tinygrad_edu/core/backward.py", "tinygrad_edu/core/value.py"

MUTATIONS = [
    # kinks and ties: the rules the issue found unguarded
    _m("relu_at_0_is_1", OPS_PY,
       ("select(data_of(x) > 0, g),),", "select(data_of(x) >= 0, g),),")),
    _m("abs_at_0_is_1", RULES_PY,
       ("return g if x > 0.0 else -g if x < 0.0 else 0.0", "return g if x >= 0.0 else -g"),
       ("return select(x > 0, g) - select(x < 0, g)",
        "return select(x >= 0, g) - select(x < 0, g)")),
    _m("max_ties_not_shared", RULES_PY,
       ("        share = np.divide(kept, counts, out=",
        "        share = np.divide(kept, counts ** 0, out=")),
    _m("maximum_ties_to_x", OPS_PY,
       ("vjps=(lambda g, out, x, y: select(data_of(x) > data_of(y), g),\n"
        "                   lambda g, out, x, y: select(data_of(x) <= data_of(y), g)),",
        "vjps=(lambda g, out, x, y: select(data_of(x) >= data_of(y), g),\n"
        "                   lambda g, out, x, y: select(data_of(x) < data_of(y), g)),")),
    _m("minimum_ties_to_x", OPS_PY,
       ("vjps=(lambda g, out, x, y: select(data_of(x) < data_of(y), g),\n"
        "                   lambda g, out, x, y: select(data_of(x) >= data_of(y), g)),",
        "vjps=(lambda g, out, x, y: select(data_of(x) <= data_of(y), g),\n"
        "                   lambda g, out, x, y: select(data_of(x) > data_of(y), g)),")),
    _m("where_swapped", OPS_PY,
       ("vjps=(lambda g, out, x, y, cond: select(cond, g),\n"
        "                 lambda g, out, x, y, cond: select(~cond, g)),",
        "vjps=(lambda g, out, x, y, cond: select(~cond, g),\n"
        "                 lambda g, out, x, y, cond: select(cond, g)),")),
    # edges: limits instead of nan
    _m("masks_multiply", RULES_PY,
       ("return np.where(condition, g, 0.0)  # NumPy keeps",
        "return g * condition  # NumPy keeps")),
    _m("pow_zero_exponent_nan", RULES_PY,
       ("            return select(False, g)\n",
        "            return g * y * ops.POW(x, y - 1.0)\n")),
    _m("pow_zero_base_dy_nan", RULES_PY,
       ("return select(np.logical_not(flat), g * out * ops.LOG(x))",
        "return g * out * ops.LOG(x)")),
    # smooth derivatives
    _m("tanh_one_plus", OPS_PY, ("g * (1.0 - out * out)", "g * (1.0 + out * out)")),
    _m("sigmoid_out_only", OPS_PY, ("g * out * (1.0 - out),)", "g * out,)")),
    _m("div_y_sign", OPS_PY, ("-g * out / y", "g * out / y")),
    _m("pow_y_missing_out", RULES_PY,
       ("    if not np.any(zero_base):\n        return g * out * ops.LOG(x)",
        "    if not np.any(zero_base):\n        return g * ops.LOG(x)")),
    _m("pow_x_exponent", RULES_PY,
       ("        return g * y * ops.POW(x, y - 1.0)\n    nonzero",
        "        return g * y * ops.POW(x, y)\n    nonzero"),
       ("select(nonzero, g * y * ops.POW(x, y - 1.0))", "select(nonzero, g * y * ops.POW(x, y))")),
    _m("log_half", OPS_PY,
       ("vjps=(lambda g, out, x: g / x,),", "vjps=(lambda g, out, x: g / (2.0 * x),),")),
    _m("sqrt_missing_2", OPS_PY, ("g / (2.0 * out)", "g / out")),
    _m("exp_uses_input", OPS_PY,
       ("vjps=(lambda g, out, x: g * out,),\n         derivatives=(\"exp(x)\",)",
        "vjps=(lambda g, out, x: g * x,),\n         derivatives=(\"exp(x)\",)")),
    _m("sin_minus_cos", OPS_PY, ("g * COS(x),)", "-g * COS(x),)")),
    _m("softplus_sigmoid_of_minus_x", OPS_PY, ("vjps=(lambda g, out, x: g * SIGMOID(x),),",
                                               "vjps=(lambda g, out, x: g * SIGMOID(-x),),")),
    _m("log_softmax_no_sum", OPS_PY, ("g - EXP(out) * SUM(g, axis=axis, keepdims=True)",
                                      "g - EXP(out) * g")),
    _m("logsumexp_unshifted", RULES_PY, ("        softmax = kernels.softmax_of_logsumexp(x, axis)",
                                         "        softmax = np.exp(x - expand_reduced(out, x, "
                                         "axis, keepdims))")),
    # plumbing
    _m("unbroadcast_keeps_size_1_axes", RULES_PY,
       ("    if kept:\n        grad = ops.SUM(grad, axis=kept, keepdims=True)\n",
        "    if False:\n        grad = ops.SUM(grad, axis=kept, keepdims=True)\n")),
    _m("intermediates_accumulate", BACKWARD_PY,
       ("                node._grad, node._grad_shared = g_data, node in views\n",
        "                node._grad, node._grad_shared = (g_data if node._grad is None else "
        "node._grad + g_data), False\n")),
    _m("zero_grad_keeps", VALUE_PY,
       ("        \"\"\"Forget the accumulated gradient (``grad`` becomes None).\"\"\"\n"
        "        self.grad = None",
        "        \"\"\"Forget the accumulated gradient (``grad`` becomes None).\"\"\"\n"
        "        pass")),
]


def _copy_repo(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".hypothesis",
                                    ".pytest_cache", "*.egg-info", "node_modules")
    for name in ("tinygrad_edu", "tests", "pyproject.toml", "examples", "docs"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def _pytest(where: Path, args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(where), HYPOTHESIS_PROFILE="ci")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
           "no:warnings", "-o", "addopts=", *args]
    return subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True)


def baseline_failures(where: Path) -> list[str]:
    """Node ids of the tests that fail on the unmutated engine (open bugs)."""
    out = _pytest(where, ["-rf", *TESTS]).stdout
    return re.findall(r"^FAILED (\S+)", out, flags=re.M)


def run_mutation(mutation: Mutation, where: Path, deselect: list[str]) -> tuple[str, str]:
    """('caught' | 'missed' | 'not applicable', detail) for one mutant."""
    path = where / mutation.path
    source = mutated = path.read_text()
    for old, new in mutation.edits:
        if mutated.count(old) != 1:
            return "not applicable", f"{old[:40]!r} found {mutated.count(old)} times in " \
                                     f"{mutation.path} (the engine changed: update it)"
        mutated = mutated.replace(old, new)
    path.write_text(mutated)
    try:
        args = ["-x", "-rf", *TESTS] + [f"--deselect={d}" for d in deselect]
        result = _pytest(where, args)
    finally:
        path.write_text(source)
    failed = re.findall(r"^FAILED (\S+)", result.stdout, flags=re.M)
    if failed:
        return "caught", failed[0]
    if result.returncode not in (0, 1):  # collection errors and the like
        return "caught", f"pytest exit {result.returncode}: " + result.stdout[-200:]
    return "missed", ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.names or m.name in args.names]
    with tempfile.TemporaryDirectory(prefix="mutate-engine-") as tmp:
        where = Path(tmp)
        _copy_repo(where)
        start = time.perf_counter()
        deselect = baseline_failures(where)
        print(f"baseline: {len(deselect)} test(s) fail on the unmutated engine and are "
              f"deselected ({time.perf_counter() - start:.0f} s)")
        outcomes = []
        for m in chosen:
            start = time.perf_counter()
            verdict, detail = run_mutation(m, where, deselect)
            outcomes.append(verdict)
            print(f"{m.name:32s} {verdict:15s} {time.perf_counter() - start:5.0f} s  {detail}",
                  flush=True)
    caught = outcomes.count("caught")
    print(f"\ncaught {caught} of {len(chosen)} mutations"
          + (f" ({outcomes.count('not applicable')} not applicable)"
             if "not applicable" in outcomes else ""))
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
