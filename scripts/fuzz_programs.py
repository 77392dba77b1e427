"""Fuzz whole programs over the op table against HIPS autograd, PyTorch and central
differences, for as long as you like; report the disagreements by kind.

    .venv/bin/python scripts/fuzz_programs.py --programs 3000 --seed 1

The same seed draws the same programs. Programs are spread evenly over the ops of the
table (each program calls its op at least once). Every disagreement is either explained
by a convention of ``tinygrad_edu.check.oracles.CONVENTIONS`` (counted by convention) or not.
A program with unexplained disagreements is localized: each of its instructions is rerun
alone on the engine's inputs with the reference's upstream gradient, and the program is
counted under the op that disagrees alone and how (ours nan where the reference is
finite, …); the first one-op reproducer of each kind is printed as runnable code.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, seed, settings

from tinygrad_edu import OPS
from tinygrad_edu.check.oracles import compare_program, localize
from tinygrad_edu.check.strategies import programs


def _kind_of(x: float) -> str:
    return "nan" if x != x else "inf" if abs(x) == float("inf") else "finite"


def _root_causes(program, bad) -> list[tuple[tuple, str, str]]:
    """(group, first disagreement, reproducer) per cause: the ops that disagree alone,
    or the whole program when none does (an interaction of several ops)."""
    causes = []
    for single, found in localize(program):
        d = found[0]
        group = (single.instructions[0].op, d.kind,
                 f"ours {_kind_of(d.ours)}, reference {_kind_of(d.expected)}")
        causes.append((group, str(d), single.source()))
    if not causes:
        d = bad[0]
        causes.append((("(not localized)", d.kind, d.reference), str(d), program.source()))
    return causes


def fuzz(total: int, run_seed: int, ops: list[str]) -> dict:
    """Run ``total`` programs; return counts and the first example of each group."""
    stats = {"programs": 0, "failing_programs": 0, "explained": Counter(),
             "unexplained": Counter(), "examples": {}, "per_op_failing": Counter()}
    per_op = max(1, total // len(ops))
    for k, name in enumerate(ops):
        _fuzz_op(name, per_op, run_seed * 1000 + k, stats)
    return stats


def _fuzz_op(name: str, count: int, op_seed: int, stats: dict) -> None:
    @seed(op_seed)
    @settings(max_examples=count, database=None, deadline=None, derandomize=False,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(programs(include=name))
    def one(program):
        stats["programs"] += 1
        found = compare_program(program)
        bad = [d for d in found if not d.explained_by]
        for d in found:
            if d.explained_by:
                stats["explained"][(d.reference, d.kind, d.explained_by)] += 1
        if bad:
            stats["failing_programs"] += 1
            stats["per_op_failing"][name] += 1
            for group, first, source in _root_causes(program, bad):
                stats["unexplained"][group] += 1
                stats["examples"].setdefault(group, (first, source))

    one()


def report(stats: dict, seconds: float, run_seed: int, show: int) -> None:
    print(f"seed {run_seed}: {stats['programs']} programs in {seconds:.0f} s, "
          f"{stats['failing_programs']} with unexplained disagreements")
    print("\nexplained disagreements (reference, kind, convention): count")
    for (ref, kind, why), n in stats["explained"].most_common():
        print(f"  {ref:12s} {kind:9s} {', '.join(why):40s} {n}")
    print("\nunexplained, by the op that disagrees alone (op, kind, how): programs")
    for (op, kind, how), n in stats["unexplained"].most_common():
        print(f"  {op:16s} {kind:9s} {how:40s} {n}")
    if stats["per_op_failing"]:
        print("\nprograms with unexplained disagreements, by the op they were drawn for:")
        print("  " + ", ".join(f"{op} {n}" for op, n in stats["per_op_failing"].most_common()))
    ranked = [g for g, _ in stats["unexplained"].most_common()]
    for group in ranked[:show]:
        first, source = stats["examples"][group]
        print(f"\n--- {' / '.join(group)}: {first}\n{source}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=3100)
    parser.add_argument("--seed", type=int, default=None, help="default: a random seed")
    parser.add_argument("--ops", nargs="*", default=sorted(OPS))
    parser.add_argument("--show", type=int, default=8, help="example programs to print")
    args = parser.parse_args(argv)
    run_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"fuzzing {args.programs} programs, seed {run_seed} "
          f"(replay: scripts/fuzz_programs.py --programs {args.programs} --seed {run_seed})")
    start = time.perf_counter()
    stats = fuzz(args.programs, run_seed, args.ops)
    report(stats, time.perf_counter() - start, run_seed, args.show)
    return 1 if stats["failing_programs"] else 0


if __name__ == "__main__":
    sys.exit(main())
