"""Rows and the frozen result of an area-level analysis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, jsonable

__all__ = ["EstimateRow", "AreaResult", "ESTIMATE_COLUMNS", "normal_row"]

ESTIMATE_COLUMNS = ("estimator", "aggregation", "event_time", "group", "period", "estimate", "std_error",
                    "ci_low", "ci_high", "pvalue", "se_type", "n_units", "n_treated_units")


@dataclass(frozen=True)
class EstimateRow:
    """One estimate of an area-level estimator (a tidy row of ``AreaResult.estimates``)."""

    estimator: str
    aggregation: str | None
    event_time: int | None
    group: int | None
    period: int | None
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    pvalue: float
    se_type: str
    n_units: int
    n_treated_units: int

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def normal_row(estimator: str, estimate: float, se: float, se_type: str, n_units: int, n_treated: int,
               alpha: float = 0.05, *, aggregation: str | None = None, event_time: int | None = None,
               group: int | None = None, period: int | None = None, crit: float | None = None,
               df: float | None = None) -> EstimateRow:
    """A row with a Wald interval (normal, or t with ``df``; ``crit`` overrides the critical value)."""
    dist = stats.t(df) if df else stats.norm
    c = crit if crit is not None else float(dist.ppf(1 - alpha / 2))
    ok = np.isfinite(se) and se > 0
    p = float(2 * dist.sf(abs(estimate) / se)) if ok else float("nan")
    lo, hi = (estimate - c * se, estimate + c * se) if ok else (float("nan"), float("nan"))
    return EstimateRow(estimator, aggregation, event_time, group, period, float(estimate), float(se),
                       float(lo), float(hi), p, se_type, int(n_units), int(n_treated))


@dataclass(frozen=True, repr=False)
class AreaResult(ResultMixin):
    """The area-level analysis: estimates of every estimator, tests, weights and raw changes.

    ``to_dict()`` is the ``area`` block of results.json.
    """

    estimates: tuple[EstimateRow, ...]
    pretrend_test: dict[str, Any] | None
    donor_weights: tuple[dict[str, Any], ...]
    before_after: tuple[dict[str, Any], ...]
    assumptions: dict[str, dict[str, str]]
    populations: tuple[dict[str, Any], ...]
    spec: dict[str, Any]
    n_units: int
    n_treated_units: int
    n_periods: int
    seed: int | None
    extras: dict[str, Any] = field(default_factory=dict)
    not_estimable: tuple[dict[str, str], ...] = ()

    _title = "Area-level analysis"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.estimates], columns=list(ESTIMATE_COLUMNS))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "estimates": [r.to_dict() for r in self.estimates],
            "pretrend_test": self.pretrend_test,
            "donor_weights": list(self.donor_weights),
            "before_after": list(self.before_after),
            "assumptions": self.assumptions,
            "populations": list(self.populations),
            "n_units": self.n_units,
            "n_treated_units": self.n_treated_units,
            "n_periods": self.n_periods,
            "seed": self.seed,
            "spec": self.spec,
            "extras": self.extras,
            "not_estimable": list(self.not_estimable),
        })

    def get(self, estimator: str, aggregation: str | None = None) -> EstimateRow:
        """The first row of ``estimator`` (and ``aggregation``); ``KeyError`` if none."""
        for r in self.estimates:
            if r.estimator == estimator and (aggregation is None or r.aggregation == aggregation):
                return r
        raise KeyError(f"no estimate for estimator={estimator!r}, aggregation={aggregation!r}")

    def __repr__(self) -> str:
        heads = [r for r in self.estimates if r.event_time is None and r.group is None and r.period is None]
        figs = ", ".join(f"{r.estimator}{'/' + r.aggregation if r.aggregation else ''}={r.estimate:.4g}"
                         for r in heads[:6])
        return (f"AreaResult(units={self.n_units}, treated={self.n_treated_units}, periods={self.n_periods}, "
                f"rows={len(self.estimates)}; {figs})")
