"""The ``tinygrad-edu`` command.

Each subcommand is a module of this package (``demo``, ``compare``, ``graph``, ``code``,
``bench``) defining ``register(subparsers)``, which adds its parser and sets ``func`` to
the function that runs it (returning an exit code). This module only discovers and
dispatches them, so a new subcommand is a new module and nothing else; ``args`` holds
what they share.

No traceback reaches a user: a usage mistake, a file that cannot be written, or any
error of tinygrad_edu's own types is one line, ``tinygrad-edu: error: ...``, and exit
status 2. Anything else is reported as an internal error with a request to report it;
set ``TINYGRAD_EDU_DEBUG=1`` to see the traceback instead.

>>> main(["--version"])  # doctest: +ELLIPSIS
tinygrad-edu ...
0
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from .args import CommandError

__all__ = ["build_parser", "main", "OneLineErrorParser", "DEBUG_VARIABLE"]

DEBUG_VARIABLE = "TINYGRAD_EDU_DEBUG"
"""Set this environment variable to 1 to get tracebacks instead of one-line errors."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (and exit status 2).

    argparse prints the whole usage before the error; for a command with many options
    that buries the one line that matters, so the usage is replaced by a pointer to
    ``--help``.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand: each module of this package that
    defines ``register(subparsers)``."""
    parser = OneLineErrorParser(
        prog="tinygrad-edu",
        description="Autograd for learning, teaching and checking backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {__version__}",
                        help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       help="what to do (COMMAND --help for its options)")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for any error, with one line)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("tinygrad-edu: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `tinygrad-edu graph article1 | head`: the reader left
        sys.stdout = open(os.devnull, "w")  # the flush at exit would fail again
        return 0
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        _report(error)
        return 2


def _report(error: Exception) -> None:
    """Print ``error`` as the one line a user sees."""
    if _is_expected(error):
        print(f"tinygrad-edu: error: {_message(error)}", file=sys.stderr)
    else:
        print(f"tinygrad-edu: internal error: {type(error).__name__}: {_message(error)} — "
              f"a bug in tinygrad_edu: please report it with the command you ran "
              f"({DEBUG_VARIABLE}=1 shows the traceback)", file=sys.stderr)


def _is_expected(error: Exception) -> bool:
    """A user's mistake or the machine's refusal, as opposed to a bug in tinygrad_edu.

    Our own error types (ShapeError, DotNotFoundError, WeightsError, …) are all defined
    in tinygrad_edu's modules, so they are recognised by where their class lives.
    """
    if isinstance(error, (CommandError, OSError, ValueError)):
        return True
    return any(cls.__module__.split(".")[0] == "tinygrad_edu" for cls in type(error).__mro__)


def _message(error: Exception) -> str:
    """One line: the file and reason of an OSError, the text of anything else."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(text.split()) or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
