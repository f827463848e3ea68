"""HTML snapshot tests: the reports rendered from the fixed fixture results, byte for byte.

Inline SVG figures are replaced by a placeholder keeping their label and title (their
paths depend on the matplotlib version) and the inline stylesheet by a placeholder (it is
``report/templates/report.css`` verbatim); everything else (text, numbers, tables,
structure, CSS) must match the stored snapshot exactly. After an intended change,
regenerate with ``EVALTOOL_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_report_snapshot.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from evaltool.report import render_report

FIXTURES = Path(__file__).parent / "fixtures" / "report"
SNAPSHOTS = FIXTURES / "snapshots"
SVG = re.compile(r"<svg\b([^>]*)>\s*(<title[^>]*>.*?</title>).*?</svg>", re.S)
LABEL = re.compile(r'aria-labelledby="[^"]*"')
STYLE = re.compile(r"<style>.*?</style>", re.S)


def normalise(html: str) -> str:
    def keep(m: re.Match) -> str:
        label = LABEL.search(m[1])
        return f"<svg {label[0] if label else ''}>{m[2]}[figure]</svg>"

    return STYLE.sub("<style>[report.css]</style>", SVG.sub(keep, html), count=1)


@pytest.mark.parametrize("template, lang", [("final", "da"), ("final", "en"), ("midterm", "da")])
def test_report_matches_snapshot(template, lang):
    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    midterm = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    results = final if template == "final" else midterm
    html = render_report(results, template, lang, compare_with=midterm if template == "final" else None).html
    got = normalise(html)
    assert got.count("[figure]") == html.count("<svg"), "every inline SVG must be recognised"
    path = SNAPSHOTS / f"{template}_{lang}.html"
    if os.environ.get("EVALTOOL_UPDATE_SNAPSHOTS") == "1":
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"missing snapshot {path.name}; create it with EVALTOOL_UPDATE_SNAPSHOTS=1"
    want = path.read_text(encoding="utf-8")
    if got != want:
        got_lines, want_lines = got.splitlines(), want.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got_lines, want_lines)) if a != b),
                     min(len(got_lines), len(want_lines)))
        pytest.fail(f"{path.name} differs from line {first + 1}:\n  want: "
                    f"{want_lines[first] if first < len(want_lines) else '<end>'}\n  got:  "
                    f"{got_lines[first] if first < len(got_lines) else '<end>'}")
