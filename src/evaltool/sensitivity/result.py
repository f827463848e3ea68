"""``SensitivityResult``: every sensitivity analysis of one study, as tidy blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaltool._result import ResultMixin, frame_records, jsonable

__all__ = ["SensitivityResult", "BLOCK_COLUMNS"]

BLOCK_COLUMNS: dict[str, tuple[str, ...]] = {
    "rosenbaum": ("outcome", "method", "direction", "n_sets", "gamma_critical", "gamma_grid", "p_upper",
                  "hl_interval"),
    "evalue": ("outcome", "scale", "rr", "rr_low", "rr_high", "evalue", "evalue_ci"),
    "placebo": ("outcome", "kind", "estimate", "std_error", "ci_low", "ci_high", "p_value", "unit"),
    "cluster": ("outcome", "se_type", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_clusters",
                "n_treated_clusters", "headline"),
    "specification_curve": ("spec_id", "caliper", "ratio", "replace", "exact", "regression", "outcome",
                            "estimate", "std_error", "ci_low", "ci_high", "n_treated", "n_control", "error", "design"),
    "specification_summary": ("outcome", "n_specs", "n_estimable", "headline", "share_same_sign",
                              "share_significant", "share_significant_same_sign", "min", "median", "max"),
}


def _empty(block: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BLOCK_COLUMNS[block]})


@dataclass(frozen=True, eq=False)
class SensitivityResult(ResultMixin):
    """Results of :func:`evaltool.sensitivity.run_sensitivity`.

    Attributes
    ----------
    rosenbaum, evalue, placebo, cluster, specification_curve, specification_summary : DataFrame
        One block per analysis (columns :data:`BLOCK_COLUMNS`); empty when not run.
    headline_interval : dict
        Per outcome the ``se_type`` of the headline interval and why (cluster analysis).
    spec : dict
        The :class:`SensitivitySpec` that was run (JSON-safe).
    seed : int
    notes : tuple of str
        Analyses that were asked for but could not be run, and why.
    """

    rosenbaum: pd.DataFrame = field(default_factory=lambda: _empty("rosenbaum"))
    evalue: pd.DataFrame = field(default_factory=lambda: _empty("evalue"))
    placebo: pd.DataFrame = field(default_factory=lambda: _empty("placebo"))
    cluster: pd.DataFrame = field(default_factory=lambda: _empty("cluster"))
    specification_curve: pd.DataFrame = field(default_factory=lambda: _empty("specification_curve"))
    specification_summary: pd.DataFrame = field(default_factory=lambda: _empty("specification_summary"))
    headline_interval: dict[str, dict[str, str]] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    notes: tuple[str, ...] = ()

    _title = "Sensitivity analyses"

    def block(self, name: str) -> pd.DataFrame:
        frame = getattr(self, name)
        return frame.loc[:, list(BLOCK_COLUMNS[name])] if len(frame) else _empty(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per analysis x outcome with its key figure (critical Gamma, E-value, estimate...)."""
        rows: list[dict[str, Any]] = []
        for r in self.block("rosenbaum").itertuples(index=False):
            rows.append({"analysis": "rosenbaum", "outcome": r.outcome, "detail": r.method,
                         "value": r.gamma_critical, "low": None, "high": None})
        for r in self.block("evalue").itertuples(index=False):
            rows.append({"analysis": "evalue", "outcome": r.outcome, "detail": r.scale, "value": r.evalue,
                         "low": r.evalue_ci, "high": None})
        for r in self.block("placebo").itertuples(index=False):
            rows.append({"analysis": "placebo", "outcome": r.outcome, "detail": r.kind, "value": r.estimate,
                         "low": r.ci_low, "high": r.ci_high})
        for r in self.block("cluster").itertuples(index=False):
            rows.append({"analysis": "cluster", "outcome": r.outcome,
                         "detail": r.se_type + (" (headline)" if r.headline else ""),
                         "value": r.estimate, "low": r.ci_low, "high": r.ci_high})
        for r in self.block("specification_summary").itertuples(index=False):
            rows.append({"analysis": "specification_curve", "outcome": r.outcome,
                         "detail": f"{r.n_estimable}/{r.n_specs} specs; share same sign",
                         "value": r.share_same_sign, "low": r.min, "high": r.max})
        return pd.DataFrame(rows, columns=["analysis", "outcome", "detail", "value", "low", "high"])

    def to_dict(self) -> dict[str, Any]:
        """The ``sensitivity`` block of results.json (JSON-safe, stable key and row order)."""
        return {
            "rosenbaum": frame_records(self.block("rosenbaum")),
            "evalue": frame_records(self.block("evalue")),
            "placebo": frame_records(self.block("placebo")),
            "cluster": frame_records(self.block("cluster")),
            "headline_interval": jsonable(self.headline_interval),
            "specification_curve": frame_records(self.block("specification_curve")),
            "specification_summary": frame_records(self.block("specification_summary")),
            "spec": jsonable(self.spec),
            "seed": self.seed,
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        parts = [f"{name}={len(getattr(self, name))}" for name in
                 ("rosenbaum", "evalue", "placebo", "cluster", "specification_curve")]
        gam = [f"{r.outcome}: {r.gamma_critical:.2f}" for r in self.rosenbaum.itertuples(index=False)
               if r.gamma_critical is not None][:3] if len(self.rosenbaum) else []
        return f"SensitivityResult({', '.join(parts)}; critical gamma {', '.join(gam) or '-'})"
