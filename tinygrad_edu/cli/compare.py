"""``tinygrad-edu compare CASE|FILE.py [--as-published]``: hand gradients against autograd.

Prints the :func:`tinygrad_edu.check.compare` table (autograd, your hand gradient and
central differences, one row per parameter) either for one of the articles' worked
cases, or for a derivation of your own in a Python file that defines three names:

``start``
    ``{name: array}``, the point where the gradients are compared;
``loss(**params)``
    the loss, built from Values: the parameters arrive as Values named like ``start``'s
    keys, and the loss is made with their operators and methods (``@``, ``.sigmoid()``,
    ``.sum()``, …; NumPy arrays may appear as constants);
``manual_grads(**params)``
    the hand derivation: the same names arrive as float64 NumPy arrays, and it returns
    ``{name: gradient}`` (extra keys such as ``"loss"`` are ignored).

Exit status: 0 when every hand gradient agrees with autograd, 1 on a MISMATCH, 2 when
the case or the file cannot be used (with a one-line error saying why).

Imports: ``cases``, ``check``.
"""

from __future__ import annotations

import argparse
import runpy
import textwrap
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..articles.cases import CASE_NAMES, PERCEPTRON_CASES, get_case
from ..check import compare
from .args import CommandError

__all__ = ["register", "run", "load_derivation", "Derivation", "EXAMPLE_FILE"]

REQUIRED_NAMES = ("start", "loss", "manual_grads")

EXAMPLE_FILE = '''\
# my_derivation.py: article I's neuron, L(w, b) = ½·Σ(σ(X·w + b) − t)²
import numpy as np
X, t = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]), np.array([0., 1., 1., 1.])
start = {"w": np.array([0.1, 0.2]), "b": np.array(0.3)}  # where to compare
def loss(w, b):          # w and b arrive as Values: build the loss from them
    return 0.5 * (((X @ w + b).sigmoid() - t) ** 2).sum()
def manual_grads(w, b):  # w and b arrive as NumPy arrays: your derivation
    o = 1 / (1 + np.exp(-(X @ w + b)))
    delta = (o - t) * o * (1 - o)
    return {"w": X.T @ delta, "b": delta.sum()}
'''
"""The example file ``tinygrad-edu compare --help`` shows (tests run it from the help)."""

_EPILOG = f"""\
your own derivation: FILE.py defines three names
  start                    {{name: array}}: the point where the gradients are compared
  loss(**params)           the loss built from Values (start's names arrive as Values)
  manual_grads(**params)   your derivation: the same names arrive as NumPy arrays,
                           it returns {{name: gradient}}
The file runs in a namespace of its own (like `python FILE.py`, not as __main__).

example file (`tinygrad-edu compare my_derivation.py` prints the table, exit status 0):

{textwrap.indent(EXAMPLE_FILE, "    ")}"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare hand-derived gradients (an article's, or your FILE.py) with autograd",
        description="Compare hand-derived gradients with autograd and central differences\n"
                    "at a starting point: an article's worked case, or your own derivation\n"
                    "in FILE.py. Exit status 0 when all agree, 1 when any parameter\n"
                    "MISMATCHes, 2 on an error.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("case", metavar="CASE|FILE.py",
                        help=f"a worked case ({', '.join(CASE_NAMES)}) or a Python file "
                             "defining start, loss and manual_grads")
    parser.add_argument("--as-published", action="store_true",
                        help="use article I's code as published (sigmoid derivative applied "
                             f"to the output); only for {', '.join(PERCEPTRON_CASES)}")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the comparison table; 0 when all agree, 1 on a mismatch.

    Bad input (unknown case, unusable file) raises :class:`CommandError`.
    """
    if args.case in CASE_NAMES:
        try:
            case = get_case(args.case, as_published=args.as_published)
        except ValueError as error:
            raise CommandError(f"compare: {error}") from None
        title = case.title
        report = compare(case.loss, case.start, case.manual_grads)
    elif args.case.endswith(".py") or Path(args.case).is_file():
        if args.as_published:
            raise CommandError("compare: --as-published applies to article I's cases "
                               f"({', '.join(PERCEPTRON_CASES)}), not to a file")
        derivation = load_derivation(args.case)
        title = f"your derivation in {args.case}"
        try:
            report = compare(derivation.loss, derivation.start, derivation.manual_grads)
        except Exception as error:  # the file's functions, or what they returned, failed
            raise CommandError(f"compare: {_describe(error, args.case)}") from error
    else:
        raise CommandError(f"compare: unknown case {args.case!r}; choose from "
                           f"{', '.join(CASE_NAMES)}, or give a FILE.py")
    print(title)
    print(report)
    return 0 if report.ok else 1


@dataclass(frozen=True)
class Derivation:
    """The three names a compare file defines."""

    start: Mapping[str, Any]
    loss: Callable[..., Any]
    manual_grads: Callable[..., Mapping[str, Any]]


def load_derivation(path: str) -> Derivation:
    """Run the Python file at ``path`` in its own namespace and take its three names.

    Raises :class:`CommandError` with one line when the file is missing, does not run,
    or lacks ``start``, ``loss`` or ``manual_grads`` (or they have the wrong kind).

    >>> load_derivation("no/such/file.py")
    Traceback (most recent call last):
    tinygrad_edu.cli.args.CommandError: compare: no/such/file.py: no such file
    """
    if not Path(path).is_file():
        raise CommandError(f"compare: {path}: no such file")
    try:
        namespace = runpy.run_path(path, run_name="__tinygrad_edu_compare__")
    except SyntaxError as error:
        raise CommandError(f"compare: {path}, line {error.lineno}: syntax error: "
                           f"{error.msg}") from None
    except (Exception, SystemExit) as error:
        raise CommandError(f"compare: running {_describe(error, path)}") from error
    missing = [name for name in REQUIRED_NAMES if name not in namespace]
    if missing:
        raise CommandError(
            f"compare: {path} does not define {', '.join(missing)}; a compare file defines "
            "start = {name: array}, loss(**params) and manual_grads(**params) "
            "(tinygrad-edu compare --help shows one)")
    for name in ("loss", "manual_grads"):
        if not callable(namespace[name]):
            raise CommandError(f"compare: {path}: {name} must be a function of the parameters, "
                               f"got {type(namespace[name]).__name__}")
    start = namespace["start"]
    if not isinstance(start, Mapping) or not start or not all(isinstance(k, str) for k in start):
        raise CommandError(f"compare: {path}: start must be a non-empty dict of "
                           f"parameter name -> array, got {_short(start)}")
    return Derivation(start=start, loss=namespace["loss"], manual_grads=namespace["manual_grads"])


def _describe(error: BaseException, path: str) -> str:
    """``FILE, line N: Type: message``, the line being the deepest one in the user's file."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    text = " ".join(text.split()).removeprefix("compare: ")
    where = path
    target = Path(path).resolve() if Path(path).is_file() else None
    for frame in traceback.extract_tb(error.__traceback__):
        if target is not None and Path(frame.filename).resolve() == target:
            where = f"{path}, line {frame.lineno}"
    kind = type(error).__name__
    return f"{where}: {kind}: {text}" if text else f"{where}: {kind}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
