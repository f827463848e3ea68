"""The typed study configuration (pydantic, ``extra="forbid"`` everywhere).

Each section maps onto the Python API by the same names: ``design:`` onto
:func:`evaltool.match`, ``effects:`` onto :func:`evaltool.estimate`,
``outcomes:`` onto :class:`evaltool.registers.OutcomeSpec`.
A config never executes code: covariates use the fixed term grammar of
:mod:`evaltool.terms` (``age``, ``C(origin)``, ``log(x)``, ``x^2``, ``a:b``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Labels", "StudySection", "SimulateSection", "SampleRule", "DataSection",
    "PropensitySection", "DesignSection", "EffectsSection", "OutcomeSection",
    "SubgroupSection", "AreaPanelSection", "SensitivitySection", "DisclosureSection",
    "ReportSection", "StudyConfig",
]

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
_TERM = re.compile(
    r"^(?:C\((\w+)\)|log\((\w+)\)|(\w+)\^2|(\w+(?::\w+)+)|(\w+))$"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Labels(_Model):
    """A text in Danish and English."""

    da: str
    en: str


class StudySection(_Model):
    title: Annotated[str, Field(min_length=1)] | Labels
    stage: Literal["midterm", "final"] = "final"
    language: Literal["da", "en"] = "da"
    seed: Annotated[int, Field(ge=0)] = 2026
    effort: Labels | None = None
    municipality: str | None = None
    period: str | None = None
    followup_weeks: Annotated[int, Field(ge=1)] | None = None


class SimulateSection(_Model):
    n: Annotated[int, Field(ge=100, le=20_000_000)] = 20_000
    seed: Annotated[int, Field(ge=0)] = 2026
    treated_share: Annotated[float, Field(gt=0, lt=1)] = 0.25
    panel: bool = True


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


class PropensitySection(_Model):
    model: Literal["logit", "random_forest", "gradient_boosting"] = "logit"


def _check_terms(terms: list[str]) -> list[str]:
    for t in terms:
        if not _TERM.match(t.replace(" ", "")):
            raise ValueError(
                f"covariate term {t!r} is not in the grammar: name, C(name), log(name), name^2, a:b"
            )
    return [t.replace(" ", "") for t in terms]


class DesignSection(_Model):
    method: Literal["nearest"] = "nearest"
    estimand: Literal["ATT", "ATC"] = "ATT"
    covariates: list[str] = Field(min_length=1)
    exact: list[str] = Field(default_factory=list)
    propensity: PropensitySection = Field(default_factory=PropensitySection)
    distance: Literal["glm", "mahalanobis"] = "glm"
    mahvars: list[str] | None = None
    ratio: Annotated[int, Field(ge=1, le=20)] = 1
    replace: bool = False
    caliper: Annotated[float, Field(gt=0)] | None = None
    std_caliper: bool = True
    caliper_scale: Literal["distance", "logit"] = "distance"
    m_order: Literal["largest", "smallest", "closest", "data", "random"] | None = None
    discard: Literal["none", "treated", "control", "both"] = "none"
    ties: bool = False

    _terms = field_validator("covariates")(classmethod(lambda cls, v: _check_terms(v)))

    @model_validator(mode="after")
    def _consistent(self) -> "DesignSection":
        if self.ties and not self.replace:
            raise ValueError("`ties: true` needs `replace: true`")
        if self.mahvars is not None and self.distance == "mahalanobis":
            raise ValueError("`mahvars` is for Mahalanobis matching within a propensity caliper; use it with distance: glm")
        return self


class EffectsSection(_Model):
    method: Literal["difference", "regression"] = "difference"
    variance: Literal["cluster", "hc1", "hc3", "abadie_imbens", "bootstrap"] | None = None
    ps_adjust: bool = False
    adjust: Literal["holm", "bh", "none"] = "holm"
    covariates: list[str] | None = None
    n_boot: Annotated[int, Field(ge=50, le=100_000)] = 999
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    n_jobs: Annotated[int, Field(ge=1, le=256)] = 1


class OutcomeSection(_Model):
    """An outcome: derived from the weekly register (any/status_at/share/time_to) or a column."""

    name: Annotated[str, Field(pattern=_IDENT)]
    label: Labels
    kind: Literal["any", "status_at", "share", "time_to", "column"]
    categories: list[str] = Field(default_factory=list)
    weeks: tuple[int, int] | None = None
    week: int | None = None
    horizon: Annotated[int, Field(ge=1)] | None = None
    column: str | None = None
    type: Literal["binary", "continuous", "count"] | None = None
    placebo: bool = False

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


class SubgroupSection(_Model):
    """A subgroup variable: a column, optionally cut into bands (e.g. age groups)."""

    name: Annotated[str, Field(pattern=_IDENT)]
    column: str
    cuts: list[float] | None = None

    @field_validator("cuts")
    @classmethod
    def _increasing(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) < 1 or any(b <= a for a, b in zip(v, v[1:]))):
            raise ValueError("`cuts` must be a non-empty increasing list of numbers")
        return v


class AreaPanelSection(_Model):
    path: Path | None = None
    unit: str = "area"
    time: str = "year"
    outcome: str = "unemployment_rate"
    first_treated: str = "outreach_start_year"


class SensitivitySection(_Model):
    evalue: bool = False
    rosenbaum: bool = False
    placebo_outcomes: list[str] = Field(default_factory=list)


class DisclosureSection(_Model):
    min_cell: Annotated[int, Field(ge=5, le=100)] = 5  # disclosure rule: never below 5 persons
    rounding: Annotated[int, Field(ge=2, le=100)] | None = None


class ReportSection(_Model):
    templates: list[Literal["midterm", "final"]] = Field(default_factory=list)
    languages: list[Literal["da", "en"]] | None = None
    out: Path | None = None
    compare_with: Path | None = None
    disclosure: DisclosureSection = Field(default_factory=DisclosureSection)


def _subgroup_entry(v: object) -> object:
    return {"name": v, "column": v} if isinstance(v, str) else v


class StudyConfig(_Model):
    """A whole study: what to read, how to design, what to estimate and report."""

    study: StudySection
    data: DataSection
    design: DesignSection
    effects: EffectsSection = Field(default_factory=EffectsSection)
    outcomes: list[OutcomeSection] = Field(min_length=1)
    subgroups: list[SubgroupSection] = Field(default_factory=list)
    process: list[str] = Field(default_factory=list)
    area_panel: AreaPanelSection | None = None
    sensitivity: SensitivitySection = Field(default_factory=SensitivitySection)
    report: ReportSection = Field(default_factory=ReportSection)

    @field_validator("subgroups", mode="before")
    @classmethod
    def _subgroup_strings(cls, v: object) -> object:
        return [_subgroup_entry(x) for x in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _cross(self) -> "StudyConfig":
        names = [o.name for o in self.outcomes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"outcome names must be unique; repeated: {', '.join(dup)}")
        derived = [o.name for o in self.outcomes if o.kind != "column"]
        if derived and self.data.weekly_status is None and not (
            self.data.simulate is not None and self.data.simulate.panel
        ):
            raise ValueError(
                f"outcomes {', '.join(derived)} are derived from the weekly register, "
                "but `data` has no `weekly_status` panel (or `simulate.panel` is false)"
            )
        unknown = [p for p in self.sensitivity.placebo_outcomes if p not in names]
        if unknown:
            raise ValueError(f"`sensitivity.placebo_outcomes` names unknown outcomes: {', '.join(unknown)}")
        return self
