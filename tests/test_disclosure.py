"""Disclosure control: primary and secondary suppression, rounding, log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltool.report.disclosure import DisclosureRules, apply_disclosure, suppressed_fields
from evaltool.exceptions import EvaltoolError, ReportError
from evaltool.results.schema import ResultsDocument, TargetGroupBlock, TargetRow

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results_example.json"


@pytest.fixture(scope="module")
def results() -> ResultsDocument:
    return ResultsDocument.read(FIXTURE)


@pytest.fixture(scope="module")
def controlled(results):
    return apply_disclosure(results, DisclosureRules(min_cell=5))


def test_input_is_not_modified(results):
    before = results.to_json()
    apply_disclosure(results, DisclosureRules(min_cell=5, rounding=5))
    assert results.to_json() == before == ResultsDocument.read(FIXTURE).to_json()


def test_three_person_subgroup_is_suppressed_and_logged(controlled):
    out, log = controlled
    rows = [s for s in out.subgroups if s.level == "uddannelsesparat"]
    assert len(rows) == 2
    for s in rows:
        assert s.n_treated is None and s.estimate is None and s.mean_treated is None
        assert s.ci_low is None and s.p_value is None
        assert suppressed_fields(s)["estimate"] == "n"
    frame = log.to_frame()
    hit = frame[(frame["table"] == "subgroups") & frame["row"].str.contains("uddannelsesparat")]
    assert len(hit) == 2 and set(hit["rule"]) == {"n"}
    assert list(frame.columns) == ["table", "row", "column", "reason", "rule"]


def test_secondary_suppression_blocks_recovery_from_totals(results, controlled):
    out, _log = controlled
    # subgroups: the complement level of the same variable and outcome is hidden as a whole row
    for outcome in ("internship_or_wage_subsidy_52w", "self_support_52w"):
        levels = [s for s in out.subgroups if s.outcome == outcome and s.variable == "match_group"]
        hidden = [s for s in levels if s.n_treated is None]
        assert len(hidden) >= 2
        assert all(s.mean_treated is None and s.estimate is None for s in hidden)
        orig = {s.level: s.n_treated for s in results.subgroups
                if s.outcome == outcome and s.variable == "match_group"}
        assert sum(orig[s.level] for s in hidden) >= 5
    # target group: total minus visible cells no longer gives the 3-person cell
    by = [r for r in out.target_group.by if r.variable == "match_group"]
    hidden = [r for r in by if r.n_treated is None]
    assert {r.level for r in hidden} >= {"uddannelsesparat"} and len(hidden) >= 2
    assert all(r.share_treated is None for r in hidden)
    visible = sum(r.n_treated for r in by if r.n_treated is not None)
    assert out.target_group.n_treated - visible != 3
    # dropped rows: n_read - n_used is published, so the 2-person reason needs a complement
    assert [d.n for d in out.data_report.dropped] == [None, None]


def test_small_counts_and_small_n_statistics_hidden(controlled):
    out, _log = controlled
    for t in out.trajectories:
        if t.n is not None and t.share is not None:
            assert t.n >= 5 and (t.share == 0 or round(t.share * t.n) >= 5)
    for km in out.time_to_event[0].km:
        assert km.at_risk is None or km.at_risk >= 5
        assert km.events is None or km.events == 0 or km.events >= 5
    ps = out.propensity
    for series in ("treated", "control_all", "control_matched"):
        assert all(v is None or v == 0 or v >= 5 for v in getattr(ps, series))
    assert ps.treated[0] is None and "treated.0" in suppressed_fields(ps)


def test_rounding_to_base(results):
    out, log = apply_disclosure(results, DisclosureRules(min_cell=5, rounding=10))
    counts = [r.n_pool for r in out.target_group.by if r.n_pool is not None]
    assert counts and all(c % 10 == 0 for c in counts)
    assert all(e.n_treated % 10 == 0 for e in out.effects)
    assert (log.to_frame()["rule"] == "rounding").any()


def test_log_csv_is_byte_stable(results, tmp_path):
    a = apply_disclosure(results)[1].write_csv(tmp_path / "a.csv").read_bytes()
    b = apply_disclosure(results)[1].write_csv(tmp_path / "b.csv").read_bytes()
    assert a == b and a.startswith(b"table,row,column,reason,rule\n")


@pytest.mark.parametrize("kwargs, match", [({"min_cell": 0}, "min_cell"), ({"rounding": 1}, "rounding"),
                                           ({"min_cell": 2.5}, "min_cell")])
def test_rules_are_validated(kwargs, match):
    with pytest.raises(ReportError, match=match):
        DisclosureRules(**kwargs)
    assert issubclass(ReportError, EvaltoolError)


def test_non_document_refused(results):
    with pytest.raises(ReportError, match="must be a results document"):
        apply_disclosure([1, 2])
    with pytest.raises(ReportError, match="got dict"):
        apply_disclosure(results.to_dict())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=7), st.integers(2, 10))
def test_breakdown_never_recoverable(counts, m):
    by = tuple(TargetRow(variable="v", level=f"l{i}", n_treated=c, n_pool=100) for i, c in enumerate(counts))
    res = ResultsDocument(target_group=TargetGroupBlock(n_treated=sum(counts), n_pool=100 * len(counts), by=by))
    out, _ = apply_disclosure(res, DisclosureRules(min_cell=m))
    cells = out.target_group.by
    hidden = [counts[i] for i, r in enumerate(cells) if r.n_treated is None]
    shown = [r.n_treated for r in cells if r.n_treated is not None]
    assert all(v == 0 or v >= m for v in shown)           # no small count published
    if hidden and len(hidden) < len(counts):
        assert len(hidden) >= 2 and sum(hidden) >= m      # total minus shown cells reveals nothing small


def test_small_numbers_in_messages_are_masked_and_logged(results):
    res = replace(results, warnings=("3 of 209 treated units were not matched (caliper 0.2); estimand ATM",
                                     "|SMD| > 0.1 after adjustment for: age (-0.113)",
                                     "outcome 'y': 12 units of the design have no value"))
    out, log = apply_disclosure(res)
    assert out.warnings[0].startswith("<5 of 209 treated units") and "caliper 0.2" in out.warnings[0]
    assert out.warnings[1:] == res.warnings[1:]
    frame = log.to_frame()
    assert (frame["table"] == "warnings").sum() == 1
    assert res.warnings[0].startswith("3 of")  # input untouched


def test_small_single_counts_in_the_data_report_are_hidden(results):
    res = replace(results, data_report=replace(results.data_report, persons_without_panel=3, pseudo_starts=2))
    out, log = apply_disclosure(res)
    assert out.data_report.persons_without_panel is None and out.data_report.pseudo_starts is None
    assert set(log.to_frame().query("table == 'data_report'")["column"]) >= {"persons_without_panel",
                                                                              "pseudo_starts"}
    res = replace(results, data_report=replace(results.data_report, persons_without_panel=0, pseudo_starts=40))
    out, _ = apply_disclosure(res)
    assert out.data_report.persons_without_panel == 0 and out.data_report.pseudo_starts == 40
