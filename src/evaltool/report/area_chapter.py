"""The area chapter: the housing areas' development against the comparison areas, formatted.

:func:`area_chapter` turns the controlled ``area`` block into what ``templates/_area.html`` shows:
(a) the trend figure (treated areas, their mean, the comparison mean, synthetic paths), (b) the event
study with 95 % intervals and the reference period, (c) the estimates table, (d) the raw before/after
change in plain words beside the comparison areas' change and the estimated effect, (e) the
identifying assumptions (and why TWFE and Callaway-Sant'Anna differ under staggered starts), (f) the
pre-trend test in words. :func:`area_summary` and :func:`area_appendix` serve area-only reports.
Rates (all values in [0, 1]) are shown in percent and their differences in percentage points.
"""

from __future__ import annotations

from typing import Any

from evaltool.report._env import ReportEnv
from evaltool.report.area_disclosure import hidden_areas
from evaltool.report.area_figures import event_plot, trend_plot
from evaltool.report.formatting import DASH, SUPPRESSED
from evaltool.report.tables import table
from evaltool.results.areas import AreaBlock, AreaEstimateRow

__all__ = ["area_chapter", "area_summary", "area_appendix", "is_area_only"]

_EST = ("before_after", "did_2x2", "twfe", "event_study", "callaway_santanna", "synthetic_control", "synthetic_did")
_SE = (("cluster-robust", "cluster"), ("classical", "classical"), ("wild cluster", "wild"),
       ("randomization inference", "ri"), ("analytic influence", "influence"), ("multiplier", "multiplier"),
       ("placebo", "placebo"), ("jackknife", "jackknife"), ("bootstrap", "bootstrap"), ("welch", "welch"),
       ("between-area", "spread"))


def is_area_only(env: ReportEnv) -> bool:
    """An area-only study: an area block and no person data."""
    r = env.results
    return r.area is not None and r.data_report.n_read is None and not r.effects


def _rate(b: AreaBlock) -> bool:
    vals = [p.value for p in b.trends if p.value is not None]
    return bool(vals) and all(0.0 <= v <= 1.0 for v in vals)


class _Fmt:
    def __init__(self, env: ReportEnv, rate: bool) -> None:
        self.env, self.rate = env, rate

    def level(self, v: float | None) -> str:
        return self.env.fmt.share(v) if self.rate else self.env.fmt.number(v, 2)

    def diff(self, v: float | None, signed: bool = True) -> str:
        x = None if v is None else (v * 100 if self.rate else v)
        return self.env.fmt.signed(x) if signed else self.env.fmt.number(None if x is None else abs(x))

    def unit(self) -> str:
        return " " + self.env._("area.pp") if self.rate else ""


def _se_words(env: ReportEnv, se_type: str) -> str:
    low = se_type.lower()
    for prefix, key in _SE:
        if prefix in low:
            return env._(f"area.se.{key}")
    return env._("area.se.other")


def _outcome(env: ReportEnv, b: AreaBlock) -> str:
    key = f"area.outcome.{b.outcome}"
    return env._(key) if key in env._.messages else env._("area.outcome.default")


def _ci(env: ReportEnv, f: _Fmt, r: AreaEstimateRow) -> str:
    return env._("ci", low=f.diff(r.ci_low), high=f.diff(r.ci_high))


def _shown_estimates(b: AreaBlock) -> list[AreaEstimateRow]:
    rows = [r for r in b.estimates if r.event_time is None and r.estimate is not None]
    rows = [r for r in rows if not (r.estimator == "callaway_santanna" and (r.group is not None or r.period is not None))]
    return sorted(rows, key=lambda r: _EST.index(r.estimator) if r.estimator in _EST else len(_EST))


def _estimates_table(env: ReportEnv, b: AreaBlock, f: _Fmt) -> dict:
    _ = env._
    rows = []
    for r in _shown_estimates(b):
        agg = _(f"area.agg.{r.aggregation}") if r.aggregation else DASH
        cells = [{"text": agg, "num": False, "sup": False},
                 {"text": f.diff(r.estimate), "num": True, "sup": False},
                 {"text": _ci(env, f, r), "num": True, "sup": False},
                 {"text": _se_words(env, r.se_type), "num": False, "sup": False},
                 {"text": f"{env.fmt.count(r.n_units)} ({env.fmt.count(r.n_treated_units)})", "num": True,
                  "sup": False}]
        rows.append({"head": _(f"area.est.{r.estimator}"), "cells": cells})
    notes = [_("area.table_note_pp") if f.rate else _("area.table_note_units")]
    return table("tab-area-estimates", _("area.table_caption"),
                 ["", _("area.col.aggregation"), _("area.col.estimate"), _("col.ci"), _("area.col.se"),
                  _("area.col.units")], rows, notes)


