"""Event study: TWFE with leads and lags around each area's start, binned endpoints, pre-trend test.

``y_it = a_i + l_t + sum_{e != r} b_e 1{t - g_i = e} + u_it`` for treated areas, event times
below ``event_min`` binned into ``event_min`` and above ``event_max`` into ``event_max``, the
reference period ``r`` (default -1) left out. SEs are cluster-robust by area (plm HC1, see
``twfe``). The pre-trend test is the joint Wald test that all lead coefficients (``e < 0``,
``e != r``) are zero: ``W = b' V^-1 b`` against chi2(k), and ``W/k`` against F(k, G-1).
Under staggered adoption with effects that change over time these TWFE coefficients mix
cohorts with negative weights (Sun & Abraham 2021); the Callaway-Sant'Anna dynamic
aggregation is the robust alternative.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from evaltool.areas.panel import AreaPanel
from evaltool.areas.result import EstimateRow, normal_row
from evaltool.areas.twfe import fit_twfe
from evaltool.exceptions import EstimationError

__all__ = ["event_study"]

SE_TYPE = "cluster-robust by area, plm arellano HC1"


def event_study(panel: AreaPanel, *, reference_period: int = -1, event_min: int = -5, event_max: int = 5,
                weighted: bool = False, alpha: float = 0.05) -> tuple[list[EstimateRow], dict]:
    """Event-study rows (one per event time, the reference as 0 with no SE) and the pre-trend test."""
    f = panel.frame
    g = f["g"].to_numpy()
    e = np.clip(f["time"].to_numpy() - g, event_min, event_max)
    treated = g > 0
    present = np.unique(e[treated])
    if reference_period not in present:
        raise EstimationError(f"event_study: no treated area is observed at reference period {reference_period}")
    times = [int(k) for k in present if k != reference_period]
    x = np.column_stack([(treated & (e == k)).astype(float) for k in times])
    fit = fit_twfe(panel, x, weighted=weighted, names=[f"e{k}" for k in times])
    se = fit.se_cluster
    n, n_tr = panel.n_units, int((panel.unit_g > 0).sum())
    rows = []
    for k in sorted(times + [reference_period]):
        if k == reference_period:
            rows.append(EstimateRow("event_study", "dynamic", k, None, None, 0.0, float("nan"), float("nan"),
                                    float("nan"), float("nan"), "reference period (normalised to 0)", n, n_tr))
            continue
        j = times.index(k)
        rows.append(normal_row("event_study", fit.params[j], se[j], SE_TYPE, n, n_tr, alpha,
                               aggregation="dynamic", event_time=k))
    leads = [j for j, k in enumerate(times) if k < 0]
    test: dict = {"estimator": "event_study", "null": "all lead coefficients are zero", "n_leads": len(leads),
                  "leads": [times[j] for j in leads]}
    if leads:
        b = fit.params[leads]
        v = fit.vcov_cluster[np.ix_(leads, leads)]
        wald = float(b @ np.linalg.solve(v, b))
        k = len(leads)
        test.update({"statistic": wald, "df": k, "pvalue": float(stats.chi2.sf(wald, k)),
                     "f_statistic": wald / k, "f_df": [k, fit.n_units - 1],
                     "f_pvalue": float(stats.f.sf(wald / k, k, fit.n_units - 1)), "vcov": SE_TYPE})
    else:
        test.update({"statistic": None, "df": 0, "pvalue": None,
                     "note": "no lead periods observed: pre-trends cannot be tested"})
    return rows, test
