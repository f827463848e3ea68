"""Reference tests: evaltool.effects against R (sandwich 3.0.2 on MatchIt 4.7.2 designs; Matching 4.10-8).

Fixtures: tests/fixtures/effects/{sandwich,matching}.json, written by
tests/reference/effects_{sandwich,matching}.R (exact R calls and versions inside).
Tolerances: point estimates 1e-8 relative, standard errors 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from evaltool.effects import ai_variance, estimate
from test_effects_support import load, matching_design, matchit_design

SANDWICH = load("sandwich.json")
MATCHING = load("matching.json")
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
NO_REPLACE = [c for c in SANDWICH["cases"] if c != "lalonde_nearest_replace"]

# MatchIt 4.7.2 reference SEs (lm + sandwich::vcovCL(~subclass)), as published in its fixtures
MATCHIT_SE = {
    "lalonde_nearest_1to1": 705.229764061618,
    "lalonde_nearest_ratio2": 661.191009876752,
    "lalonde_nearest_exact_married": 704.474408447372,
    "lalonde_nearest_smallest": 765.642268242644,
    "lalonde_mahalanobis": 707.702633736132,
}


def _row(res):
    return res.effects.iloc[0]


@pytest.mark.parametrize("case", NO_REPLACE)
def test_cluster_se_equals_vcovCL(case):
    ref = SANDWICH["cases"][case]["difference"]
    row = _row(estimate(matchit_design(case), "re78", variance="cluster"))
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["se_cluster"], rel=1e-6)
    assert row["std_error"] == pytest.approx(MATCHIT_SE[case], rel=1e-6)
    assert row["variance"] == "cluster"


def test_default_variance_without_replacement_is_cluster():
    res = estimate(matchit_design("lalonde_nearest_1to1"), "re78")
    assert res.variance == "cluster"
    assert _row(res)["std_error"] == pytest.approx(705.229764061618, rel=1e-6)


@pytest.mark.parametrize("case", NO_REPLACE)
@pytest.mark.parametrize("kind", ["hc1", "hc3"])
def test_hc_se_equals_vcovHC(case, kind):
    ref = SANDWICH["cases"][case]["difference"]
    row = _row(estimate(matchit_design(case), "re78", variance=kind))
    assert row["std_error"] == pytest.approx(ref[f"se_{kind}"], rel=1e-6)


def test_hc3_with_replacement_uses_match_data_rows():
    ref = SANDWICH["cases"]["lalonde_nearest_replace"]["difference"]
    row = _row(estimate(matchit_design("lalonde_nearest_replace"), "re78", variance="hc3"))
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert row["std_error"] == pytest.approx(942.819702456908, rel=1e-6)


def test_two_way_cluster_with_replacement_equals_get_matches_vcovCL():
    ref = SANDWICH["cases"]["lalonde_nearest_replace"]["two_way"]
    row = _row(estimate(matchit_design("lalonde_nearest_replace"), "re78", variance="cluster"))
    assert row["estimate"] == pytest.approx(1991.61527351352, rel=1e-8)
    assert row["std_error"] == pytest.approx(918.597210995648, rel=1e-6)
    assert ref["se"] == pytest.approx(918.597210995648, rel=1e-12)


@pytest.mark.parametrize("case", NO_REPLACE)
def test_regression_adjustment_equals_lm_interactions(case):
    ref = SANDWICH["cases"][case]["regression"]
    design = matchit_design(case)
    row = _row(estimate(design, "re78", method="regression", covariates=COVS, variance="cluster"))
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["se_cluster"], rel=1e-6)
    hc3 = _row(estimate(design, "re78", method="regression", covariates=COVS, variance="hc3"))
    assert hc3["std_error"] == pytest.approx(ref["se_hc3"], rel=1e-6)


def test_regression_with_replacement_hc1():
    ref = SANDWICH["cases"]["lalonde_nearest_replace"]["regression"]
    row = _row(estimate(matchit_design("lalonde_nearest_replace"), "re78", method="regression",
                        covariates=COVS, variance="hc1"))
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["se_hc1"], rel=1e-6)


@pytest.mark.parametrize("case", ["ps_m1_att", "ps_m2_att", "ps_m1_atc", "cov_m1_att"])
def test_abadie_imbens_equals_Matching_on_its_own_matches(case):
    ref = MATCHING["cases"][case]
    design = matching_design(case)
    res = estimate(design, "re78")
    assert res.variance == "abadie_imbens"
    row = _row(res)
    assert row["estimate"] == pytest.approx(ref["est"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["se"], rel=1e-6)
    assert row["estimand"] == ref["estimand"]


def test_abadie_imbens_ate_core_equals_Matching():
    ref = MATCHING["cases"]["ps_m1_ate"]
    y = np.asarray(MATCHING["data"]["re78"])
    tr = np.asarray(MATCHING["data"]["treat"])
    it = np.asarray(ref["index_treated"]) - 1
    ic = np.asarray(ref["index_control"]) - 1
    w = np.asarray(ref["weights"])
    # Match() lists ATE rows by focal unit 1..n; each focal unit's weights sum to 1
    focal = np.empty(it.size, dtype=int)
    current, acc = -1, 1.0
    for r in range(it.size):
        if acc > 1 - 1e-9:
            current, acc = current + 1, 0.0
        focal[r] = current
        acc += w[r]
    assert np.all((focal == it) | (focal == ic))
    matched = np.where(focal == it, ic, it)
    est, var = ai_variance(y, focal, matched, w, focal_treated=tr[focal] == 1, ate=True)
    assert est == pytest.approx(ref["est"], rel=1e-8)
    assert np.sqrt(var) == pytest.approx(ref["se"], rel=1e-6)


def test_fixture_provenance_recorded():
    for fx in (SANDWICH, MATCHING):
        assert fx["generated_by"].startswith("tests/reference/effects_")
        assert "R version" in fx["versions"]["R"]
    assert MATCHING["versions"]["Matching"] == "4.10.8"
    assert all("r_call" in c for c in MATCHING["cases"].values())


def test_integration_with_evaltool_matching():
    """Through the real matcher: MatchIt's 1:1 default ATT and cluster SE."""
    from evaltool.design.matching import match
    from test_effects_support import lalonde_matchit

    data = lalonde_matchit()
    design = match(data, "treat", COVS)
    row = _row(estimate(design, "re78"))
    assert row["estimate"] == pytest.approx(894.367480270274, rel=1e-8)
    assert row["std_error"] == pytest.approx(705.229764061618, rel=1e-6)


def test_regression_adjustment_equals_statsmodels_wls():
    """The g-computation fit equals statsmodels WLS with centred interactions and clustered SEs."""
    import pandas as pd
    import statsmodels.api as sm

    from evaltool.effects.covariates import covariate_matrix

    design = matchit_design("lalonde_nearest_1to1")
    keep = design.weights > 0
    data, w = design.data[keep], design.weights[keep].to_numpy()
    t = design.treat[keep].to_numpy(dtype=float)
    Z = covariate_matrix(data, COVS).to_numpy(dtype=float)
    Zc = Z - np.average(Z[t == 1], axis=0, weights=w[t == 1])  # centred in the treated (ATT)
    X = np.column_stack([np.ones(len(t)), t, Zc, Zc * t[:, None]])
    fit = sm.WLS(data["re78"].to_numpy(), X, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(design.subclass[keep])[0]})
    row = _row(estimate(design, "re78", method="regression", covariates=COVS, variance="cluster"))
    assert row["estimate"] == pytest.approx(fit.params[1], rel=1e-10)
    assert row["std_error"] == pytest.approx(fit.bse[1], rel=1e-8)
