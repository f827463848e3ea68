"""Typed ``results.json`` (schema version 2): one frozen record per block.

:class:`ResultsDocument` is what a study run writes and what ``evaltool report``,
the report context and disclosure control read. It is built from the stage
results (:meth:`evaltool.study.result.StudyResult.document`), written with
:meth:`ResultsDocument.to_json` and read back with :meth:`ResultsDocument.read`;
written -> read -> written gives identical bytes. Field order is key order; the
keys are documented in ``docs/results-schema.md``. No person ids appear in it. A version-1 file
is read through :func:`upgrade_v1` (its process means become ``process`` rows without an effect,
its ``process_analyses`` parts the top-level blocks).

Usage (on an output folder; not run as a doctest)
-------------------------------------------------
::

    doc = ResultsDocument.read("results.json")
    doc.design.n.treated_matched
    # -> 1184
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaltool.exceptions import DataError
from evaltool.results._record import Record
from evaltool.results.areas import AreaBlock
from evaltool.results.comparison import ComparisonDesignsBlock
from evaltool.results.process import CaseDurationBlock, CostBlock, JourneysBlock, MappingBlock, ProcessEffectRow
from evaltool.results.sensitivity import SensitivityBlock
from evaltool.results.effects import (ByWeekRow, CoxRow, EffectRow, KmPoint, MedianRow, SubgroupRow, SubgroupTest,
                                      TimeToEventBlock, TrajectoryRow)

__all__ = ["SCHEMA_VERSION", "READABLE_VERSIONS", "upgrade_v1", "ResultsDocument", "StudyInfo", "Provenance", "SampleRule", "DesignConfig",
           "ConfigBlock", "OutcomeInfo", "DroppedRows", "DataReportBlock", "TargetRow", "TargetGroupBlock",
           "ProcessEffectRow", "SampleSizes", "DesignBlock", "BalanceRow", "BalanceBlock", "PropensityHistogram",
           "EffectRow", "SubgroupRow", "SubgroupTest", "TrajectoryRow", "KmPoint", "MedianRow", "CoxRow",
           "ByWeekRow", "TimeToEventBlock", "dumps_json"]

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)  # a version-1 file is upgraded on reading (upgrade_v1)

Label = Any  # str or {"da": str, "en": str}


def dumps_json(data: Any) -> str:
    """Deterministic JSON text (keys in the order built, UTF-8, trailing newline)."""
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


@dataclass(frozen=True)
class StudyInfo(Record):
    title: Label = None
    stage: str = "final"
    language: str = "da"
    seed: int | None = None
    effort: Label = None
    municipality: str | None = None
    period: str | None = None
    followup_weeks: int | None = None
    # report17: metadata and free-text sections from the config (study: and report.texts:)
    author: str | None = None
    organisation: str | None = None
    data_extracted: str | None = None  # ISO date
    register_period: str | None = None
    texts: dict = field(default_factory=dict)  # name -> {"da": markdown, "en": markdown}


@dataclass(frozen=True)
class Provenance(Record):
    evaltool_version: str | None = None
    config_sha256: str | None = None
    inputs: dict = field(default_factory=dict)
    seed: int | None = None
    row_order: str | None = None


@dataclass(frozen=True)
class SampleRule(Record):
    """One ``data.sample`` rule: keep rows whose ``column`` is ``in`` the levels / within [min, max]."""

    column: str
    in_: tuple | None = None
    min: float | None = None
    max: float | None = None
    _keys = {"in_": "in"}


@dataclass(frozen=True)
class DesignConfig(Record):
    """The design that actually ran (method, estimand asked for, caliper used, ...)."""

    method: str | None = None
    estimand: str | None = None
    distance: str | None = None
    propensity_model: str | None = None
    ratio: int | None = None
    replace: bool | None = None
    caliper: float | None = None
    caliper_scale: str | None = None
    exact: tuple = ()
    covariates: tuple = ()
    m_order: str | None = None
    discard: str | None = None
    options: dict = field(default_factory=dict)  # the whole recipe of the design that ran (its spec)


@dataclass(frozen=True)
class ConfigBlock(Record):
    design: DesignConfig = field(default_factory=DesignConfig)
    variance: str | None = None
    effect_method: str | None = None
    adjust: str = "none"
    min_cell: int = 5
    sample: tuple = ()  # SampleRule (or, in older files, a rule written as text)
    _nested = {"design": DesignConfig, "sample": SampleRule}


@dataclass(frozen=True)
class OutcomeInfo(Record):
    name: str
    label: Label = None
    kind: str = "column"
    categories: tuple = ()
    window: tuple | None = None
    week: int | None = None
    horizon: int | None = None
    binary: bool = False


@dataclass(frozen=True)
class DroppedRows(Record):
    reason: str
    column: str | None = None
    n: int | None = None
    code: str | None = None
    rule: SampleRule | None = None
    _nested = {"rule": SampleRule}


@dataclass(frozen=True)
class DataReportBlock(Record):
    n_read: int | None = None
    n_used: int | None = None
    dropped: tuple[DroppedRows, ...] = ()
    n_treated: int | None = None
    n_control: int | None = None
    persons_without_panel: int | None = None
    pseudo_starts: int | None = None
    _nested = {"dropped": DroppedRows}


@dataclass(frozen=True)
class TargetRow(Record):
    variable: str
    level: str
    n_treated: int | None = None
    n_pool: int | None = None
    share_treated: float | None = None
    share_pool: float | None = None


@dataclass(frozen=True)
class TargetGroupBlock(Record):
    n_treated: int | None = None
    n_pool: int | None = None
    by: tuple[TargetRow, ...] = ()
    _nested = {"by": TargetRow}


@dataclass(frozen=True)
class SampleSizes(Record):
    """The one shape of a design's sample sizes: persons per side and stage, and the effective sizes."""

    treated_all: int | None = None
    treated_matched: int | None = None
    treated_discarded: int | None = None
    treated_unmatched: int | None = None
    control_all: int | None = None
    control_matched: int | None = None
    control_discarded: int | None = None
    control_unmatched: int | None = None
    ess_treated: float | None = None
    ess_control: float | None = None

    def count(self, side: str, stage: str) -> int | None:
        """``count("treated", "matched")``; ``side`` is treated/control, ``stage`` all/matched/discarded/unmatched."""
        return getattr(self, f"{side}_{stage}")


