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
the main effects, time to event, the process blocks, Rosenbaum, the specifications and the comparison designs
— and hides a size (rule ``"secondary"``) when it differs by 1 .. min_cell - 1 from a size already kept. The
sizes left published then differ pairwise by 0 or at least min_cell. Only the count is hidden: the statistic
beside it stays (it rests on at least min_cell persons, or was hidden by the primary rules).

The subgroup levels of one outcome and variable, when all are shown, add up to a size too (the persons with
the outcome): when that sum clashes with a kept size — or is the main effect's n this rule hid — the smallest
level is hidden (its n and its statistics), so the sum is gone.

With ``earlier`` (the sizes the published midterm shows, :func:`published_sizes`), a final's size that differs
by 1 .. min_cell - 1 from any of them is hidden as well (the midterm cohort is nested in the final's; see
:mod:`evaltool.report.disclosure_followup`, which hides the final's sample flow — all, matched — first).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import fields, replace
from typing import Any

from evaltool.results.schema import ResultsDocument

__all__ = ["control_sizes", "published_sizes", "SizeIndex"]

_SIDES = (("treated", "n_treated"), ("control", "n_control"))


_SUB_LABELS = ("variable", "outcome", "level", "estimand", "method", "variance", "unit", "suppressed")


def published_sizes(doc: ResultsDocument) -> dict[str, list[float]]:
    """Every size of the treated / comparison group ``doc`` publishes (the blocks :func:`control_sizes` walks,
    and the sums of subgroup levels shown whole)."""
    n, dr, tg = doc.design.n, doc.data_report, doc.target_group
    out: dict[str, list[Any]] = {"treated": [n.treated_all, n.treated_matched, dr.n_treated, tg.n_treated],
                                 "control": [n.control_all, n.control_matched, dr.n_control, tg.n_pool]}
    rows: list[Any] = [e for e in (*doc.effects, *doc.process) if e.subgroup is None]
    rows += list(doc.case_duration.analyses) if doc.case_duration is not None else []
    s = doc.sensitivity
    rows += list(s.specification_curve) if s is not None else []
    rows += list(doc.comparison_designs.rows) if doc.comparison_designs is not None else []
    for side, f in _SIDES:
        out[side] += [getattr(r, f) for r in rows]
        out[side] += [(t.n or {}).get(side) for t in doc.time_to_event]
        out[side] += [total for _key, total in _subgroup_sums(doc, f)]
    out["treated"] += [r.n_sets for r in s.rosenbaum] if s is not None else []
    for side, rows in _head_counts(doc).items():  # the size at the start of a curve / of the trajectories
        out[side] += rows
    for d in doc.journeys.distribution if doc.journeys is not None else ():
        side = {"treated": "treated", "comparison": "control"}.get(d.group)
        if side is not None:
            out[side].append(d.n)
    return {side: [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
            for side, vals in out.items()}


def _subgroup_sums(doc: ResultsDocument, col: str) -> list[tuple[tuple, float]]:
    """``[((outcome, variable), sum of the levels' col)]`` for each subgroup variable whose levels are all shown."""
    groups: dict[tuple, list[Any]] = {}
    for s in doc.subgroups:
        groups.setdefault((s.outcome, s.variable), []).append(getattr(s, col))
    return [(k, sum(v)) for k, v in groups.items() if v and None not in v]


def control_sizes(c: Any, out: ResultsDocument, earlier: dict[str, list[float]] | None = None) -> ResultsDocument:
    """``out`` with every size that differs from an earlier published size of its side (or, with ``earlier``,
    from a size the published midterm shows) by 1 .. m - 1 hidden."""
    n, dr, tg = out.design.n, out.data_report, out.target_group
    fixed = earlier or {"treated": [], "control": []}
    # the sizes kept so far and the midterm's, per side (a size is checked against both)
    kept = {side: SizeIndex(c, [v for v in (*values, *fixed[side]) if v is not None])
            for side, values in (("treated", (n.treated_all, n.treated_matched, dr.n_treated, tg.n_treated)),
                                 ("control", (n.control_all, n.control_matched, dr.n_control, tg.n_pool)))}

    def clash(side: str, v: Any) -> bool:
        if v is None:
            return False
        if kept[side].near(v):
            return True
        kept[side].add(v)
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
    if s is not None:
        out = _sensitivity(c, out, clash, why)
    cd = out.comparison_designs
    if cd is not None:
        rows = []
        for r in cd.rows:
            for side, f in _SIDES:
                if clash(side, getattr(r, f)):
                    r = c.hide(r, [f], "secondary", "comparison_designs", f"{r.design}: {r.outcome}", f"{f} {why}",
                               column=f)
            rows.append(r)
        out = replace(out, comparison_designs=replace(cd, rows=tuple(rows)))
    out = _subgroups(c, out, clash, why)
    return _risk_sets(c, out, lambda side, v: v is not None and kept[side].near(v), why)


class SizeIndex:
    """The distinct sizes of one side, sorted: :meth:`near` is ``any(c.small(abs(v - k)) for k in sizes)``.

    It evaluates ``c.small`` only on the sizes within ``c.m + 1`` of ``v`` (``small`` is true only below
    ``c.m``; the extra 1, and 1e-9 of ``|v|``, cover rounding in ``v - k``), so the answer is the same
    as the scan over every size, in time logarithmic in their number: the Kaplan–Meier points and
    trajectory rows (thousands at 1M persons) are each checked against every kept size. A size kept
    twice counts once and NaN sizes are left out (``abs(v - nan)`` is never small): neither changes
    the answer.
    """

    def __init__(self, c: Any, values: list[Any]) -> None:
        self.c = c
        self.sizes: list[Any] = []
        for v in values:
            self.add(v)

    def add(self, v: Any) -> None:
        i = bisect_left(self.sizes, v)
        if v == v and (i == len(self.sizes) or self.sizes[i] != v):
            self.sizes.insert(i, v)

    def near(self, v: Any) -> bool:
        """Whether ``v`` differs from one of the sizes by more than 0 and less than ``c.m``."""
        pad = self.c.m + 1 + abs(v) * 1e-9
        lo, hi = bisect_left(self.sizes, v - pad), bisect_right(self.sizes, v + pad)
        return any(self.c.small(abs(v - k)) for k in self.sizes[lo:hi])


def _head_counts(doc: ResultsDocument) -> dict[str, list[Any]]:
    """The persons at risk at a Kaplan–Meier curve's first point, and the trajectories' n at their first week: the
    group's size (before anyone had an event or left follow-up)."""
    out: dict[str, list[Any]] = {"treated": [], "control": []}
    for t in doc.time_to_event:
        first: dict[str, Any] = {}
        for p in t.km:
            first.setdefault(p.group, p.at_risk)
        for group, v in first.items():
            if _SIDE.get(group, group) in out:
                out[_SIDE.get(group, group)].append(v)
    weeks: dict[str, tuple] = {}
    for r in doc.trajectories:
        if r.group not in weeks or r.week < weeks[r.group][0]:
            weeks[r.group] = (r.week, r.n)
    for group, (_week, n) in weeks.items():
        if _SIDE.get(group, group) in out:
            out[_SIDE.get(group, group)].append(n)
    return out


_SIDE = {"comparison": "control"}
_KM_FIELDS = ["survival", "at_risk", "events", "std_error", "n_at_risk"]


def _risk_sets(c: Any, out: ResultsDocument, near: Any, why: str) -> ResultsDocument:
    """Kaplan–Meier points and trajectory rows that carry a group size near a published one (or a hidden one: the
    persons at risk before the first event are the group's n): the KM point is hidden whole (its survival
    ``1 - d / n`` would give the n back), the trajectory row's n."""
    tte = []
    for t in out.time_to_event:
        points = []
        for p in t.km:
            side = _SIDE.get(p.group, p.group)
            if side in ("treated", "control") and (near(side, p.at_risk) or near(side, p.n_at_risk)):
                p = c.hide(p, _KM_FIELDS, "secondary", "time_to_event", f"{t.outcome}: {p.group} week {p.week:g}",
                           f"persons at risk {why}", column="at_risk")
            points.append(p)
        tte.append(replace(t, km=tuple(points)))
    traj = []
    for r in out.trajectories:
        side = _SIDE.get(r.group, r.group)
        if side in ("treated", "control") and near(side, r.n):
            r = c.hide(r, ["n"], "secondary", "trajectories", f"{r.group} week {r.week}: {r.category}", f"n {why}",
                       column="n")
        traj.append(r)
    return _histogram(c, replace(out, time_to_event=tuple(tte), trajectories=tuple(traj)), near, why)


def _histogram(c: Any, out: ResultsDocument, near: Any, why: str) -> ResultsDocument:
    """A propensity series whose bins are all shown adds up to a group size: when that sum lies near a published
    size, or the design's count of that series is hidden, its smallest bins are hidden (at least two, holding
    at least min_cell persons)."""
    ps = out.propensity
    if ps is None:
        return out
    n = out.design.n
    marks, series_out = dict(ps.suppressed), {}
    for series, side, count in (("treated", "treated", "treated_all"), ("control_all", "control", "control_all"),
                                ("control_matched", "control", "control_matched")):
        bins = list(getattr(ps, series))
        if not bins or None in bins or not (near(side, sum(bins)) or (getattr(n, count) is None
                                                                      and count in n.suppressed)):
            continue
        first = min(range(len(bins)), key=lambda i: (bins[i] == 0, bins[i], i))
        for i in sorted({first} | c.complement(bins, {first})):
            bins[i] = None
            marks[f"{series}.{i}"] = "secondary"
            c.log("propensity", f"{series} bin {i}", "count", f"the bins add up to a hidden size, or one that {why}",
                  "secondary")
        series_out[series] = tuple(bins)
    return replace(out, propensity=replace(ps, **series_out, suppressed=marks)) if series_out else out


def _subgroups(c: Any, out: ResultsDocument, clash: Any, why: str) -> ResultsDocument:
    """Subgroup levels shown whole add up to a size: when the sum clashes, or is a hidden n, the smallest levels
    are hidden (at least two, holding at least min_cell persons: the main effect's n minus the rest is theirs)."""
    subs = list(out.subgroups)
    main = {e.outcome: e for e in out.effects if e.subgroup is None}
    for side, f in _SIDES:
        for (outcome, variable), total in _subgroup_sums(replace(out, subgroups=tuple(subs)), f):
            e = main.get(outcome)
            hid = e is not None and getattr(e, f) is None and f in e.suppressed
            if not hid and not clash(side, total):
                continue
            idx = [i for i, r in enumerate(subs) if (r.outcome, r.variable) == (outcome, variable)]
            vals = [getattr(subs[i], f) for i in idx]
            first = min(range(len(idx)), key=lambda j: (vals[j], j))
            for i in sorted(idx[j] for j in {first} | c.complement(vals, {first})):
                    subs[i] = c.hide(subs[i], [x.name for x in fields(subs[i]) if x.name not in _SUB_LABELS],
                                 "secondary", "subgroups", f"{outcome}: {variable}={subs[i].level}",
                                 f"the levels add up to a hidden size, or one that {why}", column="row")
    return replace(out, subgroups=tuple(subs))


def _sensitivity(c: Any, out: ResultsDocument, clash: Any, why: str) -> ResultsDocument:
    s = out.sensitivity
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
