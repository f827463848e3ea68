"""Reports: sections, language formatting, determinism, suppression, errors."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from evaltool.report.disclosure import DisclosureRules
from evaltool.exceptions import ReportError
from evaltool.report import (available_languages, available_templates, build_context, render_report,
                             write_report)
from evaltool.report.render import render_context
from evaltool.results.schema import ResultsDocument

FIXTURES = Path(__file__).parent / "fixtures" / "report"
FINAL_IDS = ["summary", "effort", "target-group", "implementation", "results", "balance", "subgroups",
             "robustness", "comparison", "conclusions", "appendix-method", "appendix-data", "provenance"]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final() -> dict:
    return load("results_example.json")


@pytest.fixture(scope="module")
def midterm() -> dict:
    return load("results_midterm.json")


@pytest.fixture(scope="module")
def final_da(final, midterm):
    return render_report(final, "final", "da", compare_with=midterm)


@pytest.fixture(scope="module")
def final_en(final, midterm):
    return render_report(final, "final", "en", compare_with=midterm)


@pytest.fixture(scope="module")
def midterm_da(midterm):
    return render_report(midterm, "midterm", "da")


def text_of(html: str) -> str:
    """Visible text without tags (inline SVG removed), whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_final_has_every_section_once(final_da):
    html = final_da.html
    for sid in FINAL_IDS:
        assert html.count(f'<section id="{sid}"') == 1, sid
    assert html.count("<h1>") == 1
    assert 'lang="da"' in html
    for fid in ("fig-effects", "fig-over-time", "fig-trajectories", "fig-km-1", "fig-love", "fig-ps",
                "fig-forest-1"):
        assert f'<figure id="{fid}"' in html, fid


def test_midterm_sections_and_preliminary(midterm_da):
    html = midterm_da.html
    assert '<section id="comparison"' not in html and '<section id="conclusions"' not in html
    assert "fig-forest" not in html
    # issue 17: the effect-over-time figure is drawn whenever an outcome has two or more horizons
    assert '<figure id="fig-over-time"' in html
    assert "Midtvejsevaluering" in html
    assert html.count('<span class="tag">foreløbig</span>') == 7   # every effect row is marked preliminary


def test_midterm_withholds_horizons_beyond_followup(midterm):
    res = copy.deepcopy(midterm)
    res["study"]["followup_weeks"] = 26
    html = render_report(res, "midterm", "en").html
    table = html[html.index('id="tab-effects"'):html.index("</table>", html.index('id="tab-effects"'))]
    assert "Self-supporting in week 26" in table and "Self-supporting in week 52" not in table
    assert "reported in the final evaluation" in html


def test_danish_number_formatting(final_da):
    text = text_of(final_da.html)
    assert ("Virksomhedspraktik eller løntilskud inden for 52 uger: 12,3 % af borgerne i den fremskudte "
            "indsats mod 10,3 % i sammenligningsgruppen, en forskel på +2,0 procentpoint "
            "(95 %-KI: 0,4 til 3,6).") in text
    assert "1.184" in text and "+2,0 procentpoint" in text
    assert "12.3%" not in text


def test_english_number_formatting(final_en):
    text = text_of(final_en.html)
    assert "12.3% of the residents in the outreach effort against 10.3% in the comparison group" in text
    assert "+2.0 percentage points (95% CI: 0.4 to 3.6)" in text
    assert "1,184" in text and 'lang="en"' in final_en.html
    assert "12,3 %" not in text


def test_honest_about_significance(final_en):
    text = text_of(final_en.html)
    # nominally significant, not after Holm: said so
    assert "not after adjusting for the number of outcomes tested (Holm; adjusted p = 0.114)" in text
    assert "The difference is not statistically significant (p = 0.882)" in text


def test_outcome_labels_come_from_results(final, final_en):
    for o in final["outcomes"]:
        if o["kind"] != "time_to":
            assert o["label"]["en"] in final_en.html


def test_suppressed_subgroup_shown_as_hidden_mark_and_logged(final_da):
    html = final_da.html
    table = html[html.index('id="tab-sub-1"'):]
    table = table[:table.index("</table>")]
    row = re.search(r"Uddannelsesparat</th>(.*?)</tr>", table, flags=re.S).group(1)
    assert row.count('class="num sup">..</td>') == 7  # issue 17: ".." is hidden, "–" not applicable
    log = final_da.disclosure_log
    assert ((log["table"] == "subgroups") & log["row"].str.contains("uddannelsesparat")).sum() == 2
    assert "diskretionering" in text_of(html)
    # target-group table shows the primary cell as "<5"
    tg = html[html.index('id="tab-target"'):]
    assert re.search(r"Uddannelsesparat</th>\s*<td class=\"num sup\">&lt;5</td>", tg)


def test_comparison_with_midterm(final_en):
    html = final_en.html
    sec = text_of(html[html.index('<section id="comparison"'):html.index('<section id="conclusions"')])
    # issue 17: both estimates with CI and significance on the tables' (Holm) basis
    assert ("at the midterm +1.5 percentage points (95% CI: −0.4 to 3.4), not statistically significant after "
            "adjustment (Holm; adjusted p = 0.800); in the final evaluation +2.0 percentage points") in sec
    assert "New in the final evaluation: self-supporting in week 104" in sec.replace("Self", "self")


