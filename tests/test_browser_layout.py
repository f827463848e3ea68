"""Reports at 1280 px and 400 px, printed to PDF, and checked by axe-core.

Needs the ``playwright`` package, Debian's Chromium and ``axe-core`` from npm
(``tests/browser/package.json``); `.ci/run` installs all three. Missing pieces fail
under ``CI=true`` and skip with the reason elsewhere (see ``test_browser.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import browser_unavailable

from evaltool.report import render_report, write_report

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "report"
AXE = HERE / "browser" / "node_modules" / "axe-core" / "axe.min.js"
VARIANTS = [("midterm", "da"), ("midterm", "en"), ("final", "da"), ("final", "en")]
WIDTHS = (1280, 400)


@pytest.fixture(scope="module")
def context():
    from evaltool.report.pdf import chromium_path

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the `playwright` Python package is not installed")
    exe = chromium_path()
    if exe is None:
        browser_unavailable("Chromium not found (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="evaltool-layout-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, bypass_csp=True,
                                                   args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield ctx
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[tuple[str, str], Path]:
    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    midterm = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("layout")
    paths = {}
    for template, lang in VARIANTS:
        res = final if template == "final" else midterm
        rendered = render_report(res, template, lang, compare_with=midterm if template == "final" else None)
        paths[(template, lang)] = write_report(rendered, out / f"report_{template}_{lang}.html")
    return paths


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The reports `evaltool demo` writes (issue 17's acceptance is about them), on a smaller population."""
    from evaltool.study.demo import write_demo

    folder, _ = write_demo(tmp_path_factory.mktemp("demo") / "demo", n=12000)
    return {(t, lang): folder / t / f"report_{t}_{lang}.html" for t, lang in VARIANTS}


@pytest.fixture(scope="module")
def artifact_dir() -> Path:
    path = Path(os.environ.get("ARTIFACT_DIR") or HERE / "artifacts" / "browser") / "layout"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _source(request, source: str) -> dict[tuple[str, str], Path]:
    return request.getfixturevalue("reports" if source == "fixture" else "demo_reports")


_LAYOUT = """() => {
  const doc = document.documentElement;
  const text = 'p, li, caption, figcaption, h1, h2, h3, dt, dd, th, td, summary';
  const name = e => e.tagName + ': ' + e.textContent.trim().slice(0, 40);
  // beyond the right edge of the screen (tables scroll inside their own box, so they are exempt)
  const off = [...document.querySelectorAll(text + ', figure svg')]
    .filter(e => e.getClientRects().length && e.closest('.table-wrap') === null)
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(name);
  // clipped inside a box: text wider than the box that holds it, with the overflow hidden
  const clipped = [...document.querySelectorAll(text)]
    .filter(e => e.getClientRects().length && ['hidden', 'clip'].includes(getComputedStyle(e).overflowX))
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(name);
  return {overflow: doc.scrollWidth - window.innerWidth, cut: off.concat(clipped)};
}"""


@pytest.mark.parametrize("source", ["fixture", "demo"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("template, lang", VARIANTS)
def test_no_horizontal_overflow_or_cut_text(context, request, artifact_dir, source, width, template, lang):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(_source(request, source)[(template, lang)].resolve().as_uri(), wait_until="load")
    facts = page.evaluate(_LAYOUT)
    page.screenshot(path=str(artifact_dir / f"{source}_{template}_{lang}_{width}.png"), full_page=True)
    page.close()
    assert facts["overflow"] <= 0, f"page wider than the {width} px screen by {facts['overflow']} px"
    assert facts["cut"] == [], facts["cut"]


_PRINT = """() => [...document.querySelectorAll('figure')].map(f => {
  const own = f.querySelector('table');
  const ref = f.querySelector('figcaption a[href^="#tab-"]');
  const table = own || (ref && document.getElementById(ref.getAttribute('href').slice(1)));
  const svg = f.querySelector('svg[role=img]');
  return {id: f.id, alt: svg && svg.querySelector('title') ? svg.querySelector('title').textContent.trim() : '',
          table: !!table, printed: !!table && table.getClientRects().length > 0
                                   && table.getBoundingClientRect().height > 0};
})"""


@pytest.mark.parametrize("source", ["fixture", "demo"])
@pytest.mark.parametrize("template, lang", VARIANTS)
def test_every_figure_has_alt_text_and_a_table_visible_in_print(context, request, source, template, lang):
    """Print stylesheet alone (no script opens the blocks): each figure's numbers are on paper."""
    page = context.new_page()
    page.goto(_source(request, source)[(template, lang)].resolve().as_uri(), wait_until="load")
    page.emulate_media(media="print")
    figures = page.evaluate(_PRINT)
    page.close()
    assert len(figures) >= 5
    missing = [f["id"] for f in figures if not (f["alt"] and f["table"] and f["printed"])]
    assert missing == [], missing


@pytest.mark.parametrize("source", ["fixture", "demo"])
@pytest.mark.parametrize("template, lang", VARIANTS)
def test_axe_finds_no_serious_violation(context, request, source, template, lang):
    if not AXE.is_file():
        browser_unavailable(f"axe-core not installed ({AXE}; run: npm install --prefix tests/browser)")
    page = context.new_page()
    page.goto(_source(request, source)[(template, lang)].resolve().as_uri(), wait_until="load")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    page.close()
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
