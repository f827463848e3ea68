"""Sizes of one group published by several blocks: no two may differ by 1 .. min_cell - 1 persons.

The treated and the comparison group are counted by the design (all, matched), the data report, the
target group, every main effect (persons with the outcome), every time-to-event block (``n``), the
Rosenbaum bounds (matched sets), every design of the specification curve, and the process blocks
(process effects, case duration, the journeys' state distribution by week). These are nested
populations (all ⊇ matched ⊇ with the outcome; a wider caliper ⊇ a narrower one), so the difference of
two of them counts persons: the specification with no caliper matching 51 treated beside a main design
matching 50 says that the caliper dropped 1 person.

:func:`control_sizes` walks the published sizes of each side in a fixed order — the design and the
data report first (the sample flow is protected by ``evaltool.report.gate``), then the target group,
the main effects, time to event, the process blocks, Rosenbaum and the specifications — and hides a size (rule
``"secondary"``) when it differs by 1 .. min_cell - 1 from a size already kept. The sizes left
published then differ pairwise by 0 or at least min_cell. Only the count is hidden: the statistic
beside it stays (it rests on at least min_cell persons, or was hidden by the primary rules).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaltool.results.schema import ResultsDocument

__all__ = ["control_sizes"]

_SIDES = (("treated", "n_treated"), ("control", "n_control"))


def control_sizes(c: Any, out: ResultsDocument) -> ResultsDocument:
    """``out`` with every size that differs from an earlier published size of its side by 1 .. m - 1 hidden."""
    n, dr, tg = out.design.n, out.data_report, out.target_group
    kept: dict[str, list[float]] = {"treated": [], "control": []}
    for side, values in (("treated", (n.treated_all, n.treated_matched, dr.n_treated, tg.n_treated)),
                         ("control", (n.control_all, n.control_matched, dr.n_control, tg.n_pool))):
        kept[side] += [v for v in values if v is not None]

    def clash(side: str, v: Any) -> bool:
        if v is None:
            return False
        if any(c.small(abs(v - k)) for k in kept[side]):
            return True
        kept[side].append(v)
        return False

    why = f"differs from another published size of the group by fewer than {c.m} persons"
    effects = []
    for e in out.effects:
        if e.subgroup is None:
            for side, f in _SIDES:
                if clash(side, getattr(e, f)):
                    e = c.hide(e, [f], "secondary", "effects", e.outcome, f"{f} {why}", column=f)
        effects.append(e)
    tte = []
    for t in out.time_to_event:
        sizes = dict(t.n or {})
        for side in ("treated", "control"):
            if clash(side, sizes.get(side)):
                sizes[side] = None
                t = c.hide(t, [f"n.{side}"], "secondary", "time_to_event", t.outcome, f"n[{side}] {why}",
                           column=f"n.{side}")
        tte.append(replace(t, n=sizes) if t.n is not None else t)
    out = replace(out, effects=tuple(effects), time_to_event=tuple(tte))
    out = _process(c, out, clash, why)
    s = out.sensitivity
    if s is None:
        return out
    ros = tuple(c.hide(r, ["n_sets"], "secondary", "sensitivity.rosenbaum", r.outcome, f"n_sets {why}",
                       column="n_sets") if clash("treated", r.n_sets) else r for r in s.rosenbaum)
    curve = []
    for r in s.specification_curve:
        for side, f in _SIDES:
            if clash(side, getattr(r, f)):
                r = c.hide(r, [f], "secondary", "sensitivity.specification_curve", f"{r.outcome}: spec {r.spec}",
                           f"{f} {why}", column=f)
        curve.append(r)
    return replace(out, sensitivity=replace(s, rosenbaum=ros, specification_curve=tuple(curve)))


def _process(c: Any, doc: Any, clash: Any, why: str) -> Any:
    """Process effects, case duration and the journeys' state distribution publish the group sizes too."""
    effects = []
    for e in doc.process:
        if e.subgroup is None:
            for side, f in _SIDES:
                if clash(side, getattr(e, f)):
                    e = c.hide(e, [f], "secondary", "process_effects", e.indicator, f"{f} {why}", column=f)
        effects.append(e)
    cd = doc.case_duration
    if cd is not None:
        analyses = []
        for a in cd.analyses:
            for side, f in _SIDES:
                if clash(side, getattr(a, f)):
                    a = c.hide(a, [f], "secondary", "case_duration", a.outcome, f"{f} {why}", column=f)
            analyses.append(a)
        cd = replace(cd, analyses=tuple(analyses))
    jr = doc.journeys
    if jr is not None:
        dist = []
        for d in jr.distribution:
            side = {"treated": "treated", "comparison": "control"}.get(d.group)
            if side is not None and clash(side, d.n):
                d = c.hide(d, ["n"], "secondary", "journeys.distribution", f"{d.group} week {d.week}: {d.state}",
                           f"n {why}", column="n")
            dist.append(d)
        jr = replace(jr, distribution=tuple(dist))
    return replace(doc, process=tuple(effects), case_duration=cd, journeys=jr)
