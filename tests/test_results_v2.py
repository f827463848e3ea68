"""results.json schema version 2 (issue 16): the process blocks are top-level, `process` is a list of effect
rows; a version-1 file is upgraded on reading (docs/results-schema.md, "Changes")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaltool.exceptions import DataError
from evaltool.results.process import ProcessEffectRow
from evaltool.results.schema import SCHEMA_VERSION, ResultsDocument, upgrade_v1

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "report" / "results_example.json"


def test_a_version_1_file_reads_as_version_2_and_keeps_its_process_means():
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1 and "journeys" not in raw
    doc = ResultsDocument.read(FIXTURE)
    assert doc.schema_version == SCHEMA_VERSION == 2
    assert len(doc.process) == len(raw["process"]) and all(isinstance(r, ProcessEffectRow) for r in doc.process)
    for old, new in zip(raw["process"], doc.process):
        assert (new.indicator, new.label, new.mean_treated, new.mean_control, new.n_treated, new.n_control) == (
            old["indicator"], old["label"], old["mean_treated"], old["mean_control"], old["n_treated"],
            old["n_control"])
        assert new.estimate is None and new.ci_low is None and new.source is None  # v1 had no uncertainty
    assert (doc.mapping, doc.journeys, doc.case_duration, doc.cost) == (None, None, None, None)
    text = doc.to_json()
    assert json.loads(text)["schema_version"] == 2
    assert ResultsDocument.from_dict(json.loads(text)).to_json() == text  # v2: written -> read -> written


def test_version_1_process_analyses_become_the_top_level_blocks():
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    effect = {"indicator": "no_show_rate", "subgroup": None, "level": None, "estimate": -4.1, "ci_low": -6.0,
              "ci_high": -2.2, "n_treated": 300, "n_control": 300, "unit": "pp"}
    cost = {"currency": "DKK", "cost_per_participant": 38000.0, "comparison_cost_per_participant": 21000.0,
            "extra_cost_per_participant": 17000.0, "method": "fieller", "per_outcome": []}
    raw["process_analyses"] = {"journeys": None, "case_duration": None, "effects": [effect], "cost": cost}
    before = json.dumps(raw)
    up = upgrade_v1(raw)
    assert json.dumps(raw) == before  # the input is not changed
    assert "process_analyses" not in up and up["cost"] == cost and "journeys" not in up
    doc = ResultsDocument.from_dict(raw)
    assert [r.indicator for r in doc.process][-1] == "no_show_rate"  # the effects follow the v1 means
    assert doc.process[-1].ci_high == -2.2 and doc.cost.extra_cost_per_participant == 17000.0
    keys = list(json.loads(doc.to_json()))
    assert keys[-5:] == ["mapping", "journeys", "case_duration", "cost", "comparison_designs"]


@pytest.mark.parametrize("version", [0, 3, "2"])
def test_other_versions_are_refused(version):
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    raw["schema_version"] = version
    with pytest.raises(DataError, match=rf"schema_version 2 \(or 1\) expected; got {version!r}"):
        ResultsDocument.from_dict(raw)
