"""Cross-block attacks of :mod:`attacker`: differencing sizes published by different blocks, and
Kaplan–Meier survival ratios across hidden steps.

* **Sizes of one group across blocks.** Every block that publishes a size of the treated or the
  comparison group (design, data report, target group, main effects, specification curve, Rosenbaum
  matched sets, time-to-event ``n``, comparison designs, the sum of a subgroup variable's levels shown whole,
  the persons at risk at a Kaplan–Meier curve's first point and the trajectories' n at their first week)
  describes nested populations (all ⊇ matched ⊇ with outcome; a
  wider caliper ⊇ a narrower one). Any two published sizes of one side that differ by
  1 .. min_cell - 1 give a count of persons (``all - matched`` is one such pair). Every Kaplan–Meier risk set
  and trajectory n is checked against those sizes too.
* **Kaplan–Meier ratios.** Between two shown steps ``p1`` and ``p2`` of a group with hidden steps in
  between, ``S(p2) / S(p1) / (1 - events(p2) / at_risk(p2))`` is the product of the hidden steps'
  factors ``1 - d / n``. With one hidden step, integer ``n`` in its possible range and ``d`` in
  1 .. min_cell - 1 solving ``1 - d / n = ratio`` give the hidden events; a unique ``d`` is a finding.
  Where the gate publishes pooled steps (events since the last shown step, survival over the pooled
  interval), the ratio is ``1 - events(p2) / at_risk(p2)`` and reveals nothing new.
* **Process blocks.** Process effects, case duration and the journeys' state distribution publish the
  group sizes too (in the size check above); a journeys contrast's transition probability times the
  person-periods the transition tables give for its starting state is a transition count; case-duration
  by-week shares times the group's n are counts.
"""

from __future__ import annotations

from typing import Any

from evaltool.results.schema import ResultsDocument

__all__ = ["published_sizes", "risk_sets", "attack_sizes", "attack_risk_sets", "attack_km_ratios", "attack_process"]


def published_sizes(doc: ResultsDocument) -> dict[str, list[tuple[str, float]]]:
    """``{side: [(where, size)]}``: every size of the treated / comparison group any block publishes."""
    n, dr, tg = doc.design.n, doc.data_report, doc.target_group
    out: dict[str, list[tuple[str, Any]]] = {
        "treated": [("design treated_all", n.treated_all), ("design treated_matched", n.treated_matched),
                    ("data_report n_treated", dr.n_treated), ("target_group n_treated", tg.n_treated)],
        "control": [("design control_all", n.control_all), ("design control_matched", n.control_matched),
                    ("data_report n_control", dr.n_control), ("target_group n_pool", tg.n_pool)]}
    for e in doc.effects:
        if e.subgroup is None:
            out["treated"].append((f"effects {e.outcome} n_treated", e.n_treated))
            out["control"].append((f"effects {e.outcome} n_control", e.n_control))
    for t in doc.time_to_event:
        for side in ("treated", "control"):
            out[side].append((f"time_to_event {t.outcome} n[{side}]", (t.n or {}).get(side)))
    s = doc.sensitivity
    if s is not None:
        for r in s.specification_curve:
            out["treated"].append((f"specification {r.spec} {r.outcome} n_treated", r.n_treated))
            out["control"].append((f"specification {r.spec} {r.outcome} n_control", r.n_control))
        for r in s.rosenbaum:
            out["treated"].append((f"rosenbaum {r.outcome} n_sets", r.n_sets))
    for side, rows in process_sizes(doc).items():
        out[side] += rows
    for r in doc.comparison_designs.rows if doc.comparison_designs is not None else ():
        out["treated"].append((f"comparison design {r.design} {r.outcome} n_treated", r.n_treated))
        out["control"].append((f"comparison design {r.design} {r.outcome} n_control", r.n_control))
    for (outcome, var) in dict.fromkeys((s.outcome, s.variable) for s in doc.subgroups):
        rows = [s for s in doc.subgroups if (s.outcome, s.variable) == (outcome, var)]
        for side, col in (("treated", "n_treated"), ("control", "n_control")):
            if all(getattr(s, col) is not None for s in rows):  # the levels add up to the persons with the outcome
                out[side].append((f"subgroups {outcome}/{var} sum of levels {col}", sum(getattr(s, col) for s in rows)))
    for side, rows in risk_sets(doc, first_only=True).items():  # the group's size before any event
        out[side] += rows
    ps = doc.propensity
    for series, side in (("treated", "treated"), ("control_all", "control"), ("control_matched", "control")):
        bins = list(getattr(ps, series)) if ps is not None else []
        if bins and None not in bins:  # a histogram shown whole adds up to the group
            out[side].append((f"propensity {series} sum of bins", sum(bins)))
    return {side: [(w, v) for w, v in rows if isinstance(v, (int, float)) and not isinstance(v, bool)]
            for side, rows in out.items()}


