"""Disclosure control of the process blocks of ``results.json``: ``mapping``, ``journeys``,
``case_duration`` and ``process`` (effect rows); ``cost`` holds no person counts.

Primary: every head count of 1..min_cell-1 persons is suppressed, with every share that implies it (also a
journeys contrast's transition probability x the person-periods of its starting state, and case-duration
by-week shares x the group's n).
Secondary: published counts are tied by linear equations (a crosstab cell and its one-way margins; the
one-way margins and the total; a transition matrix's rows and columns and the state counts at each
period start; a subgroup's transition cells and the group's cell). :func:`protect` hides further cells
until no equation has exactly one hidden cell and the hidden cells of each equation add up to at least
min_cell while non-zero cells are left to hide (smallest first), so no suppressed cell is recovered by
differencing. Not
covered: interval (linear-programming) attacks that bound a hidden cell by several equations at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaltool.report.disclosure_protocol import register
from evaltool.results.process import (CaseDurationBlock, ContrastRow, CostBlock, CostRow, CountRow, DistributionRow,
                                      DurationAnalysis, DurationSummaryRow, JourneysBlock, MappingBlock,
                                      MappingDocument, PathwayRow, ProcessEffectRow,
                                      TimeInStateRow, TransitionTable)

__all__ = ["protect", "control_process", "control_mapping"]

# -- the person counts of every process record, declared (evaltool.report.disclosure_protocol) -------------------
# so that the folder gate's generic pass applies them as typed declarations, never by the name-based fallback.
# The breakdowns (transition matrices, mapping margins) are protected by the functions below; a record with
# no person count registers empty, to say so.
_STATS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")
register(PathwayRow, counts=("n",))  # its share is n over the group's persons (a published n)
register(DistributionRow, counts=("n",), shares={"share": "n"})
register(ContrastRow, counts=("n_treated", "n_control"),
         stats={**{f: "n_treated" for f in _STATS}, "p_treated": "n_treated", "p_control": "n_control"})
register(DurationAnalysis, counts=("n_treated", "n_control", "events_treated", "events_control"))
register(ProcessEffectRow, counts=("n_treated", "n_control"),
         stats={**{f: "n_treated" for f in (*_STATS, "p_value_adj", "mean_treated", "relative_change")},
                "mean_control": "n_control"})
register(CountRow, counts=("n",))  # shares are n over published totals (n_mapped, a margin)
register(MappingBlock, counts=("n_mapped",))
for _cls in (TransitionTable,  # counts: a matrix, protected by _journeys below
             TimeInStateRow, JourneysBlock, DurationSummaryRow, CaseDurationBlock, CostRow, CostBlock,
             MappingDocument):
    register(_cls)

# ``c`` below is the disclosure controller of :mod:`evaltool.report.disclosure_control` (``small``, ``hide``,
# ``log``, ``group_stats``, ``effect_rows``, ``m``); it is passed in.


def protect(values: list[int], groups: list[list[int]], min_cell: int, fixed: frozenset[int] = frozenset()
            ) -> tuple[set[int], set[int]]:
    """Cells to hide: ``(primary, secondary)`` index sets.

    ``values`` are counts; each group lists the cells of one published equation (a total that is
    published elsewhere need not be a member). ``fixed`` cells are never chosen as complements.

    Examples
    --------
    >>> protect([3, 10, 12, 20], [[0, 1, 2]], 5)
    ({0}, {1})
    """
    primary = {i for i, v in enumerate(values) if 0 < v < min_cell}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for g in groups:
            h = [i for i in g if i in hidden]
            if not h:
                continue
            rest = [i for i in g if i not in hidden and i not in fixed]
            nonzero = [i for i in rest if values[i] > 0]
            if len(h) >= 2 and (sum(values[i] for i in h) >= min_cell or not nonzero):
                continue  # two or more unknowns: none is recovered (a hidden zero is not known to be zero)
            if not rest:
                continue
            pick = min(nonzero or rest, key=lambda i: (values[i], i))
            hidden.add(pick)
            changed = True
    return primary, hidden - primary


# -- mapping ---------------------------------------------------------------------------------------------------------

def control_mapping(c: Any, block: MappingBlock) -> MappingBlock:
    """Primary and secondary suppression of the mapping tables (crosstab, margins, entitlement, timeline, starts)."""
    if c.small(block.n_mapped):
        block = c.hide(block, ["n_mapped"], "count", "mapping", "total", f"count below {c.m}")
    tables = {name: list(getattr(block, name)) for name in ("crosstab", "margins", "entitlement", "timeline", "starts")}
    cells = [(name, i) for name, rows in tables.items() for i in range(len(rows))]
    pos = {cell: k for k, cell in enumerate(cells)}
    values = [int(tables[t][i].n or 0) for t, i in cells]
    groups: list[list[int]] = []

    def by_key(table: str, cols: list[str]) -> dict[tuple, list[int]]:
        out: dict[tuple, list[int]] = {}
        for i, r in enumerate(tables[table]):
            for col in cols:
                if col in r.keys:
                    out.setdefault((col, r.keys[col]), []).append(pos[(table, i)])
        return out

    margin_of = by_key("margins", list(block.by))
    for (col, level), idx in by_key("crosstab", list(block.by)).items():
        groups.append(idx + margin_of.get((col, level), []))
    for col in block.by:  # one-way margins of one column add up to n_mapped
        groups.append([k for (cc, _lv), ks in margin_of.items() if cc == col for k in ks])
    ent = tables["entitlement"]
    if ent:
        cols = [k for k in ent[0].keys]
        groups += list(by_key("entitlement", cols).values())
        groups.append([pos[("entitlement", i)] for i in range(len(ent))])  # = the dagpenge margin
    for t in ("timeline", "starts"):
        if tables[t]:
            groups.append([pos[(t, i)] for i in range(len(tables[t]))])
    primary, secondary = protect(values, groups, c.m)
    for k in sorted(primary | secondary):
        t, i = cells[k]
        r = tables[t][i]
        rule, reason = (("count", f"count below {c.m}") if k in primary else
                        ("secondary", "complement of a suppressed cell in the same margin"))
        label = ", ".join(f"{a}={b}" for a, b in r.keys.items())
        tables[t][i] = c.hide(r, ["n", "share", "share_within"], rule, f"mapping.{t}", label, reason, column="n")
    return replace(block, **{t: tuple(rows) for t, rows in tables.items()})


# -- journeys, case duration, process effects --------------------------------------------------------------------

def _journeys(c: Any, jr: Any) -> Any:
    trans = list(jr.transitions)
    dist = list(jr.distribution)
    ns = len(jr.states)
    cells: list[tuple] = []
    values: list[int] = []
    for ti, t in enumerate(trans):
        for a in range(ns):
            for b in range(ns):
                cells.append(("t", ti, a, b))
                values.append(int(t.counts[a][b] or 0))
    dist_cell: dict[tuple, int] = {}
    for di, d in enumerate(dist):
        implied = round((d.share or 0) * (d.n or 0)) if d.share is not None else 0
        dist_cell[(d.group, d.week, d.state)] = len(cells)
        cells.append(("d", di))
        values.append(int(implied))
    pos = {cell: k for k, cell in enumerate(cells)}
    L = {"month": 4, "quarter": 13}.get(jr.period, 13)
    groups: list[list[int]] = []
    main: dict[tuple, int] = {}
    for ti, t in enumerate(trans):
        rows = [[pos[("t", ti, a, b)] for b in range(ns)] for a in range(ns)]
        for a in range(ns):
            groups.append(rows[a] + [k for k in [dist_cell.get((t.group, t.from_period * L, jr.states[a]))] if k is not None])
            col = [rows[x][a] for x in range(ns)]
            groups.append(col + [k for k in [dist_cell.get((t.group, t.to_period * L, jr.states[a]))] if k is not None])
        if ":" not in t.group:
            main[(t.group, t.from_period)] = ti
    by_sub: dict[tuple, list[int]] = {}
    for ti, t in enumerate(trans):  # subgroup levels add up to the group's cell
        if ":" in t.group:
            g, rest = t.group.split(":", 1)
            by_sub.setdefault((g, rest.split("=", 1)[0], t.from_period), []).append(ti)
    for (g, _var, k), tis in by_sub.items():
        if (g, k) in main:
            for a in range(ns):
                for b in range(ns):
                    groups.append([pos[("t", main[(g, k)], a, b)]] + [pos[("t", ti, a, b)] for ti in tis])
    dgroups: dict[tuple, list[int]] = {}
    for di, d in enumerate(dist):
        dgroups.setdefault((d.group, d.week), []).append(pos[("d", di)])
    groups += list(dgroups.values())
    primary, secondary = protect(values, groups, c.m)
    hidden = primary | secondary
    counts = {ti: [list(r) for r in t.counts] for ti, t in enumerate(trans)}
    shares = {ti: [list(r) for r in t.shares] for ti, t in enumerate(trans)}
    marks: dict[int, dict[str, str]] = {}
    for k in sorted(hidden):
        cell = cells[k]
        rule = "count" if k in primary else "secondary"
        if cell[0] == "t":
            _, ti, a, b = cell
            counts[ti][a][b] = None
            shares[ti][a][b] = None
            marks.setdefault(ti, {})[f"counts[{a}][{b}]"] = rule
            c.log("journeys.transitions", f"{trans[ti].group} period {trans[ti].from_period}: "
                  f"{jr.states[a]} -> {jr.states[b]}", "counts", f"count below {c.m}" if rule == "count"
                  else "complement of a suppressed cell in a row, column or subgroup total", rule)
        else:
            d = dist[cell[1]]
            dist[cell[1]] = c.hide(d, ["share"], rule, "journeys.distribution", f"{d.group} week {d.week}: {d.state}",
                                   f"share implies fewer than {c.m} persons" if rule == "count"
                                   else "complement of a suppressed share", column="share")
    trans = [replace(t, counts=tuple(tuple(r) for r in counts[ti]), shares=tuple(tuple(r) for r in shares[ti]),
                     suppressed={**t.suppressed, **marks.get(ti, {})}) for ti, t in enumerate(trans)]
    paths = [c.hide(p, ["n", "share"], "count", "journeys.pathways", f"{p.group}: {p.pathway}",
                    f"count below {c.m}", column="n") if c.small(p.n) else p for p in jr.pathways]
    contrasts = [_contrast(c, r, jr) for r in jr.contrasts]
    return replace(jr, transitions=tuple(trans), distribution=tuple(dist), pathways=tuple(paths),
                   contrasts=tuple(contrasts))


def _contrast(c: Any, r: Any, jr: Any) -> Any:
    """A transition contrast: its probabilities rest on n persons, and ``p x person-periods`` (the row sums
    of the group's transition tables for the starting state, published elsewhere) is a transition count."""
    r = c.group_stats(r, "journeys.contrasts", f"{r.from_state} -> {r.to_state}",
                      (("n_treated", "p_treated"), ("n_control", "p_control")))
    if r.from_state not in jr.states:
        return r
    a = list(jr.states).index(r.from_state)
    for f, group in (("p_treated", "treated"), ("p_control", "comparison")):
        p = getattr(r, f)
        exposure = sum(sum(v or 0 for v in t.counts[a]) for t in jr.transitions if t.group == group)
        if p is not None and exposure and (c.small(round(p * exposure)) or c.small(round((1 - p) * exposure))):
            # the estimate is p_treated - p_control: the other probability would give this one back
            return c.hide(r, ["estimate", "std_error", "ci_low", "ci_high", "p_value", "p_treated", "p_control"],
                          "count", "journeys.contrasts", f"{r.from_state} -> {r.to_state}",
                          f"{f} x the person-periods in {r.from_state} implies fewer than {c.m} transitions",
                          column=f)
    return r


def _duration(c: Any, cd: Any) -> Any:
    out = []
    for a in cd.analyses:
        for side in ("treated", "control"):
            n, e = getattr(a, f"n_{side}"), getattr(a, f"events_{side}")
            if c.small(e) or (n is not None and e is not None and c.small(n - e)):
                a = c.hide(a, [f"events_{side}"], "count", "case_duration", f"{a.outcome}: {side}",
                           f"events or non-events below {c.m}", column=f"events_{side}")
            if c.small(n):
                a = c.hide(a, [f"n_{side}"], "count", "case_duration", f"{a.outcome}: {side}", f"count below {c.m}",
                           column=f"n_{side}")
        weeks = []
        for w in a.by_week:  # share with an event by the week, x the group's n: a count of persons
            for f, n in (("share_treated", a.n_treated), ("share_control", a.n_control)):
                s = w.get(f)
                if s is not None and n and (c.small(round(s * n)) or c.small(round((1 - s) * n))):
                    w = {**w, **{k: None for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value", f)}}
                    c.log("case_duration", f"{a.outcome}: week {w.get('week')}", f,
                          f"share x n implies fewer than {c.m} persons", "count")
            weeks.append(w)
        out.append(replace(a, by_week=tuple(weeks)))
    return replace(cd, analyses=tuple(out))


def control_process(c: Any, doc: Any) -> Any:
    """The document with its process blocks controlled (``mapping``, ``journeys``, ``case_duration``,
    ``process``; a block that is ``None`` stays ``None``)."""
    effects = list(doc.process)
    c.effect_rows(effects, "process", lambda r: r.indicator if r.subgroup is None
                  else f"{r.indicator}: {r.subgroup}={r.level}", ("source", "indicator", "subgroup"))
    return replace(doc, process=tuple(effects),
                   mapping=None if doc.mapping is None else control_mapping(c, doc.mapping),
                   journeys=None if doc.journeys is None else _journeys(c, doc.journeys),
                   case_duration=None if doc.case_duration is None else _duration(c, doc.case_duration))
