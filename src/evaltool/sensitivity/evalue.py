"""E-values (VanderWeele & Ding 2017): how strong an unmeasured confounder would have to be.

The E-value of a risk ratio RR > 1 is ``RR + sqrt(RR * (RR - 1))`` (for RR < 1 use 1 / RR):
the minimum strength of association, on the risk-ratio scale, that an unmeasured confounder
would need with both outreach and the outcome, beyond the measured covariates, to explain the
observed association away. The E-value of a confidence interval is that of the limit closer to
1, and 1 when the interval contains 1.

Conversions to the risk-ratio scale (VanderWeele & Ding 2017, Table 2; R ``EValue``):

* risk ratio from the matched group means of a binary outcome (used as is);
* odds ratio: ``OR`` (rare outcome, < 15 %) or ``sqrt(OR)`` (common outcome);
* hazard ratio: ``HR`` (rare) or ``(1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1 / HR))`` (common);
* standardized mean difference d of a continuous outcome: ``exp(0.91 d)``, interval
  ``exp(0.91 d -/+ 1.78 se(d))`` (as ``EValue::evalues.MD``).

Examples
--------
>>> round(evalue_rr(3.9), 2)
7.26
>>> round(evalue_rr(1.8), 2)
3.0
>>> evalue_rr(0.9, ci=(0.8, 1.05)).ci
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evaltool.exceptions import EstimationError

__all__ = ["EValue", "evalue_rr", "evalue_or", "evalue_hr", "evalue_md", "rr_from_means", "evalue_scale"]


@dataclass(frozen=True)
class EValue:
    """An E-value: ``point`` for the estimate, ``ci`` for the confidence limit closer to 1.

    ``rr``/``rr_low``/``rr_high`` are the (converted) risk ratio and its limits.
    """

    point: float
    ci: float | None
    rr: float
    rr_low: float | None = None
    rr_high: float | None = None

    def __float__(self) -> float:
        return self.point

    def __round__(self, ndigits: int | None = None) -> float:
        return round(self.point, ndigits)


def _e(rr: float) -> float:
    r = 1.0 / rr if rr < 1 else rr
    return r + math.sqrt(r * (r - 1.0))


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise EstimationError(f"`{name}` must be a positive finite ratio; got {value!r}")
    return v


def evalue_rr(rr: float, ci: tuple[float, float] | None = None) -> EValue:
    """E-value of a risk ratio and, given ``ci = (low, high)``, of its confidence interval."""
    r = _positive("rr", rr)
    if ci is None:
        return EValue(_e(r), None, r)
    lo, hi = (_positive("ci", c) for c in ci)
    if lo > hi:
        raise EstimationError(f"`ci` must be (low, high) with low <= high; got {ci!r}")
    if lo <= 1 <= hi:
        e_ci = 1.0
    else:
        e_ci = _e(lo if r > 1 else hi)
    return EValue(_e(r), e_ci, r, lo, hi)


def _convert(ratio: float, ci: tuple[float, float] | None, fn) -> EValue:
    r = fn(_positive("estimate", ratio))
    c = None if ci is None else tuple(sorted(fn(_positive("ci", v)) for v in ci))
    return evalue_rr(r, c)  # type: ignore[arg-type]


def evalue_or(odds_ratio: float, ci: tuple[float, float] | None = None, rare: bool = False) -> EValue:
    """E-value of an odds ratio (``rare``: outcome prevalence below ~15 %, else sqrt conversion)."""
    return _convert(odds_ratio, ci, (lambda x: x) if rare else math.sqrt)


def _hr_common(hr: float) -> float:
    return (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))


def evalue_hr(hazard_ratio: float, ci: tuple[float, float] | None = None, rare: bool = False) -> EValue:
    """E-value of a hazard ratio (``rare``: outcome below ~15 % by end of follow-up)."""
    return _convert(hazard_ratio, ci, (lambda x: x) if rare else _hr_common)


def evalue_md(d: float, se: float | None = None) -> EValue:
    """E-value of a standardized mean difference ``d`` (outcome SD units) with standard error ``se``."""
    if not math.isfinite(float(d)):
        raise EstimationError(f"`d` must be finite; got {d!r}")
    rr = math.exp(0.91 * d)
    if se is None:
        return evalue_rr(rr)
    if not math.isfinite(float(se)) or se < 0:
        raise EstimationError(f"`se` must be a finite number >= 0; got {se!r}")
    return evalue_rr(rr, (math.exp(0.91 * d - 1.78 * se), math.exp(0.91 * d + 1.78 * se)))


def rr_from_means(mean_treated: float, mean_control: float,
                  ci_diff: tuple[float, float] | None = None) -> tuple[float, tuple[float, float] | None]:
    """Risk ratio of two risks and, from a CI of their difference, an interval with the control
    risk held fixed: ``((m0 + low) / m0, (m0 + high) / m0)``; limits are floored at 1e-12."""
    m1, m0 = float(mean_treated), float(mean_control)
    if not (0 < m0 <= 1) or not (0 <= m1 <= 1):
        raise EstimationError(f"risks must be in (0, 1]; got treated {m1!r}, control {m0!r}")
    if m1 == 0:
        raise EstimationError("the treated risk is 0: the risk ratio is 0 and has no E-value")
    if ci_diff is None:
        return m1 / m0, None
    lo, hi = (max(1e-12, (m0 + c) / m0) for c in ci_diff)
    return m1 / m0, (lo, hi)


def evalue_scale(scale: str, estimate: float, ci: tuple[float, float] | None = None, *,
           se: float | None = None, rare: bool = False) -> EValue:
    """Dispatch on ``scale`` in ``{"RR", "OR", "HR", "MD"}`` (MD: standardized difference + ``se``)."""
    if scale == "RR":
        return evalue_rr(estimate, ci)
    if scale == "OR":
        return evalue_or(estimate, ci, rare)
    if scale == "HR":
        return evalue_hr(estimate, ci, rare)
    if scale == "MD":
        return evalue_md(estimate, se)
    raise EstimationError(f"`scale` must be one of 'RR', 'OR', 'HR', 'MD'; got {scale!r}")
