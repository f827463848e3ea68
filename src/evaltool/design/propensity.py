"""Propensity scores: logit (Newton/IRLS equal to R ``glm``) or any classifier.

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
    arr = col.to_numpy()
    # numeric or bool and all 0/1: one vectorised pass, no Python objects
    if not (arr.dtype.kind in "biuf" and ((arr == 0) | (arr == 1)).all()):
        values = set(pd.unique(col.astype(object)).tolist())
        if not values <= {0, 1, True, False}:
            shown = ", ".join(map(repr, sorted(values, key=str)[:5]))
            raise EvaltoolError(f"treatment column {treatment!r} must be 0/1 or boolean; found {shown}")
    treat = col.astype(int)
    first = treat.to_numpy()
    if first.size == 0 or (first == first[0]).all():
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

    ``"logit"`` returns the string ``"logit"`` (the built-in GLM path). Forests use all
    cores (``n_jobs=-1``; the fitted trees do not depend on the number of cores).
    """
    if name == "logit":
        return "logit"
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=300, min_samples_leaf=20, random_state=seed, n_jobs=-1)
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
        ``"logit"`` (alias ``"glm"``) fits a binomial GLM by Newton/IRLS with
        R's starting values and convergence rule, identical to R
        ``glm(family = binomial)``; any object with ``fit`` and
        ``predict_proba`` is cloned and fitted on the design matrix.

    Returns
    -------
    PropensityResult
        Coefficients (:meth:`~PropensityResult.to_frame`), the scores and the overlap summary.

    Raises
    ------
    EstimationError
        Singular design (naming the collinear columns) or perfect/quasi
        separation (naming the covariates responsible).

    Examples
    --------
    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> ps = evaltool.fit_propensity(persons, "outreach", ["age", "prior_support_share"])
    >>> ps.to_frame().round(2)
                      term  estimate
    0          (Intercept)     -1.85
    1                  age     -0.04
    2  prior_support_share      3.13
    >>> ps.scores.head(3).round(3).tolist()
    [0.436, 0.23, 0.507]
    """
    terms = normalise_terms(covariates)
    treat = treatment_indicator(data, treatment)
    X, cols = design_matrix(data, terms, intercept=True)
    y = treat.to_numpy(dtype=float)
    if isinstance(model, str):
        if model not in ("logit", "glm"):
            raise EvaltoolError(f"`model` must be 'logit' or a classifier with predict_proba; got {model!r}")
        with _one_blas_thread():
            coef, p, eta = _fit_logit(X, y, gram=_check_rank(X))
        name = "logit"
        coefficients = pd.Series(coef, index=cols, name="estimate")
    else:
        _check_rank(X)
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


def _check_rank(X: pd.DataFrame) -> np.ndarray:
    """Raise unless the design has full column rank; returns ``X'X`` (reused by the logit)."""
    A = X.to_numpy()
    if A.shape[0] <= A.shape[1]:
        raise EstimationError(f"the propensity model has {A.shape[1]} parameters but only "
                              f"{A.shape[0]} rows; use fewer covariates")
    gram = A.T @ A
    scale = _column_scale(A, gram)
    # Fast path: Cholesky of the equilibrated Gram matrix (p x p, one BLAS pass over the data);
    # every column at least 1e-4 (relative) away from the span of the others is full rank.
    G = gram / np.outer(scale, scale)
    try:
        if np.diag(np.linalg.cholesky(G)).min() > 1e-4:
            return gram
    except np.linalg.LinAlgError:
        pass
    # Near-deficient: a column-pivoted QR of the design decides and names the culprits.
    from scipy.linalg import qr

    _, R, piv = qr(A / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = diag.max() * max(A.shape) * np.finfo(float).eps * 1e3
    rank = int((diag > tol).sum())
    if rank < A.shape[1]:
        bad = [X.columns[i] for i in piv[rank:]]
        raise EstimationError(f"the propensity design is singular: column(s) {', '.join(map(repr, bad))} "
                              f"are constant or collinear with the others; drop or merge them")
    return gram


_BLOCK = 1 << 16


def _one_blas_thread() -> Any:
    """BLAS on one thread for the logit's small products (p x p results from n x p blocks):
    threads cost more to wake and spin than they save there, and share the cores with the
    caller's other work. The results do not depend on it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(1, user_api="blas")


def _column_scale(A: np.ndarray, gram: np.ndarray | None = None) -> np.ndarray:
    """Euclidean norm of every column (from the diagonal of ``A'A`` when given); 1 for zero."""
    scale = np.sqrt(np.einsum("ij,ij->j", A, A) if gram is None else np.diag(gram).copy())
    scale[scale == 0] = 1.0
    return scale


def _weighted_gram(A: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A.T @ diag(w) @ A`` in row blocks (no n x p temporary)."""
    n, p = A.shape
    H = np.zeros((p, p))
    sw = np.sqrt(w)
    buf = np.empty((min(_BLOCK, n), p), order="F")
    for i in range(0, n, _BLOCK):
        B = buf[:min(_BLOCK, n - i)]
        np.multiply(A[i:i + _BLOCK], sw[i:i + _BLOCK, None], out=B)
        H += B.T @ B
    return H


def _logit_mu(eta: np.ndarray) -> np.ndarray:
    """R's binomial logit ``linkinv`` (eta clamped to [-30, 30] as in R's C code)."""
    e = np.exp(np.clip(eta, -30.0, 30.0))
    return e / (1.0 + e)


def _binomial_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """``sum(binomial()$dev.resids(y, mu, 1))`` for 0/1 ``y``."""
    return float(-2.0 * np.log(np.where(y == 1, mu, 1.0 - mu)).sum())


def _fit_logit(X: pd.DataFrame, y: np.ndarray, maxit: int = 25, epsilon: float = 1e-8,
               gram: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R ``glm.fit(family = binomial())``: Newton/IRLS, one Cholesky solve per iteration.

    Start at ``mu = (y + 0.5) / 2`` and stop when ``|dev - dev_old| / (|dev| + 0.1) <
    epsilon`` (R's rule, ``maxit = 25``), so the returned iterate is R's. Each step solves
    ``(X' W X) d = X' (y - mu)`` with the columns equilibrated, which is R's weighted
    least-squares update written as an increment. ``gram`` is ``X'X`` if already computed:
    R's start gives every row the weight ``mu (1 - mu) = 3/16``, so the first step reuses it.
    """
    A = X.to_numpy()
    if A.dtype != np.float64:
        A = A.astype(np.float64)
    scale = _column_scale(A, gram)
    mu = (y + 0.5) / 2.0
    eta = np.log(mu / (1.0 - mu))
    dev_old = _binomial_deviance(y, mu)
    # first step from R's starting eta: solve X'WX b = X'W z with z = eta + (y - mu) / w
    w = mu * (1.0 - mu)
    rhs = A.T @ (w * eta + (y - mu))
    H0 = _weighted_gram(A, w) if gram is None else (3.0 / 16.0) * gram
    coef = _newton_solve(H0, rhs, scale)
    converged = False
    for _ in range(maxit):
        eta = A @ coef
        mu = _logit_mu(eta)
        dev = _binomial_deviance(y, mu)
        if not np.isfinite(dev):
            raise EstimationError("the propensity logit diverged (non-finite deviance); check for "
                                  "separation or extreme covariate values")
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        dev_old = dev
        w = np.maximum(mu * (1.0 - mu), np.finfo(float).eps)
        coef = coef + _newton_solve(_weighted_gram(A, w), A.T @ (y - mu), scale)
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-eta))
    fitted_edge = np.mean((p < _SEPARATION_EPS) | (p > 1 - _SEPARATION_EPS)) > 0
    perfect = bool(np.all(np.abs(y - p) < 1e-6))
    if perfect or (fitted_edge and np.abs(coef * A.std(axis=0)).max() > 15):
        _raise_separation(X, y, coef)
    if not converged:
        warnings.warn(f"the propensity logit did not converge in {maxit} iterations", ConvergenceWarning,
                      stacklevel=3)
    return coef, p, eta


def _newton_solve(H: np.ndarray, g: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Solve ``H x = g`` by Cholesky of the equilibrated ``H / (s s')``."""
    Hs = H / np.outer(scale, scale)
    try:
        L = np.linalg.cholesky(Hs)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("the propensity logit's information matrix is not positive definite "
                              "(collinear covariates or separation); drop or merge covariates") from exc
    z = np.linalg.solve(L, g / scale)
    return np.linalg.solve(L.T, z) / scale


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
