"""The simulator: determinism, chunk invariance, consistency with the panel, truth (evaltool.simulate)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import DataError
from evaltool.registers import OutcomeSpec, derive_outcomes, history_covariates
from evaltool.simulate import OUTCOME_DEFINITIONS, panel_for, simulate_study, true_effects, write_simulation


@pytest.fixture(scope="module")
def sim():
    return simulate_study(n=4000, seed=7)


def test_files_byte_identical_and_chunk_invariant(tmp_path, sim):
    a = write_simulation(tmp_path / "a", n=1500, seed=5, chunk_persons=400)
    b = write_simulation(tmp_path / "b", n=1500, seed=5, chunk_persons=400)
    assert [p.name for p in a] == ["persons.parquet", "weekly_status.parquet", "areas.parquet", "truth.json"]
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.name
    c = write_simulation(tmp_path / "c", n=1500, seed=5, chunk_persons=1500)
    pa, pc = (pd.read_parquet(p[1]) for p in (a, c))
    pd.testing.assert_frame_equal(pa, pc)
    mem = simulate_study(n=1500, seed=5)
    pd.testing.assert_frame_equal(pa, mem.weekly_status)
    pd.testing.assert_frame_equal(pd.read_parquet(a[0]), mem.persons, check_dtype=False)
    truth = json.loads(a[3].read_text())
    assert list(truth) == sorted(truth)
    assert truth["att"]["internship_or_wage_subsidy_52w"] == 0.02
    other = write_simulation(tmp_path / "d", n=1500, seed=6, panel=False)
    assert [p.name for p in other] == ["persons.parquet", "areas.parquet", "truth.json"]
    assert other[0].read_bytes() != a[0].read_bytes()


def test_formats(sim):
    p, w, areas = sim.persons, sim.weekly_status, sim.areas
    assert p["person_id"].is_unique and p["person_id"].is_monotonic_increasing
    assert set(p["outreach"].unique()) == {0, 1}
    assert str(w.dtypes["week"]) == "int32" and str(w.dtypes["code"]) == "int16"
    assert not w.duplicated(["person_id", "week"]).any()
    assert w.sort_values(["person_id", "week"]).index.equals(w.index)
    assert set(p["sex"]) == {"woman", "man"}
    assert set(p["benefit_type"]) <= {"kontanthjaelp", "uddannelseshjaelp", "integrationsydelse", "dagpenge",
                                      "sygedagpenge"}
    assert set(p.loc[p["outreach"] == 1, "served_by"]) == {"outreach"}
    assert set(p.loc[p["outreach"] == 1, "area"]).isdisjoint(set(p.loc[p["outreach"] == 0, "area"]))
    assert {"area", "year", "residents", "unemployment_rate", "outreach_start_year"} <= set(areas.columns)
    assert areas["outreach_start_year"].isna().any() and areas["outreach_start_year"].nunique() == 3
    assert sim.persons["outreach"].mean() == pytest.approx(0.25, abs=0.03)
    assert simulate_study(n=50, seed=1, panel=False).weekly_status is None


def test_history_columns_agree_with_panel(sim):
    h = history_covariates(sim.persons, sim.weekly_status, sim.code_map,
                           windows=((156, "public_support"), (156, "self_support")))
    np.testing.assert_allclose(h["public_support_share_156w"], sim.persons["prior_support_share"], atol=1e-12)
    np.testing.assert_allclose(h["self_support_share_156w"] * 156, sim.persons["prior_employment_weeks"], atol=1e-9)


def _specs():
    out = []
    for name, d in OUTCOME_DEFINITIONS.items():
        if d["kind"] == "time_to":
            out.append(OutcomeSpec(name, "time_to", tuple(d["categories"]), horizon=d["by_week"]))
        else:
            out.append(OutcomeSpec(name, d["kind"], tuple(d["categories"]), window=tuple(d.get("window") or ()) or None,
                                   week=d.get("week")))
    return out


def _binary(frame, specs):
    return pd.DataFrame({s.name: frame[f"{s.name}_event"] if s.kind == "time_to" else frame[s.name] for s in specs})


def test_oracle_effects_match_truth_in_a_covariate_subsample():
    """Individual effects (treated world - control world, same draws) average to the truth."""
    sim = simulate_study(n=30_000, seed=11)
    p = sim.persons
    sub = ((p["age"] >= 30) & (p["match_group"] == "aktivitetsparat")).to_numpy()
    specs = _specs()
    y = {w: _binary(derive_outcomes(p, panel_for(p, sim.latent, sim.code_map, w), sim.code_map, specs).frame, specs)
         for w in ("control", "treated")}
    diff = (y["treated"] - y["control"])[sub]
    truth = true_effects()
    for s in specs:
        d = diff[s.name]
        mc = max(d.std(ddof=1) / np.sqrt(len(d)), 1e-12)
        assert abs(d.mean() - truth[s.name]) <= 4 * mc, (s.name, d.mean(), truth[s.name], mc)
    assert (diff["ordinary_employment_52w"] == 0).all()  # exactly zero for every person
    # observed data equal the treated world for treated and the control world for the others
    obs = _binary(derive_outcomes(p, sim.weekly_status, sim.code_map, specs).frame, specs)
    t = p["outreach"].to_numpy() == 1
    pd.testing.assert_frame_equal(obs[t], y["treated"][t])
    pd.testing.assert_frame_equal(obs[~t], y["control"][~t])
    # and selection makes the naive comparison biased
    naive = obs[t]["self_support_26w"].mean() - obs[~t]["self_support_26w"].mean()
    assert naive < truth["self_support_26w"] - 0.05


def test_selection_on_prior_support(sim):
    p = sim.persons
    assert p.groupby("outreach")["prior_support_share"].mean().diff().iloc[-1] > 0.1


def test_bad_arguments():
    with pytest.raises(DataError, match="`n` must be an integer >= 1; got 0"):
        simulate_study(n=0)
    with pytest.raises(DataError, match="`treated_share` must be a number > 0.0"):
        simulate_study(n=10, treated_share=0)
    with pytest.raises(DataError, match="`world` must be one of"):
        panel_for(pd.DataFrame({"person_id": []}), {}, None, world="both")
