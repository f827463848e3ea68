"""The outcome and subgroup sections of a study config."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from evaltool.config._base import Section
from evaltool.config.report_section import Labels

__all__ = ["IDENT", "OutcomeSection", "SubgroupSection"]

IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""Pattern of a name that becomes a column or key: letters, digits and underscores, not starting with a digit."""


class OutcomeSection(Section):
    """An outcome: derived from the weekly register (any/status_at/share/time_to) or a column."""

    name: Annotated[str, Field(pattern=IDENT)]
    """Identifier of the outcome (a column name in results and tables)."""
    label: Labels
    """Text of the outcome in the report, in Danish and English."""
    kind: Literal["any", "status_at", "share", "time_to", "column"]
    """How the outcome is derived: `any` (ever in `categories` in `weeks`), `status_at` (in them at `week`), `share` (share of `weeks`), `time_to` (weeks until first), `column` (a persons column)."""
    categories: list[str] = Field(default_factory=list)
    """Code-map categories or groups of the weekly register that count as the outcome (`self_support`: no public support that week)."""
    weeks: tuple[int, int] | None = None
    """Window `[a, b]` of weeks after start that `any` and `share` look at (e.g. `[1, 52]`)."""
    week: int | None = None
    """Week after start at which `status_at` reads the status."""
    horizon: Annotated[int, Field(ge=1)] | None = None
    """Weeks of follow-up of a `time_to` outcome; persons without the event by then are censored."""
    column: str | None = None
    """Persons column holding a `column` outcome."""
    type: Literal["binary", "continuous", "count"] | None = None
    """Scale of a `column` outcome: `binary` (reported in % and percentage points), `continuous` or `count`."""
    placebo: bool = False
    """Treat the outcome as a placebo (negative control): estimated in the robustness chapter, not as an effect."""
    source: Literal["weekly_status", "social"] = "weekly_status"  # social: the simulator's social register
    """Register the outcome is read from: the weekly status panel, or (simulated data only) the social register."""

    @model_validator(mode="after")
    def _by_kind(self) -> "OutcomeSection":
        k = self.kind
        if k == "column":
            if self.column is None:
                raise ValueError("kind `column` needs `column`")
            if self.categories:
                raise ValueError("kind `column` takes no `categories`")
            return self
        if not self.categories:
            raise ValueError(f"kind `{k}` needs a non-empty `categories` list")
        if self.column is not None:
            raise ValueError(f"kind `{k}` takes no `column`")
        if k in ("any", "share"):
            if self.weeks is None:
                raise ValueError(f"kind `{k}` needs `weeks: [a, b]`")
            a, b = self.weeks
            if a > b:
                raise ValueError(f"`weeks` must be [a, b] with a <= b; got [{a}, {b}]")
        if k == "status_at" and self.week is None:
            raise ValueError("kind `status_at` needs `week`")
        if k == "time_to" and self.horizon is None:
            raise ValueError("kind `time_to` needs `horizon` (weeks of follow-up)")
        if k == "time_to" and self.placebo:
            raise ValueError("a `time_to` outcome cannot be a placebo outcome (`placebo: true`); "
                             "use an `any`, `status_at`, `share` or `column` outcome")
        return self

    @property
    def last_week(self) -> int | None:
        """The last week after start this outcome looks at."""
        if self.kind in ("any", "share") and self.weeks is not None:
            return self.weeks[1]
        if self.kind == "status_at":
            return self.week
        if self.kind == "time_to":
            return self.horizon
        return None


class SubgroupSection(Section):
    """A subgroup variable: a column, optionally cut into bands (e.g. age groups)."""

    name: Annotated[str, Field(pattern=IDENT)]
    """Name of the subgroup variable in tables."""
    column: str
    """Persons column that defines the subgroups."""
    cuts: list[float] | None = None
    """Increasing cut points that band a number into groups (e.g. age `[30, 40, 50]`); none: each value is a group."""

    @field_validator("cuts")
    @classmethod
    def _increasing(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) < 1 or any(b <= a for a, b in zip(v, v[1:]))):
            raise ValueError("`cuts` must be a non-empty increasing list of numbers")
        return v
