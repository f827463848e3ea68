"""The subgroups chapter: per outcome, the subgroup effects table (with the heterogeneity test of
each variable) and, in the final report, a forest plot.
"""

from __future__ import annotations

from typing import Any

from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.tables import figure, table

__all__ = ["subgroups"]


def subgroups(env: ReportEnv) -> dict[str, Any] | None:
    subs = env.results.subgroups
    if not subs:
        return None
    _, c = env._, env.cells
    blocks = []
    for k, outcome in enumerate(dict.fromkeys(s.outcome for s in subs)):
        label = env.labels.outcome(outcome)
        rows, forest, current = [], [], None
        for s in (s for s in subs if s.outcome == outcome):
            if s.variable != current:
                current = s.variable
                test = env.results.subgroup_test(outcome, current)
                head = env.labels.variable(current)
                if test is not None:
                    head += " " + _("subgroups.test", stat=env.fmt.number(test.statistic, 2),
                                    df=env.fmt.count(test.df), p=env.fmt.p_expr(test.p_value))
                rows.append({"group": head})
                forest.append((env.labels.variable(current), None, None, None, True))
            unit = s.unit
            rows.append({"head": env.labels.level(s.level), "tag": None,
                         "cells": [c.cell(s, "mean_treated", "mean", unit=unit),
                                   c.cell(s, "mean_control", "mean", unit=unit), c.cell(s, "estimate", "effect"),
                                   c.ci(s), c.cell(s, "p_value", "p"), c.cell(s, "n_treated", "count"),
                                   c.cell(s, "n_control", "count")]})
            forest.append(("   " + env.labels.level(s.level), s.estimate, s.ci_low, s.ci_high, False))
        t = table(f"tab-sub-{k + 1}", _("subgroups.caption", label=label),
                  ["", _("col.treated"), _("col.comparison"), _("col.difference_unit"), _("col.ci"), _("col.p"),
                   _("col.n_treated"), _("col.n_control")], rows, [_("subgroups.note")])
        if c.any_suppressed([t]):
            t["notes"].append(c.sup_note() + " " + _("note.secondary"))
        block = {"label": label, "table": t, "figure": None}
        if env.final:
            key = f"fig-forest-{k + 1}"
            main = env.results.effect(outcome)
            overall = None if main is None else main.estimate
            svg = fg.forest_plot(key, _("fig.forest.title", label=label), forest, overall,
                                 {"x": _("fig.effects.x"), "overall": _("fig.forest.overall")}, env.num)
            block["figure"] = figure(key, _("fig.forest.caption", label=label.lower()), svg, ref=t["id"])
        blocks.append(block)
    return {"text": _("subgroups.text"), "blocks": blocks}
