"""Report chapters of the process analyses (issue 16): target-group mapping, citizen journeys (with an
alluvial figure), case duration, process effects held against CFBU's advice, and cost per additional
person. Each is its own chapter in the table of contents (:func:`process_toc`), after "Implementation".

Built from the *controlled* blocks ``mapping``, ``journeys``, ``case_duration``, ``process`` and
``cost`` (see :mod:`evaltool.report.process_disclosure`); numbers are formatted here for the report's
language, templates only render (``templates/_process_chapters.html``).
"""

from __future__ import annotations

from typing import Any

from evaltool.report.journey_figure import alluvial_svg, drawn_flows
from evaltool.report.tables import pretty, table

__all__ = ["process_analyses", "process_toc", "CHAPTER_IDS"]

#: chapter id -> the catalogue key of its title, in report order
CHAPTER_IDS = (("mapping", "map.title"), ("journeys", "proc.journeys.title"), ("case-duration", "proc.duration.title"),
               ("process-effects", "proc.effects.title"), ("cost", "proc.cost.title"))

ADVICE = (("no_shows", ("no_show_rate", "cancellation_rate")),
          ("meetings", ("meetings_held", "meetings_scheduled", "spontaneous_visits", "days_to_first_meeting")),
          ("one_consultant", ("n_caseworkers", "continuity_index", "own_caseworker_share")))


def _label(_: Any, prefix: str, code: str) -> str:
    key = f"{prefix}.{code}"
    return _(key) if key in _.messages else pretty(code)


def _ind(env: Any, r: Any) -> str:
    """The indicator's label: the row's own ``{da, en}`` label, else the catalogue's ``proc.ind.*``."""
    return env._.label(r.label, "") if r.label else _label(env._, "proc.ind", r.indicator)


def _effect_text(env: Any, r: Any) -> str:
    c, _ = env.cells, env._
    if r.estimate is None:
        return _("proc.effect.hidden", label=_ind(env, r))
    unit = _("proc.unit.pp") if r.unit == "pp" else ""
    return _("proc.effect.line", label=_ind(env, r),
             treated=c.cell(r, "mean_treated", "mean", unit=r.unit)["text"],
             control=c.cell(r, "mean_control", "mean", unit=r.unit)["text"],
             diff=env.fmt.signed(r.estimate, 1), unit=unit, ci=c.ci(r)["text"])


def _journeys(env: Any, jr: Any) -> dict[str, Any]:
    c, _ = env.cells, env._
    rows = []
    for r in jr.contrasts:
        rows.append({"head": f"{_label(_, 'proc.state', r.from_state)} → {_label(_, 'proc.state', r.to_state)}",
                     "cells": [c.cell(r, "p_treated", "share"), c.cell(r, "p_control", "share"),
                               c.cell(r, "estimate", "signed", 1, scale=100), c.ci(r, 1, scale=100)]})
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
            "pathways": pathways, "figures": [f for f in (_alluvial(env, jr, g) for g in ("treated", "comparison"))
                                              if f is not None]}


def _alluvial(env: Any, jr: Any, group: str) -> dict[str, Any] | None:
    """One group's alluvial figure and its data table (the flows drawn: published counts of at least min_cell)."""
    _, m = env._, env.min_cell
    steps = sorted((t for t in jr.transitions if t.group == group), key=lambda t: t.from_period)
    if not steps:
        return None
    L = {"month": 4, "quarter": 13}[jr.period]
    weeks = [t.from_period * L for t in steps] + [steps[-1].to_period * L]
    columns = [_("proc.fig.week", week=str(w)) for w in weeks]
    states = [_label(_, "proc.state", s) for s in jr.states]
    flows = drawn_flows([t.counts for t in steps], m)
    if not any(f.any() for f in flows):
        return None
    gname = _(f"proc.group.{group}")
    title = _("proc.fig.alluvial.title", group=gname, first=columns[0], last=columns[-1], m=str(m))
    svg = alluvial_svg(f"fig-alluvial-{group}", title, columns, states, [t.counts for t in steps], m,
                       _("proc.fig.persons"))
    rows = []
    for k, f in enumerate(flows):
        rows.append({"group": f"{columns[k]} → {columns[k + 1]}"})
        for a in range(len(states)):
            for b in range(len(states)):
                if f[a, b] > 0:
                    rows.append({"head": f"{states[a]} → {states[b]}",
                                 "cells": [env.cells.plain(env.fmt.count(int(f[a, b])), True)]})
    data = table(f"tab-alluvial-{group}", _("proc.fig.alluvial.table", group=gname), ["", _("map.col.n")], rows,
                 [_("proc.fig.alluvial.note", m=str(m))])
    return {"id": f"fig-alluvial-{group}", "caption": _("proc.fig.alluvial.caption", group=gname, m=str(m)),
            "svg": svg, "table": data, "ref": None}


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
    main = [r for r in effects if r.subgroup is None]
    contacts = {r.indicator: r for r in main if r.source == "contacts"}
    advice = []
    for key, indicators in ADVICE:
        lines = [_effect_text(env, contacts[i]) for i in indicators if i in contacts]
        if lines:
            advice.append({"title": _(f"proc.advice.{key}.title"), "text": _(f"proc.advice.{key}.text"),
                           "lines": lines})
    sources = list(dict.fromkeys(r.source for r in main))
    rows = []
    for src in sources:
        if len(sources) > 1:
            rows.append({"group": _(f"proc.source.{src}") if f"proc.source.{src}" in _.messages else ""})
        rows += [{"head": _ind(env, r),
                  "cells": [c.cell(r, "mean_treated", "mean", unit=r.unit),
                            c.cell(r, "mean_control", "mean", unit=r.unit), c.cell(r, "estimate", "effect"), c.ci(r)]}
                 for r in main if r.source == src]
    t = table("tab-process-effects", _("proc.effects.caption"),
              ["", _("col.treated"), _("col.comparison"), _("col.difference"), _("col.ci")], rows,
              [_("proc.effects.note"), c.sup_note()])
    return {"text": _("proc.effects.text"), "advice": advice, "table": t}


