"""Placebo (negative-control) tests: effects where there can be none.

* pre-period outcomes: each register outcome mirrored to the weeks before start (an ``any``/
  ``share`` window (a, b) becomes (-b, -a), a ``status_at`` week k becomes -k), derived from the
  same panel and estimated on the same matched design (:func:`pre_period_specs`);
* a placebo start date: the whole design re-run with the start moved back (e.g. 52 weeks) on
  persons not yet treated then, through a callable the caller provides (:func:`placebo_start`);
* user-named placebo outcomes (columns known to be unaffected), estimated as any outcome.

A placebo "effect" whose interval excludes 0 is a warning sign of residual confounding.

Examples
--------
>>> from evaltool.registers.outcomes import OutcomeSpec
>>> s = OutcomeSpec("praktik_52", "any", ("virksomhedspraktik",), window=(1, 52))
>>> pre_period_specs([s])[0].window
(-52, -1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from evaltool.effects import EffectResult, estimate
from evaltool.effects.design import Design
from evaltool.exceptions import EstimationError
from evaltool.registers.outcomes import OutcomeSpec

__all__ = ["pre_period_specs", "placebo_rows", "evaluate_placebos", "placebo_start", "PLACEBO_KINDS"]

PLACEBO_KINDS = ("pre_period", "placebo_start", "named")


def pre_period_specs(specs: Sequence[OutcomeSpec], window: tuple[int, int] | None = None,
                     suffix: str = "_pre") -> list[OutcomeSpec]:
    """Placebo outcome specs over weeks before start, named ``<name><suffix>``.

    ``window`` (a, b), both negative, replaces every ``any``/``share`` window (default: the mirror
    image of each outcome's own window). ``time_to`` outcomes have no pre-period analogue and are
    left out.
    """
    out = []
    for s in specs:
        if s.kind in ("any", "share"):
            a, b = s.window  # type: ignore[misc]
            w = window if window is not None else (-b, -a)
            if w[1] >= 0:
                raise EstimationError(f"outcome {s.name!r}: the placebo window {w} reaches week 0 or later; "
                                      "pre-period windows must end at week -1 or before")
            out.append(OutcomeSpec(s.name + suffix, s.kind, s.categories, window=tuple(w)))
        elif s.kind == "status_at":
            wk = -abs(int(s.week))  # type: ignore[arg-type]
            out.append(OutcomeSpec(s.name + suffix, "status_at", s.categories, week=wk if wk < 0 else -1))
    return out


def placebo_rows(effects: EffectResult, kind: str, rename: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Placebo rows ``{outcome, kind, estimate, std_error, ci_low, ci_high, p_value}`` of an effect result."""
    if kind not in PLACEBO_KINDS:
        raise EstimationError(f"`kind` must be one of {', '.join(map(repr, PLACEBO_KINDS))}; got {kind!r}")
    rename = rename or {}
    return [{"outcome": rename.get(r.outcome, r.outcome), "kind": kind, "estimate": r.estimate,
             "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
             "unit": r.unit}
            for r in effects.effects.itertuples(index=False)]


def evaluate_placebos(design: Design, outcomes: pd.DataFrame | Sequence[str], kind: str = "named",
                      **estimate_kwargs: Any) -> list[dict[str, Any]]:
    """Estimate placebo outcomes on the (unchanged) matched design; no multiple-testing adjustment."""
    res = estimate(design, outcomes if isinstance(outcomes, pd.DataFrame) else list(outcomes),
                   adjust="none", **estimate_kwargs)
    return placebo_rows(res, kind)


def placebo_start(rerun: Callable[[int], EffectResult], shift_weeks: int = 52) -> list[dict[str, Any]]:
    """Re-run the whole design with every start moved ``shift_weeks`` back.

    ``rerun(shift_weeks)`` must rebuild the study from persons not yet treated at the shifted
    start (their outcomes are then measured before the effort began) and return the
    :class:`EffectResult`; any effect found is a placebo effect.
    """
    if not callable(rerun):
        raise EstimationError(f"`rerun` must be a callable shift_weeks -> EffectResult; got {type(rerun).__name__}")
    if int(shift_weeks) < 1:
        raise EstimationError(f"`shift_weeks` must be an integer >= 1; got {shift_weeks!r}")
    res = rerun(int(shift_weeks))
    if not isinstance(res, EffectResult):
        raise EstimationError(f"`rerun` must return an EffectResult; got {type(res).__name__}")
    return placebo_rows(res, "placebo_start")
