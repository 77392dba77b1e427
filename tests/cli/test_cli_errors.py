"""No traceback reaches a user of ``tinygrad-edu`` (issue 15, item 6).

The spec: a usage mistake, an unwritable output and any of tinygrad_edu's own errors is
one line on stderr, ``…: error: …``, exit status 2, and nothing is written; options the
chosen drawing would ignore are refused; an unexpected error is one line that asks to
be reported, and ``TINYGRAD_EDU_DEBUG=1`` shows the traceback; every option of every
subcommand has help text.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from tinygrad_edu.cli import DEBUG_VARIABLE, build_parser, main
from tinygrad_edu.core import ShapeError


def _one_line_error(capsys) -> str:
    """The single stderr line of a failed command (stdout must be empty)."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "error:" in lines[0] and "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("argv, says", [
    (["graph", "article1", "--format", "bogus"], "unknown format 'bogus'"),
    (["graph", "article1", "--precision", "-3"], "--precision: must be at least 1, got -3"),
    (["graph", "article1", "--precision", "three"], "expected a whole number"),
    (["graph", "article1", "--format", "svg"], "pass --out FILE"),
    (["graph", "article2", "--backward"], "--html FILE and/or --frames-dir DIR"),
    (["demo", "--iterations", "0"], "--iterations: must be at least 1, got 0"),
    (["demo", "--iterations", "-5"], "--iterations: must be at least 1, got -5"),
    (["graph", "nope"], "invalid choice: 'nope'"),
])
def test_usage_mistakes_are_one_line_and_exit_2(argv, says, capsys):
    assert main(argv) == 2
    assert says in _one_line_error(capsys)


@pytest.mark.parametrize("option", ["--out", "--html"])
def test_output_into_a_missing_folder_is_refused_before_drawing(option, tmp_path, capsys):
    target = tmp_path / "missing" / "graph.out"
    assert main(["graph", "article1", option, str(target), "--format", "dot"]
                if option == "--out" else ["graph", "article1", option, str(target)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("tinygrad-edu: error: ") and "does not exist" in line
    assert str(tmp_path / "missing") in line
    assert list(tmp_path.iterdir()) == []  # nothing half-done


@pytest.mark.parametrize("extra, says", [
    (["--check"], "--check colours the forward graph"),
    (["--out", "graph.svg"], "--out writes the forward graph"),
    (["--format", "png"], "--format sets the files of --frames-dir"),
])
def test_options_the_backward_drawing_would_ignore_are_refused(extra, says, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "article1", "--html", "steps.html", *extra]) == 2
    assert says in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_frames_dir_without_backward_draws_the_backward_pass(tmp_path, capsys):
    # Same files as with an explicit --backward: the option implies it, it is not ignored.
    implied, explicit = tmp_path / "implied", tmp_path / "explicit"
    assert main(["graph", "article2", "--frames-dir", str(implied), "--format", "dot"]) == 0
    assert main(["graph", "article2", "--backward", "--frames-dir", str(explicit),
                 "--format", "dot"]) == 0
    capsys.readouterr()
    names = sorted(p.name for p in implied.iterdir())
    assert names and names == sorted(p.name for p in explicit.iterdir())
    for name in names:
        assert (implied / name).read_text() == (explicit / name).read_text()


def _failing(error: BaseException):
    def run(args: argparse.Namespace) -> int:
        raise error
    return run


def _run_with(monkeypatch, error: BaseException) -> int:
    """Run ``tinygrad-edu code article1`` with its function replaced by one raising ``error``."""
    from tinygrad_edu.cli import code

    monkeypatch.setattr(code, "run", _failing(error))
    return main(["code", "article1"])


@pytest.mark.parametrize("error, shown", [
    (ShapeError("matmul: shapes (2, 3) and (2, 1) do not align"),
     "tinygrad-edu: error: matmul: shapes (2, 3) and (2, 1) do not align"),
    (FileNotFoundError(2, "No such file or directory", "nowhere/x.npz"),
     "tinygrad-edu: error: No such file or directory: nowhere/x.npz"),
    (ValueError("bad value\non two lines"), "tinygrad-edu: error: bad value on two lines"),
])
def test_expected_errors_become_one_line(error, shown, monkeypatch, capsys):
    monkeypatch.delenv(DEBUG_VARIABLE, raising=False)
    assert _run_with(monkeypatch, error) == 2
    assert _one_line_error(capsys) == shown


def test_unexpected_errors_ask_to_be_reported_and_debug_shows_the_traceback(monkeypatch,
                                                                            capsys):
    monkeypatch.delenv(DEBUG_VARIABLE, raising=False)
    assert _run_with(monkeypatch, ZeroDivisionError("division by zero")) == 2
    line = _one_line_error(capsys)
    assert line.startswith("tinygrad-edu: internal error: ZeroDivisionError: division by zero")
    assert "report" in line and f"{DEBUG_VARIABLE}=1" in line
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    with pytest.raises(ZeroDivisionError):
        _run_with(monkeypatch, ZeroDivisionError("division by zero"))


def test_interrupt_is_one_line(monkeypatch, capsys):
    assert _run_with(monkeypatch, KeyboardInterrupt()) == 130
    assert capsys.readouterr().err == "tinygrad-edu: interrupted\n"


def test_installed_command_prints_no_traceback(tmp_path):
    """The real entry point, in a subprocess: what a user's shell shows."""
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "graph", "article1", "--out",
         str(tmp_path / "missing" / "g.svg")],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != DEBUG_VARIABLE})
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "does not exist" in result.stderr


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_subcommand_has_help():
    parser = build_parser()
    parsers = {"tinygrad-edu": parser, **_subparsers(parser)}
    assert {"compare", "demo", "graph", "code", "bench"} <= set(parsers)
    missing = [f"{name} {action.dest}" for name, p in parsers.items() for action in p._actions
               if not (action.help or "").strip()]
    assert missing == []