def test_final_without_midterm_says_so(final):
    html = render_report(final, "final", "en").html
    assert "No midterm results were supplied" in html


def test_deterministic_bytes(final, midterm, final_da, tmp_path):
    again = render_report(final, "final", "da", compare_with=midterm)
    assert again.html == final_da.html
    a = write_report(final_da, tmp_path / "a.html").read_bytes()
    b = write_report(again, tmp_path / "sub" / "b.html").read_bytes()
    assert a == b
    assert again.disclosure_log.equals(final_da.disclosure_log)


def test_self_contained(final_da):
    html = final_da.html
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in html
    assert not re.search(r"""(src|href)=["'](https?:|//)""", html)
    assert "<script" not in html and "<link" not in html
    assert "@media print" in html and "size: A4" in html


def test_accessible_structure(final_da):
    html = final_da.html
    assert html.count("<figure") == html.count("<figcaption>")
    assert html.count('<svg class="chart" role="img" aria-labelledby=') == html.count("<figure")
    assert html.count("<table") == html.count("<caption>")
    assert '<th scope="col">' in html and '<th scope="row">' in html
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_no_person_ids(final_da, final):
    assert "person_id" not in final_da.html
    bad = copy.deepcopy(final)
    bad["subgroups"][0]["person_id"] = 17
    with pytest.raises(ReportError, match="person identifier"):
        render_report(bad, "final", "da")


@pytest.mark.parametrize("kwargs, match", [
    ({"template": "annual"}, r"`template` must be one of 'midterm', 'final'; got 'annual'"),
    ({"language": "sv"}, r"`language` must be one of 'da', 'en'; got 'sv'"),
])
def test_unknown_template_or_language(final, kwargs, match):
    with pytest.raises(ReportError, match=match):
        render_report(final, **kwargs)
    assert available_templates() == ("midterm", "final") and available_languages() == ("da", "en")


def test_incomplete_results_refused(final):
    bad = {k: v for k, v in final.items() if k != "effects"}
    with pytest.raises(ReportError, match="missing 'effects'"):
        render_report(bad, "final", "da")


def test_strict_undefined_catches_missing_key(final):
    ctx = build_context(final, "midterm", "en")
    variables = ctx.template_vars()
    variables["summary"] = {k: v for k, v in variables["summary"].items() if k != "caveat"}
    with pytest.raises(ReportError, match="caveat"):
        render_context(variables, "midterm")


def test_min_cell_rule_changes_output(final):
    strict = render_report(final, "final", "en", rules=DisclosureRules(min_cell=600))
    assert "&lt;600" in strict.html
    assert len(strict.disclosure_log) > 0


def test_minimal_results_render(final):
    """Empty lists and null blocks (all allowed by schema v1) render without invented numbers."""
    bare = copy.deepcopy(final)
    bare.update(process=[], propensity=None, subgroups=[], subgroup_tests=[], trajectories=[],
                time_to_event=[], warnings=[], balance={"threshold": 0.1, "rows": []})
    bare["study"].update(effort=None, municipality=None, period=None)
    bare.pop("categories_labels")
    bare["study"].pop("followup_weeks")
    for template in ("midterm", "final"):
        html = render_report(bare, template, "en").html
        assert "The results contain no process indicators." in html
        assert "The results contain no subgroup analyses." in html
        assert "No description of the effort was given" in html
        assert 'id="fig-ps"' not in html and 'id="fig-trajectories"' not in html


def test_estimand_change_note_never_shows_a_small_count(final):

    res = copy.deepcopy(final)
    res["design"]["estimand"] = "ATM"
    res["config"]["design"]["estimand"] = "ATT"
    n = res["design"]["n"]
    n.update(treated_unmatched=3, treated_discarded=0, treated_matched=n["treated_all"] - 3)
    html = render_report(res, "final", "en").html
    assert "because some persons in the effort had no comparison person" in html
    assert "because 3 persons" not in html
    n.update(treated_unmatched=12, treated_matched=n["treated_all"] - 12)
    assert "because 12 persons in the effort" in render_report(res, "final", "en").html


def test_renders_from_the_typed_document(final, midterm, final_da):
    """The report works on ResultsDocument; a parsed dict is only read into it first."""
    doc, mid = ResultsDocument.from_dict(final), ResultsDocument.from_dict(midterm)
    typed = render_report(doc, "final", "da", compare_with=mid)
    assert typed.html == final_da.html
    assert typed.disclosure_log.equals(final_da.disclosure_log)
    ctx = build_context(doc, "final", "en")
    assert ctx.summary["intro"].startswith("The evaluation compares 1,184 residents in the outreach effort")


def test_malformed_results_refused_with_path(final):
    bad = copy.deepcopy(final)
    bad["effects"][1]["estimat"] = 2.0
    with pytest.raises(ReportError, match=r"results.effects\[1\]: unknown key 'estimat'"):
        render_report(bad, "final", "en")
    with pytest.raises(ReportError, match="must be a results document"):
        render_report([final], "final", "en")
