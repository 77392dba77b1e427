"""``tinygrad-edu compare CASE [--as-published]``: hand gradients against autograd.

Prints the :func:`tinygrad_edu.check.compare` table for one of the articles' worked
cases at its starting point, and exits with 1 when a hand gradient disagrees.

Imports: ``cases``, ``check``.
"""

from __future__ import annotations

import argparse
import sys

from ..cases import CASE_NAMES, PERCEPTRON_CASES, get_case
from ..check import compare


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare an article's hand-derived gradients with autograd",
        description="Compare an article's hand-derived gradient (tinygrad_edu.manual) with "
                    "autograd and central differences at the case's starting point. "
                    "Exit code 1 when any parameter MISMATCHes.",
    )
    parser.add_argument("case", choices=CASE_NAMES, help="which worked case")
    parser.add_argument("--as-published", action="store_true",
                        help="use article I's code as published (sigmoid derivative applied "
                             f"to the output); only for {', '.join(PERCEPTRON_CASES)}")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the comparison table; 0 when all agree, 1 on a mismatch, 2 on bad options."""
    try:
        case = get_case(args.case, as_published=args.as_published)
    except ValueError as e:
        print(f"tinygrad-edu compare: {e}", file=sys.stderr)
        return 2
    print(case.title)
    report = compare(case.loss, case.start, case.manual_grads)
    print(report)
    return 0 if report.ok else 1
