"""The HTML stepper in a real headless browser (Debian's chromium driven by Playwright).

Oracles: the browser's console (no errors), the page's own state after key presses
(frame index), the number of frames (10 for article II: its ten differentiable nodes,
then the summary), the screenshot's pixels (a blank page has zero variance), the
layout the browser computes at a phone's width (issue 15.13: text of at least 10 px,
the explanation inside the viewport), and article II's hand derivation
(manual.two_layer_grads) for the summary. Skipped with a reason when chromium or
playwright is missing; `make test` installs both (`make browser`).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import numpy as np
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
    from tinygrad_edu.articles.graphs import article2_loss
    from tinygrad_edu.viz import backward_html

    return backward_html(article2_loss(), tmp_path_factory.mktemp("html") / "steps.html")


def _pixel_spread(png: bytes) -> float:
    image_module = pytest.importorskip("PIL.Image", reason="pillow is not installed")
    image = image_module.open(io.BytesIO(png)).convert("L")
    counts = image.histogram()  # 256 grey levels
    n = sum(counts)
    mean = sum(level * c for level, c in enumerate(counts)) / n
    return (sum(c * (level - mean) ** 2 for level, c in enumerate(counts)) / n) ** 0.5


@contextlib.contextmanager
def _watched_page(width: int, height: int):
    """A fresh page in headless Chromium, with its console errors, uncaught exceptions
    and requested URLs recorded: ``(page, problems, requests)``."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            problems: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            yield page, problems, requests
        finally:
            browser.close()


def test_stepper_in_headless_chromium(page_file, tmp_path):
    with _watched_page(1200, 900) as (page, problems, requests):
        page.goto(page_file.as_uri())
        assert page.get_attribute("body", "data-frame") == "0"
        assert page.text_content("#counter") == "frame 1 / 11"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.get_attribute("body", "data-frame") == "2"
        assert page.locator(".frame[data-index='2']").is_visible()
        assert not page.locator(".frame[data-index='0']").is_visible()
        page.keyboard.press("ArrowLeft")
        assert page.get_attribute("body", "data-frame") == "1"
        page.keyboard.press("End")
        assert page.text_content("#counter") == "frame 11 / 11"
        assert page.locator("#next").is_disabled()
        page.click("#prev")
        page.click("#prev")
        assert page.get_attribute("body", "data-frame") == "8"
        # The explain() text of the visited node is on the page (frame 9: W_h or W_o).
        text = page.locator(".frame[data-index='8'] pre").text_content()
        assert text.startswith("∂L/∂W_")
        png = page.screenshot(path=str(tmp_path / "steps.png"))
        assert problems == []
        assert requests == [page_file.as_uri()]  # nothing fetched from anywhere else
        assert _pixel_spread(png) > 5.0


# Font size of every text of the visible picture, in CSS pixels as drawn.
_TEXT_PX = """() => {
  const frame = document.querySelector('.frame:not([hidden])');
  return Array.from(frame.querySelectorAll('svg text')).map(t =>
    parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a);
}"""

