"""Report chapters of the process analyses (issue 16): citizen journeys, case duration, process
effects held against CFBU's advice, and cost per additional person.

Built from the *controlled* ``process_analyses`` block (see :mod:`evaltool.report.process_disclosure`);
numbers are formatted here for the report's language, templates only render
(``templates/_process_chapters.html``).
"""

from __future__ import annotations

from typing import Any

from evaltool.report.tables import pretty, table

__all__ = ["process_analyses"]

ADVICE = (("no_shows", ("no_show_rate", "cancellation_rate")),
          ("meetings", ("meetings_held", "meetings_scheduled", "spontaneous_visits", "days_to_first_meeting")),
          ("one_consultant", ("n_caseworkers", "continuity_index", "own_caseworker_share")))


def _label(_: Any, prefix: str, code: str) -> str:
    key = f"{prefix}.{code}"
    return _(key) if key in _.messages else pretty(code)


def _effect_text(env: Any, r: Any) -> str:
    c, _ = env.cells, env._
    if r.estimate is None:
        return _("proc.effect.hidden", label=_label(_, "proc.ind", r.indicator))
    unit = _("proc.unit.pp") if r.unit == "pp" else ""
    return _("proc.effect.line", label=_label(_, "proc.ind", r.indicator),
             treated=c.cell(r, "mean_treated", "mean", unit=r.unit)["text"],
             control=c.cell(r, "mean_control", "mean", unit=r.unit)["text"],
             diff=env.fmt.signed(r.estimate, 1), unit=unit, ci=c.ci(r)["text"])


def _journeys(env: Any, jr: Any) -> dict[str, Any]:
    c, _ = env.cells, env._
    rows = []
    for r in jr.contrasts:
        rows.append({"head": f"{_label(_, 'proc.state', r.from_state)} → {_label(_, 'proc.state', r.to_state)}",
                     "cells": [c.cell(r, "p_treated", "share"), c.cell(r, "p_control", "share"),
                               c.plain(env.fmt.signed(None if r.estimate is None else 100 * r.estimate, 1), True),
                               c.plain(_("ci", low=env.fmt.number(100 * r.ci_low, 1), high=env.fmt.number(
                                   100 * r.ci_high, 1)) if r.ci_low is not None else "–", True)]})
    contrasts = table("tab-journey-contrasts", _("proc.journeys.contrasts.caption"),
                      ["", _("col.treated"), _("col.comparison"), _("col.difference_pp"), _("col.ci")], rows,
                      [_("proc.journeys.contrasts.note")]) if rows else None
    prow = []
    for group in ("treated", "comparison"):
        prow.append({"group": _(f"proc.group.{group}")})
        for p in [p for p in jr.pathways if p.group == group][:5]:
            path = " → ".join(_label(_, "proc.state", s.strip()) for s in p.pathway.split("→"))
            prow.append({"head": path, "cells": [c.cell(p, "n", "count"), c.cell(p, "share", "share")]})
    pathways = table("tab-journey-pathways", _("proc.journeys.pathways.caption"),
                     ["", _("map.col.n"), _("map.col.share")], prow, [c.sup_note()])
    return {"text": _("proc.journeys.text", period=_(f"proc.period.{jr.period}")), "contrasts": contrasts,
            "pathways": pathways}