def _trend_figure(env: ReportEnv, b: AreaBlock, f: _Fmt) -> dict | None:
    _ = env._
    order = list(dict.fromkeys((p.series, p.kind) for p in b.trends))  # (series, kind) in order of appearance
    if not order:
        return None
    periods = sorted({p.period for p in b.trends})
    values = {k: dict.fromkeys(periods) for k in order}  # a value per series and period (None: not observed)
    for p in b.trends:
        values[(p.series, p.kind)][p.period] = p.value
    series = [(s if kind == "area" else _(f"area.series.{kind}"), kind, [values[(s, kind)][t] for t in periods])
              for s, kind in order]
    starts = sorted({r.first_treated for r in b.populations if r.first_treated > 0})
    title = _("area.fig_trends", outcome=_outcome(env, b))
    svg = trend_plot("area-trends", title, periods, series, starts[0] if starts else None, _("area.start"),
                     _outcome(env, b), env.num, f.rate)
    rows = [{"head": str(t), "cells": [{"text": f.level(values[k][t]), "num": True,
                                        "sup": values[k][t] is None} for k in order]} for t in periods]
    tb = table("tab-area-trends", title, [""] + [name for name, _k, _v in series], rows)
    return {"id": "fig-area-trends", "svg": svg, "caption": title, "ref": None, "table": tb}


def _event_figure(env: ReportEnv, b: AreaBlock, f: _Fmt) -> dict | None:
    _ = env._
    series, rows = [], []
    for est in ("event_study", "callaway_santanna"):
        pts = sorted((r for r in b.estimates if r.estimator == est and r.event_time is not None
                      and r.aggregation in (None, "dynamic")), key=lambda r: r.event_time)
        if not pts:
            continue
        k = 100 if f.rate else 1
        sc = lambda v: None if v is None else v * k  # noqa: E731
        series.append((_(f"area.est.{est}"), [r.event_time for r in pts], [sc(r.estimate) for r in pts],
                       [sc(r.ci_low) for r in pts], [sc(r.ci_high) for r in pts]))
        rows += [{"head": f"{_(f'area.est.{est}')}, {env.fmt.signed(r.event_time, 0) if r.event_time else '0'}",
                  "cells": [{"text": f.diff(r.estimate), "num": True, "sup": False},
                            {"text": _ci(env, f, r), "num": True, "sup": False}]} for r in pts]
    if not series:
        return None
    ref = b.spec.reference_period
    title = _("area.fig_event")
    svg = event_plot("area-event", title, series, ref, _("area.reference", k=env.fmt.signed(ref, 0)),
                     _("area.event_x"), _("area.event_y_pp") if f.rate else _("area.event_y"), env.num)
    tb = table("tab-area-event", title, ["", _("area.col.estimate"), _("col.ci")], rows)
    return {"id": "fig-area-event", "svg": svg, "caption": title + " " + _("area.fig_event_note", k=env.fmt.signed(ref, 0)),
            "ref": None, "table": tb}


def _before_after(env: ReportEnv, b: AreaBlock, f: _Fmt) -> list[str]:
    _ = env._
    head = b.headline()
    effect = (_("area.effect", est=f.diff(head.estimate), unit=f.unit(), ci=_ci(env, f, head),
                method=_(f"area.est.{head.estimator}").lower()) if head is not None else _("area.no_effect"))
    out = []
    for r in b.before_after:
        if r.before is None or r.after is None:
            continue
        cmp_change = r.comparison_change
        own = "fell" if r.change < 0 else "rose"
        if cmp_change is None:
            other = ""
        else:
            same = (cmp_change < 0) == (r.change < 0)
            other = _(f"area.cmp_{'fell' if cmp_change < 0 else 'rose'}_{'also' if same else 'while'}",
                      diff=f.diff(cmp_change, signed=False), unit=f.unit())
        out.append(_(f"area.ba_{own}", outcome=_outcome(env, b), area=r.unit, before=f.level(r.before),
                     after=f.level(r.after), y0=str(r.period_before), y1=str(r.period_after),
                     diff=f.diff(r.change, signed=False), unit=f.unit()) + other + " " + effect)
    return out


