"""The weighting and doubly robust design specs: every parameter of :func:`evaltool.design.weighting.weight`
and :func:`evaltool.effects.aipw.aipw`, validated once.

The config builds the same specs (``design.method: weighting`` with ``weighting: ipw | overlap |
entropy``; ``design.method: aipw``), so ``evaltool validate`` reports a broken combination with
``file:line``. Each error's ``key`` names the field (``method`` of :class:`WeightingSpec` is the
config's ``weighting`` key).

Cross-field rules:

* ``estimand`` by method: ``ipw`` and ``entropy`` ATT, ATC or ATE; ``overlap`` ATO only; AIPW ATE or ATT;
* ``stabilize`` only with ``ipw``;
* ``trim``/``truncate`` work on propensity weights, so not with ``entropy``;
* ``moments`` at most 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool._checks import check_bool, check_choice, check_int, check_number
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EvaltoolError

__all__ = ["WeightingSpec", "AIPWSpec", "WEIGHTING_NAMES", "WEIGHTING_ESTIMANDS", "LEARNERS"]

WEIGHTING_NAMES = ("ipw", "overlap", "entropy")
"""Weighting methods; :data:`evaltool.design.weighting.WEIGHTING_METHODS` maps each to its code."""
WEIGHTING_ESTIMANDS = {"ipw": ("ATT", "ATC", "ATE"), "overlap": ("ATO",), "entropy": ("ATT", "ATC", "ATE")}
LEARNERS = ("logit", "ols", "gradient_boosting", "random_forest")
"""Learners by name (``logit`` for the propensity, ``ols`` for the outcome, the trees for both)."""


def _rule(key: str, message: str) -> ConfigError:
    return ConfigError(message, key=key)


def _estimand(value: Any, allowed: tuple[str, ...], what: str) -> Estimand:
    try:
        est = Estimand.parse(value)
    except EvaltoolError:
        est = None
    if est is None or est.value not in allowed:
        got = value.value if isinstance(value, Estimand) else value
        raise _rule("estimand", f"`estimand` for {what} must be one of {', '.join(map(repr, allowed))}; "
                                f"got {got!r}")
    return est


def _classifier(name: str, value: Any, kind: str, names: tuple[str, ...]) -> None:
    if isinstance(value, str):
        if value not in names:
            raise _rule(name, f"`{name}` must be one of {', '.join(map(repr, names))} or an estimator "
                              f"with fit and {kind}; got {value!r}")
    elif not (hasattr(value, "fit") and hasattr(value, kind)):
        raise _rule(name, f"`{name}` must be one of {', '.join(map(repr, names))} or an estimator with "
                          f"fit and {kind}; got {type(value).__name__}")


def _name(value: Any) -> str:
    return value if isinstance(value, str) else type(value).__name__


@dataclass(frozen=True)
class WeightingSpec:
    """The validated recipe of a weighting design (see :func:`evaltool.design.weighting.weight`).

    Attributes
    ----------
    method : {"ipw", "overlap", "entropy"}
        Inverse-probability weights, overlap weights (ATO) or entropy balancing.
    estimand : Estimand
        ATT, ATC, ATE, or ATO (overlap only); default ATO for overlap, ATT otherwise.
    stabilize : bool
        Stabilise ``ipw`` weights by the group shares.
    trim, truncate : float or None
        Drop units with scores outside ``[trim, 1 - trim]`` (0 < trim ≤ 0.4); cap each arm's
        weights at their ``truncate``-quantile (0.5 < q < 1). Propensity weights only.
    moments : int
        Entropy balancing: 1 = means, 2 = also squares, 3 = also cubes.
    max_iter, tol : int, float
        Entropy balancing: Newton iterations and the tolerance on the largest imbalance.
    distance : "glm" or classifier
        Propensity model of ``ipw``/``overlap``.

    Examples
    --------
    >>> WeightingSpec(method="overlap").estimand.value
    'ATO'
    >>> WeightingSpec(method="entropy", trim=0.05)
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ConfigError: `trim`/`truncate` work on propensity weights; entropy balancing has none (drop units before weighting instead)
    """

    method: str = "ipw"
    estimand: Estimand | str | None = None
    stabilize: bool = False
    trim: float | None = None
    truncate: float | None = None
    moments: int = 1
    max_iter: int = 200
    tol: float = 1e-10
    distance: Any = field(default="glm", compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        check_choice("method", self.method, WEIGHTING_NAMES, exc=ConfigError)
        default = Estimand.ATO if self.method == "overlap" else Estimand.ATT
        set_(self, "estimand", _estimand(default if self.estimand is None else self.estimand,
                                         WEIGHTING_ESTIMANDS[self.method], f"weighting {self.method!r}"))
        check_bool("stabilize", self.stabilize, exc=ConfigError)
        check_number("trim", self.trim, low=0, high=0.4, low_open=True, allow_none=True, exc=ConfigError)
        check_number("truncate", self.truncate, low=0.5, high=0.9999, low_open=True, allow_none=True,
                     exc=ConfigError)
        set_(self, "moments", check_int("moments", self.moments, low=1, high=3, exc=ConfigError))
        set_(self, "max_iter", check_int("max_iter", self.max_iter, low=1, exc=ConfigError))
        check_number("tol", self.tol, low=0, low_open=True, exc=ConfigError)
        d = self.distance
        if isinstance(d, str):
            if d not in ("glm", "logit"):
                raise _rule("distance", f"`distance` must be 'glm' or a classifier with predict_proba; got {d!r}")
        elif not (hasattr(d, "fit") and hasattr(d, "predict_proba")):
            raise _rule("distance", f"`distance` must be 'glm' or a classifier with predict_proba; got "
                                    f"{type(d).__name__}")
        if self.stabilize and self.method != "ipw":
            raise _rule("stabilize", f"`stabilize` applies to weighting 'ipw'; got {self.method!r}")
        if self.method == "entropy" and (self.trim is not None or self.truncate is not None):
            raise _rule("trim" if self.trim is not None else "truncate",
                        "`trim`/`truncate` work on propensity weights; entropy balancing has none "
                        "(drop units before weighting instead)")

    @property
    def uses_logit(self) -> bool:
        return isinstance(self.distance, str)

    @property
    def distance_name(self) -> str:
        return _name(self.distance)

    @property
    def default_variance(self) -> str:
        """``"m_estimation"`` (the weights' own estimating equations stacked) for logit IPW/overlap
        weights and entropy balancing; ``"hc1"`` for a classifier's propensity weights."""
        return "m_estimation" if self.method == "entropy" or self.uses_logit else "hc1"

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "estimand": self.estimand.value, "stabilize": self.stabilize,
                "trim": self.trim, "truncate": self.truncate, "moments": self.moments,
                "max_iter": self.max_iter, "tol": self.tol, "distance": self.distance_name}


