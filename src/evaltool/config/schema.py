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
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from evaltool.config._base import Section
from evaltool.config.outcome_section import OutcomeSection, SubgroupSection
from evaltool.config.report_section import DisclosureSection, Labels, ReportSection

from evaltool.exceptions import EvaltoolError
from evaltool.config.data_section import DataSection, HistorySpec, SampleRule, SimulateSection
from evaltool.config.area_section import AreaPanelSection, AreaResidenceSection, AreaSimulateSection
from evaltool.specs.effects import EffectsSpec

if TYPE_CHECKING:
    from evaltool.execution import ExecutorSpec
from evaltool.config.design_section import ComparisonDesignSection, DesignSection, PropensitySection
from evaltool.specs.process import CaseDurationSpec, ContactsSpec, CostSpec, JourneySpec, MappingSpec
from evaltool.config.sensitivity import SensitivitySection

__all__ = [
    "Labels", "StudySection", "SimulateSection", "SampleRule", "HistorySpec", "DataSection",
    "PropensitySection", "DesignSection", "EffectsSection", "OutcomeSection",
    "SubgroupSection", "AreaSimulateSection", "AreaResidenceSection", "AreaPanelSection", "SensitivitySection", "DisclosureSection",
    "ReportSection", "StudyConfig",
]





class StudySection(Section):
    title: Annotated[str, Field(min_length=1)] | Labels
    """Title of the evaluation on the report's cover: one text, or `{da, en}` for both languages."""
    stage: Literal["midterm", "final"] = "final"
    """Which report this run writes: `midterm` (follow-up so far) or `final`."""
    language: Literal["da", "en"] = "da"
    """Language of the report and its labels: Danish (`da`) or English (`en`)."""
    seed: Annotated[int, Field(ge=0)] = 2026
    """Master seed of every random step (random matching order, pseudo-starts, bootstrap), so a re-run gives the same bytes."""
    effort: Labels | None = None
    """Name of the employment effort being evaluated, in Danish and English (report header)."""
    municipality: str | None = None
    """Municipality running the effort, shown under the title (e.g. `Fredericia`)."""
    period: str | None = None
    """Period the effort ran, as free text shown under the title (e.g. `2022-2025`)."""
    followup_weeks: Annotated[int, Field(ge=1)] | None = None
    """Weeks after start observed at this stage; outcomes that need longer follow-up are withheld (none: every outcome)."""
    # report17: metadata shown on the cover and in the provenance appendix (docs/reports.md)
    author: Annotated[str, Field(min_length=1)] | None = None
    """Author(s) shown on the cover and in the provenance appendix."""
    organisation: Annotated[str, Field(min_length=1)] | None = None
    """Organisation responsible for the evaluation (cover and provenance appendix)."""
    data_extracted: datetime.date | None = None
    """Date the register extract was drawn (`YYYY-MM-DD`), printed in the provenance appendix."""
    register_period: Annotated[str, Field(min_length=1)] | None = None
    """Calendar period the register extract covers, as free text (e.g. `2019W01-2025W26`)."""


class EffectsSection(Section):
    """Effect estimation; builds :class:`~evaltool.specs.effects.EffectsSpec` (all rules live there)."""

    method: str = "difference"
    """Effect estimator: `difference` in weighted means of the matched sample, or `regression` adjustment on `covariates`."""
    variance: str | None = None
    """Standard-error method: `cluster` (by matched pair or subclass), `hc1`, `hc3`, `abadie_imbens`, `bootstrap`, `m_estimation`; none: the design's default."""
    ps_adjust: bool = False
    """Abadie-Imbens (2016) correction of the SE for the estimated propensity score (needs `variance: abadie_imbens`)."""
    adjust: str = "holm"
    """Multiple-testing adjustment of p-values across the outcomes: `holm`, `bh` (Benjamini-Hochberg) or `none`."""
    covariates: list[str] | None = None
    """Covariate terms of the outcome regression when `method: regression` (ignored by `difference`)."""
    n_boot: int = 999
    """Bootstrap replications when `variance: bootstrap` (50 to 100 000)."""
    alpha: float = 0.05
    """1 - confidence level of the intervals (0.05: 95 % intervals)."""

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, values: object) -> object:
        if isinstance(values, dict) and "n_jobs" in values:
            raise EvaltoolError("`effects.n_jobs` is now `execution.workers` (it sets the processes of all "
                                "replicate work, not only the bootstrap); move it there", key="n_jobs")
        return values

    @model_validator(mode="after")
    def _spec(self) -> "EffectsSection":
        self.spec()
        return self

    def spec(self, seed: int | None = None) -> EffectsSpec:
        """The :class:`EffectsSpec` of this section (variance not yet resolved)."""
        return EffectsSpec(method=self.method, variance=self.variance, ps_adjust=self.ps_adjust,
                           adjust=self.adjust, covariates=self.covariates, n_boot=self.n_boot,
                           alpha=self.alpha, seed=seed)


