"""Issue 17 part 1: the headline sentences, verdicts and summary sheet say what the numbers say.

Pinned numbers come from tests/fixtures/report/results_example.json (written by
make_results_example.py): internship_or_wage_subsidy_52w has estimate 2.0 pp,
CI 0.4001 to 3.5999, n_treated 1184, relative_change 0.1942, p 0.014282, Holm p 0.11426;
ordinary_employment_52w has estimate -0.2 pp and n_treated 1184.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from evaltool.report import render_report
from evaltool.report._env import ReportEnv
from evaltool.report.context import as_document
from evaltool.report.disclosure import DisclosureRules, apply_disclosure
from evaltool.report.headline import headline, persons, verdict_key
from evaltool.report.i18n import Translator

FIXTURES = Path(__file__).parent / "fixtures" / "report"


@pytest.fixture(scope="module")
def final() -> dict:
    return json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(final) -> dict[str, str]:
    return {lang: render_report(final, "final", lang).html for lang in ("da",)}


def _headline(doc: dict, language: str = "da", template: str = "final") -> dict:
    controlled, _log = apply_disclosure(as_document(doc), DisclosureRules(min_cell=5))
    return headline(ReportEnv(controlled, template, language, 5))


def _item(block: dict, outcome: str) -> dict:
    return next(it for it in block["items"] if it["outcome"] == outcome)


def test_persons_is_effect_times_treated_rounded_half_away_from_zero():
    assert persons(2.0, 1184) == 24          # 23.68
    assert persons(0.4001, 1184) == 5        # 4.737
    assert persons(3.5999, 1184) == 43       # 42.62
    assert persons(-0.2, 1184) == -2         # -2.368
    assert persons(50.0, 1) == 1             # 0.5 rounds away from zero
    assert persons(-50.0, 1) == -1
    assert persons(None, 1184) is None and persons(2.0, None) is None


def test_headline_sentence_states_pp_persons_and_relative_change(final):
    da = _item(_headline(final, "da"), "internship_or_wage_subsidy_52w")["text"]
    assert "12,3 %" in da and "10,3 %" in da
    assert "+2,0 procentpoint (95 %-KI: 0,4 til 3,6)" in da
    assert "ca. 24 flere personer blandt de 1.184 deltagere (95 %-KI: +5 til +43 personer)" in da
    assert "+19 %" in da
    en = _item(_headline(final, "en"), "internship_or_wage_subsidy_52w")["text"]
    assert "+2.0 percentage points (95% CI: 0.4 to 3.6)" in en
    assert "about 24 more persons among the 1,184 participants (95% CI: +5 to +43 persons)" in en
    assert "+19%" in en


def test_effect_in_persons_below_the_threshold_is_suppressed(final):
    item = _item(_headline(final, "da"), "ordinary_employment_52w")
    assert item["suppressed"]
    assert "ca. <5 færre personer" in item["text"]
    assert "2 færre" not in item["text"]
    block = _headline(final, "da")
    assert any("færre end 5 personer" in n for n in block["notes"])


@pytest.mark.parametrize("adjust, expected", [
    # Holm p = 0.114 > 0.05 while p = 0.014: signs of an increase, not a demonstrated one
    ("holm", "headline.verdict.uncertain_up"),
    # without an adjustment the table's p-value (0.014) is the basis: a demonstrated increase
    ("none", "headline.verdict.up"),
])
def test_verdict_uses_the_tables_p_value_basis(final, adjust, expected):
    doc = copy.deepcopy(final)
    doc["config"]["adjust"] = adjust
    item = _item(_headline(doc, "da"), "internship_or_wage_subsidy_52w")
    assert item["verdict"] == Translator("da")(expected)
    basis = _headline(doc, "en")["notes"][0]
    assert ("adjusted for the number of outcomes" in basis) == (adjust != "none")


def test_every_verdict_agrees_with_the_numbers(final):
    """Direction and significance of each verdict recomputed from results.json, not from the report code."""
    rows = {e["outcome"]: e for e in final["effects"]}
    block = _headline(final, "da")
    assert len(block["items"]) >= 4
    for it in block["items"]:
        e = rows[it["outcome"]]
        p = e["p_value_adj"] if final["config"]["adjust"] != "none" else e["p_value"]
        significant = p < 0.05
        assert (it["significance"] == "adjusted") == significant, it["outcome"]
        assert it["direction"] == ("up" if e["estimate"] > 0 else "down"), it["outcome"]
        assert it["verdict"] == Translator("da")(verdict_key(it["significance"], e["estimate"]))
        # the CI beside the verdict: "significant" iff the interval excludes zero (unadjusted basis only)
        if final["config"]["adjust"] == "none":
            assert significant == (e["ci_low"] > 0 or e["ci_high"] < 0)


def test_summary_sheet_comes_first_with_an_accessible_headline_figure(final, rendered):
    for lang in rendered:  # one language: rendering is the slow part; the sheet template is language-free
        html = rendered[lang]
        body = html[html.index("<body"):]
        assert body.index('id="headline"') < body.index('class="toc"') < body.index('id="summary"')
        sheet = body[body.index('id="headline"'):body.index('class="toc"')]
        svg = re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="(fig-headline-title)"', sheet)
        assert svg, "headline figure must be an inline SVG with role=img and a title"
        title = re.search(r'<title id="fig-headline-title">(.*?)</title>', sheet, re.S).group(1)
        for it in _headline(final, lang)["items"]:
            assert it["label"] in title  # alt text names every outcome drawn
    css = re.search(r"@media print \{ \.headline \{ break-after: page; \}", html)
    assert css, "the summary sheet must end the first printed page"


def test_no_headline_when_every_pp_effect_is_hidden(final):
    doc = copy.deepcopy(final)
    for e in doc["effects"]:
        e["unit"] = "level"
    assert _headline(doc, "da") is None


def test_midterm_headline_withholds_outcomes_beyond_follow_up(final):
    doc = copy.deepcopy(final)
    doc["study"]["followup_weeks"] = 52
    outcomes = [it["outcome"] for it in _headline(doc, "en", "midterm")["items"]]
    assert "self_support_52w" in outcomes and "self_support_104w" not in outcomes
    outcomes = [it["outcome"] for it in _headline(doc, "en", "final")["items"]]
    assert "self_support_104w" in outcomes
