"""The opening chapters: summary, the effort, the target group and implementation (process means).

Each builder takes a :class:`~evaltool.report._env.ReportEnv` and returns a plain dict of formatted
strings and tables for its template partial.
"""

from __future__ import annotations

from typing import Any

from evaltool.report.disclosure import suppressed_fields
from evaltool.report._env import ReportEnv
from evaltool.report.tables import table

__all__ = ["summary", "effort", "target_group", "process"]


def summary(env: ReportEnv) -> dict[str, Any]:
    _, fmt, n = env._, env.fmt, env.results.design.n
    shown, _withheld = env.visible_effects()
    estimand = env.results.design.estimand or "ATT"
    intro = _("summary.intro", n_treated=fmt.count(n.treated_matched),
              n_control=fmt.count(n.control_matched), estimand=env.labels.code("estimand", estimand))
    items = [env.findings.effect(e) for e in shown[:6]]
    more = _("summary.more", n=fmt.count(len(shown))) if len(shown) > 6 else None
    flagged = [r for r in env.results.balance.rows if r.flag]
    bal = (_("summary.balance_ok") if not flagged else
           _("summary.balance_flag", n=fmt.count(len(flagged)),
             terms=env.findings.join([env.labels.term(r.term) for r in flagged])))
    return {"intro": intro, "items": items, "more": more, "balance": bal,
            "preliminary": None if env.final else _("summary.preliminary"),
            "caveat": _("summary.caveat")}


def effort(env: ReportEnv) -> dict[str, Any]:
    st = env.results.study
    text = env._.label(st.effort, "")
    return {"text": text or env._("effort.missing"),
            "facts": [(env._("effort.municipality"), st.municipality or "–"),
                      (env._("effort.period"), st.period or "–")]}


def target_group(env: ReportEnv) -> dict[str, Any]:
    _, c, tg = env._, env.cells, env.results.target_group
    rows: list[dict] = []
    current = None
    for r in tg.by:
        if r.variable != current:
            current = r.variable
            rows.append({"group": env.labels.variable(current)})
        rows.append({"head": env.labels.level(r.level), "tag": None,
                     "cells": [c.cell(r, "n_treated", "count"), c.cell(r, "share_treated", "share"),
                               c.cell(r, "n_pool", "count"), c.cell(r, "share_pool", "share")]})
    rows.append({"head": _("total"), "tag": None, "total": True,
                 "cells": [c.cell(tg, "n_treated", "count"), c.plain(env.fmt.percent(100, 0), True),
                           c.cell(tg, "n_pool", "count"), c.plain(env.fmt.percent(100, 0), True)]})
    t = table("tab-target", _("target.caption"),
              ["", _("col.n_treated"), _("col.share_treated"), _("col.n_pool"), _("col.share_pool")], rows)
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    text = _("target.text", n_treated=env.fmt.count(tg.n_treated), n_pool=env.fmt.count(tg.n_pool))
    return {"text": text, "table": t}


def process(env: ReportEnv) -> dict[str, Any] | None:
    _, c = env._, env.cells
    rows = []
    for r in env.results.process:
        marks = suppressed_fields(r)
        hidden = "mean_treated" in marks or "mean_control" in marks
        diff = None if hidden or r.mean_treated is None else r.mean_treated - r.mean_control
        rows.append({"head": _.label(r.label, r.indicator), "tag": None,
                     "cells": [c.cell(r, "mean_treated", "number"), c.cell(r, "mean_control", "number"),
                               c.plain(env.fmt.signed(diff), True) if not hidden else c.cell(r, "mean_treated"),
                               c.cell(r, "n_treated", "count"), c.cell(r, "n_control", "count")]})
    if not rows:
        return None
    t = table("tab-process", _("process.caption"),
              ["", _("col.treated"), _("col.comparison"), _("col.difference"), _("col.n_treated"),
               _("col.n_control")], rows, [_("process.note")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return {"text": _("process.text"), "table": t}