def _duration(env: Any, cd: Any) -> dict[str, Any]:
    c, _ = env.cells, env._
    rows = []
    for r in cd.summary:
        med = c.plain(env.fmt.number(r.median, 0) + (f" ({_('ci', low=env.fmt.number(r.median_ci_low, 0), high=env.fmt.number(r.median_ci_high, 0))})" if r.median_ci_low is not None and r.median_ci_high is not None else ""), True)
        rmst = c.plain(env.fmt.number(r.rmst, 1) + f" ({_('ci', low=env.fmt.number(r.rmst_ci_low, 1), high=env.fmt.number(r.rmst_ci_high, 1))})", True)
        rows.append({"head": f"{_label(_, 'proc.duration', r.outcome)}: {_(f'proc.group.{r.group}')}",
                     "cells": [med, rmst]})
    diffs = []
    for a in cd.analyses:
        d = a.restricted_mean.get("difference") if isinstance(a.restricted_mean, dict) else None
        if d and d.get("estimate") is not None:
            diffs.append(_("proc.duration.diff", outcome=_label(_, "proc.duration", a.outcome),
                           tau=str(a.restricted_mean.get("tau")), diff=env.fmt.signed(d["estimate"], 1),
                           ci=_("ci", low=env.fmt.number(d["ci_low"], 1), high=env.fmt.number(d["ci_high"], 1))))
    t = table("tab-case-duration", _("proc.duration.caption"), ["", _("col.median_weeks"), _("col.rmst_weeks")],
              rows, [_("proc.duration.note")])
    return {"text": _("proc.duration.text"), "table": t, "diffs": diffs}


def _process(env: Any, effects: tuple) -> dict[str, Any]:
    c, _ = env.cells, env._
    main = {r.indicator: r for r in effects if r.subgroup is None}
    advice = []
    for key, indicators in ADVICE:
        lines = [_effect_text(env, main[i]) for i in indicators if i in main]
        if lines:
            advice.append({"title": _(f"proc.advice.{key}.title"), "text": _(f"proc.advice.{key}.text"),
                           "lines": lines})
    rows = [{"head": _label(_, "proc.ind", r.indicator),
             "cells": [c.cell(r, "mean_treated", "mean", unit=r.unit), c.cell(r, "mean_control", "mean", unit=r.unit),
                       c.cell(r, "estimate", "effect"), c.ci(r)]} for r in main.values()]
    t = table("tab-process-effects", _("proc.effects.caption"),
              ["", _("col.treated"), _("col.comparison"), _("col.difference"), _("col.ci")], rows,
              [_("proc.effects.note"), c.sup_note()])
    return {"text": _("proc.effects.text"), "advice": advice, "table": t}


def _cost(env: Any, cost: Any) -> dict[str, Any]:
    c, _, f = env.cells, env._, env.fmt
    rows = []
    for r in cost.per_outcome:
        label = env.labels.outcome(r.outcome) if hasattr(env.labels, "outcome") else pretty(r.outcome)
        hi = f.number(r.cost_per_additional_ci_high, 0) if r.bounded else _("proc.cost.unbounded")
        rows.append({"head": label, "cells": [
            c.plain(f.signed(None if r.effect is None else 100 * r.effect, 1), True),
            c.plain(f.number(r.cost_per_additional_estimate, 0), True),
            c.plain(_("ci", low=f.number(r.cost_per_additional_ci_low, 0), high=hi)
                    if r.cost_per_additional_ci_low is not None else "–", True)]})
    t = table("tab-cost", _("proc.cost.caption", currency=cost.currency),
              ["", _("col.difference_pp"), _("col.cost_per_additional"), _("col.ci")], rows, [_("proc.cost.note")])
    return {"text": _("proc.cost.text", unit=f.number(cost.cost_per_participant, 0),
                      comparison=f.number(cost.comparison_cost_per_participant, 0),
                      extra=f.number(cost.extra_cost_per_participant, 0), currency=cost.currency), "table": t}


def process_analyses(env: Any) -> dict[str, Any] | None:
    """The process chapters' content (``None`` when the study ran no process analysis)."""
    pa = env.results.process_analyses
    if pa is None:
        return None
    return {"title": env._("proc.chapter"),
            "journeys": None if pa.journeys is None else _journeys(env, pa.journeys),
            "duration": None if pa.case_duration is None else _duration(env, pa.case_duration),
            "process": _process(env, pa.effects) if pa.effects else None,
            "cost": None if pa.cost is None else _cost(env, pa.cost)}
