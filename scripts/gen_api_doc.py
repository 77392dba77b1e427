"""Write docs/api.md, the API reference, from the package's docstrings and signatures.

Run ``python scripts/gen_api_doc.py``; ``tests/docs/test_docs.py`` fails when the committed
page differs from what this renders, so the reference cannot drift from the code.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

MODULES = [
    "tinygrad_edu", "tinygrad_edu.core", "tinygrad_edu.core.functional", "tinygrad_edu.check",
    "tinygrad_edu.check.strategies", "tinygrad_edu.nn", "tinygrad_edu.nn.losses",
    "tinygrad_edu.nn.optim", "tinygrad_edu.nn.weights", "tinygrad_edu.nn.training",
    "tinygrad_edu.viz", "tinygrad_edu.articles.manual",
    "tinygrad_edu.articles.cases", "tinygrad_edu.jit", "tinygrad_edu.jit.codegen",
    "tinygrad_edu.core.linalg",  # np.linalg on Values (issue 14)
]


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
                 and (inspect.isfunction(obj) or inspect.isclass(obj))]
    return sorted(n for n in names if not n.startswith("__"))


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _signature(obj) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    # Postponed annotations are strings; show them bare, but keep quoted default values.
    bare = lambda a: inspect.Parameter.empty if a is inspect.Parameter.empty else _Bare(a)  # noqa: E731
    params = [p.replace(annotation=bare(p.annotation)) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=bare(sig.return_annotation)))


class _Bare(str):
    """An annotation that prints without quotes inside a signature."""

    def __repr__(self) -> str:
        return str(self)


def _from_op_table(name: str) -> str:
    """A method named after a table entry is documented by the entry itself."""
    from tinygrad_edu import OPS

    op = OPS.get(name)
    if op is None:
        return ""
    return f"{op.doc}; local derivative {'; '.join(op.derivatives)} (op table entry)."


def _members(cls) -> list[str]:
    """Public methods and properties a class defines itself, one line each."""
    lines = []
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") or not (callable(member) or isinstance(member, property)):
            continue
        target = member.fget if isinstance(member, property) else member
        sig = "" if isinstance(member, property) else _signature(member).replace("(self, ", "(")
        summary = _summary(target) or _from_op_table(name)
        lines.append(f"  - `.{name}{sig.replace('(self)', '()')}` — {summary}")
    return lines


def render() -> str:
    """The Markdown page: per module, each public name with signature and summary."""
    out = ["# API reference", "",
           "Generated from the docstrings by `scripts/gen_api_doc.py` — do not edit by hand.",
           "Each entry's full docstring (with a runnable example) is in the code: "
           "`help(name)`.", ""]
    for name in MODULES:
        module = importlib.import_module(name)
        out += [f"## `{name}`", "", _summary(module), ""]
        for attr in _public_names(module):
            obj = getattr(module, attr)
            if inspect.ismodule(obj):
                out.append(f"- `{attr}` — module: {_summary(obj)}")
            elif callable(obj):
                kind = "class " if inspect.isclass(obj) else ""
                out.append(f"- {kind}`{attr}{_signature(obj)}` — {_summary(obj)}")
                if inspect.isclass(obj) and obj.__module__.startswith("tinygrad_edu"):
                    out += _members(obj)
            else:
                out.append(f"- `{attr}` — {type(obj).__name__}")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    target = ROOT / "docs" / "api.md"
    target.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
