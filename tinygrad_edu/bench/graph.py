"""W4 and W5: how the engine scales with the size of the graph.

W4 builds scalar chains ``y = y·0.999 + 0.001`` of 10⁴, 10⁵ and 10⁶ nodes and times the
forward pass and the backward pass separately; a second build under ``tracemalloc``
gives the peak memory per node (graph and gradients alive at once). Goal: time per
node flat as the chain grows, and at most 1 KB per node.

W5 writes the DOT text (:func:`tinygrad_edu.viz.to_dot`, every node drawn) of graphs
of 10², 10³ and 10⁴ nodes. Goal: under 1 s at 10⁴ nodes.

Imports: ``tinygrad_edu`` (Value, viz.to_dot), ``.harness``.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from typing import Any

from ..core import Value
from ..viz import to_dot
from .harness import Goal, Report, Timing


def chain(n: int) -> tuple[Value, Value]:
    """A leaf and the end of an ``n``-node chain of multiplies and adds."""
    x = Value(0.5)
    y = x
    for _ in range(n // 2):
        y = y * 0.999 + 0.001
    return x, y


class _GcClock:
    """Seconds spent in Python's cyclic garbage collector while installed."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


def _fwd_bwd(n: int, collector: bool = True) -> tuple[float, float, float]:
    """Forward seconds, backward seconds, and how much of the forward was the collector.

    ``collector=False`` pauses Python's cyclic garbage collector while timing (as
    ``timeit`` does by default): what is left is the engine's own cost.
    """
    gc.collect()
    clock = _GcClock()
    gc.callbacks.append(clock)
    was_enabled = gc.isenabled()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        x, y = chain(n)
        mid = time.perf_counter()
        in_gc = clock.total
        y.backward()
        end = time.perf_counter()
    finally:
        gc.callbacks.remove(clock)
        if was_enabled:
            gc.enable()
    del x, y
    return mid - start, end - mid, in_gc


def _peak_bytes(n: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        x, y = chain(n)
        y.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del x, y
    return peak


def w4(report: Report, quick: bool = False) -> None:
    """W4: forward and backward time per node and peak bytes per node of scalar chains."""
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    repeats = 3
    per_node: dict[int, float] = {}
    per_node_paused: dict[int, float] = {}
    numbers: dict[str, Any] = {}
    for n in sizes:
        runs = [_fwd_bwd(n) for _ in range(repeats)]
        for part, values in (("forward", [r[0] for r in runs]), ("backward", [r[1] for r in runs])):
            report.timings.append(Timing("W4", f"chain {n:.0e} {part}", "tinygrad_edu",
                                         statistics.median(values), min(values), max(values),
                                         repeats, 1))
        total = statistics.median(r[0] + r[1] for r in runs)
        per_node[n] = total / n
        numbers[f"{n:.0e} nodes: µs/node fwd+bwd"] = per_node[n] * 1e6
        numbers[f"{n:.0e} nodes: µs/node of the forward in the cyclic GC"] = \
            statistics.median(r[2] for r in runs) / n * 1e6
        paused = [_fwd_bwd(n, collector=False) for _ in range(repeats)]
        per_node_paused[n] = statistics.median(r[0] + r[1] for r in paused) / n
        numbers[f"{n:.0e} nodes: µs/node fwd+bwd, collector paused"] = per_node_paused[n] * 1e6
        peak = _peak_bytes(n)
        numbers[f"{n:.0e} nodes: peak bytes/node"] = peak / n
    if len(sizes) > 2:
        # The smallest chain is built before Python's cyclic GC starts its full collections;
        # between the two largest both pay them, so this ratio shows the asymptotic slope.
        numbers[f"µs/node at {sizes[-1]:.0e} ÷ at {sizes[-2]:.0e}"] = \
            per_node[sizes[-1]] / per_node[sizes[-2]]
    # The engine alone: with the collector paused, what still grows is the engine's own.
    numbers[f"collector paused: µs/node at {sizes[-1]:.0e} ÷ at {sizes[0]:.0e}"] = \
        per_node_paused[sizes[-1]] / per_node_paused[sizes[0]]
    report.extra["W4"] = numbers
    growth = per_node[sizes[-1]] / per_node[sizes[0]]
    report.goals.append(Goal("W4", f"time linear in nodes (µs/node at {sizes[-1]:.0e} ÷ at "
                             f"{sizes[0]:.0e} ≤ 1.5)", f"{growth:.2f}", growth <= 1.5))
    worst = max(v for k, v in numbers.items() if "bytes" in k)
    report.goals.append(Goal("W4", "≤ 1 KB peak per node", f"{worst:.0f} B/node",
                             worst <= 1024))


def _graph_of(n: int) -> Value:
    """About ``n`` nodes: a chain of tanh and multiplies from one leaf."""
    y = Value(0.3, name="x")
    for _ in range(n // 2):
        y = (y * 0.9).tanh()
    return y


def w5(report: Report, quick: bool = False) -> None:
    """W5: DOT text for 10², 10³, 10⁴-node graphs; goal < 1 s at 10⁴ nodes."""
    numbers: dict[str, Any] = {}
    for n in (100, 1_000, 10_000):
        root = _graph_of(n)
        root.backward()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            # Every node drawn: past the default cap big graphs fold, which is not the workload.
            text = to_dot(root, max_nodes=10**9)
            times.append(time.perf_counter() - start)
        report.timings.append(Timing("W5", f"DOT {n:.0e} nodes", "tinygrad_edu",
                                     statistics.median(times), min(times), max(times), 3, 1))
        numbers[f"{n:.0e} nodes: DOT characters"] = len(str(text))
    report.extra["W5"] = numbers
    last = report.find("W5", f"DOT {10_000:.0e} nodes", "tinygrad_edu")
    report.goals.append(Goal("W5", "DOT of 10⁴ nodes < 1 s", f"{last.median:.3f} s",
                             last.median < 1.0))
