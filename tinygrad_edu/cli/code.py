"""``tinygrad-edu code``: print the Python the engine runs for an article's network.

    tinygrad-edu code article2        # forward and backward, one line per node

The network's loss is recorded with :func:`tinygrad_edu.trace`, replayed once and
backpropagated once, and the tape's generated source is printed: the forward pass, then
the backward pass, in which every line is one VJP rule of the op table — the hand
derivation of the tutorial, written out by the engine.

Owns argument parsing only; the code comes from :mod:`tinygrad_edu.tracing`.
"""

from __future__ import annotations

import argparse

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``code`` subcommand."""
    from ..articles.graphs import ARTICLES

    parser = subparsers.add_parser(
        "code", help="print the Python the engine runs for an article's network",
        description="Record an article's network with trace() and print the generated "
                    "forward and backward code (one line per node / per gradient).")
    parser.add_argument("network", choices=sorted(ARTICLES), help="which article's network")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``code``; returns the exit code."""
    from ..articles.graphs import ARTICLES
    from ..jit import trace

    loss_fn = trace(ARTICLES[args.network])
    loss_fn().backward()  # records, and writes the backward code
    loss_fn()             # the first replay writes the forward code
    (tape,) = loss_fn.tapes.values()
    print(tape.source(), end="")
    return 0
