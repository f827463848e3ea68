"""The area-level analysis spec: the one source of truth for its parameters.

:class:`AreaSpec` is path-free; the config section ``area_panel:`` extends it with the data source
(:class:`evaltool.config.schema.AreaPanelSection`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evaltool.exceptions import ConfigError

__all__ = ["AreaSpec", "METHODS", "DEFAULT_METHODS"]

METHODS = ("before_after", "did_2x2", "twfe", "event_study", "callaway_santanna",
           "synthetic_control", "synthetic_did")
DEFAULT_METHODS = ("before_after", "did_2x2", "twfe", "event_study", "callaway_santanna")

Method = Literal["before_after", "did_2x2", "twfe", "event_study", "callaway_santanna",
                 "synthetic_control", "synthetic_did"]


class AreaSpec(BaseModel):
    """What an area-level analysis estimates and how its uncertainty is measured.

    Parameters
    ----------
    unit, time, outcome, first_treated : str
        Column names: area id, period (integer year, or consecutive integer index of quarters/months),
        outcome (e.g. unemployment rate), first treated period (0 or empty = never treated).
    weights : str, optional
        Column of population weights (TWFE is then weighted least squares, Callaway-Sant'Anna
        uses weighted means). ``None`` = every area counts equally.
    population : str, optional
        Column of residents per area and period, carried into the results for disclosure control
        (defaults to ``weights``).
    methods : list of str
        Estimators to run, from ``METHODS``.
    control_group : {'never_treated', 'not_yet_treated'}
        Comparison areas of Callaway-Sant'Anna.
    reference_period : int
        Event time left out of the event study (default -1; must lie before the anticipation window).
    event_min, event_max : int
        Event-study window; event times beyond it are binned into the endpoints.
    anticipation : int
        Periods before the start in which the effort may already act.
    n_boot : int
        Wild cluster bootstrap and multiplier bootstrap replications (0 = none).
    boot_weights : {'rademacher', 'webb'}
        Wild cluster bootstrap weights.
    multiplier : {'mammen', 'rademacher'}
        Multiplier bootstrap weights for Callaway-Sant'Anna uniform bands.
    n_permutations : int
        Randomization-inference permutations (0 = none).
    n_placebo : int
        Placebo replications for the synthetic DiD / synthetic control standard error.
    alpha : float
        1 - confidence level.
    unbalanced : {'error', 'drop'}
        What to do with areas missing periods.

    Examples
    --------
    >>> AreaSpec(outcome="unemployment_rate", methods=["twfe"], n_boot=199).control_group
    'never_treated'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    unit: str = Field("area", min_length=1)
    """Panel column with the area id."""
    time: str = Field("year", min_length=1)
    """Panel column with the period (integer year, or a consecutive index of quarters or months)."""
    outcome: str = Field("unemployment_rate", min_length=1)
    """Panel column with the area outcome (e.g. unemployment rate; a rate in [0, 1] is reported in %)."""
    first_treated: str = Field("outreach_start_year", min_length=1)
    """Panel column with the area's first treated period (0 or empty: never treated)."""
    weights: str | None = None
    """Panel column of population weights for TWFE and Callaway-Sant'Anna (none: every area counts equally)."""
    population: str | None = None
    """Panel column of residents per area and period, for disclosure control (none: `weights`)."""
    methods: tuple[Method, ...] = DEFAULT_METHODS
    """Estimators to run: `before_after`, `did_2x2`, `twfe`, `event_study`, `callaway_santanna`, `synthetic_control`, `synthetic_did`."""
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated"
    """Comparison areas of Callaway-Sant'Anna: `never_treated` or also `not_yet_treated` areas."""
    reference_period: int = Field(-1, le=-1, ge=-20)
    """Event time left out of the event study (default -1, the period before start)."""
    event_min: int = Field(-5, le=-1, ge=-50)
    """First event time of the event-study window; earlier event times are binned into it."""
    event_max: int = Field(5, ge=0, le=50)
    """Last event time of the event-study window; later event times are binned into it."""
    anticipation: int = Field(0, ge=0, le=10)
    """Periods before the start in which the effort may already act (excluded from the pre-period)."""
    n_boot: int = Field(999, ge=0, le=100_000)
    """Wild cluster and multiplier bootstrap replications (0: none, else ≥ 99)."""
    boot_weights: Literal["rademacher", "webb"] = "webb"
    """Weights of the wild cluster bootstrap: `rademacher` or `webb` (better with few treated areas)."""
    multiplier: Literal["mammen", "rademacher"] = "mammen"
    """Weights of the multiplier bootstrap behind Callaway-Sant'Anna's uniform bands: `mammen` or `rademacher`."""
    n_permutations: int = Field(999, ge=0, le=100_000)
    """Randomization-inference permutations of the treated areas (0: none, else ≥ 99)."""
    n_placebo: int = Field(200, ge=0, le=10_000)
    """Placebo replications for the synthetic control and synthetic DiD standard errors."""
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    """1 - confidence level of the intervals (0.05: 95 % intervals)."""
    unbalanced: Literal["error", "drop"] = "error"
    """What an area missing periods does: `error`, or `drop` the area."""

    @model_validator(mode="after")
    def _cross_field(self) -> AreaSpec:
        if len(set(self.methods)) != len(self.methods) or not self.methods:
            raise ValueError(f"`methods` must be a non-empty list without repeats; got {list(self.methods)}")
        if not self.event_min <= self.reference_period:
            raise ValueError(f"`reference_period` ({self.reference_period}) must lie inside the event window "
                             f"[{self.event_min}, {self.event_max}]; widen `event_min`")
        if self.reference_period >= -self.anticipation:
            raise ValueError(f"`reference_period` ({self.reference_period}) must be before the anticipation "
                             f"window (< -{self.anticipation}); set reference_period <= {-self.anticipation - 1}")
        cols = [self.unit, self.time, self.outcome, self.first_treated]
        if len(set(cols)) != 4:
            raise ValueError(f"`unit`, `time`, `outcome`, `first_treated` must name four different columns; "
                             f"got {cols}")
        if 0 < self.n_boot < 99 or 0 < self.n_permutations < 99:
            raise ValueError(f"`n_boot` and `n_permutations` must be 0 or >= 99; got {self.n_boot}, "
                             f"{self.n_permutations}")
        return self

    @classmethod
    def build(cls, **kwargs) -> AreaSpec:
        """Construct, turning pydantic's validation error into a one-line :class:`ConfigError`."""
        try:
            return cls(**kwargs)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "area_panel"
            raise ConfigError(f"area_panel.{loc}: {err['msg']}; got {err.get('input')!r}") from None

    @property
    def population_column(self) -> str | None:
        return self.population or self.weights
