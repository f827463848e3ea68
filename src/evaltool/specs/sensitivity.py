"""``SensitivitySpec``: the validated recipe of the sensitivity stage (the ``sensitivity:``
config section). Unknown keys are errors (``extra="forbid"``); bounds and cross-field rules are
checked on construction and raise :class:`evaltool.exceptions.ConfigError`.

Examples
--------
>>> spec = SensitivitySpec(cluster={"by": "area"})
>>> spec.gamma_grid()[:3]
[1.0, 1.1, 1.2]
>>> spec.cluster.weights
'rademacher'
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evaltool.exceptions import ConfigError

__all__ = ["SensitivitySpec", "GammaGrid", "PlaceboSpec", "ClusterSpec", "SpecCurveSpec", "parse_spec"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class GammaGrid(_Strict):
    """Gamma values ``start, start + step, ..., stop`` (inclusive)."""

    start: float = Field(1.0, ge=1.0)
    """Smallest Γ (odds of treatment between two matched persons) of the grid; 1 = no hidden bias."""
    stop: float = Field(3.0, ge=1.0, le=100.0)
    """Largest Γ of the grid."""
    step: float = Field(0.1, gt=0.0)
    """Distance between successive Γ values."""

    @model_validator(mode="after")
    def _order(self) -> "GammaGrid":
        if self.stop < self.start:
            raise ValueError(f"gamma.stop must be >= gamma.start; got start {self.start}, stop {self.stop}")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("gamma grid has more than 10000 points; use a larger step")
        return self

    def values(self) -> list[float]:
        n = int(np.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        return [round(self.start + i * self.step, 10) for i in range(n)]


class PlaceboSpec(_Strict):
    """Negative controls: pre-period mirror outcomes, a placebo start date, named outcomes."""

    pre_period: bool = False
    """Estimate each register outcome over weeks before start, where the effort cannot have acted (should be ≈ 0)."""
    pre_period_window: tuple[int, int] = (-52, -1)
    """Weeks before start `[a, b]` of every `any`/`share` placebo; the default `[-52, -1]` mirrors each outcome's own window."""
    placebo_start_shift_weeks: int | None = Field(None, ge=1, le=520)
    """Pretend the effort started this many weeks earlier (Python API only; an error in a config)."""
    outcomes: tuple[str, ...] = ()
    """Outcomes that the effort should not affect, estimated as negative controls."""

    @field_validator("pre_period_window")
    @classmethod
    def _window(cls, v: tuple[int, int]) -> tuple[int, int]:
        a, b = v
        if not (a <= b <= -1):
            raise ValueError(f"pre_period_window must be (a, b) with a <= b <= -1 (weeks before start); got {v}")
        return v


class ClusterSpec(_Strict):
    """Area-level inference: cluster column, wild cluster bootstrap, randomization inference."""

    by: str = Field(..., min_length=1)
    """Persons column to cluster by (e.g. `area`: persons in one housing area share shocks)."""
    n_boot: int = Field(9999, ge=99, le=1_000_000)
    """Wild cluster bootstrap replications (≥ 99)."""
    weights: Literal["rademacher", "webb"] = "rademacher"
    """Weights of the wild cluster bootstrap: `rademacher`, or `webb` (better with fewer than about 12 clusters)."""
    permutations: int = Field(999, ge=99, le=1_000_000)
    """Randomization-inference permutations of treatment across clusters (all of them when fewer exist)."""
    twoway_with_pair: bool = True
    """Also report the two-way (Cameron-Gelbach-Miller) SE clustered by area and by matched pair."""


