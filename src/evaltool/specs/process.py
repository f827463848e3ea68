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
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    period_weeks: int = Field(156, ge=1, le=520)
    max_weeks: int = Field(104, ge=1)
    horizon_months: int = Field(12, ge=1, le=60)

    @model_validator(mode="after")
    def _max_in_period(self) -> "EntitlementSpec":
        if self.max_weeks > self.period_weeks:
            raise ValueError(f"`max_weeks` ({self.max_weeks}) cannot exceed `period_weeks` ({self.period_weeks})")
        return self


class MappingSpec(_Spec):
    """Target-group mapping at a reference ISO week (the ``mapping:`` config section)."""

    reference_week: int
    by: list[str] = Field(default_factory=lambda: ["area", "benefit", "match_group", "education"], min_length=1)
    benefits: dict[str, list[str]] = Field(default_factory=lambda: {
        "dagpenge": ["dagpenge"], "kontanthjaelp": ["kontanthjaelp"],
        "uddannelseshjaelp": ["uddannelseshjaelp"], "integrationsydelse": ["integrationsydelse"]})
    min_cell: int = Field(5, ge=1)
    entitlement: EntitlementSpec | None = Field(default_factory=EntitlementSpec)
    starts_by: Literal["month", "quarter"] = "quarter"

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
    period: Literal["month", "quarter"] = "quarter"
    follow_up_weeks: int = Field(52, ge=4, le=520)
    top_pathways: int = Field(10, ge=1, le=100)
    min_spell_weeks: int = Field(4, ge=1, le=52)
    contrasts: list[tuple[str, str]] = Field(default_factory=list)
    subgroups: list[str] = Field(default_factory=list)
    alpha: float = Field(0.05, gt=0, lt=0.5)

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
    consecutive_weeks: int = Field(13, ge=1, le=104)
    offer_categories: list[str] = Field(default_factory=lambda: ["virksomhedspraktik", "loentilskud",
                                                                 "su_uddannelse"], min_length=1)
    horizon: int = Field(104, ge=4, le=520)
    restricted_mean_weeks: int = Field(52, ge=1)
    weeks: list[int] = Field(default_factory=lambda: [26, 52])
    alpha: float = Field(0.05, gt=0, lt=0.5)

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
    date: str = "date"
    kind: str = "kind"
    status: str = "status"
    caseworker: str = "caseworker_id"
    spontaneous: str | None = "spontaneous"


class ContactsSpec(_Spec):
    """Process measures from a contact log (the ``contacts:`` config section)."""

    path: str | None = None
    columns: ContactColumns = Field(default_factory=ContactColumns)
    attended: list[str] = Field(default_factory=lambda: ["attended"], min_length=1)
    no_show: list[str] = Field(default_factory=lambda: ["no_show"], min_length=1)
    cancelled: list[str] = Field(default_factory=lambda: ["cancelled"], min_length=1)
    scheduled_kinds: list[str] = Field(default_factory=lambda: ["meeting"], min_length=1)
    follow_up_days: int = Field(364, ge=1, le=3650)
    alpha: float = Field(0.05, gt=0, lt=0.5)

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
    cost_per_staff_year: float | None = Field(None, gt=0)
    participants_per_staff_year: float | None = Field(None, gt=0)
    comparison_cost_per_participant: float = Field(0.0, ge=0)
    outcomes: list[str] = Field(default_factory=list)
    currency: str = "DKK"
    method: Literal["fieller", "delta"] = "fieller"
    alpha: float = Field(0.05, gt=0, lt=0.5)

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
