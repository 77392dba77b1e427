"""The built documentation site in a real browser (Debian's chromium driven by Playwright).

Runs on the site ``make docs`` built: ``make docs-check`` (and CI) sets ``TG_DOCS_SITE``
to ``docs/_build/html`` and runs this file; in a plain ``pytest`` run it is skipped,
since an older build would be tested. The site is served from 127.0.0.1 by a local
HTTP server (the search page loads its index with a script, as on a real host).

Oracles: the browser's console and page errors (none), the requests the page makes
(none leaves 127.0.0.1: no CDN, no fonts from elsewhere), the drawn graphs (the
tutorial's images are loaded, with a size, and the screenshot of a graph is not blank:
its grey levels spread), MathJax's output elements (formulas typeset offline), the
search page (typing a word lists pages that contain it), and the notebook each page
offers (valid JSON whose code cells are the page's own).
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from markdown_blocks import ROOT, code_cells, notebook_pages

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SITE = os.environ.get("TG_DOCS_SITE")

pytestmark = pytest.mark.browser
if not SITE:
    pytest.skip("the built site is tested by 'make docs-check' (TG_DOCS_SITE is not set)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found (run 'make browser' or apt-get install chromium)",
                allow_module_level=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test reports what failed, not every GET
        pass


@pytest.fixture(scope="module")
def site_url():
    root = Path(SITE)
    if not (root / "index.html").is_file():
        pytest.fail(f"TG_DOCS_SITE={SITE}: no index.html there (run make docs)")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class _Watched:
    """A page with its console errors, uncaught exceptions and requests recorded."""

    def __init__(self, browser, width: int = 1280, height: int = 900):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.problems: list[str] = []
        self.hosts: set[str] = set()
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.hosts.add(urlparse(r.url).hostname or ""))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status} {r.url}")
                     if r.status >= 400 else None)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")


_IMAGES = """() => Array.from(document.querySelectorAll('article img')).map(img => {
  const r = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), complete: img.complete,
          natural: img.naturalWidth, width: r.width, height: r.height};
})"""


def _grey_spread(png: bytes) -> float:
    from PIL import Image, ImageStat

    return ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).stddev[0]


def test_tutorial_page_opens_with_its_graphs_and_formulas(site_url, browser, tmp_path):
    watched = _Watched(browser)
    watched.open(site_url + "tutorials/article1.html")
    page = watched.page
    assert page.title().startswith("Article I: one sigmoid neuron")
    images = page.evaluate(_IMAGES)
    graphs = [i for i in images if i["src"].endswith((".svg", ".png"))]
    # The forward graph and the nine backward frames of article I's perceptron.
    assert len(graphs) >= 10, images
    assert all(i["complete"] and i["natural"] > 0 and i["width"] > 50 and i["height"] > 50
               for i in graphs), graphs
    page.wait_for_selector("mjx-container", timeout=10_000)  # MathJax, from _static
    assert page.locator("mjx-container").count() >= 10
    first_graph = page.locator("article img").first
    first_graph.scroll_into_view_if_needed()
    png = first_graph.screenshot(path=str(tmp_path / "article1_graph.png"))
    assert _grey_spread(png) > 10.0  # a drawing, not a blank box
    page.screenshot(path=str(tmp_path / "article1.png"))
    assert watched.problems == []
    assert watched.hosts == {"127.0.0.1"}  # nothing fetched from anywhere else


def test_objects_show_themselves_on_the_pages(site_url, browser, tmp_path):
    # Issue 16: a cell ending in a Value shows its graph, explain() shows a formula
    # (typeset by MathJax without an error box), the stepper works inside the page.
    watched = _Watched(browser)
    watched.open(site_url + "getting_started.html")
    page = watched.page
    latex = page.locator("div.math-wrapper.text_latex")
    assert latex.count() == 1
    latex.locator("mjx-container").wait_for(timeout=10_000)
    assert page.locator("mjx-merror, mjx-container [data-mjx-error]").count() == 0
    assert latex.locator("mjx-mtable").count() >= 1   # the aligned rows, typeset
    latex.screenshot(path=str(tmp_path / "explain.png"))
    # the first cell's output: the graph of y = tanh(x·w + b), its four values and ops
    images = [i for i in page.evaluate(_IMAGES) if i["src"].endswith(".svg")]
    assert len(images) >= 2 and all(i["complete"] and i["natural"] > 0 for i in images)
    watched.open(site_url + "guides/graphs.html")
    stepper = page.locator("div.tg-stepper")
    assert stepper.count() == 1
    counter = stepper.locator(".counter")
    assert counter.text_content() == "frame 1 / 10"   # 9 frames of article I and the summary
    stepper.locator("button.next").click()
    assert counter.text_content() == "frame 2 / 10"
    assert watched.problems == []
    assert watched.hosts == {"127.0.0.1"}


def test_search_finds_pages_for_a_typed_word(site_url, browser):
    watched = _Watched(browser)
    watched.open(site_url + "index.html")
    page = watched.page
    page.fill("input[name='q']", "sigmoid")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search.html?q=sigmoid*")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    found = page.eval_on_selector_all("#search-results ul.search li a",
                                      "links => links.map(a => a.getAttribute('href'))")
    assert any("tutorials/article1" in href for href in found), found
    assert watched.problems == []
    assert watched.hosts == {"127.0.0.1"}


def test_every_notebook_page_offers_its_notebook(site_url, browser):
    import jupytext

    watched = _Watched(browser)
    for page_path in notebook_pages():
        relative = page_path.relative_to(ROOT / "docs").with_suffix("")
        watched.open(f"{site_url}{relative}.html")
        link = watched.page.locator("a.notebook-download")
        assert link.count() == 1, relative
        response = watched.page.request.get(f"{site_url}{relative.parent}/"
                                            f"{link.get_attribute('href')}")
        assert response.ok, relative
        notebook = jupytext.reads(json.dumps(response.json()), fmt="ipynb")
        sources = [c.source.strip() for c in notebook.cells if c.cell_type == "code"]
        text = page_path.read_text(encoding="utf-8")
        assert sources == [c.code.strip() for c in code_cells(text)], relative
        assert any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    assert watched.problems == []
