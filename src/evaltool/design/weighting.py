"""Weighting designs: inverse-probability (ATT/ATC/ATE), overlap (ATO) and entropy balancing.

Weights by estimand, with ``p`` the propensity score and ``t`` the treatment:

======  ======================  ======================
        treated                 control
======  ======================  ======================
ATT     1                       p / (1 - p)  (odds)
ATC     (1 - p) / p             1
ATE     1 / p                   1 / (1 - p)
ATO     1 - p                   p            (overlap)
======  ======================  ======================

``stabilize=True`` multiplies the weights of each arm by a constant (ATE: the arm's
share ``P(T=t)``; ATT: ``n0/n1`` on controls; ATC: ``n1/n0`` on treated) -- weighted
means and differences are unchanged. ``trim=a`` gives units with ``p`` outside
``[a, 1 - a]`` weight 0 (Crump et al. 2009; the target population changes and a
warning says how many units went); ``truncate=q`` caps the weights of each arm at
their ``q``-quantile (reported). Entropy balancing (Hainmueller 2012) is in
:mod:`evaltool.design.entropy`. Methods are registered by name in
:data:`WEIGHTING_METHODS`. Formulas and variance: ``docs/designs.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin, jsonable
from evaltool.design.balance import ess
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimandWarning, EstimationError, WeightsWarning
from evaltool.specs.weighting import WeightingSpec

__all__ = ["WeightingSpec", "WeightingResult", "weight", "ipw_weights", "ipw_weight_slope",
           "WEIGHTING_METHODS"]

def ipw_weights(p: np.ndarray, t: np.ndarray, estimand: Estimand) -> np.ndarray:
    """Closed-form propensity weights of an estimand (table in the module docstring)."""
    p = np.asarray(p, dtype=float)
    t = np.asarray(t, dtype=float)
    if estimand in (Estimand.ATT, Estimand.ATM):
        return t + (1 - t) * p / (1 - p)
    if estimand is Estimand.ATC:
        return t * (1 - p) / p + (1 - t)
    if estimand is Estimand.ATE:
        return t / p + (1 - t) / (1 - p)
    if estimand is Estimand.ATO:
        return t * (1 - p) + (1 - t) * p
    raise EstimationError(f"no propensity weights for estimand {estimand.value}")


def ipw_weight_slope(p: np.ndarray, t: np.ndarray, estimand: Estimand) -> np.ndarray:
    """d w / d eta (eta the logit linear predictor) of :func:`ipw_weights`, per unit."""
    p = np.asarray(p, dtype=float)
    t = np.asarray(t, dtype=float)
    odds = p / (1 - p)
    if estimand in (Estimand.ATT, Estimand.ATM):
        return (1 - t) * odds
    if estimand is Estimand.ATC:
        return -t / odds
    if estimand is Estimand.ATE:
        return -t / odds + (1 - t) * odds
    if estimand is Estimand.ATO:
        return (1 - 2 * t) * p * (1 - p)
    raise EstimationError(f"no propensity weights for estimand {estimand.value}")


@dataclass(frozen=True, repr=False)
class WeightingResult(ResultMixin):
    """A weighting design: the same surface as ``MatchResult`` (weights, subclass, estimand).

    ``subclass`` is all NA and :meth:`pairs` is empty; ``scale`` holds the per-arm
    stabilization constants (index 0 control, 1 treated) and ``truncated`` which units
    had their weight capped. ``diagnostics`` (entropy balancing: iterations, converged,
    max standardized imbalance) is a plain dict.
    """

    data: pd.DataFrame
    treatment: str
    treat: pd.Series
    covariates: tuple[str, ...]
    weights: pd.Series
    subclass: pd.Series
    distance: pd.Series | None
    discarded: pd.Series
    truncated: pd.Series
    estimand: Estimand
    spec: WeightingSpec
    propensity: Any
    scale: tuple[float, float]
    diagnostics: dict[str, Any]

    _title = "Weighting design"

    @property
    def default_variance(self) -> str:
        """``"m_estimation"`` for logit IPW/overlap weights; ``"hc1"`` otherwise."""
        return self.spec.default_variance

    def pairs(self) -> pd.DataFrame:
        """No matched sets: an empty frame with the ``pairs()`` columns."""
        return pd.DataFrame({"subclass": pd.Series(dtype="int64"),
                             "treated": pd.Series(dtype=self.data.index.dtype),
                             "control": pd.Series(dtype=self.data.index.dtype),
                             "slot": pd.Series(dtype="int64"), "weight": pd.Series(dtype=float)})

    def ess(self) -> dict[str, float]:
        """Effective sample size sum(w)^2 / sum(w^2) per arm."""
        t = self.treat.to_numpy()
        w = self.weights.to_numpy()
        return {"control": ess(w[t == 0]), "treated": ess(w[t == 1])}

    def to_frame(self) -> pd.DataFrame:
        t = self.treat.to_numpy()
        w = self.weights.to_numpy()
        rows = []
        for name, g in (("control", 0), ("treated", 1)):
            m = t == g
            wm = w[m]
            rows.append({"group": name, "n": int(m.sum()), "n_weighted": int((wm > 0).sum()),
                         "ess": ess(wm), "sum_weights": float(wm.sum()),
                         "max_weight": float(wm.max()) if wm.size else float("nan"),
                         "n_trimmed": int((m & self.discarded.to_numpy()).sum()),
                         "n_truncated": int((m & self.truncated.to_numpy()).sum())})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"kind": "weighting", "spec": self.spec.to_dict(),
                         "estimand": self.estimand.value, "groups": self.to_frame(),
                         "diagnostics": self.diagnostics})

    def __repr__(self) -> str:
        e = self.ess()
        return (f"WeightingResult({self.spec.method}, {self.estimand.value}, n={len(self.data)}, "
                f"ess treated={e['treated']:.1f}, control={e['control']:.1f})")


def _ipw(data: pd.DataFrame, treat: np.ndarray, covariates: tuple[str, ...], spec: WeightingSpec):
    from evaltool.design.propensity import fit_propensity

    prop = fit_propensity(data, _TREAT, covariates, model="logit" if spec.uses_logit else spec.distance)
    p = prop.scores.to_numpy(dtype=float)
    w = ipw_weights(p, treat, spec.estimand)
    scale = [1.0, 1.0]
    if spec.stabilize:
        share1 = float(treat.mean())
        if spec.estimand is Estimand.ATE:
            scale = [1 - share1, share1]
        elif spec.estimand is Estimand.ATT:
            scale = [(1 - share1) / share1, 1.0]
        else:
            scale = [1.0, share1 / (1 - share1)]
        w = w * np.where(treat == 1, scale[1], scale[0])
    discarded = np.zeros(treat.size, dtype=bool)
    if spec.trim is not None:
        discarded = (p < spec.trim) | (p > 1 - spec.trim)
        w = np.where(discarded, 0.0, w)
        if discarded.any():
            warnings.warn(f"trim={spec.trim}: {int(discarded.sum())} units with propensity outside "
                          f"[{spec.trim}, {1 - spec.trim}] get weight 0; the estimand now refers "
                          f"to the trimmed population", EstimandWarning, stacklevel=4)
    truncated = np.zeros(treat.size, dtype=bool)
    if spec.truncate is not None:
        for g in (0, 1):
            m = (treat == g) & (w > 0)
            if m.any():
                cap = float(np.quantile(w[m], spec.truncate))
                hit = m & (w > cap)
                w = np.where(hit, cap, w)
                truncated |= hit
    return w, prop, discarded, truncated, tuple(scale), {}


def _entropy(data: pd.DataFrame, treat: np.ndarray, covariates: tuple[str, ...], spec: WeightingSpec):
    from evaltool.design.entropy import entropy_weights

    w, diag = entropy_weights(data, treat, covariates, spec.estimand, moments=spec.moments,
                              max_iter=spec.max_iter, tol=spec.tol)
    none = np.zeros(treat.size, dtype=bool)
    return w, None, none, none, (1.0, 1.0), diag


_TREAT = "__evaltool_treat__"

WEIGHTING_METHODS: dict[str, Callable] = {"ipw": _ipw, "overlap": _ipw, "entropy": _entropy}


def weight(data: pd.DataFrame, treatment: str, covariates: str | Sequence[str], method: str = "ipw",
           estimand: str | Estimand | None = None, *, stabilize: bool = False, trim: float | None = None,
           truncate: float | None = None, moments: int = 1, max_iter: int = 200,
           tol: float = 1e-10, distance: Any = "glm") -> WeightingResult:
    """Weight the comparison (and/or treated) units to the estimand's target population.

    Parameters
    ----------
    data : DataFrame
        One row per person; never modified.
    treatment : str
        0/1 treatment column.
    covariates : sequence of str
        Covariate terms (evaltool's grammar) of the propensity model or the balanced moments.
    method : {"ipw", "overlap", "entropy"}
        Inverse-probability weights, overlap weights (estimand ATO) or entropy balancing.
    estimand : {"ATT", "ATC", "ATE", "ATO"}, optional
        Default ATO for ``method="overlap"`` (its only estimand), ATT otherwise.
    stabilize, trim, truncate
        See the module docstring (``ipw``/``overlap`` only; ``stabilize`` ``ipw`` only).
    moments : int
        Entropy balancing: 1 = means, 2 = also squares, 3 = also cubes (non-binary columns).
    max_iter, tol : int, float
        Entropy balancing: Newton iterations and the tolerance on the largest
        standardized imbalance.
    distance : "glm" or classifier
        Propensity model (``ipw``/``overlap``).

    Returns
    -------
    WeightingResult
        The weights (``weights``), the estimand, the propensity scores where a model was
        fitted, the units kept, and ``summary()``; usable by :func:`evaltool.balance` and
        :func:`evaltool.estimate` like a :class:`~evaltool.design.matching.result.MatchResult`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=200)})
    >>> d["t"] = (rng.random(200) < 1 / (1 + np.exp(-d.x))).astype(int)
    >>> w = weight(d, "t", ["x"], method="ipw", estimand="ATE")
    >>> w.estimand.value, w.default_variance
    ('ATE', 'm_estimation')
    """
    from evaltool.design.propensity import treatment_indicator
    from evaltool.terms import normalise_terms

    spec = WeightingSpec(method=method, estimand=estimand, stabilize=stabilize, trim=trim,
                         truncate=truncate, moments=moments, max_iter=max_iter, tol=tol,
                         distance=distance)
    covs = normalise_terms(covariates)
    treat_s = treatment_indicator(data, treatment)
    t = treat_s.to_numpy(dtype=float)
    if t.min() == t.max():
        raise EstimationError(f"`treatment` {treatment!r} has a single value; weighting needs both "
                              "treated and comparison units")
    frame = data.assign(**{_TREAT: t.astype(int)})
    w, prop, discarded, truncated, scale, diag = WEIGHTING_METHODS[spec.method](frame, t, covs, spec)
    if not np.all(np.isfinite(w)):
        raise EstimationError("weights are not finite (propensity scores of exactly 0 or 1); "
                              "use trim= or check the covariates for separation")
    index = data.index
    top = float(w.max() / np.median(w[w > 0])) if (w > 0).any() else 0.0
    if top > 50:
        warnings.warn(f"extreme weights: the largest is {top:.0f} times the median; consider "
                      "truncate= or overlap weights", WeightsWarning, stacklevel=2)
    distance_s = None if prop is None else pd.Series(prop.scores.to_numpy(), index=index,
                                                      name="distance")
    return WeightingResult(
        data=data, treatment=treatment, treat=pd.Series(t.astype(int), index=index, name=treatment),
        covariates=covs, weights=pd.Series(w, index=index, name="weights"),
        subclass=pd.Series(pd.array([pd.NA] * len(index), dtype="Int64"), index=index,
                           name="subclass"),
        distance=distance_s, discarded=pd.Series(discarded, index=index, name="discarded"),
        truncated=pd.Series(truncated, index=index, name="truncated"), estimand=spec.estimand,
        spec=spec, propensity=prop, scale=(float(scale[0]), float(scale[1])), diagnostics=diag)
