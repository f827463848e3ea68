"""The results chapter: the effects table and figure, effects over time, trajectories, Kaplan-Meier.

:func:`results_chapter` returns the plain dict ``templates`` show for the chapter; the week-by-week
figures (status trajectories, Kaplan-Meier curves) come from :mod:`evaltool.report.weekly_figures`.
"""

from __future__ import annotations

from typing import Any

from evaltool.report.disclosure import suppressed_fields
from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.tables import figure, table
from evaltool.report.weekly_figures import km_figures, trajectories_figure
from evaltool.results.schema import EffectRow

__all__ = ["results_chapter"]


def _effects_table(env: ReportEnv, effects: list[EffectRow], id_: str, caption: str) -> dict:
    _, c = env._, env.cells
    rows = []
    tag = None if env.final else _("tag.preliminary")
    for e in effects:
        unit = e.unit
        rows.append({"head": env.labels.outcome(e.outcome), "tag": tag,
                     "cells": [c.cell(e, "mean_treated", "mean", unit=unit),
                               c.cell(e, "mean_control", "mean", unit=unit),
                               c.cell(e, "estimate", "effect"), c.ci(e), c.cell(e, "p_value", "p"),
                               c.cell(e, "p_value_adj", "p"), c.cell(e, "n_treated", "count"),
                               c.cell(e, "n_control", "count")]})
    adjust = env.labels.code("adjust", env.results.config.adjust)
    t = table(id_, caption, ["", _("col.treated"), _("col.comparison"), _("col.difference_unit"),
                             _("col.ci"), _("col.p"), _("col.p_adj"), _("col.n_treated"), _("col.n_control")],
              rows, [_("effects.note_units"), _("effects.note_adjust", method=adjust)])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    if any(e.estimate is None and "estimate" not in suppressed_fields(e) for e in effects):
        t["notes"].append(_("note.not_estimable"))
    return t


def _effects_figure(env: ReportEnv, effects: list[EffectRow], table_: dict) -> dict | None:
    pp = [e for e in effects if e.unit == "pp" and e.estimate is not None]
    if not pp:
        return None
    _ = env._
    title = _("fig.effects.title")
    svg = fg.effects_plot("fig-effects", title, [env.labels.outcome(e.outcome) for e in pp],
                          [e.estimate for e in pp], [e.ci_low for e in pp], [e.ci_high for e in pp],
                          {"x": _("fig.effects.x")}, env.num)
    return figure("fig-effects", _("fig.effects.caption"), svg, ref=table_["id"])


def _families(env: ReportEnv, effects: list[EffectRow]) -> list[tuple[str, list[tuple[EffectRow, int]]]]:
    """Effects on one family of outcomes (same kind, statuses and unit) at two or more horizons:
    ``(name, [(effect, horizon), ...])`` by horizon."""
    fams: dict[tuple, list[tuple[EffectRow, int]]] = {}
    for e in effects:
        o = env.results.outcome(e.outcome)
        if o is not None and o.kind in ("status_at", "any", "share") and o.horizon is not None:
            fams.setdefault((o.kind, tuple(o.categories), e.unit), []).append((e, o.horizon))
    out = []
    for (kind, cats, _unit), members in fams.items():
        if len({h for _e, h in members}) >= 2:
            members = sorted(members, key=lambda m: m[1])
            name = env.findings.join([env.labels.category(cat) for cat in cats]) or env._(f"kind.{kind}")
            out.append((name, members))
    return out


def _over_time(env: ReportEnv, effects: list[EffectRow]) -> dict | None:
    """Effects at every horizon (26/52/104/156 weeks): outcome families measured at two or more horizons,
    and each time-to-event outcome's effect on the share with the event by week k."""
    _, c = env._, env.cells
    series, rows = [], []
    for name, pairs in _families(env, effects):
        members, hz = [m for m, _h in pairs], [h for _m, h in pairs]
        series.append((name, hz, [m.estimate for m in members], [m.ci_low for m in members],
                       [m.ci_high for m in members]))
        rows.append({"group": name})
        for m, h in pairs:
            rows.append({"head": _("week_n", week=env.fmt.count(h)), "tag": None,
                         "cells": [c.cell(m, "estimate", "effect"), c.ci(m)]})
    for tte in env.results.time_to_event:
        points = [b for b in tte.by_week if b.estimate is not None and not suppressed_fields(b)]
        if len(points) < 2:
            continue
        o = env.results.outcome(tte.outcome)
        cats = env.findings.join([env.labels.category(cat) for cat in o.categories]) if o else ""
        name = _("fig.time.event", categories=cats or env.labels.outcome(tte.outcome))
        pct = [(100 * b.estimate, 100 * b.ci_low, 100 * b.ci_high) for b in points]
        series.append((name, [b.week for b in points], [p[0] for p in pct], [p[1] for p in pct],
                       [p[2] for p in pct]))
        rows.append({"group": name})
        for b, (est, lo, hi) in zip(points, pct):
            rows.append({"head": _("week_n", week=env.fmt.count(b.week)), "tag": None,
                         "cells": [c.plain(env.fmt.signed(est), True),
                                   c.plain(_("ci", low=env.fmt.number(lo), high=env.fmt.number(hi)), True)]})
    if not series:
        return None
    svg = fg.effect_over_time("fig-over-time", _("fig.time.title"), series,
                              {"x": _("fig.time.x"), "y": _("fig.effects.x")}, env.num)
    t = table("tab-over-time", _("fig.time.title"), ["", _("col.difference_unit"), _("col.ci")], rows)
    return figure("fig-over-time", _("fig.time.caption"), svg, t)


def results_chapter(env: ReportEnv) -> dict[str, Any]:
    _ = env._
    shown, withheld = env.visible_effects()
    caption = _("effects.caption") if env.final else _("effects.caption_mid")
    t = _effects_table(env, shown, "tab-effects", caption)
    return {"intro": _("results.intro") if env.final else _("results.intro_mid"),
            "preliminary": None if env.final else _("results.preliminary"),
            "withheld": [env.labels.outcome(name) for name in withheld],
            "withheld_text": _("results.withheld", weeks=env.fmt.count(env.followup)) if withheld else None,
            "table": t, "figure": _effects_figure(env, shown, t),
            "over_time": _over_time(env, shown),
            "trajectories": trajectories_figure(env), "km": km_figures(env)}
