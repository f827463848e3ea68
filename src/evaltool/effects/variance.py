"""Variance strategies: small named classes chosen by name (with aliases).

==================  ==========================================================
name (aliases)      what
==================  ==========================================================
``cluster``         cluster-robust by subclass/pair (``sandwich::vcovCL``, HC1);
(cr1, subclass,     two-way by matched set and unit for matching with replacement
pair)
``hc1`` (robust)    heteroskedasticity-robust HC1 (``sandwich::vcovHC``)
``hc3``             heteroskedasticity-robust HC3
``abadie_imbens``   Abadie-Imbens (2006) for matching with replacement / k:1 /
(ai)                ties, as ``Matching::Match``; ``ps_adjust=True`` for the
                    Abadie-Imbens (2016) estimated-propensity adjustment
``bootstrap``       seeded cluster bootstrap over matched sets (percentile CI)
(boot)
``m_estimation``    logit score stacked with the effect model: IPW/overlap weights
(mest)              as estimated, not fixed (``effects/m_estimation.py``)
==================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from evaltool._blas import limit_blas
from evaltool.effects.abadie_imbens import AbadieImbens
from evaltool.effects.bootstrap import ClusterBootstrap
from evaltool.effects.design import ClusterTerm, cluster_terms, dense_codes
from evaltool.effects.estimators import WLSFit
from evaltool.effects.m_estimation import MEstimation
from evaltool.effects.strategy import EffectProblem, VarianceEstimate, VarianceStrategy
from evaltool.exceptions import EstimationError
from evaltool.specs.effects import VARIANCE_ALIASES

__all__ = [
    "VARIANCES", "ALIASES", "variance_strategy", "cluster_vcov", "cluster_sums", "dense_codes", "hc_vcov",
    "ClusterRobust", "HC1", "HC3", "AbadieImbens", "ClusterBootstrap",
    "VarianceStrategy", "VarianceEstimate",
]


def cluster_sums(codes: np.ndarray, g: int, values: np.ndarray) -> np.ndarray:
    """(g, k) sums of the rows of ``values`` (n, k) within clusters ``codes`` (0..g-1), one bincount
    per column (the same additions in the same order as ``np.add.at``)."""
    return np.column_stack([np.bincount(codes, weights=values[:, c], minlength=g) for c in range(values.shape[1])])


def cluster_vcov(fit: WLSFit, clusters: Sequence[np.ndarray], *, hc1: bool = True,
                 cadjust: bool = True, terms: Sequence[ClusterTerm] | None = None) -> np.ndarray:
    """Cluster-robust covariance as R ``sandwich::vcovCL`` (one- or multi-way).

    Scores ``x_i w_i e_i`` are summed within clusters; for several cluster
    dimensions every non-empty combination enters with sign ``(-1)^(|S|+1)``
    (Cameron, Gelbach & Miller 2011), combinations clustering on the
    intersection. Each term is scaled by ``G/(G-1)`` (``cadjust``) and the sum by
    ``(n-1)/(n-k)`` (``hc1``). ``terms`` (:func:`~evaltool.effects.design.cluster_terms` of
    ``clusters``, e.g. a :class:`~evaltool.effects.design.Sample`'s, shared by its outcomes) skips
    working out the combinations.
    """
    X, w, e = fit.X, fit.w, fit.resid
    n, k = X.shape
    u = w * e
    scores = X * u[:, None]  # column-major like the X of the estimators
    meat = np.zeros((k, k))
    with limit_blas(1):  # small k x k products: threads cost more than they save
        for term in cluster_terms(clusters) if terms is None else terms:
            g = term.g
            index = term.index(k)
            if index is None:
                summed = cluster_sums(term.codes, g, scores)
            else:  # the same numbers by one bincount over all elements (each bin adds its rows in row order)
                summed = np.bincount(index, weights=scores.ravel(order="F"), minlength=g * k).reshape(k, g).T
            adj = g / (g - 1) if cadjust and g > 1 else 1.0
            meat += (-1) ** (term.size + 1) * adj * summed.T @ summed
        if hc1:  # no residual degrees of freedom (as many coefficients as units): the variance is not estimable
            meat *= (n - 1) / (n - k) if n > k else np.nan
        return fit.xtwx_inv @ meat @ fit.xtwx_inv


def hc_vcov(fit: WLSFit, kind: str = "HC1") -> np.ndarray:
    """Heteroskedasticity-robust covariance as R ``sandwich::vcovHC`` (HC0, HC1, HC3)."""
    X, w, e = fit.X, fit.w, fit.resid
    n, k = X.shape
    u = w * e
    if kind == "HC0":
        omega = u * u
    elif kind == "HC1":
        omega = u * u * n / (n - k)
    elif kind == "HC3":
        h = w * np.einsum("ij,jk,ik->i", X, fit.xtwx_inv, X)
        if np.any(h >= 1 - 1e-12):
            raise EstimationError("HC3 is undefined: some observations have leverage 1")
        omega = (u / (1 - h)) ** 2
    else:  # pragma: no cover - guarded by the classes below
        raise EstimationError(f"unknown HC type {kind!r}")
    meat = (X * omega[:, None]).T @ X
    return fit.xtwx_inv @ meat @ fit.xtwx_inv


def _se(v: np.ndarray) -> float:
    val = float(v[1, 1])
    if not np.isfinite(val) or val < 0:
        raise EstimationError("the standard error could not be computed (non-positive variance)")
    return float(np.sqrt(val))


@dataclass(frozen=True)
class ClusterRobust(VarianceStrategy):
    """Cluster-robust SE by subclass (two-way subclass + unit on ``pairs()`` rows), HC1.

    Designs without subclasses or pairs (weighting) cluster on units, which is HC1.
    """

    name: ClassVar[str] = "cluster"

    def vcov(self, problem: EffectProblem) -> np.ndarray:
        return cluster_vcov(problem.fit, problem.sample.clusters, terms=problem.sample.cluster_terms)

    def std_error(self, problem: EffectProblem) -> float:
        return _se(self.vcov(problem))


@dataclass(frozen=True)
class HC1(VarianceStrategy):
    """Heteroskedasticity-robust HC1 SE on the estimation rows."""

    name: ClassVar[str] = "hc1"
    kind: ClassVar[str] = "HC1"
    unit_rows: ClassVar[bool] = True

    def vcov(self, problem: EffectProblem) -> np.ndarray:
        return hc_vcov(problem.fit, self.kind)

    def std_error(self, problem: EffectProblem) -> float:
        return _se(self.vcov(problem))


@dataclass(frozen=True)
class HC3(HC1):
    """Heteroskedasticity-robust HC3 SE on the estimation rows."""

    name: ClassVar[str] = "hc3"
    kind: ClassVar[str] = "HC3"


VARIANCES: dict[str, type[VarianceStrategy]] = {
    "cluster": ClusterRobust,
    "hc1": HC1,
    "hc3": HC3,
    "abadie_imbens": AbadieImbens,
    "bootstrap": ClusterBootstrap,
    "m_estimation": MEstimation,
}

ALIASES: dict[str, str] = VARIANCE_ALIASES


def variance_strategy(name: str | VarianceStrategy, **options: object) -> VarianceStrategy:
    """A variance strategy by name (or alias), with its options.

    Parameters
    ----------
    name : str or VarianceStrategy
        A registered name or alias; an instance is returned unchanged.
    **options
        Passed to the strategy (e.g. ``ps_adjust=True`` for ``abadie_imbens``).

    Examples
    --------
    >>> variance_strategy("ai").name
    'abadie_imbens'
    """
    if isinstance(name, VarianceStrategy):
        return name
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key not in VARIANCES:
        valid = ", ".join(sorted(VARIANCES)) + " (aliases: " + ", ".join(
            f"{a}={t}" for a, t in sorted(ALIASES.items())) + ")"
        raise EstimationError(f"`variance` must be one of {valid}; got {name!r}")
    cls = VARIANCES[key]
    try:
        return cls(**options)
    except TypeError:
        raise EstimationError(f"variance {key!r} does not take options "
                              f"{', '.join(sorted(options))}") from None
