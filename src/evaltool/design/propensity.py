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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaltool._arrow import to_numpy
from evaltool._checks import check_columns
from evaltool._result import LazyFields, ResultMixin, jsonable
from evaltool.design._logit import blas_threads, check_rank, fit_logit
from evaltool.exceptions import EvaltoolError
from evaltool.terms import design_blocks, is_arrow, n_missing, normalise_terms

__all__ = ["PropensityResult", "fit_propensity", "fit_propensity_on", "classifier_by_name",
           "treatment_indicator", "treatment_array"]



def treatment_array(data: Any, treatment: str) -> np.ndarray:
    """The treatment column (DataFrame or pyarrow Table) as an int 0/1 array; anything else is an error."""
    check_columns(data, [treatment], what="treatment column")
    n_na = n_missing(data, treatment)
    if n_na:
        raise EvaltoolError(f"treatment column {treatment!r} has {n_na} missing value(s)")
    arr = to_numpy(data.column(treatment)) if is_arrow(data) else data[treatment].to_numpy()
    # numeric or bool and all 0/1: one vectorised pass, no Python objects
    if not (arr.dtype.kind in "biuf" and ((arr == 0) | (arr == 1)).all()):
        values = set(arr.astype(object).tolist())
        if not values <= {0, 1, True, False}:
            shown = ", ".join(map(repr, sorted(values, key=str)[:5]))
            raise EvaltoolError(f"treatment column {treatment!r} must be 0/1 or boolean; found {shown}")
        arr = np.array([int(v) for v in arr.tolist()], dtype=np.int64)
    treat = arr.astype(int, copy=not arr.flags.owndata)  # a fresh array (not the caller's) is kept
    if treat.size == 0 or (treat == treat[0]).all():
        raise EvaltoolError(f"treatment column {treatment!r} has only one group "
                            f"({int(treat[0]) if treat.size else 'empty'}); need treated and controls")
    return treat


def treatment_indicator(data: Any, treatment: str) -> Any:
    """The treatment column as an int 0/1 Series (on ``data.index``; a RangeIndex for a
    pyarrow Table); anything else is an error."""
    import pandas as pd

    treat = treatment_array(data, treatment)
    index = pd.RangeIndex(len(treat)) if is_arrow(data) else data.index
    return pd.Series(treat, index=index, name=treatment)


@dataclass(frozen=True)
class PropensityResult(LazyFields, ResultMixin):
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

    Fitted on a pyarrow Table, the pandas-valued fields (on a RangeIndex) are built on
    first access; :attr:`score_values` and :attr:`logit_values` never need pandas.
    """

    scores: Any
    linear_predictor: Any
    coefficients: Any
    model: str
    columns: tuple[str, ...]
    design_matrix: Any
    treatment: str
    treat: Any
    covariates: tuple[str, ...]

    _title = "Propensity score model"

    @property
    def score_values(self) -> np.ndarray:
        """The scores as a float array in data row order."""
        v = self.__dict__.get("_p")
        return v if v is not None else self.scores.to_numpy(dtype=float)

    @property
    def logit_values(self) -> np.ndarray:
        """The linear predictor as a float array in data row order."""
        v = self.__dict__.get("_eta")
        return v if v is not None else self.linear_predictor.to_numpy(dtype=float)

    def __repr__(self) -> str:
        t = self.treat.to_numpy() == 1
        return (f"PropensityResult({self.model}, {len(self.covariates)} term(s), {len(self.columns)} column(s); "
                f"n={t.size} (treated {int(t.sum())}), score range "
                f"[{float(self.scores.min()):.3f}, {float(self.scores.max()):.3f}])")

    def overlap(self) -> Any:
        """Score range per group and the share outside the common support.

        The common support is ``[max(min_t, min_c), min(max_t, max_c)]``.
        """
        s = self.score_values
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
        import pandas as pd

        return pd.DataFrame(rows)

    def to_frame(self) -> Any:
        import pandas as pd

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


def fit_propensity(data: Any, treatment: str, covariates: str | Sequence[str],
                   model: Any = "logit") -> PropensityResult:
    """Fit a propensity score model.

    Parameters
    ----------
    data : DataFrame or pyarrow Table
        Persons table (not modified). A pyarrow Table is read without pandas.
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
    return fit_propensity_on(data, treatment, treatment_array(data, treatment), covariates, model)


def fit_propensity_on(data: Any, treatment: str, treat: np.ndarray, covariates: str | Sequence[str],
                      model: Any = "logit") -> PropensityResult:
    """:func:`fit_propensity` with the treatment column already read by :func:`treatment_array`."""
    terms = normalise_terms(covariates)
    D = design_blocks(data, terms, intercept=True)
    cols = D.names
    y = treat.astype(float)
    A = None  # the float design matrix, built only when needed (a classifier; pandas input)
    if isinstance(model, str):
        if model not in ("logit", "glm"):
            raise EvaltoolError(f"`model` must be 'logit' or a classifier with predict_proba; got {model!r}")
        with blas_threads():
            coef, p, eta = fit_logit(D, cols, y)
        name = "logit"
    else:
        check_rank(D, cols)
        if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
            raise EvaltoolError(f"`model` must be 'logit' or a classifier with fit/predict_proba; "
                                f"got {type(model).__name__}")
        from sklearn.base import clone

        A = D.materialize()
        est = clone(model)
        Xc = np.ascontiguousarray(A[:, 1:])
        est.fit(Xc, y.astype(int))
        classes = list(getattr(est, "classes_", [0, 1]))
        p = est.predict_proba(Xc)[:, classes.index(1)]
        clipped = np.clip(p, 1e-12, 1 - 1e-12)
        eta = np.log(clipped / (1 - clipped))
        name = type(model).__name__
        coef = None
    fields = dict(model=name, columns=tuple(cols), treatment=treatment, covariates=terms)
    arrays = dict(_p=p, _eta=eta)
    if is_arrow(data):  # no pandas until a pandas-valued field is read
        return PropensityResult.lazy(fields, _builders(p, eta, coef, cols, D, A, treat, treatment), **arrays)
    builders = _builders(p, eta, coef, cols, D, A, treat, treatment, data.index)
    if A is None:  # the float design matrix is built when it is first read (few callers need it)
        built = {k: f() for k, f in builders.items() if k != "design_matrix"}
        return PropensityResult.lazy({**fields, **built}, {"design_matrix": builders["design_matrix"]}, **arrays)
    out = PropensityResult(**fields, **{k: f() for k, f in builders.items()})
    for k, v in arrays.items():
        object.__setattr__(out, k, v)
    return out


def _builders(p, eta, coef, cols, D, A, treat, treatment, index=None) -> dict:
    """Builders of the pandas-valued fields (on ``index``; a RangeIndex when None); the design
    matrix ``A`` is built from the :class:`~evaltool._fill.Design` ``D`` unless given."""
    def idx():
        import pandas as pd

        return pd.RangeIndex(p.size) if index is None else index

    def series(values, name, i=None):
        import pandas as pd

        return pd.Series(values, index=idx() if i is None else i, name=name)

    def frame():
        import pandas as pd

        from evaltool._blas import WORK_THREADS

        matrix = A if A is not None else D.materialize(WORK_THREADS)
        return pd.DataFrame(matrix, index=idx(), columns=list(cols), copy=False)

    return {"scores": lambda: series(p, "distance"),
            "linear_predictor": lambda: series(eta, "logit"),
            "coefficients": lambda: None if coef is None else series(coef, "estimate", list(cols)),
            "design_matrix": frame,
            "treat": lambda: series(treat, treatment)}
