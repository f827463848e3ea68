"""M-estimation (stacked estimating equations) variance for propensity-weighted effects.

Treating estimated inverse-probability weights as fixed ignores that they come from a
fitted logit. :class:`MEstimation` stacks the logit score with the weighted least
squares score of the effect model and uses the sandwich of the stacked system
(Lunceford & Davidian 2004; as WeightIt's ``glm_weightit`` M-estimation):

    psi_i(beta, gamma) = [ x_i (t_i - p_i) ;  w_i(beta) X_i (y_i - X_i' gamma) ]
    A = mean d psi_i / d theta',   B = mean psi_i psi_i',   V = A^-1 B A^-T / n

with ``x`` the propensity design matrix, ``X = [1, t]`` the effect model and
``dw/dbeta = (dw/deta) x`` from :func:`evaltool.design.weighting.ipw_weight_slope`.
Per-arm stabilizing constants leave ``V`` unchanged (they rescale the equations of one
arm); truncated weights are held at their cap and trimmed units have weight 0 (both
treated as fixed). Only the difference estimator (``method="difference"``) is covered.

Entropy balancing (Hainmueller 2012) stacks, for each reweighted arm ``a`` (controls for ATT,
treated for ATC, both for ATE), the target moment means and the balance conditions:

    psi_mu = s_i (c_i - mu_a),   psi_lambda = r_ai w_i (c_i - mu_a),   w_i = exp(alpha_a + lambda_a' c_i)

(``s`` the target population: the treated for ATT, the controls for ATC, everyone for ATE;
``r_a`` membership of arm ``a``), with ``d w_i / d lambda_a = w_i c_i``; the per-arm constants
``alpha_a`` rescale one arm's equations and leave ``V`` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from evaltool.effects.strategy import EffectProblem, VarianceStrategy
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["MEstimation", "stacked_vcov", "entropy_stacked_vcov"]


def stacked_vcov(x: np.ndarray, t: np.ndarray, p: np.ndarray, X: np.ndarray, w: np.ndarray,
                 e: np.ndarray, dw: np.ndarray) -> np.ndarray:
    """Covariance of the effect-model coefficients from the stacked logit + WLS system.

    All arrays are per unit of the logit fit (n rows); units outside the effect sample
    have ``w = 0`` (their WLS score is zero).
    """
    n, k = x.shape
    q = X.shape[1]
    f = p * (1 - p)
    psi = np.hstack([x * (t - p)[:, None], X * (w * e)[:, None]])
    A = np.zeros((k + q, k + q))
    A[:k, :k] = -(x * f[:, None]).T @ x / n
    A[k:, :k] = (X * (dw * e)[:, None]).T @ x / n
    A[k:, k:] = -(X * w[:, None]).T @ X / n
    B = psi.T @ psi / n
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise EstimationError("m_estimation: the stacked system is singular") from None
    V = Ainv @ B @ Ainv.T / n
    return V[k:, k:]


def entropy_stacked_vcov(C: np.ndarray, t: np.ndarray, wd: np.ndarray, estimand: Estimand, X: np.ndarray,
                         w: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Covariance of the effect-model coefficients from the stacked entropy-balancing + WLS system.

    ``C`` moments per unit, ``wd`` the design weights of every unit; ``X``, ``w``, ``e`` the
    effect model's rows, weights and residuals (``w = 0`` outside the effect sample).
    """
    n = t.size
    sd = C.std(axis=0)
    C = (C[:, sd > 0] - C[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    k, q = C.shape[1], X.shape[1]
    if estimand in (Estimand.ATT, Estimand.ATM):
        plan = [(0, t == 1)]
    elif estimand is Estimand.ATC:
        plan = [(1, t == 0)]
    else:
        plan = [(0, np.ones(n, dtype=bool)), (1, np.ones(n, dtype=bool))]
    m = 2 * k * len(plan) + q
    A = np.zeros((m, m))
    cols = []
    b = m - q
    for j, (arm, target) in enumerate(plan):
        r = (t == arm).astype(float)
        s_ = target.astype(float)
        mu = C[target].mean(axis=0)
        D = C - mu
        rw = r * wd
        i0, i1 = 2 * k * j, 2 * k * j + k
        cols += [D * s_[:, None], D * rw[:, None]]
        A[i0:i1, i0:i1] = -np.eye(k) * s_.mean()
        A[i1:i1 + k, i0:i1] = -np.eye(k) * rw.mean()
        A[i1:i1 + k, i1:i1 + k] = (D * rw[:, None]).T @ C / n
        A[b:, i1:i1 + k] = (X * (rw * (w > 0) * e)[:, None]).T @ C / n
    cols.append(X * (w * e)[:, None])
    A[b:, b:] = -(X * w[:, None]).T @ X / n
    psi = np.hstack(cols)
    B = psi.T @ psi / n
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise EstimationError("m_estimation: the stacked entropy-balancing system is singular (redundant "
                              "moments); drop a covariate or a moment") from None
    return (Ainv @ B @ Ainv.T / n)[b:, b:]


@dataclass(frozen=True)
class MEstimation(VarianceStrategy):
    """Sandwich of the logit score stacked with the effect model (IPW / overlap weights)."""

    name: ClassVar[str] = "m_estimation"
    supports_regression: ClassVar[bool] = False
    unit_rows: ClassVar[bool] = True

    def vcov(self, problem: EffectProblem) -> np.ndarray:
        from evaltool.design.weighting import ipw_weight_slope

        design = problem.design
        spec = getattr(design, "spec", None)
        prop = getattr(design, "propensity", None)
        if getattr(spec, "method", None) == "entropy":
            return self._entropy(problem)
        if (getattr(spec, "method", None) not in ("ipw", "overlap") or prop is None
                or getattr(prop, "model", None) != "logit"):
            raise EstimationError("variance='m_estimation' needs a weighting design with logit "
                                  "propensity weights or entropy balancing (weight(..., method='ipw', "
                                  "'overlap' or 'entropy')); "
                                  "use 'hc1' or 'bootstrap' for other designs")
        index = design.data.index
        x = pd.DataFrame(prop.design_matrix).reindex(index).to_numpy(dtype=float)
        p = pd.Series(prop.scores).reindex(index).to_numpy(dtype=float)
        t = design.treat.reindex(index).to_numpy(dtype=float)
        scale = np.where(t == 1, design.scale[1], design.scale[0])
        fixed = (design.truncated.reindex(index).to_numpy(dtype=bool)
                 | design.discarded.reindex(index).to_numpy(dtype=bool))
        dw_all = np.where(fixed, 0.0, scale * ipw_weight_slope(p, t, Estimand.parse(design.estimand)))
        n = index.size
        fit = problem.fit
        pos = problem.sample.pos
        if fit.X.shape[1] != 2:
            raise EstimationError("variance='m_estimation' covers method='difference' only")
        X = np.zeros((n, 2))
        w = np.zeros(n)
        e = np.zeros(n)
        X[pos], w[pos], e[pos] = fit.X, fit.w, fit.resid
        dw = np.zeros(n)
        dw[pos] = dw_all[pos]
        return stacked_vcov(x, t, p, X, w, e, dw)

    def _entropy(self, problem: EffectProblem) -> np.ndarray:
        from evaltool.design.entropy import moment_matrix

        design, fit, pos = problem.design, problem.fit, problem.sample.pos
        if fit.X.shape[1] != 2:
            raise EstimationError("variance='m_estimation' covers method='difference' only")
        index = design.data.index
        C, _ = moment_matrix(design.data, design.covariates, design.spec.moments)
        n = index.size
        X, w, e = np.zeros((n, 2)), np.zeros(n), np.zeros(n)
        X[pos], w[pos], e[pos] = fit.X, fit.w, fit.resid
        return entropy_stacked_vcov(C, design.treat.reindex(index).to_numpy(dtype=float),
                                    design.weights.reindex(index).to_numpy(dtype=float),
                                    Estimand.parse(design.estimand), X, w, e)

    def std_error(self, problem: EffectProblem) -> float:
        v = float(self.vcov(problem)[1, 1])
        if not np.isfinite(v) or v <= 0:
            raise EstimationError("m_estimation: the variance is not positive")
        return float(np.sqrt(v))
