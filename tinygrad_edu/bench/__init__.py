"""Ratio benchmarks: tinygrad_edu against hand NumPy, PyTorch and micrograd.

Workloads (see each module): W1 article II iteration and W6 memory over many of them
(:mod:`.article2`), W2 scalar vs tensor MLP and W3 784-256-10 MLP (:mod:`.mlp`), W4
scalar chains and W5 DOT text (:mod:`.graph`), W7 a CNN training step (:mod:`.cnn`).
:mod:`.harness` times systems in turns and reports medians and ratios. The harness
ships inside the package so that the installed ``tinygrad-edu bench`` command works;
``python -m benchmarks.run`` in a checkout is a thin entry point to the same :func:`main`.

PyTorch and micrograd are baselines only when importable; hand NumPy always runs.

>>> report = run(["W1"], quick=True)   # doctest: +SKIP
>>> print(format_table(report))        # doctest: +SKIP

Imports: ``.harness`` and the workload modules; never imported by the engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from . import article2, cnn, graph, mlp
from .harness import Report, format_table

__all__ = ["WORKLOADS", "run", "main", "add_arguments", "format_table"]

#: Workload name -> function(report, quick) that adds its timings and goals.
WORKLOADS: dict[str, Callable[[Report, bool], None]] = {
    "W1": article2.w1,
    "W2": mlp.w2,
    "W3": mlp.w3,
    "W4": graph.w4,
    "W5": graph.w5,
    "W6": article2.w6,
    "W7": cnn.w7,
}


def run(only: Sequence[str] | None = None, quick: bool = False) -> Report:
    """Run the chosen workloads (all by default) and return their report.

    ``quick=True`` is a smoke run (fewer repeats, smaller sizes): its goals are left
    unjudged (``met`` is None) and the table prints no MET/MISSED.
    """
    names = list(WORKLOADS) if not only else [n.strip().upper() for n in only]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise ValueError(f"bench: unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    report = Report(quick=quick)
    for name in names:
        print(f"running {name} …", file=sys.stderr, flush=True)
        WORKLOADS[name](report, quick)
    if quick:  # a smoke run's times (25× one run, 0.1× the next) judge no goal
        for goal in report.goals:
            goal.met = None
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``python -m benchmarks.run`` and ``tinygrad-edu bench``."""
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--only", metavar="W1,W4", help="comma-separated workloads to run")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and smaller sizes (a smoke run, not a measurement)")


def run_from_args(args: argparse.Namespace) -> int:
    """Run what ``args`` asks for, print the table, write JSON if asked; exit code 0."""
    only = args.only.split(",") if args.only else None
    try:
        report = run(only, quick=args.quick)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    print(format_table(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.as_dict(), f, indent=2, ensure_ascii=False)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.run [--json out.json] [--only W1,W4] [--quick]``."""
    parser = argparse.ArgumentParser(prog="benchmarks.run", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
