"""The typed study configuration (pydantic, ``extra="forbid"`` everywhere).

Each section maps onto the Python API by the same names: ``design:`` onto
:func:`evaltool.match`, ``effects:`` onto :func:`evaltool.estimate`,
``outcomes:`` onto :class:`evaltool.registers.OutcomeSpec`.
The design, propensity and effects sections *build* the stage specs of
:mod:`evaltool.specs` (:class:`MatchSpec`, :class:`PropensitySpec`,
:class:`EffectsSpec`), which hold every bound and cross-field rule; the schema
only adds the types. So a rule is checked once, here, at ``evaltool validate``
time, with the message the Python API gives (the loader adds ``file:line``).
A config never executes code: covariates use the one term grammar of
:mod:`evaltool.terms` (``age``, ``C(origin)``, ``log(x)``, ``x^2``, ``a:b``).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evaltool.exceptions import EvaltoolError
from evaltool.config.data_section import DataSection, HistorySpec, SampleRule, SimulateSection
from evaltool.config.area_section import AreaPanelSection, AreaResidenceSection, AreaSimulateSection
from evaltool.specs.effects import EffectsSpec
from evaltool.config.design_section import ComparisonDesignSection, DesignSection, PropensitySection
from evaltool.specs.process import CaseDurationSpec, ContactsSpec, CostSpec, JourneySpec, MappingSpec
from evaltool.config.sensitivity import SensitivitySection

__all__ = [
    "Labels", "StudySection", "SimulateSection", "SampleRule", "HistorySpec", "DataSection",
    "PropensitySection", "DesignSection", "EffectsSection", "OutcomeSection",
    "SubgroupSection", "AreaSimulateSection", "AreaResidenceSection", "AreaPanelSection", "SensitivitySection", "DisclosureSection",
    "ReportSection", "StudyConfig",
]

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


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
    # report17: metadata shown on the cover and in the provenance appendix (docs/reports.md)
    author: Annotated[str, Field(min_length=1)] | None = None
    organisation: Annotated[str, Field(min_length=1)] | None = None
    data_extracted: datetime.date | None = None
    register_period: Annotated[str, Field(min_length=1)] | None = None


class EffectsSection(_Model):
    """Effect estimation; builds :class:`~evaltool.specs.effects.EffectsSpec` (all rules live there)."""

    method: str = "difference"
    variance: str | None = None
    ps_adjust: bool = False
    adjust: str = "holm"
    covariates: list[str] | None = None
    n_boot: int = 999
    alpha: float = 0.05
    n_jobs: int = 1

    @model_validator(mode="after")
    def _spec(self) -> "EffectsSection":
        self.spec()
        return self

    def spec(self, seed: int | None = None) -> EffectsSpec:
        """The :class:`EffectsSpec` of this section (variance not yet resolved)."""
        return EffectsSpec(method=self.method, variance=self.variance, ps_adjust=self.ps_adjust,
                           adjust=self.adjust, covariates=self.covariates, n_boot=self.n_boot,
                           alpha=self.alpha, n_jobs=self.n_jobs, seed=seed)


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
    source: Literal["weekly_status", "social"] = "weekly_status"  # social: the simulator's social register

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




class DisclosureSection(_Model):
    min_cell: Annotated[int, Field(ge=5, le=100)] = 5  # disclosure rule: never below 5 persons
    rounding: Annotated[int, Field(ge=2, le=100)] | None = None


class ReportTexts(_Model):
    """Free-text report sections, each Markdown in Danish and English (rendered with raw HTML disabled)."""

    programme_theory: Labels | None = None
    implementation: Labels | None = None
    recommendations: Labels | None = None
    quotes: Labels | None = None


class ReportSection(_Model):
    templates: list[Literal["midterm", "final"]] = Field(default_factory=list)
    languages: list[Literal["da", "en"]] | None = None
    out: Path | None = None
    compare_with: Path | None = None
    disclosure: DisclosureSection = Field(default_factory=DisclosureSection)
    # report17: output formats; PDFs are printed from the HTML, so "html" is always among them
    formats: list[Literal["html", "pdf"]] = Field(default_factory=lambda: ["html"])
    texts: ReportTexts = Field(default_factory=ReportTexts)

    @field_validator("formats")
    @classmethod
    def _formats_have_html(cls, v: list[str]) -> list[str]:
        if "html" not in v:
            raise ValueError("must include 'html' (PDFs are printed from the HTML report); "
                             f"use [html] or [html, pdf]; got {v}")
        if len(set(v)) != len(v):
            raise ValueError(f"lists a format twice; got {v}")
        return v


def _subgroup_entry(v: object) -> object:
    return {"name": v, "column": v} if isinstance(v, str) else v


class StudyConfig(_Model):
    """A whole study: what to read, how to design, what to estimate and report."""

    study: StudySection
    data: DataSection | None = None  # None: an area-only study (just `study` and `area_panel`)
    design: DesignSection | None = None
    comparison_designs: list[ComparisonDesignSection] = Field(default_factory=list)
    effects: EffectsSection = Field(default_factory=EffectsSection)
    outcomes: list[OutcomeSection] = Field(default_factory=list)
    subgroups: list[SubgroupSection] = Field(default_factory=list)
    process: list[str] = Field(default_factory=list)
    area_panel: AreaPanelSection | None = None
    sensitivity: SensitivitySection = Field(default_factory=SensitivitySection)
    report: ReportSection = Field(default_factory=ReportSection)
    # --- process analyses (issue 16): the sections ARE the specs of evaltool.specs.process ---
    mapping: MappingSpec | None = None
    journeys: JourneySpec | None = None
    case_duration: CaseDurationSpec | None = None
    contacts: ContactsSpec | None = None
    cost: CostSpec | None = None

    @model_validator(mode="after")
    def _process_sections(self) -> "StudyConfig":
        if self.data is None:  # an area-only study: the person-level sections are checked by _area_only
            return self
        has_panel = self.data.weekly_status is not None or (self.data.simulate is not None and self.data.simulate.panel)
        for key in ("mapping", "journeys", "case_duration"):
            if getattr(self, key) is not None and not has_panel:
                raise EvaltoolError(f"`{key}` needs the weekly panel (`data.weekly_status`, or `data.simulate` "
                                    "with `panel: true`)", key=key)
        if self.contacts is not None and self.contacts.path is None and self.data.simulate is None:
            raise EvaltoolError("`contacts.path` is empty: give the contact log file (csv/parquet), or use "
                                "`data.simulate` for a simulated log", key="contacts.path")
        social = [o.name for o in self.outcomes if o.source == "social"]
        if social and not (self.data.simulate is not None and self.data.simulate.social_register):
            raise EvaltoolError(f"outcomes {', '.join(social)} use `source: social`, which needs "
                                "`data.simulate.social_register: true`", key="outcomes")
        if self.cost is not None:
            known = [o.name for o in self.outcomes if o.kind != "time_to"]
            bad = [o for o in self.cost.outcomes if o not in known]
            if bad:
                raise EvaltoolError(f"`cost.outcomes` names {', '.join(bad)}, not an estimated outcome; "
                                    f"outcomes: {', '.join(known)}", key="cost.outcomes")
        return self
    # --- end process analyses ---

    @field_validator("subgroups", mode="before")
    @classmethod
    def _subgroup_strings(cls, v: object) -> object:
        return [_subgroup_entry(x) for x in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _cross(self) -> "StudyConfig":
        if self.area_only:
            return self._area_only()
        for key in ("data", "design"):
            if getattr(self, key) is None:
                raise EvaltoolError("required key is missing (an area-only study has just `study` and "
                                    "`area_panel`)", key=key)
        if not self.outcomes:
            raise EvaltoolError("list should have at least 1 item", key="outcomes")
        if self.area_panel is not None and self.area_panel.residence is not None:
            d = self.data
            if d.weekly_status is None and not (d.simulate is not None and d.simulate.panel):
                raise EvaltoolError("`residence` needs the weekly panel of `data` (`weekly_status`, or "
                                    "`simulate` with `panel: true`)", key="area_panel.residence")
        self._effects_fit_designs()
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
            raise EvaltoolError(f"names unknown outcomes: {', '.join(unknown)}; allowed: {', '.join(names)}",
                                key="sensitivity.placebo_outcomes")
        if all(o.placebo or o.name in self.sensitivity.placebo_outcomes or o.kind == "time_to"
               for o in self.outcomes):
            raise ValueError("every outcome is a placebo outcome (or time to event): at least one outcome "
                             "must be an effect to estimate")
        return self

    def _effects_fit_designs(self) -> None:
        """The effects settings resolve against the main design and every comparison design."""
        designs = [("design", self.design)] + [(f"comparison_designs.{i}", d)
                                               for i, d in enumerate(self.comparison_designs)]
        names = [d.name for d in self.comparison_designs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise EvaltoolError(f"comparison design names must be unique; repeated: {', '.join(dup)}",
                                key="comparison_designs")
        if self.sensitivity.specification_curve is not None and self.design.method != "nearest":
            raise EvaltoolError(f"the specification curve varies the choices of nearest matching; design method "
                                f"{self.design.method!r} has none (declare `comparison_designs` to compare "
                                "designs)", key="sensitivity.specification_curve")
        for where, dz in designs:
            if dz.method == "aipw":
                if where == "design" and self.effects.model_fields_set & {"method", "variance", "ps_adjust"}:
                    key = sorted(self.effects.model_fields_set & {"method", "variance", "ps_adjust"})[0]
                    raise EvaltoolError(f"`{key}` does not apply to design method 'aipw' (AIPW estimates "
                                        "its effect with its influence-function standard error); remove it",
                                        key=f"effects.{key}")
                continue
            try:
                self.effects.spec().resolve(dz.default_variance)
            except EvaltoolError as exc:
                key = f"effects.{exc.key}" if exc.key else "effects"
                if where != "design":
                    raise EvaltoolError(f"{exc} (with comparison design {dz.name!r})", key=key) from None
                raise EvaltoolError(str(exc), key=key) from None

    @property
    def area_only(self) -> bool:
        """True for a study with an area panel and no person data."""
        return self.data is None and self.area_panel is not None

    def _area_only(self) -> "StudyConfig":
        extra = [k for k in ("design", "outcomes", "subgroups", "process") if getattr(self, k)]
        if extra:
            raise EvaltoolError(f"`{extra[0]}` needs person data: add a `data` section, or remove it for an "
                                "area-only study", key=extra[0])
        if self.area_panel.residence is not None:
            raise EvaltoolError("`residence` derives the area panel from the weekly panel of `data`; add a "
                                "`data` section or use `path` / `simulate`", key="area_panel.residence")
        if self.report.compare_with is not None:
            raise EvaltoolError("comparison with a midterm report needs person results; remove it for an "
                                "area-only study", key="report.compare_with")
        return self
