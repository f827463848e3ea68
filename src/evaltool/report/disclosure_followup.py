"""A final evaluation controlled against its midterm: no count may be recovered by differencing the two.

The midterm cohort (persons who started by its data cut) is a subset of the final cohort, and the final
report quotes the midterm. A cell both publish — a target-group level, a dropped-rows reason, the sample
flow, an effect's or a subgroup level's n — then differs by the persons who joined it in between; a
difference of 1 .. min_cell - 1 counts persons even when each document alone is safe.

:func:`control_followup` treats those differences as cells of their own, against the midterm's
*published* (controlled) numbers:

* **sample flow**: when ``all``, or ``all - matched``, or the unmatched / discarded part of a side differs
  from the midterm's by 1 .. min_cell - 1, the final's ``all`` count is hidden everywhere (as for
  ``all - matched``, with the largest target-group level of each variable) and so are its unmatched and
  discarded parts; ``n_read`` likewise (with the largest dropped-rows reason);
* **breakdowns** (target-group levels per variable and column, dropped-rows reasons, subgroup levels per
  outcome and variable): a level whose count differs from the midterm's by 1 .. min_cell - 1 is hidden,
  and further levels (smallest first) until the hidden ones are at least two, hold at least min_cell
  persons, and their union differs from the midterm's union (where the midterm lets one compute it) by
  0 or at least min_cell;
* **effects**: an outcome's n that differs from the midterm's by 1 .. min_cell - 1 is hidden (the count).
* **group sizes** (``sizes``: every size of a side the midterm publishes, from
  :func:`evaltool.report.disclosure_sizes.published_sizes`): when the final's ``all`` (design, data report,
  target group) or ``matched`` size differs from *any* of them by 1 .. min_cell - 1, the final's sample flow of
  that side is hidden whole — all (everywhere, as above), matched and its effective sample size, unmatched,
  discarded — so no equation
  ``all = matched + unmatched + discarded`` gives one back. Every other block's size (effects, time to event,
  process, Rosenbaum, specifications, comparison designs, sums of subgroup levels) is then compared with the
  midterm's sizes by :func:`evaltool.report.disclosure_sizes.control_sizes` (``earlier``).

:func:`control_subgroup_unions` (after the subgroup and size rules) closes the subgroup levels' union: the
final's hidden levels hold ``n - shown`` persons (its main effect's n minus the shown levels); the midterm's
same levels hold their shown counts, or the midterm's main effect's n minus its other levels. When the two
differ by 1 .. min_cell - 1, the next-smallest shown level is hidden as well, until they do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from evaltool.results.schema import ResultsDocument

__all__ = ["control_followup", "control_subgroup_unions"]


def control_followup(c: Any, earlier: ResultsDocument, raw: ResultsDocument, out: ResultsDocument,
                     hide_all: Callable[[Any, ResultsDocument, str, str], ResultsDocument],
                     sizes: dict[str, list[float]] | None = None) -> ResultsDocument:
    """``out`` (the controlled final) with every cell hidden whose difference from ``earlier`` (the
    controlled midterm) is 1 .. min_cell - 1 persons, and the complements that keep it hidden; ``sizes`` are
    the group sizes the midterm publishes (:func:`evaltool.report.disclosure_sizes.published_sizes`)."""
    why = f"differs from the midterm's published count by fewer than {c.m} persons"
    small = lambda a, b: a is not None and b is not None and c.small(abs(a - b))  # noqa: E731
    en, fn = earlier.design.n, raw.design.n
    sizes = sizes or {"treated": [], "control": []}
    for side in ("treated", "control"):
        ea, em = en.count(side, "all"), en.count(side, "matched")
        fa, fm = fn.count(side, "all"), fn.count(side, "matched")
        hit = small(fa, ea) or (None not in (ea, em, fa, fm) and c.small(abs((fa - fm) - (ea - em))))
        hit = hit or any(small(fn.count(side, p), en.count(side, p)) for p in ("unmatched", "discarded"))
        hit = hit or small(getattr(raw.data_report, f"n_{side}"), getattr(earlier.data_report, f"n_{side}"))
        totals = (fa, getattr(raw.data_report, f"n_{side}"),
                  raw.target_group.n_treated if side == "treated" else raw.target_group.n_pool)
        ess = getattr(fn, f"ess_{side}")  # the effective sample size: the matched count when every weight is 1
        matched_hit = any(small(x, v) for x in (fm, ess) for v in sizes[side])
        hit = hit or matched_hit or any(small(t, v) for t in totals for v in sizes[side])
        if hit and out.design.n.count(side, "all") is not None:
            out = hide_all(c, out, side, f"{side}: all {why}")
        if hit:
            parts = [f"{side}_{p}" for p in ("unmatched", "discarded") if out.design.n.count(side, p) is not None]
            parts += [f"{side}_matched", f"ess_{side}"] if matched_hit else []
            if parts:
                out = replace(out, design=replace(out.design, n=c.hide(out.design.n, parts, "secondary", "design",
                                                                         "sample flow", f"{side}: all {why}")))
    dr = out.data_report
    if small(raw.data_report.n_read, earlier.data_report.n_read) and dr.n_read is not None:
        dr = c.hide(dr, ["n_read"], "secondary", "data_report", "counts", f"n_read {why}", column="n_read")
    dropped = _breakdown(c, list(dr.dropped), list(raw.data_report.dropped), earlier.data_report.dropped,
                         lambda r: "dropped", lambda r: r.reason, ("n",), {}, "data_report", why,
                         {"n": None if None in (earlier.data_report.n_read, earlier.data_report.n_used)
                          else earlier.data_report.n_read - earlier.data_report.n_used})
    if dr.n_read is None and dropped and all(d.n is not None for d in dropped):  # n_used + dropped = n_read
        i = max(range(len(dropped)), key=lambda i: dropped[i].n)
        dropped[i] = c.hide(dropped[i], ["n"], "secondary", "data_report", f"dropped: {dropped[i].reason}",
                            "n_read is hidden: the reasons would add up to it", column="n")
    out = replace(out, data_report=replace(dr, dropped=tuple(dropped)))
    tg = out.target_group
    by = _breakdown(c, list(tg.by), list(raw.target_group.by), earlier.target_group.by, lambda r: r.variable,
                    lambda r: (r.variable, r.level), ("n_treated", "n_pool"),
                    {"n_treated": "share_treated", "n_pool": "share_pool"}, "target_group", why,
                    {"n_treated": earlier.target_group.n_treated, "n_pool": earlier.target_group.n_pool})
    out = replace(out, target_group=replace(tg, by=tuple(by)))
    labels = ("variable", "outcome", "level", "estimand", "method", "variance", "unit", "suppressed")
    stats = [f.name for f in fields(out.subgroups[0]) if f.name not in labels] if out.subgroups else []
    subs = _breakdown(c, list(out.subgroups), list(raw.subgroups), earlier.subgroups,
                      lambda r: (r.outcome, r.variable), lambda r: (r.outcome, r.variable, r.level),
                      ("n_treated", "n_control"), {"n_treated": stats, "n_control": stats}, "subgroups", why, {})
    mid_effects = {e.outcome: e for e in earlier.effects if e.subgroup is None}
    effects = []
    for e, r in zip(out.effects, raw.effects):
        m = mid_effects.get(e.outcome) if e.subgroup is None else None
        for f in ("n_treated", "n_control"):
            if m is not None and getattr(e, f) is not None and small(getattr(r, f), getattr(m, f)):
                e = c.hide(e, [f], "secondary", "effects", e.outcome, f"{f} {why}", column=f)
        effects.append(e)
    return replace(out, subgroups=tuple(subs), effects=tuple(effects))


def _breakdown(c: Any, rows: list, raw: list, earlier: tuple, group: Callable, key: Callable, cols: tuple,
               extra: dict, table: str, why: str, totals: dict) -> list:
    """Levels of each ``group`` whose counts differ from ``earlier``'s by 1 .. m - 1, with their complements."""
    mid = {key(r): r for r in earlier}
    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(raw):
        groups.setdefault(group(r), []).append(i)
    for idx in groups.values():
        for col in cols:
            fin = [getattr(raw[i], col) or 0 for i in idx]
            old = [getattr(mid[key(raw[i])], col) if key(raw[i]) in mid else None for i in idx]
            hidden = {j for j, i in enumerate(idx) if getattr(rows[i], col) is None}
            new = {j for j in range(len(idx)) if j not in hidden and old[j] is not None
                   and c.small(abs(fin[j] - old[j]))}
            if not new:
                continue
            h = hidden | new
            while True:
                rest = [j for j in range(len(idx)) if j not in h]
                if not rest or (len(h) >= 2 and sum(fin[j] for j in h) >= c.m
                                and not _union_small(c, fin, old, h, totals.get(col))):
                    break
                h.add(min(rest, key=lambda j: (fin[j], j)))
            for j in sorted(h - hidden):
                i = idx[j]
                more = extra.get(col, [])
                more = [more] if isinstance(more, str) else list(more)
                rows[i] = c.hide(rows[i], [col, *more], "secondary", table, str(key(raw[i])),
                                 f"{col} {why}" if j in new else f"complement of a level that {why}", column=col)
    return rows


