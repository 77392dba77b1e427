"""``tinygrad-edu demo``: article II's OR network trained end to end with autograd.

Runs the 2-3-1 sigmoid network of article II for 200,000 full-batch iterations
(``--iterations`` for fewer), prints the first and last loss, the predictions, and a
note on the final error the article's text reports.

Imports: ``cases``, ``manual`` (data and the note), ``value``.
"""

from __future__ import annotations

import argparse
import sys

from .. import manual
from ..cases import get_case, gradient_descent, print_predictions, two_layer_output

ARTICLE_LAST_LOSS = 0.000265015854894
"""What article II's listed code computes in its last iteration (its oracle, issue 4)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="train article II's OR network with autograd and print the final loss",
        description="Train article II's 2-3-1 OR network with tinygrad_edu's autograd "
                    "(lr 0.05, full batch) and print the loss and predictions.",
    )
    parser.add_argument("--iterations", type=int, default=200_000,
                        help="training iterations (default: the article's 200,000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, print the numbers and the note; 0 on success, 2 on bad options."""
    if args.iterations < 1:
        print("tinygrad-edu demo: --iterations must be at least 1", file=sys.stderr)
        return 2
    case = get_case("article2")
    params = case.fresh_params()
    print(f"{case.title}: {args.iterations:,} iterations of gradient descent, lr {case.lr}")
    run_ = gradient_descent(case.loss, params, case.lr, args.iterations)
    seconds = run_.seconds
    print(f"first loss: {run_.first_loss:.17g}")
    print(f"last loss:  {run_.last_loss:.15g}  (computed in the last iteration, before its update)")
    print(f"time: {seconds:.1f} s ({seconds / args.iterations * 1e6:.0f} µs per iteration)")
    print_predictions(manual.OR_X, two_layer_output(manual.OR_X, params["W_h"], params["W_o"]))
    if args.iterations == 200_000:
        agrees = abs(run_.last_loss - ARTICLE_LAST_LOSS) <= 1e-9 * ARTICLE_LAST_LOSS
        print(f"\nThe article's code gives {ARTICLE_LAST_LOSS}; "
              f"{'reproduced' if agrees else 'NOT reproduced'} to a relative 1e-9.")
    print()
    print(manual.article2_loss_note())
    return 0
