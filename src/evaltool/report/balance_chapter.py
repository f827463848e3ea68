"""The balance chapter: the balance table and Love plot, propensity overlap, and the sample flow."""

from __future__ import annotations

from typing import Any

from evaltool.report.disclosure import suppressed_fields
from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.formatting import SUPPRESSED
from evaltool.report.tables import figure, table
from evaltool.results.schema import PropensityHistogram

__all__ = ["balance"]


def balance(env: ReportEnv) -> dict[str, Any]:
    _, c = env._, env.cells
    bal = env.results.balance
    rows, terms, before, after = [], [], [], []
    for r in bal.rows:
        kind = "share" if r.type == "binary" else "number"
        dec = 1 if kind == "share" else 2
        terms.append(env.labels.term(r.term))
        before.append(r.smd_before)
        after.append(r.smd_after)
        rows.append({"head": terms[-1], "tag": _("tag.imbalanced") if r.flag else None,
                     "cells": [c.cell(r, "mean_treated_before", kind, dec), c.cell(r, "mean_control_before", kind, dec),
                               c.cell(r, "smd_before", "number", 2), c.cell(r, "mean_treated_after", kind, dec),
                               c.cell(r, "mean_control_after", kind, dec), c.cell(r, "smd_after", "number", 2),
                               c.cell(r, "var_ratio_after", "number", 2)]})
    thr = bal.threshold
    t = table("tab-balance", _("balance.caption"),
              ["", _("col.treated_before"), _("col.comparison_before"), _("col.smd_before"),
               _("col.treated_after"), _("col.comparison_after"), _("col.smd_after"), _("col.var_ratio")],
              rows, [_("balance.note", thr=env.fmt.number(thr, 2))])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    figs = []
    if rows:
        svg = fg.love_plot("fig-love", _("fig.love.title"), terms, before, after, thr,
                           {"before": _("before"), "after": _("after"), "x": _("fig.love.x")}, env.num)
        figs.append(figure("fig-love", _("fig.love.caption", thr=env.fmt.number(thr, 2)), svg, ref=t["id"]))
    ps = env.results.propensity
    if ps is not None and ps.bins:
        figs.append(_propensity(env, ps))
    return {"text": _("balance.text"), "table": t, "figures": figs, "sample": _sample_flow(env)}


def _propensity(env: ReportEnv, ps: PropensityHistogram) -> dict:
    _, c = env._, env.cells
    edges = ps.bins
    panels = [(_("fig.ps.before"), list(ps.treated), list(ps.control_all)),
              (_("fig.ps.after"), list(ps.treated), list(ps.control_matched))]
    svg = fg.propensity_overlap("fig-ps", _("fig.ps.title"), edges, panels,
                                {"treated": _("group.treated"), "comparison": _("group.comparison"),
                                 "x": _("fig.ps.x"), "y": _("fig.ps.y"), "pct": _("pct_suffix")}, env.num)
    marks = suppressed_fields(ps)
    rows = []
    for i in range(len(edges) - 1):
        cells = []
        for series in ps.SERIES:
            vals = getattr(ps, series)
            rule = marks.get(f"{series}.{i}")
            if rule:
                cells.append({"text": f"<{env.min_cell}" if rule == "count" else SUPPRESSED, "num": True, "sup": True})
            else:
                cells.append(c.plain(env.fmt.count(vals[i] if i < len(vals) else None), True))
        rows.append({"head": f"{env.fmt.number(edges[i], 2)}–{env.fmt.number(edges[i + 1], 2)}", "tag": None,
                     "cells": cells})
    t = table("tab-ps", _("fig.ps.title"), [_("col.ps_bin"), _("col.n_treated"), _("col.n_pool"),
                                            _("col.n_control")], rows)
    if marks:
        t["notes"].append(c.sup_note())
    return figure("fig-ps", _("fig.ps.caption"), svg, t)


def _sample_flow(env: ReportEnv) -> dict:
    _, c, n = env._, env.cells, env.results.design.n
    rows = []
    for key in ("all", "matched", "discarded", "unmatched"):
        rows.append({"head": _(f"flow.{key}"), "tag": None,
                     "cells": [c.cell(n, f"treated_{key}", "count"), c.cell(n, f"control_{key}", "count")]})
    rows.append({"head": _("flow.ess"), "tag": None,
                 "cells": [c.cell(n, "ess_treated", "number", 0), c.cell(n, "ess_control", "number", 0)]})
    t = table("tab-flow", _("flow.caption"), ["", _("group.treated"), _("group.comparison")], rows)
    design = env.results.design
    asked = env.results.config.design.estimand
    if design.estimand and asked and design.estimand != asked:
        keys = ("treated_unmatched", "treated_discarded")
        lost = sum(int(getattr(n, k) or 0) for k in keys)
        if lost < env.min_cell or any(k in suppressed_fields(n) for k in keys):  # disclosure: no small count
            t["notes"].append(_("flow.estimand_changed_some", asked=asked, now=design.estimand))
        else:
            t["notes"].append(_("flow.estimand_changed", asked=asked, now=design.estimand,
                                n=env.fmt.count(lost)))
    elif design.estimand_note:
        t["notes"].append(design.estimand_note)
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return t
