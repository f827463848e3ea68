"""Disclosure control of the ``area`` block: housing areas with fewer than ``min_cell`` residents.

An area whose population (``population_min`` of the block's ``populations``, or a before/after
population) is below ``min_cell`` is not shown on its own: its before/after row, trend points,
per-area population and donor weights lose their values (rule ``"area"``). Then the group means are
made safe against differencing:

* **treated areas** — their mean and summed residents are published beside each treated area's own
  series, so one hidden treated area would follow from the mean; a second treated area (the
  smallest) is hidden too (rule ``"secondary"``), and if every treated area is hidden the treated
  mean's residents are hidden;
* **comparison areas** — per-area residents are published, so their sum (the comparison series'
  residents) would reveal a hidden area's: a second comparison area's residents are hidden; a
  comparison group of one hidden area loses its series;
* **donor weights** sum to one per method: a second positive weight is hidden; a synthetic path
  resting on one hidden donor only is hidden.

Dict rows (before/after, populations, donor weights) carry ``"_suppressed": {field: rule}``; trend
points use the record's ``suppressed`` marks. Each decision is logged through ``log(table, row,
column, reason, rule)`` (the :class:`~evaltool.report.disclosure.DisclosureLog`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from evaltool.results._record import SUPPRESSED_KEY
from evaltool.results.areas import AreaBlock

__all__ = ["control_area", "hidden_areas"]

Log = Callable[[str, str, str, str, str], None]
_BA = ("before", "after", "change", "difference_vs_comparison", "population_before", "population_after")
_POP = ("population_min", "population_mean")


def hidden_areas(block: AreaBlock | None) -> set[str]:
    """Units whose before/after or population row is marked suppressed."""
    if block is None:
        return set()
    return {str(r["unit"]) for r in tuple(block.before_after) + tuple(block.populations) if SUPPRESSED_KEY in r}


def _hide_dict(row: dict, fields: tuple[str, ...], rule: str) -> dict:
    marks = dict(row.get(SUPPRESSED_KEY) or {})
    out = dict(row)
    for f in fields:
        if f in out:
            out[f] = None
            marks.setdefault(f, rule)
    out[SUPPRESSED_KEY] = marks
    return out


def _small(v: Any, m: int) -> bool:
    return v is not None and v < m


def control_area(block: AreaBlock | None, min_cell: int, log: Log) -> AreaBlock | None:
    """``block`` with areas of fewer than ``min_cell`` residents hidden, and their complements."""
    if block is None:
        return None
    m = min_cell
    pops = {str(r["unit"]): r for r in block.populations}
    first = {u: int(r.get("first_treated") or 0) for u, r in pops.items()}
    for r in block.before_after:
        first.setdefault(str(r["unit"]), int(r.get("first_treated") or 1))
    size = {u: r.get("population_min") for u, r in pops.items()}
    for r in block.before_after:
        u = str(r["unit"])
        small = [r.get("population_before"), r.get("population_after"), size.get(u)]
        size[u] = min((v for v in small if v is not None), default=None)
    rule: dict[str, str] = {u: "area" for u, v in size.items() if _small(v, m)}
    rule.update({u: "area" for u in hidden_areas(block)})  # already controlled (read back from results.json)
    for u in sorted(rule):
        log("area", u, "area", f"housing area with fewer than {m} residents", "area")

    hide_series: set[str] = set()
    for group, is_member in (("treated", lambda u: first.get(u, 0) > 0), ("comparison", lambda u: first.get(u, 0) == 0)):
        members = sorted(u for u in first if is_member(u))
        hidden = [u for u in members if u in rule]
        if not hidden:
            continue
        rest = sorted((u for u in members if u not in rule), key=lambda u: (size.get(u) or 0, u))
        while rest and (len(hidden) < 2 or sum(size.get(u) or 0 for u in hidden) < m):
            u = rest.pop(0)
            rule[u] = "secondary"
            hidden.append(u)
            log("area", u, "area", f"complement of a hidden area in the {group} mean", "secondary")
        if len(hidden) == len(members) and (len(hidden) < 2 or sum(size.get(u) or 0 for u in hidden) < m):
            hide_series.add(group)
            log("area", f"{group} mean", "value,population", f"the {group} mean rests on hidden areas only", "n")

    def ba(r: dict) -> dict:
        u = str(r["unit"])
        return _hide_dict(r, _BA, rule[u]) if u in rule else r

    def pop(r: dict) -> dict:
        u = str(r["unit"])
        return _hide_dict(r, _POP, rule[u]) if u in rule else r

    donors = []
    by_method: dict[str, list[int]] = {}
    for i, r in enumerate(block.donor_weights):
        by_method.setdefault(str(r["estimator"]), []).append(i)
        donors.append(r)
    for method, idx in by_method.items():
        hid = [i for i in idx if str(donors[i]["unit"]) in rule]
        if not hid:
            continue
        for i in hid:
            donors[i] = _hide_dict(donors[i], ("weight",), rule[str(donors[i]["unit"])])
        positive = [i for i in idx if i not in hid and (donors[i].get("weight") or 0) > 0]
        if positive:
            j = min(positive, key=lambda i: (donors[i]["weight"], str(donors[i]["unit"])))
            donors[j] = _hide_dict(donors[j], ("weight",), "secondary")
            log("area", f"{method}: {donors[j]['unit']}", "weight", "complement of a hidden donor weight", "secondary")
        else:
            hide_series.add(method)
            log("area", f"{method} path", "value", "the synthetic path rests on hidden donors only", "n")

    trends = []
    for p in block.trends:
        if (p.kind == "area" and p.series in rule) or p.kind in hide_series:
            marks = dict(p.suppressed)
            marks.update({"value": rule.get(p.series, "n"), "population": rule.get(p.series, "n")})
            p = replace(p, value=None, population=None, suppressed=marks)
        elif p.kind in ("treated", "comparison") and any(first.get(u, 0) > 0 if p.kind == "treated"
                                                         else first.get(u, 0) == 0 for u in rule):
            p = replace(p, population=None, suppressed={**p.suppressed, "population": "secondary"})
        trends.append(p)
    return replace(block, before_after=tuple(ba(r) for r in block.before_after),
                   populations=tuple(pop(r) for r in block.populations), donor_weights=tuple(donors),
                   trends=tuple(trends))
