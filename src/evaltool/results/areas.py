"""The ``area`` block of results.json: the area-level analysis, typed.

:class:`AreaBlock` carries :meth:`evaltool.areas.AreaResult.to_dict` (estimates, the pre-trend test,
donor weights, before/after changes and residents per area as typed rows; the spec as the
:class:`~evaltool.specs.areas.AreaSpec` that ran; assumptions and extras as JSON values) plus the area
trends the report draws (:func:`evaltool.areas.trends.area_trends`).
Written -> read -> written gives the same bytes (see :class:`~evaltool.results._record.Record`).
Areas are housing areas, never persons; residents per area are person counts and pass the
disclosure gate (``report/area_disclosure.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool.results._record import Record, read_spec
from evaltool.specs.areas import AreaSpec

__all__ = ["AreaEstimateRow", "AreaTrendPoint", "PretrendTest", "DonorWeight", "BeforeAfterRow", "AreaPopulation",
           "AreaBlock"]


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
class PretrendTest(Record):
    """The event study's joint test that all lead coefficients are zero (Wald chi2, and W/k ~ F).

    Without lead periods ``statistic`` and ``pvalue`` are null and ``note`` says why; the F-test keys,
    ``vcov`` and ``note`` are written only when set (as the event study returns them).
    """

    estimator: str = "event_study"
    null: str = ""
    n_leads: int = 0
    leads: tuple[int, ...] = ()
    statistic: float | None = None
    df: int | None = None
    pvalue: float | None = None
    f_statistic: float | None = None
    f_df: tuple[int, ...] | None = None
    f_pvalue: float | None = None
    vcov: str | None = None
    note: str | None = None
    _only_when_set = ("f_statistic", "f_df", "f_pvalue", "vcov", "note")


@dataclass(frozen=True)
class DonorWeight(Record):
    """The weight of one donor area in a synthetic control / synthetic DiD (positive weights only)."""

    estimator: str
    unit: str
    weight: float | None = None


@dataclass(frozen=True)
class BeforeAfterRow(Record):
    """Raw change of one treated area from the period before its start to the last period, beside the
    never-treated areas' mean change over the same periods (:func:`evaltool.areas.simple.before_after`)."""

    unit: str
    first_treated: int
    period_before: int
    period_after: int
    before: float | None = None
    after: float | None = None
    change: float | None = None
    comparison_change: float | None = None
    difference_vs_comparison: float | None = None
    population_before: float | None = None
    population_after: float | None = None
    n_comparison_units: int | None = None


@dataclass(frozen=True)
class AreaPopulation(Record):
    """Residents of one area over the panel (minimum and mean; None without a population column);
    ``first_treated`` 0 for a never-treated area."""

    unit: str
    first_treated: int = 0
    population_min: float | None = None
    population_mean: float | None = None


@dataclass(frozen=True)
class AreaBlock(Record):
    """The area-level analysis of a study."""

    outcome: str = ""
    time: str = "year"
    estimates: tuple[AreaEstimateRow, ...] = ()
    pretrend_test: PretrendTest | None = None
    donor_weights: tuple[DonorWeight, ...] = ()
    before_after: tuple[BeforeAfterRow, ...] = ()
    assumptions: dict = field(default_factory=dict)  # estimator -> {da, en} text
    populations: tuple[AreaPopulation, ...] = ()
    trends: tuple[AreaTrendPoint, ...] = ()
    n_units: int | None = None
    n_treated_units: int | None = None
    n_periods: int | None = None
    seed: int | None = None
    spec: AreaSpec = field(default_factory=AreaSpec)
    extras: dict = field(default_factory=dict)
    not_estimable: tuple = ()
    _nested = {"estimates": AreaEstimateRow, "trends": AreaTrendPoint, "pretrend_test": PretrendTest,
               "donor_weights": DonorWeight, "before_after": BeforeAfterRow, "populations": AreaPopulation}

    @classmethod
    def from_result(cls, result: Any, trends: list[dict[str, Any]]) -> "AreaBlock":
        """The block of an :class:`evaltool.areas.AreaResult` and its trend points."""
        d = dict(result.to_dict())
        d["trends"] = trends
        d["outcome"] = result.spec["outcome"]
        d["time"] = result.spec["time"]
        order = [k for k in cls.__dataclass_fields__ if k != "suppressed"]
        return cls.from_dict({k: d[k] for k in order if k in d}, "area")

    @classmethod
    def from_dict(cls, data: Any, path: str = "area") -> "AreaBlock":
        """Read the block strictly; ``spec`` is validated back into the :class:`AreaSpec` that ran."""
        if isinstance(data, dict) and isinstance(data.get("spec"), dict):
            data = {**data, "spec": read_spec(AreaSpec, data["spec"], f"{path}.spec")}
        return super().from_dict(data, path)  # type: ignore[return-value]

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
