"""Doubly robust augmented inverse-probability weighting (AIPW) with cross-fitting.

It lives in ``effects`` (not ``design``): AIPW fits an outcome model and returns an
effect, which a design never does. Nuisances: the propensity ``m(x) = P(T=1|x)`` (a
classifier with ``predict_proba``; default an unpenalised logit by Newton-Raphson) and the outcome
regressions ``g_t(x) = E[Y | T=t, x]`` (a regressor; default OLS), fitted per arm.
With ``n_folds = K > 1`` every unit's nuisances come from models fitted on the other
folds (cross-fitting; folds drawn with a seeded generator). Scores, as DoubleML's IRM
(Chernozhukov et al. 2018), with ``m`` clipped to ``[trim, 1 - trim]``:

* ATE: ``psi = g1 - g0 + t (y - g1) / m - (1 - t) (y - g0) / (1 - m) - theta``
* ATT: ``psi = [t (y - g0) - m (1 - t) (y - g0) / (1 - m) - t theta] / pbar``,
  ``pbar`` the share treated.

``theta`` solves ``mean(psi) = 0``; the standard error is ``sqrt(mean(psi^2) / n)``
(the influence function). Formulas: ``docs/designs.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, jsonable
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EstimationError
from evaltool.specs.weighting import LEARNERS, AIPWSpec

__all__ = ["AIPWSpec", "AIPWResult", "aipw", "aipw_scores", "LEARNERS"]



class _Logit:
    """Unpenalised logistic regression by Newton-Raphson (the exact MLE, as R ``glm``)."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> "_Logit":
        Z = np.column_stack([np.ones(len(X)), X])
        beta = np.zeros(Z.shape[1])
        for _ in range(100):
            p = 1 / (1 + np.exp(-(Z @ beta)))
            H = (Z * (p * (1 - p))[:, None]).T @ Z
            try:
                step = np.linalg.solve(H, Z.T @ (y - p))
            except np.linalg.LinAlgError:
                raise EstimationError("aipw: the propensity logit is singular (collinear "
                                      "covariates or a fold without variation)") from None
            beta = beta + step
            if np.abs(step).max() < 1e-12 * (1 + np.abs(beta).max()):
                break
        else:
            raise EstimationError("aipw: the propensity logit did not converge (separation?)")
        self.coef_, self.classes_ = beta, np.array([0, 1])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(self.coef_[0] + X @ self.coef_[1:])))
        return np.column_stack([1 - p, p])


def _learner(name_or_obj: Any, kind: str, seed: int) -> Any:
    from sklearn.base import clone

    if not isinstance(name_or_obj, str):
        return clone(name_or_obj)
    if name_or_obj == "logit":
        return _Logit()
    if name_or_obj == "ols":
        from sklearn.linear_model import LinearRegression

        return LinearRegression()
    if name_or_obj == "gradient_boosting":
        from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

        cls = GradientBoostingClassifier if kind == "classifier" else GradientBoostingRegressor
        return cls(random_state=seed)
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if kind == "classifier" else RandomForestRegressor
    return cls(n_estimators=200, min_samples_leaf=5, random_state=seed)


@dataclass(frozen=True, repr=False)
class AIPWResult(ResultMixin):
    """An AIPW effect with its influence-function standard error."""

    outcome: str
    spec: AIPWSpec
    estimate: float
    std_error: float
    conf_int: tuple[float, float]
    pvalue: float
    n: int
    n_treated: int
    scores: np.ndarray
    nuisances: pd.DataFrame

    _title = "AIPW (doubly robust) effect"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"outcome": self.outcome, "estimand": self.spec.estimand.value,
                              "estimate": self.estimate, "std_error": self.std_error,
                              "ci_low": self.conf_int[0], "ci_high": self.conf_int[1],
                              "pvalue": self.pvalue, "n": self.n, "n_treated": self.n_treated,
                              "n_folds": int(self.spec.n_folds)}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"kind": "aipw", "spec": self.spec.to_dict(),
                         "effect": self.to_frame().iloc[0].to_dict()})

    def __repr__(self) -> str:
        return (f"AIPWResult({self.spec.estimand.value}, {self.outcome!r}, n={self.n}, "
                f"estimate={self.estimate:.4g}, se={self.std_error:.4g}, K={self.spec.n_folds})")


def aipw_scores(y: np.ndarray, t: np.ndarray, m: np.ndarray, g0: np.ndarray, g1: np.ndarray,
                estimand: Estimand) -> tuple[float, float, np.ndarray]:
    """``theta``, its standard error and the per-unit score ``psi`` (module docstring)."""
    n = y.size
    if estimand is Estimand.ATE:
        b = g1 - g0 + t * (y - g1) / m - (1 - t) * (y - g0) / (1 - m)
        a = -np.ones(n)
    else:
        pbar = t.mean()
        b = (t * (y - g0) - m * (1 - t) * (y - g0) / (1 - m)) / pbar
        a = -t / pbar
    theta = -b.mean() / a.mean()
    psi = a * theta + b
    se = float(np.sqrt(np.mean(psi**2) / a.mean() ** 2 / n))
    return float(theta), se, psi


