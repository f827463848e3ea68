"""Two-way fixed effects: area and period effects, one treatment dummy, cluster-robust SEs.

The coefficient comes from ``linearmodels.PanelOLS`` (entity and time effects, optional
weights). The cluster-robust variance is computed from the within-transformed data so that its
small-sample correction is plm's ``vcovHC(type = "HC1", cluster = "group")`` ("arellano HC1"):

    V = n / (n - k) * (X'WX)^-1 [sum_g (X_g' W_g e_g)(X_g' W_g e_g)'] (X'WX)^-1

with ``n`` observations, ``k`` slope coefficients (fixed effects not counted) and ``X``, ``e`` the
two-way within-transformed regressors and residuals. The classical SE is plm's default
(``sigma^2 = RSS / (n - N - T + 1 - k)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaltool.areas.panel import AreaPanel
from evaltool.exceptions import EstimationError

__all__ = ["TwfeFit", "absorb", "plm_cluster_vcov", "fit_twfe", "treatment_dummy"]


def treatment_dummy(panel: AreaPanel) -> np.ndarray:
    """``D_it = 1`` if area ``i`` is treated (``g > 0``) and ``t >= g``, row order of ``panel.frame``."""
    f = panel.frame
    return ((f["g"].to_numpy() > 0) & (f["time"].to_numpy() >= f["g"].to_numpy())).astype(float)


def absorb(x: np.ndarray, unit: np.ndarray, time: np.ndarray, w: np.ndarray | None = None,
           tol: float = 1e-14, max_iter: int = 10_000) -> np.ndarray:
    """Residuals of (weighted) least squares of the columns of ``x`` on unit and period dummies.

    Alternating projections (exact in one sweep for a balanced unweighted panel).
    """
    x = np.asarray(x, dtype=float)
    out = x.reshape(len(x), -1).copy()
    w = np.ones(len(out)) if w is None else np.asarray(w, dtype=float)
    nu, nt = int(unit.max()) + 1, int(time.max()) + 1
    wu = np.bincount(unit, w, nu)
    wt = np.bincount(time, w, nt)
    for _ in range(max_iter):
        change = 0.0
        for idx, tot, m in ((unit, wu, nu), (time, wt, nt)):
            for j in range(out.shape[1]):
                mean = np.bincount(idx, w * out[:, j], m) / tot
                out[:, j] -= mean[idx]
                change = max(change, float(np.max(np.abs(mean))))
        if change < tol * (1 + float(np.max(np.abs(x)))):
            break
    return out.reshape(x.shape)


def plm_cluster_vcov(xt: np.ndarray, e: np.ndarray, cluster: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Cluster-robust sandwich with plm's HC1 factor ``n/(n-k)`` (``xt`` within-transformed, n x k)."""
    xt = xt.reshape(len(xt), -1)
    n, k = xt.shape
    w = np.ones(n) if w is None else w
    bread = np.linalg.inv(xt.T @ (w[:, None] * xt))
    scores = np.zeros((int(cluster.max()) + 1, k))
    np.add.at(scores, cluster, xt * (w * e)[:, None])
    return n / (n - k) * bread @ (scores.T @ scores) @ bread


@dataclass(frozen=True)
class TwfeFit:
    """A TWFE fit: coefficient(s), cluster-robust and classical variances and what the bootstrap needs."""

    params: np.ndarray
    vcov_cluster: np.ndarray
    vcov_classical: np.ndarray
    xt: np.ndarray
    yt: np.ndarray
    resid: np.ndarray
    weights: np.ndarray
    cluster: np.ndarray
    n_units: int
    n_periods: int

    @property
    def se_cluster(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov_cluster))


def fit_twfe(panel: AreaPanel, x: np.ndarray | None = None, *, weighted: bool = False,
             names: list[str] | None = None) -> TwfeFit:
    """Fit ``y_it = a_i + l_t + x_it' b + e_it`` with ``linearmodels.PanelOLS``.

    Parameters
    ----------
    panel : AreaPanel
    x : array, optional
        Regressors (n x k) in ``panel.frame`` row order; default the treatment dummy.
    weighted : bool
        Weighted least squares with the panel's ``w``.

    Examples
    --------
    >>> from evaltool.simulate.areas import simulate_area_panel
    >>> from evaltool.areas import AreaSpec, validate_area_panel
    >>> p = validate_area_panel(simulate_area_panel(12, range(2010, 2020), "fredericia", -0.03, 1)[0],
    ...                         AreaSpec())
    >>> fit_twfe(p).params.shape
    (1,)
    """
    from linearmodels import PanelOLS

    f = panel.frame
    x = treatment_dummy(panel)[:, None] if x is None else np.asarray(x, dtype=float).reshape(len(f), -1)
    names = names or [f"x{j}" for j in range(x.shape[1])]
    unit = pd.factorize(f["unit"], sort=True)[0]
    time = pd.factorize(f["time"], sort=True)[0]
    w = f["w"].to_numpy(float) if weighted else np.ones(len(f))
    yt = absorb(f["y"].to_numpy(float), unit, time, w)
    xt = absorb(x, unit, time, w)
    if np.linalg.matrix_rank(xt * np.sqrt(w)[:, None]) < x.shape[1]:
        raise EstimationError("TWFE: the treatment regressor(s) are collinear with area and period effects "
                              "(e.g. all areas start in the same period and none is untreated)")
    idx = pd.MultiIndex.from_arrays([f["unit"].to_numpy(), f["time"].to_numpy()])
    exog = pd.DataFrame(x, index=idx, columns=names)
    mod = PanelOLS(pd.Series(f["y"].to_numpy(float), index=idx), exog, entity_effects=True, time_effects=True,
                   weights=pd.Series(w, index=idx) if weighted else None)
    res = mod.fit(cov_type="unadjusted", debiased=True)
    params = res.params.to_numpy(float)
    e = yt - xt @ params
    n, k = xt.shape
    nu, nt = len(panel.units), len(panel.periods)
    sigma2 = float(np.sum(w * e ** 2)) / (n - nu - nt + 1 - k)
    v_classical = sigma2 * np.linalg.inv(xt.T @ (w[:, None] * xt))
    return TwfeFit(params=params, vcov_cluster=plm_cluster_vcov(xt, e, unit, w), vcov_classical=v_classical,
                   xt=xt, yt=yt, resid=e, weights=w, cluster=unit, n_units=nu, n_periods=nt)
