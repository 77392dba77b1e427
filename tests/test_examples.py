"""Every script in examples/ runs: a smoke test, one subprocess per script.

Convention for everyone adding an example (also in examples/README.md):

* each ``examples/*.py`` is runnable as ``python examples/NAME.py`` and accepts
  ``--smoke``: a fast run (a few epochs, a small data set, no windows, no network)
  that finishes in a few seconds and exits with status 0;
* files starting with ``_`` are helpers, not examples, and are not run;
* the test runs each script in a fresh temporary directory (the repository is on
  ``PYTHONPATH``), so files it writes to the current directory do not litter the tree;
* a script whose optional dependencies are missing exits with status 0 after printing
  a line that starts with ``SKIP:`` (the test then reports it as skipped).

This test discovers the scripts, so a new example is covered without editing it. It
only checks that each one runs cleanly; the numbers are asserted in test_articles.py.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
TIMEOUT_S = 120  # generous: a hung script fails instead of stalling CI


def test_there_are_examples():
    assert EXAMPLES, "no examples/*.py found"


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_with_smoke(script, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    if result.returncode == 0 and result.stdout.lstrip().startswith("SKIP:"):
        pytest.skip(result.stdout.strip().splitlines()[0])
    assert result.returncode == 0, (
        f"{script.name} --smoke exited with {result.returncode}\n"
        f"stdout:\n{result.stdout[-2000:]}\nstderr:\n{result.stderr[-4000:]}")
