"""Target-group mapping on a hand-built panel: counts, shares, flags, margins, entitlement bands,
the exhaustion timeline and participants' starts; and the cost block (hand-worked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from evaltool.exceptions import DataError, EstimationError
from evaltool.process import CostSpec, MappingSpec
from evaltool.process.cost import cost_per_additional, run_cost
from evaltool.process.mapping import run_mapping
from evaltool.process.result import ProcessStageResult
from evaltool.registers import default_code_map_path, load_code_map
from evaltool.weeks import add_weeks

CM = load_code_map(default_code_map_path())
REF = 202420


def _world():
    """12 residents: 7 on dagpenge in area A (5 jobparat), 3 on kontanthjaelp in B, 1 self-supported, 1 sick."""
    n = 12
    persons = pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "area": ["A"] * 7 + ["B"] * 3 + ["A", "B"],
        "match_group": ["jobparat"] * 5 + ["aktivitetsparat"] * 2 + ["aktivitetsparat"] * 3 + ["jobparat"] * 2,
        "outreach": [1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0],
        "start_week": [202401, 202402, 202401, 202401, 202401, 202401, 202401, 202415, 202416, 202401, 202401, 202401],
    })
    rows = []
    # dagpenge persons 1-7: person k has 96 + k weeks up to and including REF (remaining 8 - k)
    for k in range(1, 8):
        for j in range(96 + k):
            rows.append((k, int(add_weeks(REF, -j)), 111))
    for k in (8, 9, 10):
        rows.append((k, REF, 130))
    rows.append((12, REF, 890))
    return persons, pd.DataFrame(rows, columns=["person_id", "week", "code"])


def test_mapping_counts_flags_and_entitlement():
    persons, panel = _world()
    spec = MappingSpec(reference_week=REF, by=["area", "benefit", "match_group"], min_cell=5)
    r = run_mapping(persons, panel, CM, spec, data_range=(201801, 202552))
    assert r.n_mapped == 10  # the self-supported and the sick resident are not in the target group
    ct = r.crosstab.set_index(["area", "benefit", "match_group"])
    assert ct.loc[("A", "dagpenge", "jobparat"), "n"] == 5
    assert ct.loc[("A", "dagpenge", "aktivitetsparat"), "n"] == 2
    assert ct.loc[("B", "kontanthjaelp", "aktivitetsparat"), "n"] == 3
    assert ct["n"].sum() == 10 and ct["share"].sum() == pytest.approx(1.0)
    assert ct.loc[("A", "dagpenge", "jobparat"), "share_in_area"] == pytest.approx(5 / 7)
    assert ct["below_min_cell"].tolist() == [True, False, True]
    assert r.margins["area"]["n"].tolist() == [7, 3]
    assert r.margins["benefit"]["below_min_cell"].tolist() == [False, True]
    # remaining weeks 7, 6, ..., 1: all in band 1-13; everyone exhausts within 7 weeks of REF
    ent = r.entitlement.set_index(["area", "remaining_band"])["n"]
    assert ent[("A", "1-13")] == 7 and ent.sum() == 7
    tl = r.timeline
    assert tl["n"].sum() == 7
    # REF = 2024-W20 (Monday 13 May); last weeks W21..W27 -> May (W21, W22), June (W23-W26), July (W27)
    assert tl.set_index("month").loc[["2024-05", "2024-06", "2024-07"], "n"].tolist() == [2, 4, 1]
    assert r.starts.set_index("period")["n"].to_dict() == {"2024-Q1": 2, "2024-Q2": 2}
    d = r.to_dict()
    assert d["crosstab"][0]["below_min_cell"] is True and "disclosure gate" in d["disclosure"]
    assert "MappingResult(reference_week=202420" in repr(r) and "person" not in repr(r)


def test_mapping_errors():
    persons, panel = _world()
    with pytest.raises(DataError, match=r"mapping.by: column\(s\) education not found in persons"):
        run_mapping(persons, panel, CM, MappingSpec(reference_week=REF), data_range=(201801, 202552))
    with pytest.raises(ValidationError, match="`by` names a column twice"):
        MappingSpec(reference_week=REF, by=["area", "area"])


def test_cost_hand_worked():
    # 38,000 - 21,000 = 17,000 extra per participant; +2 pp (1-3 pp): 850,000 per extra person,
    # Fieller CI [17,000/0.03, 17,000/0.01] = [566,667, 1,700,000]
    spec = CostSpec(cost_per_participant=38_000, comparison_cost_per_participant=21_000,
                    outcomes=["placement", "job", "harm"])
    effects = pd.DataFrame({"outcome": ["placement", "job", "harm"], "subgroup": [None] * 3,
                            "estimate": [2.0, 1.0, -3.0], "std_error": [0.5, 1.0, 0.5],
                            "ci_low": [1.0, -1.0, -4.0], "ci_high": [3.0, 3.0, -2.0], "unit": ["pp"] * 3})
    r = run_cost(spec, effects).rows.set_index("outcome")
    assert r.loc["placement", "cost_per_additional_estimate"] == pytest.approx(850_000)
    assert r.loc["placement", "cost_per_additional_ci_low"] == pytest.approx(17_000 / 0.03)
    assert r.loc["placement", "cost_per_additional_ci_high"] == pytest.approx(1_700_000)
    assert r.loc["job", "bounded"] == False and pd.isna(r.loc["job", "cost_per_additional_ci_high"])  # noqa: E712
    assert r.loc["job", "note"] == "not bounded: the effect CI includes 0"
    assert pd.isna(r.loc["harm", "cost_per_additional_estimate"])
    # delta method: 850,000 -/+ 1.96 * 17,000 * 0.005 / 0.02^2
    d = cost_per_additional(17_000, 0.02, 0.01, 0.03, 0.005, method="delta")
    assert d["ci_high"] - d["estimate"] == pytest.approx(1.959963985 * 17_000 * 0.005 / 0.0004)
    staff = CostSpec(cost_per_staff_year=600_000, participants_per_staff_year=40)
    assert staff.unit_cost == 15_000
    with pytest.raises(ValidationError, match="`cost_per_staff_year` needs `participants_per_staff_year`"):
        CostSpec(cost_per_staff_year=600_000)
    with pytest.raises(ValidationError, match="give either `cost_per_participant` or `cost_per_staff_year`"):
        CostSpec(cost_per_participant=1, cost_per_staff_year=2, participants_per_staff_year=3)
    with pytest.raises(EstimationError, match="cost.outcomes: no effect row for 'x'"):
        run_cost(CostSpec(cost_per_participant=1, outcomes=["x"]), effects)
    block = ProcessStageResult(cost=run_cost(spec, effects)).to_dict()
    assert list(block) == ["cost"] and block["cost"]["extra_cost_per_participant"] == 17_000


def test_example_config_sections_are_valid_specs():
    import yaml

    from evaltool.process import CaseDurationSpec, ContactsSpec, JourneySpec

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    text = (root / "configs" / "splejse_mapping.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    specs = {"mapping": MappingSpec, "journeys": JourneySpec, "case_duration": CaseDurationSpec,
             "contacts": ContactsSpec, "cost": CostSpec}
    built = {k: cls(**raw[k]) for k, cls in specs.items()}
    assert built["mapping"].entitlement.max_weeks == 104 and built["journeys"].n_periods == 4
    assert built["cost"].unit_cost == 38_000
