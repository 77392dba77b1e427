"""LaTeX for the chain rule: names, numbers, tensors and the op table's derivative texts.

This module owns writing the pieces of a formula as LaTeX (for ``explain()``'s
:meth:`~tinygrad_edu.viz.explain.Explanation.latex`, in a notebook or on a slide):

* :func:`latex_name` — a node's name, escaped (``out_o`` → ``\\mathrm{out\\_o}``), or as
  a mathematician writes it when it is one (``w1`` → ``w_{1}``, ``W_h`` → ``W_{h}``);
* :func:`latex_number` / :func:`latex_data` — numbers with a real exponent, small
  tensors as matrices, larger ones as their shape and range (never thousands of numbers);
* :func:`latex_derivative` — the op table's text for a local derivative
  (``σ(x)·(1−σ(x))``) with the actual inputs' names (``\\sigma(z) \\cdot (1-\\sigma(z))``).

The output uses amsmath (``bmatrix``, ``\\text``) and works in MathJax as in LaTeX.
Imports: ``core`` (Value), ``viz.graph``, ``viz.frames`` (the operand letters).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ..core import Value
from .frames import name_operands
from .graph import Graph, display_name, readable

__all__ = ["latex_name", "latex_text", "latex_number", "latex_data", "latex_shape",
           "latex_derivative", "latex_operand", "partial", "MATRIX_ITEMS"]

#: Tensors with at most this many elements (and at most 4 columns) are written out.
MATRIX_ITEMS = 16
#: Stands in for an operand while the op table's text is turned into LaTeX.
_MARK = "\x00"
_LETTER_DIGITS = re.compile(r"([A-Za-z])(\d+)")
_LETTER_SUB = re.compile(r"([A-Za-z])_([A-Za-z0-9]+)")
# Characters with a meaning in LaTeX, as they are written inside \mathrm{} or \text{}.
_ESCAPES = {"\\": r"\backslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#",
            "$": r"\$", "%": r"\%", "&": r"\&", "^": r"\hat{}", "~": r"\sim{}"}


def _escape(text: str, space: str = r"\ ") -> str:
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c == " ":
            out.append(space)
        elif c < " " or c == "\x7f":
            out.append("\ufffd")
        else:
            out.append(c)
    return "".join(out)


def latex_name(name: str) -> str:
    """A node's name in a formula.

    One letter stays as it is; a letter and digits, or a letter, ``_`` and a short tag,
    become a subscript; anything else is upright text with LaTeX's special characters
    escaped (and shortened as the drawings shorten names).

    >>> latex_name("w"), latex_name("w1"), latex_name("W_h")
    ('w', 'w_{1}', 'W_{h}')
    >>> print(latex_name("out_o"), latex_name("a{b}"), latex_name("sigmoid5"))
    \\mathrm{out\\_o} \\mathrm{a\\{b\\}} \\mathrm{sigmoid5}
    """
    name = readable(name)
    if len(name) == 1 and name.isalpha():
        return name if name.isascii() else _escape(name)
    m = _LETTER_DIGITS.fullmatch(name) or _LETTER_SUB.fullmatch(name)
    if m:
        tag = m.group(2)
        return f"{m.group(1)}_{{{tag if len(tag) == 1 or tag.isdigit() else _mathrm(tag)}}}"
    return _mathrm(name)


def _mathrm(text: str) -> str:
    return r"\mathrm{" + _escape(text) + "}"


def latex_text(text: str) -> str:
    """Words in a formula, upright, LaTeX's special characters escaped.

    >>> print(latex_text("50% of x_1"))
    \\text{50\\% of x\\_1}
    """
    return r"\text{" + _escape(text, " ") + "}"


def partial(top: str, bottom: str) -> str:
    """``∂top/∂bottom`` as a fraction (both already LaTeX).

    >>> partial("L", "w")
    '\\\\frac{\\\\partial L}{\\\\partial w}'
    """
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def latex_number(x: Any, precision: int = 4) -> str:
    """A number with ``precision`` significant digits; exponents as powers of ten.

    >>> latex_number(-0.06543219), latex_number(2.5e-12), latex_number(float("inf"))
    ('-0.06543', '2.5 \\\\times 10^{-12}', '\\\\infty')
    """
    x = float(x)
    if math.isnan(x):
        return r"\mathrm{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x:.{precision}g}"
    if text == "-0":
        text = "0"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else f"{mantissa} \\times {power}"
    return text


def latex_shape(shape: tuple[int, ...]) -> str:
    """``(4, 3)`` as ``4 \\times 3``; a scalar as ``1``.

    >>> latex_shape((4, 3)), latex_shape(())
    ('4 \\\\times 3', '1')
    """
    return " \\times ".join(str(n) for n in shape) if shape else "1"


def latex_data(data: Any, precision: int = 4) -> str:
    """A value for a formula: a number, a small tensor as a matrix (a column as a
    transposed row, to keep the formula flat), a large one as its shape and range.

    >>> latex_data(np.array([[1.0], [-2.0]]))
    '\\\\begin{bmatrix}1 & -2\\\\end{bmatrix}^{\\\\top}'
    >>> latex_data(np.zeros((10, 10)))
    '\\\\left[\\\\,10 \\\\times 10:\\\\ \\\\min 0,\\\\ \\\\max 0\\\\,\\\\right]'
    """
    if data is None:
        return r"\text{none}"
    if isinstance(data, Value):
        data = data.data
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim == 0:
        return latex_number(arr, precision)
    if arr.size == 0:
        return rf"[\,]_{{{latex_shape(arr.shape)}}}"
    column = arr.ndim == 2 and arr.shape[1] == 1
    if arr.size <= MATRIX_ITEMS and (arr.ndim == 1 or column
                                     or (arr.ndim == 2 and arr.shape[1] <= 4)):
        if arr.ndim == 1 or column:
            row = " & ".join(latex_number(x, precision) for x in arr.ravel())
            return r"\begin{bmatrix}" + row + r"\end{bmatrix}" + (r"^{\top}" if column else "")
        rows = [" & ".join(latex_number(x, precision) for x in r) for r in arr]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    return (rf"\left[\,{latex_shape(arr.shape)}:\ \min {latex_number(arr.min(), precision)},"
            rf"\ \max {latex_number(arr.max(), precision)}\,\right]")


# The op table's texts, symbol by symbol. Operands (x, y) are replaced by the inputs'
# names afterwards; words in prose ("on the left") become \text.
_SYMBOLS = {"−": "-", "·": r" \cdot ", "×": r" \times ", "÷": r" \div ", "≤": r" \le ",
            "≥": r" \ge ", "≠": r" \ne ", "σ": r"\sigma ", "δ": r"\delta ", "Σ": r"\sum ",
            "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#", "$": r"\$", "%": r"\%",
            "&": r"\&", "~": r"\sim ", "\\": r"\backslash "}
_SUPERSCRIPTS = {"²": "2", "³": "3", "ᵀ": r"\top"}
_SUBSCRIPTS = {"ᵢ": "i", "ⱼ": "j", "ₖ": "k"}
_FUNCTIONS = {"exp", "ln", "log", "sin", "cos", "tan", "tanh", "max", "min"}
_TOKEN = re.compile(r"""
    (?P<prose>\((?:[a-z]+\ )+[a-z]+\)|(?:[a-z]+\ )+[a-z]+)   # words: "(on the left)"
  | (?P<word>[A-Za-z]+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<sup>[²³ᵀ]+)
  | (?P<sub>[ᵢⱼₖ]+)
  | (?P<other>.)