@dataclass(frozen=True)
class DesignBlock(Record):
    estimand: str | None = None
    estimand_note: str | None = None
    n: SampleSizes = field(default_factory=SampleSizes)
    _nested = {"n": SampleSizes}


@dataclass(frozen=True)
class BalanceRow(Record):
    term: str
    type: str = "continuous"
    mean_treated_before: float | None = None
    mean_control_before: float | None = None
    smd_before: float | None = None
    var_ratio_before: float | None = None
    ecdf_mean_before: float | None = None
    ecdf_max_before: float | None = None
    mean_treated_after: float | None = None
    mean_control_after: float | None = None
    smd_after: float | None = None
    var_ratio_after: float | None = None
    ecdf_mean_after: float | None = None
    ecdf_max_after: float | None = None
    std_pair_dist_after: float | None = None
    flag: bool = False


@dataclass(frozen=True)
class BalanceBlock(Record):
    threshold: float = 0.1
    rows: tuple[BalanceRow, ...] = ()
    _nested = {"rows": BalanceRow}


@dataclass(frozen=True)
class PropensityHistogram(Record):
    """Counts of the propensity score in bins (suppression marks are ``"series.bin"``)."""

    bins: tuple = ()
    treated: tuple = ()
    control_all: tuple = ()
    control_matched: tuple = ()

    SERIES = ("treated", "control_all", "control_matched")




