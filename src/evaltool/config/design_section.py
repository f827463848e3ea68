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

from pydantic import Field, field_validator, model_validator

from evaltool.config._base import Section

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
               "max_controls", "solver", "optmatch_tol")
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


class PropensitySection(Section):
    """The propensity model; builds :class:`~evaltool.specs.propensity.PropensitySpec`."""

    model: str = "logit"
    """Model of the propensity score: `logit` (the GLM MatchIt fits), `random_forest` or `gradient_boosting`."""

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


class DesignSection(Section):
    """The design; builds its spec with :meth:`design_spec` (all rules live in the specs).

    ``distance`` is ``glm`` (the propensity model of ``propensity``), ``logit`` (the
    same) or ``mahalanobis``; a score column is a Python-API option only.
    """

    method: str = "nearest"
    """Design: a matching method (`nearest`, `optimal`, `full`, `cem`, `subclass`), `weighting` (inverse-probability, overlap or entropy weights) or `aipw` (doubly robust)."""
    estimand: str | None = None
    """Whom the effect is about: `ATT` (participants), `ATC` (comparison pool), `ATE` (everyone; full, subclass, cem, weighting, aipw) or `ATO` (overlap weights); none: the method's default."""
    covariates: list[str] = Field(min_length=1)
    """Covariate terms of the propensity model and the balance table (`age`, `C(origin)`, `log(x)`, `x^2`, `a:b`)."""
    exact: list[str] = Field(default_factory=list)
    """Columns matched exactly: a participant is only paired within their own stratum (e.g. `sex`, `benefit`)."""
    propensity: PropensitySection = Field(default_factory=PropensitySection)
    """The propensity-score model used when `distance` is `glm`/`logit`."""
    distance: str = "glm"
    """What is matched on: `glm`/`logit` (the propensity score) or `mahalanobis` (Mahalanobis distance on `covariates`)."""
    mahvars: list[str] | None = None
    """Terms for Mahalanobis-distance matching within the propensity-score caliper (none: match on the score itself)."""
    ratio: int = 1
    """Comparison persons per participant (k:1 matching; ≥ 1)."""
    replace: bool = False
    """Allow one comparison person to be matched to several participants (variance then defaults to Abadie-Imbens)."""
    caliper: float | None = None
    """Largest allowed distance between matched persons, in SDs of the score (see `std_caliper`, `caliper_scale`); none: no caliper."""
    std_caliper: bool = True
    """Read `caliper` in standard deviations of the distance (true) or in the distance's own units (false)."""
    caliper_scale: str = "distance"
    """Scale the caliper is measured on: `distance` (the propensity score) or `logit` (SDs of the logit score, Austin 2011)."""
    m_order: str | None = None
    """Order in which participants choose matches: `largest`, `smallest`, `closest`, `data` or `random`; none: MatchIt's default (`largest` score first)."""
    discard: str = "none"
    """Drop persons outside common support of the score before matching: `none`, `treated`, `control` or `both`."""
    ties: bool = False
    """With `replace`: keep every comparison person tied at the k-th distance, sharing the weight (R Matching's ties)."""
    subclass: int | None = None
    """Number of propensity-score subclasses (method `subclass`; MatchIt's default 6)."""
    min_n: int | None = None
    """Fewest treated and control persons per subclass; smaller subclasses are merged into neighbours (MatchIt's scooting; method `subclass`)."""
    cutpoints: str | int | list[float] | dict[str, str | int | list[float]] | None = None
    """Coarsening of CEM (MatchIt's `cutpoints`): `sturges`, a number of bins (0: exact on the raw values) or a list of cut points, for all covariates or per covariate (method `cem`)."""
    k2k: bool = False
    """CEM: keep equal numbers of treated and controls in each stratum, pairing them by distance (k-to-k)."""
    min_controls: float | None = None
    """Full matching: fewest controls per treated person in a matched set (e.g. 1/2 allows two treated per control)."""
    max_controls: float | None = None
    """Full matching: most controls per treated person in a matched set."""
    solver: str = "lemon"
    """Optimal and full matching: `lemon` (MatchIt's matched sets: the choices of optmatch's default solver) or `scipy` (faster on large problems; an optimum of equal cost, not necessarily the same sets)."""
    optmatch_tol: float = 1e-7
    """Optimal and full matching: optmatch's `tol`; distances are rounded to a grid of about tol·n/(n−2) before solving (MatchIt's default is 0.001)."""
    weighting: str = "ipw"
    """Weighting method (design `weighting`): `ipw` (inverse probability), `overlap` (ATO) or `entropy` (entropy balancing)."""
    stabilize: bool = False
    """Weighting: stabilise inverse-probability weights by the group shares."""
    trim: float | None = None
    """Drop persons whose propensity score lies outside [trim, 1 − trim] (weighting ipw/overlap, aipw); none: keep all (aipw: 0.01)."""
    truncate: float | None = None
    """Weighting ipw/overlap: cap each group's weights at this quantile of them (0.5 < q < 1); none: no truncation."""
    moments: int = 1
    """Entropy balancing: balance the covariates' means (1), and also their variances (2) or third moments (3)."""
    max_iter: int = 200
    """Entropy balancing: most solver iterations before giving up with a clear error."""
    tol: float = 1e-10
    """Entropy balancing: largest remaining imbalance of a balanced moment at convergence."""
    n_folds: int = 5
    """AIPW: folds of cross-fitting for the propensity and outcome models."""
    propensity_learner: str = "logit"
    """AIPW: model of the propensity score (`logit`, `random_forest`, `gradient_boosting`)."""
    outcome_learner: str = "ols"
    """AIPW: model of the outcome in each group (`ols`, `random_forest`, `gradient_boosting`)."""

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
                         min_controls=self.min_controls, max_controls=self.max_controls,
                         solver=self.solver, optmatch_tol=self.optmatch_tol)

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
    """Name of the comparison design in tables and results (letters, digits, underscores)."""
    covariates: list[str] | None = None  # type: ignore[assignment]
    """Covariate terms of this design; none: the main design's `covariates`."""
