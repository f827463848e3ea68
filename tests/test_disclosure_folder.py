"""The folder gate: no count of 1-4 persons can be read or derived from any file of an output folder.

The attacker (tests/attacker.py) reads results.json, every CSV and the HTML reports' tables and
reconstructs cells from every published margin. It must find small counts in raw results (so it
can fail) and none in gated folders of random small studies (the property test; 1,000 studies in
benchmarks/bench_disclosure_attack.py, result recorded in docs/disclosure.md).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from attacker import Attack, attack, attack_document, attack_midterm_final, gated_study_folder
from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_protocol import generic_pass, register
from evaltool.report.gate import control_document
from evaltool.results._record import Record
from evaltool.results.schema import ResultsDocument

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results_example.json"


@pytest.fixture(scope="module")
def fixture_doc() -> ResultsDocument:
    return ResultsDocument.read(FIXTURE)


def _findings(doc: ResultsDocument) -> list[str]:
    a = Attack(5)
    attack_document(doc, a)
    return a.findings


def test_attacker_finds_small_counts_in_raw_results(fixture_doc):
    found = _findings(fixture_doc)
    # the fixture has 7 unmatched treated (1191 - 1184: not small) but a 3-person subgroup level
    assert any("subgroups" in f for f in found)
    assert found, "the attacker must be able to fail"


def test_fixture_controlled_by_the_gate_resists_the_attacker(fixture_doc):
    controlled, log = control_document(fixture_doc, DisclosureRules(min_cell=5))
    assert _findings(controlled) == []
    assert len(log) > 0 and {"count", "n", "secondary"} <= set(log.to_frame()["rule"])


def test_unmatched_difference_is_hidden_everywhere(fixture_doc):
    n = replace(fixture_doc.design.n, treated_all=1187, treated_unmatched=3)
    doc = replace(fixture_doc, design=replace(fixture_doc.design, n=n),
                  data_report=replace(fixture_doc.data_report, n_treated=1187),
                  target_group=replace(fixture_doc.target_group, n_treated=1187))
    assert any("all - matched" in f for f in _findings(doc))
    controlled, log = control_document(doc)
    assert controlled.design.n.treated_all is None and controlled.data_report.n_treated is None
    assert controlled.target_group.n_treated is None
    assert not [f for f in _findings(controlled) if "all - matched" in f]
    assert "treated: all - matched is below 5" in set(log.to_frame()["reason"])


def test_km_steps_with_few_events_or_censorings_are_hidden(fixture_doc):
    block = fixture_doc.time_to_event[0]
    points = list(block.km)
    # week 2: 1184 - 9 - 1172 = 3 persons censored between steps 1 and 2
    assert any("left the risk set" in f for f in _findings(fixture_doc))
    controlled, _log = control_document(fixture_doc)
    shown = [p for p in controlled.time_to_event[0].km if p.at_risk is not None]
    assert len(shown) < len(points)
    assert not [f for f in _findings(controlled) if "KM" in f]


@dataclass(frozen=True)
class _AreaRow(Record):
    area: str
    residents: int | None = None
    rate: float | None = None


@dataclass(frozen=True)
class _Unregistered(Record):
    label: str
    n_persons: int | None = None


@dataclass(frozen=True)
class _Block(Record):
    rows: tuple = ()
    other: tuple = ()


def test_a_new_block_declares_its_counts_and_margins():
    register(_AreaRow, counts=("residents",), shares={"rate": "residents"}, margin=())
    rows = (_AreaRow("a", 3, 0.5), _AreaRow("b", 40, 0.5), _AreaRow("c", 50, 0.02), _AreaRow("d", 60, 0.5))
    c = _Controller(DisclosureRules(), "")
    out = generic_pass(_Block(rows=rows, other=(_Unregistered("x", 2), _Unregistered("y", 9))), c)
    a, b, cc, d = out.rows
    assert a.residents is None and a.suppressed["residents"] == "count"
    assert cc.rate is None  # 0.02 x 50 = 1 person
    # margin=() groups every row in one breakdown: the next-smallest (b, 40) is hidden too
    assert b.residents is None and b.suppressed["residents"] == "secondary" and d.residents == 60
    assert out.other[0].n_persons is None and out.other[1].n_persons == 9  # fallback by field name
    reasons = [e.reason for e in c.entries]
    assert any("unregistered record" in r for r in reasons)


def test_register_refuses_unknown_fields():
    with pytest.raises(ValueError, match=r"no field\(s\) \['resident'\]"):
        register(_AreaRow, counts=("resident",))


# Regression cases, replayed as first drawn (100-600 persons, the demo's replicates). 12: the specification
# with no caliper matched 51 treated beside the main design's 50 (1 person dropped by the caliper), and a
# Kaplan-Meier step with its 2 events hidden kept its survival 0.96 of 50 at risk (found by the cross-block
# attacks of tests/attacker_cross.py). 1121: a two-way cluster variance that came out negative.
@pytest.mark.parametrize("seed", [12, 13, 1121])
def test_random_small_study_folder_resists_the_attacker(seed, tmp_path):
    folder = gated_study_folder(seed, tmp_path / "out", low=100, fast=False)
    assert folder is not None, "the random study was refused"
    _assert_safe(folder)


# Found by the recorded bench run (docs/disclosure.md), 50-600 persons: study 1060 (99 of 100 simulated
# persons kept: the one dropped row's count was hidden, but n_read - n_used gave it back).
def test_random_study_1060_dropped_rows_vs_n_read(tmp_path):
    folder = gated_study_folder(1060, tmp_path / "out")
    assert folder is not None, "the random study was refused"
    raw = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert raw["data_report"]["n_read"] is None and raw["data_report"]["n_used"] == 99
    _assert_safe(folder)


# Study 1046 (60 persons, about 9 treated, caliper 0.1 within match groups) crashed with a ZeroDivisionError in
# the cluster-robust variance (as many coefficients as units); now the study ends with a one-line evaltool error.
def test_random_study_1046_ends_with_an_evaltool_error_not_a_crash(tmp_path):
    assert gated_study_folder(1046, tmp_path / "out") is None


def _assert_safe(folder):
    assert attack(folder) == []
    raw = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert raw["config"]["min_cell"] == 5
    assert (folder / "trajectories.csv").is_file() and (folder / "tables" / "target_group.csv").is_file()


# The full property run is 1,000 studies (about 10-25 s each on the shared machine: EVALTOOL_ATTACK_STUDIES=1000, or
# benchmarks/bench_disclosure_attack.py); the suite runs a few so CI stays within its time.
ATTACK_STUDIES = int(os.environ.get("EVALTOOL_ATTACK_STUDIES", "4"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1000 + ATTACK_STUDIES))
def test_random_small_study_folder_resists_the_attacker_many(seed, tmp_path):
    folder = gated_study_folder(seed, tmp_path / "out", reports=seed % 10 == 0)
    if folder is not None:  # a refused study (a one-line error) writes nothing to attack
        assert attack(folder) == []


def test_gated_results_json_round_trips(fixture_doc, tmp_path):
    controlled, _ = control_document(fixture_doc)
    path = tmp_path / "results.json"
    path.write_text(controlled.to_json(), encoding="utf-8")
    assert ResultsDocument.read(path).to_json() == controlled.to_json()
    assert control_document(fixture_doc)[0].to_json() == controlled.to_json()  # deterministic
    assert dataclasses.is_dataclass(controlled)


@pytest.mark.slow
def test_demo_folder_resists_the_attacker(tmp_path):
    from evaltool.study.demo import write_demo

    folder, _ = write_demo(tmp_path / "demo", n=600)
    assert sorted(p.name for p in folder.iterdir() if p.name != ".evaltool-output") == ["final", "midterm"]
    assert attack(folder) == []
    # the final is controlled against the midterm (report/disclosure_followup.py): before, differencing the two
    # gave 5 counts of 3-4 on this demo (e.g. a housing area's treated persons, 14 in the final vs 11 in the
    # midterm; found by tests/attacker_followup.py on 2026-12-02)
    assert attack_midterm_final(folder) == []
