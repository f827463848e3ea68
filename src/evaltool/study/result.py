"""The result of a whole study and its machine-readable form (``results.json``).

:class:`StudyResult` holds every stage's result object; :meth:`StudyResult.to_dict`
builds the results schema v1 (see ``docs/results-schema.md``) that the reports
render from. No person ids appear in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaltool._result import ResultMixin, frame_records, jsonable

__all__ = ["StudyResult", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StudyResult(ResultMixin):
    """Everything a study run produced.

    Attributes
    ----------
    config : StudyConfig
        The validated configuration.
    data_report : DataReport
    design : MatchResult
    balance : BalanceResult
    effects : EffectResult
    trajectories : TrajectoryResult or None
    time_to_event : tuple of TimeToEventResult
    sections : dict
        Precomputed, JSON-safe blocks of the results schema (study, provenance,
        config, outcomes, target_group, process, design, propensity, ...).
    """

    config: Any
    data_report: Any
    design: Any
    balance: Any
    effects: Any
    trajectories: Any
    time_to_event: tuple = ()
    sections: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    _title = "Study result"

    def to_frame(self) -> pd.DataFrame:
        """The effects table (one row per outcome and subgroup level)."""
        return self.effects.to_frame()

    def to_dict(self) -> dict[str, Any]:
        s = self.sections
        eff = self.effects.to_dict()
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "study": s["study"],
            "provenance": s["provenance"],
            "config": s["config"],
            "outcomes": s["outcomes"],
            "categories_labels": s.get("categories_labels", {}),
            "data_report": self.data_report.to_dict(),
            "target_group": s["target_group"],
            "process": s["process"],
            "design": s["design"],
            "balance": {
                "threshold": s.get("balance_threshold", 0.1),
                "rows": frame_records(self.balance.to_frame()),
            },
            "propensity": s.get("propensity"),
            "effects": eff.get("effects", []),
            "subgroups": [_subgroup_row(r) for r in eff.get("subgroups", [])],
            "subgroup_tests": eff.get("subgroup_tests", []),
            "trajectories": (frame_records(self.trajectories.to_frame())
                             if self.trajectories is not None else []),
            "time_to_event": [t.to_dict() for t in self.time_to_event],
            "simulation": s.get("simulation"),
            "warnings": list(self.warnings),
        }
        return jsonable(out)

    def headline(self) -> str:
        """One line per main effect, for the terminal."""
        lines = []
        for row in self.effects.to_frame().itertuples(index=False):
            if getattr(row, "subgroup", None) not in (None, "") and not pd.isna(getattr(row, "subgroup", None)):
                continue
            unit = " pp" if row.unit == "pp" else ""
            lines.append(
                f"{row.outcome}: {row.mean_treated:.1f} vs {row.mean_control:.1f} -> "
                f"{row.estimate:+.2f}{unit} (95% CI {row.ci_low:.2f} to {row.ci_high:.2f}, "
                f"p={row.p_value:.3g}, {row.estimand}, n={row.n_treated}/{row.n_control})"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        return "\n\n".join([self.data_report.summary(), self.balance.summary(), self.effects.summary()])


def _subgroup_row(row: dict[str, Any]) -> dict[str, Any]:
    """Schema v1 names the subgroup variable ``variable`` (as in ``subgroup_tests``)."""
    out = {"variable": row.get("subgroup")}
    out.update((k, v) for k, v in row.items() if k != "subgroup")
    return out
