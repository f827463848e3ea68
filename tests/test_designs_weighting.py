"""Weighting designs vs R: closed-form propensity weights, ebal::ebalance, M-estimation SEs.

Fixture: tests/fixtures/designs/weighting.json from tests/reference/designs_weighting.R
(R 4.2.2; ebal 0.1-8 built from github:cran/ebal; numDeriv, sandwich; calls inside).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool import balance, estimate
from evaltool.design.entropy import solve_dual
from evaltool.design.weighting import WeightingSpec, weight
from evaltool.exceptions import ConfigError, EstimandWarning, EstimationError

HERE = Path(__file__).parent / "fixtures"
FX = json.loads((HERE / "designs" / "weighting.json").read_text())
COVS = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(HERE / "matchit" / "lalonde_matchit.csv", index_col="id")


def _w(d, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return weight(d, "treat", COVS, **kw)


@pytest.mark.parametrize("est", ["ATT", "ATC", "ATE", "ATO"])
def test_ipw_weights_closed_form_and_m_estimation(lalonde, est):
    w = _w(lalonde, method="overlap" if est == "ATO" else "ipw", estimand=est)
    np.testing.assert_allclose(w.distance.to_numpy(), FX["ps"], atol=1e-10)
    np.testing.assert_allclose(w.weights.to_numpy(), FX["weights"][est], rtol=1e-9)
    assert w.default_variance == "m_estimation"
    row = estimate(w, "re78").to_frame().iloc[0]
    ref = FX["m_estimation"][est]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    # R's bread is numDeriv's numerical Jacobian: agreement to ~1e-10 relative
    assert row["std_error"] == pytest.approx(ref["se_m"], rel=1e-6)
    # the fixed-weight sandwich differs (ATT: 824.05 vs 798.15): the stacking matters
    hc0 = ref["se_hc0_fixed"]
    assert abs(row["std_error"] - hc0) / hc0 > 0.02
    hc1 = estimate(w, "re78", variance="hc1").to_frame().iloc[0]["std_error"]
    n = len(lalonde)
    assert hc1 == pytest.approx(hc0 * np.sqrt(n / (n - 2)), rel=1e-8)


def test_stabilized_and_trimmed_weights(lalonde):
    w = _w(lalonde, estimand="ATE", stabilize=True)
    np.testing.assert_allclose(w.weights.to_numpy(), FX["weights"]["ATE_stabilized"], rtol=1e-9)
    # per-arm constants leave estimate and M-estimation SE unchanged
    row = estimate(w, "re78").to_frame().iloc[0]
    assert row["std_error"] == pytest.approx(FX["m_estimation"]["ATE"]["se_m"], rel=1e-6)
    with pytest.warns(EstimandWarning, match="trim=0.05"):
        w = weight(lalonde, "treat", COVS, estimand="ATE", trim=0.05)
    np.testing.assert_allclose(w.weights.to_numpy(), FX["weights"]["ATE_trim05"], rtol=1e-9)
    assert int(w.to_frame()["n_trimmed"].sum()) == int((np.array(FX["weights"]["ATE_trim05"]) == 0).sum())


def test_truncation_caps_at_quantile(lalonde):
    w = _w(lalonde, estimand="ATT", truncate=0.95)
    c = w.weights[lalonde["treat"] == 0].to_numpy()
    raw = np.array(FX["weights"]["ATT"])[lalonde["treat"].to_numpy() == 0]
    assert c.max() == pytest.approx(np.quantile(raw, 0.95), rel=1e-12)
    assert w.to_frame().set_index("group").loc["control", "n_truncated"] == (raw > c.max()).sum() > 0


@pytest.mark.parametrize("case,moments", [("means", 1), ("squares", 2)])
def test_entropy_equals_ebal(lalonde, case, moments):
    w = _w(lalonde, method="entropy", moments=moments)
    ours = w.weights[lalonde["treat"] == 0].to_numpy()
    ref = np.array(FX["ebal"][case]["w"])
    np.testing.assert_allclose(ours / ours.sum(), ref / ref.sum(), rtol=1e-8, atol=1e-12)
    assert w.diagnostics["converged"] and w.diagnostics["control"]["max_imbalance"] <= 1e-10
    b = balance(w, covariates=COVS)
    assert b.table.loc[b.table["term"] != "distance", "smd_after"].abs().max() < 1e-8


def test_entropy_ate_balances_both_arms_to_the_sample(lalonde):
    w = _w(lalonde, method="entropy", estimand="ATE")
    X = pd.get_dummies(lalonde[["age", "educ", "re74", "re75"]]).to_numpy(float)
    t = lalonde["treat"].to_numpy()
    ww = w.weights.to_numpy()
    for g in (0, 1):
        m = t == g
        np.testing.assert_allclose(ww[m] @ X[m] / ww[m].sum(), X.mean(axis=0), rtol=1e-8)


def test_solve_dual_independent_of_scipy():
    # the dual solution equals scipy's BFGS on the same convex dual
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    C = rng.normal(size=(300, 3))
    target = np.array([0.3, -0.2, 0.1])
    w, diag = solve_dual(C, target)
    D = C - target
    res = minimize(lambda l: np.log(np.exp(D @ l).sum()), np.zeros(3), method="BFGS",
                   jac=lambda l: np.exp(D @ l) @ D / np.exp(D @ l).sum(), options={"gtol": 1e-12})
    e = np.exp(D @ res.x)
    np.testing.assert_allclose(w, e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(w @ C, target, atol=1e-10)


def test_weighting_surface(lalonde):
    w = _w(lalonde, estimand="ATE")
    assert w.subclass.isna().all() and len(w.pairs()) == 0
    d = w.to_dict()
    json.dumps(d)
    assert d["spec"]["method"] == "ipw" and d["estimand"] == "ATE"
    assert repr(w).startswith("WeightingResult(ipw, ATE, n=614")
    assert "ess" in w.summary()
    e = w.ess()
    t = lalonde["treat"].to_numpy()
    ww = w.weights.to_numpy()
    assert e["treated"] == pytest.approx(ww[t == 1].sum() ** 2 / (ww[t == 1] ** 2).sum())


@pytest.mark.parametrize("kw,msg", [
    (dict(method="ipw", estimand="ATO"), "must be one of 'ATT', 'ATC', 'ATE'"),
    (dict(method="overlap", estimand="ATT"), "must be one of 'ATO'"),
    (dict(method="entropy", trim=0.05), "entropy balancing"),
    (dict(method="overlap", stabilize=True), "`stabilize` applies"),
    (dict(trim=0.7), "`trim` must be"),
    (dict(method="magic"), "`method` must be one of"),
])
def test_spec_errors(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        WeightingSpec(**kw)


def test_m_estimation_refuses_other_designs(lalonde):
    from sklearn.linear_model import LogisticRegression

    w = _w(lalonde, method="ipw", distance=LogisticRegression(max_iter=1000))  # a classifier: no stacked score
    with pytest.raises(EstimationError, match="m_estimation"):
        estimate(w, "re78", variance="m_estimation")
    assert w.default_variance == "hc1"
    m = evaltool_match(lalonde)
    with pytest.raises(EstimationError, match="m_estimation"):
        estimate(m, "re78", variance="m_estimation")


def evaltool_match(d):
    from evaltool import match

    return match(d, "treat", ["age", "educ", "re74"])
