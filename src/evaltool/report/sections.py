"""Chapter builders: summary, effort, target group, implementation, results, balance, subgroups.

Each builder takes a :class:`~evaltool.report._env.ReportEnv` and returns a
plain dict of formatted strings, tables and figures for its template partial.
"""

from __future__ import annotations

from typing import Any

from evaltool.report.disclosure import suppressed_fields
from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.formatting import SUPPRESSED
from evaltool.report.tables import table
from evaltool.results.schema import EffectRow, PropensityHistogram, SampleSizes, TimeToEventBlock, TrajectoryRow

__all__ = ["summary", "effort", "target_group", "process", "results_chapter", "balance", "subgroups",
           "figure"]

TABLE_EVERY = 13  # weeks between rows of the week-by-week figure tables


def figure(id_: str, caption: str, svg: str, data: dict | None = None, ref: str | None = None) -> dict[str, Any]:
    """A figure: inline SVG, caption, and either its own data table or a reference to a table shown above."""
    return {"id": id_, "caption": caption, "svg": svg, "table": data, "ref": ref}


def _n(env: ReportEnv) -> SampleSizes:
    return env.results.design.n


def summary(env: ReportEnv) -> dict[str, Any]:
    _, fmt, n = env._, env.fmt, _n(env)
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


def _families(env: ReportEnv, effects: list[EffectRow]) -> list[tuple[str, list[EffectRow]]]:
    fams: dict[tuple, list[EffectRow]] = {}
    for e in effects:
        o = env.labels.outcomes.get(e.outcome)
        if o is not None and o.kind in ("status_at", "any", "share") and o.horizon is not None:
            fams.setdefault((o.kind, tuple(o.categories), e.unit), []).append(e)
    out = []
    for (kind, cats, _unit), members in fams.items():
        horizons = {env.labels.outcomes[m.outcome].horizon for m in members}
        if len(horizons) >= 2:
            members = sorted(members, key=lambda m: env.labels.outcomes[m.outcome].horizon)
            name = env.findings.join([env.labels.category(cat) for cat in cats]) or env._(f"kind.{kind}")
            out.append((name, members))
    return out


def _over_time(env: ReportEnv, effects: list[EffectRow]) -> dict | None:
    """Effects at every horizon (26/52/104/156 weeks): outcome families measured at two or more horizons,
    and each time-to-event outcome's effect on the share with the event by week k."""
    _, c = env._, env.cells
    series, rows = [], []
    for name, members in _families(env, effects):
        hz = [env.labels.outcomes[m.outcome].horizon for m in members]
        series.append((name, hz, [m.estimate for m in members], [m.ci_low for m in members],
                       [m.ci_high for m in members]))
        rows.append({"group": name})
        for h, m in zip(hz, members):
            rows.append({"head": _("week_n", week=env.fmt.count(h)), "tag": None,
                         "cells": [c.cell(m, "estimate", "effect"), c.ci(m)]})
    for tte in env.results.time_to_event:
        points = [b for b in tte.by_week if b.estimate is not None and not suppressed_fields(b)]
        if len(points) < 2:
            continue
        o = env.labels.outcomes.get(tte.outcome)
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


def _trajectory_categories(env: ReportEnv, traj: tuple[TrajectoryRow, ...], k: int = 4) -> list[str]:
    """Up to ``k`` statuses to draw: those the outcomes count first, then the most common ones."""
    present = {r.category for r in traj}
    chosen = [cat for o in env.results.outcomes for cat in o.categories if cat in present]
    totals: dict[str, float] = dict.fromkeys(sorted(present), 0.0)
    for r in traj:
        totals[r.category] += r.share or 0.0
    chosen += sorted(present, key=lambda cat: (-totals[cat], cat))
    return list(dict.fromkeys(chosen))[:k]


def _trajectories(env: ReportEnv) -> dict | None:
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


def _km(env: ReportEnv) -> list[dict]:
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
            "trajectories": _trajectories(env), "km": _km(env)}


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
    _, c, n = env._, env.cells, _n(env)
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


def subgroups(env: ReportEnv) -> dict[str, Any] | None:
    subs = env.results.subgroups
    if not subs:
        return None
    _, c = env._, env.cells
    tests = {(t.outcome, t.variable): t for t in env.results.subgroup_tests}
    blocks = []
    for k, outcome in enumerate(dict.fromkeys(s.outcome for s in subs)):
        label = env.labels.outcome(outcome)
        rows, forest, current = [], [], None
        for s in (s for s in subs if s.outcome == outcome):
            if s.variable != current:
                current = s.variable
                test = tests.get((outcome, current))
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
