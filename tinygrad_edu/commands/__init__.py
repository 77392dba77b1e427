"""Subcommands of ``tinygrad-edu``: one module each, with ``register(subparsers)``.

A subcommand refuses bad input by raising :class:`CommandError` with a one-line
message; ``tinygrad_edu.cli.main`` prints it as ``tinygrad-edu: error: ...`` and exits
with status 2, so no user ever sees a traceback for a mistake of theirs.
"""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """A user's mistake on the command line (bad combination of options, unusable file).

    >>> str(CommandError("graph: --out needs a folder that exists"))
    'graph: --out needs a folder that exists'
    """
