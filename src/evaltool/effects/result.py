"""The result of :func:`evaltool.estimate`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evaltool._result import ResultMixin, frame_records
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["EffectResult", "EFFECT_COLUMNS", "TEST_COLUMNS"]

EFFECT_COLUMNS = (
    "outcome", "subgroup", "level", "estimand", "method", "variance", "estimate", "std_error",
    "ci_low", "ci_high", "p_value", "p_value_adj", "mean_treated", "mean_control",
    "relative_change", "n_treated", "n_control", "unit",
)
TEST_COLUMNS = ("variable", "outcome", "statistic", "df", "p_value")


def empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True, eq=False)
class EffectResult(ResultMixin):
    """Effects of one design on one or more outcomes, with honest uncertainty.

    Attributes
    ----------
    effects : DataFrame
        One row per outcome (columns :data:`EFFECT_COLUMNS`; ``subgroup``/``level`` None).
    subgroups : DataFrame
        One row per outcome x subgroup variable x level (same columns).
    subgroup_tests : DataFrame
        Wald tests of equal effects across the levels of each subgroup variable
        (columns :data:`TEST_COLUMNS`).
    estimand : Estimand
        The design's estimand.
    method, variance, adjust : str
        Point estimator, variance strategy and multiple-testing adjustment used.
    alpha : float
        1 - confidence level of the intervals.
    seed : int or None
        Seed of resampling strategies.

    Notes
    -----
    Binary (0/1) outcomes are reported in percent (means) and percentage points
    (estimate, SE, CI); ``unit`` is then ``"pp"``, otherwise ``"level"``.

    Examples
    --------
    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> res = evaltool.estimate(design, "meetings_held")
    >>> res.to_frame()[["estimate", "ci_low", "ci_high", "unit"]].round(2)
       estimate  ci_low  ci_high   unit
    0      5.26    4.26     6.26  level
    """

    effects: pd.DataFrame
    subgroups: pd.DataFrame
    subgroup_tests: pd.DataFrame
    estimand: Estimand
    method: str
    variance: str
    adjust: str
    alpha: float
    seed: int | None = None

    _title = "Effects"

    def __repr__(self) -> str:
        outcomes = [str(o) for o in self.effects["outcome"]] if "outcome" in self.effects else []
        shown = ", ".join(outcomes[:3]) + (", ..." if len(outcomes) > 3 else "")
        return (f"EffectResult({self.estimand.value}, {self.method}, variance={self.variance}, "
                f"adjust={self.adjust}; {len(outcomes)} outcome(s): {shown}; "
                f"{len(self.subgroups)} subgroup row(s))")

    def to_frame(self) -> pd.DataFrame:
        """Main effects then subgroup rows, columns :data:`EFFECT_COLUMNS`."""
        parts = [f for f in (self.effects, self.subgroups) if len(f)]
        if not parts:
            return empty_frame(EFFECT_COLUMNS)
        return pd.concat(parts, ignore_index=True).loc[:, list(EFFECT_COLUMNS)]

    def to_dict(self) -> dict[str, Any]:
        """``{"effects": [...], "subgroups": [...], "subgroup_tests": [...]}``, JSON-safe."""
        return {
            "effects": frame_records(self.effects.loc[:, list(EFFECT_COLUMNS)]),
            "subgroups": frame_records(self.subgroups.loc[:, list(EFFECT_COLUMNS)]),
            "subgroup_tests": frame_records(self.subgroup_tests.loc[:, list(TEST_COLUMNS)]),
        }

    def effect(self, outcome: str) -> pd.Series:
        """The main-effect row of one outcome."""
        rows = self.effects[self.effects["outcome"] == outcome]
        if rows.empty:
            known = ", ".join(map(str, self.effects["outcome"]))
            raise EstimationError(f"no effect for outcome {outcome!r}; estimated: {known}")
        return rows.iloc[0]
