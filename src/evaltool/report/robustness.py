"""The robustness chapter ("Hvor robust er resultatet?"): hidden bias, placebos, the headline interval
and the specification curve, in plain language, from the controlled ``sensitivity`` block.

Numbers arrive formatted; a value suppressed by disclosure control is shown as ".." with a note.
When the study ran without a sensitivity block, the chapter says which analyses are not included.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.tables import table
from evaltool.results.sensitivity import ClusterRow, PlaceboRow, SensitivityBlock

__all__ = ["robustness", "speccurve_svg"]

SE_TYPES = ("pair", "cr1", "cr1_twoway", "wild_cluster_bootstrap", "randomization")


def robustness(env: ReportEnv) -> dict[str, Any]:
    """Context of the robustness chapter (see the module docstring)."""
    _, cfg = env._, env.results.config
    included = [_("robust.balance")]
    if cfg.adjust and cfg.adjust != "none":
        included.append(_("robust.adjust", method=env.labels.code("adjust", cfg.adjust)))
    if env.results.subgroups:
        included.append(_("robust.subgroups"))
    if env.results.time_to_event:
        included.append(_("robust.duration"))
    sens = env.results.sensitivity
    shown, _w = env.visible_effects()
    names = [e.outcome for e in shown if e.subgroup is None]
    out: dict[str, Any] = {"text": _("robust.intro"), "included": included, "hidden": None, "placebo": None,
                           "intervals": None, "curves": [], "absent": [_("robust.did_absent")],
                           "designs": _designs(env, names)}
    if sens is None:  # results of a run without the sensitivity stage: say what is not there
        out["text"] = _("robust.text")
        out["absent"].insert(0, _("robust.sensitivity_absent"))
        return out
    out["hidden"] = _hidden_bias(env, sens, names)
    out["placebo"] = _placebos(env, sens, names)
    out["intervals"] = _intervals(env, sens, names)
    out["curves"] = _curves(env, sens, names)
    for key, present in (("robust.absent_rosenbaum", bool(sens.rosenbaum)), ("robust.absent_evalue", bool(sens.evalue)),
                         ("robust.absent_placebo", bool(sens.placebo)), ("robust.absent_cluster", bool(sens.cluster)),
                         ("robust.absent_curve", bool(sens.specification_curve))):
        if not present:
            out["absent"].insert(-1, _(key))
    return out


def _designs(env: ReportEnv, names: list[str]) -> dict[str, Any] | None:
    """The main design's effects beside each comparison design's (``comparison_designs``)."""
    _, c, block = env._, env.cells, env.results.comparison_designs
    if block is None or not block.rows:
        return None
    rows = []
    for n in names:
        rows.append({"group": env.labels.outcome(n)})
        for r in (r for r in block.rows if r.outcome == n):
            rows.append({"head": _("robust.designs_main") if r.design == "main" else r.design, "tag": r.method,
                         "cells": [c.cell(r, "estimate", "effect"), c.ci(r), c.cell(r, "p_value", "p"),
                                   c.cell(r, "n_treated", "count"), c.cell(r, "n_control", "count")]})
    t = table("tab-designs", _("robust.designs_caption"),
              ["", _("col.difference_unit"), _("col.ci"), _("col.p"), _("col.n_treated"), _("col.n_control")],
              rows, [_("effects.note_units")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return {"text": _("robust.designs_text"), "table": t}


def _rows(rows, names: list[str]) -> list:
    by = {r.outcome: r for r in rows}
    return [by[n] for n in names if n in by]


def _hidden_bias(env: ReportEnv, sens: SensitivityBlock, names: list[str]) -> dict[str, Any] | None:
    _, fmt, c = env._, env.fmt, env.cells
    ros = {r.outcome: r for r in sens.rosenbaum}
    ev = {r.outcome: r for r in sens.evalue}
    alpha = sens.spec.alpha
    sentences, rows = [], []
    for n in names:
        r, e = ros.get(n), ev.get(n)
        if r is None and e is None:
            continue
        label = env.labels.outcome(n)
        if r is not None:
            if "gamma_critical" in r.suppressed:
                sentences.append(_("robust.gamma_suppressed", outcome=label))
            elif r.gamma_critical is not None:
                sentences.append(_("robust.gamma", outcome=label, gamma=fmt.number(r.gamma_critical, 2)))
            elif r.p_upper and r.p_upper[-1] is not None and r.p_upper[-1] < alpha:
                sentences.append(_("robust.gamma_beyond", outcome=label, gamma=fmt.number(r.gamma_grid[-1], 1)))
            else:
                sentences.append(_("robust.gamma_none", outcome=label))
        if e is not None and e.evalue is not None:
            key = "robust.evalue" if (e.evalue_ci or 1.0) > 1.0 else "robust.evalue_ci1"
            sentences.append(_(key, outcome=label, e=fmt.number(e.evalue, 2), eci=fmt.number(e.evalue_ci, 2)))
        gamma = (c.plain(_("robust.not_significant"), num=True) if r is not None and r.gamma_critical is None
                 and not r.suppressed and not (r.p_upper and r.p_upper[-1] is not None and r.p_upper[-1] < alpha)
                 else c.cell(r, "gamma_critical", "number", 2))
        rows.append({"head": label, "tag": None,
                     "cells": [gamma, c.cell(r, "n_sets", "count"), c.cell(e, "evalue", "number", 2),
                               c.cell(e, "evalue_ci", "number", 2)]})
    if not rows:
        return None
    t = table("tab-hidden-bias", _("robust.hidden_caption"),
              ["", _("col.gamma"), _("col.matched_sets"), _("col.evalue"), _("col.evalue_ci")], rows,
              [_("robust.hidden_note")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return {"text": _("robust.hidden_text"), "sentences": sentences, "table": t}


def _placebo_label(env: ReportEnv, r: PlaceboRow) -> str:
    if r.kind == "pre_period" and r.outcome.endswith("_pre"):
        return env._("robust.placebo_pre_label", outcome=env.labels.outcome(r.outcome[: -len("_pre")]))
    return env.labels.outcome(r.outcome)


def _placebos(env: ReportEnv, sens: SensitivityBlock, names: list[str]) -> dict[str, Any] | None:
    _, c = env._, env.cells
    if not sens.placebo:
        return None
    rows, outside = [], []
    for r in sens.placebo:
        label = _placebo_label(env, r)
        rows.append({"head": label, "tag": None if r.kind == "pre_period" else _(f"robust.placebo_kind.{r.kind}"),
                     "cells": [c.cell(r, "estimate", "effect"), c.ci(r), c.cell(r, "p_value", "p")]})
        if r.ci_low is not None and r.ci_high is not None and (r.ci_low > 0 or r.ci_high < 0):
            outside.append(label)
    t = table("tab-placebo", _("robust.placebo_caption"), ["", _("col.difference_unit"), _("col.ci"), _("col.p")], rows,
              [_("effects.note_units")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    fail = "robust.placebo_fail.one" if len(outside) == 1 else "robust.placebo_fail"
    verdict = (_(fail, n=env.fmt.count(len(outside)), outcomes=env.findings.join(outside))
               if outside else _("robust.placebo_ok"))
    return {"text": _("robust.placebo_text"), "verdict": verdict, "table": t}


def _intervals(env: ReportEnv, sens: SensitivityBlock, names: list[str]) -> dict[str, Any] | None:
    _, fmt, c = env._, env.fmt, env.cells
    if not sens.cluster:
        return None
    rows, reasons = [], []
    for n in names:
        got = {r.se_type: r for r in sens.cluster if r.outcome == n}
        if not got:
            continue
        rows.append({"group": env.labels.outcome(n)})
        for se in SE_TYPES:
            r: ClusterRow | None = got.get(se)
            if r is None:
                continue
            rows.append({"head": _(f"robust.se.{se}"), "tag": _("robust.headline_tag") if r.headline else None,
                         "cells": [c.cell(r, "estimate", "effect"), c.ci(r), c.cell(r, "p_value", "p")]})
        head = next((r for r in got.values() if r.headline), None)
        if head is not None and not reasons:
            few = head.se_type == "wild_cluster_bootstrap"
            reasons.append(_("robust.headline_few" if few else "robust.headline_many",
                             g=fmt.count(head.n_clusters), g1=fmt.count(head.n_treated_clusters)))
    if not rows:
        return None
    t = table("tab-intervals", _("robust.intervals_caption"), ["", _("col.difference_unit"), _("col.ci"), _("col.p")],
              rows, [_("effects.note_units")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return {"text": _("robust.intervals_text"), "why": " ".join(reasons), "table": t}


def _curves(env: ReportEnv, sens: SensitivityBlock, names: list[str]) -> list[dict[str, Any]]:
    _, fmt, c = env._, env.fmt, env.cells
    summary = {r.outcome: r for r in sens.specification_summary}
    out = []
    for i, n in enumerate(names):
        specs = sorted((r for r in sens.specification_curve if r.outcome == n and r.estimate is not None),
                       key=lambda r: (r.estimate, r.spec))
        if not specs:
            continue
        label = env.labels.outcome(n)
        key = f"fig-speccurve-{i + 1}"
        title = _("robust.curve_title", outcome=label)
        svg = speccurve_svg(key, title, [r.estimate for r in specs], [r.ci_low for r in specs],
                            [r.ci_high for r in specs], summary[n].headline if n in summary else None,
                            {"x": _("robust.curve_x"), "y": _("fig.effects.x")}, env.num)
        rows = [{"head": _describe(env, r), "tag": None,
                 "cells": [c.cell(r, "estimate", "effect"), c.ci(r), c.cell(r, "n_treated", "count"),
                           c.cell(r, "n_control", "count")]} for r in specs]
        data = table(f"tab-speccurve-{i + 1}", title, ["", _("col.difference_unit"), _("col.ci"), _("col.n_treated"),
                                                          _("col.n_control")], rows)
        s = summary.get(n)
        text = (_("robust.curve_text", outcome=label, n=fmt.count(s.n_estimable), low=fmt.signed(s.min),
                  high=fmt.signed(s.max), same=fmt.share(s.share_same_sign, 0),
                  sig=fmt.share(s.share_significant_same_sign, 0)) if s is not None and s.min is not None else "")
        out.append({"id": key, "caption": _("robust.curve_caption", outcome=label), "svg": svg, "table": data,
                    "ref": None, "text": text})
    return out


def _describe(env: ReportEnv, r) -> str:
    _, fmt = env._, env.fmt
    if r.design is not None:  # a comparison design's point (``comparison_designs:``), by its name
        return r.design
    caliper = _("robust.spec_caliper", value=fmt.number(r.caliper, 2)) if r.caliper is not None else _("robust.spec_no_caliper")
    parts = [caliper, _("robust.spec_ratio", ratio=fmt.count(r.ratio)),
             _("robust.spec_replace") if r.replace else _("robust.spec_no_replace")]
    if r.regression:
        parts.append(_("robust.spec_regression"))
    return ", ".join(parts)


def speccurve_svg(key: str, title: str, est: list, lo: list, hi: list, headline: float | None,
                  labels: dict[str, str], num) -> str:
    """Specification curve: every design's estimate with its 95 % CI, sorted by size; the headline dashed."""
    with plt.rc_context(fg._RC):
        fig, ax = plt.subplots(figsize=(6.0, 2.3))
        x = list(range(1, len(est) + 1))
        e, low, high = fg._nan(est), fg._nan(lo), fg._nan(hi)
        ax.vlines(x, low, high, color=fg.GREY, linewidth=1.2)
        sig = [(a > 0 or b < 0) for a, b in zip(low, high)]
        ax.scatter(x, e, color=[fg.TREATED if s else "white" for s in sig], edgecolors=fg.TREATED, s=24, zorder=3)
        ax.axhline(0, color="#444444", linewidth=0.9)
        if headline is not None:
            ax.axhline(headline, color=fg.COMPARISON, linewidth=1, linestyle="--")
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.set_xticks(x, [str(i) for i in x] if len(x) <= 30 else [""] * len(x))
        fg._axis_fmt(ax, num, "y", 1)
        return fg._svg(fig, key, title)
