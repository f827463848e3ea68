"""The headline: what a manager reads first and a statistician can sign (issue 17, part 1).

One sentence per headline outcome (every outcome measured in percentage points that
disclosure control lets the report show): both group levels, the effect in percentage
points with its 95 % CI, the same effect in persons (effect × number of treated, with
the CI in persons) and as a relative change; then a verdict in words a manager can
repeat, built from the same p-value basis as the tables (the adjusted p-value when the
config declares a multiple-testing adjustment). A one-line process finding follows when
the results hold process indicators. The summary sheet shows the headline figure: all
headline effects with their CIs on one axis (inline SVG with a title as alt text).

Counts in persons are rounded to whole persons; any of them below the disclosure
threshold (``min_cell``) is shown as ``<min_cell`` (primary suppression).
"""

from __future__ import annotations

import math
from typing import Any

from evaltool.report import figures as fg
from evaltool.report._env import ReportEnv
from evaltool.report.comparison import lock_in
from evaltool.report.disclosure import suppressed_fields
from evaltool.report.formatting import MINUS
from evaltool.results.schema import EffectRow

__all__ = ["headline", "persons", "verdict_key", "MAX_HEADLINE"]

MAX_HEADLINE = 6


def persons(effect_pp: float | None, n_treated: int | None) -> int | None:
    """The effect in persons: ``effect_pp / 100 × n_treated``, rounded half away from zero."""
    if effect_pp is None or n_treated is None or not math.isfinite(effect_pp):
        return None
    x = effect_pp / 100.0 * n_treated
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def verdict_key(sig: str, estimate: float) -> str:
    """Catalogue key of the verdict: ``headline.verdict.{up,down,uncertain_up,uncertain_down,none}``."""
    up = estimate > 0
    if sig == "adjusted":
        return "headline.verdict.up" if up else "headline.verdict.down"
    if sig == "nominal":
        return "headline.verdict.uncertain_up" if up else "headline.verdict.uncertain_down"
    return "headline.verdict.none"


def _count_text(env: ReportEnv, n: int | None) -> tuple[str, bool]:
    """A count of persons for running text: ``"<5"`` below the threshold (suppressed), else formatted."""
    if n is None:
        return env.fmt.count(None), False
    if abs(n) < env.min_cell:
        return f"<{env.min_cell}", True
    return env.fmt.count(abs(n)), False


def _signed_count(env: ReportEnv, n: int | None) -> tuple[str, bool]:
    text, hidden = _count_text(env, n)
    if hidden or n is None or n == 0:
        return text, hidden
    return (env.fmt.signed(float(n), 0)), False


def _signed_percent(env: ReportEnv, x: float) -> str:
    """``+19 %`` / ``−11 %`` (whole percent, explicit sign)."""
    r = round(x) + 0
    sign = "+" if r > 0 else MINUS if r < 0 else "\u00b1"
    return sign + env.fmt.percent(abs(r), 0)


def _sentence(env: ReportEnv, e: EffectRow) -> dict[str, Any]:
    _, fmt, f = env._, env.fmt, env.findings
    label = env.labels.outcome(e.outcome)
    sig = f.significance(e)
    n = None if "n_treated" in suppressed_fields(e) else e.n_treated
    est_p, lo_p, hi_p = (persons(x, n) for x in (e.estimate, e.ci_low, e.ci_high))
    p_text, p_hidden = _count_text(env, est_p)
    lo_text, lo_hidden = _signed_count(env, lo_p)
    hi_text, hi_hidden = _signed_count(env, hi_p)
    direction = "more" if e.estimate > 0 else "fewer" if e.estimate < 0 else "same"
    parts = [_("headline.levels", label=label, treated=fmt.percent(e.mean_treated),
               control=fmt.percent(e.mean_control))]
    parts.append(_("headline.effect_pp", diff=f.diff(e), ci=f.ci(e)))
    if est_p is not None:
        plural = "one" if abs(est_p) == 1 else "other"
        parts.append(_(f"headline.persons.{direction}.{plural}", n=p_text, lo=lo_text, hi=hi_text,
                       n_treated=fmt.count(n)))
    if e.relative_change is not None and math.isfinite(e.relative_change):
        parts.append(_("headline.relative", rel=_signed_percent(env, e.relative_change * 100)))
    sentence = " ".join(parts)
    verdict = _(verdict_key(sig, e.estimate), method=env.labels.code("adjust", env.results.config.adjust))
    return {"outcome": e.outcome, "label": label, "text": sentence, "verdict": verdict, "significance": sig,
            "direction": "up" if e.estimate > 0 else "down" if e.estimate < 0 else "none",
            "suppressed": p_hidden or lo_hidden or hi_hidden}


def _process_line(env: ReportEnv) -> str | None:
    for r in env.results.process:
        marks = suppressed_fields(r)
        if r.mean_treated is None or r.mean_control is None or "mean_treated" in marks or "mean_control" in marks:
            continue
        return env._("headline.process", label=env._.label(r.label, r.indicator),
                     treated=env.fmt.number(r.mean_treated), control=env.fmt.number(r.mean_control))
    return None


def headline(env: ReportEnv) -> dict[str, Any] | None:
    """The headline block of the summary sheet, or ``None`` when no headline outcome can be shown."""
    _ = env._
    shown, _withheld = env.visible_effects()
    pp = [e for e in shown if e.unit == "pp" and not env.findings.hidden(e) and e.estimate is not None]
    pp = pp[:MAX_HEADLINE]
    if not pp:
        return None
    items = [_sentence(env, e) for e in pp]
    adjust = env.results.config.adjust or "none"
    basis = (_("headline.basis.adjusted", method=env.labels.code("adjust", adjust)) if adjust != "none"
             else _("headline.basis.unadjusted"))
    names = [it["label"] for it in items]
    alt = _("headline.figure.alt", n=env.fmt.count(len(items)), outcomes="; ".join(
        f"{it['label']}: {env.findings.diff(e)} ({env.findings.ci(e)})" for it, e in zip(items, pp)))
    svg = fg.effects_plot("fig-headline", alt, names, [e.estimate for e in pp], [e.ci_low for e in pp],
                          [e.ci_high for e in pp], {"x": _("fig.effects.x")}, env.num)
    notes = [basis]
    lock = lock_in(env)
    if lock:
        notes.append(lock)
    if any(it["suppressed"] for it in items):
        notes.append(_("note.suppressed", m=env.min_cell))
    return {"title": _("headline.title"), "items": items, "process": _process_line(env),
            "figure": {"id": "fig-headline", "caption": _("headline.figure.caption"), "svg": svg, "table": None,
                       "ref": "tab-effects", "ref_text": _("headline.figure.numbers")},
            "notes": notes}

