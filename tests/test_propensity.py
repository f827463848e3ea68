"""Propensity model: reference (R glm via MatchIt 4.7.2 fixtures) and error contracts."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from evaltool.exceptions import EstimationError, EvaltoolError
from evaltool.design.propensity import classifier_by_name, fit_propensity

FIX = Path(__file__).parent / "fixtures" / "matchit"


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(FIX / "lalonde_matchit.csv", index_col="id")


@pytest.fixture(scope="module")
def ref():
    return json.loads((FIX / "lalonde_nearest_1to1.json").read_text())


def test_logit_equals_r_glm(lalonde, ref):
    """Reference: glm(treat ~ ..., binomial) as in MatchIt distance='glm' (fixture ps_model)."""
    ps = fit_propensity(lalonde, "treat", ref["covariates"])
    coef = pd.Series(ref["ps_model"]["coefficients"])
    assert list(ps.coefficients.index) == list(coef.index)
    # one Newton/IRLS solve with R's start and stopping rule lands on R's iterate (measured: 3e-15)
    np.testing.assert_allclose(ps.coefficients.to_numpy(), coef.to_numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ps.scores.to_numpy(), ref["results"]["units"]["ps"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ps.linear_predictor, np.log(ps.scores / (1 - ps.scores)), atol=1e-10)
    assert ps.design_matrix.shape == (614, 9)
    assert ps.scores.index.equals(lalonde.index)


def test_overlap_summary(lalonde, ref):
    ov = fit_propensity(lalonde, "treat", ref["covariates"]).overlap()
    s = pd.Series(ref["results"]["units"]["ps"])
    t = np.array(ref["results"]["units"]["treat"]) == 1
    lo, hi = max(s[t].min(), s[~t].min()), min(s[t].max(), s[~t].max())
    assert ov.loc[0, "n_outside"] == int(((s[t] < lo) | (s[t] > hi)).sum())
    assert ov.loc[1, "n_outside"] == int(((s[~t] < lo) | (s[~t] > hi)).sum())


def test_sklearn_classifier(lalonde):
    ps = fit_propensity(lalonde, "treat", ["age", "educ", "re74"], model=LogisticRegression(max_iter=500))
    assert ps.coefficients is None and ps.model == "LogisticRegression"
    assert ps.scores.between(0, 1).all()


def test_classifier_by_name():
    assert classifier_by_name("logit") == "logit"
    assert classifier_by_name("random_forest", seed=1).random_state == 1
    with pytest.raises(EvaltoolError, match="propensity.model"):
        classifier_by_name("svm")


def test_singular_design_names_columns():
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"a": rng.normal(size=100), "t": rng.integers(0, 2, 100)})
    d["b"] = 2 * d["a"]
    with pytest.raises(EstimationError, match="singular.*'(a|b)'"):
        fit_propensity(d, "t", ["a", "b"])


def test_separation_names_covariate():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    d["t"] = (d["x"] > 0).astype(int)
    with pytest.raises(EstimationError, match="separation.*'x'"):
        fit_propensity(d, "t", ["x", "z"])


def test_treatment_must_be_binary(lalonde):
    with pytest.raises(EvaltoolError, match="must be 0/1"):
        fit_propensity(lalonde.assign(treat=lalonde["treat"] * 2), "treat", ["age"])


def test_logit_equals_statsmodels_glm_on_larger_data():
    """Second implementation: statsmodels GLM IRLS on 20k rows with badly scaled columns and a
    categorical, stopped by R's rule (statsmodels' tolerance is absolute, so the threshold is
    1e-8 * (|deviance| + 0.1) from a first fit, as evaltool did before its own solver)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    n = 20_000
    d = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) * 1e4, "c": rng.exponential(size=n),
                      "g": rng.choice(["x", "y", "z"], n)})
    eta = -1 + 0.5 * d["a"] - 1e-4 * d["b"] + 0.3 * (d["g"] == "y")
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    ps = fit_propensity(d, "t", ["a", "b", "c", "C(g)"])
    glm = sm.GLM(d["t"].to_numpy(float), ps.design_matrix.to_numpy(), family=sm.families.Binomial())
    first = glm.fit(tol=1e-8, maxiter=100)
    ref = glm.fit(tol=1e-8 * (abs(first.deviance) + 0.1), maxiter=100)
    np.testing.assert_allclose(ps.scores.to_numpy(), ref.fittedvalues, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ps.coefficients.to_numpy(), ref.params, rtol=1e-9)


def test_near_collinear_design_is_not_singular():
    """The Gram/Cholesky fast path falls back to a pivoted QR, which keeps a nearly (not exactly)
    collinear design: b = a + 1e-6 noise is full rank at the QR tolerance."""
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"a": rng.normal(size=500)})
    d["b"] = d["a"] + 1e-6 * rng.normal(size=500)
    d["t"] = (rng.random(500) < 0.4).astype(int)
    ps = fit_propensity(d, "t", ["a", "b"])
    assert ps.scores.between(0, 1).all() and ps.coefficients.size == 3


def test_random_forest_uses_all_cores():
    assert classifier_by_name("random_forest", seed=1).n_jobs == -1