""", re.X | re.S)


def _text_latex(text: str) -> list[str]:
    """Tokens of op-table text (no operands in it) as LaTeX pieces."""
    pieces = []
    for m in _TOKEN.finditer(text):
        kind, s = m.lastgroup, m.group()
        if kind == "prose":
            pieces.append(r"\ \text{" + _escape(s, " ") + "}")
        elif kind == "word":
            pieces.append(f"\\{s} " if s in _FUNCTIONS else _mathrm(s))
        elif kind == "sup":
            pieces.append("^{" + "".join(_SUPERSCRIPTS[c] for c in s) + "}")
        elif kind == "sub":
            pieces.append("_{" + "".join(_SUBSCRIPTS[c] for c in s) + "}")
        elif kind == "number":
            pieces.append(s)
        else:
            pieces.append(_SYMBOLS.get(s, s))
    return pieces


def _group_powers(pieces: list[str]) -> list[str]:
    """``^`` takes the next piece, or a whole parenthesised group, as its exponent;
    ``√`` takes the next piece as its radicand."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        if p in ("^", "√") and i + 1 < len(pieces):
            j = i + 1
            if pieces[j] == "(":  # up to the matching parenthesis, which braces replace
                depth = 0
                for j in range(i + 1, len(pieces)):
                    depth += {"(": 1, ")": -1}.get(pieces[j], 0)
                    if depth == 0:
                        break
                inner = "".join(pieces[i + 2:j])
            else:
                inner = pieces[j]
            out.append(f"^{{{inner}}}" if p == "^" else rf"\sqrt{{{inner}}}")
            i = j + 1
        else:
            out.append(p)
            i += 1
    return out


def latex_operand(graph: Graph, x: Any, precision: int = 4) -> str:
    """An input of an op in a formula: its node's name, or a constant's value."""
    if type(x) is Value:
        return latex_name(display_name(graph, x))
    if np.ndim(x) == 0:
        text = latex_number(x, precision)
        return f"({text})" if text.startswith("-") else text
    return r"\mathrm{const}" if np.size(x) > MATRIX_ITEMS else latex_data(x, precision)


def latex_derivative(graph: Graph, k: int, position: int, precision: int = 4) -> str:
    """The op table's local derivative of node ``k`` for input ``position``, as LaTeX,
    its operands named by the actual inputs.

    >>> from tinygrad_edu import Value
    >>> from tinygrad_edu.viz.graph import collect
    >>> z = Value(0.5, name="z")
    >>> g = collect(z.sigmoid() ** 2.0)
    >>> latex_derivative(g, 1, 0)
    '\\\\sigma (z) \\\\cdot (1-\\\\sigma (z))'
    >>> latex_derivative(g, 2, 0)
    '2 \\\\cdot \\\\mathrm{sigmoid1}^{2-1}'
    """
    node = graph.nodes[k]
    names = [latex_operand(graph, x, precision) for x in node.inputs[:2]]
    # frames.name_operands finds the operand letters (one rule for text and LaTeX); it
    # writes a marker in their place, and the text between markers becomes LaTeX.
    marked = name_operands(node.op.derivative(position),
                           [f"{_MARK}{i}{_MARK}" for i in range(len(names))])
    pieces: list[str] = []
    for i, part in enumerate(marked.split(_MARK)):
        if i % 2:
            pieces.append(names[int(part)])
        else:
            pieces += _text_latex(part)
    return "".join(_group_powers(pieces)).strip()