def _cost(env: Any, cost: Any) -> dict[str, Any]:
    c, _, f = env.cells, env._, env.fmt
    rows = []
    for r in cost.per_outcome:
        label = env.labels.outcome(r.outcome) if hasattr(env.labels, "outcome") else pretty(r.outcome)
        rows.append({"head": label, "cells": [
            c.cell(r, "effect", "signed", 1, scale=100),
            c.cell(r, "cost_per_additional_estimate", "number", 0),
            c.ci(r, 0, low="cost_per_additional_ci_low", high="cost_per_additional_ci_high",
                 high_text=None if r.bounded else _("proc.cost.unbounded"))]})
    t = table("tab-cost", _("proc.cost.caption", currency=cost.currency),
              ["", _("col.difference_pp"), _("col.cost_per_additional"), _("col.ci")], rows, [_("proc.cost.note")])
    return {"text": _("proc.cost.text", unit=f.number(cost.cost_per_participant, 0),
                      comparison=f.number(cost.comparison_cost_per_participant, 0),
                      extra=f.number(cost.extra_cost_per_participant, 0), currency=cost.currency), "table": t}


def _mapping(env: Any, m: Any) -> dict[str, Any]:
    from evaltool.report.mapping_tables import mapping_tables

    return mapping_tables(m, env.language)


def _present(env: Any) -> list[str]:
    r = env.results
    on = {"mapping": r.mapping is not None, "journeys": r.journeys is not None,
          "case-duration": r.case_duration is not None,
          "process-effects": any(p.method is not None or p.suppressed for p in r.process),
          "cost": r.cost is not None}
    return [cid for cid, _key in CHAPTER_IDS if on[cid]]


def process_toc(env: Any, toc: list[dict[str, str]]) -> list[dict[str, str]]:
    """``toc`` with the process chapters after "implementation" (numbered chapters renumbered)."""
    keys = dict(CHAPTER_IDS)
    extra = [{"id": cid, "number": "", "title": env._(keys[cid])} for cid in _present(env)]
    if not extra:
        return toc
    ids = [e["id"] for e in toc]
    at = ids.index("implementation") + 1 if "implementation" in ids else len([e for e in toc if e["number"].isdigit()])
    out, k = [], 0
    for e in toc[:at] + extra + toc[at:]:  # new entries; appendices keep their letters
        if e["number"] == "" or e["number"].isdigit():
            k += 1
            e = {**e, "number": str(k)}
        out.append(e)
    return out


def process_analyses(env: Any) -> dict[str, Any] | None:
    """The process chapters' content (``None`` when the study ran no process analysis)."""
    present = _present(env)
    if not present:
        return None
    r = env.results
    return {"mapping": _mapping(env, r.mapping) if "mapping" in present else None,
            "journeys": _journeys(env, r.journeys) if "journeys" in present else None,
            "duration": _duration(env, r.case_duration) if "case-duration" in present else None,
            "process": _process(env, r.process) if "process-effects" in present else None,
            "cost": _cost(env, r.cost) if "cost" in present else None}
