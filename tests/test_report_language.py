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
FOREIGN = {"da": ("the", "and", "effect", "week", "not", "largest", "smallest", "simulate"),
           "en": ("og", "ikke", "uge", "procentpoint", "simulerede")}


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


CONCLUSION = {"da": r"Den fremskudte indsats har (øget|mindsket) (andelen|resultatet) for »[^«]+«: [+−][\d,]+( procentpoint)? "
                    r"\(95 %-KI: −?[\d,]+ til −?[\d,]+\)\.",
              "en": r"The outreach effort has (increased|reduced) the (share|result) for “[^”]+”: [+−][\d.]+"
                    r"( percentage points)? \(95% CI: −?[\d.]+ to −?[\d.]+\)\."}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_conclusions_are_whole_sentences_with_whole_labels(lang):
    """Issue 17: not "reduced self-supported in week 26" (a label bent into a phrase) but one sentence per
    clear effect, the label quoted whole with the effect and its interval; plural chosen by the count."""
    final = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    final["effects"][0].update(p_value=0.0001, p_value_adj=0.0004)  # one clear effect
    html = render_report(final, "final", lang).html
    sec = html[html.index('<section id="conclusions"'):]
    items = [visible_text(i, lang).strip() for i in re.findall(r"<p>(.*?)</p>", sec[:sec.index("</section>")],
                                                                flags=re.S)]
    clear = [i for i in items if re.fullmatch(CONCLUSION[lang], i)]
    assert clear, items
    labels = [o["label"][lang] for o in final["outcomes"]]
    for item in items:
        for label in labels:
            assert label.lower() not in item or label.lower() == label, (label, item)
    none = [i for i in items if i.startswith(("No effect", "Der er ikke fundet"))]
    assert none
    for i in none:  # plural by the number of outcomes named
        many = i.count("“" if lang == "en" else "»") > 1
        assert i.startswith(("No effects were found", "Der er ikke fundet effekter") if many else
                            ("No effect was found", "Der er ikke fundet en effekt")), i
