"""Area shares from the weekly register (DuckDB) against a direct pandas count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import RegisterError
from evaltool.registers.area_shares import area_shares
from evaltool.simulate import simulate_study
from evaltool.weeks import to_ordinal, week_table


@pytest.fixture(scope="module")
def study():
    return simulate_study(n=400, seed=7)


def _residence(study):
    p = study.persons
    rng = np.random.default_rng(3)
    years = range(2021, 2025)
    areas = np.array(sorted(p["area"].unique()))
    rows = [(pid, int(y), a if rng.random() < 0.8 else areas[rng.integers(len(areas))])
            for pid, a in zip(p["person_id"], p["area"]) for y in years]
    return pd.DataFrame(rows, columns=["person_id", "year", "area"])


def test_shares_match_direct_count(study):
    res = _residence(study)
    cm = study.code_map
    cats = ["kontanthjaelp", "dagpenge"]
    out = area_shares(res, study.weekly_status, cm, cats, data_range=study.data_range)
    codes = {c for k in cats for c in cm.codes_for(k)}
    w = study.weekly_status
    lo, hi = study.data_range
    w = w[(w["week"] >= lo) & (w["week"] <= hi)].assign(year=lambda d: d["week"] // 100)
    hits = w[w["code"].isin(codes)].groupby(["person_id", "year"]).size().rename("n").reset_index()
    m = res.merge(hits, on=["person_id", "year"], how="left").fillna({"n": 0})
    weeks, _ = week_table()
    ords = to_ordinal(weeks)
    cov = weeks[(ords >= to_ordinal(np.array([lo]))[0]) & (ords <= to_ordinal(np.array([hi]))[0])]
    wpy = pd.Series(cov // 100).value_counts()
    g = m.groupby(["area", "year"]).agg(n=("n", "sum"), pop=("person_id", "nunique")).reset_index()
    g["share"] = g["n"] / (g["pop"] * g["year"].map(wpy))
    merged = out.merge(g, on=["area", "year"])
    assert len(merged) == len(out) == len(g) > 10
    np.testing.assert_allclose(merged["share_x"].to_numpy(), merged["share_y"].to_numpy(), rtol=1e-12)
    assert (merged["population"] == merged["pop"]).all()
    assert out["share"].between(0, 1).all() and out["share"].gt(0).any()


def test_self_support_is_the_complement(study):
    res = _residence(study)
    cm = study.code_map
    on = area_shares(res, study.weekly_status, cm, [c for c in cm.categories], data_range=study.data_range)
    off = area_shares(res, study.weekly_status, cm, ["self_support"], data_range=study.data_range)
    np.testing.assert_allclose(on["share"] + off["share"], 1.0, rtol=1e-12)


def test_residence_errors(study):
    res = _residence(study)
    with pytest.raises(RegisterError, match="column.*year"):
        area_shares(res.drop(columns="year"), study.weekly_status, study.code_map, ["dagpenge"])
    with pytest.raises(RegisterError, match="more than one `area`"):
        area_shares(pd.concat([res, res.head(1)]), study.weekly_status, study.code_map, ["dagpenge"])
    with pytest.raises(RegisterError, match="unknown category"):
        area_shares(res, study.weekly_status, study.code_map, ["nonsense"])


def test_register_panel_feeds_the_area_analysis(study):
    from evaltool.areas import AreaSpec, run_area_analysis
    from evaltool.simulate.population import OUTREACH_AREAS

    shares = area_shares(_residence(study), study.weekly_status, study.code_map, ["kontanthjaelp", "dagpenge"],
                         data_range=study.data_range, outcome="support_share")
    shares["start"] = shares["area"].map(OUTREACH_AREAS).fillna(0).astype(int)
    shares = shares[shares["start"].isin([0, 2023])]  # one start period, years 2021-2024
    res = run_area_analysis(shares, AreaSpec(outcome="support_share", first_treated="start", population="population",
                                             methods=["did_2x2", "twfe"], n_boot=0, n_permutations=0), seed=1)
    assert res.n_treated_units == sum(v == 2023 for v in OUTREACH_AREAS.values())
    assert np.isfinite(res.get("twfe").estimate) and res.populations[0]["population_min"] >= 1
