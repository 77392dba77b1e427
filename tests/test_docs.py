"""The docs are generated from the code where they describe the code."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_op_table_page_is_up_to_date():
    generator = _load(ROOT / "scripts" / "gen_op_table.py")
    committed = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python scripts/gen_op_table.py"


def test_every_op_appears_in_the_op_page():
    from tinygrad_edu import OPS

    page = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    for name in OPS:
        assert f"| `{name}` |" in page


def test_api_reference_is_up_to_date():
    generator = _load(ROOT / "scripts" / "gen_api_doc.py")
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python scripts/gen_api_doc.py"
