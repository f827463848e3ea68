"""What a press release says (raw before/after per area) and the 2x2 difference in differences."""

from __future__ import annotations

import numpy as np

from evaltool.areas.panel import AreaPanel
from evaltool.areas.result import EstimateRow, normal_row
from evaltool.exceptions import EstimationError

__all__ = ["before_after", "did_2x2"]


def before_after(panel: AreaPanel, alpha: float = 0.05) -> tuple[list[dict], EstimateRow]:
    """Raw change per treated area from the period before its start to the last period.

    Beside each area's change stands the average change of the never-treated areas over the same
    periods and the difference (a per-area 2x2 without SE). The returned row is the mean raw
    change over treated areas; it has no comparison, so its SE (spread across treated areas,
    ``se_type='between-area spread of raw changes'``) says nothing about the effect.
    """
    ym = panel.matrix("y")
    pop = panel.matrix("pop")
    per = panel.periods
    g = panel.unit_g
    never = g == 0
    rows, changes = [], []
    for i in np.flatnonzero(g > 0):
        pos = int(np.searchsorted(per, g[i]))
        if pos == 0:
            continue
        b, e = pos - 1, len(per) - 1
        change = ym[i, e] - ym[i, b]
        comp = float(np.mean(ym[never, e] - ym[never, b])) if never.any() else float("nan")
        changes.append(change)
        rows.append({"unit": str(panel.units[i]), "first_treated": int(g[i]), "period_before": int(per[b]),
                     "period_after": int(per[e]), "before": float(ym[i, b]), "after": float(ym[i, e]),
                     "change": float(change), "comparison_change": comp,
                     "difference_vs_comparison": float(change - comp),
                     "population_before": float(pop[i, b]), "population_after": float(pop[i, e]),
                     "n_comparison_units": int(never.sum())})
    if not rows:
        raise EstimationError("before_after: no treated area has a period before its start")
    ch = np.array(changes)
    se = float(np.std(ch, ddof=1) / np.sqrt(len(ch))) if len(ch) > 1 else float("nan")
    row = normal_row("before_after", float(ch.mean()), se, "between-area spread of raw changes (no comparison)",
                     len(ch), len(ch), alpha, df=len(ch) - 1 if len(ch) > 1 else None)
    return rows, row


def did_2x2(panel: AreaPanel, alpha: float = 0.05) -> EstimateRow:
    """2x2 DiD: areas starting in the first start period vs never-treated areas, all periods before vs after.

    ``tau = [mean_post(Y_tr) - mean_pre(Y_tr)] - [mean_post(Y_co) - mean_pre(Y_co)]`` with equal
    weights for areas and periods (R synthdid's ``did_estimate``). Later-starting areas are left
    out. SE: Welch's standard error of the difference in per-area (post - pre) means, t with
    Welch-Satterthwaite df.
    """
    ym = panel.matrix("y")
    g = panel.unit_g
    first = int(g[g > 0].min())
    pos = int(np.searchsorted(panel.periods, first))
    if pos == 0:
        raise EstimationError("did_2x2: the first treated areas start in the first period; no pre-period")
    tr, co = g == first, g == 0
    if not co.any():
        raise EstimationError("did_2x2: needs never-treated comparison areas (first_treated 0/empty)")
    diff = ym[:, pos:].mean(axis=1) - ym[:, :pos].mean(axis=1)
    est = float(diff[tr].mean() - diff[co].mean())
    v1 = np.var(diff[tr], ddof=1) / tr.sum() if tr.sum() > 1 else 0.0
    v0 = np.var(diff[co], ddof=1) / co.sum() if co.sum() > 1 else 0.0
    se = float(np.sqrt(v1 + v0))
    parts = [(v, k - 1) for v, k in ((v1, tr.sum()), (v0, co.sum())) if k > 1 and v > 0]
    df = (v1 + v0) ** 2 / sum(v ** 2 / d for v, d in parts) if parts else None
    return normal_row("did_2x2", est, se, "Welch SE of per-area (post - pre) differences", int(tr.sum() + co.sum()),
                      int(tr.sum()), alpha, group=first, df=df)
