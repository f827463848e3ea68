"""The week-by-week figures of the results chapter: status trajectories and Kaplan-Meier curves.

Each figure comes with a data table of every :data:`TABLE_EVERY`-th week, cells disclosure-marked.
"""

from __future__ import annotations

from evaltool.report.disclosure import suppressed_fields
from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.tables import figure, table
from evaltool.results.schema import TimeToEventBlock, TrajectoryRow

__all__ = ["trajectories_figure", "km_figures", "TABLE_EVERY"]

TABLE_EVERY = 13  # weeks between rows of the week-by-week figure tables


def _trajectory_categories(env: ReportEnv, traj: tuple[TrajectoryRow, ...], k: int = 4) -> list[str]:
    """Up to ``k`` statuses to draw: those the outcomes count first, then the most common ones."""
    present = {r.category for r in traj}
    chosen = [cat for o in env.results.outcomes for cat in o.categories if cat in present]
    totals: dict[str, float] = dict.fromkeys(sorted(present), 0.0)
    for r in traj:
        totals[r.category] += r.share or 0.0
    chosen += sorted(present, key=lambda cat: (-totals[cat], cat))
    return list(dict.fromkeys(chosen))[:k]


def trajectories_figure(env: ReportEnv) -> dict | None:
    traj = env.results.trajectories
    if not traj:
        return None
    _, c = env._, env.cells
    cats = _trajectory_categories(env, traj)
    weeks = sorted({r.week for r in traj})
    look = {(r.group, r.category, r.week): r for r in traj}

    def share(group: str, cat: str, week: int) -> float | None:
        r = look.get((group, cat, week))
        return None if r is None else r.share

    panels = [(env.labels.category(cat), [share("treated", cat, w) for w in weeks],
               [share("comparison", cat, w) for w in weeks]) for cat in cats]
    svg = fg.trajectories_plot("fig-trajectories", _("fig.traj.title"), weeks, panels,
                               {"treated": _("group.treated"), "comparison": _("group.comparison"),
                                "x": _("fig.traj.x"), "pct": _("pct_suffix"), "hidden": _("fig.traj.hidden")},
                               env.num)
    # the parallel-trends reading is offered only where the weeks before the start are all shown
    gaps_before = any(w < 0 and (t is None or k is None) for _n, tr, co in panels
                      for w, t, k in zip(weeks, tr, co))
    cols = [_("col.week")]
    for cat in cats:
        lab = env.labels.category(cat)
        cols += [f"{lab}: {_('group.treated_short')}", f"{lab}: {_('group.comparison_short')}"]
    rows = []
    for w in weeks:
        if w % TABLE_EVERY:
            continue
        cells = []
        for cat in cats:
            cells += [c.cell(look.get(("treated", cat, w)), "share", "share"),
                      c.cell(look.get(("comparison", cat, w)), "share", "share")]
        rows.append({"head": env.fmt.count(w), "tag": None, "cells": cells})
    t = table("tab-trajectories", _("fig.traj.title"), cols, rows, [_("note.every", weeks=TABLE_EVERY)])
    if any(c["sup"] for r in rows for c in r["cells"]) or any(
            "share" in suppressed_fields(r) for r in traj):
        t["notes"].append(c.sup_note() + " " + _("note.gaps"))
    fig = figure("fig-trajectories", _("fig.traj.caption"), svg, t)
    fig["text"] = _("results.trajectories_text_gaps" if gaps_before else "results.trajectories_text")
    return fig


def _km_summary(env: ReportEnv, tte: TimeToEventBlock) -> list[str]:
    """Median weeks to the event per group, and the effect on the share with the event by week k."""
    _, f, out = env._, env.fmt, []
    parts = []
    for m in tte.median:
        if suppressed_fields(m):
            continue
        group = _group(env, m.group)
        if m.median is None:
            parts.append(_("km.median_none", group=group))
        else:
            ci = _("ci", low=f.number(m.ci_low, 0), high=f.number(m.ci_high, 0))
            parts.append(_("km.median_group", group=group, median=f.number(m.median, 0), ci=ci))
    if parts:
        out.append(_("km.median", groups="; ".join(parts)))
    for b in tte.by_week:
        if suppressed_fields(b) or b.estimate is None:
            continue
        out.append(_("km.by_week", week=f.count(b.week), diff=f.signed(100 * b.estimate),
                     ci=_("ci", low=f.number(100 * b.ci_low), high=f.number(100 * b.ci_high)),
                     p=f.p_expr(b.p_value)))
    return out


def _group(env: ReportEnv, group: str) -> str:
    """A group name of a time-to-event block in the report's language (known groups only)."""
    key = f"group.{group}"
    return env._(key) if key in env._.messages else group


def km_figures(env: ReportEnv) -> list[dict]:
    _, c, out = env._, env.cells, []
    for i, tte in enumerate(env.results.time_to_event):
        groups = list(dict.fromkeys(p.group for p in tte.km))
        if not groups:
            continue
        curves, rows = [], []
        for g in groups:
            pts = [p for p in tte.km if p.group == g]
            curves.append((_group(env, g), [p.week for p in pts], [p.survival for p in pts]))
        label = env.labels.outcome(tte.outcome)
        key = f"fig-km-{i + 1}"
        svg = fg.km_plot(key, _("fig.km.title", label=label), curves,
                         {"x": _("fig.traj.x"), "y": _("fig.km.y"), "pct": _("pct_suffix")}, env.num)
        by = {(p.group, p.week): p for p in tte.km}
        weeks = sorted({p.week for p in tte.km})
        for w in weeks:
            if w % TABLE_EVERY:
                continue
            cells = []
            for g in groups:
                p = by.get((g, w))
                cum = None if p is None or p.survival is None else 1 - p.survival
                cells += [c.plain(env.fmt.share(cum), True) if "survival" not in suppressed_fields(p)
                          else c.cell(p, "survival"), c.cell(p, "at_risk", "count")]
            rows.append({"head": env.fmt.count(w), "tag": None, "cells": cells})
        cols = [_("col.week")]
        for name, _w, _s in curves:
            cols += [f"{name}: {_('col.cum_share')}", f"{name}: {_('col.at_risk')}"]
        notes = [_("note.every", weeks=TABLE_EVERY)]
        cox = tte.cox
        if cox is not None:
            notes.append(_("km.cox", hr=env.fmt.number(cox.hazard_ratio, 2),
                           ci=_("ci", low=env.fmt.number(cox.ci_low, 2), high=env.fmt.number(cox.ci_high, 2)),
                           p=env.fmt.p_expr(cox.p_value)))
        notes += _km_summary(env, tte)
        if any(cell["sup"] for r in rows for cell in r["cells"]):
            notes.append(c.sup_note())
        t = table(f"tab-km-{i + 1}", _("fig.km.title", label=label), cols, rows, notes)
        out.append(figure(key, _("fig.km.caption", label=label.lower()), svg, t))
    return out
