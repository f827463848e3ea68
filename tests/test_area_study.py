"""The area_panel section wired into config, `evaltool run` and results.json (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evaltool.config import load_config
from evaltool.exceptions import ConfigError, DataError
from evaltool.results.schema import ResultsDocument
from evaltool.study.run import run_study, validate_study, write_outputs

ROOT = Path(__file__).resolve().parents[1]
CFG = ROOT / "configs" / "fredericia_areas.yaml"
FAST = ["area_panel.n_boot=199", "area_panel.n_permutations=99", "area_panel.n_placebo=50"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    cfg = load_config(CFG, FAST)
    folder = tmp_path_factory.mktemp("areas") / "out"
    write_outputs(run_study(cfg), folder)
    return folder


def test_area_only_config_is_valid_and_builds_the_spec():
    cfg = load_config(CFG)
    assert cfg.area_only and cfg.data is None and cfg.design is None
    assert cfg.area_panel.spec().methods[-1] == "synthetic_did"
    assert validate_study(cfg)[0].startswith("area_panel: simulated (fredericia, 16 areas")


def test_spec_rules_name_file_and_line(tmp_path):
    text = CFG.read_text(encoding="utf-8").replace("reference_period: -1", "reference_period: 0")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.yaml:\d+: area_panel\.reference_period"):
        load_config(tmp_path / "a.yaml")


def test_exactly_one_source(tmp_path):
    text = CFG.read_text(encoding="utf-8").replace("  # path: data/", "  path: data/")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"area_panel: .*exactly one source.*path, simulate"):
        load_config(tmp_path / "a.yaml")


def test_area_only_rejects_person_sections(tmp_path):
    text = CFG.read_text(encoding="utf-8") + "subgroups: [sex]\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"subgroups: `subgroups` needs person data"):
        load_config(tmp_path / "a.yaml")


def test_panel_file_columns_checked_at_validate(tmp_path):
    from evaltool.simulate.areas import simulate_area_panel

    df, _ = simulate_area_panel(8, range(2010, 2018), "fredericia", -0.03, 1)
    df.drop(columns=["residents"]).to_csv(tmp_path / "areas.csv", index=False)
    text = CFG.read_text(encoding="utf-8").replace("  simulate: {", "  # simulate: {").replace(
        "  # path: data/fredericia_areas.csv", "  path: areas.csv")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "a.yaml")
    with pytest.raises(DataError, match=r"a\.yaml:\d+: area_panel\.path: areas\.csv has no column 'residents'"):
        validate_study(cfg)


def test_results_area_block_round_trips(out):
    text = (out / "results.json").read_text(encoding="utf-8")
    doc = ResultsDocument.read(out / "results.json")
    assert doc.area is not None and doc.area.outcome == "unemployment_rate"
    assert doc.to_json() == text
    assert {"report.html", "results.json", "tables", "disclosure_log.csv", "config.resolved.yaml"} <= \
        {p.name for p in out.iterdir()}
    est = pd.read_csv(out / "tables" / "area_estimates.csv")
    assert set(est["estimator"]) >= {"before_after", "did_2x2", "synthetic_control", "synthetic_did"}


def test_fredericia_raw_fall_beside_interval_covering_truth(out):
    """The raw fall is several times the effect; DiD / synthetic estimates cover the simulator's truth
    (truth = `effect: -0.03` of configs/fredericia_areas.yaml, written as simulation.area_truth)."""
    d = json.loads((out / "results.json").read_text(encoding="utf-8"))
    truth = d["simulation"]["area_truth"]["att_simple"]
    assert truth == -0.03
    raw = [r for r in d["area"]["before_after"] if r["unit"] == "Korskærparken"][0]
    assert raw["change"] < 2 * truth  # the raw fall is much larger than the effect
    for est in ("did_2x2", "synthetic_did"):
        row = next(r for r in d["area"]["estimates"] if r["estimator"] == est and r["event_time"] is None)
        assert row["ci_low"] <= truth <= row["ci_high"], (est, row)


def test_run_is_deterministic(out, tmp_path):
    again = tmp_path / "again"
    write_outputs(run_study(load_config(CFG, FAST)), again)
    assert (again / "results.json").read_bytes() == (out / "results.json").read_bytes()
