"""Outcome-spec helpers for lock-in and horizons.

Programmes such as internships and wage subsidy hold participants out of ordinary jobs while they
last (lock-in). :func:`exclude_lockin` drops the first ``lockin_weeks`` weeks after start from an
``any``/``share`` window, so the effect counts only weeks after the typical programme ends.
:func:`horizon_specs` gives the headline outcome at 26/52/104/156 weeks, one spec per horizon, for
one table of effects over time.

Examples
--------
>>> from evaltool.registers.outcomes import OutcomeSpec
>>> s = OutcomeSpec("self_share", "share", ("self_support",), window=(1, 104))
>>> exclude_lockin(s, 26).window
(27, 104)
>>> [x.week for x in horizon_specs(OutcomeSpec("ss", "status_at", ("self_support",), week=26))]
[26, 52, 104, 156]
"""

from __future__ import annotations

from collections.abc import Sequence

from evaltool.exceptions import EstimationError
from evaltool.registers.outcomes import OutcomeSpec

__all__ = ["exclude_lockin", "horizon_specs", "HORIZONS"]

HORIZONS = (26, 52, 104, 156)


def exclude_lockin(spec: OutcomeSpec, lockin_weeks: int, suffix: str = "_after_lockin") -> OutcomeSpec:
    """The ``any``/``share`` outcome counted only from week ``lockin_weeks + 1`` after start."""
    if spec.kind not in ("any", "share"):
        raise EstimationError(f"outcome {spec.name!r}: lock-in exclusion applies to 'any' and 'share' "
                              f"outcomes; got kind {spec.kind!r}")
    if int(lockin_weeks) < 1:
        raise EstimationError(f"`lockin_weeks` must be an integer >= 1; got {lockin_weeks!r}")
    a, b = spec.window  # type: ignore[misc]
    start = max(a, int(lockin_weeks) + 1)
    if start > b:
        raise EstimationError(f"outcome {spec.name!r}: a lock-in of {lockin_weeks} weeks covers the whole "
                              f"window ({a}, {b}); lengthen the window")
    return OutcomeSpec(spec.name + suffix, spec.kind, spec.categories, window=(start, b))


def horizon_specs(spec: OutcomeSpec, horizons: Sequence[int] = HORIZONS) -> list[OutcomeSpec]:
    """One spec per horizon h, named ``<name>_<h>w``: ``status_at`` week h, or an ``any``/``share``
    window ending at h (same start)."""
    out = []
    base = spec.name
    for h in horizons:
        h = int(h)
        if spec.kind == "status_at":
            out.append(OutcomeSpec(f"{base}_{h}w", "status_at", spec.categories, week=h))
        elif spec.kind in ("any", "share"):
            a = spec.window[0]  # type: ignore[index]
            if h < a:
                raise EstimationError(f"outcome {spec.name!r}: horizon {h} is before the window start {a}")
            out.append(OutcomeSpec(f"{base}_{h}w", spec.kind, spec.categories, window=(a, h)))
        else:
            out.append(OutcomeSpec(f"{base}_{h}w", "time_to", spec.categories, horizon=h))
    return out
