"""The base of variance strategies and the problem they are handed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from evaltool.effects.design import Design, Sample
from evaltool.effects.estimators import WLSFit
from evaltool.exceptions import EstimationError

__all__ = ["EffectProblem", "VarianceEstimate", "VarianceStrategy", "normal_interval"]


@dataclass(frozen=True)
class EffectProblem:
    """Everything a variance strategy may need for one outcome (and subgroup level).

    Attributes
    ----------
    design : Design
        The design.
    sample : Sample
        Estimation rows (already restricted to usable units).
    y : ndarray
        Outcome per ``design.data`` row (NaN where missing).
    Z : ndarray or None
        Covariate matrix per ``design.data`` row (regression adjustment).
    estimator : Difference or Regression
        The point estimator.
    fit : WLSFit
        The fit on ``sample``.
    unit_mask : ndarray of bool
        Units of ``design.data`` that may enter (outcome observed, in the subgroup level).
    alpha : float
        1 - confidence level.
    seed : int or None
        Seed for resampling strategies.
    n_boot, n_jobs : int
        Bootstrap replications and parallel jobs.
    """

    design: Design
    sample: Sample
    y: np.ndarray
    Z: np.ndarray | None
    estimator: Any
    fit: WLSFit
    unit_mask: np.ndarray
    alpha: float = 0.05
    seed: int | None = None
    n_boot: int = 999
    n_jobs: int = 1

    def rows_y(self) -> np.ndarray:
        return self.y[self.sample.pos]

    def rows_Z(self) -> np.ndarray | None:
        return None if self.Z is None else self.Z[self.sample.pos]


@dataclass(frozen=True)
class VarianceEstimate:
    """Standard error, confidence interval and p-value of one estimate."""

    std_error: float
    ci_low: float
    ci_high: float
    p_value: float


def normal_interval(estimate: float, se: float, alpha: float) -> VarianceEstimate:
    """Wald interval and two-sided p-value from the normal distribution."""
    if not np.isfinite(se) or se < 0:
        raise EstimationError(f"the standard error could not be computed (got {se})")
    z = stats.norm.ppf(1 - alpha / 2)
    p = 2 * stats.norm.sf(abs(estimate) / se) if se > 0 else (0.0 if estimate != 0 else 1.0)
    return VarianceEstimate(float(se), estimate - z * se, estimate + z * se, float(p))


@dataclass(frozen=True)
class VarianceStrategy(ABC):
    """A named way to compute the uncertainty of an effect estimate.

    Subclasses set ``name`` and implement :meth:`std_error`; resampling strategies
    override :meth:`compute` to return their own interval. ``vcov`` (the full
    coefficient covariance, for Wald tests) is available for sandwich strategies.
    """

    name: ClassVar[str] = "base"
    supports_regression: ClassVar[bool] = True
    unit_rows: ClassVar[bool] = False

    @abstractmethod
    def std_error(self, problem: EffectProblem) -> float:
        """The standard error of ``problem.fit.estimate``."""

    def vcov(self, problem: EffectProblem) -> np.ndarray | None:
        return None

    def compute(self, problem: EffectProblem) -> VarianceEstimate:
        return normal_interval(problem.fit.estimate, self.std_error(problem), problem.alpha)