def _union_small(c: Any, fin: list, old: list, hidden: set, old_total: Any) -> bool:
    """Whether the hidden levels' union differs from the midterm's by 1 .. m - 1 (if that is computable)."""
    if all(old[j] is not None for j in hidden):
        union_old = sum(old[j] for j in hidden)
    elif old_total is not None and all(old[j] is not None for j in range(len(old)) if j not in hidden):
        union_old = old_total - sum(old[j] for j in range(len(old)) if j not in hidden)
    else:
        return False
    return c.small(abs(sum(fin[j] for j in hidden) - union_old))


def control_subgroup_unions(c: Any, earlier: ResultsDocument, raw: ResultsDocument, out: ResultsDocument
                            ) -> ResultsDocument:
    """Subgroup levels hidden in the final whose union (its main effect's n minus the shown levels) differs
    from the same levels' union in the midterm by 1 .. min_cell - 1: further levels are hidden until it does not."""
    labels = ("variable", "outcome", "level", "estimand", "method", "variance", "unit", "suppressed")
    subs = list(out.subgroups)
    mid_main = {e.outcome: e for e in earlier.effects if e.subgroup is None}
    fin_main = {e.outcome: e for e in out.effects if e.subgroup is None}
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(raw.subgroups):
        groups.setdefault((s.outcome, s.variable), []).append(i)
    for (outcome, variable), idx in groups.items():
        mid = {s.level: s for s in earlier.subgroups if (s.outcome, s.variable) == (outcome, variable)}
        for col in ("n_treated", "n_control"):
            n_fin = getattr(fin_main[outcome], col) if outcome in fin_main else None
            n_mid = getattr(mid_main[outcome], col) if outcome in mid_main else None
            while n_fin is not None:
                hidden = [i for i in idx if getattr(subs[i], col) is None]
                shown = [i for i in idx if i not in hidden]
                if not hidden or not shown:
                    break
                m_vals = {raw.subgroups[i].level: getattr(mid[raw.subgroups[i].level], col)
                          if raw.subgroups[i].level in mid else None for i in idx}
                if all(m_vals[raw.subgroups[i].level] is not None for i in hidden):
                    m_union = sum(m_vals[raw.subgroups[i].level] for i in hidden)
                elif n_mid is not None and all(m_vals[raw.subgroups[i].level] is not None for i in shown):
                    m_union = n_mid - sum(m_vals[raw.subgroups[i].level] for i in shown)
                else:
                    break
                if not c.small(abs(n_fin - sum(getattr(subs[i], col) for i in shown) - m_union)):
                    break
                i = min(shown, key=lambda i: (getattr(subs[i], col), i))
                subs[i] = c.hide(subs[i], [f.name for f in fields(subs[i]) if f.name not in labels], "secondary",
                                 "subgroups", f"{outcome}: {variable}={subs[i].level}",
                                 f"the hidden levels' union (n minus the shown levels) differs from the midterm's "
                                 f"by fewer than {c.m} persons", column="row")
    return replace(out, subgroups=tuple(subs))
