"""Full-size version of the thread tests: two threads taking gradients through one shared
model, and one traced function called from two threads; counts wrong answers.

    .venv/bin/python scripts/threads_check.py [--grads 4000] [--calls 600]

A wrong answer is one that differs from the same computation run alone (one thread),
bit for bit. The issue measured 1,702 wrong gradients of 4,000 and 13 wrong traced losses
of 600 before passes kept their bookkeeping to themselves and tapes were made per thread.
"""

from __future__ import annotations

import argparse
import sys
import threading

import numpy as np

from tinygrad_edu import Value, grad, nn, trace


def shared_model(total: int) -> int:
    model = nn.MLP([3, 16, 1], rng=1)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((8, 3)), rng.standard_normal((8, 1))) for _ in range(10)]

    def grads(x, t):
        loss = ((model(Value(x, requires_grad=False)) - t) ** 2.0).sum()
        return [g.data for g in grad(loss, model.parameters())]

    expected = [grads(*b) for b in batches]
    wrong = [0]

    def worker(offset: int) -> None:
        for rep in range(total // 2):
            k = (rep + offset) % len(batches)
            got = grads(*batches[k])
            if not all(np.array_equal(a, b) for a, b in zip(got, expected[k], strict=True)):
                wrong[0] += 1

    run_two(worker)
    return wrong[0]


def shared_trace(total: int) -> int:
    w = Value(np.array([0.5, -0.25, 2.0]))
    step = trace(lambda x: ((w * x).sum() - 1.0) ** 2.0)
    inputs = [np.array([float(i), 1.0, -1.0]) for i in range(2)]
    expected = [float(((w.data * x).sum() - 1.0) ** 2) for x in inputs]
    wrong = [0]

    def worker(i: int) -> None:
        for _ in range(total // 2):
            if step(inputs[i]).item() != expected[i]:
                wrong[0] += 1

    run_two(worker)
    return wrong[0]


def run_two(worker) -> None:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: races show at once
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grads", type=int, default=4000, help="gradients taken in all")
    parser.add_argument("--calls", type=int, default=600, help="traced calls in all")
    args = parser.parse_args(argv)
    bad_grads = shared_model(args.grads)
    bad_calls = shared_trace(args.calls)
    print(f"shared model: {bad_grads} wrong gradients of {args.grads}")
    print(f"shared traced function: {bad_calls} wrong losses of {args.calls}")
    return int(bool(bad_grads or bad_calls))


if __name__ == "__main__":
    sys.exit(main())
