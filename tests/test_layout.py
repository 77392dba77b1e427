"""The package's layout keeps its promises (issue 13): no module reads another module's
private (underscore) names, and no layer imports a layer above it.

Both are read from the source with ``ast``, so a new module is covered without a new
test. The layers, bottom up, are those of docs/architecture.md.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tinygrad_edu"

#: Each product's place, bottom up: a module may import its own layer and those below.
LAYERS = ["core", "jit", "check", "nn", "articles", "viz", "bench", "cli"]

MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> list[tuple[str, list[str], int]]:
    """(absolute module imported from, names imported, line) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]  # the package a module sits in
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, [], node.lineno))
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "tinygrad_edu" or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path):
    own = _module_name(path)
    bad = [f"line {line}: from {module} import {name}" for module, names, line in _imports(path)
           if module.startswith("tinygrad_edu") and module != own
           for name in names if _is_private(name)]
    assert not bad, bad


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_reads_another_modules_private_names(path):
    # `from . import context` then `context._last_change`: a private name read through
    # a module imported by name.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for module, names, _ in _imports(path):
        if module.startswith("tinygrad_edu"):
            for name in names:
                modules.add(name)  # `from . import ops` binds a module (or a name) `ops`
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name.split(".")[0] for a in node.names
                           if a.name.startswith("tinygrad_edu"))
        elif isinstance(node, ast.ImportFrom) and node.level:
            modules.update(a.asname or a.name for a in node.names)
    bad = [f"line {node.lineno}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
           if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
           and node.value.id in modules and _is_private(node.attr)]
    assert not bad, bad


@pytest.mark.parametrize("path", [p for p in MODULES if _layer(_module_name(p)) is not None],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_layer_imports_a_layer_above_it(path):
    own = _layer(_module_name(path))
    bad = [f"line {line}: {module} ({LAYERS[_layer(module)]})"
           for module, _, line in _imports(path)
           if _layer(module) is not None and _layer(module) > own]
    assert not bad, f"{LAYERS[own]} may import only {LAYERS[:own + 1]}: {bad}"


def test_the_layers_are_the_packages():
    # Every product folder is in LAYERS (a new one must take its place in the order).
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(LAYERS)


def test_the_checks_can_fail():
    # The checker's own oracle: a made-up module that breaks both rules is caught.
    src = ("from ..core.context import _last_change\nfrom ..cli import main\n"
           "from ..core import context\nx = context._hook_changes\n")
    fake = PACKAGE / "nn" / "_layout_probe.py"
    fake.write_text(src, encoding="utf-8")
    try:
        with pytest.raises(AssertionError):
            test_no_module_imports_another_modules_private_names(fake)
        with pytest.raises(AssertionError):
            test_no_module_reads_another_modules_private_names(fake)
        with pytest.raises(AssertionError):
            test_no_layer_imports_a_layer_above_it(fake)
    finally:
        fake.unlink()
