"""Timing harness for the ratio benchmarks: interleaved repeats, summaries, the table.

A workload hands :func:`compare` a dict of systems (name -> zero-argument callable that
does one unit of work). The harness warms each one up, picks how many calls make one
sample (so that a sample lasts long enough to time), then takes the samples in turns —
system A, system B, …, A, B, … — so that a slow moment of the machine hits every
system alike. Ratios are taken against a named baseline, in the same process.

Imports: the standard library only. Never asserts a time: it measures and reports.
"""

from __future__ import annotations

import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Timing", "Goal", "Report", "compare", "add_pytorch", "time_once", "rss_bytes",
           "environment"]


@dataclass
class Timing:
    """Seconds per call of one system in one case: median, min and max over samples."""

    workload: str
    case: str
    system: str
    median: float
    min: float
    max: float
    samples: int
    calls_per_sample: int
    baseline: str | None = None
    ratio: float | None = None  # median / baseline's median
    ratio_of_mins: float | None = None  # min / baseline's min: steadier on a busy machine


@dataclass
class Goal:
    """One goal from the issue and whether this run meets it."""

    workload: str
    text: str
    measured: str
    met: bool | None  # None: could not be measured (baseline missing, module absent)


@dataclass
class Report:
    """Everything one run produced; ``as_dict()`` is the ``--json`` document."""

    timings: list[Timing] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # per-workload numbers (memory, …)
    skipped: dict[str, str] = field(default_factory=dict)  # system or workload -> why
    quick: bool = False  # a smoke run: its goals are listed, never judged MET or MISSED

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": environment(),
            "quick": self.quick,
            "timings": [asdict(t) for t in self.timings],
            "goals": [asdict(g) for g in self.goals],
            "extra": self.extra,
            "skipped": self.skipped,
        }

    def find(self, workload: str, case: str, system: str) -> Timing | None:
        for t in self.timings:
            if (t.workload, t.case, t.system) == (workload, case, system):
                return t
        return None


def time_once(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _calls_for(fn: Callable[[], Any], target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds (at least one)."""
    one = time_once(fn)
    return max(1, int(target / max(one, 1e-9)))


def compare(
    report: Report,
    workload: str,
    case: str,
    systems: dict[str, Callable[[], Any]],
    baseline: str,
    *,
    repeats: int = 7,
    warmup: int = 2,
    sample_seconds: float = 0.05,
) -> dict[str, Timing]:
    """Time every system in turns and add the timings (with ratios) to ``report``.

    >>> r = Report()
    >>> t = compare(r, "demo", "sum", {"py": lambda: sum(range(100))}, "py", repeats=2)
    >>> t["py"].ratio
    1.0
    """
    for fn in systems.values():
        for _ in range(warmup):
            fn()
    calls = {name: _calls_for(fn, sample_seconds) for name, fn in systems.items()}
    samples: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(repeats):
        for name, fn in systems.items():
            n = calls[name]
            gc.collect()  # garbage of the previous system is not this system's cost
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    out: dict[str, Timing] = {}
    for name, values in samples.items():
        out[name] = Timing(workload, case, name, statistics.median(values), min(values),
                           max(values), len(values), calls[name])
    base = out.get(baseline)
    for t in out.values():
        if base is not None:
            t.baseline = baseline
            t.ratio = t.median / base.median
            t.ratio_of_mins = t.min / base.min
        report.timings.append(t)
    return out


def add_pytorch(report: Report, workload: str, systems: dict[str, Callable[[], Any]],
                step: Callable[[], Any] | None, name: str = "pytorch-1thread") -> bool:
    """Put PyTorch's ``step`` among ``systems`` as ``name``, or, when torch is not
    installed (``step`` is None), record that the workload runs without it.

    >>> report, systems = Report(), {}
    >>> add_pytorch(report, "W9", systems, None), report.skipped
    (False, {'W9 pytorch': 'torch is not installed'})
    """
    if step is None:
        report.skipped[f"{workload} pytorch"] = "torch is not installed"
        return False
    systems[name] = step
    return True


def rss_bytes() -> int | None:
    """Resident set size of this process now (Linux ``/proc``), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def _version(module: str) -> str | None:
    """The installed distribution's version, or None when the module is absent."""
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        pass
    try:
        mod = __import__(module)
    except Exception:  # an optional baseline that is absent or broken
        return None
    return getattr(mod, "__version__", "installed")


def environment() -> dict[str, Any]:
    """Machine and versions, recorded with every run."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "micrograd": _version("micrograd"),
        "tinygrad_edu": _version("tinygrad_edu"),
    }


def _fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:8.1f} µs"
    if s < 1:
        return f"{s * 1e3:8.2f} ms"
    return f"{s:8.3f} s "


def format_table(report: Report) -> str:
    """The human-readable table: one row per (workload, case, system), then the goals.

    Columns are as wide as their longest entry, so no name is cut. A ``quick`` report
    lists its goals without a verdict: a smoke run's times say nothing about them.

    >>> r = Report(timings=[Timing("W1", "article II", "tinygrad_edu-traced", 2e-5, 2e-5,
    ...                            2e-5, 3, 10, "hand-numpy", 1.25, 1.25)],
    ...            goals=[Goal("W1", "traced ≤ 1.5× hand NumPy", "1.25×", True)])
    >>> table = format_table(r).splitlines()
    >>> table[1].split()[:5]                  # the system's name is not cut
    ['W1', 'article', 'II', 'tinygrad_edu-traced', '20.0']
    >>> table[-1]
    '  [MET   ] W1: traced ≤ 1.5× hand NumPy — 1.25×'
    """
    widths = {column: max([len(column), *(len(getattr(t, column)) for t in report.timings)])
              for column in ("workload", "case", "system")}
    w, c, s = widths["workload"], widths["case"], widths["system"]
    lines = [f"{'workload':{w}} {'case':{c}} {'system':{s}} {'median':>11} {'min':>11} "
             f"{'max':>11} {'ratio':>8} {'of mins':>8}"]
    for t in report.timings:
        ratio = f"{t.ratio:7.2f}×" if t.ratio is not None else "      -"
        ratio += f" {t.ratio_of_mins:7.2f}×" if t.ratio_of_mins is not None else "        -"
        lines.append(f"{t.workload:{w}} {t.case:{c}} {t.system:{s}} "
                     f"{_fmt_seconds(t.median)} {_fmt_seconds(t.min)} {_fmt_seconds(t.max)} "
                     f"{ratio}" + (f" (vs {t.baseline})" if t.baseline else ""))
    for workload, numbers in report.extra.items():
        for key, value in numbers.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            lines.append(f"{workload:{w}} {key}: {shown}")
    if report.skipped:
        lines.append("")
        for what, why in report.skipped.items():
            lines.append(f"skipped {what}: {why}")
    lines.append("")
    if report.quick:
        lines.append("goals (not judged: --quick is a smoke run, not a measurement):")
        lines.extend(f"  - {g.workload}: {g.text} — {g.measured}" for g in report.goals)
        return "\n".join(lines)
    lines.append("goals:")
    for g in report.goals:
        mark = {True: "MET   ", False: "MISSED", None: "n/a   "}[g.met]
        lines.append(f"  [{mark}] {g.workload}: {g.text} — {g.measured}")
    return "\n".join(lines)
