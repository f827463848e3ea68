"""Issue 17 part 2: the midterm–final comparison never contradicts its numbers.

Every comparison sentence is parsed back (direction, CI, "significant"/"not significant")
and checked against results.json of the fixtures (tests/fixtures/report/results_example.json,
results_midterm.json; both declare Holm), independently of the report code: significance on
the tables' basis is p_value_adj < 0.05 under an adjustment, p_value < 0.05 without one.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from evaltool.report import appendix
from evaltool.report._env import ReportEnv
from evaltool.report.context import as_document
from evaltool.report.disclosure import DisclosureRules, apply_disclosure
from evaltool.report.headline import headline

FIXTURES = Path(__file__).parent / "fixtures" / "report"
NUM = r"[+−±]?\d+(?:[.,]\d+)?"
PART = {
    "en": re.compile(rf"(?P<when>at the midterm|in the final evaluation) (?P<est>{NUM})[^(]*"
                     rf"\(95% CI: (?P<lo>{NUM}) to (?P<hi>{NUM})\), (?P<not>not )?statistically significant"),
    "da": re.compile(rf"(?P<when>ved midtvejsevalueringen|ved slutevalueringen) (?P<est>{NUM})[^(]*"
                     rf"\(95 %-KI: (?P<lo>{NUM}) til (?P<hi>{NUM})\), (?P<not>ikke )?statistisk signifikant"),
}
EXCLUDES = {"en": "although the unadjusted 95% CI excludes zero",
            "da": "selv om det ukorrigerede 95 %-KI ikke indeholder nul"}


def _num(text: str) -> float:
    return float(text.replace("−", "-").replace("±", "").replace(",", "."))


@pytest.fixture(scope="module")
def docs() -> tuple[dict, dict]:
    fin = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    mid = json.loads((FIXTURES / "results_midterm.json").read_text(encoding="utf-8"))
    return fin, mid


def _comparison(fin: dict, mid: dict, language: str) -> dict:
    rules = DisclosureRules(min_cell=5)
    f, _l = apply_disclosure(as_document(fin), rules)
    m, _l = apply_disclosure(as_document(mid), rules, table_prefix="midterm:")
    return appendix.comparison(ReportEnv(f, "final", language, 5), m)


def _check_sentences(fin: dict, mid: dict, language: str) -> int:
    comp = _comparison(fin, mid, language)
    rows = {"mid": {e["outcome"]: e for e in mid["effects"]}, "fin": {e["outcome"]: e for e in fin["effects"]}}
    adjust = {"mid": mid["config"]["adjust"], "fin": fin["config"]["adjust"]}
    labels = {o["name"]: o["label"][language] for o in fin["outcomes"]}
    checked = 0
    for sentence in comp["changes"]:
        outcome = next(name for name, lab in labels.items() if sentence.startswith(lab + ":"))
        parts = list(PART[language].finditer(sentence))
        assert len(parts) == 2, sentence
        # each part runs until the next part starts (the midterm part) or the sentence ends
        rests = [sentence[parts[0].end():parts[1].start()], sentence[parts[1].end():]]
        for part, rest, which in zip(parts, rests, ("mid", "fin")):
            e = rows[which][outcome]
            est, lo, hi = _num(part["est"]), _num(part["lo"]), _num(part["hi"])
            assert est == pytest.approx(e["estimate"], abs=0.051), sentence
            assert (lo, hi) == (pytest.approx(e["ci_low"], abs=0.051), pytest.approx(e["ci_high"], abs=0.051))
            p = e["p_value_adj"] if adjust[which] != "none" else e["p_value"]
            says_significant = part["not"] is None
            assert says_significant == (p < 0.05), (which, sentence)
            ci_excludes_zero = e["ci_low"] > 0 or e["ci_high"] < 0
            if says_significant:
                assert ci_excludes_zero, sentence  # never "significant" beside an interval covering zero
            else:
                # "not significant" beside an interval excluding zero must say why
                assert (EXCLUDES[language] in rest) == ci_excludes_zero, (which, sentence)
            checked += 1
    return checked


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_comparison_sentence_agrees_with_its_numbers(docs, language):
    fin, mid = docs
    assert _check_sentences(fin, mid, language) == 14  # 7 outcomes measured at both times x 2


@pytest.mark.parametrize("language", ["da", "en"])
def test_claims_follow_the_numbers_when_they_change(docs, language):
    fin, mid = (copy.deepcopy(d) for d in docs)
    for e in fin["effects"]:
        if e["outcome"] == "internship_or_wage_subsidy_52w":
            e["p_value_adj"] = 0.03  # now significant after Holm
    for e in mid["effects"]:
        if e["outcome"] == "ordinary_employment_52w":  # direction flips
            e.update(estimate=1.1, ci_low=0.1, ci_high=2.1, p_value=0.03, p_value_adj=0.2)
    assert _check_sentences(fin, mid, language) == 14
    for d in (fin, mid):
        d["config"]["adjust"] = "none"
    assert _check_sentences(fin, mid, language) == 14


def test_basis_and_flags_are_stated(docs):
    fin, mid = (copy.deepcopy(d) for d in docs)
    comp = _comparison(fin, mid, "en")
    assert "adjusted for the number of outcomes tested (Holm)" in comp["basis"]
    assert any("covered 842 participants and the final evaluation 1,184" in f and "subset" in f
               for f in comp["flags"])
    assert any("Follow-up was 52 weeks at the midterm and 156 weeks" in f for f in comp["flags"])
    assert not any("estimand differs" in f for f in comp["flags"])  # both ATT in the fixtures
    mid["design"]["estimand"] = "ATM"
    mid["design"]["n"]["treated_unmatched"] = 3  # fewer than 5: shown as <5
    mid["config"]["adjust"] = "none"
    for e in mid["effects"]:
        e["p_value_adj"] = None
    comp = _comparison(fin, mid, "en")
    flag = next(f for f in comp["flags"] if "estimand differs" in f)
    assert "<5 at the midterm and 7 in the final evaluation" in flag and " 3 " not in flag
    assert any("adjustment for the number of outcomes tested differs" in f for f in comp["flags"])
    assert _check_sentences(fin, mid, "en") == 14  # midterm judged on its own (unadjusted) basis
    da = _comparison(fin, mid, "da")
    assert "ukorrigerede p-værdier" not in da["basis"] and "korrigeret for antallet" in da["basis"]


def _lock_in_doc(fin: dict) -> dict:
    doc = copy.deepcopy(fin)
    for e in doc["effects"]:
        if e["outcome"] == "self_support_13w":
            e.update(estimate=-1.6, ci_low=-3.2, ci_high=-0.1, mean_treated=3.6, mean_control=5.2,
                     relative_change=-0.31)
    return doc


def test_lock_in_is_explained_only_when_the_pattern_is_there(docs):
    fin, mid = docs
    assert _comparison(fin, mid, "da")["lock_in"] is None
    doc = _lock_in_doc(fin)
    note = _comparison(doc, mid, "da")["lock_in"]
    assert note.startswith("Fastlåsning:")
    assert "Selvforsørget i uge 13" in note and "Virksomhedspraktik eller løntilskud inden for 52 uger" in note
    assert "Selvforsørget i uge 13: −1,6 procentpoint" in note  # each outcome with its effect, a whole phrase
    # an early effect whose interval reaches zero is not called "lower"
    touching = copy.deepcopy(doc)
    for e in touching["effects"]:
        if e["outcome"] == "self_support_13w":
            e["ci_high"] = 0.0
    assert _comparison(touching, mid, "da")["lock_in"] is None
    controlled, _l = apply_disclosure(as_document(doc), DisclosureRules(min_cell=5))
    assert any(n.startswith("Lock-in:") for n in headline(ReportEnv(controlled, "final", "en", 5))["notes"])
    # without more internships/wage subsidy there is no lock-in story
    for e in doc["effects"]:
        if e["outcome"] == "internship_or_wage_subsidy_52w":
            e["estimate"] = -0.5
    assert _comparison(doc, mid, "en")["lock_in"] is None
