"""Honest midterm–final comparison and the lock-in explanation (issue 17, part 2).

Every comparison sentence states, for both evaluations, the effect with its 95 % CI and
whether it is statistically significant *on the same p-value basis as the results
tables* (the adjusted p-value when the config declares a multiple-testing adjustment,
else the unadjusted one; the basis is said in words). When the adjusted p-value says
"not significant" while the unadjusted 95 % CI beside it excludes zero, the sentence
says so, so it never contradicts the interval. Changes of estimand (ATT/ATM, with the
number of participants without a match), of cohort (the midterm cohort is a subset of
the final one) and of follow-up are flagged; counts below the disclosure threshold are
shown as ``<min_cell``.

Lock-in: when an early (≤ 52 weeks) effect on self-support is negative while the effect
on internships/wage subsidy is positive, a note explains the lock-in effect.
"""

from __future__ import annotations

from typing import Any

from evaltool.report._env import ReportEnv
from evaltool.report.disclosure import suppressed_fields
from evaltool.report.findings import ALPHA
from evaltool.results.schema import EffectRow, ResultsDocument

__all__ = ["basis", "claim", "change", "flags", "lock_in", "comparison_extras", "SELF_SUPPORT", "PLACEMENT"]

SELF_SUPPORT = frozenset({"self_support", "selvforsoergelse"})
PLACEMENT = frozenset({"internship_wage_subsidy", "virksomhedspraktik", "loentilskud", "praktik_loentilskud"})
EARLY_WEEKS = 52


def basis(env: ReportEnv) -> str:
    """The p-value basis of every significance statement, in words."""
    adjust = env.results.config.adjust or "none"
    if adjust == "none":
        return env._("cmp.basis.unadjusted")
    return env._("cmp.basis.adjusted", method=env.labels.code("adjust", adjust))


def claim(e: EffectRow, adjust: str) -> str:
    """``"yes"``, ``"no"`` or ``"nominal"`` (unadjusted CI excludes zero, adjusted p does not) on the tables' basis."""
    if adjust == "none" or e.p_value_adj is None:
        return "yes" if e.p_value is not None and e.p_value < ALPHA else "no"
    if e.p_value_adj < ALPHA:
        return "yes"
    return "nominal" if e.p_value is not None and e.p_value < ALPHA else "no"


def _part(env: ReportEnv, e: EffectRow, adjust: str) -> str:
    f, fmt = env.findings, env.fmt
    c = claim(e, adjust)
    if adjust == "none" or e.p_value_adj is None:
        sig = env._(f"cmp.sig.raw.{'yes' if c == 'yes' else 'no'}", p=fmt.p_expr(e.p_value))
    else:
        sig = env._(f"cmp.sig.adj.{c}", method=env.labels.code("adjust", adjust),
                    p_adj=fmt.p_expr(e.p_value_adj, env._("cmp.p_adj_name")))
    return env._("cmp.part", diff=f.diff(e), ci=f.ci(e), sig=sig)


def change(env: ReportEnv, mid: EffectRow, fin: EffectRow, mid_adjust: str) -> str:
    """One sentence per outcome: the midterm and the final effect, each with its significance."""
    label = env.labels.outcome(fin.outcome)
    if env.findings.hidden(mid) or env.findings.hidden(fin):
        return env._("compare.suppressed", label=label)
    adjust = env.results.config.adjust or "none"
    text = env._("cmp.line", label=label, mid=_part(env, mid, mid_adjust), fin=_part(env, fin, adjust))
    if mid.estimate != 0 and fin.estimate != 0 and (mid.estimate > 0) != (fin.estimate > 0):
        text += " " + env._("compare.sign_flip")
    return text


def _count(env: ReportEnv, n: int | None) -> str:
    if n is None:
        return env.fmt.count(None)
    return f"<{env.min_cell}" if 0 < n < env.min_cell else env.fmt.count(n)


def _dropped(env: ReportEnv, doc: ResultsDocument) -> str:
    """Participants without a comparison person; ``<min_cell`` when disclosure control hid a part of it."""
    n = doc.design.n
    if any(k in suppressed_fields(n) for k in ("treated_unmatched", "treated_discarded")):
        return f"<{env.min_cell}"
    if n.treated_unmatched is None and n.treated_discarded is None:
        return env.fmt.count(None)
    return _count(env, (n.treated_unmatched or 0) + (n.treated_discarded or 0))


def flags(env: ReportEnv, mid: ResultsDocument) -> list[str]:
    """What differs between the two evaluations besides the data: estimand, p-value basis, cohort, follow-up."""
    _, fin = env._, env.results
    out = []
    e_mid, e_fin = mid.design.estimand or "ATT", fin.design.estimand or "ATT"
    if e_mid != e_fin:
        out.append(_("cmp.flag.estimand", mid=env.labels.code("estimand", e_mid),
                     fin=env.labels.code("estimand", e_fin), n_mid=_dropped(env, mid),
                     n_fin=_dropped(env, fin)))
    a_mid, a_fin = mid.config.adjust or "none", fin.config.adjust or "none"
    if a_mid != a_fin:
        out.append(_("cmp.flag.adjust", mid=env.labels.code("adjust", a_mid), fin=env.labels.code("adjust", a_fin)))
    n_mid, n_fin = mid.design.n.treated_matched, fin.design.n.treated_matched
    if n_mid is not None and n_fin is not None:
        key = "cmp.flag.cohort" if n_mid <= n_fin else "cmp.flag.cohort_smaller"
        out.append(_(key, mid=_count(env, n_mid), fin=_count(env, n_fin)))
    w_mid, w_fin = mid.study.followup_weeks, fin.study.followup_weeks
    if w_mid is not None and w_fin is not None and w_mid != w_fin:
        out.append(_("cmp.flag.followup", mid=_weeks(env, w_mid), fin=_weeks(env, w_fin)))
    return out


def _weeks(env: ReportEnv, n: int) -> str:
    return env._("cmp.weeks.one" if n == 1 else "cmp.weeks.other", n=env.fmt.count(n))


def lock_in(env: ReportEnv) -> str | None:
    """The lock-in note, when an early negative self-support effect meets more internships/wage subsidy."""
    early, placement = [], []
    for e in env.results.effects:
        o = env.results.outcome(e.outcome)
        if o is None or e.estimate is None or env.findings.hidden(e) or e.subgroup is not None:
            continue
        cats = set(o.categories)
        # only effects whose interval agrees: "lower"/"more" is not said of an interval that crosses zero
        item = env._("cmp.lock_in.item", outcome=env.labels.outcome(e.outcome), effect=env.fmt.signed(e.estimate))
        if (cats and cats <= SELF_SUPPORT and o.horizon is not None and o.horizon <= EARLY_WEEKS
                and e.estimate < 0 and e.ci_high is not None and e.ci_high < 0):
            early.append(item)
        if cats & PLACEMENT and o.kind == "any" and e.estimate > 0 and e.ci_low is not None and e.ci_low > 0:
            placement.append(item)
    if not early or not placement:
        return None
    return env._("cmp.lock_in", early=env.findings.join(early), placement=env.findings.join(placement))


def comparison_extras(env: ReportEnv, mid: ResultsDocument | None) -> dict[str, Any]:
    """Basis sentence, flags and lock-in note for the comparison chapter."""
    return {"basis": basis(env), "flags": flags(env, mid) if mid is not None else [], "lock_in": lock_in(env)}

