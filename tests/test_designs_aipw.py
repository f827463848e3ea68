"""AIPW: textbook formula without cross-fitting; DoubleML IRM with cross-fitting.

Fixture: tests/fixtures/designs/aipw_doubleml.json from tests/reference/designs_aipw_doubleml.py
(DoubleML 0.11.4, scikit-learn 1.9.1; call and folds inside).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from evaltool.effects.aipw import AIPWSpec, aipw
from evaltool.exceptions import ConfigError

FX = json.loads((Path(__file__).parent / "fixtures" / "designs" / "aipw_doubleml.json").read_text())
DATA = pd.DataFrame(FX["data"])
X = ["x1", "x2", "x3"]


@pytest.mark.parametrize("case", FX["cases"], ids=lambda c: f"{c['score']}-K{c['n_folds']}")
def test_cross_fitted_equals_doubleml(case):
    r = aipw(DATA, "t", "y", X, estimand="ATT" if case["score"] == "ATTE" else "ATE",
             folds=np.array(case["folds"]),
             propensity_learner=LogisticRegression(C=np.inf, max_iter=1000, tol=1e-10))
    assert r.estimate == pytest.approx(case["coef"], rel=1e-10)
    assert r.std_error == pytest.approx(case["se"], rel=1e-10)


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_no_cross_fitting_equals_textbook(estimand):
    d = DATA
    y, t = d["y"].to_numpy(), d["t"].to_numpy().astype(float)
    Z = sm.add_constant(d[X].to_numpy())
    m = sm.GLM(t, Z, family=sm.families.Binomial()).fit(tol=1e-14).fittedvalues
    g = {a: Z @ np.linalg.lstsq(Z[t == a], y[t == a], rcond=None)[0] for a in (0, 1)}
    n = len(y)
    if estimand == "ATE":
        phi = g[1] - g[0] + t * (y - g[1]) / m - (1 - t) * (y - g[0]) / (1 - m)
        theta = phi.mean()
        se = np.sqrt(np.mean((phi - theta) ** 2) / n)
    else:
        p = t.mean()
        theta = np.sum(t * (y - g[0]) - (1 - t) * m / (1 - m) * (y - g[0])) / t.sum()
        psi = (t * (y - g[0] - theta) - (1 - t) * m / (1 - m) * (y - g[0])) / p
        se = np.sqrt(np.mean(psi**2) / n)
    assert np.clip(m, 0.01, 0.99).min() == m.min()  # no trimming active: the formula is untrimmed
    r = aipw(d, "t", "y", X, estimand=estimand, n_folds=1)
    assert r.estimate == pytest.approx(theta, rel=1e-10)
    assert r.std_error == pytest.approx(se, rel=1e-10)


def test_seeded_folds_and_surface():
    a = aipw(DATA, "t", "y", X, n_folds=3, seed=5)
    b = aipw(DATA.iloc[::-1], "t", "y", X, n_folds=3, seed=5)
    assert a.estimate == aipw(DATA, "t", "y", X, n_folds=3, seed=5).estimate  # deterministic
    assert np.bincount(a.nuisances["fold"]).tolist() == [267, 267, 266]
    assert abs(a.estimate - b.estimate) < 0.2  # other split, same data: close, not identical
    assert json.dumps(a.to_dict()) and "AIPWResult(ATE" in repr(a)
    assert a.conf_int[0] < a.estimate < a.conf_int[1]


def test_tree_learner_runs_and_is_seeded():
    kw = dict(n_folds=2, seed=1, propensity_learner="gradient_boosting",
              outcome_learner="gradient_boosting")
    small = DATA.iloc[:300]
    r1 = aipw(small, "t", "y", X, **kw)
    assert r1.estimate == aipw(small, "t", "y", X, **kw).estimate
    assert abs(r1.estimate - 2.0) < 4 * r1.std_error + 0.3  # true ATE 2 (x1 centred)


@pytest.mark.parametrize("kw,msg", [(dict(estimand="ATC"), "must be one of 'ATE', 'ATT'"),
                                    (dict(n_folds=0), "`n_folds`"),
                                    (dict(outcome_learner="lasso"), "`outcome_learner`"),
                                    (dict(trim=0.7), "`trim`")])
def test_spec_errors(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        AIPWSpec(**kw)