class SpecCurveSpec(_Strict):
    """The declared grid of reasonable designs (the Cartesian product is run)."""

    caliper: tuple[float | None, ...] = (None, 0.1, 0.2, 0.5)
    """Calipers to try (in SDs of the score; `null` = no caliper)."""
    ratio: tuple[int, ...] = (1, 2, 3)
    """Matching ratios (comparison persons per participant) to try."""
    replace: tuple[bool, ...] = (False, True)
    """Matching with and/or without replacement."""
    exact: tuple[tuple[str, ...], ...] = ((),)
    """Sets of exact-matching columns to try (`[]` = none)."""
    regression: tuple[bool, ...] = (False, True)
    """Effect estimators to try: difference in means (false) and/or regression adjustment (true)."""
    max_specs: int = Field(500, ge=1, le=100_000)
    """Largest number of designs the grid may have (a guard against a grid that takes hours)."""

    @field_validator("caliper")
    @classmethod
    def _caliper(cls, v):
        if not v or any(c is not None and c <= 0 for c in v):
            raise ValueError(f"caliper values must be None or > 0 and the list non-empty; got {list(v)}")
        return v

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, v):
        if not v or any(r < 1 or r > 20 for r in v):
            raise ValueError(f"ratio values must be integers in 1..20 and the list non-empty; got {list(v)}")
        return v

    @model_validator(mode="after")
    def _size(self) -> "SpecCurveSpec":
        for name in ("replace", "exact", "regression"):
            if not getattr(self, name):
                raise ValueError(f"specification_curve.{name} must list at least one choice")
        n = len(self.caliper) * len(self.ratio) * len(self.replace) * len(self.exact) * len(self.regression)
        if n > self.max_specs:
            raise ValueError(f"the specification grid has {n} designs, more than max_specs={self.max_specs}")
        return self

    def size(self) -> int:
        return len(self.caliper) * len(self.ratio) * len(self.replace) * len(self.exact) * len(self.regression)


class SensitivitySpec(_Strict):
    """Which sensitivity analyses to run, and how."""

    rosenbaum: bool = True
    """Rosenbaum bounds: how strong hidden bias (Γ) would have to be to make the effect insignificant."""
    gamma: GammaGrid = GammaGrid()
    """Grid of Γ values the Rosenbaum bounds are computed for."""
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    """Significance level of the Rosenbaum bounds and the other tests (0.05)."""
    trim: float = Field(3.0, gt=0.0)
    """Huber-ψ trimming of the m-statistic for k:1 and variable-ratio sets, in units of the scale (R sensitivitymv's `trim`)."""
    inner: float = Field(0.0, ge=0.0)
    """Inner trimming of the m-statistic: differences below this are scored 0 (R sensitivitymv's `inner`)."""
    lam: float = Field(0.5, gt=0.0, lt=1.0)
    """Quantile of the absolute within-set differences used as the m-statistic's scale (R sensitivitymv's `lambda`)."""
    exact_max_pairs: int = Field(0, ge=0, le=400)
    """Use the exact Wilcoxon signed-rank distribution when there are at most this many pairs (0: normal approximation)."""
    evalue: bool = True
    """E-values: the strength of an unmeasured confounder (risk-ratio scale) that would explain the effect away."""
    placebo: PlaceboSpec = PlaceboSpec()
    """Placebo (negative-control) analyses."""
    cluster: ClusterSpec | None = None
    """Clustered inference for persons sharing an area: CR1, wild cluster bootstrap, randomization inference."""
    specification_curve: SpecCurveSpec | None = None
    """A grid of reasonable designs, every combination run and the effects shown side by side (none: not run)."""

    @model_validator(mode="after")
    def _rules(self) -> "SensitivitySpec":
        if self.inner > self.trim:
            raise ValueError(f"inner must be <= trim; got inner {self.inner}, trim {self.trim}")
        return self

    def gamma_grid(self) -> list[float]:
        return self.gamma.values()


def parse_spec(obj: dict | SensitivitySpec | None) -> SensitivitySpec:
    """A :class:`SensitivitySpec` from a mapping (config section) or itself; errors as ConfigError."""
    if isinstance(obj, SensitivitySpec):
        return obj
    try:
        return SensitivitySpec.model_validate(obj or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "sensitivity"
        raise ConfigError(f"sensitivity.{loc}: {err['msg']}; got {err.get('input')!r}") from None