def _folds(n: int, k: int, seed: int) -> np.ndarray:
    """Fold id per unit: a seeded permutation cut into ``k`` near-equal folds."""
    perm = np.random.default_rng(seed).permutation(n)
    fold = np.empty(n, dtype=np.int64)
    for j, part in enumerate(np.array_split(perm, k)):
        fold[part] = j
    return fold


def aipw(data: pd.DataFrame, treatment: str, outcome: str, covariates: str | Sequence[str],
         *, estimand: str = "ATE", n_folds: int = 5, seed: int = 0,
         propensity_learner: Any = "logit", outcome_learner: Any = "ols", trim: float = 0.01,
         folds: np.ndarray | None = None, alpha: float = 0.05) -> AIPWResult:
    """Doubly robust AIPW estimate of the ATE or ATT with cross-fitted nuisances.

    Parameters
    ----------
    data : DataFrame
        One row per person (not modified); rows with a missing outcome are an error.
    treatment, outcome : str
        0/1 treatment and numeric outcome columns.
    covariates : sequence of str
        Covariate terms (evaltool's grammar) for both nuisance models.
    estimand : {"ATE", "ATT"}
    n_folds : int
        Cross-fitting folds; 1 fits the nuisances on all data (no cross-fitting).
    seed : int
        Seed of the fold split and of the tree learners.
    propensity_learner, outcome_learner : str or estimator
    trim : float
        Propensity scores are clipped to ``[trim, 1 - trim]`` (DoubleML's default 0.01).
    folds : array of int, optional
        Fold id per row (overrides ``n_folds``/``seed`` for the split).

    alpha : float
        Level of the confidence interval (0.05: 95 %).

    Returns
    -------
    AIPWResult
        ``estimate``, ``std_error`` (influence function), ``conf_int``, ``pvalue``, the sample
        sizes, the per-person ``scores`` and the cross-fitted ``nuisances``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=400)})
    >>> d["t"] = (rng.random(400) < 1 / (1 + np.exp(-d.x))).astype(int)
    >>> d["y"] = d.x + 2 * d.t + rng.normal(size=400)
    >>> r = aipw(d, "t", "y", ["x"], n_folds=2, seed=1)
    >>> abs(r.estimate - 2) < 2 * r.std_error
    True
    """
    from evaltool.design.propensity import treatment_indicator
    from evaltool.terms import design_matrix, normalise_terms

    if folds is not None:
        folds = np.asarray(folds, dtype=np.int64)
        n_folds = int(folds.max()) + 1
    spec = AIPWSpec(estimand=estimand, n_folds=n_folds, seed=seed,
                    propensity_learner=propensity_learner, outcome_learner=outcome_learner, trim=trim)
    t = treatment_indicator(data, treatment).to_numpy(dtype=float)
    if outcome not in data.columns:
        raise EstimationError(f"`outcome` {outcome!r} is not a column of data")
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise EstimationError(f"`outcome` {outcome!r} has missing or non-numeric values; drop "
                              "those rows first")
    X = design_matrix(data, normalise_terms(covariates), intercept=False)[0].to_numpy(dtype=float)
    n = y.size
    if folds is None:
        folds = np.zeros(n, dtype=np.int64) if spec.n_folds == 1 else _folds(n, spec.n_folds, spec.seed)
    elif folds.size != n:
        raise ConfigError(f"`folds` must have one entry per row ({n}); got {folds.size}")
    m, g0, g1 = np.empty(n), np.empty(n), np.empty(n)
    for k in range(spec.n_folds):
        test = folds == k
        train = ~test if spec.n_folds > 1 else np.ones(n, dtype=bool)
        for arm, g in ((0, g0), (1, g1)):
            rows = train & (t == arm)
            if rows.sum() < 2:
                raise EstimationError(f"fold {k}: fewer than 2 units with treatment {arm} to fit "
                                      "the outcome model; use fewer folds")
            reg = _learner(spec.outcome_learner, "regressor", spec.seed).fit(X[rows], y[rows])
            g[test] = reg.predict(X[test])
        clf = _learner(spec.propensity_learner, "classifier", spec.seed).fit(X[train], t[train].astype(int))
        classes = list(clf.classes_)
        m[test] = clf.predict_proba(X[test])[:, classes.index(1)]
    m = np.clip(m, spec.trim, 1 - spec.trim)
    theta, se, psi = aipw_scores(y, t, m, g0, g1, spec.estimand)
    z = stats.norm.ppf(1 - alpha / 2)
    return AIPWResult(outcome=outcome, spec=spec, estimate=theta, std_error=se,
                      conf_int=(theta - z * se, theta + z * se),
                      pvalue=float(2 * stats.norm.sf(abs(theta) / se)), n=n,
                      n_treated=int(t.sum()), scores=psi,
                      nuisances=pd.DataFrame({"m": m, "g0": g0, "g1": g1, "fold": folds},
                                             index=data.index))
