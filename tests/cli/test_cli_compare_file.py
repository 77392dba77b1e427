"""``tinygrad-edu compare FILE.py``: a user's own derivation (issue 15, item 9).

Oracles: the example file of ``compare --help`` is article I's corrected derivation
(σ'(z) = o·(1 − o)), so every parameter agrees; the "published" file applies the sigmoid
derivative to the output, ``sigmoid_der(o)``, article I's slip that issue 4 says must be
flagged for both w and b. Usage errors are specified as one stderr line and exit 2.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tinygrad_edu.cli import main

PUBLISHED = """\
import numpy as np
X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); t = np.array([0., 1., 1., 1.])
start = {"w": np.array([0.1, 0.2]), "b": np.array(0.3)}
def sigmoid(x):
    return 1 / (1 + np.exp(-x))
def loss(w, b):
    return 0.5 * (((X @ w + b).sigmoid() - t) ** 2).sum()
def manual_grads(w, b):
    o = sigmoid(X @ w + b)
    delta = (o - t) * sigmoid(o) * (1 - sigmoid(o))   # sigmoid_der(out), as published
    return {"w": X.T @ delta, "b": delta.sum()}
"""


def _help_example(capsys) -> str:
    """The example file exactly as ``tinygrad-edu compare --help`` shows it."""
    assert main(["compare", "--help"]) == 0
    help_text = capsys.readouterr().out
    after = help_text.split("example file", 1)[1].split("\n", 1)[1]
    indented = [line for line in after.splitlines() if line.startswith("    ") or not line]
    return textwrap.dedent("\n".join(indented)).strip("\n") + "\n"


def _write(tmp_path: Path, text: str, name: str = "derivation.py") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    assert captured.err.startswith("tinygrad-edu: error: compare: ")
    return captured.err


def test_the_help_example_is_ten_lines_and_agrees(tmp_path, capsys):
    example = _help_example(capsys)
    assert len(example.splitlines()) == 10
    assert main(["compare", _write(tmp_path, example)]) == 0
    out = capsys.readouterr().out
    assert out.count(" OK") == 2 and "MISMATCH" not in out
    assert "all hand gradients agree with autograd" in out


def test_the_help_example_runs_through_the_installed_command(tmp_path, capsys):
    path = _write(tmp_path, _help_example(capsys), "my_derivation.py")
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "compare", path],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"your derivation in {path}" in result.stdout


def test_a_wrong_derivation_exits_1_and_names_each_parameter(tmp_path, capsys):
    assert main(["compare", _write(tmp_path, PUBLISHED)]) == 1
    out = capsys.readouterr().out
    assert out.count("MISMATCH") >= 2
    assert "w: manual differs from autograd by up to" in out
    assert "b: manual differs from autograd by up to" in out


def test_one_wrong_parameter_is_the_one_named(tmp_path, capsys):
    # Only b's gradient is wrong (missing the factor o·(1 − o)): w is OK, b is named.
    text = PUBLISHED.replace("sigmoid(o) * (1 - sigmoid(o))", "o * (1 - o)").replace(
        '"b": delta.sum()', '"b": (o - t).sum()')
    assert main(["compare", _write(tmp_path, text)]) == 1
    out = capsys.readouterr().out
    assert "b: manual differs from autograd" in out and "w: manual differs" not in out


@pytest.mark.parametrize("text, says", [
    (PUBLISHED.split("def manual_grads")[0], "does not define manual_grads"),
    ("start = {'w': 1.0}\n", "does not define loss, manual_grads"),
    ("def loss(w:\n    return w\n", "line 1: syntax error"),
    ("import numpy as np\nstart = {'w': np.zeros(2)}\n1 / 0\n",
     "line 3: ZeroDivisionError: division by zero"),
    ("start = [1.0]\ndef loss(w): return w\ndef manual_grads(w): return {'w': 1}\n",
     "start must be a non-empty dict"),
    ("start = {'w': 1.0}\nloss = 3\ndef manual_grads(w): return {'w': 1}\n",
     "loss must be a function"),
    ("start = {'w': 1.0}\ndef loss(w):\n    return w * w\ndef manual_grads(w):\n"
     "    return {'v': 2 * w}\n", "no manual gradient for parameter(s) ['w']"),
    ("start = {'w': 1.0}\ndef loss(w):\n    return w.nope()\ndef manual_grads(w):\n"
     "    return {'w': 2 * w}\n", "line 3: AttributeError"),
])
def test_an_unusable_file_is_a_one_line_error(text, says, tmp_path, capsys):
    path = _write(tmp_path, text)
    assert main(["compare", path]) == 2
    line = _one_line_error(capsys)
    assert path in line and says in line


def test_a_missing_file_and_as_published_on_a_file_are_errors(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "absent.py")]) == 2
    assert "no such file" in _one_line_error(capsys)
    assert main(["compare", _write(tmp_path, PUBLISHED), "--as-published"]) == 2
    assert "not to a file" in _one_line_error(capsys)


def test_the_file_runs_in_its_own_namespace_not_as_main(tmp_path, capsys):
    text = PUBLISHED.replace("sigmoid(o) * (1 - sigmoid(o))", "o * (1 - o)") + (
        'if __name__ == "__main__":\n    raise SystemExit("run as a script")\n')
    assert main(["compare", _write(tmp_path, text)]) == 0
    capsys.readouterr()
    assert "manual_grads" not in globals()


def test_built_in_cases_still_work(capsys):
    assert main(["compare", "article1", "--as-published"]) == 1
    assert main(["compare", "article1"]) == 0
    capsys.readouterr()
