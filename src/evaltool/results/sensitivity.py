"""Records of the ``sensitivity`` block of ``results.json`` (written from
:meth:`evaltool.sensitivity.SensitivityResult.to_dict`; keys as its ``BLOCK_COLUMNS``).

Part of the typed results document (:mod:`evaltool.results.schema`); ``spec`` is read back into
the :class:`~evaltool.specs.sensitivity.SensitivitySpec` that ran. Effects, intervals and
placebo estimates are in the unit of the outcome's effect (percentage points for binary outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evaltool.results._record import Record, read_spec
from evaltool.specs.sensitivity import SensitivitySpec

__all__ = ["RosenbaumRow", "EValueRow", "PlaceboRow", "ClusterRow", "HeadlineInterval", "SpecCurveRow",
           "SpecSummaryRow", "SensitivityBlock"]


@dataclass(frozen=True)
class RosenbaumRow(Record):
    """Rosenbaum bounds of one outcome: the largest hidden bias Gamma the effect survives."""

    outcome: str
    method: str | None = None
    direction: str | None = None
    n_sets: int | None = None
    gamma_critical: float | None = None
    gamma_grid: tuple = ()
    p_upper: tuple = ()
    hl_interval: tuple | None = None


@dataclass(frozen=True)
class EValueRow(Record):
    outcome: str
    scale: str | None = None
    rr: float | None = None
    rr_low: float | None = None
    rr_high: float | None = None
    evalue: float | None = None
    evalue_ci: float | None = None


@dataclass(frozen=True)
class PlaceboRow(Record):
    outcome: str
    kind: str
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ClusterRow(Record):
    """One interval of one outcome by inference method (``pair`` is the effect's own)."""

    outcome: str
    se_type: str
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_clusters: int | None = None
    n_treated_clusters: int | None = None
    headline: bool = False


@dataclass(frozen=True)
class HeadlineInterval(Record):
    se_type: str
    reason: str | None = None


@dataclass(frozen=True)
class SpecCurveRow(Record):
    """One design of the specification curve (``spec`` numbers the designs; ``spec_id`` in the stage's frame)."""

    spec: int
    caliper: float | None = None
    ratio: int | None = None
    replace: bool | None = None
    exact: str | None = None
    regression: bool | None = None
    outcome: str | None = None
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    error: str | None = None
    design: str | None = None  # a comparison design's name (``comparison_designs:``); None on grid points


@dataclass(frozen=True)
class SpecSummaryRow(Record):
    outcome: str
    n_specs: int | None = None
    n_estimable: int | None = None
    headline: float | None = None
    share_same_sign: float | None = None
    share_significant: float | None = None
    share_significant_same_sign: float | None = None
    min: float | None = None
    median: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class SensitivityBlock(Record):
    """The whole ``sensitivity`` block; ``headline_interval`` maps outcome -> :class:`HeadlineInterval`."""

    rosenbaum: tuple[RosenbaumRow, ...] = ()
    evalue: tuple[EValueRow, ...] = ()
    placebo: tuple[PlaceboRow, ...] = ()
    cluster: tuple[ClusterRow, ...] = ()
    headline_interval: dict = field(default_factory=dict)
    specification_curve: tuple[SpecCurveRow, ...] = ()
    specification_summary: tuple[SpecSummaryRow, ...] = ()
    spec: SensitivitySpec = field(default_factory=SensitivitySpec)  # the spec that ran
    seed: int | None = None
    notes: tuple[str, ...] = ()
    _nested = {"rosenbaum": RosenbaumRow, "evalue": EValueRow, "placebo": PlaceboRow, "cluster": ClusterRow,
               "specification_curve": SpecCurveRow, "specification_summary": SpecSummaryRow}

    @classmethod
    def from_result(cls, data: dict) -> "SensitivityBlock":
        """The block of :meth:`evaltool.sensitivity.SensitivityResult.to_dict` (``spec_id`` -> ``spec``)."""
        curve = [{("spec" if k == "spec_id" else k): v for k, v in r.items()} for r in data["specification_curve"]]
        cluster = [{**r, "n_treated_clusters": None if r["n_treated_clusters"] is None else int(r["n_treated_clusters"])}
                   for r in data["cluster"]]  # a count, though its frame column is float (None on pair rows)
        return cls.from_dict({**data, "specification_curve": curve, "cluster": cluster}, "sensitivity")

    @classmethod
    def from_dict(cls, data, path: str = "sensitivity") -> "SensitivityBlock":
        if isinstance(data, dict) and isinstance(data.get("spec"), dict):
            data = {**data, "spec": read_spec(SensitivitySpec, data["spec"], f"{path}.spec")}
        block = super().from_dict(data, path)
        heads = {k: v if isinstance(v, HeadlineInterval) else HeadlineInterval.from_dict(v, f"{path}.headline_interval.{k}")
                 for k, v in block.headline_interval.items()}
        return type(block)(**{f.name: getattr(block, f.name) for f in cls._fields()} | {"headline_interval": heads},
                           suppressed=dict(block.suppressed))

    def headline_for(self, outcome: str) -> ClusterRow | None:
        """The headline interval row of ``outcome`` (None without area clustering)."""
        return next((r for r in self.cluster if r.outcome == outcome and r.headline), None)
