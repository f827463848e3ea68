"""Issue 17: `report.formats` in the config and the study metadata keys are checked at the boundary."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltool.config import load_config
from evaltool.exceptions import ConfigError

BASE = """\
study:
  title: Test study
data:
  simulate: {n: 1000, seed: 3}
design:
  covariates: [age, C(origin), prior_support_share]
  caliper: 0.2
outcomes:
  - name: placement_52w
    label: {da: "Praktik eller løntilskud", en: "Internship or wage subsidy"}
    kind: any
    categories: [virksomhedspraktik, loentilskud]
    weeks: [1, 52]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_formats_default_to_html_and_accept_pdf(tmp_path):
    assert load_config(write(tmp_path, BASE)).report.formats == ["html"]
    cfg = load_config(write(tmp_path, BASE + "report:\n  formats: [html, pdf]\n"))
    assert cfg.report.formats == ["html", "pdf"]


@pytest.mark.parametrize("value, match", [
    ("[pdf]", r"study\.yaml:15: report\.formats: .*must include 'html'"),
    ("[html, docx]", r"study\.yaml:15: report\.formats\[1\]: must be one of 'html' or 'pdf'; got 'docx'"),
    ("[html, html]", r"study\.yaml:15: report\.formats: .*lists a format twice"),
])
def test_bad_formats_name_file_line_and_key(tmp_path, value, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, BASE + f"report:\n  formats: {value}\n"))


META = """\
  author: Ane Analytiker
  organisation: Eksempelby Kommune, Analyse
  data_extracted: 2026-03-01
  register_period: 2019-W01 til 2025-W52
"""
TEXTS = """\
report:
  texts:
    programme_theory: {da: "Tæt **opfølgning** giver job.", en: "Close **follow-up** leads to jobs."}
    recommendations: {da: "* Fortsæt\\n* <script>alert(1)</script>", en: "* Continue"}
    quotes: {da: "> Det hjalp mig", en: "> It helped me"}
"""


def test_metadata_and_texts_reach_the_results_document(tmp_path):
    from evaltool.study.blocks import study_info

    cfg = load_config(write(tmp_path, BASE.replace("  title: Test study\n", "  title: Test study\n" + META) + TEXTS))
    info = study_info(cfg)
    assert (info.author, info.organisation, info.data_extracted, info.register_period) == (
        "Ane Analytiker", "Eksempelby Kommune, Analyse", "2026-03-01", "2019-W01 til 2025-W52")
    assert info.texts["quotes"] == {"da": "> Det hjalp mig", "en": "> It helped me"}
    assert "implementation" not in info.texts  # not given: absent, not an empty text
    again = type(info).from_dict(info.to_dict())
    assert again == info


@pytest.mark.parametrize("old, new, match", [
    ("data_extracted: 2026-03-01", "data_extracted: 1. marts", r"study\.yaml:5: study\.data_extracted"),
    ("author: Ane Analytiker", "author: ''", r"study\.yaml:3: study\.author"),
    ("programme_theory:", "theory:", r"study\.yaml:\d+: report\.texts\.theory"),
    ('quotes: {da: "> Det hjalp mig", en: "> It helped me"}', 'quotes: {da: "> Det hjalp mig"}',
     r"study\.yaml:\d+: report\.texts\.quotes\.en"),
])
def test_bad_metadata_and_texts_name_file_line_and_key(tmp_path, old, new, match):
    text = BASE.replace("  title: Test study\n", "  title: Test study\n" + META) + TEXTS
    assert old in text
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, text.replace(old, new)))


def test_free_texts_are_markdown_without_raw_html():
    from evaltool.report.markdown import free_texts, render_markdown

    html = str(render_markdown("**a** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"))
    assert "<strong>a</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    out = free_texts({"quotes": {"da": "> Det hjalp", "en": "> It helped"}}, "en")
    assert str(out["quotes"]).startswith("<blockquote>") and "It helped" in str(out["quotes"])
    assert out["recommendations"] is None


def test_cover_appendix_and_texts_in_the_reports():
    """Cover and provenance appendix carry the metadata; recommendations: final in conclusions, midterm as adjustments."""
    import json

    from evaltool.report import render_report

    fixtures = Path(__file__).parent / "fixtures" / "report"
    doc = json.loads((fixtures / "results_example.json").read_text(encoding="utf-8"))
    doc["study"].update(author="Ane Analytiker", organisation="Analyse", data_extracted="2026-03-01",
                        register_period="2019-W01 til 2025-W52",
                        texts={"recommendations": {"da": "* Fortsæt <b>nu</b>", "en": "* Continue"},
                               "quotes": {"da": "> Det hjalp mig", "en": "> It helped me"}})
    final = render_report(doc, "final", "da").html
    cover = final[final.index('<header class="cover">'):final.index("</header>")]
    for text in ("Ane Analytiker", "Analyse", "1. marts 2026", "2019-W01 til 2025-W52", "0.1.0", "3f3f3f3f3f3f"):
        assert text in cover
    prov = final[final.index('id="provenance"'):]
    assert "<dt>Dataudtræk</dt><dd>1. marts 2026</dd>" in prov and "<dt>Forfatter</dt><dd>Ane Analytiker</dd>" in prov
    conclusions = final[final.index('id="conclusions"'):final.index('id="appendix-method"')]
    assert "Anbefalinger</h3>" in conclusions and "&lt;b&gt;nu&lt;/b&gt;" in conclusions and "<b>nu" not in final
    assert "<blockquote>" in final[final.index('id="implementation"'):final.index('id="results"')]
    assert 'id="guide"' in final and "Datakilder" in final
    midterm = render_report(doc, "midterm", "en").html
    implementation = midterm[midterm.index('id="implementation"'):midterm.index('id="results"')]
    assert "Suggested adjustments</h3>" in implementation and "Continue" in implementation
    assert "Recommendations</h3>" not in midterm
    assert "focuses on implementation and on what can be adjusted" in midterm
