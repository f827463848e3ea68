"""M-estimation standard errors for entropy-balancing designs.

Reference: tests/fixtures/designs/entropy_mest.json from tests/reference/designs_entropy_mest.R
(R 4.2.2, ebal 0.1-8, numDeriv; ATT on LaLonde: ebal::ebalance weights, the stacked target means,
balance conditions and WLS, bread by numDeriv::jacobian). ATC and ATE, which ebal does not offer,
are checked against a finite-difference Jacobian of an independently written stacked system.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evaltool
from evaltool.design.entropy import moment_matrix

FIX = json.loads((Path(__file__).parent / "fixtures" / "designs" / "entropy_mest.json").read_text())["cases"]
C7 = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]


@pytest.fixture(scope="module")
def lalonde():
    d = pd.read_csv(Path(__file__).parent / "fixtures" / "matchit" / "lalonde_matchit.csv", index_col="id")
    d["race"] = pd.Categorical(d["race"], categories=["black", "hispan", "white"])
    return d


@pytest.mark.parametrize("case, moments", [("means", 1), ("squares", 2)])
def test_att_equals_r_stacked_sandwich(case, moments, lalonde):
    w = evaltool.weight(lalonde, "treat", C7, method="entropy", moments=moments)
    assert w.default_variance == "m_estimation"
    row = evaltool.estimate(w, "re78").effects.iloc[0]
    assert row["variance"] == "m_estimation"
    assert row["estimate"] == pytest.approx(FIX[case]["estimate"], rel=1e-10)
    assert row["std_error"] == pytest.approx(FIX[case]["se_m"], rel=1e-8)  # numDeriv's Richardson: ~1e-10
    hc1 = evaltool.estimate(w, "re78", variance="hc1").effects.iloc[0]["std_error"]
    assert hc1 == pytest.approx(FIX[case]["se_hc1_fixed"], rel=1e-10)
    assert row["std_error"] < hc1  # estimating the weights gains precision here (as for IPW ATT)


def _fd_se(d, estimand, moments):
    """An independent stacked system: unknowns (mu_a, lambda_a per reweighted arm, b0, b1), weights
    recomputed from lambda; bread by central differences."""
    t = d["treat"].to_numpy(float)
    y = d["re78"].to_numpy(float)
    C, _ = moment_matrix(d, tuple(C7), moments)
    C = (C - C.mean(0)) / C.std(0)
    n, k = C.shape
    arms = {"ATT": [(0, t == 1)], "ATC": [(1, t == 0)], "ATE": [(0, t >= 0), (1, t >= 0)]}[estimand]
    w0 = evaltool.weight(d, "treat", C7, method="entropy", moments=moments, estimand=estimand).weights.to_numpy()
    theta, alphas = [], []
    for arm, target in arms:
        r = t == arm
        lam, *_ = np.linalg.lstsq(np.column_stack([np.ones(r.sum()), C[r]]), np.log(w0[r]), rcond=None)
        alphas.append(lam[0])
        theta += [*C[target].mean(0), *lam[1:]]
    b1 = np.average(y[t == 1], weights=w0[t == 1]) - np.average(y[t == 0], weights=w0[t == 0])
    theta += [np.average(y[t == 0], weights=w0[t == 0]), b1]
    theta = np.array(theta)

    def psi(th):
        w = np.ones(n)
        cols = []
        for j, (arm, target) in enumerate(arms):
            mu, lam = th[2 * k * j:2 * k * j + k], th[2 * k * j + k:2 * k * (j + 1)]
            r = (t == arm)
            ew = np.exp(alphas[j] + C @ lam)
            w = np.where(r, ew, w)
            cols += [(C - mu) * target[:, None], (C - mu) * (r * ew)[:, None]]
        e = y - th[-2] - th[-1] * t
        cols += [(w * e)[:, None], (w * t * e)[:, None]]
        return np.hstack(cols)

    P = psi(theta)
    assert np.abs(P.mean(0)).max() < 1e-6 * np.abs(P).mean()
    h = 1e-6
    A = np.column_stack([(psi(theta + h * np.eye(theta.size)[i]).mean(0)
                          - psi(theta - h * np.eye(theta.size)[i]).mean(0)) / (2 * h) for i in range(theta.size)])
    Ai = np.linalg.inv(A)
    V = Ai @ (P.T @ P / n) @ Ai.T / n
    return float(np.sqrt(V[-1, -1]))


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_every_estimand_equals_a_finite_difference_sandwich(estimand, lalonde):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = evaltool.weight(lalonde, "treat", C7, method="entropy", estimand=estimand)
        se = evaltool.estimate(w, "re78").effects.iloc[0]["std_error"]
    assert se == pytest.approx(_fd_se(lalonde, estimand, 1), rel=1e-5)