_SIDE = {"treated": "treated", "control": "control", "comparison": "control"}


def risk_sets(doc: ResultsDocument, first_only: bool = False) -> dict[str, list[tuple[str, Any]]]:
    """Persons at risk at each Kaplan–Meier point and each trajectory row's n (``first_only``: a curve's first
    point, the trajectories' first week — the group's size before anyone had an event or left follow-up)."""
    out: dict[str, list[tuple[str, Any]]] = {"treated": [], "control": []}
    for t in doc.time_to_event:
        seen = set()
        for p in t.km:
            side = _SIDE.get(p.group)
            if side is None or (first_only and p.group in seen):
                continue
            seen.add(p.group)
            out[side] += [(f"KM {t.outcome} {p.group} week {p.week:g} {f}", getattr(p, f))
                          for f in ("at_risk", "n_at_risk")]
    first = {}
    for r in doc.trajectories:
        if r.group not in first or r.week < first[r.group]:
            first[r.group] = r.week
    for r in doc.trajectories:
        side = _SIDE.get(r.group)
        if side is not None and (not first_only or r.week == first[r.group]):
            out[side].append((f"trajectory {r.group} week {r.week} {r.category} n", r.n))
    return {side: [(w, v) for w, v in rows if isinstance(v, (int, float)) and not isinstance(v, bool)]
            for side, rows in out.items()}


def attack_risk_sets(doc: ResultsDocument, sizes: dict[str, list[tuple[str, float]]], a: Any, label: str) -> None:
    """Each Kaplan–Meier risk set and trajectory n against each published size of its group in ``sizes``."""
    for side, rows in risk_sets(doc).items():
        done = set()
        for w, v in rows:
            for w2, v2 in sizes[side]:
                if 0 < abs(v - v2) < a.m and (v, v2) not in done:
                    done.add((v, v2))
                    a.check(abs(v - v2), f"{label}: {side} size ({w} {v:g} - {w2} {v2:g})")


def attack_sizes(doc: ResultsDocument, a: Any, label: str) -> None:
    """Every pair of published sizes of one side whose difference is 1 .. min_cell - 1 (and each risk set against
    them)."""
    attack_risk_sets(doc, published_sizes(doc), a, label)
    for side, rows in published_sizes(doc).items():
        values: dict[float, str] = {}
        for where, v in rows:
            values.setdefault(v, where)
        items = sorted(values.items())
        for i, (v1, w1) in enumerate(items):
            for v2, w2 in items[i + 1:]:
                if v2 - v1 >= a.m:
                    break
                a.check(v2 - v1, f"{label}: {side} sizes across blocks ({w2} {v2:g} - {w1} {v1:g})")


def _hidden_events(ratio: float, n_low: int, n_high: int, m: int) -> set[int]:
    """Events ``d`` in 1 .. m - 1 with ``1 - d / n == ratio`` for some integer n in [n_low, n_high]."""
    found = set()
    for n in range(max(n_low, 1), n_high + 1):
        d = (1 - ratio) * n
        if abs(d - round(d)) < 1e-7 and 0 < round(d) < m:
            found.add(round(d))
    return found


