"""The matching design spec: every parameter of :func:`evaltool.match`, validated once.

:class:`MatchSpec` holds all single-field bounds and cross-field rules of a
matching design. The config schema builds the same spec (``design:``), so
``evaltool validate`` reports a broken combination with ``file:line`` before
any data are read, with the message the Python API gives.

Cross-field rules (each error's ``key`` names the field it points at):

* ``ties`` needs ``replace``;
* ``mahvars`` needs a propensity distance (not ``distance="mahalanobis"``);
* ``caliper`` needs a score (not ``distance="mahalanobis"``);
* ``caliper_scale="logit"`` needs a fitted propensity score;
* ``discard`` needs a score (not ``distance="mahalanobis"``);
* ``m_order="random"`` needs a ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool._checks import check_bool, check_choice, check_int, check_number
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EvaltoolError
from evaltool.terms import parse_term

__all__ = ["MatchSpec", "MATCH_METHODS", "M_ORDERS", "DISCARDS", "CALIPER_SCALES", "PS_DISTANCES"]

MATCH_METHODS = ("nearest", "cem", "subclass", "optimal")
"""Names of the matching methods; :data:`evaltool.design.matching.METHODS` maps each to its code."""
M_ORDERS = ("largest", "smallest", "closest", "data", "random")
DISCARDS = ("none", "treated", "control", "both")
CALIPER_SCALES = ("distance", "logit")
PS_DISTANCES = ("glm", "logit")


def _names(name: str, value: Any, *, terms: bool = False) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    try:
        out = tuple(value)
    except TypeError:
        raise ConfigError(f"`{name}` must be a list of column names; got {value!r}", key=name) from None
    if not out or not all(isinstance(v, str) and v for v in out):
        raise ConfigError(f"`{name}` must be a non-empty list of column names; got {value!r}", key=name)
    if terms:
        try:
            out = tuple(parse_term(v).text for v in out)
        except EvaltoolError as exc:
            raise ConfigError(str(exc), key=name) from None
    return out


def _rule(key: str, message: str) -> ConfigError:
    return ConfigError(message, key=key)


@dataclass(frozen=True)
class MatchSpec:
    """Every argument of :func:`evaltool.design.matching.match`, validated on construction.

    See :func:`evaltool.design.matching.match` for the meaning of each field. ``distance``
    is ``"glm"``/``"logit"``, ``"mahalanobis"``, the name of a score column or a
    classifier with ``predict_proba`` (kept as given, compared by identity).

    Parameters
    ----------
    method, ratio, replace, caliper, std_caliper, caliper_scale, exact, m_order, distance, mahvars, discard, estimand, seed, ties
        As in :func:`evaltool.match` (a config's ``design:`` section has the same keys;
        ``seed`` comes from ``study.seed``).

    Raises
    ------
    ConfigError
        A field out of bounds or a broken cross-field rule; ``exc.key`` names the field.

    Examples
    --------
    >>> MatchSpec(ratio=2, caliper=0.2).order
    'largest'
    >>> MatchSpec(distance="mahalanobis", caliper=0.2)
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ConfigError: `caliper` needs a score, but `distance` is 'mahalanobis'; use distance 'glm' with `mahvars` for Mahalanobis matching within a caliper
    """

    method: str = "nearest"
    ratio: int = 1
    replace: bool = False
    caliper: float | None = None
    std_caliper: bool = True
    caliper_scale: str = "distance"
    exact: tuple[str, ...] | None = None
    m_order: str | None = None
    distance: Any = field(default="glm", compare=False)
    mahvars: tuple[str, ...] | None = None
    discard: str = "none"
    estimand: Estimand = Estimand.ATT
    seed: int | None = None
    ties: bool = False

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_rules()

    def _check_fields(self) -> None:
        set_ = object.__setattr__
        check_choice("method", self.method, MATCH_METHODS, exc=ConfigError)
        set_(self, "ratio", check_int("ratio", self.ratio, low=1, exc=ConfigError))
        for name in ("replace", "std_caliper", "ties"):
            check_bool(name, getattr(self, name), exc=ConfigError)
        check_number("caliper", self.caliper, low=0, low_open=True, allow_none=True, exc=ConfigError)
        if self.caliper is not None:
            set_(self, "caliper", float(self.caliper))
        check_choice("caliper_scale", self.caliper_scale, CALIPER_SCALES, exc=ConfigError)
        check_choice("m_order", self.m_order, (*M_ORDERS, None), exc=ConfigError)
        check_choice("discard", self.discard, DISCARDS, exc=ConfigError)
        set_(self, "exact", _names("exact", self.exact))
        set_(self, "mahvars", _names("mahvars", self.mahvars, terms=True))
        try:
            est = Estimand.parse(self.estimand)
        except EvaltoolError:
            est = None
        if est not in (Estimand.ATT, Estimand.ATC):
            got = self.estimand.value if isinstance(self.estimand, Estimand) else self.estimand
            raise _rule("estimand", f"`estimand` must be one of 'ATT', 'ATC'; got {got!r}")
        set_(self, "estimand", est)
        check_int("seed", self.seed, low=0, allow_none=True, exc=ConfigError)
        d = self.distance
        if isinstance(d, str):
            if not d:
                raise _rule("distance", "`distance` must be 'glm', 'mahalanobis', a score column or a "
                                        "classifier; got ''")
        elif not (hasattr(d, "fit") and hasattr(d, "predict_proba")):
            raise _rule("distance", f"`distance` must be 'glm', 'mahalanobis', a score column or a "
                                    f"classifier with predict_proba; got {type(d).__name__}")

    def _check_rules(self) -> None:
        if self.ties and not self.replace:
            raise _rule("ties", "`ties` (Matching-style ties) needs `replace` to be true")
        if self.mahvars is not None and self.is_mahalanobis:
            raise _rule("mahvars", "`mahvars` is for Mahalanobis matching within a propensity caliper, "
                                   "but `distance` is 'mahalanobis'; use distance 'glm' with `mahvars`")
        if self.caliper is not None and self.is_mahalanobis:
            raise _rule("caliper", "`caliper` needs a score, but `distance` is 'mahalanobis'; use "
                                   "distance 'glm' with `mahvars` for Mahalanobis matching within a caliper")
        if self.caliper_scale == "logit" and not self.uses_propensity:
            raise _rule("caliper_scale", f"`caliper_scale` 'logit' needs a fitted propensity score, but "
                                         f"`distance` is {self.distance_name!r}; use distance 'glm'")
        if self.discard != "none" and self.is_mahalanobis:
            raise _rule("discard", "`discard` works on a score, but `distance` is 'mahalanobis'; use "
                                   "distance 'glm' or discard 'none'")
        if self.m_order == "random" and self.seed is None:
            raise _rule("seed", "`m_order` 'random' needs an explicit `seed`")

    @property
    def is_mahalanobis(self) -> bool:
        """True for full Mahalanobis matching (no propensity score)."""
        return isinstance(self.distance, str) and self.distance == "mahalanobis"

    @property
    def uses_propensity(self) -> bool:
        """True when a propensity model is fitted (``glm``/``logit`` or a classifier)."""
        d = self.distance
        return not isinstance(d, str) or d in PS_DISTANCES

    @property
    def order(self) -> str:
        """The effective matching order (MatchIt's defaults when ``m_order`` is None)."""
        if self.m_order is not None:
            return self.m_order
        if self.is_mahalanobis:
            return "data"
        return "smallest" if self.estimand is Estimand.ATC else "largest"

    @property
    def default_variance(self) -> str:
        """``"cluster"`` (by pair) without replacement, ``"abadie_imbens"`` with."""
        return "abadie_imbens" if self.replace else "cluster"

    @property
    def distance_name(self) -> str:
        d = self.distance
        return d if isinstance(d, str) else type(d).__name__

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "ratio": self.ratio, "replace": self.replace,
            "caliper": self.caliper, "std_caliper": self.std_caliper,
            "caliper_scale": self.caliper_scale,
            "exact": list(self.exact) if self.exact else None, "m_order": self.order,
            "distance": self.distance_name,
            "mahvars": list(self.mahvars) if self.mahvars else None, "discard": self.discard,
            "estimand": self.estimand.value, "seed": self.seed, "ties": self.ties,
        }
