"""Callaway & Sant'Anna (2021) group-time ATT(g,t) without covariates, aggregations and SEs.

For cohort ``g`` (areas first treated in ``g``) and period ``t`` with base period ``b``
(varying base, as R ``did``'s default: ``b = g - 1 - anticipation`` for ``t >= g - anticipation``,
else ``b = t - 1``):

    ATT(g,t) = E_w[Y_t - Y_b | G = g] - E_w[Y_t - Y_b | C]

with ``C`` the never-treated areas, or those not yet treated by ``t + anticipation``
(``G = 0`` or ``G > t + anticipation``, ``G != g``). The influence function of area ``i`` (``n``
areas, weights ``w`` normalised to mean 1) is
``psi_i = n w_i [1{G_i=g} (dY_i - m_g) / W_g - 1{i in C} (dY_i - m_C) / W_C]`` and
``se = sqrt(sum psi_i^2) / n``. Aggregations follow R ``did::aggte``: weights ``P(G = g)``,
with the extra influence term for estimating them (simple, dynamic per event time, calendar,
overall group); the overall dynamic and calendar effects average their parts with equal weights.
A multiplier bootstrap (Mammen or Rademacher draws per area) gives bootstrap SEs (IQR-based,
as ``did``) and the sup-t critical value of uniform bands for the event-time effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evaltool.areas.inference import draw_weights
from evaltool.areas.panel import AreaPanel
from evaltool.areas.result import EstimateRow, normal_row
from evaltool.exceptions import EstimationError

__all__ = ["CSResult", "callaway_santanna"]

SE_TYPE = "analytic influence function (R did)"


@dataclass(frozen=True)
class CSResult:
    """Group-time cells and their aggregations."""

    rows: tuple[EstimateRow, ...]
    groups: np.ndarray
    times: np.ndarray
    att: np.ndarray
    inf: np.ndarray            # n x cells
    uniform_band: tuple[dict, ...]
    uniform_crit: float | None
    n_units: int


def _se(psi: np.ndarray) -> np.ndarray:
    psi = psi.reshape(len(psi), -1)
    return np.sqrt(np.sum(psi ** 2, axis=0)) / len(psi)


def _wif(keep: np.ndarray, pg: np.ndarray, w: np.ndarray, unit_g: np.ndarray, cell_g: np.ndarray) -> np.ndarray:
    """Influence of estimating the aggregation weights ``P(G = g)`` (R did's ``wif``)."""
    ind = w[:, None] * (unit_g[:, None] == cell_g[keep][None, :]) - pg[keep][None, :]
    tot = pg[keep].sum()
    if1 = ind / tot
    if2 = ind.sum(axis=1)[:, None] * (pg[keep] / tot ** 2)[None, :]
    return if1 - if2


def _cells(panel: AreaPanel, control_group: str, anticipation: int, weighted: bool):
    ym = panel.matrix("y")
    per = panel.periods
    g_all = panel.unit_g
    keep_units = ~((g_all > 0) & (g_all <= per[0]))
    ym, gu = ym[keep_units], g_all[keep_units]
    w = panel.unit_w[keep_units] if weighted else np.ones(len(gu))
    w = w / w.mean()
    n = len(gu)
    groups = np.unique(gu[gu > 0])
    cg, ct, att, infs = [], [], [], []
    pos = {int(p): j for j, p in enumerate(per)}
    for g in groups:
        for j in range(1, len(per)):
            t = per[j]
            if t >= g - anticipation:
                jb = pos[int(g)] - 1 - anticipation
                if jb < 0:
                    continue
            else:
                jb = j - 1
            if control_group == "never_treated":
                ctrl = gu == 0
            else:
                ctrl = (gu == 0) | ((gu > max(t, per[jb]) + anticipation) & (gu != g))
            trt = gu == g
            if not ctrl.any():
                continue
            dy = ym[:, j] - ym[:, jb]
            w1, w0 = w * trt, w * ctrl
            m1 = np.sum(w1 * dy) / w1.sum()
            m0 = np.sum(w0 * dy) / w0.sum()
            psi = n * (w1 * (dy - m1) / w1.sum() - w0 * (dy - m0) / w0.sum())
            cg.append(g), ct.append(t), att.append(m1 - m0), infs.append(psi)
    if not att:
        raise EstimationError("callaway_santanna: no estimable ATT(g,t) (no comparison areas or no pre-period)")
    return np.array(cg), np.array(ct), np.array(att), np.column_stack(infs), w, gu


def callaway_santanna(panel: AreaPanel, *, control_group: str = "never_treated", anticipation: int = 0,
                      weighted: bool = False, alpha: float = 0.05, n_boot: int = 0, multiplier: str = "mammen",
                      rng: np.random.Generator | None = None) -> CSResult:
    """ATT(g,t), the simple, dynamic, group and calendar aggregations with analytic SEs.

    Examples
    --------
    >>> from evaltool.simulate.areas import simulate_area_panel
    >>> from evaltool.areas import AreaSpec, validate_area_panel
    >>> df, truth = simulate_area_panel(30, range(2010, 2020), "staggered", -0.02, 3)
    >>> res = callaway_santanna(validate_area_panel(df, AreaSpec()))
    >>> [r.aggregation for r in res.rows][-1]
    'calendar'
    """
    cg, ct, att, inf, w, gu = _cells(panel, control_group, anticipation, weighted)
    n = len(gu)
    n_tr_total = int((gu > 0).sum())
    glist = np.unique(gu[gu > 0])
    pg_group = np.array([np.mean(w * (gu == g)) for g in glist])
    pg = pg_group[np.searchsorted(glist, cg)]
    se_cells = _se(inf)
    rows = [normal_row("callaway_santanna", a, s, SE_TYPE, n, int((gu == g).sum()), alpha, group=int(g),
                       period=int(t), event_time=int(t - g))
            for g, t, a, s in zip(cg, ct, att, se_cells)]
    agg_rows: list[EstimateRow] = []
    dyn_inf: list[np.ndarray] = []

    def agg(keep: np.ndarray, wif: bool) -> tuple[float, np.ndarray]:
        wts = pg[keep] / pg[keep].sum()
        psi = inf[:, keep] @ wts
        if wif:
            psi = psi + _wif(keep, pg, w, gu, cg) @ att[keep]
        return float(att[keep] @ wts), psi

    post = np.flatnonzero(cg <= ct)
    est, psi = agg(post, True)
    agg_rows.append(normal_row("callaway_santanna", est, _se(psi)[0], SE_TYPE, n, n_tr_total, alpha,
                               aggregation="simple"))
    # dynamic (event time)
    e_all = ct - cg
    eseq = np.unique(e_all)
    e_est, e_psi = [], []
    for e in eseq:
        keep = np.flatnonzero(e_all == e)
        est, psi = agg(keep, True)
        e_est.append(est), e_psi.append(psi)
        n_tr = int(np.isin(gu, cg[keep]).sum())
        agg_rows.append(normal_row("callaway_santanna", est, _se(psi)[0], SE_TYPE, n, n_tr, alpha,
                                   aggregation="dynamic", event_time=int(e)))
    dyn_inf = np.column_stack(e_psi)
    epos = eseq >= 0
    est = float(np.mean(np.array(e_est)[epos]))
    psi = dyn_inf[:, epos].mean(axis=1)
    agg_rows.append(normal_row("callaway_santanna", est, _se(psi)[0], SE_TYPE, n, n_tr_total, alpha,
                               aggregation="dynamic"))
    # group
    g_est, g_psi = [], []
    for g in glist:
        keep = np.flatnonzero((cg == g) & (cg <= ct))
        if len(keep) == 0:
            continue
        est, psi = agg(keep, False)
        g_est.append((g, est)), g_psi.append(psi)
        agg_rows.append(normal_row("callaway_santanna", est, _se(psi)[0], SE_TYPE, n, int((gu == g).sum()), alpha,
                                   aggregation="group", group=int(g)))
    gs = np.array([g for g, _ in g_est])
    pgg = pg_group[np.searchsorted(glist, gs)]
    ge = np.array([e for _, e in g_est])
    psi = np.column_stack(g_psi) @ (pgg / pgg.sum()) + _wif(np.arange(len(gs)), pgg, w, gu, gs) @ ge
    agg_rows.append(normal_row("callaway_santanna", float(ge @ (pgg / pgg.sum())), _se(psi)[0], SE_TYPE, n,
                               n_tr_total, alpha, aggregation="group"))
    # calendar
    c_est, c_psi = [], []
    for t in np.unique(ct[ct >= glist.min()]):
        keep = np.flatnonzero((ct == t) & (cg <= ct))
        if len(keep) == 0:
            continue
        est, psi = agg(keep, True)
        c_est.append(est), c_psi.append(psi)
        agg_rows.append(normal_row("callaway_santanna", est, _se(psi)[0], SE_TYPE, n,
                                   int(np.isin(gu, cg[keep]).sum()), alpha, aggregation="calendar", period=int(t)))
    psi = np.column_stack(c_psi).mean(axis=1)
    agg_rows.append(normal_row("callaway_santanna", float(np.mean(c_est)), _se(psi)[0], SE_TYPE, n, n_tr_total,
                               alpha, aggregation="calendar"))
    band, crit = (), None
    if n_boot > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        v = draw_weights(multiplier, (n_boot, n), rng)
        bres = np.sqrt(n) * (v @ dyn_inf) / n
        q = np.quantile(bres, [0.25, 0.75], axis=0)
        b_sigma = (q[1] - q[0]) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
        ok = b_sigma > 0
        t_max = np.max(np.abs(bres[:, ok]) / b_sigma[ok], axis=1)
        crit = float(np.quantile(t_max, 1 - alpha, method="inverted_cdf"))
        se_b = b_sigma / np.sqrt(n)
        band = tuple({"event_time": int(e), "estimate": float(a), "std_error_boot": float(s),
                      "ci_low": float(a - crit * s), "ci_high": float(a + crit * s)}
                     for e, a, s in zip(eseq, e_est, se_b))
    return CSResult(rows=tuple(rows + agg_rows), groups=cg, times=ct, att=att, inf=inf, uniform_band=band,
                    uniform_crit=crit, n_units=n)
