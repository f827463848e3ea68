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

Hidden values are set to None and marked in each record's ``suppressed`` marks ``{field: rule}``
(before/after rows, populations, donor weights, trend points). Each decision is logged through ``log(table, row,
column, reason, rule)`` (the :class:`~evaltool.report.disclosure.DisclosureLog`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from evaltool.report.disclosure_protocol import register
from evaltool.results._record import Record
from evaltool.results.areas import (AreaBlock, AreaEstimateRow, AreaPopulation, AreaTrendPoint, BeforeAfterRow,
                                    DonorWeight, PretrendTest)

__all__ = ["control_area", "hidden_areas"]

# -- the person counts of every area record, declared (evaltool.report.disclosure_protocol): residents are persons;
# areas, periods and leads are not. The folder gate's generic pass applies these after control_area; an area record
# nobody registered is an error (disclosure_protocol.STRICT), never guessed by its field names.
register(AreaPopulation, counts=("population_min", "population_mean"), not_counts=("first_treated",))
register(BeforeAfterRow, counts=("population_before", "population_after"),
         not_counts=("first_treated", "period_before", "period_after", "before", "after", "change",
                     "comparison_change", "difference_vs_comparison", "n_comparison_units"))
register(AreaTrendPoint, counts=("population",), not_counts=("period", "value", "n_units"))
register(AreaEstimateRow, not_counts=("event_time", "group", "period", "estimate", "std_error", "ci_low", "ci_high",
                                      "pvalue", "n_units", "n_treated_units"))
register(PretrendTest, not_counts=("n_leads", "statistic", "df", "pvalue", "f_statistic", "f_pvalue"))
register(DonorWeight, not_counts=("weight",))
register(AreaBlock, not_counts=("n_units", "n_treated_units", "n_periods", "seed"))

Log = Callable[[str, str, str, str, str], None]
R = TypeVar("R", bound=Record)
_BA = ("before", "after", "change", "difference_vs_comparison", "population_before", "population_after")
_POP = ("population_min", "population_mean")


def hidden_areas(block: AreaBlock | None) -> set[str]:
    """Units whose before/after or population row is marked suppressed."""
    if block is None:
        return set()
    return {r.unit for r in (*block.before_after, *block.populations) if r.suppressed}


def _hide(row: R, names: tuple[str, ...], rule: str) -> R:
    marks = dict(row.suppressed)
    for name in names:
        marks.setdefault(name, rule)
    return replace(row, **dict.fromkeys(names, None), suppressed=marks)


def _small(v: Any, m: int) -> bool:
    return v is not None and v < m


def control_area(block: AreaBlock | None, min_cell: int, log: Log) -> AreaBlock | None:
    """``block`` with areas of fewer than ``min_cell`` residents hidden, and their complements."""
    if block is None:
        return None
    m = min_cell
    first = {r.unit: r.first_treated for r in block.populations}  # unit -> start (0: never treated)
    for r in block.before_after:
        first.setdefault(r.unit, r.first_treated or 1)
    size: dict[str, float | None] = dict.fromkeys(first)  # unit -> fewest residents shown anywhere
    for r in block.populations:
        size[r.unit] = r.population_min
    for r in block.before_after:
        small = [r.population_before, r.population_after, size[r.unit]]
        size[r.unit] = min((v for v in small if v is not None), default=None)
    rule: dict[str, str] = {u: "area" for u, v in size.items() if _small(v, m)}
    rule.update({u: "area" for u in hidden_areas(block)})  # already controlled (read back from results.json)
    for u in sorted(rule):
        log("area", u, "area", f"housing area with fewer than {m} residents", "area")

    hide_series: set[str] = set()
    for group, is_member in (("treated", lambda u: first[u] > 0), ("comparison", lambda u: first[u] == 0)):
        members = sorted(u for u in first if is_member(u))
        hidden = [u for u in members if u in rule]
        if not hidden:
            continue
        rest = sorted((u for u in members if u not in rule), key=lambda u: (size[u] or 0, u))
        while rest and (len(hidden) < 2 or sum(size[u] or 0 for u in hidden) < m):
            u = rest.pop(0)
            rule[u] = "secondary"
            hidden.append(u)
            log("area", u, "area", f"complement of a hidden area in the {group} mean", "secondary")
        if len(hidden) == len(members) and (len(hidden) < 2 or sum(size[u] or 0 for u in hidden) < m):
            hide_series.add(group)
            log("area", f"{group} mean", "value,population", f"the {group} mean rests on hidden areas only", "n")

    donors = list(block.donor_weights)
    by_method: dict[str, list[int]] = {}
    for i, d in enumerate(donors):
        by_method.setdefault(d.estimator, []).append(i)
    for method, idx in by_method.items():
        hid = [i for i in idx if donors[i].unit in rule]
        if not hid:
            continue
        for i in hid:
            donors[i] = _hide(donors[i], ("weight",), rule[donors[i].unit])
        positive = [i for i in idx if i not in hid and (donors[i].weight or 0) > 0]
        if positive:
            j = min(positive, key=lambda i: (donors[i].weight, donors[i].unit))
            donors[j] = _hide(donors[j], ("weight",), "secondary")
            log("area", f"{method}: {donors[j].unit}", "weight", "complement of a hidden donor weight", "secondary")
        else:
            hide_series.add(method)
            log("area", f"{method} path", "value", "the synthetic path rests on hidden donors only", "n")

    trends = []
    for p in block.trends:
        if (p.kind == "area" and p.series in rule) or p.kind in hide_series:
            why = rule[p.series] if p.kind == "area" else "n"  # the area's own rule; "n" for a hidden mean or path
            p = replace(p, value=None, population=None, suppressed={**p.suppressed, "value": why, "population": why})
        elif p.kind in ("treated", "comparison") and any(first[u] > 0 if p.kind == "treated" else first[u] == 0
                                                         for u in rule):
            p = replace(p, population=None, suppressed={**p.suppressed, "population": "secondary"})
        trends.append(p)
    return replace(block, before_after=tuple(_hide(r, _BA, rule[r.unit]) if r.unit in rule else r
                                             for r in block.before_after),
                   populations=tuple(_hide(r, _POP, rule[r.unit]) if r.unit in rule else r
                                     for r in block.populations),
                   donor_weights=tuple(donors), trends=tuple(trends))