class ExecutionSection(Section):
    """Where the run's parallel work goes: bootstrap and other replicates, specification-curve designs and
    the reports' languages. It never changes a result: ``results.json`` is byte-identical on any executor,
    and this section is left out of the config hash."""

    workers: int = 1
    """Worker processes on this machine (1: everything in the `evaltool` process; -1: one per core), or the
    number of workers of a new Dask `LocalCluster` with `scheduler: local`."""
    scheduler: str | None = None
    """A Dask cluster instead of local processes: `local` (a new `LocalCluster`) or the address of a running
    scheduler, e.g. `tcp://scheduler.example:8786` (needs `pip install "evaltool[dask]"`)."""

    @model_validator(mode="after")
    def _spec(self) -> "ExecutionSection":
        self.spec()
        return self

    def spec(self) -> "ExecutorSpec":
        """The :class:`~evaltool.execution.ExecutorSpec` of this section."""
        from evaltool.execution import ExecutorSpec

        return ExecutorSpec(workers=self.workers, scheduler=self.scheduler)  # its errors name their key


def _subgroup_entry(v: object) -> object:
    return {"name": v, "column": v} if isinstance(v, str) else v


class StudyConfig(Section):
    """A whole study: what to read, how to design, what to estimate and report.

    Usually read from YAML by :func:`evaltool.load_config`. Its fields are the sections of the
    config file, each documented by its attribute docstring (and every key, with its meaning, in
    the generated configuration reference of the documentation).

    Examples
    --------
    >>> import evaltool
    >>> cfg = evaltool.StudyConfig.model_validate({
    ...     "study": {"title": "Outreach", "language": "en"},
    ...     "data": {"simulate": {"n": 400, "seed": 1, "panel": False}},
    ...     "design": {"covariates": ["age", "prior_support_share"]},
    ...     "outcomes": [{"name": "meetings", "label": {"da": "Møder", "en": "Meetings held"},
    ...                   "kind": "column", "column": "meetings_held", "type": "count"}],
    ...     "sensitivity": {"rosenbaum": False, "evalue": False, "cluster": "none"},
    ... })
    >>> cfg.design.method, cfg.design.estimand, cfg.effects.adjust
    ('nearest', 'ATT', 'holm')
    """

    study: StudySection
    """What is evaluated and how the report presents it."""
    data: DataSection | None = None  # None: an area-only study (just `study` and `area_panel`)
    """Person-level data: files or a simulation, column roles, sample rules (omit for an area-only study)."""
    design: DesignSection | None = None
    """The design that forms the comparison group: a matching method, weighting or AIPW."""
    comparison_designs: list[ComparisonDesignSection] = Field(default_factory=list)
    """Alternative designs run beside the main one on the same data and outcomes (robustness chapter), each with a unique `name`."""
    effects: EffectsSection = Field(default_factory=EffectsSection)
    """How effects and their uncertainty are estimated on the matched sample."""
    outcomes: list[OutcomeSection] = Field(default_factory=list)
    """Outcomes to estimate effects on, derived from the weekly register or read from a column."""
    subgroups: list[SubgroupSection] = Field(default_factory=list)
    """Variables whose levels get their own effects and a test of equal effects (names, or `{name, column, cuts}`)."""
    process: list[str] = Field(default_factory=list)
    """Persons columns of process measures (meetings held, no-shows, caseworkers) described in the implementation chapter."""
    area_panel: AreaPanelSection | None = None
    """The area-level analysis (e.g. unemployment rate by housing area and year) and its report chapter."""
    sensitivity: SensitivitySection = Field(default_factory=SensitivitySection)
    """Sensitivity analyses: Rosenbaum bounds, E-values, placebos, clustered inference, specification curve."""
    execution: ExecutionSection = Field(default_factory=ExecutionSection)
    """Where the parallel work runs (local processes or a Dask cluster); never changes a result."""
    report: ReportSection = Field(default_factory=ReportSection)
    """Which reports to write, where, in which languages, with what disclosure control."""
    # --- process analyses (issue 16): the sections ARE the specs of evaltool.specs.process ---
    mapping: MappingSpec | None = None
    """Target-group mapping: residents by benefit, area, match group and education at a reference week."""
    journeys: JourneySpec | None = None
    """Citizen journeys: states over time after start, transitions and the most common pathways."""
    case_duration: CaseDurationSpec | None = None
    """Case duration: weeks from start to self-support (exit) and to a first offer, Kaplan-Meier."""
    contacts: ContactsSpec | None = None
    """Process measures from a contact log (meetings, no-shows, cancellations, caseworkers)."""
    cost: CostSpec | None = None
    """Cost of the effort and cost per additional person in an outcome."""

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
