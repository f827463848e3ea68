"""Specs of the process analyses; each is (or becomes) one config section.

``mapping:`` -> :class:`MappingSpec`, ``journeys:`` -> :class:`JourneySpec`,
``case_duration:`` -> :class:`CaseDurationSpec`, ``contacts:`` -> :class:`ContactsSpec`,
``cost:`` -> :class:`CostSpec`. Pydantic models with ``extra="forbid"``, bounds and
cross-field rules, frozen after validation.

Examples
--------
>>> JourneySpec(period="quarter", follow_up_weeks=52).n_periods
4
>>> EntitlementSpec().max_weeks, EntitlementSpec().period_weeks
(104, 156)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evaltool.weeks import is_valid

__all__ = ["EntitlementSpec", "MappingSpec", "JourneySpec", "CaseDurationSpec", "ContactColumns",
           "ContactsSpec", "CostSpec", "DEFAULT_STATES", "PERIOD_WEEKS"]

PERIOD_WEEKS = {"month": 4, "quarter": 13}

# journey states: name -> code-map categories/groups (self_support allowed); order is display order
DEFAULT_STATES: dict[str, list[str]] = {
    "dagpenge": ["dagpenge"],
    "kontanthjaelp": ["kontanthjaelp", "uddannelseshjaelp", "integrationsydelse"],
    "praktik_loentilskud": ["virksomhedspraktik", "loentilskud"],
    "sygedagpenge": ["sygedagpenge"],
    "ressourceforloeb": ["ressourceforloeb_jobafklaring", "revalidering"],
    "fleksjob": ["fleksjob", "ledighedsydelse"],
    "foertidspension": ["foertidspension"],
    "uddannelse": ["su_uddannelse"],
    "selvforsoergelse": ["self_support"],
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _check_states(states: dict[str, list[str]]) -> dict[str, list[str]]:
    if not states:
        raise ValueError("`states` must name at least one state")
    for name, cats in states.items():
        if not name.isidentifier():
            raise ValueError(f"state names must be identifiers; got {name!r}")
        if not cats:
            raise ValueError(f"state {name!r} lists no categories")
    return states


class EntitlementSpec(_Spec):
    """Dagpenge entitlement: at most ``max_weeks`` weeks within a rolling reference period.

    Danish rule (simplified to weeks, as the register counts them): 2 years = 104 weeks of
    dagpenge within a reference period of 3 years = 156 weeks.
    """

    categories: list[str] = Field(default_factory=lambda: ["dagpenge"], min_length=1)
    """Code-map categories that use up the entitlement (dagpenge)."""
    period_weeks: int = Field(156, ge=1, le=520)
    """Length of the rolling reference period in weeks (156 = 3 years)."""
    max_weeks: int = Field(104, ge=1)
    """Most benefit weeks allowed within the reference period (104 = 2 years)."""
    horizon_months: int = Field(12, ge=1, le=60)
    """Months after the reference week over which the timeline of lost entitlement is counted."""

    @model_validator(mode="after")
    def _max_in_period(self) -> "EntitlementSpec":
        if self.max_weeks > self.period_weeks:
            raise ValueError(f"`max_weeks` ({self.max_weeks}) cannot exceed `period_weeks` ({self.period_weeks})")
        return self


class MappingSpec(_Spec):
    """Target-group mapping at a reference ISO week (the ``mapping:`` config section)."""

    reference_week: int
    """ISO week (`YYYYWW`) at which residents are counted by benefit."""
    by: list[str] = Field(default_factory=lambda: ["area", "benefit", "match_group", "education"], min_length=1)
    """Columns to break the counts down by (`benefit` is the state read from the weekly register)."""
    benefits: dict[str, list[str]] = Field(default_factory=lambda: {
        "dagpenge": ["dagpenge"], "kontanthjaelp": ["kontanthjaelp"],
        "uddannelseshjaelp": ["uddannelseshjaelp"], "integrationsydelse": ["integrationsydelse"]})
    """Benefit states counted: name -> code-map categories (e.g. `kontanthjaelp: [kontanthjaelp]`)."""
    min_cell: int = Field(5, ge=1)
    """Counts of 1 to `min_cell` - 1 persons are flagged for suppression by the disclosure gate."""
    entitlement: EntitlementSpec | None = Field(default_factory=EntitlementSpec)
    """How remaining dagpenge entitlement is computed (none: not computed)."""
    starts_by: Literal["month", "quarter"] = "quarter"
    """Period by which the effort's participants' start weeks are counted: `month` or `quarter`."""

    @field_validator("reference_week")
    @classmethod
    def _week(cls, v: int) -> int:
        if not bool(is_valid([v])[0]):
            raise ValueError(f"`reference_week` must be an ISO year-week YYYYWW; got {v}")
        return v

    @field_validator("benefits")
    @classmethod
    def _benefits(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return _check_states(v)

    @field_validator("by")
    @classmethod
    def _by(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"`by` names a column twice; got {v}")
        return v


class JourneySpec(_Spec):
    """Citizen journeys (the ``journeys:`` config section)."""

    states: dict[str, list[str]] = Field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_STATES.items()})
    """Journey states: name -> code-map categories or groups; weeks in no state are `other`."""
    period: Literal["month", "quarter"] = "quarter"
    """Step of the transition tables: `month` (4 weeks) or `quarter` (13 weeks)."""
    follow_up_weeks: int = Field(52, ge=4, le=520)
    """Weeks after start that journeys are followed."""
    top_pathways: int = Field(10, ge=1, le=100)
    """Number of most common pathways (sequences of spells) shown."""
    min_spell_weeks: int = Field(4, ge=1, le=52)
    """Runs of a state shorter than this are absorbed into the spell before them."""
    contrasts: list[tuple[str, str]] = Field(default_factory=list)
    """Transitions `[from, to]` whose probability is compared between participants and comparison persons."""
    subgroups: list[str] = Field(default_factory=list)
    """Persons columns whose levels get their own journeys."""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    """1 - confidence level of the contrasts' intervals."""

    @field_validator("states")
    @classmethod
    def _states(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return _check_states(v)

    @model_validator(mode="after")
    def _rules(self) -> "JourneySpec":
        if self.follow_up_weeks < PERIOD_WEEKS[self.period]:
            raise ValueError(f"`follow_up_weeks` ({self.follow_up_weeks}) is shorter than one {self.period}")
        names = [*self.states, "other"]
        for a, b in self.contrasts:
            for s in (a, b):
                if s not in names:
                    raise ValueError(f"`contrasts`: unknown state {s!r}; states: {', '.join(names)}")
        return self

    @property
    def period_weeks(self) -> int:
        return PERIOD_WEEKS[self.period]

    @property
    def n_periods(self) -> int:
        return self.follow_up_weeks // self.period_weeks


class CaseDurationSpec(_Spec):
    """Case duration (the ``case_duration:`` config section).

    ``exit`` is reached in the first week that starts ``consecutive_weeks`` weeks in a row outside
    ``support_categories``; ``first_offer`` in the first week in ``offer_categories``.
    """

    support_categories: list[str] = Field(default_factory=lambda: ["public_support"], min_length=1)
    """Code-map categories that count as public support; leaving them ends a case."""
    consecutive_weeks: int = Field(13, ge=1, le=104)
    """Weeks in a row outside public support that count as an exit to self-support."""
    offer_categories: list[str] = Field(default_factory=lambda: ["virksomhedspraktik", "loentilskud",
                                                                 "su_uddannelse"], min_length=1)
    """Code-map categories that count as a first offer (internship, wage subsidy, education)."""
    horizon: int = Field(104, ge=4, le=520)
    """Weeks of follow-up; cases still open by then are censored."""
    restricted_mean_weeks: int = Field(52, ge=1)
    """τ of the restricted mean duration (mean weeks in the case within the first τ weeks)."""
    weeks: list[int] = Field(default_factory=lambda: [26, 52])
    """Weeks k at which the share who have exited is compared between the groups."""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    """1 - confidence level of the intervals."""

    @model_validator(mode="after")
    def _rules(self) -> "CaseDurationSpec":
        if self.restricted_mean_weeks > self.horizon:
            raise ValueError(f"`restricted_mean_weeks` ({self.restricted_mean_weeks}) cannot exceed "
                             f"`horizon` ({self.horizon})")
        bad = [w for w in self.weeks if not 1 <= w <= self.horizon]
        if bad:
            raise ValueError(f"`weeks` must lie in 1..horizon ({self.horizon}); got {bad}")
        return self


class ContactColumns(_Spec):
    """Column roles of a contact log."""

    person: str = "person_id"
    """Contact-log column with the person id."""
    date: str = "date"
    """Contact-log column with the contact's date."""
    kind: str = "kind"
    """Contact-log column with the kind of contact (e.g. `meeting`)."""
    status: str = "status"
    """Contact-log column with the outcome of the contact (attended, no-show, cancelled)."""
    caseworker: str = "caseworker_id"
    """Contact-log column with the caseworker id."""
    spontaneous: str | None = "spontaneous"
    """Contact-log column flagging spontaneous (drop-in) visits; none: the log has none."""


class ContactsSpec(_Spec):
    """Process measures from a contact log (the ``contacts:`` config section)."""

    path: str | None = None
    """Contact log file (csv/parquet); none with `data.simulate`: a simulated log."""
    columns: ContactColumns = Field(default_factory=ContactColumns)
    """Column names of the contact log."""
    attended: list[str] = Field(default_factory=lambda: ["attended"], min_length=1)
    """`status` values that mean the contact took place."""
    no_show: list[str] = Field(default_factory=lambda: ["no_show"], min_length=1)
    """`status` values that mean the citizen did not turn up."""
    cancelled: list[str] = Field(default_factory=lambda: ["cancelled"], min_length=1)
    """`status` values that mean the contact was cancelled."""
    scheduled_kinds: list[str] = Field(default_factory=lambda: ["meeting"], min_length=1)
    """`kind` values that count as scheduled meetings."""
    follow_up_days: int = Field(364, ge=1, le=3650)
    """Days from the start week's Monday over which contacts are counted."""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    """1 - confidence level of the intervals."""

    @model_validator(mode="after")
    def _disjoint(self) -> "ContactsSpec":
        seen: dict[str, str] = {}
        for role in ("attended", "no_show", "cancelled"):
            for v in getattr(self, role):
                if v in seen:
                    raise ValueError(f"status value {v!r} is listed under both {seen[v]} and {role}")
                seen[v] = role
        return self


class CostSpec(_Spec):
    """Cost of the effort (the ``cost:`` config section).

    Give ``cost_per_participant``, or ``cost_per_staff_year`` with ``participants_per_staff_year``.
    ``comparison_cost_per_participant`` is what the ordinary jobcentre spends per citizen.
    """

    cost_per_participant: float | None = Field(None, gt=0)
    """Cost of the effort per participant."""
    cost_per_staff_year: float | None = Field(None, gt=0)
    """Cost of one staff year (with `participants_per_staff_year`, instead of `cost_per_participant`)."""
    participants_per_staff_year: float | None = Field(None, gt=0)
    """Participants one staff year serves."""
    comparison_cost_per_participant: float = Field(0.0, ge=0)
    """What the ordinary jobcentre spends per citizen; subtracted to give the extra cost."""
    outcomes: list[str] = Field(default_factory=list)
    """Outcomes for which the cost per additional person in the outcome is computed."""
    currency: str = "DKK"
    """Currency the costs are given in (label only)."""
    method: Literal["fieller", "delta"] = "fieller"
    """Interval of the cost per additional person: `fieller` (inverted effect CI, exact) or `delta` (symmetric)."""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    """1 - confidence level of the intervals."""

    @model_validator(mode="after")
    def _one_cost(self) -> "CostSpec":
        staff = self.cost_per_staff_year is not None or self.participants_per_staff_year is not None
        if self.cost_per_participant is not None and staff:
            raise ValueError("give either `cost_per_participant` or `cost_per_staff_year` with "
                             "`participants_per_staff_year`, not both")
        if self.cost_per_participant is None:
            if self.cost_per_staff_year is None or self.participants_per_staff_year is None:
                raise ValueError("`cost_per_staff_year` needs `participants_per_staff_year` (or give "
                                 "`cost_per_participant`)")
        return self

    @property
    def unit_cost(self) -> float:
        """Cost per participant (given, or staff-year cost / participants per staff year)."""
        if self.cost_per_participant is not None:
            return float(self.cost_per_participant)
        return float(self.cost_per_staff_year) / float(self.participants_per_staff_year)  # type: ignore[arg-type]