@dataclass(frozen=True)
class ResultsDocument(Record):
    """The whole ``results.json`` (schema version 2), typed.

    Written from the stage results by :meth:`evaltool.study.result.StudyResult.document`; read by
    :meth:`read`. Disclosure control returns a controlled copy of the same type.
    """

    schema_version: int = SCHEMA_VERSION
    study: StudyInfo = field(default_factory=StudyInfo)
    provenance: Provenance = field(default_factory=Provenance)
    config: ConfigBlock = field(default_factory=ConfigBlock)
    outcomes: tuple[OutcomeInfo, ...] = ()
    categories_labels: dict = field(default_factory=dict)
    data_report: DataReportBlock = field(default_factory=DataReportBlock)
    target_group: TargetGroupBlock = field(default_factory=TargetGroupBlock)
    process: tuple[ProcessEffectRow, ...] = ()  # effects on the process measures (with CIs and group means)
    design: DesignBlock = field(default_factory=DesignBlock)
    balance: BalanceBlock = field(default_factory=BalanceBlock)
    propensity: PropensityHistogram | None = None
    effects: tuple[EffectRow, ...] = ()
    subgroups: tuple[SubgroupRow, ...] = ()
    subgroup_tests: tuple[SubgroupTest, ...] = ()
    trajectories: tuple[TrajectoryRow, ...] = ()
    time_to_event: tuple[TimeToEventBlock, ...] = ()
    simulation: dict | None = None
    warnings: tuple[str, ...] = ()
    sensitivity: SensitivityBlock | None = None
    area: AreaBlock | None = None  # the area-level analysis (``area_panel:``), None without one
    # issue 16: each null when its config section was not given (``process`` above holds the process effects)
    mapping: MappingBlock | None = None
    journeys: JourneysBlock | None = None
    case_duration: CaseDurationBlock | None = None
    cost: CostBlock | None = None
    comparison_designs: ComparisonDesignsBlock | None = None  # issue 15; null without `comparison_designs:`
    _nested = {"comparison_designs": ComparisonDesignsBlock, "sensitivity": SensitivityBlock, "area": AreaBlock, "mapping": MappingBlock, "journeys": JourneysBlock,
               "case_duration": CaseDurationBlock, "cost": CostBlock, "study": StudyInfo, "provenance": Provenance,
               "config": ConfigBlock, "outcomes": OutcomeInfo,
               "data_report": DataReportBlock, "target_group": TargetGroupBlock, "process": ProcessEffectRow,
               "design": DesignBlock, "balance": BalanceBlock, "propensity": PropensityHistogram,
               "effects": EffectRow, "subgroups": SubgroupRow, "subgroup_tests": SubgroupTest,
               "trajectories": TrajectoryRow, "time_to_event": TimeToEventBlock}

    REQUIRED = ("schema_version", "study", "provenance", "config", "outcomes", "data_report", "target_group",
                "process", "design", "balance", "propensity", "effects", "subgroups", "subgroup_tests",
                "trajectories", "time_to_event", "warnings")

    def __repr__(self) -> str:
        n = self.design.n
        return (f"ResultsDocument(schema v{self.schema_version}, stage={self.study.stage!r}, "
                f"{len(self.effects)} effects, {len(self.subgroups)} subgroup rows, "
                f"n={n.treated_matched}/{n.control_matched} matched)")

    @classmethod
    def from_dict(cls, data: Any, path: str = "results") -> "ResultsDocument":
        """A parsed results.json (v2, or v1 upgraded); a :class:`DataError` names a missing block or a wrong version."""
        if not isinstance(data, dict):
            raise DataError(f"{path}: expected a results dict (parsed results.json); got {type(data).__name__}")
        missing = [k for k in cls.REQUIRED if k not in data]
        if missing:
            raise DataError(f"{path}: not a complete results dict (schema v{SCHEMA_VERSION}): missing "
                            f"{', '.join(map(repr, missing))}")
        if data["schema_version"] not in READABLE_VERSIONS:
            raise DataError(f"{path}: schema_version {SCHEMA_VERSION} (or 1) expected; got {data['schema_version']!r}")
        if data["schema_version"] == 1:
            data = upgrade_v1(data)
        return super().from_dict(data, path)  # type: ignore[return-value]

    def to_json(self) -> str:
        """The results.json text (deterministic bytes)."""
        return dumps_json(self.to_dict())

    @classmethod
    def read(cls, path: str | Path) -> "ResultsDocument":
        """Read a ``results.json``; a one-line :class:`DataError` if it is missing or not schema v1/v2."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable results.json ({exc.__class__.__name__})") from None
        if not isinstance(data, dict) or data.get("schema_version") not in READABLE_VERSIONS:
            raise DataError(f"{path}: not an evaltool results.json (schema_version {SCHEMA_VERSION} expected)")
        return cls.from_dict(data, str(path))

    def effect(self, outcome: str) -> EffectRow | None:
        """The main-effect row of ``outcome`` (None if it was not estimated)."""
        return next((e for e in self.effects if e.outcome == outcome), None)

    def outcome(self, name: str) -> OutcomeInfo | None:
        """The definition of outcome ``name`` (None if the document has no such outcome)."""
        return next((o for o in self.outcomes if o.name == name), None)

    def subgroup_test(self, outcome: str, variable: str) -> SubgroupTest | None:
        """The test of equal effects across the levels of ``variable`` for ``outcome`` (None if not run)."""
        return next((t for t in self.subgroup_tests if t.outcome == outcome and t.variable == variable), None)

def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 results dict in the version-2 shape (a new dict; ``data`` is not changed).

    v1 ``process`` rows (``indicator``, ``label``, group means and sizes, no uncertainty) become v2
    ``process`` rows with the effect fields null; the parts of v1 ``process_analyses`` become the
    top-level ``journeys``, ``case_duration`` and ``cost`` blocks, its ``effects`` follow the
    ``process`` rows.

    Examples
    --------
    >>> upgrade_v1({"schema_version": 1, "process": [], "process_analyses": None})
    {'schema_version': 2, 'process': []}
    """
    out = {k: v for k, v in data.items() if k != "process_analyses"}
    out["schema_version"] = 2
    pa = data.get("process_analyses") or {}
    out["process"] = list(data.get("process") or []) + list(pa.get("effects") or [])
    for key in ("journeys", "case_duration", "cost"):
        if pa.get(key) is not None:
            out[key] = pa[key]
    return out
