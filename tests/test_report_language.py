"""Issue 17 part 5: every report variant is written wholly in its language.

Renders midterm/final x da/en from the fixture results and fails on a raw catalogue key
(``chapter.summary``, ``midterm:trajectories``), on an English word from a short list in
the Danish text, or a Danish word in the English text. Text the analysis or the config
supplies verbatim is excluded by its mark: ``lang`` attributes of another language, the
monospace provenance list (hashes, input names) and data warnings (shown as written).
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from evaltool.report import render_report
from evaltool.report.i18n import catalogue

FIXTURES = Path(__file__).parent / "fixtures" / "report"
FOREIGN = {"da": ("the", "and", "effect", "week", "not"), "en": ("og", "ikke", "uge", "procentpoint")}


def visible_text(html: str, lang: str) -> str:
    html = re.sub(r"<(head|style|svg|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<dl class="facts wide mono">.*?</dl>', " ", html, flags=re.S)  # hashes and input names
    # text marked as another language (analysis messages) or as verbatim config text (the study title)
    html = re.sub(rf'<(\w+)[^>]*\blang="(?!{lang}")[^"]*"[^>]*>.*?</\1>', " ", html, flags=re.S)
    html = re.sub(r'<span class="verbatim">.*?</span>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(html))


def _stub(*_args, **_kwargs) -> str:
    return "<svg></svg>"


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], str]:
    # figures are stripped from the checked text anyway; drawing them is the slow part of rendering
    from evaltool.report import figures

    with pytest.MonkeyPatch.context() as mp:
        for name in figures.__all__:
            if callable(getattr(figures, name)):
                mp.setattr(figures, name, _stub)
        return _render_all()


def _render_all() -> dict[tuple[str, str], str]:
    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    midterm = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    out = {}
    for template, lang in (("final", "da"), ("final", "en"), ("midterm", "da"), ("midterm", "en")):
        results = final if template == "final" else midterm
        out[template, lang] = visible_text(render_report(
            results, template, lang, compare_with=midterm if template == "final" else None).html, lang)
    return out


@pytest.mark.parametrize("variant", [("final", "da"), ("final", "en"), ("midterm", "da"), ("midterm", "en")])
def test_no_raw_keys_and_no_foreign_words(reports, variant):
    text = reports[variant]
    keys = {k for k in catalogue("da") if "." in k}  # one-word keys ("total") are ordinary words too
    raw = sorted({k for k in keys if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", text)})
    assert not raw, f"untranslated catalogue keys in {variant}: {raw}"
    assert not re.search(r"\b(midterm|final):[a-z_]+", text), "table ids leaked into the text"
    lang = variant[1]
    words = re.findall(r"[^\W\d_]+", text.lower())
    found = sorted({w for w in words if w in FOREIGN[lang]})
    if found:
        where = {w: re.findall(rf".{{0,60}}\b{w}\b.{{0,60}}", text, flags=re.I)[:2] for w in found}
        pytest.fail(f"{variant}: words of the other language {where}")
