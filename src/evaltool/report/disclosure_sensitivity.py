"""Disclosure control of the ``sensitivity`` block (called by :func:`evaltool.report.disclosure.apply_disclosure`).

Primary suppression only (rule ``"n"``, the statistic rests on fewer than ``min_cell`` persons):

* every analysis of an outcome whose main effect was suppressed (same persons);
* Rosenbaum bounds resting on fewer than ``min_cell`` matched sets;
* the pair-clustered row of the interval table when it has fewer than ``min_cell`` pairs
  (area rows count areas, not persons: their persons are the effect's);
* placebo estimates when fewer than ``min_cell`` treated or comparison persons were matched;
* a specification whose matched sample has fewer than ``min_cell`` treated or comparison persons
  (its counts, estimate and interval).

Not covered (no secondary suppression): two specifications whose treated counts differ by 1-4
reveal how many persons one design choice (e.g. a caliper) dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from evaltool.report.disclosure_protocol import register
from evaltool.results.schema import ResultsDocument
from evaltool.results.sensitivity import (ClusterRow, EValueRow, HeadlineInterval, PlaceboRow, RosenbaumRow,
                                          SensitivityBlock, SpecCurveRow, SpecSummaryRow)

__all__ = ["control_sensitivity", "STATS"]

STATS = {
    "rosenbaum": ("n_sets", "gamma_critical", "gamma_grid", "p_upper", "hl_interval"),
    "evalue": ("rr", "rr_low", "rr_high", "evalue", "evalue_ci"),
    "placebo": ("estimate", "std_error", "ci_low", "ci_high", "p_value"),
    "cluster": ("estimate", "std_error", "ci_low", "ci_high", "p_value", "n_clusters"),
    "specification_curve": ("estimate", "std_error", "ci_low", "ci_high", "n_treated", "n_control"),
    "specification_summary": ("headline", "share_same_sign", "share_significant", "share_significant_same_sign",
                              "min", "median", "max"),
}

Log = Callable[[str, str, str, str, str], None]

# The person counts of the sensitivity records, declared for the folder gate's generic pass (no name-based
# fallback). Not persons: ClusterRow.n_clusters / n_treated_clusters count housing areas, and
# SpecSummaryRow.n_specs / n_estimable count designs. Rosenbaum's matched sets are treated persons.
register(SpecCurveRow, counts=("n_treated", "n_control"))
register(RosenbaumRow, counts=("n_sets",))
for _cls in (ClusterRow, SpecSummaryRow, EValueRow, PlaceboRow, HeadlineInterval, SensitivityBlock):
    register(_cls)


def _hide(rec: Any, block: str, row: str, reason: str, log: Log) -> Any:
    values = {f: (() if isinstance(getattr(rec, f), tuple) and f != "hl_interval" else None) for f in STATS[block]}
    marks = dict(rec.suppressed)
    for f in STATS[block]:
        marks.setdefault(f, "n")
    log(f"sensitivity.{block}", row, "row", reason, "n")
    return replace(rec, **values, suppressed=marks)


def control_sensitivity(block: SensitivityBlock, controlled: ResultsDocument, min_cell: int,
                        log: Log) -> SensitivityBlock:
    """``block`` with the statistics resting on fewer than ``min_cell`` persons hidden (see module doc).

    ``controlled`` is the document whose effects and sample sizes are already controlled;
    ``log(table, row, column, reason, rule)`` records each decision.
    """
    small = lambda n: n is not None and 0 <= n < min_cell  # noqa: E731  (0 persons: nothing to show)
    gone = {e.outcome for e in controlled.effects if e.subgroup is None and e.suppressed}
    few = f"fewer than {min_cell} persons"
    n = controlled.design.n
    design_small = small(n.treated_matched) or small(n.control_matched)
    out: dict[str, tuple] = {}
    for name in STATS:
        rows = []
        for r in getattr(block, name):
            outcome = r.outcome or ""
            hide = outcome in gone
            if name == "rosenbaum":
                hide = hide or small(r.n_sets)
            elif name == "cluster":
                hide = hide or (r.se_type == "pair" and small(r.n_clusters))
            elif name == "placebo":
                hide = hide or design_small
            elif name == "specification_curve":
                hide = hide or small(r.n_treated) or small(r.n_control)
            label = f"{outcome}: {getattr(r, 'se_type', None) or getattr(r, 'kind', None) or getattr(r, 'spec', '')}"
            rows.append(_hide(r, name, label, f"statistic based on {few}", log) if hide else r)
        out[name] = tuple(rows)
    return replace(block, **out)
