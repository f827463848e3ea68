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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from evaltool.effects.strategy import EffectProblem, VarianceStrategy
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["MEstimation", "stacked_vcov"]


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
        if (getattr(spec, "method", None) not in ("ipw", "overlap") or prop is None
                or getattr(prop, "model", None) != "logit"):
            raise EstimationError("variance='m_estimation' needs a weighting design with logit "
                                  "propensity weights (weight(..., method='ipw' or 'overlap')); "
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

    def std_error(self, problem: EffectProblem) -> float:
        v = float(self.vcov(problem)[1, 1])
        if not np.isfinite(v) or v <= 0:
            raise EstimationError("m_estimation: the variance is not positive")
        return float(np.sqrt(v))
