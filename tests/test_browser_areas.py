"""The area-only report (configs/fredericia_areas.yaml) in headless Chromium: no console errors, no
network requests, the area chapter with its two figures, no horizontal overflow at 400 px.

Follows tests/test_browser.py: skipped with a reason when playwright or Chromium is missing locally,
failing when ``CI=true``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltool.cli import main
from tests.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
FAST = ["--set", "area_panel.n_boot=99", "--set", "area_panel.n_permutations=99", "--set", "area_panel.n_placebo=20"]


@pytest.fixture(scope="module")
def area_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("areas_browser") / "out"
    main(["run", str(ROOT / "configs" / "fredericia_areas.yaml"), "--out", str(folder), *FAST])
    assert (folder / "report.html").is_file()
    return folder / "report.html"


@pytest.mark.parametrize("width", [1100, 400])
def test_area_report_in_chromium(browser, area_report, width):  # noqa: F811
    url = area_report.resolve().as_uri()
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 1200})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load")
    facts = page.evaluate("""() => ({
        sections: [...document.querySelectorAll('section.chapter')].map(s => s.id),
        areaFigures: [...document.querySelectorAll('#area figure')].map(f => f.id),
        labelled: document.querySelectorAll('#area figure svg[role=img] > title').length,
        overflow: document.documentElement.scrollWidth > window.innerWidth,
        text: document.body.innerText,
    })""")
    page.close()
    assert errors == [], errors
    assert requests == [url], requests
    assert facts["sections"] == ["summary", "area", "appendix-method", "appendix-data", "provenance"]
    assert facts["areaFigures"] == ["fig-area-trends", "fig-area-event"] and facts["labelled"] == 2
    assert not facts["overflow"], f"horizontal overflow at {width} px"
    assert "Ledigheden i Korskærparken faldt fra" in facts["text"]
