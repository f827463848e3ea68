"""PDF reports: the HTML report printed by headless Chromium.

Why Chromium and not WeasyPrint: the HTML report is already checked in Chromium
(layout, console, accessibility), so printing it with the same engine gives a
PDF that is the page the tests saw; Chromium writes *tagged* PDFs (headings,
tables and figures' alt text reach screen readers) with a document outline, and
it is the one browser `.ci/run` installs from Debian. WeasyPrint would be a
second layout engine with its own CSS gaps (no ``position: sticky``, partial
flexbox) to keep in step.

The page carries the report's title in the header and "page N of M" in the
footer; collapsed "show the numbers" blocks are opened before printing so
nothing is lost on paper.

Examples
--------
>>> from evaltool.report.pdf import chromium_path
>>> isinstance(chromium_path(), (str, type(None)))
True
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path

from evaltool.exceptions import ReportError

__all__ = ["chromium_path", "html_to_pdf", "pdf_beside", "MARGINS_MM"]

#: Page margins in millimetres; the running header and the page numbers print inside the top and
#: bottom ones.
MARGINS_MM = {"top": 15, "bottom": 15, "left": 14, "right": 14}

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

_FOOTER = ('<div style="font-size:8pt;width:100%;text-align:center;color:#4a4a4a;'
           'font-family:Arial,sans-serif;">{page} <span class="pageNumber"></span> / '
           '<span class="totalPages"></span></div>')
_HEADER = ('<div style="font-size:8pt;width:100%;padding:0 14mm;color:#4a4a4a;'
           'font-family:Arial,sans-serif;">{title}</div>')


def chromium_path() -> str | None:
    """The Chromium executable used for PDFs (``$CHROMIUM``, then Debian's), or None."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, title: str = "",
                page_word: str = "Side") -> Path:
    """Print an HTML report to an A4 PDF with a running header and page numbers.

    Parameters
    ----------
    html_path : path
        A self-contained report written by :func:`evaltool.report.write_report`.
    pdf_path : path
        Where to write the PDF.
    title : str
        Text of the running header (escaped).
    page_word : str
        The word before the page number ("Side" in Danish, "Page" in English).

    Raises
    ------
    ReportError
        When Chromium or the ``playwright`` package is missing, or printing fails; the
        message names the file and the fix.
    """
    exe = chromium_path()
    if exe is None:
        raise ReportError("PDF output needs Chromium: install it (Debian: apt-get install chromium) "
                          "or set CHROMIUM=/path/to/chromium")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise ReportError("PDF output needs the `playwright` package: pip install 'evaltool[pdf]'") from exc
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    profile = tempfile.mkdtemp(prefix="evaltool-pdf-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(profile, executable_path=exe, args=_FLAGS, headless=True,
                                                       offline=True)
            try:
                page = ctx.new_page()
                page.goto(source.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                page.pdf(path=str(target), format="A4", print_background=True, display_header_footer=True,
                         header_template=_HEADER.format(title=html.escape(title)),
                         footer_template=_FOOTER.format(page=html.escape(page_word)),
                         margin={side: f"{mm}mm" for side, mm in MARGINS_MM.items()},
                         tagged=True, outline=True, prefer_css_page_size=False)
            finally:
                ctx.close()
    except PlaywrightError as exc:
        raise ReportError(f"{target}: printing the PDF failed: {str(exc).splitlines()[0]}") from exc
    except OSError as exc:
        raise ReportError(f"{target}: cannot write the PDF: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return target


def pdf_beside(html_path: str | Path, *, language: str, title: str = "") -> Path:
    """Print ``report.html`` to ``report.pdf`` beside it (same stem), with the language's page word.

    Used by ``evaltool report ... --pdf`` and by ``report.formats: [html, pdf]`` in a config.
    """
    from evaltool.report.i18n import Translator

    source = Path(html_path)
    target = source.with_suffix(".pdf")
    if target.exists() and (not target.is_file() or b"/Producer (Skia/PDF" not in target.read_bytes()[:4096]):
        raise ReportError(f"{target}: exists and was not printed by evaltool (Chromium); evaltool does not "
                          "overwrite it: choose another --out or move the file")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        html_to_pdf(source, tmp, title=title, page_word=Translator(language)("pdf.page"))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
