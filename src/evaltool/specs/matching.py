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
* ``m_order="random"`` needs a ``seed``;
* ``estimand`` ATE only with a method that has it (MatchIt: ``full``, ``subclass``, ``cem``);
* each method takes only its own options (:data:`METHOD_OPTIONS`): ``subclass``/``min_n``
  are subclassification's, ``cutpoints``/``k2k`` CEM's, ``min_controls``/``max_controls``
  full matching's, and ``min_controls <= max_controls``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaltool._checks import check_bool, check_choice, check_int, check_number
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EvaltoolError
from evaltool.terms import parse_term

__all__ = ["MatchSpec", "MATCH_METHODS", "ATE_METHODS", "METHOD_OPTIONS", "check_cutpoints", "M_ORDERS", "DISCARDS", "CALIPER_SCALES", "PS_DISTANCES"]

MATCH_METHODS = ("nearest", "cem", "subclass", "optimal", "full")
"""Names of the matching methods; :data:`evaltool.design.matching.METHODS` maps each to its code."""
ATE_METHODS = ("full", "subclass", "cem")
"""Methods that can target the ATE (as in MatchIt); the others take ATT or ATC."""
METHOD_OPTIONS = {
    "nearest": ("ratio", "replace", "caliper", "std_caliper", "caliper_scale", "exact", "m_order",
                "distance", "mahvars", "discard", "ties"),
    "cem": ("cutpoints", "k2k"),
    "subclass": ("distance", "subclass", "min_n"),
    "optimal": ("ratio", "caliper", "exact", "distance", "solver", "optmatch_tol"),
    "full": ("caliper", "exact", "distance", "min_controls", "max_controls", "solver", "optmatch_tol"),
}
"""The options each method implements; any other option set away from its default is an error."""
_DEFAULTS = {"ratio": 1, "replace": False, "caliper": None, "std_caliper": True,
             "caliper_scale": "distance", "exact": None, "m_order": None, "distance": "glm",
             "mahvars": None, "discard": "none", "ties": False, "subclass": None, "min_n": None,
             "cutpoints": None, "k2k": False, "min_controls": None, "max_controls": None,
             "solver": "lemon", "optmatch_tol": 1e-7}
M_ORDERS = ("largest", "smallest", "closest", "data", "random")
DISCARDS = ("none", "treated", "control", "both")
CALIPER_SCALES = ("distance", "logit")
PS_DISTANCES = ("glm", "logit")
SOLVERS = ("lemon", "scipy")
"""Solvers of optimal and full matching: ``lemon`` makes the choices of optmatch's default solver
(LEMON's cycle canceling) and returns MatchIt's matched sets; ``scipy`` (HiGHS / LAPJVsp) is faster
on large problems and returns an optimum of equal cost, not necessarily the same sets."""


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


def _cut_ok(v: Any) -> bool:
    if isinstance(v, str):
        return v == "sturges"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v).is_integer() and v >= 0
    if isinstance(v, Sequence):
        return len(v) > 0 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                  and math.isfinite(x) for x in v)
    return False


