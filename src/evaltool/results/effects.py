"""Records of the effect blocks of ``results.json``: effects, subgroups, trajectories, time to event.

Part of the typed results document (:mod:`evaltool.results.schema`), which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaltool.results._record import Record

__all__ = ["EffectRow", "SubgroupRow", "SubgroupTest", "TrajectoryRow", "KmPoint", "MedianRow", "CoxRow", "ByWeekRow", "TimeToEventBlock"]


@dataclass(frozen=True)
class EffectRow(Record):
    outcome: str
    subgroup: str | None = None
    level: str | None = None
    estimand: str | None = None
    method: str | None = None
    variance: str | None = None
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_value_adj: float | None = None
    mean_treated: float | None = None
    mean_control: float | None = None
    relative_change: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    unit: str | None = None


@dataclass(frozen=True)
class SubgroupRow(Record):
    variable: str
    outcome: str
    level: str
    estimand: str | None = None
    method: str | None = None
    variance: str | None = None
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_value_adj: float | None = None
    mean_treated: float | None = None
    mean_control: float | None = None
    relative_change: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    unit: str | None = None


@dataclass(frozen=True)
class SubgroupTest(Record):
    variable: str
    outcome: str
    statistic: float | None = None
    df: int | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class TrajectoryRow(Record):
    group: str
    week: int
    category: str
    share: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class KmPoint(Record):
    group: str
    week: float
    survival: float | None = None
    at_risk: float | None = None
    events: float | None = None
    std_error: float | None = None
    n_at_risk: int | None = None


@dataclass(frozen=True)
class MedianRow(Record):
    group: str
    median: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class CoxRow(Record):
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    coef: float | None = None
    std_error: float | None = None


@dataclass(frozen=True)
class ByWeekRow(Record):
    week: int
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    share_treated: float | None = None
    share_control: float | None = None


@dataclass(frozen=True)
class TimeToEventBlock(Record):
    outcome: str
    km: tuple[KmPoint, ...] = ()
    median: tuple[MedianRow, ...] = ()
    cox: CoxRow | None = None
    by_week: tuple[ByWeekRow, ...] = ()
    n: dict | None = None
    alpha: float | None = None
    _nested = {"km": KmPoint, "median": MedianRow, "cox": CoxRow, "by_week": ByWeekRow}
