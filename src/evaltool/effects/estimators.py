"""Point estimators of an effect on a design's estimation sample.

Both are weighted least squares fits whose coefficient of ``treat`` is the effect:

* :class:`Difference` — ``y ~ 1 + treat`` with design weights: the difference in
  weighted means.
* :class:`Regression` — ``y ~ 1 + treat + Zc + treat:Zc`` with ``Zc`` the covariates
  centred at their weighted mean in the estimand's target group (treated for ATT/ATM,
  controls for ATC, everyone for ATE/ATO). The interactions make the coefficient of
  ``treat`` the g-computation (regression adjustment) estimate of the estimand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["WLSFit", "WLSFactor", "Difference", "Regression", "wls", "wls_factor"]


@dataclass(frozen=True)
class WLSFit:
    """A weighted least squares fit; ``X[:, 1]`` is the treatment column."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    beta: np.ndarray
    resid: np.ndarray
    xtwx_inv: np.ndarray

    @property
    def estimate(self) -> float:
        return float(self.beta[1])


@dataclass(frozen=True)
class WLSFactor:
    """The outcome-free part of a weighted least squares fit: ``X``, weights and the QR of
    ``sqrt(w) X``, shared by every outcome estimated on the same rows."""

    X: np.ndarray
    w: np.ndarray
    sw: np.ndarray
    q: np.ndarray
    r: np.ndarray
    xtwx_inv: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.X.nbytes + self.q.nbytes + self.w.nbytes + self.sw.nbytes)


def wls_factor(X: np.ndarray, w: np.ndarray) -> WLSFactor:
    """QR of ``sqrt(w) X``; raises :class:`EstimationError` if ``X`` is rank deficient."""
    if X.shape[0] < X.shape[1]:  # fewer units than coefficients: QR's R is not square
        raise EstimationError(f"the effect model has {X.shape[1]} coefficients but only {X.shape[0]} units; "
                              "use fewer covariates or the difference estimator")
    sw = np.sqrt(w)
    q, r = np.linalg.qr(X * sw[:, None])
    d = np.abs(np.diag(r))
    if d.size == 0 or d.min() <= 1e-10 * max(d.max(), 1.0):
        raise EstimationError("the effect model is singular (no variation in treatment within the "
                              "sample, or collinear covariates)")
    rinv = np.linalg.inv(r)
    return WLSFactor(X, w, sw, q, r, rinv @ rinv.T)


def wls(X: np.ndarray, y: np.ndarray, w: np.ndarray, factor: WLSFactor | None = None) -> WLSFit:
    """Weighted least squares by QR; raises :class:`EstimationError` if ``X`` is rank deficient.

    ``factor`` (:func:`wls_factor` of the same ``X`` and ``w``) skips the factorisation.
    """
    f = wls_factor(X, w) if factor is None else factor
    beta = np.linalg.solve(f.r, f.q.T @ (y * f.sw))
    return WLSFit(f.X, y, f.w, beta, y - f.X @ beta, f.xtwx_inv)


def _check_arms(treat: np.ndarray, w: np.ndarray) -> None:
    if not (w[treat == 1] > 0).any() or not (w[treat == 0] > 0).any():
        raise EstimationError("an effect needs units with positive weight in both arms")


@dataclass(frozen=True)
class Difference:
    """Difference in weighted means (WLS of the outcome on treatment)."""

    name: str = "difference"

    def factor(self, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None) -> WLSFactor:
        _check_arms(treat, w)
        return wls_factor(np.column_stack([np.ones_like(treat), treat]), w)

    def fit(self, y: np.ndarray, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None,
            factor: WLSFactor | None = None) -> WLSFit:
        f = self.factor(treat, w, Z) if factor is None else factor
        return wls(f.X, y, f.w, f)

    def point(self, y: np.ndarray, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None) -> float:
        """The estimate alone (fast path used by the bootstrap)."""
        w1, w0 = w * treat, w * (1 - treat)
        s1, s0 = w1.sum(), w0.sum()
        if s1 <= 0 or s0 <= 0:
            return float("nan")
        return float(w1 @ y / s1 - w0 @ y / s0)


@dataclass(frozen=True)
class Regression:
    """Regression adjustment with treatment x centred-covariate interactions."""

    estimand: Estimand = Estimand.ATT
    name: str = "regression"

    def _matrix(self, treat: np.ndarray, w: np.ndarray, Z: np.ndarray) -> np.ndarray:
        focal = self.estimand.focal_group
        target = w if focal is None else w * (treat == focal)
        if target.sum() <= 0:
            raise EstimationError(f"no units with positive weight in the {self.estimand.value} target group")
        centre = target @ Z / target.sum()
        n, p = Z.shape
        # [1, treat, Zc, treat * Zc] built in place, column-major as np.column_stack makes it (the layout
        # decides the rounding of the products with X)
        X = np.empty((n, 2 + 2 * p), order="F")
        X[:, 0] = 1.0
        X[:, 1] = treat
        Zc = np.subtract(Z, centre, out=X[:, 2:2 + p])
        keep = _varying(Zc, w)
        if not keep.all():
            p = int(keep.sum())
            X = np.concatenate([X[:, :2], Zc[:, keep], np.empty((n, p))], axis=1)
            X = np.asfortranarray(X)
            Zc = X[:, 2:2 + p]
        np.multiply(treat[:, None], Zc, out=X[:, 2 + p:])
        return X

    def factor(self, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None) -> WLSFactor:
        if Z is None or Z.shape[1] == 0:
            raise EstimationError("method 'regression' needs `covariates`")
        _check_arms(treat, w)
        return wls_factor(self._matrix(treat, w, Z), w)

    def fit(self, y: np.ndarray, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None,
            factor: WLSFactor | None = None) -> WLSFit:
        f = self.factor(treat, w, Z) if factor is None else factor
        return wls(f.X, y, f.w, f)

    def point(self, y: np.ndarray, treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None) -> float:
        try:
            return self.fit(y, treat, w, Z).estimate
        except EstimationError:
            return float("nan")


def _varying(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Columns of ``Z`` that vary among rows with positive weight."""
    positive = w > 0
    live = Z if positive.all() else Z[positive]
    if live.shape[0] == 0:
        return np.zeros(Z.shape[1], dtype=bool)
    return (live.max(axis=0) - live.min(axis=0)) > 0
