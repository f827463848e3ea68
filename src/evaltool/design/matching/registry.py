"""Matching methods by name.

Each method is a function ``(data, treatment, covariates, spec) -> MatchResult`` in
its own module; adding a method is one module plus one line in :data:`METHODS`
(and its name in :data:`evaltool.specs.matching.MATCH_METHODS`, which the config
and :class:`~evaltool.specs.matching.MatchSpec` check at validate time).
"""

from __future__ import annotations

from collections.abc import Callable

from evaltool.design.matching.cem import match_cem
from evaltool.design.matching.full import match_full
from evaltool.design.matching.nearest import match_nearest
from evaltool.design.matching.optimal import match_optimal
from evaltool.design.matching.subclass import match_subclass
from evaltool.exceptions import ConfigError

__all__ = ["METHODS", "get_method"]

METHODS: dict[str, Callable] = {
    "nearest": match_nearest,
    "cem": match_cem,
    "subclass": match_subclass,
    "optimal": match_optimal,
    "full": match_full,
}


def get_method(name: str) -> Callable:
    """The method registered under ``name``; an unknown name lists the valid ones."""
    try:
        return METHODS[name]
    except KeyError:
        raise ConfigError(f"`method` must be one of {', '.join(map(repr, METHODS))}; got {name!r}",
                          key="method") from None
