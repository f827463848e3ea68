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
    model_config = ConfigDict(extra="forbid", frozen=True)


class GammaGrid(_Strict):
    """Gamma values ``start, start + step, ..., stop`` (inclusive)."""

    start: float = Field(1.0, ge=1.0)
    stop: float = Field(3.0, ge=1.0, le=100.0)
    step: float = Field(0.1, gt=0.0)

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
    pre_period_window: tuple[int, int] = (-52, -1)
    placebo_start_shift_weeks: int | None = Field(None, ge=1, le=520)
    outcomes: tuple[str, ...] = ()

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
    n_boot: int = Field(9999, ge=99, le=1_000_000)
    weights: Literal["rademacher", "webb"] = "rademacher"
    permutations: int = Field(999, ge=99, le=1_000_000)
    twoway_with_pair: bool = True


class SpecCurveSpec(_Strict):
    """The declared grid of reasonable designs (the Cartesian product is run)."""

    caliper: tuple[float | None, ...] = (None, 0.1, 0.2, 0.5)
    ratio: tuple[int, ...] = (1, 2, 3)
    replace: tuple[bool, ...] = (False, True)
    exact: tuple[tuple[str, ...], ...] = ((),)
    regression: tuple[bool, ...] = (False, True)
    max_specs: int = Field(500, ge=1, le=100_000)

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
    gamma: GammaGrid = GammaGrid()
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    trim: float = Field(3.0, gt=0.0)
    inner: float = Field(0.0, ge=0.0)
    lam: float = Field(0.5, gt=0.0, lt=1.0)
    exact_max_pairs: int = Field(0, ge=0, le=400)
    evalue: bool = True
    placebo: PlaceboSpec = PlaceboSpec()
    cluster: ClusterSpec | None = None
    specification_curve: SpecCurveSpec | None = None

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
