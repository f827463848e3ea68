"""`evaltool report --pdf`: the report printed by headless Chromium is compact, tagged and numbered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import browser_unavailable
from pdf_pages import near_empty_pages, pages, pdftotext_available

from evaltool.report import render_report, write_report

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "report"
MAX_FINAL_PAGES = 14  # issue 17: the final report prints on at most 14 A4 pages


def test_pdf_of_the_final_report_is_compact(tmp_path):
    from evaltool.report.pdf import chromium_path, html_to_pdf

    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    midterm = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    html = write_report(render_report(final, "final", "da", compare_with=midterm), tmp_path / "final_da.html")

    if chromium_path() is None:
        browser_unavailable("Chromium not found (apt-get install chromium)")
    pdf = html_to_pdf(html, tmp_path / "final_da.pdf", title="Rapport", page_word="Side")
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data.startswith(b"%PDF-")
    assert 4 <= pages <= MAX_FINAL_PAGES, pages
    assert b"/StructTreeRoot" in data  # tagged PDF
    # issue 17: the summary sheet (headline sentences, verdicts, headline figure) is the whole first page
    import shutil
    import subprocess
    if shutil.which("pdftotext") is None:
        browser_unavailable("pdftotext not found (apt-get install poppler-utils)")
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "Resultatet på én side" in page1 and "Vurdering:" in page1
    assert "Vurderingerne bygger på de samme p-værdier" in page1  # the sheet ends on page 1
    assert "Indhold" not in page1 and "Indhold" in page2


def test_cli_report_pdf_writes_the_pdf_beside_the_html(tmp_path, capsys):
    """`evaltool report RESULTS --template final --lang da --out x.html --pdf` writes x.pdf (<= 14 pages)."""
    from evaltool.cli import main
    from evaltool.report.pdf import chromium_path

    if chromium_path() is None:
        browser_unavailable("Chromium not found (apt-get install chromium)")
    out = tmp_path / "x.html"
    code = _run(main, "report", str(FIXTURES / "results_example.json"), "--template", "final", "--lang", "da",
                "--out", str(out), "--compare-with", str(FIXTURES / "results_midterm.json"), "--pdf")
    assert code == 0, capsys.readouterr().err
    pdf = tmp_path / "x.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and out.is_file()
    assert 4 <= len(re.findall(rb"/Type\s*/Page[^s]", data)) <= MAX_FINAL_PAGES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.html", "x.pdf"]  # no temporary file left
    # a PDF evaltool did not print is never overwritten
    foreign = tmp_path / "y.pdf"
    foreign.write_bytes(b"%PDF-1.4 someone else's file")
    code = _run(main, "report", str(FIXTURES / "results_example.json"), "--out", str(tmp_path / "y.html"), "--pdf")
    assert code != 0
    assert "y.pdf: exists and was not printed by evaltool" in capsys.readouterr().err
    assert foreign.read_bytes() == b"%PDF-1.4 someone else's file"


def _run(main, *args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


# --- issue 17 acceptance: the demo's reports on paper -------------------------------------------------------

DEMO_VARIANTS = [("final", "en"), ("final", "da"), ("midterm", "en"), ("midterm", "da")]


@pytest.fixture(scope="module")
def demo_pdfs(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, Path]]:
    """`evaltool demo` at its bundled size (the acceptance is about this demo), each report printed."""
    from evaltool.report.pdf import chromium_path, pdf_beside
    from evaltool.study.demo import write_demo

    if chromium_path() is None:
        browser_unavailable("Chromium not found (apt-get install chromium)")
    if not pdftotext_available():
        browser_unavailable("pdftotext not found (apt-get install poppler-utils)")
    folder, _ = write_demo(tmp_path_factory.mktemp("demo") / "demo")
    out = {}
    for template, lang in DEMO_VARIANTS:
        html = folder / template / f"report_{template}_{lang}.html"
        out[(template, lang)] = (html, pdf_beside(html, language=lang, title="evaltool demo"))
    return out


@pytest.mark.parametrize("template, lang", DEMO_VARIANTS)
def test_demo_report_prints_compactly_without_near_empty_pages(demo_pdfs, template, lang):
    """<= 14 A4 pages, and no page more than half empty unless a chapter ends there (issue 17)."""
    html, pdf = demo_pdfs[(template, lang)]
    printed = pages(pdf)
    assert 4 <= len(printed) <= MAX_FINAL_PAGES, f"{pdf.name}: {len(printed)} pages"
    bad = near_empty_pages(pdf, html.read_text(encoding="utf-8"))
    assert bad == [], [(p.number, round(p.fill, 2), p.first_line[:40]) for p in bad]


@pytest.mark.parametrize("template, lang", DEMO_VARIANTS)
def test_demo_pdf_holds_every_figure_table_and_the_marks(demo_pdfs, template, lang):
    """Print loses nothing: every figure's numbers (collapsed on screen) and the reading guide's marks."""
    import subprocess

    html, pdf = demo_pdfs[(template, lang)]
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    source = html.read_text(encoding="utf-8")
    captions = [" ".join(re.sub(r"<[^>]+>", "", c).split())
                for c in re.findall(r"<details>\s*<summary>.*?</summary>.*?<caption>(.*?)</caption>", source, re.S)]
    assert captions, "the demo's figures have tables"
    import html as html_mod
    for cap in captions:
        assert html_mod.unescape(cap)[:40] in text, cap
    marks = "Tegn i tabeller og figurer:" if lang == "da" else "Marks in the tables and figures:"
    assert marks in text


def test_run_with_pdf_format_writes_a_pdf_beside_each_report(tmp_path):
    """`report.formats: [html, pdf]` in a config: `evaltool run` prints each report beside its HTML
    (a run-level path the CLI `report --pdf` test does not reach)."""
    from evaltool.cli import main
    from evaltool.report.pdf import chromium_path

    if chromium_path() is None:
        browser_unavailable("Chromium not found (apt-get install chromium)")
    cfg = tmp_path / "study.yaml"
    cfg.write_text("""\
study:
  title: {da: "Lille studie", en: "Small study"}
data:
  simulate: {n: 800, seed: 5}
design:
  covariates: [age, C(origin), prior_support_share]
outcomes:
  - name: placement_52w
    label: {da: "Praktik eller løntilskud", en: "Internship or wage subsidy"}
    kind: any
    categories: [virksomhedspraktik, loentilskud]
    weeks: [1, 52]
report:
  templates: [final]
  languages: [da]
  formats: [html, pdf]
""", encoding="utf-8")
    out = tmp_path / "out"
    assert _run(main, "run", str(cfg), "--out", str(out)) == 0
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    htmls = sorted(p.name for p in out.glob("*.html"))
    assert htmls and pdfs == [h[:-5] + ".pdf" for h in htmls]
    assert (out / pdfs[0]).read_bytes().startswith(b"%PDF-")