@dataclass(frozen=True)
class AIPWSpec:
    """Recipe of an AIPW estimate; learners by name (:data:`LEARNERS`) or scikit-learn estimators.

    Attributes
    ----------
    estimand : Estimand
        ATE (default) or ATT.
    n_folds : int
        Cross-fitting folds (1: nuisances fitted on all data).
    seed : int
        Seed of the fold split and the tree learners.
    propensity_learner, outcome_learner : str or estimator
        By name (``logit``/``ols``, ``random_forest``, ``gradient_boosting``) or a scikit-learn
        estimator with ``predict_proba``/``predict``.
    trim : float
        Propensity scores are clipped to ``[trim, 1 - trim]`` (0 ≤ trim < 0.5; default 0.01).

    Examples
    --------
    >>> AIPWSpec(n_folds=1).to_dict()["n_folds"]
    1
    """

    estimand: Estimand | str = Estimand.ATE
    n_folds: int = 5
    seed: int = 0
    propensity_learner: Any = "logit"
    outcome_learner: Any = "ols"
    trim: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimand", _estimand(self.estimand, ("ATE", "ATT"), "aipw"))
        check_int("n_folds", self.n_folds, low=1, high=100, exc=ConfigError)
        check_int("seed", self.seed, low=0, exc=ConfigError)
        _classifier("propensity_learner", self.propensity_learner, "predict_proba",
                    ("logit", "gradient_boosting", "random_forest"))
        _classifier("outcome_learner", self.outcome_learner, "predict",
                    ("ols", "gradient_boosting", "random_forest"))
        check_number("trim", self.trim, low=0, high=0.5, high_open=True, exc=ConfigError)

    def to_dict(self) -> dict[str, Any]:
        return {"estimand": self.estimand.value, "n_folds": int(self.n_folds), "seed": int(self.seed),
                "propensity_learner": _name(self.propensity_learner),
                "outcome_learner": _name(self.outcome_learner), "trim": float(self.trim)}
