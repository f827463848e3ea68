"""Matching methods by name. Each takes ``(data, treatment, covariates, spec)`` and
returns a :class:`~evaltool.design.matching.result.MatchResult`; add a method by adding
a module with one such function and one entry here."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["METHODS", "get_method"]


def _nearest(*args, **kwargs):
    from evaltool.design.matching.nearest import match_nearest

    return match_nearest(*args, **kwargs)


def _cem(*args, **kwargs):
    from evaltool.design.cem import match_cem

    return match_cem(*args, **kwargs)


def _subclass(*args, **kwargs):
    from evaltool.design.subclass import match_subclass

    return match_subclass(*args, **kwargs)


def _optimal(*args, **kwargs):
    from evaltool.design.optimal import match_optimal

    return match_optimal(*args, **kwargs)


METHODS: dict[str, Callable] = {"nearest": _nearest, "cem": _cem, "subclass": _subclass,
                                "optimal": _optimal}


def get_method(name: str) -> Callable:
    """The method registered under ``name``; an unknown name lists the valid ones."""
    from evaltool.exceptions import EvaltoolError

    try:
        return METHODS[name]
    except KeyError:
        raise EvaltoolError(f"`method` must be one of {', '.join(map(repr, METHODS))}; "
                            f"got {name!r}") from None
