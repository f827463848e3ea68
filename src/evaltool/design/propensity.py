"""Propensity scores: logit (statsmodels GLM, equal to R ``glm``) or any classifier.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> d = pd.DataFrame({"x": rng.normal(size=200)})
>>> d["t"] = (rng.random(200) < 1 / (1 + np.exp(-d["x"]))).astype(int)
>>> ps = fit_propensity(d, "t", ["x"])
>>> ps.model, round(float(ps.scores.between(0, 1).mean()), 1)
('logit', 1.0)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_columns
from evaltool._result import ResultMixin, jsonable
from evaltool.exceptions import ConvergenceWarning, EstimationError, EvaltoolError
from evaltool.terms import design_matrix, normalise_terms

__all__ = ["PropensityResult", "fit_propensity", "classifier_by_name", "treatment_indicator"]

_SEPARATION_EPS = 1e-9


def treatment_indicator(data: pd.DataFrame, treatment: str) -> pd.Series:
    """The treatment column as an int 0/1 Series; anything else is an error."""
    check_columns(data, [treatment], what="treatment column")
    col = data[treatment]
    if col.isna().any():
        raise EvaltoolError(f"treatment column {treatment!r} has {int(col.isna().sum())} missing value(s)")
    values = set(pd.unique(col.astype(object)).tolist())
    if not values <= {0, 1, True, False}:
        shown = ", ".join(map(repr, sorted(values, key=str)[:5]))
        raise EvaltoolError(f"treatment column {treatment!r} must be 0/1 or boolean; found {shown}")
    treat = col.astype(int)
    if treat.nunique() < 2:
        raise EvaltoolError(f"treatment column {treatment!r} has only one group "
                            f"({int(treat.iloc[0]) if len(treat) else 'empty'}); need treated and controls")
    return treat.rename(treatment)


@dataclass(frozen=True)
class PropensityResult(ResultMixin):
    """A fitted propensity model.

    Attributes
    ----------
    scores : Series
        P(treated | X) on the data index.
    linear_predictor : Series
        logit of the scores (the GLM linear predictor for the logit model).
    coefficients : Series or None
        Logit coefficients with R names (``(Intercept)``, ``racehispan`` ...).
    model : str
        ``"logit"`` or the classifier's class name.
    columns : tuple of str
        Design-matrix column names (with the intercept).
    design_matrix : DataFrame
        The design matrix with intercept (used by the Abadie-Imbens PS adjustment).
    treatment : str
        Treatment column name.
    treat : Series
        0/1 treatment indicator.
    covariates : tuple of str
        The covariate terms.
    """

    scores: pd.Series
    linear_predictor: pd.Series
    coefficients: pd.Series | None
    model: str
    columns: tuple[str, ...]
    design_matrix: pd.DataFrame
    treatment: str
    treat: pd.Series
    covariates: tuple[str, ...]

    _title = "Propensity score model"

    def __repr__(self) -> str:
        t = self.treat.to_numpy() == 1
        return (f"PropensityResult({self.model}, {len(self.covariates)} term(s), {len(self.columns)} column(s); "
                f"n={t.size} (treated {int(t.sum())}), score range "
                f"[{float(self.scores.min()):.3f}, {float(self.scores.max()):.3f}])")

    def overlap(self) -> pd.DataFrame:
        """Score range per group and the share outside the common support.

        The common support is ``[max(min_t, min_c), min(max_t, max_c)]``.
        """
        s = self.scores.to_numpy(dtype=float)
        t = self.treat.to_numpy() == 1
        lo = max(s[t].min(), s[~t].min())
        hi = min(s[t].max(), s[~t].max())
        rows = []
        for name, mask in (("treated", t), ("control", ~t)):
            v = s[mask]
            out = (v < lo) | (v > hi)
            rows.append({"group": name, "n": int(v.size), "min": float(v.min()), "max": float(v.max()),
                         "mean": float(v.mean()), "support_low": float(lo), "support_high": float(hi),
                         "n_outside": int(out.sum()), "share_outside": float(out.mean())})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        if self.coefficients is not None:
            return pd.DataFrame({"term": list(self.coefficients.index),
                                 "estimate": self.coefficients.to_numpy(dtype=float)})
        return self.overlap()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "treatment": self.treatment,
            "covariates": list(self.covariates),
            "columns": list(self.columns),
            "coefficients": None if self.coefficients is None else
            {k: jsonable(v) for k, v in self.coefficients.items()},
            "overlap": jsonable(self.overlap()),
        }


def classifier_by_name(name: str, *, seed: int | None = None) -> Any:
    """A scikit-learn classifier for a config name (``random_forest``, ``gradient_boosting``).

    ``"logit"`` returns the string ``"logit"`` (the statsmodels GLM path).
    """
    if name == "logit":
        return "logit"
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=300, min_samples_leaf=20, random_state=seed, n_jobs=1)
    if name == "gradient_boosting":
        from sklearn.ensemble import GradientBoostingClassifier

        return GradientBoostingClassifier(random_state=seed)
    raise EvaltoolError(f"`propensity.model` must be one of 'logit', 'random_forest', "
                        f"'gradient_boosting'; got {name!r}")


def fit_propensity(data: pd.DataFrame, treatment: str, covariates: str | Sequence[str],
                   model: Any = "logit") -> PropensityResult:
    """Fit a propensity score model.

    Parameters
    ----------
    data : DataFrame
        Persons table (not modified).
    treatment : str
        0/1 treatment column.
    covariates : sequence of str
        Covariate terms (see :mod:`evaltool.terms`).
    model : "logit" or classifier, default "logit"
        ``"logit"`` (alias ``"glm"``) fits a binomial GLM with statsmodels,
        identical to R ``glm(family = binomial)``; any object with ``fit`` and
        ``predict_proba`` is cloned and fitted on the design matrix.

    Returns
    -------
    PropensityResult

    Raises
    ------
    EstimationError
        Singular design (naming the collinear columns) or perfect/quasi
        separation (naming the covariates responsible).
    """
    terms = normalise_terms(covariates)
    treat = treatment_indicator(data, treatment)
    X, cols = design_matrix(data, terms, intercept=True)
    _check_rank(X)
    y = treat.to_numpy(dtype=float)
    if isinstance(model, str):
        if model not in ("logit", "glm"):
            raise EvaltoolError(f"`model` must be 'logit' or a classifier with predict_proba; got {model!r}")
        coef, p, eta = _fit_logit(X, y)
        name = "logit"
        coefficients = pd.Series(coef, index=cols, name="estimate")
    else:
        if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
            raise EvaltoolError(f"`model` must be 'logit' or a classifier with fit/predict_proba; "
                                f"got {type(model).__name__}")
        from sklearn.base import clone

        est = clone(model)
        Xc = X.drop(columns="(Intercept)").to_numpy()
        est.fit(Xc, y.astype(int))
        classes = list(getattr(est, "classes_", [0, 1]))
        p = est.predict_proba(Xc)[:, classes.index(1)]
        clipped = np.clip(p, 1e-12, 1 - 1e-12)
        eta = np.log(clipped / (1 - clipped))
        name = type(model).__name__
        coefficients = None
    index = data.index
    return PropensityResult(
        scores=pd.Series(p, index=index, name="distance"),
        linear_predictor=pd.Series(eta, index=index, name="logit"),
        coefficients=coefficients, model=name, columns=tuple(cols), design_matrix=X,
        treatment=treatment, treat=treat, covariates=terms,
    )


def _check_rank(X: pd.DataFrame) -> None:
    from scipy.linalg import qr

    A = X.to_numpy()
    if A.shape[0] <= A.shape[1]:
        raise EstimationError(f"the propensity model has {A.shape[1]} parameters but only "
                              f"{A.shape[0]} rows; use fewer covariates")
    scale = np.sqrt((A * A).sum(axis=0))
    scale[scale == 0] = 1.0
    _, R, piv = qr(A / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = diag.max() * max(A.shape) * np.finfo(float).eps * 1e3
    rank = int((diag > tol).sum())
    if rank < A.shape[1]:
        bad = [X.columns[i] for i in piv[rank:]]
        raise EstimationError(f"the propensity design is singular: column(s) {', '.join(map(repr, bad))} "
                              f"are constant or collinear with the others; drop or merge them")


def _fit_logit(X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import statsmodels.api as sm
    from scipy.special import expit

    A = X.to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            glm = sm.GLM(y, A, family=sm.families.Binomial())
            # R's glm stops when |dev - dev_old| / (|dev| + 0.1) < 1e-8; statsmodels uses an
            # absolute tolerance, so a second fit with R's threshold reproduces R's iterate.
            first = glm.fit(tol=1e-8, maxiter=100)
            res = glm.fit(tol=1e-8 * (abs(first.deviance) + 0.1), maxiter=100)
        except Exception as exc:  # statsmodels raises on perfect separation in some versions
            if "separation" in str(exc).lower():
                _raise_separation(X, y, None)
            raise EstimationError(f"the propensity model could not be fitted: {exc}") from exc
    coef = np.asarray(res.params, dtype=float)
    eta = A @ coef
    p = expit(eta)
    separated = any("separation" in str(w.message).lower() for w in caught)
    if separated or (np.mean((p < _SEPARATION_EPS) | (p > 1 - _SEPARATION_EPS)) > 0
                     and np.abs(coef * A.std(axis=0)).max() > 15):
        _raise_separation(X, y, coef)
    if not getattr(res, "converged", True):
        warnings.warn("the propensity logit did not converge in 100 iterations", ConvergenceWarning,
                      stacklevel=3)
    return coef, p, eta


def _raise_separation(X: pd.DataFrame, y: np.ndarray, coef: np.ndarray | None) -> None:
    t = y == 1
    culprits = []
    for j, name in enumerate(X.columns):
        if name == "(Intercept)":
            continue
        x = X.iloc[:, j].to_numpy()
        if x[t].max() < x[~t].min() or x[~t].max() < x[t].min():
            culprits.append(name)
        elif set(np.unique(x)) <= {0.0, 1.0}:
            for v in (0.0, 1.0):
                sel = x == v
                if sel.any() and (y[sel].min() == y[sel].max()):
                    culprits.append(name)
                    break
    if not culprits and coef is not None:
        size = np.abs(coef * X.to_numpy().std(axis=0))
        size[0] = 0
        culprits = [X.columns[int(np.argmax(size))]]
    raise EstimationError(
        "perfect or quasi-complete separation in the propensity model: treatment is (almost) "
        f"determined by {', '.join(map(repr, culprits)) or 'the covariates'}; use exact matching on "
        "these, coarsen them or drop them"
    )
