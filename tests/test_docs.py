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


def test_speed_guide_example_trains_like_the_hand_derivation(capsys):
    """The speed guide's traced article II loop records once and, after its 1000 steps,
    holds the weights that manual.train_two_layer (the article's NumPy derivation)
    reaches in 1000 iterations; its code listing is what ``tinygrad-edu code`` prints."""
    import re

    import numpy as np

    from tinygrad_edu import manual
    from tinygrad_edu.cli import main

    guide = (ROOT / "docs" / "guides" / "speed.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", guide, re.S)[0]
    namespace: dict = {}
    exec(example, namespace)
    capsys.readouterr()
    assert namespace["loss_fn"].recordings == 1
    fit = manual.train_two_layer(manual.OR_X, manual.OR_T,
                                 np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
                                 np.array([[0.7], [0.8], [0.9]]), iterations=1000)
    np.testing.assert_allclose(namespace["w_h"].data, fit.W_h, rtol=1e-12)
    np.testing.assert_allclose(namespace["w_o"].data, fit.W_o, rtol=1e-12)
    np.testing.assert_allclose(namespace["loss"].item(), fit.last_loss, rtol=1e-12)

    assert main(["code", "article2"]) == 0
    listing = re.findall(r"```text\n(.*?)```", guide, re.S)[0]
    assert listing == capsys.readouterr().out
