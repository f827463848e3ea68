"""Records of the process blocks of ``results.json`` (schema v2): ``mapping``, ``journeys``,
``case_duration``, ``process`` (effect rows) and ``cost``, top-level blocks written by ``evaltool run``
(``mapping`` also as the one block of the ``evaltool map`` document).

Counts are written as computed; disclosure control (:mod:`evaltool.report.process_disclosure`)
returns a controlled copy with suppressed counts set to ``None`` and marked in ``_suppressed``.
Key order and meaning: ``docs/results-schema.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from evaltool.results._record import Record, _frozen

__all__ = ["TransitionTable", "PathwayRow", "TimeInStateRow", "ContrastRow", "DistributionRow", "JourneysBlock",
           "DurationSummaryRow", "DurationAnalysis", "CaseDurationBlock", "ProcessEffectRow", "CostRow",
           "CostBlock", "ProcessBlocks", "CountRow", "MappingBlock", "MappingDocument", "process_blocks",
           "mapping_block"]


@dataclass(frozen=True)
class TransitionTable(Record):
    """Head counts and (design-weighted) row shares, state at ``from_period`` -> ``to_period``."""

    group: str
    from_period: int
    to_period: int
    states: tuple = ()
    counts: tuple = ()  # rows of counts (a suppressed cell is null, marked "counts[i][j]")
    shares: tuple = ()


@dataclass(frozen=True)
class PathwayRow(Record):
    group: str
    pathway: str
    n: int | None = None
    share: float | None = None


@dataclass(frozen=True)
class TimeInStateRow(Record):
    group: str
    weeks: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ContrastRow(Record):
    from_state: str
    to_state: str
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_treated: float | None = None
    p_control: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class DistributionRow(Record):
    group: str
    week: int
    state: str
    share: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class JourneysBlock(Record):
    states: tuple = ()
    period: str = "quarter"
    transitions: tuple[TransitionTable, ...] = ()
    pathways: tuple[PathwayRow, ...] = ()
    time_in_state: tuple[TimeInStateRow, ...] = ()
    contrasts: tuple[ContrastRow, ...] = ()
    distribution: tuple[DistributionRow, ...] = ()
    _nested = {"transitions": TransitionTable, "pathways": PathwayRow, "time_in_state": TimeInStateRow,
               "contrasts": ContrastRow, "distribution": DistributionRow}


@dataclass(frozen=True)
class DurationSummaryRow(Record):
    outcome: str
    group: str
    median: float | None = None
    median_ci_low: float | None = None
    median_ci_high: float | None = None
    rmst: float | None = None
    rmst_ci_low: float | None = None
    rmst_ci_high: float | None = None


@dataclass(frozen=True)
class DurationAnalysis(Record):
    """One case-duration outcome (``exit`` or ``first_offer``)."""

    outcome: str
    n_treated: int | None = None
    n_control: int | None = None
    events_treated: int | None = None
    events_control: int | None = None
    median: tuple = ()
    restricted_mean: dict = field(default_factory=dict)
    by_week: tuple = ()
    cox: dict | None = None


@dataclass(frozen=True)
class CaseDurationBlock(Record):
    spec: dict = field(default_factory=dict)
    summary: tuple[DurationSummaryRow, ...] = ()
    analyses: tuple[DurationAnalysis, ...] = ()
    _nested = {"summary": DurationSummaryRow, "analyses": DurationAnalysis}


@dataclass(frozen=True)
class ProcessEffectRow(Record):
    """Effect of outreach on one process measure, with its group means (rates in percentage points).

    ``source`` is ``"column"`` for a person-level column of the config's ``process:`` list and
    ``"contacts"`` for a measure derived from the contact log (both may hold e.g. ``meetings_held``);
    ``label`` is ``{da, en}`` from the report catalogues."""

    indicator: str
    source: str | None = None
    label: Any = None
    subgroup: str | None = None
    level: str | None = None
    estimand: str | None = None
    method: str | None = None
    variance: str | None = None
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_value_adj: float | None = None
    mean_treated: float | None = None
    mean_control: float | None = None
    relative_change: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CostRow(Record):
    outcome: str
    effect: float | None = None
    effect_ci_low: float | None = None
    effect_ci_high: float | None = None
    additional_per_100: float | None = None
    cost_per_additional_estimate: float | None = None
    cost_per_additional_ci_low: float | None = None
    cost_per_additional_ci_high: float | None = None
    bounded: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class CostBlock(Record):
    currency: str = "DKK"
    cost_per_participant: float | None = None
    comparison_cost_per_participant: float | None = None
    extra_cost_per_participant: float | None = None
    method: str | None = None
    per_outcome: tuple[CostRow, ...] = ()
    _nested = {"per_outcome": CostRow}


@dataclass(frozen=True)
class ProcessBlocks:
    """The process stage's typed blocks, each ``None`` (``process``: empty) when its section was not given."""

    mapping: "MappingBlock | None" = None
    journeys: JourneysBlock | None = None
    case_duration: CaseDurationBlock | None = None
    process: tuple[ProcessEffectRow, ...] = ()
    cost: CostBlock | None = None


