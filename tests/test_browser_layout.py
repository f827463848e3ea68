"""Reports at 1280 px and 400 px, printed to PDF, and checked by axe-core.

Needs the ``playwright`` package, Debian's Chromium and ``axe-core`` from npm
(``tests/browser/package.json``); `.ci/run` installs all three. Missing pieces fail
under ``CI=true`` and skip with the reason elsewhere (see ``test_browser.py``).
"""

from __future__ import annotations

import json
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


_LAYOUT = """() => {
  const doc = document.documentElement;
  const cut = [...document.querySelectorAll('p, li, caption, figcaption, h1, h2, h3, dt, dd')]
    .filter(e => e.getClientRects().length && e.closest('.table-wrap') === null)
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + ': ' + e.textContent.slice(0, 40));
  return {overflow: doc.scrollWidth - window.innerWidth, cut};
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("template, lang", VARIANTS)
def test_no_horizontal_overflow_or_cut_text(context, reports, width, template, lang, tmp_path):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(reports[(template, lang)].resolve().as_uri(), wait_until="load")
    facts = page.evaluate(_LAYOUT)
    page.screenshot(path=str(tmp_path / f"{template}_{lang}_{width}.png"), full_page=True)
    page.close()
    assert facts["overflow"] <= 0, f"page wider than the {width} px screen by {facts['overflow']} px"
    assert facts["cut"] == [], facts["cut"]


@pytest.mark.parametrize("template, lang", VARIANTS)
def test_axe_finds_no_serious_violation(context, reports, template, lang):
    if not AXE.is_file():
        browser_unavailable(f"axe-core not installed ({AXE}; run: npm install --prefix tests/browser)")
    page = context.new_page()
    page.goto(reports[(template, lang)].resolve().as_uri(), wait_until="load")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    page.close()
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
