"""Differencing a midterm and a final evaluation: counts published by both, on nested cohorts.

The midterm cohort (persons who started by the midterm's data cut) is a subset of the final cohort, and
the final report quotes the midterm's numbers. A count published by both for the same cell — a
target-group level, a dropped-rows reason, the sample flow, an effect's or a subgroup level's n — differs
by the persons who joined (or left the cell) between the two; a difference of 1 .. min_cell - 1 is a count
of persons, even when each document alone is safe. Derived cells too: ``all - matched`` of each side, and
the union of a variable's hidden target-group levels (the total minus the shown levels, in both).

Two more routes (issue 12):

* **(a) group sizes**: every size of the treated / comparison group the final publishes (design, data report,
  target group, effects, time to event, process, Rosenbaum, specifications, comparison designs, sums of
  subgroup levels: :func:`attacker_cross.published_sizes`) against every size of that side the midterm
  publishes — e.g. 53 matched treated in the final beside 50 in the midterm;
* **(b) subgroup levels' union**: the final's hidden levels of a variable hold its main effect's n minus the
  shown levels; the midterm's same levels hold their shown counts, or its main effect's n minus its other levels.
"""

from __future__ import annotations

from typing import Any

from attacker_cross import attack_risk_sets, published_sizes
from evaltool.results.schema import ResultsDocument

__all__ = ["paired_counts", "attack_followup", "attack_sizes_followup", "attack_subgroup_unions"]


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
    attack_sizes_followup(midterm, final, a, label)
    attack_subgroup_unions(midterm, final, a, label)


def attack_sizes_followup(midterm: ResultsDocument, final: ResultsDocument, a: Any, label: str) -> None:
    """(a) Every size of one side the final publishes against every size of that side the midterm publishes."""
    mid, fin = published_sizes(midterm), published_sizes(final)
    for doc, sizes in ((midterm, mid), (final, fin)):  # the effective sample size: the matched count if weights are 1
        for side in ("treated", "control"):
            ess = getattr(doc.design.n, f"ess_{side}")
            sizes[side].append((f"design ess_{side}", ess)) if ess is not None else None
    for side in ("treated", "control"):
        seen = set()
        for fw, fv in fin[side]:
            for mw, mv in mid[side]:
                if (fv, mv) not in seen and 0 < abs(fv - mv) < a.m:
                    seen.add((fv, mv))
                    a.check(abs(fv - mv), f"{label}: {side} sizes (final {fw} {fv:g} - midterm {mw} {mv:g})")
    attack_risk_sets(final, mid, a, f"{label}: final vs midterm sizes")


def attack_subgroup_unions(midterm: ResultsDocument, final: ResultsDocument, a: Any, label: str) -> None:
    """(b) The final's hidden subgroup levels' union (main effect's n minus the shown levels) against the midterm's."""
    for (outcome, var) in dict.fromkeys((s.outcome, s.variable) for s in final.subgroups):
        f_rows = [s for s in final.subgroups if (s.outcome, s.variable) == (outcome, var)]
        m_rows = {s.level: s for s in midterm.subgroups if (s.outcome, s.variable) == (outcome, var)}
        f_main, m_main = final.effect(outcome), midterm.effect(outcome)
        for col in ("n_treated", "n_control"):
            hidden = [s.level for s in f_rows if getattr(s, col) is None]
            shown = [s for s in f_rows if getattr(s, col) is not None]
            f_total = getattr(f_main, col) if f_main is not None else None
            if not hidden or f_total is None:
                continue
            f_union = f_total - sum(getattr(s, col) for s in shown)
            m_val = {lv: getattr(m_rows[lv], col) if lv in m_rows else None for lv in (s.level for s in f_rows)}
            m_total = getattr(m_main, col) if m_main is not None else None
            if all(m_val[lv] is not None for lv in hidden):
                m_union = sum(m_val[lv] for lv in hidden)
            elif m_total is not None and all(m_val[s.level] is not None for s in shown):
                m_union = m_total - sum(m_val[s.level] for s in shown)
            else:
                continue
            a.check(abs(f_union - m_union), f"{label}: subgroups {outcome}/{var} {col}: hidden levels' union")
