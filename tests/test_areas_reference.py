"""Area estimators against reference software (R did / csdid, plm, sandwich, synthdid); see tests/fixtures/areas/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.areas import AreaSpec, run_area_analysis, validate_area_panel
from evaltool.areas.callaway_santanna import callaway_santanna
from evaltool.areas.synthetic import synth_estimate
from evaltool.areas.twfe import fit_twfe

FIX = Path(__file__).parent / "fixtures" / "areas"
REF = json.loads((FIX / "references_did_synthdid.json").read_text())
MPDTA_SPEC = AreaSpec(unit="countyreal", time="year", outcome="lemp", first_treated="first.treat",
                      methods=["twfe", "callaway_santanna"], n_boot=0, n_permutations=0)


@pytest.fixture(scope="module")
def mpdta_cs():
    panel = validate_area_panel(pd.read_csv(FIX / "mpdta.csv"), MPDTA_SPEC)
    return callaway_santanna(panel)


def test_group_time_att_and_se_match_did(mpdta_cs):
    ref = REF["mpdta"]["callaway_santanna"]["full_precision_group_time_and_analytic_se"]["group_time"]
    cells = {(r.group, r.period): r for r in mpdta_cs.rows if r.aggregation is None}
    assert len(cells) == len(ref) == 12
    for c in ref:
        row = cells[(c["group"], c["time"])]
        assert row.estimate == pytest.approx(c["att"], abs=1e-10)
        assert row.std_error == pytest.approx(c["se"], abs=1e-10)


@pytest.mark.parametrize("agg", ["simple", "dynamic", "group", "calendar"])
def test_aggregations_match_did(mpdta_cs, agg):
    ref = REF["mpdta"]["callaway_santanna"]["full_precision_group_time_and_analytic_se"]["aggregates"][agg]
    rows = [r for r in mpdta_cs.rows if r.aggregation == agg]
    overall = [r for r in rows if r.event_time is None and r.group is None and r.period is None]
    assert len(overall) == 1
    assert overall[0].estimate == pytest.approx(ref["overall_att"], abs=1e-10)
    assert overall[0].std_error == pytest.approx(ref["overall_se"], abs=1e-10)
    if agg == "simple":
        return
    key = {"dynamic": "event_time", "group": "group", "calendar": "period"}[agg]
    parts = {getattr(r, key): r for r in rows if getattr(r, key) is not None}
    assert sorted(parts) == ref["egt"]
    for e, att, se in zip(ref["egt"], ref["att_egt"], ref["se_egt"]):
        assert parts[e].estimate == pytest.approx(att, abs=1e-10)
        assert parts[e].std_error == pytest.approx(se, abs=1e-10)


def test_readme_point_estimates(mpdta_cs):
    readme = REF["mpdta"]["callaway_santanna"]["readme_point_estimates_R_did_2.5.1"]
    dyn = {r.event_time: r.estimate for r in mpdta_cs.rows if r.aggregation == "dynamic" and r.event_time is not None}
    for e, v in readme["dynamic_event_time"].items():
        assert round(dyn[int(e)], 4) == pytest.approx(v, abs=1e-12)


def test_twfe_mpdta_matches_plm():
    res = run_area_analysis(pd.read_csv(FIX / "mpdta.csv"), MPDTA_SPEC, seed=1)
    ref = REF["mpdta"]["twfe_plm"]
    rows = [r for r in res.estimates if r.estimator == "twfe"]
    assert rows[0].estimate == pytest.approx(ref["estimate"], abs=1e-9)
    assert rows[0].std_error == pytest.approx(ref["se_arellano_HC1_cluster_county"], abs=1e-9)
    assert rows[1].std_error == pytest.approx(ref["se_classical"], abs=1e-9)
    assert "arellano HC1" in rows[0].se_type


def test_twfe_simulated_panel_matches_plm_and_sandwich():
    ref = json.loads((FIX / "plm_twfe.json").read_text())
    data = pd.read_csv(FIX / "sim_staggered_panel.csv")
    fit = fit_twfe(validate_area_panel(data, AreaSpec()))
    assert fit.params[0] == pytest.approx(ref["unweighted"]["estimate"], abs=1e-10)
    assert fit.se_cluster[0] == pytest.approx(ref["unweighted"]["se_arellano_HC1_cluster_group"], abs=1e-10)
    assert np.sqrt(fit.vcov_classical[0, 0]) == pytest.approx(ref["unweighted"]["se_classical"], abs=1e-10)
    wfit = fit_twfe(validate_area_panel(data, AreaSpec(weights="residents")), weighted=True)
    assert wfit.params[0] == pytest.approx(ref["weighted_lm"]["estimate"], abs=1e-10)
    assert wfit.se_cluster[0] == pytest.approx(ref["weighted_lm"]["se_cluster_plm_HC1_convention"], abs=1e-10)
    assert np.sqrt(wfit.vcov_classical[0, 0]) == pytest.approx(ref["weighted_lm"]["se_classical"], abs=1e-10)


@pytest.fixture(scope="module")
def prop99():
    d = pd.read_csv(FIX / "california_prop99.csv", sep=";")
    d = d.assign(first=np.where(d["State"] == "California", 1989, 0))
    return d


@pytest.mark.parametrize("method,key", [("synthetic_did", "synthdid_estimate"),
                                        ("synthetic_control", "sc_estimate"), ("did", "did_estimate")])
def test_prop99_matches_synthdid(prop99, method, key):
    y = prop99.pivot(index="State", columns="Year", values="PacksPerCapita")
    order = sorted(s for s in y.index if s != "California") + ["California"]
    fit = synth_estimate(y.loc[order].to_numpy(), len(order) - 1, 1989 - 1970, method)
    assert fit.estimate == pytest.approx(REF["california_prop99"]["synthdid_R"][key], abs=1e-4)
    if method != "did":
        assert fit.omega.sum() == pytest.approx(1.0) and (fit.omega >= 0).all()


def test_prop99_did_2x2_matches_synthdid_did(prop99):
    spec = AreaSpec(unit="State", time="Year", outcome="PacksPerCapita", first_treated="first",
                    methods=["did_2x2"], n_boot=0, n_permutations=0)
    res = run_area_analysis(prop99, spec, seed=1)
    assert res.get("did_2x2").estimate == pytest.approx(REF["california_prop99"]["synthdid_R"]["did_estimate"],
                                                        abs=1e-6)


@pytest.mark.parametrize("method", ["synthetic_did", "synthetic_control"])
def test_two_treated_areas_match_synthdid(method):
    """N1 = 2 (treated rows averaged) against R synthdid on the simulated Fredericia panel."""
    ref = json.loads((FIX / "synthdid_fredericia.json").read_text())
    data = pd.read_csv(FIX / "sim_fredericia_panel.csv")
    res = run_area_analysis(data, AreaSpec(methods=[method, "did_2x2"], n_boot=0, n_permutations=0, n_placebo=0),
                            seed=1)
    assert res.get(method).estimate == pytest.approx(ref["estimates"][method], abs=1e-6)
    assert res.get("did_2x2").estimate == pytest.approx(ref["estimates"]["did"], abs=1e-10)
    ours = {w["unit"]: w["weight"] for w in res.donor_weights}
    for unit, w in ref["omega"][method].items():
        assert ours.get(unit, 0.0) == pytest.approx(w, abs=1e-4)


@pytest.mark.parametrize("multiplier", ["mammen", "rademacher"])
def test_multiplier_bootstrap_se_near_analytic(multiplier):
    """Bootstrap SEs (IQR-based, as did's mboot) estimate the analytic SEs: with B = 999 the relative
    Monte-Carlo error of an IQR-based SE is about 0.05, so 0.2 is four MC SEs."""
    panel = validate_area_panel(pd.read_csv(FIX / "mpdta.csv"), MPDTA_SPEC)
    cs = callaway_santanna(panel, n_boot=999, multiplier=multiplier, rng=np.random.default_rng(7))
    analytic = {r.event_time: r.std_error for r in cs.rows if r.aggregation == "dynamic" and r.event_time is not None}
    assert len(cs.uniform_band) == len(analytic) == 7
    for b in cs.uniform_band:
        assert b["std_error_boot"] / analytic[b["event_time"]] == pytest.approx(1.0, abs=0.2)
        assert b["ci_low"] < b["estimate"] < b["ci_high"]
    # sup-t critical value over 7 correlated event times: above the pointwise 1.96, below Bonferroni 2.69
    assert 1.96 < cs.uniform_crit < 2.69
