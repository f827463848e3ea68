"""Matching methods by name.

Each method is a function ``(data, treatment, covariates, spec) -> MatchResult`` in
its own module; adding a method is one module plus one line in :data:`METHODS`
(and its name in :data:`evaltool.specs.matching.MATCH_METHODS`, which the config
and :class:`~evaltool.specs.matching.MatchSpec` check at validate time).

A method's module is imported when the method is first looked up, so ``nearest``
matching does not load the other methods (nor pandas, which they use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from evaltool.exceptions import ConfigError

__all__ = ["METHODS", "get_method"]


# plain function-level imports (not import_module strings), so the layout test sees every edge
def _nearest() -> Callable:
    from evaltool.design.matching.nearest import match_nearest
    return match_nearest


def _cem() -> Callable:
    from evaltool.design.matching.cem import match_cem
    return match_cem


def _subclass() -> Callable:
    from evaltool.design.matching.subclass import match_subclass
    return match_subclass


def _optimal() -> Callable:
    from evaltool.design.matching.optimal import match_optimal
    return match_optimal


def _full() -> Callable:
    from evaltool.design.matching.full import match_full
    return match_full


_LOADERS = {"nearest": _nearest, "cem": _cem, "subclass": _subclass, "optimal": _optimal, "full": _full}


class _Methods(Mapping):
    """Name -> method function, each imported on first access."""

    def __getitem__(self, name: str) -> Callable:
        return _LOADERS[name]()

    def __iter__(self) -> Iterator[str]:
        return iter(_LOADERS)

    def __len__(self) -> int:
        return len(_LOADERS)


METHODS: Mapping[str, Callable] = _Methods()


def get_method(name: str) -> Callable:
    """The method registered under ``name``; an unknown name lists the valid ones."""
    try:
        return METHODS[name]
    except KeyError:
        raise ConfigError(f"`method` must be one of {', '.join(map(repr, METHODS))}; got {name!r}",
                          key="method") from None
