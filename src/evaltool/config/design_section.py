"""The ``design:`` section (and each entry of ``comparison_designs:``): builds the design spec.

``method`` picks the spec: a matching method (:data:`~evaltool.specs.matching.MATCH_METHODS`)
builds :class:`~evaltool.specs.matching.MatchSpec`, ``weighting`` builds
:class:`~evaltool.specs.weighting.WeightingSpec` (``weighting: ipw | overlap | entropy``) and
``aipw`` builds :class:`~evaltool.specs.weighting.AIPWSpec`. Every bound and cross-field rule
lives in those specs; this section only passes the keys on, and refuses a key the chosen
method does not take (a key the code would ignore is an error, never silently dropped).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evaltool.exceptions import ConfigError, EvaltoolError
from evaltool.specs.matching import MATCH_METHODS, METHOD_OPTIONS, MatchSpec
from evaltool.specs.propensity import PropensitySpec
from evaltool.specs.weighting import AIPWSpec, WeightingSpec
from evaltool.terms import parse_term

__all__ = ["PropensitySection", "DesignSection", "ComparisonDesignSection", "DESIGN_METHODS", "design_keys"]

DESIGN_METHODS = (*MATCH_METHODS, "weighting", "aipw")
"""What ``design.method`` accepts: the matching methods, ``weighting`` and ``aipw``."""

_MATCH_KEYS = ("ratio", "replace", "caliper", "std_caliper", "caliper_scale", "exact", "m_order", "distance",
               "mahvars", "discard", "ties", "subclass", "min_n", "cutpoints", "k2k", "min_controls",
               "max_controls")
_WEIGHTING_KEYS = ("weighting", "stabilize", "trim", "truncate", "moments", "max_iter", "tol")
_AIPW_KEYS = ("n_folds", "propensity_learner", "outcome_learner", "trim")
_COMMON = ("method", "estimand", "covariates", "propensity", "name")


def design_keys(method: str) -> tuple[str, ...]:
    """The config keys ``method`` takes besides ``method``, ``estimand``, ``covariates``."""
    if method == "weighting":
        return _WEIGHTING_KEYS
    if method == "aipw":
        return _AIPW_KEYS
    return METHOD_OPTIONS.get(method, _MATCH_KEYS)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PropensitySection(_Model):
    """The propensity model; builds :class:`~evaltool.specs.propensity.PropensitySpec`."""

    model: str = "logit"

    @model_validator(mode="after")
    def _spec(self) -> "PropensitySection":
        self.spec()
        return self

    def spec(self) -> PropensitySpec:
        return PropensitySpec(model=self.model)


def _terms(terms: list[str] | None) -> list[str] | None:
    """Covariate terms through the one parser of :mod:`evaltool.terms` (compacted)."""
    if terms is None:
        return None
    return [parse_term(t).text for t in terms]


class DesignSection(_Model):
    """The design; builds its spec with :meth:`design_spec` (all rules live in the specs).

    ``distance`` is ``glm`` (the propensity model of ``propensity``), ``logit`` (the
    same) or ``mahalanobis``; a score column is a Python-API option only.
    """

    method: str = "nearest"
    estimand: str | None = None
    covariates: list[str] = Field(min_length=1)
    exact: list[str] = Field(default_factory=list)
    propensity: PropensitySection = Field(default_factory=PropensitySection)
    distance: str = "glm"
    mahvars: list[str] | None = None
    ratio: int = 1
    replace: bool = False
    caliper: float | None = None
    std_caliper: bool = True
    caliper_scale: str = "distance"
    m_order: str | None = None
    discard: str = "none"
    ties: bool = False
    subclass: int | None = None
    min_n: int | None = None
    cutpoints: str | int | list[float] | dict[str, str | int | list[float]] | None = None
    k2k: bool = False
    min_controls: float | None = None
    max_controls: float | None = None
    weighting: str = "ipw"
    stabilize: bool = False
    trim: float | None = None
    truncate: float | None = None
    moments: int = 1
    max_iter: int = 200
    tol: float = 1e-10
    n_folds: int = 5
    propensity_learner: str = "logit"
    outcome_learner: str = "ols"

    _check_terms = field_validator("covariates")(classmethod(lambda cls, v: _terms(v)))

    @model_validator(mode="before")
    @classmethod
    def _default_estimand(cls, data: Any) -> Any:
        """The method's default estimand, written into the section (ATT; overlap ATO; aipw ATE)."""
        if isinstance(data, dict) and data.get("estimand") is None:
            method = data.get("method", "nearest")
            default = ("ATO" if data.get("weighting") == "overlap" else "ATT") if method == "weighting" else \
                ("ATE" if method == "aipw" else "ATT")
            data = {**data, "estimand": default}
        return data

    @model_validator(mode="after")
    def _spec(self) -> "DesignSection":
        if self.method not in DESIGN_METHODS:
            raise ConfigError(f"`method` must be one of {', '.join(map(repr, DESIGN_METHODS))}; "
                              f"got {self.method!r}", key="method")
        own = design_keys(self.method)
        if self.method in MATCH_METHODS:
            own = _MATCH_KEYS  # MatchSpec itself refuses the options of other matching methods
        fields = list(type(self).model_fields)
        for key in sorted(self.model_fields_set - set(own) - set(_COMMON), key=fields.index):
            raise ConfigError(f"`{key}` is not an option of method {self.method!r} (its options: "
                              f"{', '.join(design_keys(self.method))}); remove it", key=key)
        if self.distance not in ("glm", "logit", "mahalanobis"):
            raise EvaltoolError(f"`distance` must be one of 'glm', 'logit', 'mahalanobis' in a config "
                                f"(a score column is a Python-API option); got {self.distance!r}",
                                key="distance")
        self.design_spec(seed=0)
        return self

    @property
    def is_matching(self) -> bool:
        return self.method in MATCH_METHODS

    def design_spec(self, seed: int | None, distance: object = None) -> Any:
        """The spec of this section: ``MatchSpec``, ``WeightingSpec`` or ``AIPWSpec``."""
        if self.method == "weighting":
            try:
                return WeightingSpec(method=self.weighting, estimand=self.estimand, stabilize=self.stabilize,
                                     trim=self.trim, truncate=self.truncate, moments=self.moments,
                                     max_iter=self.max_iter, tol=self.tol,
                                     distance="glm" if distance is None else distance)
            except ConfigError as exc:
                raise ConfigError(str(exc), key="weighting" if exc.key == "method" else exc.key) from None
        if self.method == "aipw":
            return AIPWSpec(estimand=self.estimand or "ATE", n_folds=self.n_folds, seed=seed or 0,
                            propensity_learner=self.propensity_learner, outcome_learner=self.outcome_learner,
                            **({} if self.trim is None else {"trim": self.trim}))
        return self.match_spec(seed, distance)

    def match_spec(self, seed: int | None, distance: object = None) -> MatchSpec:
        """The :class:`MatchSpec` of a matching method (``distance`` overrides, e.g. a classifier)."""
        return MatchSpec(method=self.method, ratio=self.ratio, replace=self.replace, caliper=self.caliper,
                         std_caliper=self.std_caliper, caliper_scale=self.caliper_scale,
                         exact=list(self.exact) or None, m_order=self.m_order,
                         distance=self.distance if distance is None else distance, mahvars=self.mahvars,
                         discard=self.discard, estimand=self.estimand or "ATT", seed=seed, ties=self.ties,
                         subclass=self.subclass, min_n=self.min_n, cutpoints=self.cutpoints, k2k=self.k2k,
                         min_controls=self.min_controls, max_controls=self.max_controls)

    @property
    def default_variance(self) -> str | None:
        """The variance the effects stage uses by default (None: AIPW has its influence function)."""
        if self.method == "aipw":
            return None
        return self.design_spec(seed=0).default_variance


class ComparisonDesignSection(DesignSection):
    """One entry of ``comparison_designs:``: a design run beside the main one, under ``name``.

    ``covariates`` default to the main design's.
    """

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    covariates: list[str] | None = None  # type: ignore[assignment]