@dataclass(frozen=True)
class CountRow(Record):
    """One cell of a mapping table: the ``by`` levels in ``keys`` (column -> level), a head count and shares."""

    keys: dict = field(default_factory=dict)
    n: int | None = None
    share: float | None = None
    share_within: float | None = None


@dataclass(frozen=True)
class MappingBlock(Record):
    """The ``mapping`` block (``evaltool map``)."""

    reference_week: int
    by: tuple = ()
    min_cell: int = 5
    n_mapped: int | None = None
    crosstab: tuple[CountRow, ...] = ()
    margins: tuple[CountRow, ...] = ()  # one-way counts; keys has one column
    entitlement: tuple[CountRow, ...] = ()
    timeline: tuple[CountRow, ...] = ()
    starts: tuple[CountRow, ...] = ()
    _nested = {"crosstab": CountRow, "margins": CountRow, "entitlement": CountRow, "timeline": CountRow,
               "starts": CountRow}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _int(v: Any) -> int | None:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else int(v)


def _rec(cls: type, row: dict[str, Any], ints: tuple[str, ...] = ()) -> Any:
    names = {f for f in cls.__dataclass_fields__ if f != "suppressed"}
    kw = {k: _frozen(_clean(v)) for k, v in row.items() if k in names}
    kw.update({k: _int(kw.get(k)) for k in ints if k in kw})
    return cls(**kw)


def process_blocks(stage: dict[str, Any], labels: dict[str, dict[str, Any]] | None = None) -> ProcessBlocks:
    """The typed blocks from ``ProcessStageResult.to_dict()``; ``labels[source][indicator]`` is ``{da, en}``."""
    labels = labels or {}
    jr = cd = cost = None
    if "journeys" in stage:
        j = stage["journeys"]
        jr = JourneysBlock(
            states=tuple(j["states"]), period=j["period"],
            transitions=tuple(_rec(TransitionTable, t) for t in j["transitions"]),
            pathways=tuple(_rec(PathwayRow, p, ("n",)) for p in j["pathways"]),
            time_in_state=tuple(TimeInStateRow(group=r["group"], weeks=dict(r["weeks"])) for r in j["time_in_state"]),
            contrasts=tuple(_rec(ContrastRow, r, ("n_treated", "n_control")) for r in j["contrasts"]),
            distribution=tuple(_rec(DistributionRow, r, ("n",)) for r in j["distribution"]))
    if "case_duration" in stage:
        c = stage["case_duration"]
        cd = CaseDurationBlock(
            spec=_frozen(c["spec"]), summary=tuple(_rec(DurationSummaryRow, r) for r in c["summary"]),
            analyses=tuple(DurationAnalysis(
                outcome=name, n_treated=a["n"]["treated"], n_control=a["n"]["comparison"],
                events_treated=a["events"]["treated"], events_control=a["events"]["comparison"],
                median=_frozen(a["median"]), restricted_mean=_frozen(a["restricted_mean"]),
                by_week=_frozen(a["by_week"]), cox=_frozen(a["cox"])) for name, a in c["analyses"].items()))
    if "cost" in stage:
        c = stage["cost"]
        cost = CostBlock(**{k: c[k] for k in ("currency", "cost_per_participant", "comparison_cost_per_participant",
                                              "extra_cost_per_participant", "method")},
                         per_outcome=tuple(_rec(CostRow, r) for r in c["per_outcome"]))
    process = tuple(_rec(ProcessEffectRow, {**r, "label": _frozen(labels.get(r["source"], {}).get(r["indicator"]))},
                         ("n_treated", "n_control")) for r in stage.get("process", ()))
    mapping = mapping_block(stage["mapping"]) if "mapping" in stage else None
    return ProcessBlocks(mapping=mapping, journeys=jr, case_duration=cd, process=process, cost=cost)


@dataclass(frozen=True)
class MappingDocument(Record):
    """``results.json`` of ``evaltool map``: the study's title and seed and the ``mapping`` block."""

    schema_version: int = 1
    kind: str = "mapping"
    title: Any = None
    seed: int | None = None
    inputs: dict = field(default_factory=dict)
    mapping: MappingBlock | None = None
    _nested = {"mapping": MappingBlock}


def _count_rows(records: list[dict[str, Any]], keys: list[str], within: str | None = None) -> tuple:
    return tuple(CountRow(keys={k: str(r[k]) for k in keys}, n=_int(r["n"]), share=_clean(r.get("share")),
                          share_within=_clean(r.get(within)) if within else None) for r in records)


def mapping_block(m: dict[str, Any]) -> MappingBlock:
    """The typed block from ``MappingResult.to_dict()``."""
    by = list(m["by"])
    margins = tuple(row for col in by for row in _count_rows(m["margins"][col], [col]))
    ent = m["entitlement"] or []
    ent_keys = [k for k in (ent[0] if ent else {}) if k not in ("n", "below_min_cell")]
    tl = m["timeline"] or []
    return MappingBlock(reference_week=int(m["reference_week"]), by=tuple(by), min_cell=int(m["min_cell"]),
                        n_mapped=int(m["n_mapped"]),
                        crosstab=_count_rows(m["crosstab"], by, f"share_in_{by[0]}"), margins=margins,
                        entitlement=_count_rows(ent, ent_keys), timeline=_count_rows(tl, ["month"]),
                        starts=_count_rows(m["starts"], ["period"]))