_RECT = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return [r.top, r.bottom, r.left, r.right];
}"""


def _summary_gradients(text: str) -> dict[str, np.ndarray]:
    """``∂L/∂name = [[…]`` and its further rows, parsed back into arrays."""
    found: dict[str, list[str]] = {}
    name = None
    for line in text.splitlines():
        m = re.match(r"  ∂L/∂(\w+) = (.*)", line)
        if m:
            name = m.group(1)
            found[name] = [m.group(2)]
        elif name and line.startswith("    "):
            found[name].append(line)
    return {k: np.array([[float(x) for x in re.findall(r"[−-]?[\d.]+(?:e[−-]?\d+)?",
                                                        row.replace("−", "-"))]
                         for row in rows]) for k, rows in found.items()}


def test_stepper_at_phone_width(page_file):
    from tinygrad_edu.articles import manual
    from tinygrad_edu.articles.cases import ARTICLE2_W_H, ARTICLE2_W_O

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 667})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(page_file.as_uri())
            sizes = page.evaluate(_TEXT_PX)
            assert sizes and min(sizes) >= 10.0, min(sizes)
            # The page itself never scrolls sideways: the picture's box does.
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            # Frame 10 visits a weight matrix, at the bottom of the picture (inputs are
            # drawn at the bottom): the picture scrolls to it, the text stays in view.
            for _ in range(9):
                page.keyboard.press("ArrowRight")
            assert page.get_attribute("body", "data-frame") == "9"
            top, bottom, left, right = page.evaluate(_RECT, ".frame:not([hidden]) pre")
            assert 0 <= top < bottom <= 667 and 0 <= left < right <= 375
            node = page.locator(".frame:not([hidden]) .graph [fill='#ffb74d']").first
            box = node.bounding_box()
            assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 667
            assert page.evaluate("document.querySelector('.frame:not([hidden]) .graph')"
                                 ".scrollTop") > 0     # it did scroll to get there
            assert min(page.evaluate(_TEXT_PX)) >= 10.0
            # The last frame: every parameter's gradient, as article II derives them.
            page.keyboard.press("End")
            summary = page.locator(".frame:not([hidden]) pre").text_content()
            assert summary.startswith("Summary: the gradient of every parameter of L")
            hand = manual.two_layer_grads(manual.OR_X, manual.OR_T, np.array(ARTICLE2_W_H),
                                          np.array(ARTICLE2_W_O))
            shown = _summary_gradients(summary)
            assert set(shown) == {"W_h", "W_o"}
            for name in shown:
                np.testing.assert_allclose(shown[name], hand[name], rtol=6e-4)
            assert problems == []
        finally:
            browser.close()


def test_forward_stepper_in_headless_chromium(tmp_path):
    # The forward-mode page is the same stepper: 10 frames (W_h, W_o and 8 ops) and the
    # summary, whose output tangent is <∇L, V> from article II's hand gradients.
    from tinygrad_edu import Value
    from tinygrad_edu.articles import manual
    from tinygrad_edu.articles.cases import ARTICLE2_W_H, ARTICLE2_W_O, two_layer_loss
    from tinygrad_edu.viz import forward_html, trace_forward

    W_h, W_o = np.array(ARTICLE2_W_H), np.array(ARTICLE2_W_O)
    V_h, V_o = np.full((2, 3), 0.5), np.array([[1.0], [-1.0], [2.0]])
    weights = Value(W_h, name="W_h"), Value(W_o, name="W_o")
    loss = two_layer_loss(manual.OR_X, manual.OR_T, *weights)
    path = forward_html(trace_forward(loss, dict(zip(weights, (V_h, V_o), strict=True))),
                        tmp_path / "forward.html")
    hand = manual.two_layer_grads(manual.OR_X, manual.OR_T, W_h, W_o)
    with _watched_page(1200, 900) as (page, problems, _):
        page.goto(path.as_uri())
        assert page.text_content("#counter") == "frame 1 / 11"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.get_attribute("body", "data-frame") == "2"
        shown = page.locator(".frame:not([hidden])")
        assert shown.locator("pre").text_content().startswith("matmul")
        assert shown.locator(".graph [fill='#ffb74d']").count() == 1  # the current node
        page.keyboard.press("End")
        summary = page.locator(".frame:not([hidden]) pre").text_content()
        (tangent,) = re.findall(r"d\w+ = J·t = ([−\d.e]+)", summary)
        want = np.sum(hand["W_h"] * V_h) + np.sum(hand["W_o"] * V_o)
        np.testing.assert_allclose(float(tangent.replace("−", "-")), want, rtol=6e-4)
        assert problems == []


def test_two_inline_steppers_in_one_notebook_page(tmp_path):
    # A notebook output area: each stepper's HTML dropped into the page as Jupyter does.
    # Oracle: each stepper's own state (data-frame, counter) after clicks and key presses
    # aimed at the other; frames of tanh(x·x): tanh, mul, x and the summary = 4.
    from tinygrad_edu import Value
    from tinygrad_edu.viz import stepper

    x = Value(2.0, name="x")
    s = stepper((x * x).tanh())
    one, two = s._repr_html_(), s._repr_html_()
    ids = [re.match(r'<div class="tg-stepper" id="([^"]+)"', h).group(1) for h in (one, two)]
    notebook = tmp_path / "notebook.html"
    notebook.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                        f"<div class='output'>{one}</div><p>between</p>"
                        f"<div class='output'>{two}</div></body></html>", encoding="utf-8")
    with _watched_page(1000, 1600) as (page, problems, requests):
        page.goto(notebook.as_uri())
        first, second = (f"#{i}" for i in ids)
        page.click(f"{second}-next")
        page.click(f"{second}-next")
        assert page.text_content(f"{second}-counter") == "frame 3 / 4"
        assert page.text_content(f"{first}-counter") == "frame 1 / 4"
        page.focus(first)
        page.keyboard.press("ArrowRight")
        assert page.get_attribute(first, "data-frame") == "1"
        assert page.get_attribute(second, "data-frame") == "2"
        page.keyboard.press("End")
        assert page.text_content(f"{first}-counter") == "frame 4 / 4"
        assert page.text_content(f"{second}-counter") == "frame 3 / 4"
        assert page.locator(f"{first} .frame[data-index='3']").is_visible()
        assert problems == []
        assert requests == [notebook.as_uri()]