def _assumptions(env: ReportEnv, b: AreaBlock, f: _Fmt) -> list[str]:
    present = [e for e in _EST if any(r.estimator == e for r in b.estimates)]
    items = [f"{env._(f'area.est.{e}')}: {env._.label(b.assumptions[e], '')}" for e in present if e in b.assumptions]
    starts = {r.first_treated for r in b.populations if r.first_treated > 0}
    tw = next((r for r in _shown_estimates(b) if r.estimator == "twfe" and r.std_error is not None), None)
    cs = next((r for r in _shown_estimates(b) if r.estimator == "callaway_santanna" and r.aggregation == "simple"), None)
    if len(starts) > 1 and tw is not None and cs is not None:
        items.append(env._("area.staggered", twfe=f.diff(tw.estimate), cs=f.diff(cs.estimate), unit=f.unit(),
                           n=env.fmt.count(len(starts))))
    return items


def _pretrend(env: ReportEnv, b: AreaBlock) -> str | None:
    pt = b.pretrend_test
    if pt is None or pt.pvalue is None:
        return None
    verdict = "area.pretrend_reject" if pt.pvalue < b.spec.alpha else "area.pretrend_ok"
    return env._("area.pretrend", n=env.fmt.count(pt.n_leads), p=env.fmt.p_expr(pt.pvalue)) + " " + env._(verdict)


def area_chapter(env: ReportEnv) -> dict[str, Any] | None:
    """Everything the area chapter shows (None without an area block)."""
    b = env.results.area
    if b is None:
        return None
    f = _Fmt(env, _rate(b))
    hidden = sorted(hidden_areas(b))
    return {"intro": env._("area.intro", n=env.fmt.count(b.n_units), treated=env.fmt.count(b.n_treated_units),
                           outcome=_outcome(env, b).lower()),
            "before_after": _before_after(env, b, f), "trends": _trend_figure(env, b, f),
            "event": _event_figure(env, b, f), "table": _estimates_table(env, b, f),
            "assumptions": _assumptions(env, b, f), "pretrend": _pretrend(env, b),
            "hidden": env._("area.hidden.one" if len(hidden) == 1 else "area.hidden",
                            n=env.fmt.count(len(hidden)), min_cell=env.min_cell) if hidden else None}


def area_summary(env: ReportEnv) -> dict[str, Any]:
    """The summary of an area-only report, built from the area headline."""
    b = env.results.area
    f = _Fmt(env, _rate(b))
    items = _before_after(env, b, f)[:1]
    if not items:
        head = b.headline()
        items = [env._("area.effect", est=f.diff(head.estimate), unit=f.unit(), ci=_ci(env, f, head),
                       method=env._(f"area.est.{head.estimator}").lower()) if head is not None
                 else env._("area.no_effect")]
    pre = _pretrend(env, b)
    return {"intro": env._("area.summary_intro", n=env.fmt.count(b.n_units), treated=env.fmt.count(b.n_treated_units)),
            "items": items + ([pre] if pre else []), "caveat": env._("area.summary_caveat")}


def area_appendix(env: ReportEnv) -> dict[str, Any]:
    """Method and data appendices of an area-only report: the recipe and the areas' residents."""
    b, _ = env.results.area, env._
    s = b.spec
    items = [(_("area.app.methods"), ", ".join(_(f"area.est.{m}") for m in s.methods if m in _EST)),
             (_("area.app.periods"), f"{env.fmt.count(b.n_periods)} ({b.time})"),
             (_("area.app.reference"), env.fmt.signed(s.reference_period, 0)),
             (_("area.app.control"), _(f"area.control.{s.control_group}")),
             (_("area.app.seed"), str(b.seed))]
    rows = []
    for r in b.populations:
        mark = r.suppressed.get("population_min")  # the disclosure rule that hid it, if any
        sup = mark is not None
        ft = r.first_treated
        residents = None if r.population_min is None else int(r.population_min)
        rows.append({"head": r.unit, "cells": [
            {"text": str(ft) if ft else _("area.never"), "num": False, "sup": False},
            {"text": f"<{env.min_cell}" if mark == "area" else SUPPRESSED if sup else env.fmt.count(residents),
             "num": True, "sup": sup}]})
    tb = table("tab-area-populations", _("area.app.pop_caption"), ["", _("area.col.start"), _("area.col.residents")],
               rows)
    return {"items": items, "table": tb}
