"""``tinygrad-edu bench``: the ratio benchmarks (same harness as ``make bench``).

The harness lives in :mod:`tinygrad_edu.bench` so that this command works from an
installed wheel; PyTorch and micrograd are compared when they are installed.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from .. import bench

    parser = subparsers.add_parser(
        "bench", help="ratio benchmarks vs hand NumPy, PyTorch and micrograd",
        description="Run workloads W1–W6 and print medians and ratios to the baselines.")
    bench.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import bench

    return bench.run_from_args(args)
