"""The command line: discovery of subcommands, version, help."""

import subprocess
import sys

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
