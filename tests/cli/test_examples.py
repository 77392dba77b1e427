"""Every script in examples/ runs (a smoke test, one subprocess per script), and its
options have help text and refuse numbers that make no sense (``--epochs 0``).

Convention for everyone adding an example (also in examples/README.md):

* each ``examples/*.py`` is runnable as ``python examples/NAME.py`` and accepts
  ``--smoke``: a fast run (a few epochs, a small data set, no windows, no network)
  that finishes in a few seconds and exits with status 0;
* files starting with ``_`` are helpers, not examples, and are not run;
* the test runs each script in a fresh temporary directory (the repository is on
  ``PYTHONPATH``), so files it writes to the current directory do not litter the tree;
* a script whose optional dependencies are missing exits with status 0 after printing
  a line that starts with ``SKIP:`` (the test then reports it as skipped);
* ``main(argv)`` builds its options with argparse, every option has help text, and
  numbers are parsed with ``tinygrad_edu.cli.args.positive_int`` / ``nonnegative_int`` (a
  bad one is argparse's usage error, exit status 2, before anything runs).

This test discovers the scripts, so a new example is covered without editing it. It
only checks that each one runs cleanly; the numbers are asserted in test_articles.py.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import runpy
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
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


# ------------------------------------------------------- options (issue 15, item 6)
class _Parsed(Exception):
    """Raised instead of parsing, to hand back the parser an example built."""


def _parser_of(script: pathlib.Path, monkeypatch) -> argparse.ArgumentParser:
    """The ArgumentParser an example's ``main()`` builds (caught before it parses)."""
    namespace = runpy.run_path(str(script))  # not as __main__: defines main, runs nothing
    built: list[argparse.ArgumentParser] = []

    def capture(self, args=None, namespace=None):
        built.append(self)
        raise _Parsed

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        with pytest.raises(_Parsed):
            namespace["main"]([])
    return built[0]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_option_has_help_and_numbers_are_validated(script, monkeypatch, capsys):
    parser = _parser_of(script, monkeypatch)
    assert [a.dest for a in parser._actions if not (a.help or "").strip()] == []
    assert any(a.dest == "smoke" for a in parser._actions)
    numbers = [a for a in parser._actions if a.type is not None]
    assert all(a.type is not int for a in numbers), "use cases.positive_int / nonnegative_int"
    namespace = runpy.run_path(str(script))
    for action in numbers:  # no count, size or seed of an example can be negative
        with pytest.raises(SystemExit) as exit_:
            namespace["main"]([action.option_strings[0], "-5"])
        assert exit_.value.code == 2
        assert f"argument {action.option_strings[0]}: must be at least" in capsys.readouterr().err


@pytest.mark.parametrize("script, argv", [
    ("article2_or_gate.py", ["--iterations", "-5"]),
    ("article1_or_gate.py", ["--epochs", "0"]),
    ("blog_three_input.py", ["--epochs", "0"]),
    ("micrograd_moons.py", ["--steps", "0"]),
    ("micrograd_moons.py", ["--points", "1"]),
])
def test_examples_refuse_lengths_that_train_nothing(script, argv, capsys):
    main = runpy.run_path(str(ROOT / "examples" / script))["main"]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {argv[0]}: must be at least" in err and "Traceback" not in err
