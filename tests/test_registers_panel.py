"""Registers on simulated panels: DuckDB = pandas, trajectories, declared coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import RegisterError
from evaltool.registers import OutcomeSpec, derive_outcomes, load_code_map, trajectories
from evaltool.simulate import simulate_study, write_simulation
from evaltool.weeks import add_weeks

ROOT = Path(__file__).resolve().parents[1]

STANDARD = [
    OutcomeSpec(f"{name}_{h}w", kind, cats, window=(1, h) if kind in ("any", "share") else None,
                week=h if kind == "status_at" else None, horizon=h if kind == "time_to" else None)
    for h in (26, 52, 104)
    for name, kind, cats in (
        ("placement_any", "any", ("placement",)),
        ("selfsup_any", "any", ("self_support",)),
        ("selfsup_at", "status_at", ("self_support",)),
        ("public_share", "share", ("public_support",)),
        ("selfsup_tt", "time_to", ("selvforsoergelse",)),
        ("sick_or_self_tt", "time_to", ("sygedagpenge", "self_support")),
    )
]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    paths = write_simulation(out, n=3000, seed=21, chunk_persons=1000)
    return {p.name: p for p in paths}


def test_duckdb_over_parquet_equals_pandas(written):
    persons = pd.read_parquet(written["persons.parquet"])
    panel = pd.read_parquet(written["weekly_status.parquet"])
    cm = load_code_map(ROOT / "configs" / "codes_example.yaml")
    a = derive_outcomes(persons, panel, cm, STANDARD, engine="pandas")
    b = derive_outcomes(persons, str(written["weekly_status.parquet"]), cm, STANDARD)
    assert b.report["engine"] == "duckdb" and a.report["engine"] == "pandas"
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.report == {**b.report, "engine": "pandas"}
    # coverage comes from the parquet metadata, not from the rows
    assert a.report["data_range"] == b.report["data_range"]
    first = int(add_weeks(persons["start_week"].min(), -156))
    assert b.report["data_range"][0] == first
    # a glob works too, and persons in another order give the same rows per person
    c = derive_outcomes(persons.iloc[::-1], str(written["weekly_status.parquet"]).replace("weekly_", "weekly?"),
                        cm, STANDARD)
    pd.testing.assert_frame_equal(c.frame.sort_index(), b.frame)


def test_trajectories_sum_to_one_and_engines_agree(written):
    persons = pd.read_parquet(written["persons.parquet"])
    panel = pd.read_parquet(written["weekly_status.parquet"])
    cm = load_code_map(ROOT / "configs" / "codes_example.yaml")
    treat = persons.set_index("person_id")["outreach"]
    w = pd.Series(np.where(treat.to_numpy() == 1, 1.0, 0.5), index=treat.index)
    a = trajectories(persons, panel, cm, treat, weights=w, engine="pandas")
    b = trajectories(persons, str(written["weekly_status.parquet"]), cm, treat, weights=w)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    f = a.to_frame()
    assert list(f.columns) == ["group", "week", "category", "share", "n"]
    assert f["week"].min() == -52 and f["week"].max() == 156
    sums = f.groupby(["group", "week"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    assert a.categories[-1] == "self_support"
    at0 = f[(f["week"] == 0) & (f["category"] == "self_support")]
    assert (at0["share"] == 0).all()  # everyone is on benefit in the start week
    g = trajectories(persons, panel, cm, "outreach", categories=["placement"])
    assert g.categories == ("placement", "remaining", "self_support")
    # a Series on the persons' own row index works like one on person ids
    h = trajectories(persons, panel, cm, persons["outreach"], categories=["placement"])
    pd.testing.assert_frame_equal(g.to_frame(), h.to_frame())
    with pytest.raises(RegisterError, match="overlaps an earlier entry"):
        trajectories(persons, panel, cm, "outreach", categories=["public_support", "placement"])


def test_trajectories_hand_built_weights():
    cm = load_code_map(ROOT / "configs" / "codes_example.yaml")
    persons = pd.DataFrame({"person_id": [1, 2, 3], "start_week": [202050, 202050, 202101], "t": [1, 0, 0]})
    panel = pd.DataFrame({"person_id": [1, 1, 2, 3], "week": [202050, 202051, 202051, 202102],
                          "code": [130, 421, 130, 411]})
    res = trajectories(persons, panel, cm, persons.set_index("person_id")["t"],
                       weights=pd.Series([1.0, 3.0, 1.0], index=[1, 2, 3]), weeks=(0, 1),
                       categories=["kontanthjaelp", "placement"], data_range=(202040, 202110))
    f = res.to_frame().set_index(["group", "week", "category"])["share"]
    assert f[("treated", 0, "kontanthjaelp")] == 1.0
    assert f[("treated", 1, "placement")] == 1.0
    # comparison week 1: person 2 (weight 3) on kontanthjaelp, person 3 (weight 1) in wage subsidy
    assert f[("comparison", 1, "kontanthjaelp")] == pytest.approx(0.75)
    assert f[("comparison", 1, "placement")] == pytest.approx(0.25)
    assert f[("comparison", 0, "self_support")] == pytest.approx(1.0)
    assert res.to_frame()["n"].max() == 2
    with pytest.raises(RegisterError, match=r"`weights` has no value for 1 person"):
        trajectories(persons, panel, cm, "t", weights=pd.Series([1.0, 1.0], index=[1, 2]))


def test_simulated_in_memory_panel_declares_coverage():
    sim = simulate_study(n=400, seed=3)
    spec = [OutcomeSpec("h", "share", ("public_support",), window=(-156, -1))]
    res = derive_outcomes(sim.persons, sim.weekly_status, sim.code_map, spec)
    assert res.report["data_range"] == list(sim.data_range)
    np.testing.assert_allclose(res.frame["h"], sim.persons["prior_support_share"])
