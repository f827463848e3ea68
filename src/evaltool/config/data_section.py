"""The `data:` section of a study configuration: persons, registers, simulation, sample rules, history.

Part of :mod:`evaltool.config.schema` (which re-exports these classes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from evaltool.config._base import Section

__all__ = ["SimulateSection", "SampleRule", "HistorySpec", "DataSection"]



class SimulateSection(Section):
    """Simulated persons (:func:`evaltool.simulate.simulate_study`) instead of a persons file."""

    n: Annotated[int, Field(ge=100, le=20_000_000)] = 20_000
    """Number of simulated persons (participants and comparison pool together)."""
    seed: Annotated[int, Field(ge=0)] = 2026
    """Seed of the simulation (independent of `study.seed`)."""
    treated_share: Annotated[float, Field(gt=0, le=0.9)] = 0.25
    """Share of the simulated persons who take part in the effort."""
    panel: bool = True
    """Also simulate the weekly status register, so register outcomes, history and process analyses work."""
    social_register: bool = False
    """Also simulate the weekly social register (outcomes with `source: social`)."""


class SampleRule(Section):
    """One sample restriction: keep rows whose ``column`` is in ``values`` / within [min, max]."""

    column: str
    """Persons column the rule restricts on."""
    values: list[str | int | float | bool] | None = Field(default=None, alias="in")
    """Keep rows whose value is in this list (written `in:`, e.g. `in: [kontanthjaelp]`)."""
    min: float | None = None
    """Keep rows with a value ≥ this (e.g. age over 30: `min: 30`)."""
    max: float | None = None
    """Keep rows with a value ≤ this."""

    @model_validator(mode="after")
    def _one_rule(self) -> "SampleRule":
        if self.values is None and self.min is None and self.max is None:
            raise ValueError("must give `in`, `min` or `max`")
        return self

    def describe(self) -> str:
        parts = []
        if self.values is not None:
            parts.append(f"{self.column} in {list(self.values)}")
        if self.min is not None:
            parts.append(f"{self.column} >= {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.column} <= {self.max:g}")
        return " and ".join(parts)


class HistorySpec(Section):
    """A history covariate from the weekly panel: share of the ``weeks`` weeks before start in ``category``."""

    weeks: Annotated[int, Field(ge=1, le=520)]
    """Length of the look-back window: the weeks −`weeks` to −1 before start."""
    category: str = Field(min_length=1)
    """Code-map category or group whose share of the window becomes the covariate (e.g. `public_support`)."""
    name: str | None = None
    """Name of the covariate column; none: `<category>_share_<weeks>w`."""

    @property
    def column(self) -> str:
        """The covariate's column name (``name``, else ``<category>_share_<weeks>w``)."""
        return self.name or f"{self.category}_share_{self.weeks}w"


class DataSection(Section):
    """The person-level data: a persons file or a simulation, column roles, registers and sample rules."""

    persons: Path | None = None
    """File with one row per person (csv, parquet, dta, sas7bdat, xlsx): treatment, start week, covariates."""
    id: str = "person_id"
    """Persons column with the person id (links to the weekly register)."""
    treatment: str = "outreach"
    """Persons column that is 1 for the effort's participants and 0 for the comparison pool."""
    start: str = "start_week"
    """Persons column with the start week (ISO `YYYYWW`) from which outcomes are counted."""
    weekly_status: Path | None = None
    """Weekly status register (one row per person and week with a register code), the source of outcomes and history."""
    code_map: Path | None = None
    """YAML file mapping the register's codes to categories and groups (needed with `weekly_status`)."""
    areas: Path | None = None
    """File of area-level rows (area, year, ...), read, hashed into the provenance and checked against `area_panel`'s columns."""
    simulate: SimulateSection | None = None
    """Simulated data shaped like a Danish register extract, instead of `persons` (known true effects)."""
    missing: Literal["error", "drop"] = "error"
    """What a missing (or text-in-numeric) value in a used column does: `error` (stop, naming the rows) or `drop` the row (counted in the data report)."""
    unknown_codes: Literal["error", "other"] = "error"
    """What a register code missing from `code_map` does: `error`, or count it as category `other`."""
    row_order: Literal["id", "file"] = "id"
    """Order of persons before matching: sorted by `id` (results independent of file order) or as in the `file` (MatchIt's pairs)."""
    pseudo_start: bool = False
    """Give comparison persons without a start week one drawn from the participants' start weeks (seeded)."""
    history: list[HistorySpec] = Field(default_factory=list)
    """History covariates from the weekly register: share of the weeks before start in a category."""
    sample: list[SampleRule] = Field(default_factory=list)
    """Sample (target-group) restrictions; every rule's exclusions are counted in the data report."""

    @model_validator(mode="after")
    def _source(self) -> "DataSection":
        if (self.persons is None) == (self.simulate is None):
            raise ValueError("give either `persons` (a file) or `simulate` (synthetic data), not both or neither")
        if self.simulate is not None and (self.weekly_status is not None or self.areas is not None):
            raise ValueError("`weekly_status` and `areas` cannot be combined with `simulate`")
        if self.weekly_status is not None and self.code_map is None:
            raise ValueError("`weekly_status` needs a `code_map` (YAML mapping register codes to categories)")
        has_panel = self.weekly_status is not None or (self.simulate is not None and self.simulate.panel)
        if (self.history or self.pseudo_start) and not has_panel:
            raise ValueError("`history` and `pseudo_start` need the weekly panel (`weekly_status`, or "
                             "`simulate` with `panel: true`)")
        names = [h.column for h in self.history]
        if len(set(names)) != len(names):
            raise ValueError(f"`history` names must be unique; got {names}")
        return self
