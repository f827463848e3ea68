"""Every record of the process and sensitivity blocks declares its person counts to the gate (no guessing).

The folder gate's generic pass (report/disclosure_protocol.py) falls back to field names for a record
type nobody registered. The process blocks (journeys, case duration, process effects, cost, mapping),
the sensitivity block and the area block are registered explicitly, so their counts are typed declarations.
The area records go further (issue 12): every numeric field is declared a person count or not one, and an
unregistered area record is an error, never a guess — so an area field added later without a declaration
fails here instead of passing the gate uncontrolled.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import evaltool.report.gate  # noqa: F401  (imports every block's declarations)
from evaltool.report.disclosure import DisclosureRules, _Controller
from evaltool.report.disclosure_protocol import REGISTRY, fields_of, generic_pass
from evaltool.results import areas, process, sensitivity
from evaltool.results._record import Record
from evaltool.results.process import ContrastRow, DurationAnalysis, JourneysBlock


def _records(module) -> list[type]:
    return [cls for cls in vars(module).values() if inspect.isclass(cls) and issubclass(cls, Record)
            and cls.__module__ == module.__name__]


@pytest.mark.parametrize("module", [process, sensitivity, areas], ids=lambda m: m.__name__)
def test_every_record_is_registered(module):
    missing = [cls.__name__ for cls in _records(module) if cls not in REGISTRY]
    assert len(_records(module)) >= 7 and missing == []


def _numeric_fields(cls: type) -> list[str]:
    """Fields typed int or float (optional or not): the fields that could hold a number of persons."""
    scalar = {"int", "float", "int | None", "float | None", "None | int", "None | float"}
    return [f.name for f in dataclasses.fields(cls) if str(f.type).replace("Optional[", "").rstrip("]") in scalar]


@pytest.mark.parametrize("cls", _records(areas), ids=lambda c: c.__name__)
def test_every_numeric_area_field_is_declared_a_person_count_or_not(cls):
    spec, known = fields_of(cls)
    declared = set(spec.counts) | set(spec.stats) | set(spec.shares) | set(spec.not_counts)
    assert known and [f for f in _numeric_fields(cls) if f not in declared] == []


def test_an_undeclared_area_field_or_record_is_an_error():
    @dataclasses.dataclass(frozen=True)
    class AreaResidents(Record):  # a record added to results/areas.py later, without a declaration
        unit: str
        residents: int | None = None

    @dataclasses.dataclass(frozen=True)
    class Holder(Record):
        rows: tuple = ()

    AreaResidents.__module__ = areas.__name__
    with pytest.raises(TypeError, match="AreaResidents declares no person counts"):
        generic_pass(Holder((AreaResidents("x", 3),)), _Controller(DisclosureRules(), ""))
    AreaResidents.__module__ = __name__  # elsewhere, the name-based fallback (here: nothing it recognises)
    assert generic_pass(Holder((AreaResidents("x", 3),)), _Controller(DisclosureRules(), "")).rows[0].residents == 3
    assert _numeric_fields(AreaResidents) == ["residents"]  # what the test above would require to be declared
    # a new field on a registered record: the test above fails (shown on a copy of the declared fields)
    spec, _ = fields_of(areas.AreaPopulation)
    declared = set(spec.counts) | set(spec.not_counts)
    assert set(_numeric_fields(areas.AreaPopulation)) <= declared
    assert not {*_numeric_fields(areas.AreaPopulation), "residents"} <= declared


def test_area_residents_are_declared_counts_and_areas_are_not_persons():
    block = areas.AreaBlock(n_units=12, n_treated_units=2, populations=(areas.AreaPopulation("a", 0, 3.0, 4.5),),
                            pretrend_test=areas.PretrendTest(n_leads=3, df=3),
                            estimates=(areas.AreaEstimateRow("twfe", n_units=12, n_treated_units=2),))
    c = _Controller(DisclosureRules(), "")
    out = generic_pass(block, c)
    assert out.populations[0].population_min is None and out.populations[0].population_mean is None
    # 2 treated areas and 3 lead periods are not persons (the name-based fallback hid them: n_treated_units, n_leads)
    assert (out.n_treated_units, out.estimates[0].n_treated_units, out.pretrend_test.n_leads) == (2, 2, 3)
    assert c.entries and not [e for e in c.entries if "fallback" in e.reason]


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
