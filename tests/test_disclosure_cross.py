"""Cross-block disclosure: one group's sizes across blocks, and Kaplan–Meier survival ratios.

Each test first shows that the attack (tests/attacker_cross.py) recovers a count of 1-4 from a document
the within-block rules leave open (so the test can fail), then that the gate closes it. The numbers are
made up so the hidden count is known.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from attacker import Attack, attack_document
from attacker_cross import attack_km_ratios, attack_sizes
from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_km import pool_km
from evaltool.report.gate import control_document
from evaltool.results.effects import KmPoint, TimeToEventBlock
from evaltool.results.schema import ResultsDocument
from evaltool.results.sensitivity import SensitivityBlock, SpecCurveRow

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results_example.json"


@pytest.fixture(scope="module")
def doc() -> ResultsDocument:
    return ResultsDocument.read(FIXTURE)


def _km_findings(d: ResultsDocument) -> list[str]:
    a = Attack(5)
    attack_km_ratios(d, a, "doc")
    return a.findings


def _size_findings(d: ResultsDocument) -> list[str]:
    a = Attack(5)
    attack_sizes(d, a, "doc")
    return a.findings


# one group, no censoring: 50 at risk; 2 events in week 1, 5 in week 3, 1 in week 4, 6 in week 6
_STEPS = [(0, 50, 0), (1, 50, 2), (3, 48, 5), (4, 43, 1), (6, 42, 6)]


def _curve(steps=_STEPS) -> TimeToEventBlock:
    s, points = 1.0, []
    for week, n, d in steps:
        s *= 1 - d / n
        points.append(KmPoint("treated", week, survival=s, at_risk=float(n), events=float(d), n_at_risk=n))
    return TimeToEventBlock("t", km=tuple(points), n={"treated": 50})


def test_a_hidden_step_is_recovered_from_the_survival_ratio(doc):
    """Hiding a step's events (or the whole step) while its neighbours' survival stays gives it back."""
    pts = list(_curve().km)
    pts[1] = replace(pts[1], events=None)  # week 1: survival 0.96 of 50 at risk -> 2 events
    assert any("= 2" in f for f in _km_findings(replace(doc, time_to_event=(replace(_curve(), km=tuple(pts)),))))
    pts = list(_curve().km)
    pts[3] = replace(pts[3], survival=None, at_risk=None, events=None)  # week 4 hidden whole: S(6)/S(3) -> 1 event
    found = _km_findings(replace(doc, time_to_event=(replace(_curve(), km=tuple(pts)),)))
    assert any("hidden step week 4" in f and f.endswith("= 1") for f in found), found


def test_kaplan_meier_steps_are_pooled_into_a_life_table(doc):
    c = _Controller(DisclosureRules(), "")
    out = pool_km(c, _curve())
    shown = [(p.week, p.at_risk, p.events, round(p.survival, 12)) for p in out.km if p.survival is not None]
    # weeks 1-3 pool 2 + 5 = 7 events of 50 at risk; weeks 4-6 pool 1 + 6 = 7 of 43 (no censoring: the
    # life table equals the Kaplan-Meier estimate here, 1 - 7/50 = 0.86 and 0.86 x (1 - 7/43) = 0.72)
    assert shown == [(0, 50, 0, 1.0), (3, 50, 7, 0.86), (6, 43, 7, 0.72)]
    assert pool_km(_Controller(DisclosureRules(), ""), out).km == out.km  # a pooled curve stays as it is
    controlled, _ = control_document(replace(doc, time_to_event=(_curve(),)))
    assert _km_findings(controlled) == []


def test_censored_persons_between_shown_steps_are_pooled_too():
    # 3 persons censored between week 1 and week 2 (50 - 5 - 42): every interval holding them until the
    # curve's last step would publish 3 as at_risk - events - next at_risk, so weeks 1-3 are one interval
    c = _Controller(DisclosureRules(), "")
    out = pool_km(c, _curve([(0, 50, 0), (1, 50, 5), (2, 42, 6), (3, 36, 5)]))
    shown = [(p.week, p.at_risk, p.events) for p in out.km if p.survival is not None]
    assert shown == [(0, 50, 0), (3, 50, 16)]
    # 10 censored (50 - 5 - 35) may be published: weeks 1 and 2 become their own intervals
    out = pool_km(c, _curve([(0, 50, 0), (1, 50, 5), (2, 35, 6), (3, 29, 5)]))
    shown = [(p.week, p.at_risk, p.events) for p in out.km if p.survival is not None]
    assert shown == [(0, 50, 0), (1, 50, 5), (2, 35, 6), (3, 29, 5)]


def test_the_tail_of_a_curve_with_few_events_is_hidden():
    c = _Controller(DisclosureRules(), "")
    out = pool_km(c, _curve([(0, 50, 0), (1, 50, 6), (2, 44, 2)]))
    assert [p.week for p in out.km if p.survival is not None] == [0, 1]


def _with_specs(doc: ResultsDocument, *n_treated: int) -> ResultsDocument:
    rows = tuple(SpecCurveRow(spec=i + 1, outcome="self_support_26w", estimate=0.01, n_treated=n, n_control=n)
                 for i, n in enumerate(n_treated))
    return replace(doc, sensitivity=SensitivityBlock(specification_curve=rows))


def test_specification_sizes_differing_by_a_few_persons_are_hidden(doc):
    # the fixture matches 1184 treated (1191 in all); a specification matching 1186 says 2 more were matchable
    d = _with_specs(doc, 1186, 1200, 1184)
    assert any("specification 1" in f and f.endswith("= 2") for f in _size_findings(d))
    controlled, log = control_document(d)
    curve = controlled.sensitivity.specification_curve
    assert [r.n_treated for r in curve] == [None, 1200, 1184] and curve[0].estimate == 0.01
    assert curve[0].suppressed["n_treated"] == "secondary"
    assert _size_findings(controlled) == []
    assert any(e.table == "sensitivity.specification_curve" for e in log.entries)


def test_effect_and_time_to_event_sizes_are_compared_with_the_design(doc):
    effects = (replace(doc.effects[0], n_treated=1181),) + doc.effects[1:]  # 3 persons without the outcome
    tte = (replace(doc.time_to_event[0], n={"treated": 1184, "control": 1187}),)
    d = replace(doc, effects=effects, time_to_event=tte)
    found = _size_findings(d)
    assert any("effects" in f and f.endswith("= 3") for f in found)
    assert any("time_to_event" in f and f.endswith("= 3") for f in found)
    controlled, _ = control_document(d)
    assert controlled.effects[0].n_treated is None and controlled.effects[0].estimate is not None
    assert controlled.time_to_event[0].n == {"treated": 1184, "control": None}
    assert _size_findings(controlled) == []


def _journeys_doc(doc: ResultsDocument) -> ResultsDocument:
    from evaltool.results.process import ContrastRow, DistributionRow, JourneysBlock, TransitionTable

    # 40 treated start in state a, 10 in b; 36 stay in a, 4 move to b; the comparison group likewise with 30 / 20
    tables = (TransitionTable("treated", 0, 1, ("a", "b"), counts=((36, 4), (0, 10)), shares=((0.9, 0.1), (0, 1))),
              TransitionTable("comparison", 0, 1, ("a", "b"), counts=((24, 6), (0, 20)),
                              shares=((0.8, 0.2), (0, 1))))
    dist = tuple(DistributionRow(g, 0, st, share=k / 50, n=50)
                 for g, ks in (("treated", (40, 10)), ("comparison", (30, 20))) for st, k in zip("ab", ks))
    contrast = ContrastRow("a", "b", estimate=0.1 - 0.2, std_error=0.08, ci_low=-0.26, ci_high=0.06, p_value=0.2,
                           p_treated=4 / 40, p_control=6 / 30, n_treated=40, n_control=30)
    jr = JourneysBlock(states=("a", "b"), period="quarter", transitions=tables, contrasts=(contrast,),
                       distribution=dist)
    return replace(doc, journeys=jr)


def test_a_transition_contrast_does_not_give_back_a_hidden_transition_count(doc):
    d = _journeys_doc(doc)
    a = Attack(5)
    from attacker_cross import attack_process

    attack_process(d, a, "doc")
    assert "doc: journeys contrast a -> b p_treated x person-periods (share x n) = 4" in a.findings
    controlled, log = control_document(d)
    a = Attack(5)
    attack_process(controlled, a, "doc")
    assert a.findings == []
    c = controlled.journeys.contrasts[0]
    assert c.p_treated is None and c.p_control is None and c.estimate is None  # p_t = estimate + p_c otherwise
    assert any(e.table == "journeys.contrasts" for e in log.entries)


def test_process_sizes_are_compared_with_the_design(doc):
    from evaltool.results.process import ProcessEffectRow

    # 1182 treated with the process measure beside 1184 matched: 2 persons without it
    d = replace(doc, process=(ProcessEffectRow("meetings_held", estimate=1.0, n_treated=1182, n_control=1184),))
    assert any("process effects" in f and f.endswith("= 2") for f in _size_findings(d))
    controlled, _ = control_document(d)
    row = controlled.process[0]
    assert row.n_treated is None and row.n_control == 1184 and row.estimate == 1.0
    assert _size_findings(controlled) == []


def test_the_attacker_differences_a_midterm_and_a_final(doc):
    from attacker_followup import attack_followup

    doc, _ = control_document(doc)  # each safe alone (the raw fixture's subgroup sums clash with its sizes)
    by = list(doc.target_group.by)
    i = next(i for i, r in enumerate(by) if r.n_treated is not None and r.n_treated > 10)
    mid = replace(doc, target_group=replace(doc.target_group, by=tuple(
        replace(r, n_treated=r.n_treated - 3) if j == i else r for j, r in enumerate(by))))
    a = Attack(5)
    attack_followup(mid, doc, a)
    assert a.findings == [f"midterm vs final: target_group {by[i].variable}={by[i].level} n_treated "
                          f"({by[i].n_treated} - {by[i].n_treated - 3}) = 3"]
    a = Attack(5)
    attack_followup(doc, doc, a)
    assert a.findings == []


def test_a_final_is_controlled_against_its_midterm(doc):
    from attacker_followup import attack_followup

    by = list(doc.target_group.by)
    i = next(i for i, r in enumerate(by) if r.n_treated is not None and r.n_treated > 10)
    var = by[i].variable
    n = doc.design.n
    mid_raw = replace(doc, target_group=replace(doc.target_group, by=tuple(
        replace(r, n_treated=r.n_treated - 3) if j == i else r for j, r in enumerate(by))),
        design=replace(doc.design, n=replace(n, treated_unmatched=n.treated_unmatched - 2)))
    mid, _ = control_document(mid_raw)
    alone, _ = control_document(doc)
    a = Attack(5)
    attack_followup(mid, alone, a)
    assert any(f"{var}={by[i].level} n_treated" in f for f in a.findings)  # each safe alone, not as a pair
    assert any("treated_unmatched" in f for f in a.findings)
    fin, log = control_document(doc, earlier=mid)
    a = Attack(5)
    attack_followup(mid, fin, a)
    assert a.findings == []
    levels = [r for r in fin.target_group.by if r.variable == var]
    hidden = [r for r in levels if r.n_treated is None]
    assert len(hidden) >= 2 and sum(r.n_treated for r in doc.target_group.by
                                    if r.variable == var and r.level in {h.level for h in hidden}) >= 5
    assert fin.design.n.treated_all is None and fin.design.n.treated_unmatched is None
    assert any("midterm" in e.reason for e in log.entries)
    a = Attack(5)
    attack_document(fin, a)
    assert a.findings == []  # and the final alone stays safe


def test_a_curve_controlled_by_the_earlier_rule_is_not_pooled_from_missing_events():
    pts = list(_curve().km)
    pts[1] = replace(pts[1], events=None)  # as results.json written before the pooling rule
    out = pool_km(_Controller(DisclosureRules(), ""), replace(_curve(), km=tuple(pts)))
    assert out.km[1].survival is None
    assert [p.survival for p in out.km if p.survival is not None] == [p.survival for p in _curve().km
                                                                      if p.week != 1]
