"""Every record of the process and sensitivity blocks declares its person counts to the gate (no guessing).

The folder gate's generic pass (report/disclosure_protocol.py) falls back to field names for a record
type nobody registered. The process blocks (journeys, case duration, process effects, cost, mapping)
and the sensitivity block are registered explicitly, so their counts are typed declarations.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import evaltool.report.gate  # noqa: F401  (imports every block's declarations)
from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_protocol import REGISTRY, fields_of, generic_pass
from evaltool.results import process, sensitivity
from evaltool.results._record import Record
from evaltool.results.process import ContrastRow, DurationAnalysis, JourneysBlock


def _records(module) -> list[type]:
    return [cls for cls in vars(module).values() if inspect.isclass(cls) and issubclass(cls, Record)
            and cls.__module__ == module.__name__]


@pytest.mark.parametrize("module", [process, sensitivity], ids=lambda m: m.__name__)
def test_every_record_is_registered(module):
    missing = [cls.__name__ for cls in _records(module) if cls not in REGISTRY]
    assert len(_records(module)) >= 8 and missing == []


def test_declared_counts_are_the_person_counts():
    assert fields_of(DurationAnalysis)[0].counts == ("n_treated", "n_control", "events_treated", "events_control")
    # areas and designs are not persons: a cluster row's n_clusters is not a person count
    assert fields_of(sensitivity.ClusterRow)[0].counts == ()
    assert fields_of(sensitivity.SpecCurveRow)[0].counts == ("n_treated", "n_control")
    names = {f.name for cls in _records(process) for f in dataclasses.fields(cls)}
    assert "events_treated" in names  # a count the name-based fallback would have missed


def test_the_gate_does_not_guess_for_process_records():
    journeys = JourneysBlock(contrasts=(ContrastRow("a", "b", estimate=0.1, p_treated=0.5, p_control=0.4,
                                                    n_treated=3, n_control=40),))
    duration = process.CaseDurationBlock(analyses=(DurationAnalysis("exit", 40, 40, 2, 30),))
    c = _Controller(DisclosureRules(), "")
    contrast = generic_pass(journeys, c).contrasts[0]
    assert contrast.n_treated is None and contrast.p_treated is None and contrast.estimate is None
    assert contrast.p_control == 0.4
    assert generic_pass(duration, c).analyses[0].events_treated is None  # not a fallback name: declared
    assert c.entries and not [e for e in c.entries if "fallback" in e.reason]
