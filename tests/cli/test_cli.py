"""The command line: discovery of subcommands, version, help; what `make` prints."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu import __version__
from tinygrad_edu.cli import build_parser, main


def test_version(capsys):
    assert main(["--version"]) == 0  # main returns the exit code, also for argparse's exits
    assert capsys.readouterr().out.strip() == f"tinygrad-edu {__version__}"


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: tinygrad-edu" in capsys.readouterr().out


def test_every_command_module_registers_a_runnable_subcommand():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        assert subparser.get_default("func") is not None, name


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "tinygrad_edu", "--version"],
                         capture_output=True, text=True, check=True)
    assert __version__ in out.stdout


# ------------------------------------------------ what make prints (issue 15, items 5, 7)
ROOT = Path(__file__).resolve().parents[2]


def _make_dry_run(target: str) -> list[str]:
    """The commands ``make TARGET`` would run, all of them (-B), none executed (-n)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # Under `make test` (CI) the outer make's settings would reach this one and add
    # "make[1]: Entering directory" lines: run it as a user's shell would.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    result = subprocess.run(["make", "--no-print-directory", "-n", "-B", target], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=60, env=env)
    return result.stdout.splitlines()


def test_make_says_what_the_quiet_pip_is_doing_before_it_starts():
    lines = _make_dry_run("demo")
    first_pip = next(i for i, line in enumerate(lines) if "pip install" in line)
    said = [line for line in lines[:first_pip] if line.startswith("echo ")]
    assert said and "installing" in said[0] and ".venv" in said[0]


def test_make_demo_ends_by_saying_how_to_reach_the_tools():
    lines = _make_dry_run("demo")
    demo = next(i for i, line in enumerate(lines) if line.endswith("tinygrad-edu demo"))
    after = " ".join(lines[demo + 1:])
    assert ". .venv/bin/activate" in after and ".venv/bin/tinygrad-edu" in after
    assert all(line.startswith("echo") for line in lines[demo + 1:])
