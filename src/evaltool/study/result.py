"""The result of a whole study and its machine-readable form (``results.json``).

:class:`StudyResult` holds every stage's result object and the blocks assembled
next to them (:class:`~evaltool.study.blocks.StudyBlocks`); :meth:`StudyResult.document`
builds the typed results document (schema v2, :class:`~evaltool.results.schema.ResultsDocument`,
see ``docs/results-schema.md``) that results.json is written from and the reports
render from. No person ids appear in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.results.process import ProcessBlocks, process_blocks
from evaltool.results.sensitivity import SensitivityBlock
from evaltool.results.schema import (SCHEMA_VERSION, BalanceBlock, DataReportBlock, EffectRow, ResultsDocument,
                                   SubgroupRow, SubgroupTest, TimeToEventBlock, TrajectoryRow)

__all__ = ["StudyResult", "SCHEMA_VERSION", "ResultsDocument"]


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
    blocks : StudyBlocks
        The typed results blocks besides the stage results (study, provenance, the design
        that ran, outcomes, target group, process, sample sizes, propensity histogram).
    warnings : tuple of str
    sensitivity : SensitivityResult or None
        Rosenbaum bounds, E-values, placebos, area clustering, specification curve.

    Examples
    --------
    >>> import evaltool
    >>> cfg = evaltool.StudyConfig.model_validate({
    ...     "study": {"title": "Outreach", "language": "en"},
    ...     "data": {"simulate": {"n": 400, "seed": 1, "panel": False}},
    ...     "design": {"covariates": ["age", "prior_support_share"]},
    ...     "outcomes": [{"name": "meetings", "label": {"da": "Møder", "en": "Meetings held"},
    ...                   "kind": "column", "column": "meetings_held", "type": "count"}],
    ...     "sensitivity": {"rosenbaum": False, "evalue": False, "cluster": "none"},
    ... })
    >>> result = evaltool.run_study(cfg)
    >>> n = result.document().design.n
    >>> n.treated_matched, n.control_matched, n.control_unmatched
    (104, 104, 192)
    """

    config: Any
    data_report: Any
    design: Any
    balance: Any
    effects: Any
    trajectories: Any
    time_to_event: tuple = ()
    blocks: Any = None
    warnings: tuple[str, ...] = ()
    sensitivity: Any = None
    area: Any = None  # evaltool.study.area_run.AreaStage of ``area_panel:``, or None
    process_stage: Any = None  # ProcessStageResult (journeys, case duration, process effects, cost) or None
    comparison_designs: Any = None  # ComparisonDesignsBlock of ``comparison_designs:``, or None

    _title = "Study result"

    def __repr__(self) -> str:
        n = self.blocks.design.n if self.blocks is not None else None
        sizes = f", n={n.treated_matched}/{n.control_matched} matched" if n is not None else ""
        return (f"StudyResult({len(self.effects.effects)} effects, {len(self.time_to_event)} time-to-event"
                f"{sizes}, {len(self.warnings)} warnings)")

    def to_frame(self) -> pd.DataFrame:
        """The effects table (one row per outcome and subgroup level)."""
        return self.effects.to_frame()

    def document(self) -> ResultsDocument:
        """The typed results document built from the stage results."""
        b = self.blocks
        eff = self.effects.to_dict()
        proc = self._process_blocks()
        return ResultsDocument(
            schema_version=SCHEMA_VERSION, study=b.study, provenance=b.provenance, config=b.config,
            outcomes=b.outcomes, categories_labels=b.categories_labels,
            data_report=DataReportBlock.from_dict(self.data_report.to_dict(), "data_report"),
            target_group=b.target_group, process=proc.process, design=b.design,
            balance=BalanceBlock(threshold=float(self.balance.threshold),
                                 rows=_rows(BalanceBlock._nested["rows"], frame_records(self.balance.to_frame()),
                                            "balance.rows")),
            propensity=b.propensity,
            effects=_rows(EffectRow, eff["effects"], "effects"),
            subgroups=_rows(SubgroupRow, [_subgroup_row(r) for r in eff["subgroups"]], "subgroups"),
            subgroup_tests=_rows(SubgroupTest, eff["subgroup_tests"], "subgroup_tests"),
            trajectories=(_rows(TrajectoryRow, frame_records(self.trajectories.to_frame()), "trajectories")
                          if self.trajectories is not None else ()),
            time_to_event=_rows(TimeToEventBlock, [t.to_dict() for t in self.time_to_event], "time_to_event"),
            simulation=jsonable(_simulation(b.simulation, self.area)), warnings=tuple(self.warnings),
            sensitivity=(SensitivityBlock.from_result(self.sensitivity.to_dict())
                         if self.sensitivity is not None else None),
            area=self.area.block if self.area is not None else None,
            mapping=proc.mapping, journeys=proc.journeys, case_duration=proc.case_duration, cost=proc.cost,
            comparison_designs=self.comparison_designs,
        )

    def _process_blocks(self) -> ProcessBlocks:
        """The process stage's blocks, process indicators labelled from the report catalogues."""
        if self.process_stage is None:
            return ProcessBlocks()
        from evaltool.study.blocks import indicator_labels

        stage = jsonable(self.process_stage.to_dict())
        rows = stage.get("process", ())
        labels = {src: indicator_labels(list(dict.fromkeys(r["indicator"] for r in rows if r["source"] == src)), first)
                  for src, first in (("column", "indicator"), ("contacts", "proc.ind"))}
        return process_blocks(stage, labels)

    def to_dict(self) -> dict[str, Any]:
        """results.json as a dict (schema v2)."""
        return self.document().to_dict()

    def to_json(self) -> str:
        """results.json text (deterministic bytes)."""
        return self.document().to_json()

    @staticmethod
    def read(path: str | Path) -> ResultsDocument:
        """Read a results.json back into the typed document."""
        return ResultsDocument.read(path)

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


def _simulation(sim: dict | None, area: Any) -> dict | None:
    """The simulation truths: persons' (``truth``) and, for a simulated area panel, ``area_truth``."""
    if area is None or area.truth is None:
        return sim
    return {**(sim or {}), "area_truth": area.truth}


def _subgroup_row(row: dict[str, Any]) -> dict[str, Any]:
    """Schema v1 names the subgroup variable ``variable`` (as in ``subgroup_tests``)."""
    out = {"variable": row["subgroup"]}
    out.update((k, v) for k, v in row.items() if k != "subgroup")
    return out


def _rows(record: type, rows: list[dict[str, Any]], path: str) -> tuple:
    return tuple(record.from_dict(r, f"{path}[{i}]") for i, r in enumerate(rows))