def attack_km_ratios(doc: ResultsDocument, a: Any, label: str) -> None:
    """Hidden Kaplan–Meier events recovered from the survival ratio of the shown steps around them."""
    for block in doc.time_to_event:
        by_group: dict[str, list] = {}
        for p in block.km:
            by_group.setdefault(p.group, []).append(p)
        for group, points in by_group.items():
            prev = None
            hidden: list = []
            for p in points:
                if p.survival is None or p.at_risk is None:
                    hidden.append(p)
                    continue
                if prev is not None and prev.survival > 0:
                    ratio = p.survival / prev.survival
                    where = f"{label}: KM {block.outcome} {group} week {p.week}"
                    if not hidden and p.events is None:  # the step's own events, hidden: 1 - d / n = ratio
                        a.check((1 - ratio) * p.at_risk, f"{where}: hidden events from S / S(previous) x at risk")
                    elif len(hidden) == 1 and p.events is not None and p.at_risk > p.events:
                        ratio /= 1 - p.events / p.at_risk
                        n_high = int(round(prev.at_risk - (prev.events or 0)))
                        ds = _hidden_events(ratio, int(round(p.at_risk)), n_high, a.m)
                        if len(ds) == 1:
                            a.check(next(iter(ds)), f"{where}: events of the hidden step week {hidden[0].week} "
                                                    f"from S / S(week {prev.week})")
                prev, hidden = p, []


def process_sizes(doc: ResultsDocument) -> dict[str, list[tuple[str, Any]]]:
    """Sizes of the treated / comparison group published by the process blocks."""
    out: dict[str, list[tuple[str, Any]]] = {"treated": [], "control": []}
    for e in doc.process:
        if e.subgroup is None:
            out["treated"].append((f"process effects {e.indicator} n_treated", e.n_treated))
            out["control"].append((f"process effects {e.indicator} n_control", e.n_control))
    if doc.case_duration is not None:
        for a in doc.case_duration.analyses:
            out["treated"].append((f"case_duration {a.outcome} n_treated", a.n_treated))
            out["control"].append((f"case_duration {a.outcome} n_control", a.n_control))
    if doc.journeys is not None:
        for d in doc.journeys.distribution:
            side = {"treated": "treated", "comparison": "control"}.get(d.group)
            if side is not None:
                out[side].append((f"journeys distribution {d.group} week {d.week} n", d.n))
    return out


def attack_process(doc: ResultsDocument, a: Any, label: str) -> None:
    """Process blocks across blocks: a transition contrast's probability times the person-periods the
    transition tables give for its starting state; case-duration by-week shares times the group's n."""
    jr = doc.journeys
    for t in jr.transitions if jr is not None else ():
        for i, row in enumerate(t.counts):
            for j, v in enumerate(row):
                a.check(v, f"{label}: journeys {t.group} period {t.from_period} counts[{i}][{j}]")
    if jr is not None and jr.contrasts:
        # a row of a transition table adds up to the state's head count at the period start: from the
        # row's cells, or else from the state distribution (share x n) at that week
        weeks = {"month": 4, "quarter": 13}.get(jr.period, 13)
        dist = {(d.group, d.week, d.state): d for d in jr.distribution}
        exposure: dict[tuple[str, str], float | None] = {}
        for t in jr.transitions:
            if ":" in t.group:
                continue
            for i, state in enumerate(jr.states):
                row, key = t.counts[i], (t.group, state)
                total = None if any(v is None for v in row) else sum(row)
                d = dist.get((t.group, t.from_period * weeks, state))
                if total is None and d is not None and d.share is not None and d.n is not None:
                    total = round(d.share * d.n)
                exposure[key] = None if total is None or (key in exposure and exposure[key] is None) \
                    else (exposure.get(key) or 0) + total
        for r in jr.contrasts:
            for f, g in (("p_treated", "treated"), ("p_control", "comparison")):
                a.implied(getattr(r, f), exposure.get((g, r.from_state)),
                          f"{label}: journeys contrast {r.from_state} -> {r.to_state} {f} x person-periods")
    if doc.case_duration is not None:
        for an in doc.case_duration.analyses:
            for w in an.by_week:
                for f, n in (("share_treated", an.n_treated), ("share_control", an.n_control)):
                    a.implied(w.get(f), n, f"{label}: case_duration {an.outcome} week {w.get('week')} {f}")
