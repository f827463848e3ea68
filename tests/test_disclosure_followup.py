"""A final evaluation against its published midterm: the group sizes (route a) and the subgroup levels' union
(route b) of issue 12, and ``evaltool report`` re-rendering a final with the midterm its run folder records.

Each test first shows the attack (tests/attacker_followup.py) recovering a count of 1-4 from a final that is
safe alone (controlled without its midterm: the unprotected path), then the gate with ``earlier`` closing it.
The numbers are made up from the report fixture, so the recovered count is known.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from attacker import Attack, attack_document
from attacker_followup import attack_followup
from evaltool.report.gate import control_document
from evaltool.results.schema import ResultsDocument

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results_example.json"
OUTCOME = "internship_or_wage_subsidy_52w"


@pytest.fixture(scope="module")
def doc() -> ResultsDocument:
    return ResultsDocument.read(FIXTURE)


def _pair_findings(mid: ResultsDocument, fin: ResultsDocument) -> list[str]:
    a = Attack(5)
    attack_followup(mid, fin, a)
    return a.findings


def _alone_findings(d: ResultsDocument) -> list[str]:
    a = Attack(5)
    attack_document(d, a)
    return a.findings


def test_matched_size_three_below_the_final_is_hidden_in_every_block(doc):
    n = doc.design.n
    # the midterm matched 3 fewer treated (and left 3 more unmatched): all - matched moves by 3 too, which the
    # sample-flow rule already caught (it hid all, unmatched, discarded) — but not the matched size itself
    mid_raw = replace(doc, design=replace(doc.design, n=replace(n, treated_matched=n.treated_matched - 3,
                                                                treated_unmatched=n.treated_unmatched + 3,
                                                                ess_treated=n.treated_matched - 3.0)))
    mid, _ = control_document(mid_raw)
    alone, _ = control_document(doc)
    leaks = _pair_findings(mid, alone)
    assert any("treated sizes (final design treated_matched 1184 - midterm design treated_matched 1181) = 3" in f
               for f in leaks)
    assert any("KM time_to_self_support treated week 0 at_risk 1184 - design treated_matched 1181) = 3" in f
               for f in leaks)  # the persons at risk before the first event are the group's size too
    fin, log = control_document(doc, earlier=mid)
    assert _pair_findings(mid, fin) == []
    assert _alone_findings(fin) == []
    assert all(p.at_risk != 1184 for t in fin.time_to_event for p in t.km if p.group == "treated")
    assert {r.n for r in fin.trajectories if r.group == "treated"} & {1184} == set()
    assert {r.n for r in fin.trajectories if r.group == "comparison"} & {1184} == {1184}  # its side did not move
    fn = fin.design.n
    assert (fn.treated_all, fn.treated_matched, fn.treated_unmatched, fn.ess_treated) == (None,) * 4
    assert fn.control_matched == 1184  # the comparison side did not move
    assert all(e.n_treated is None for e in fin.effects) and all(e.n_control == 1184 for e in fin.effects)
    # the subgroup levels no longer add up to the hidden size: each variable lost at least two levels
    for var in ("origin", "age_group", "match_group"):
        rows = [s for s in fin.subgroups if s.outcome == OUTCOME and s.variable == var]
        assert sum(s.n_treated is None for s in rows) >= 2
    assert any("midterm" in e.reason for e in log.entries if e.column == "treated_matched,ess_treated"
               or "treated_matched" in e.column)


def test_a_size_near_any_midterm_size_is_hidden_not_only_the_same_cell(doc):
    # the midterm published 1181 treated with the first outcome (its matched 1196, all 1203): 3 below the final's
    # 1184 matched treated, a different cell of the same group
    n = doc.design.n
    e0 = doc.effects[0]
    mid_raw = replace(doc, effects=tuple(replace(e, n_treated=1181) if e is e0 else e for e in doc.effects),
                      design=replace(doc.design, n=replace(n, treated_matched=1196, treated_all=1203,
                                                           ess_treated=1196.0)))
    mid, _ = control_document(mid_raw)
    assert mid.effects[0].n_treated == 1181
    alone, _ = control_document(doc)
    leaks = _pair_findings(mid, alone)
    assert f"midterm vs final: treated sizes (final design treated_matched 1184 - midterm effects {e0.outcome} " \
           "n_treated 1181) = 3" in leaks
    fin, _ = control_document(doc, earlier=mid)
    assert _pair_findings(mid, fin) == [] and _alone_findings(fin) == []
    assert fin.design.n.treated_matched is None and fin.design.n.treated_all is None


def _origin(d: ResultsDocument, **levels: tuple[int, int]) -> ResultsDocument:
    subs = tuple(replace(s, n_treated=levels[s.level][0], n_control=levels[s.level][1])
                 if s.outcome == OUTCOME and s.variable == "origin" and s.level in levels else s for s in d.subgroups)
    return replace(d, subgroups=subs)


def test_subgroup_levels_union_against_the_midterms_main_effect(doc):
    # final: western 3 (hidden), its complement non_western 544 hidden too, danish 545 shown: the hidden levels hold
    # 1184 - 545 = 639 treated. Midterm: danish 538 shown (7 fewer: safe as a cell), non_western 530 hidden (the
    # complement), main effect 1174 (10 fewer): its hidden levels hold 1174 - 538 = 636, so 3 treated joined
    # those levels in between.
    fin_raw = _origin(doc, western=(3, 3))
    mid_raw = _origin(doc, western=(3, 3), danish=(538, 545), non_western=(530, 544))
    mid_raw = replace(mid_raw, effects=tuple(replace(e, n_treated=1174) if e.outcome == OUTCOME else e
                                             for e in mid_raw.effects))
    mid, _ = control_document(mid_raw)
    alone, _ = control_document(fin_raw)
    shown = {s.level: s.n_treated for s in alone.subgroups if s.outcome == OUTCOME and s.variable == "origin"}
    assert shown == {"danish": 545, "western": None, "non_western": None}
    assert _pair_findings(mid, alone) == [f"midterm vs final: subgroups {OUTCOME}/origin n_treated: "
                                          "hidden levels' union = 3"]
    fin, log = control_document(fin_raw, earlier=mid)
    assert _pair_findings(mid, fin) == [] and _alone_findings(fin) == []
    origin = [s for s in fin.subgroups if s.outcome == OUTCOME and s.variable == "origin"]
    assert all(s.n_treated is None and s.estimate is None for s in origin)
    assert any("union" in e.reason for e in log.entries)
    test = next(t for t in fin.subgroup_tests if t.outcome == OUTCOME and t.variable == "origin")
    assert test.statistic is None  # a test over a variable with a hidden level is hidden


def test_subgroup_levels_adding_up_to_a_clashing_size_lose_two_levels(doc):
    # within one document: the main effect's n is hidden (1187 beside 1184 matched), but the levels shown whole
    # still add up to it
    d = replace(doc, effects=tuple(replace(e, n_treated=1187) if e.outcome == OUTCOME else e for e in doc.effects))
    d = _origin(d, danish=(548, 545))
    out, _ = control_document(d)
    # the unprotected path: the controlled document with its subgroup rows as they were before the gate
    open_ = replace(out, subgroups=d.subgroups)
    assert any(f"subgroups {OUTCOME}/origin sum of levels n_treated 1187 - design treated_matched 1184) = 3" in f
               for f in _alone_findings(open_))
    assert next(e for e in out.effects if e.outcome == OUTCOME).n_treated is None
    origin = [s for s in out.subgroups if s.outcome == OUTCOME and s.variable == "origin"]
    assert sum(s.n_treated is None for s in origin) >= 2
    assert _alone_findings(out) == []


def _mid_three_fewer_matched(doc: ResultsDocument) -> ResultsDocument:
    n = doc.design.n
    mid_raw = replace(doc, design=replace(doc.design, n=replace(n, treated_matched=n.treated_matched - 3,
                                                                treated_unmatched=n.treated_unmatched + 3,
                                                                ess_treated=n.treated_matched - 3.0)))
    return control_document(mid_raw)[0]


def test_report_rerendering_uses_the_midterm_the_run_folder_records(doc, tmp_path, monkeypatch):
    import evaltool.report
    from evaltool.exceptions import ConfigError
    from evaltool.study.compare import recorded_midterm
    from evaltool.study.outputs import rerender_report

    mid = _mid_three_fewer_matched(doc)
    alone, _ = control_document(doc)  # a final written without report.compare_with
    (tmp_path / "mid").mkdir()
    (tmp_path / "final").mkdir()
    (tmp_path / "mid" / "results.json").write_text(mid.to_json(), encoding="utf-8")
    final_json = tmp_path / "final" / "results.json"
    final_json.write_text(alone.to_json(), encoding="utf-8")
    seen = []
    real = evaltool.report.render_report
    monkeypatch.setattr(evaltool.report, "render_report", lambda d, **kw: seen.append((d, kw)) or real(d, **kw))

    rerender_report(final_json, template="final", language="en", out=tmp_path / "alone.html")
    assert seen[-1][1]["compare_with"] is None and seen[-1][0] == ResultsDocument.read(final_json)
    assert _pair_findings(mid, seen[-1][0])  # the unprotected path: published beside the midterm, 3 persons

    (tmp_path / "final" / "config.resolved.yaml").write_text("report:\n  compare_with: ../mid/results.json\n",
                                                              encoding="utf-8")
    assert recorded_midterm(final_json) == tmp_path / "final" / "../mid/results.json"
    rerender_report(final_json, template="final", language="en", out=tmp_path / "with.html")
    controlled, kw = seen[-1]
    assert kw["compare_with"] is not None and _pair_findings(mid, controlled) == []
    assert controlled.design.n.treated_matched is None
    rerender_report(final_json, template="midterm", language="en", out=tmp_path / "mid.html")
    assert seen[-1][1]["compare_with"] is None  # a midterm report compares with nothing

    (tmp_path / "final" / "config.resolved.yaml").write_text("report:\n  compare_with: gone/results.json\n",
                                                              encoding="utf-8")
    with pytest.raises(ConfigError, match="the run compared with gone/results.json"):
        rerender_report(final_json, template="final", language="en", out=tmp_path / "x.html")


def test_the_demo_layout_records_its_midterm(tmp_path):
    from evaltool.study.compare import recorded_midterm

    for sub in ("final", "midterm"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "results.json").write_text("{}", encoding="utf-8")
    assert recorded_midterm(tmp_path / "final" / "results.json") is None  # not an evaltool output folder
    (tmp_path / ".evaltool-output").write_text("", encoding="utf-8")
    assert recorded_midterm(tmp_path / "final" / "results.json") == tmp_path / "midterm" / "results.json"
    assert recorded_midterm(tmp_path / "midterm" / "results.json") is None


# Found by benchmarks/bench_disclosure_attack.py on midterm + final pairs (docs/disclosure.md): on the code before
# issue 12's rules, random pair 7004 (37 matched treated in the final beside 36 treated in the midterm; a hidden
# target-group union of 4 persons in the comparison pool) gave 4 counts of 1-4 by differencing the two.
def test_random_pair_7004_resists_the_attacker(tmp_path):
    from attacker import attack, attack_midterm_final, gated_pair_folder

    folder = gated_pair_folder(7004, tmp_path / "out")
    assert folder is not None, "the random pair was refused"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["final", "midterm"]
    assert attack(folder) == [] and attack_midterm_final(folder) == []
    fin = ResultsDocument.read(folder / "final" / "results.json")
    mid = ResultsDocument.read(folder / "midterm" / "results.json")
    assert mid.design.n.treated_all == 36 and fin.design.n.treated_matched is None  # hidden: 37 beside 36


def test_a_propensity_histogram_shown_whole_does_not_give_a_hidden_size_back(doc):
    ps = doc.propensity
    d = replace(doc, propensity=replace(ps, treated=(600, 584) + (0,) * (len(ps.treated) - 2)))  # adds up to 1184
    mid = _mid_three_fewer_matched(d)
    fin, log = control_document(d, earlier=mid)
    open_ = replace(fin, propensity=control_document(d)[0].propensity)  # the histogram as the block rules leave it
    assert any("propensity treated sum of bins 1184" in f for f in _pair_findings(mid, open_))
    assert _pair_findings(mid, fin) == [] and _alone_findings(fin) == []
    hidden = [i for i, v in enumerate(fin.propensity.treated) if v is None]
    assert 1 in hidden and len(hidden) >= 2 and fin.propensity.treated[0] == 600  # the smallest non-zero bin, 584
    assert fin.propensity.suppressed["treated.1"] == "secondary"
