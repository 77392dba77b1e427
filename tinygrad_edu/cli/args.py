"""What the command line and the example scripts share: argument types and the error a
subcommand raises for a user's mistake.

A subcommand refuses bad input by raising :class:`CommandError` with a one-line
message; ``tinygrad_edu.cli.main`` prints it as ``tinygrad-edu: error: ...`` and exits
with status 2, so no user ever sees a traceback for a mistake of theirs. The number
types turn a bad value into argparse's one-line usage error before anything runs.

Imports nothing of the package.
"""

from __future__ import annotations

import argparse

__all__ = ["CommandError", "positive_int", "nonnegative_int", "example_run_length"]


class CommandError(Exception):
    """A user's mistake on the command line (bad combination of options, unusable file).

    >>> str(CommandError("graph: --out needs a folder that exists"))
    'graph: --out needs a folder that exists'
    """


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1 (epochs, iterations, digits).

    A bad value becomes argparse's one-line usage error (exit status 2), before anything
    runs.

    >>> positive_int("200_000")
    200000
    >>> positive_int("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be at least 1, got 0
    """
    return _int_at_least(text, 1)


def nonnegative_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 0 (random seeds).

    >>> nonnegative_int("0")
    0
    >>> nonnegative_int("-1")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be at least 0, got -1
    """
    return _int_at_least(text, 0)


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
    return value


def example_run_length(
    doc: str, argv: list[str] | None, *, flag: str, default: int, smoke: int
) -> int:
    """Parse an example's ``--FLAG N`` and ``--smoke`` options; return how long to train.

    Every training script in ``examples/`` takes the same two options (``--smoke`` is the
    fast run ``tests/cli/test_examples.py`` uses), so they are declared once, here. ``doc`` is
    the script's module docstring; its first line becomes the ``--help`` description.
    ``flag`` names the length, e.g. ``"epochs"`` or ``"iterations"``; it must be at
    least 1 (``--epochs 0`` is a usage error, exit status 2).

    >>> example_run_length("Demo.", ["--epochs", "5"], flag="epochs", default=100, smoke=2)
    5
    >>> example_run_length("Demo.", ["--smoke"], flag="epochs", default=100, smoke=2)
    2
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(f"--{flag}", type=positive_int, default=default, metavar="N",
                        help=f"how many {flag} to train (default: {default:,})")
    parser.add_argument("--smoke", action="store_true", help=f"fast run ({smoke} {flag})")
    args = parser.parse_args(argv)
    return smoke if args.smoke else getattr(args, flag)
