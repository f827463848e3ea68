"""The `data:` section of a study configuration: persons, registers, simulation, sample rules, history.

Part of :mod:`evaltool.config.schema` (which re-exports these classes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SimulateSection", "SampleRule", "HistorySpec", "DataSection"]

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SimulateSection(_Model):
    n: Annotated[int, Field(ge=100, le=20_000_000)] = 20_000
    seed: Annotated[int, Field(ge=0)] = 2026
    treated_share: Annotated[float, Field(gt=0, le=0.9)] = 0.25  # as evaltool.simulate.simulate_study
    panel: bool = True
    social_register: bool = False  # also draw the weekly social register (outcomes with `source: social`)


class SampleRule(_Model):
    """One sample restriction: keep rows whose ``column`` is in ``values`` / within [min, max]."""

    column: str
    values: list[str | int | float | bool] | None = Field(default=None, alias="in")
    min: float | None = None
    max: float | None = None

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


class HistorySpec(_Model):
    """A history covariate from the weekly panel: share of the ``weeks`` weeks before start in ``category``."""

    weeks: Annotated[int, Field(ge=1, le=520)]
    category: str = Field(min_length=1)
    name: str | None = None

    @property
    def column(self) -> str:
        """The covariate's column name (``name``, else ``<category>_share_<weeks>w``)."""
        return self.name or f"{self.category}_share_{self.weeks}w"


class DataSection(_Model):
    persons: Path | None = None
    id: str = "person_id"
    treatment: str = "outreach"
    start: str = "start_week"
    weekly_status: Path | None = None
    code_map: Path | None = None
    areas: Path | None = None
    simulate: SimulateSection | None = None
    missing: Literal["error", "drop"] = "error"
    unknown_codes: Literal["error", "other"] = "error"
    row_order: Literal["id", "file"] = "id"
    pseudo_start: bool = False
    history: list[HistorySpec] = Field(default_factory=list)
    sample: list[SampleRule] = Field(default_factory=list)

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
