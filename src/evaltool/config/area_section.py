"""The ``area_panel:`` section: :class:`~evaltool.specs.areas.AreaSpec` plus the panel's source.

The section *is* the spec (a subclass: every parameter rule lives in the spec) with one source
added: ``path`` (csv/parquet), ``simulate`` (:func:`evaltool.simulate.areas.simulate_area_panel`)
or ``residence`` (a residence file x the study's weekly panel). ``spec()`` returns the path-free spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from evaltool.config._base import Section

from evaltool.exceptions import EvaltoolError
from evaltool.specs.areas import AreaSpec

__all__ = ["AreaSimulateSection", "AreaResidenceSection", "AreaPanelSection"]




class AreaSimulateSection(Section):
    """Synthetic area panel (:func:`evaltool.simulate.areas.simulate_area_panel`), with known truth."""

    scenario: Literal["fredericia", "staggered", "one_treated"] = "fredericia"
    """Shape of the simulated panel: `fredericia` (two high-unemployment areas treated from 2014), `staggered` (three start cohorts, effects growing) or `one_treated`."""
    n_areas: Annotated[int, Field(ge=3, le=2000)] = 16
    """Number of simulated areas."""
    years: tuple[int, int] = (2008, 2020)
    """First and last year `[first, last]` of the panel (at least 4 years)."""
    effect: Annotated[float, Field(ge=-0.5, le=0.5)] = -0.03
    """True effect on the unemployment rate in the treated areas (e.g. -0.03 = 3 percentage points lower)."""
    seed: Annotated[int, Field(ge=0)] = 2026
    """Seed of the simulation."""
    n_treated: Annotated[int, Field(ge=1)] | None = None
    """Number of treated areas in scenario `fredericia` (none: 2)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("area", "year", "residents", "unemployment_rate", "outreach_start_year")

    @model_validator(mode="after")
    def _years(self) -> "AreaSimulateSection":
        a, b = self.years
        if b - a < 3:
            raise ValueError(f"`years` must be [first, last] spanning >= 4 years; got [{a}, {b}]")
        if self.n_treated is not None and (self.scenario != "fredericia" or self.n_treated >= self.n_areas):
            raise ValueError(f"`n_treated` applies to scenario 'fredericia' and must be < n_areas "
                             f"({self.n_areas}); got {self.n_treated}")
        return self


class AreaResidenceSection(Section):
    """Area panel derived from a residence file and the study's weekly panel
    (:func:`evaltool.registers.area_shares.area_shares`)."""

    path: Path
    """Residence file: which person lives in which area, per period (csv/parquet)."""
    id: str = "person_id"
    """Residence-file column with the person id (as in the weekly register)."""
    area: str = "area"
    """Residence-file column with the area."""
    categories: list[str] = Field(min_length=1)
    """Code-map categories or groups whose share of residents forms the area outcome (e.g. `[public_support]`)."""
    period: Literal["year", "quarter"] = "year"
    """Period of the derived panel: `year` or `quarter`."""
    starts: dict[str, int] = Field(default_factory=dict)
    """First treated period of each treated area (e.g. `{Korskaerparken: 2015}`); areas not listed are never treated."""


class AreaPanelSection(AreaSpec):
    """``area_panel:``: the fields of :class:`~evaltool.specs.areas.AreaSpec` (all rules live there)
    plus the source of the panel: ``path`` (csv/parquet), ``simulate`` or ``residence``."""

    path: Path | None = None
    """Area panel file (csv/parquet) with one row per area and period."""
    simulate: AreaSimulateSection | None = None
    """Simulated area panel with a known effect, instead of `path`."""
    residence: AreaResidenceSection | None = None
    """Derive the area panel from a residence file and the study's weekly register, instead of `path`."""

    @model_validator(mode="after")
    def _source(self) -> "AreaPanelSection":
        given = [k for k in ("path", "simulate", "residence") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one source: `path` (a file), `simulate` or `residence`; got "
                             f"{', '.join(given) or 'none'}")
        if self.simulate is not None:
            cols = AreaSimulateSection.COLUMNS
            for key in ("unit", "time", "outcome", "first_treated", "weights", "population"):
                v = getattr(self, key)
                if v is not None and v not in cols:
                    raise EvaltoolError(f"the simulated panel has columns {', '.join(cols)}; got {v!r}", key=key)
        if self.residence is not None:
            r = self.residence
            need = {"unit": r.area, "time": r.period, "first_treated": "first_treated"}
            for key, col in need.items():
                if getattr(self, key) != col:
                    raise EvaltoolError(f"with `residence` the panel column is {col!r}; got "
                                        f"{getattr(self, key)!r}", key=key)
            for key in ("weights", "population"):
                v = getattr(self, key)
                if v is not None and v not in ("population", "person_weeks"):
                    raise EvaltoolError(f"with `residence` use 'population' or 'person_weeks'; got {v!r}", key=key)
        return self

    def spec(self) -> AreaSpec:
        """The :class:`AreaSpec` of this section (the source keys removed)."""
        return AreaSpec(**self.model_dump(exclude={"path", "simulate", "residence"}))
