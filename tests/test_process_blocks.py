"""The five process blocks together: JSON-safe, same input -> same bytes, the documented keys,
and invariance of the mapping and journeys to the order of the persons' rows."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd

import evaltool
from evaltool.process import (CaseDurationSpec, ContactsSpec, CostSpec, JourneySpec, MappingSpec, ProcessStageResult,
                              run_case_duration, run_cost, run_journeys, run_mapping, run_process)
from evaltool.simulate import simulate_contacts, simulate_study


def _blocks(sim, persons, design):
    rng = sim.data_range
    w = design.weights.reindex(persons.index).to_numpy()
    pair = design.subclass.reindex(persons.index).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evaltool.EvaltoolWarning)
        m = run_mapping(persons, sim.weekly_status, sim.code_map, MappingSpec(reference_week=202440), data_range=rng)
        j = run_journeys(persons, sim.weekly_status, sim.code_map,
                         JourneySpec(contrasts=[("kontanthjaelp", "sygedagpenge")]), weights=w, cluster=pair,
                         data_range=rng)
        c = run_case_duration(persons, sim.weekly_status, sim.code_map, CaseDurationSpec(), weights=w, cluster=pair,
                              data_range=rng)
        p = run_process(simulate_contacts(sim.persons, 3), design, ContactsSpec())
        k = run_cost(CostSpec(cost_per_participant=38_000, outcomes=["meetings_held"]),
                     p.rows.rename(columns={"indicator": "outcome"}))
    return ProcessStageResult(mapping=m, journeys=j, case_duration=c, process=p, cost=k)


def test_blocks_are_json_safe_deterministic_and_documented():
    sim = simulate_study(n=1000, seed=3)
    persons = sim.persons.set_index("person_id", drop=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evaltool.EvaltoolWarning)
        design = evaltool.match(persons, "outreach", ["age", "C(origin)", "prior_support_share"],
                                exact=["match_group"])
    a = json.dumps(_blocks(sim, persons, design).to_dict(), allow_nan=False)
    b = json.dumps(_blocks(sim, persons, design).to_dict(), allow_nan=False)
    assert a == b
    d = json.loads(a)
    assert list(d) == ["mapping", "journeys", "case_duration", "process", "cost"]
    assert {"group", "from_period", "to_period", "states", "counts", "shares"} == set(d["journeys"]["transitions"][0])
    assert d["journeys"]["pathways"] and isinstance(d["process"], list)
    assert all({"indicator", "estimate", "ci_low", "ci_high"} <= set(r) for r in d["process"])
    assert set(d["case_duration"]["analyses"]) == {"exit", "first_offer"}
    assert d["cost"]["per_outcome"][0]["outcome"] == "meetings_held"
    assert "person_id" not in a  # no person ids or per-person tables in the blocks


def test_mapping_and_journeys_ignore_row_order():
    sim = simulate_study(n=800, seed=4)
    persons = sim.persons.set_index("person_id", drop=False)
    shuffled = persons.iloc[np.random.default_rng(0).permutation(len(persons))]
    spec = MappingSpec(reference_week=202440, by=["area", "benefit"])
    r1 = run_mapping(persons, sim.weekly_status, sim.code_map, spec, data_range=sim.data_range)
    r2 = run_mapping(shuffled, sim.weekly_status, sim.code_map, spec, data_range=sim.data_range)
    pd.testing.assert_frame_equal(r1.crosstab, r2.crosstab)
    pd.testing.assert_frame_equal(r1.timeline, r2.timeline)
    js = JourneySpec(follow_up_weeks=26)
    j1 = run_journeys(persons, sim.weekly_status, sim.code_map, js, data_range=sim.data_range).to_dict()
    j2 = run_journeys(shuffled, sim.weekly_status, sim.code_map, js, data_range=sim.data_range).to_dict()
    assert j1["transitions"] == j2["transitions"]
    assert [p["pathway"] for p in j1["pathways"]] == [p["pathway"] for p in j2["pathways"]]
