"""The ``area`` block of results.json: the area-level analysis, typed.

:class:`AreaBlock` carries :meth:`evaltool.areas.AreaResult.to_dict` (estimates as typed rows, the
rest as JSON values) plus the area trends the report draws (:func:`evaltool.areas.trends.area_trends`).
Written -> read -> written gives the same bytes (see :class:`~evaltool.results._record.Record`).
Areas are housing areas, never persons; residents per area are person counts and pass the
disclosure gate (``report/area_disclosure.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool.results._record import Record

__all__ = ["AreaEstimateRow", "AreaTrendPoint", "AreaBlock"]


@dataclass(frozen=True)
class AreaEstimateRow(Record):
    """One estimate (as :class:`evaltool.areas.EstimateRow`)."""

    estimator: str
    aggregation: str | None = None
    event_time: int | None = None
    group: int | None = None
    period: int | None = None
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pvalue: float | None = None
    se_type: str = ""
    n_units: int | None = None
    n_treated_units: int | None = None


@dataclass(frozen=True)
class AreaTrendPoint(Record):
    """Mean outcome of one series in one period: a treated area, the treated areas, the comparison
    areas or the synthetic control; ``population`` = residents behind the value (None if unknown)."""

    series: str
    kind: str  # "area" | "treated" | "comparison" | "synthetic_control" | "synthetic_did"
    period: int
    value: float | None = None
    n_units: int | None = None
    population: float | None = None


@dataclass(frozen=True)
class AreaBlock(Record):
    """The area-level analysis of a study."""

    outcome: str = ""
    time: str = "year"
    estimates: tuple[AreaEstimateRow, ...] = ()
    pretrend_test: dict | None = None
    donor_weights: tuple = ()
    before_after: tuple = ()
    assumptions: dict = field(default_factory=dict)
    populations: tuple = ()
    trends: tuple[AreaTrendPoint, ...] = ()
    n_units: int | None = None
    n_treated_units: int | None = None
    n_periods: int | None = None
    seed: int | None = None
    spec: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    not_estimable: tuple = ()
    _nested = {"estimates": AreaEstimateRow, "trends": AreaTrendPoint}

    @classmethod
    def from_result(cls, result: Any, trends: list[dict[str, Any]]) -> "AreaBlock":
        """The block of an :class:`evaltool.areas.AreaResult` and its trend points."""
        d = dict(result.to_dict())
        d["trends"] = trends
        d["outcome"] = result.spec["outcome"]
        d["time"] = result.spec["time"]
        order = [k for k in cls.__dataclass_fields__ if k != "suppressed"]
        return cls.from_dict({k: d[k] for k in order if k in d}, "area")

    def headline(self) -> AreaEstimateRow | None:
        """The estimate the report leads with: synthetic DiD, synthetic control, Callaway-Sant'Anna
        (simple), 2x2 DiD, else TWFE (cluster-robust) — the first that was estimated."""
        for est, agg in (("synthetic_did", None), ("synthetic_control", None), ("callaway_santanna", "simple"),
                         ("did_2x2", None), ("twfe", None)):
            for r in self.estimates:
                if r.estimator == est and (agg is None or r.aggregation == agg) and r.event_time is None \
                        and r.std_error is not None and r.ci_low is not None:
                    return r
        return None
