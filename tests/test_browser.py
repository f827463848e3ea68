"""The rendered reports in headless Chromium: no console errors, no network requests, screenshots.

Needs the ``playwright`` Python package and Debian's ``/usr/bin/chromium`` (no
browser download). Skipped with a reason when either is missing locally; fails
when ``CI=true``. Screenshots go to ``$ARTIFACT_DIR`` (default
``tests/artifacts/browser``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import browser_unavailable

from evaltool.report import render_report, write_report
from evaltool.report.pdf import chromium_path

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "report"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VARIANTS = [("midterm", "da"), ("midterm", "en"), ("final", "da"), ("final", "en")]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("the `playwright` Python package is not installed (pip install playwright)")
    exe = chromium_path()
    if exe is None:
        browser_unavailable("Chromium not found at /usr/bin/chromium (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="evaltool-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=exe, args=CHROMIUM_FLAGS,
                                                       headless=True, viewport={"width": 1100, "height": 1400})
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[tuple[str, str], Path]:
    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    midterm = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("reports")
    paths = {}
    for template, lang in VARIANTS:
        res = final if template == "final" else midterm
        rendered = render_report(res, template, lang, compare_with=midterm if template == "final" else None)
        paths[(template, lang)] = write_report(rendered, out / f"report_{template}_{lang}.html")
    return paths


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The reports `evaltool demo` writes (midterm and final, da and en), on a smaller population."""
    from evaltool.study.demo import write_demo

    folder, _ = write_demo(tmp_path_factory.mktemp("demo") / "demo", n=12000)
    return {(t, lang): folder / t / f"report_{t}_{lang}.html" for t, lang in VARIANTS}


SECTIONS = {"summary", "effort", "target-group", "implementation", "results", "balance", "subgroups",
            "robustness", "appendix-method", "appendix-data", "provenance"}


@pytest.fixture(scope="module")
def artifact_dir() -> Path:
    path = Path(os.environ.get("ARTIFACT_DIR") or Path(__file__).parent / "artifacts" / "browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("source", ["fixture", "demo"])
@pytest.mark.parametrize("template, lang", VARIANTS)
def test_report_in_chromium(browser, request, artifact_dir, source, template, lang):
    path = request.getfixturevalue("reports" if source == "fixture" else "demo_reports")[(template, lang)]
    stem = f"{source}_report_{template}_{lang}"
    url = path.resolve().as_uri()
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load")
    facts = page.evaluate("""() => ({
        lang: document.documentElement.lang,
        h1: document.querySelectorAll('h1').length,
        figures: document.querySelectorAll('figure').length,
        labelled: document.querySelectorAll('figure svg[role=img] > title').length,
        svgWidth: Math.min(...[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)),
        overflow: document.documentElement.scrollWidth > window.innerWidth,
        sections: [...document.querySelectorAll('section.chapter')].map(s => s.id),
        text: document.body.innerText,
    })""")
    details = page.locator("details").first
    if details.count():
        details.locator("summary").click()
    page.screenshot(path=str(artifact_dir / f"{stem}.png"), full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(artifact_dir / f"{stem}.pdf"), format="A4")
    page.close()
    assert errors == [], errors
    assert requests == [url], requests
    assert facts["lang"] == lang and facts["h1"] == 1
    assert facts["figures"] >= 5 and facts["labelled"] == facts["figures"]
    assert facts["svgWidth"] > 300 and not facts["overflow"]
    assert SECTIONS <= set(facts["sections"]), SECTIONS - set(facts["sections"])
    if template == "final":
        assert "comparison" in facts["sections"]
    text = facts["text"]
    if lang == "da":  # Danish number formatting: decimal comma, "procentpoint", thousands dot
        assert re.search(r"\d+,\d[\s\u00a0\u202f]?%", text) and "procentpoint" in text
        assert not re.search(r"\b\d+\.\d[\s\u00a0\u202f]?%", text)
    else:
        assert re.search(r"\d+\.\d[\s\u00a0\u202f]?%", text) and "percentage points" in text
