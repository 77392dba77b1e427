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


def test_readme_example_gives_article_one_hand_gradients(capsys):
    """The README's first example prints one descent step's gradients for article I's OR
    gate; they must equal the hand derivation of tinygrad_edu.manual."""
    import re

    import numpy as np

    from tinygrad_edu import manual

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_example = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    namespace: dict = {}
    exec(first_example, namespace)
    expected = manual.perceptron_grads(manual.OR_X, manual.OR_T, np.array([[0.1], [0.2]]), 0.3)
    np.testing.assert_allclose(namespace["w"].grad, expected["w"], rtol=1e-12)
    np.testing.assert_allclose(namespace["b"].grad, expected["b"], rtol=1e-12)
    np.testing.assert_allclose(namespace["loss"].data, expected["loss"], rtol=1e-14)
    capsys.readouterr()
