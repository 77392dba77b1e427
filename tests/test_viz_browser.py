"""The HTML stepper in a real headless browser (Debian's chromium driven by Playwright).

Oracles: the browser's console (no errors), the page's own state after key presses
(frame index), the number of frames (10 for article II: its ten differentiable nodes),
and the screenshot's pixels (a blank page has zero variance). Skipped with a reason
when chromium or playwright is missing; `make test` installs both (`make browser`).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found (run 'make browser' or apt-get install chromium)",
                allow_module_level=True)
if shutil.which("dot") is None:
    pytest.skip("Graphviz 'dot' is not installed (run 'make dot')", allow_module_level=True)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    from tinygrad_edu.viz import backward_html
    from tinygrad_edu.viz.articles import article2_loss

    return backward_html(article2_loss(), tmp_path_factory.mktemp("html") / "steps.html")


def _pixel_spread(png: bytes) -> float:
    image_module = pytest.importorskip("PIL.Image", reason="pillow is not installed")
    image = image_module.open(io.BytesIO(png)).convert("L")
    counts = image.histogram()  # 256 grey levels
    n = sum(counts)
    mean = sum(level * c for level, c in enumerate(counts)) / n
    return (sum(c * (level - mean) ** 2 for level, c in enumerate(counts)) / n) ** 0.5


def test_stepper_in_headless_chromium(page_file, tmp_path):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            assert page.get_attribute("body", "data-frame") == "0"
            assert page.text_content("#counter") == "frame 1 / 10"
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            assert page.get_attribute("body", "data-frame") == "2"
            assert page.locator(".frame[data-index='2']").is_visible()
            assert not page.locator(".frame[data-index='0']").is_visible()
            page.keyboard.press("ArrowLeft")
            assert page.get_attribute("body", "data-frame") == "1"
            page.keyboard.press("End")
            assert page.text_content("#counter") == "frame 10 / 10"
            assert page.locator("#next").is_disabled()
            page.click("#prev")
            assert page.get_attribute("body", "data-frame") == "8"
            # The explain() text of the visited node is on the page (frame 9: W_h or W_o).
            text = page.locator(".frame[data-index='8'] pre").text_content()
            assert text.startswith("∂L/∂W_")
            png = page.screenshot(path=str(tmp_path / "steps.png"))
            assert problems == []
            assert requests == [page_file.as_uri()]  # nothing fetched from anywhere else
            assert _pixel_spread(png) > 5.0
        finally:
            browser.close()
