"""Disclosure control of Kaplan–Meier curves: steps pooled until no hidden count can be recovered.

A Kaplan–Meier curve publishes, at each step, the survival ``S``, the persons at risk and the events.
Hiding a step with 1 .. min_cell - 1 events is not enough: the survival *ratio* of the shown steps
around it, ``S(p2) / S(p1)``, is the product of the factors ``1 - d / n`` in between and gives the
hidden events back (exactly, when one step is hidden; ``S × n`` does so at the first steps).

So the published curve is the Kaplan–Meier estimate on a **coarser grid** (a life table): the steps of
each group are pooled, from the first onwards, into intervals ``(g_{k-1}, g_k]`` that each hold 0 or at
least ``min_cell`` events and 0 or at least ``min_cell`` persons leaving the risk set otherwise
(censored), with at least ``min_cell`` persons at risk at their start. Each interval is published at its
last step ``g_k`` with

* ``at_risk`` (and ``n_at_risk``) — the persons at risk at the *start* of the interval, ``n_k``;
* ``events`` — the events in the interval, ``d_k``;
* ``survival`` — ``S(g_k) = Π_{j ≤ k} (1 - d_j / n_j)``, and ``std_error`` — Greenwood's
  ``S(g_k) · sqrt(Σ_{j ≤ k} d_j / (n_j (n_j - d_j)))``.

Every published number is then a function of published counts, each 0 or at least ``min_cell``
(``n_k - d_k - n_{k+1}`` is the interval's censored persons). Where every step already qualifies, the
grid is the step grid and the curve is the ordinary Kaplan–Meier estimate; otherwise it differs from it
by the life-table approximation (events of an interval counted against its starting risk set). The steps
inside an interval are hidden whole (rule ``"secondary"``) and the pooling is logged. Weighted curves
(matching with replacement or ratio > 1) pool on the weighted events and censorings and on the head-count
drop of the risk set (``n_at_risk``). Applying the rule to a pooled curve gives it back unchanged.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

__all__ = ["pool_km"]

_FIELDS = ["survival", "at_risk", "events", "std_error", "n_at_risk"]


def pool_km(c: Any, block: Any) -> Any:
    """``block`` (a time-to-event block) with its Kaplan–Meier points pooled (see the module docstring).

    ``c`` is the disclosure controller (``small``, ``hide``, ``log``, ``m``) of
    :mod:`evaltool.report.disclosure_control`. Points already hidden in ``block`` are left hidden.
    """
    points = list(block.km)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        if p.at_risk is not None and p.survival is not None:
            groups.setdefault(p.group, []).append(i)
    for group, idx in groups.items():
        if any(points[i].events is None for i in idx):
            # a curve controlled by an earlier rule (events hidden, survival shown): its events are gone, so it
            # cannot be pooled; the steps without events are hidden whole and the rest left as published
            for i in idx:
                if points[i].events is None:
                    points[i] = c.hide(points[i], _FIELDS, "secondary", "time_to_event",
                                       f"{block.outcome}: {group} week {points[i].week}",
                                       "a step whose events were hidden by an earlier rule", column="survival")
            continue
        survival, greenwood, start, pooled = 1.0, 0.0, 0, False
        while start < len(idx):
            first = points[idx[start]]
            n0, heads0 = first.at_risk, first.n_at_risk
            end, d = None, 0.0
            if not c.small(n0) and not c.small(heads0):
                for e in range(start, len(idx)):
                    d += points[idx[e]].events or 0.0
                    nxt = points[idx[e + 1]] if e + 1 < len(idx) else None
                    censored = 0.0 if nxt is None else n0 - d - nxt.at_risk
                    drop = 0 if nxt is None or heads0 is None or nxt.n_at_risk is None else heads0 - nxt.n_at_risk
                    if not (c.small(_round(d)) or c.small(_round(censored)) or c.small(drop)):
                        end = e
                        break
            if end is None:  # the rest of the curve cannot be published
                for j in idx[start:]:
                    points[j] = c.hide(points[j], _FIELDS, "n", "time_to_event", f"{block.outcome}: {group} week "
                                       f"{points[j].week}", f"the rest of the curve holds fewer than {c.m} events, "
                                       f"censored persons or persons at risk", column="survival")
                break
            survival *= 1 - d / n0 if n0 else 1.0
            greenwood += d / (n0 * (n0 - d)) if n0 > d else math.inf
            for j in idx[start:end]:
                points[j] = c.hide(points[j], _FIELDS, "secondary", "time_to_event",
                                   f"{block.outcome}: {group} week {points[j].week}",
                                   f"pooled into the step at week {points[idx[end]].week} (events or censored "
                                   f"persons below {c.m})", column="survival")
            last = points[idx[end]]
            pooled = pooled or end > start
            if not pooled:  # the step grid so far: the curve's own estimate and standard error
                start = end + 1
                survival = last.survival
                continue
            se = survival * math.sqrt(greenwood) if math.isfinite(greenwood) else None
            if end > start:
                c.log("time_to_event", f"{block.outcome}: {group} week {last.week}", "survival",
                      f"steps of weeks {first.week:g}-{last.week:g} pooled (life table): at risk at the start, "
                      f"events in the interval", "pooled")
            points[idx[end]] = replace(last, survival=survival, at_risk=n0, events=d, std_error=se,
                                       n_at_risk=heads0)
            start = end + 1
    return replace(block, km=tuple(points))


def _round(v: float) -> float:
    """Weighted sums carry float noise (0.30000000000000004 persons)."""
    return round(v, 9)