def check_cutpoints(value: Any) -> Any:
    """CEM ``cutpoints`` (MatchIt): ``"sturges"``, a number of bins (0 = exact on the raw
    values), a list of cut points, or a mapping column -> one of those; returned normalised."""
    items = value.items() if isinstance(value, Mapping) else [(None, value)]
    for name, v in items:
        if not _cut_ok(v):
            where = "" if name is None else f" for {name!r}"
            raise ConfigError(f"`cutpoints`{where} must be 'sturges', a number of bins >= 0 or a list "
                              f"of cut points; got {v!r}", key="cutpoints")
    if isinstance(value, Mapping):
        return {k: (int(v) if isinstance(v, float) else v) for k, v in value.items()}
    return int(value) if isinstance(value, float) else value


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
    subclass: int | None = None
    min_n: int | None = None
    cutpoints: Any = field(default=None, compare=False)
    k2k: bool = False
    min_controls: float | None = None
    max_controls: float | None = None
    solver: str = "lemon"
    optmatch_tol: float = 1e-7

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
        allowed = (Estimand.ATT, Estimand.ATC, Estimand.ATE) if self.method in ATE_METHODS else \
            (Estimand.ATT, Estimand.ATC)
        if est not in allowed:
            got = self.estimand.value if isinstance(self.estimand, Estimand) else self.estimand
            hint = "" if self.method in ATE_METHODS or est is not Estimand.ATE else (
                f"; method {self.method!r} has no ATE (as in MatchIt): use method 'full', "
                "'subclass' or 'cem', or a weighting design")
            raise _rule("estimand", f"`estimand` must be one of {', '.join(repr(e.value) for e in allowed)}; "
                                    f"got {got!r}{hint}")
        set_(self, "estimand", est)
        check_int("subclass", self.subclass, low=2, allow_none=True, exc=ConfigError)
        check_int("min_n", self.min_n, low=0, allow_none=True, exc=ConfigError)
        check_bool("k2k", self.k2k, exc=ConfigError)
        if self.cutpoints is not None:
            set_(self, "cutpoints", check_cutpoints(self.cutpoints))
        for name in ("min_controls", "max_controls"):
            check_number(name, getattr(self, name), low=0, low_open=True, allow_none=True, exc=ConfigError)
        check_choice("solver", self.solver, SOLVERS, exc=ConfigError)
        check_number("optmatch_tol", self.optmatch_tol, low=0, low_open=True, exc=ConfigError)
        set_(self, "optmatch_tol", float(self.optmatch_tol))
        if self.method == "subclass":  # MatchIt's defaults, recorded in the spec that ran
            set_(self, "subclass", 6 if self.subclass is None else self.subclass)
            set_(self, "min_n", 1 if self.min_n is None else self.min_n)
        if self.method == "cem" and self.cutpoints is None:
            set_(self, "cutpoints", "sturges")
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
        own = METHOD_OPTIONS[self.method]
        for name, default in _DEFAULTS.items():
            value = getattr(self, name)
            if name not in own and (hasattr(value, "fit") or value != default):
                raise _rule(name, f"`{name}` is not an option of method {self.method!r} (its options: "
                                  f"{', '.join(own)}); remove it")
        if self.min_controls is not None and self.max_controls is not None \
                and self.min_controls > self.max_controls:
            raise _rule("min_controls", f"`min_controls` ({self.min_controls:g}) must not exceed "
                                        f"`max_controls` ({self.max_controls:g})")
        if self.k2k and self.estimand is Estimand.ATE:
            raise _rule("k2k", "`k2k` pairs each focal unit with one control, so it targets ATT or ATC; "
                               "got estimand 'ATE'")
        if self.caliper is not None and self.min_controls is not None:
            raise _rule("caliper", "`caliper` cannot be combined with `min_controls` in method 'full' "
                                   "(as in MatchIt); drop one of them")
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
            "exact": list(self.exact) if self.exact else None, "m_order": self.order if self.method == "nearest" else None,
            "distance": self.distance_name,
            "mahvars": list(self.mahvars) if self.mahvars else None, "discard": self.discard,
            "estimand": self.estimand.value, "seed": self.seed, "ties": self.ties,
            "subclass": self.subclass, "min_n": self.min_n, "cutpoints": _plain(self.cutpoints),
            "k2k": self.k2k, "min_controls": self.min_controls, "max_controls": self.max_controls,
            **({"solver": self.solver, "optmatch_tol": self.optmatch_tol}
               if self.method in ("optimal", "full") else {}),
        }


def _plain(cutpoints: Any) -> Any:
    if isinstance(cutpoints, dict):
        return {k: _plain(v) for k, v in cutpoints.items()}
    if isinstance(cutpoints, Sequence) and not isinstance(cutpoints, str):
        return list(cutpoints)
    return cutpoints
