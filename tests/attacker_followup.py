"""Differencing a midterm and a final evaluation: counts published by both, on nested cohorts.

The midterm cohort (persons who started by the midterm's data cut) is a subset of the final cohort, and
the final report quotes the midterm's numbers. A count published by both for the same cell — a
target-group level, a dropped-rows reason, the sample flow, an effect's or a subgroup level's n — differs
by the persons who joined (or left the cell) between the two; a difference of 1 .. min_cell - 1 is a count
of persons, even when each document alone is safe. Derived cells too: ``all - matched`` of each side, and
the union of a variable's hidden target-group levels (the total minus the shown levels, in both).
"""

from __future__ import annotations

from typing import Any

from evaltool.results.schema import ResultsDocument

__all__ = ["paired_counts", "attack_followup"]


def paired_counts(doc: ResultsDocument) -> dict[str, Any]:
    """Every count a document publishes, keyed by the cell it counts (the same key in both documents)."""
    out: dict[str, Any] = {}
    n = doc.design.n
    for f in ("treated_all", "treated_matched", "treated_unmatched", "treated_discarded", "control_all",
              "control_matched", "control_unmatched", "control_discarded"):
        out[f"design {f}"] = getattr(n, f)
    dr = doc.data_report
    for f in ("n_read", "n_used", "n_treated", "n_control", "persons_without_panel", "pseudo_starts"):
        out[f"data_report {f}"] = getattr(dr, f)
    for d in dr.dropped:
        out[f"dropped {d.reason}"] = d.n
    tg = doc.target_group
    out["target_group n_treated"], out["target_group n_pool"] = tg.n_treated, tg.n_pool
    for r in tg.by:
        out[f"target_group {r.variable}={r.level} n_treated"] = r.n_treated
        out[f"target_group {r.variable}={r.level} n_pool"] = r.n_pool
    for e in doc.effects:
        out[f"effects {e.outcome} n_treated"], out[f"effects {e.outcome} n_control"] = e.n_treated, e.n_control
    for s in doc.subgroups:
        key = f"subgroups {s.outcome} {s.variable}={s.level}"
        out[f"{key} n_treated"], out[f"{key} n_control"] = s.n_treated, s.n_control
    return {k: v for k, v in out.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def attack_followup(midterm: ResultsDocument, final: ResultsDocument, a: Any, label: str = "midterm vs final"
                    ) -> None:
    """Every cell both documents publish whose counts differ by 1 .. min_cell - 1."""
    mid, fin = paired_counts(midterm), paired_counts(final)
    for key in sorted(mid.keys() & fin.keys()):
        a.check(abs(fin[key] - mid[key]), f"{label}: {key} ({fin[key]:g} - {mid[key]:g})")
    for side in ("treated", "control"):  # the persons left out of matching, from all and matched
        k1, k2 = f"design {side}_all", f"design {side}_matched"
        if all(k in d for d in (mid, fin) for k in (k1, k2)):
            a.check(abs((fin[k1] - fin[k2]) - (mid[k1] - mid[k2])), f"{label}: {side} all - matched")
    # the union of a variable's hidden target-group levels: the total minus the shown levels, in both
    for var in dict.fromkeys(r.variable for r in final.target_group.by):
        for col in ("n_treated", "n_pool"):
            f_rows = {r.level: getattr(r, col) for r in final.target_group.by if r.variable == var}
            m_rows = {r.level: getattr(r, col) for r in midterm.target_group.by if r.variable == var}
            hidden = {lv for lv, v in f_rows.items() if v is None}
            ft, mt = getattr(final.target_group, col), getattr(midterm.target_group, col)
            if not hidden or ft is None:
                continue
            f_union = ft - sum(v for v in f_rows.values() if v is not None)
            if all(m_rows.get(lv) is not None for lv in hidden):
                m_union = sum(m_rows[lv] for lv in hidden)
            elif mt is not None and all(m_rows.get(lv) is not None for lv in f_rows if lv not in hidden):
                m_union = mt - sum(m_rows[lv] for lv in f_rows if lv not in hidden)
            else:
                continue
            a.check(abs(f_union - m_union), f"{label}: target_group {var} {col}: hidden levels' union")
