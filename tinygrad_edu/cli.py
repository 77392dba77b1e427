"""The ``tinygrad-edu`` command.

Subcommands live in ``tinygrad_edu/commands/``: each module there defines
``register(subparsers)``, which adds its parser and sets ``func`` to the function that
runs it (returning an exit code). This file only discovers and dispatches them, so a
new subcommand is a new module and nothing else.

>>> main(["--version"])  # doctest: +SKIP
tinygrad-edu 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand found in ``tinygrad_edu.commands``."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu",
        description="Autograd for learning, teaching and checking backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
