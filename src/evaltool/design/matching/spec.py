"""The frozen, validated recipe of a matching design."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool._checks import check_choice, check_int, check_number
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EvaltoolError

__all__ = ["MatchSpec", "M_ORDERS", "DISCARDS", "CALIPER_SCALES", "PS_DISTANCES"]

M_ORDERS = ("largest", "smallest", "closest", "data", "random")
DISCARDS = ("none", "treated", "control", "both")
CALIPER_SCALES = ("distance", "logit")
PS_DISTANCES = ("glm", "logit")


def _as_tuple(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    try:
        out = tuple(value)
    except TypeError:
        raise EvaltoolError(f"`{name}` must be a list of column names; got {value!r}") from None
    if not out or not all(isinstance(v, str) and v for v in out):
        raise EvaltoolError(f"`{name}` must be a non-empty list of column names; got {value!r}")
    return out


@dataclass(frozen=True)
class MatchSpec:
    """Every argument of :func:`evaltool.design.matching.match`, validated on construction.

    See :func:`evaltool.design.matching.match` for the meaning of each field. ``distance``
    is ``"glm"``/``"logit"``, ``"mahalanobis"``, the name of a score column or a
    classifier with ``predict_proba`` (kept as given, compared by identity).
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
        from evaltool.design.matching.registry import METHODS

        check_choice("method", self.method, list(METHODS))
        object.__setattr__(self, "ratio", check_int("ratio", self.ratio, low=1))
        for name in ("replace", "std_caliper", "ties"):
            if not isinstance(getattr(self, name), bool):
                raise EvaltoolError(f"`{name}` must be True or False; got {getattr(self, name)!r}")
        check_number("caliper", self.caliper, low=0, low_open=True, allow_none=True)
        if self.caliper is not None:
            object.__setattr__(self, "caliper", float(self.caliper))
        check_choice("caliper_scale", self.caliper_scale, CALIPER_SCALES)
        check_choice("m_order", self.m_order, (*M_ORDERS, None))
        check_choice("discard", self.discard, DISCARDS)
        object.__setattr__(self, "exact", _as_tuple("exact", self.exact))
        object.__setattr__(self, "mahvars", _as_tuple("mahvars", self.mahvars))
        est = Estimand.parse(self.estimand)
        check_choice("estimand", est.value, ("ATT", "ATC"))
        object.__setattr__(self, "estimand", est)
        check_int("seed", self.seed, low=0, allow_none=True)
        d = self.distance
        if isinstance(d, str):
            if not d:
                raise EvaltoolError("`distance` must be 'glm', 'mahalanobis', a score column or a "
                                    "classifier; got ''")
        elif not (hasattr(d, "fit") and hasattr(d, "predict_proba")):
            raise EvaltoolError(f"`distance` must be 'glm', 'mahalanobis', a score column or a "
                                f"classifier with predict_proba; got {type(d).__name__}")
        if self.ties and not self.replace:
            raise ConfigError("`ties=True` (Matching-style ties) needs `replace=True`")
        if self.mahvars is not None and self.is_mahalanobis:
            raise ConfigError("`mahvars` is for Mahalanobis matching within a propensity caliper; "
                              "use it with a propensity distance, not distance='mahalanobis'")
        if self.caliper is not None and self.is_mahalanobis:
            raise ConfigError("a caliper needs a propensity score; with distance='mahalanobis' use "
                              "distance='glm' and `mahvars` instead")
        if self.caliper_scale == "logit" and not self.uses_propensity:
            raise ConfigError("`caliper_scale='logit'` needs a fitted propensity score "
                              "(distance='glm' or a classifier)")
        if self.discard != "none" and self.is_mahalanobis:
            raise ConfigError("`discard` works on the propensity score; distance='mahalanobis' has none")
        if self.m_order == "random" and self.seed is None:
            raise EvaltoolError("`m_order='random'` needs an explicit `seed`")

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
