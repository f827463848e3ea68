"""How full each printed page is: words placed by ``pdftotext -bbox`` (poppler-utils).

A page's *fill* is the share of the printable height (between the running header and
footer) down to its lowest word; figures count because their labels are text (SVG
``fonttype: none``). A page more than half empty is fine only where a chapter ends:
the next page opens with a chapter heading, or it is the last page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from evaltool.report.pdf import MARGINS_MM

MM = 72 / 25.4
TOP, BOTTOM = MARGINS_MM["top"] * MM, MARGINS_MM["bottom"] * MM  # the running header and footer live there

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


@dataclass(frozen=True)
class Page:
    number: int
    fill: float  # 0 (empty) .. 1 (text down to the footer)
    first_line: str  # the first line of content under the running header


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def pages(pdf: str | Path) -> list[Page]:
    """Every page of ``pdf`` with its fill and first line."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    result = []
    for k, (_w, h, body) in enumerate(_PAGE.findall(out), start=1):
        height = float(h)
        words = [(float(y0), float(y1), html.unescape(t)) for _x0, y0, _x1, y1, t in _WORD.findall(body)]
        content = [w for w in words if w[0] > TOP and w[1] < height - BOTTOM]
        if not content:
            result.append(Page(k, 0.0, ""))
            continue
        lowest = max(w[1] for w in content)
        top = min(w[0] for w in content)
        first = " ".join(t for y0, _y1, t in content if abs(y0 - top) < 2)
        result.append(Page(k, (lowest - TOP) / (height - TOP - BOTTOM), first))
    return result


def chapter_headings(report_html: str) -> list[str]:
    """The visible text of every ``<h2>`` in a report (chapter and appendix headings, contents)."""
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>", report_html, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", h)).split()) for h in heads]


def near_empty_pages(pdf: str | Path, report_html: str, *, least: float = 0.5) -> list[Page]:
    """Pages filled less than ``least`` that do not end a chapter (the next page starts with an h2)."""
    heads = chapter_headings(report_html)
    ps = pages(pdf)
    bad = []
    for page, nxt in zip(ps, ps[1:]):
        if page.fill >= least:
            continue
        if nxt.first_line and any(nxt.first_line.startswith(h) for h in heads):
            continue
        bad.append(page)
    return bad
