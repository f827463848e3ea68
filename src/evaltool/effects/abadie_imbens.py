"""Abadie-Imbens standard errors for nearest-neighbour matching with replacement.

:func:`ai_variance` reproduces ``Matching::Match(..., Var.calc = 0)`` (Matching 4.10,
``R/Matching.R``, ``RmatchLoop``) from the matched sets alone; :func:`ps_adjustment`
adds the Abadie & Imbens (2016) correction for matching on an estimated (logit)
propensity score. Formulas: ``docs/effects.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from evaltool.effects.design import focal_columns
from evaltool.effects.strategy import EffectProblem, VarianceStrategy
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["AbadieImbens", "ai_variance", "ps_adjustment"]


def ai_variance(y: np.ndarray, focal: np.ndarray, matched: np.ndarray, weight: np.ndarray,
                *, focal_treated: np.ndarray | None = None, ate: bool = False) -> tuple[float, float]:
    """Matching estimate and its Abadie-Imbens (2006) variance, as R ``Matching``.

    Parameters
    ----------
    y : ndarray
        Outcome per unit (positions 0..n-1).
    focal, matched : ndarray of int
        One entry per match row: the focal unit and the unit it was matched to.
    weight : ndarray
        Weight of each match row (``Match()$weights``); per focal unit they sum to 1
        in Matching, but only ratios within a focal unit's set matter here.
    focal_treated : ndarray of bool, optional
        Per row, whether the focal unit is treated (needed for ``ate=True``: the
        contrast is then ``matched - focal`` for control focal units).
    ate : bool
        ``All = 1`` in Matching: every unit is focal and the variance has the
        ``K^2 + 2K - K'`` term.

    Returns
    -------
    (estimate, variance)
    """
    y = np.asarray(y, dtype=float)
    focal = np.asarray(focal, dtype=np.int64)
    matched = np.asarray(matched, dtype=np.int64)
    w = np.asarray(weight, dtype=float)
    sign = np.ones(focal.size) if focal_treated is None else np.where(focal_treated, 1.0, -1.0)
    tau = sign * (y[focal] - y[matched])
    est = float(w @ tau / w.sum())
    sigs = 0.5 * float(w @ (tau - est) ** 2) / w.sum()  # Var.calc = 0: pooled, homoskedastic
    n = y.size
    set_size = np.bincount(focal, minlength=n).astype(float)
    share = 1.0 / set_size[focal]
    k = np.bincount(matched, weights=share, minlength=n)
    kk = np.bincount(matched, weights=share * share, minlength=n)
    wsum = np.bincount(focal, weights=w, minlength=n)
    ymatch = np.bincount(focal, weights=w * y[matched], minlength=n)
    is_focal = set_size > 0
    unit_sign = np.zeros(n)
    np.add.at(unit_sign, focal, sign / set_size[focal])
    ycaus = unit_sign[is_focal] * (y[is_focal] - ymatch[is_focal] / wsum[is_focal])
    sn = float(is_focal.sum())
    extra = 2 * k if ate else 0.0
    var = (sigs * float(np.sum(k * k + extra - kk)) + float(np.sum((ycaus - est) ** 2))) / sn**2
    return est, var


def _nearest_within(p: np.ndarray, group: np.ndarray, L: int) -> np.ndarray:
    """For every unit, positions of the ``L`` units of ``group`` closest in ``p``."""
    members = np.flatnonzero(group)
    if members.size < L:
        raise EstimationError(f"ps_adjust needs at least {L} units in each treatment arm")
    order = members[np.argsort(p[members], kind="stable")]
    sp = p[order]
    at = np.searchsorted(sp, p)
    offsets = np.arange(-L, L)
    cand = np.clip(at[:, None] + offsets[None, :], 0, order.size - 1)
    dist = np.abs(sp[cand] - p[:, None])
    dist += 1e-15 * np.abs(offsets)[None, :]  # stable choice among equal distances
    pick = np.argsort(dist, axis=1, kind="stable")
    cols = []
    for row in range(cand.shape[0]):  # unique candidates (clipping repeats the ends)
        seen = list(dict.fromkeys(cand[row, pick[row]].tolist()))[:L]
        cols.append(seen)
    return order[np.asarray(cols, dtype=np.int64)]


def ps_adjustment(y: np.ndarray, treat: np.ndarray, ps: np.ndarray, X: np.ndarray,
                  estimand: Estimand, tau: float, L: int = 4) -> float:
    """Abadie & Imbens (2016) change in the variance from estimating a logit propensity score.

    Returns the term to add to the (unadjusted) variance of the estimate: for the ATE
    ``-c' I^{-1} c / N``; for the ATT ``(-c_t' I^{-1} c_t + d' I^{-1} d) / N`` with ``I``
    the logit information, and ``c``, ``c_t``, ``d`` estimated by matching ``L``
    nearest units on the score within each arm (see ``docs/effects.md``).
    """
    y, treat, ps, X = (np.asarray(a, dtype=float) for a in (y, treat, ps, X))
    n = y.size
    f = ps * (1 - ps)  # logistic density at the linear predictor
    info = (X * f[:, None]).T @ X / n
    covs, mus = [], []
    for arm in (0, 1):
        idx = _nearest_within(ps, treat == arm, L)
        Xj, yj = X[idx], y[idx]
        xbar, ybar = Xj.mean(axis=1), yj.mean(axis=1)
        covs.append(np.einsum("nlk,nl->nk", Xj - xbar[:, None, :], yj - ybar[:, None]) / (L - 1))
        mus.append(ybar)
    cov0, cov1 = covs
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise EstimationError("ps_adjust: the propensity design matrix is singular") from None
    if estimand is Estimand.ATE:
        c = ((cov1 / ps[:, None] + cov0 / (1 - ps)[:, None]) * f[:, None]).mean(axis=0)
        return float(-(c @ inv @ c) / n)
    if estimand in (Estimand.ATT, Estimand.ATM):
        pbar = ps.mean()
        ct = ((cov1 + (ps / (1 - ps))[:, None] * cov0) * f[:, None]).mean(axis=0) / pbar
        d = (X * (f * (mus[1] - mus[0] - tau))[:, None]).mean(axis=0) / pbar
        return float((-(ct @ inv @ ct) + d @ inv @ d) / n)
    raise EstimationError(f"ps_adjust supports ATT and ATE; got {estimand.value}")


@dataclass(frozen=True)
class AbadieImbens(VarianceStrategy):
    """Abadie-Imbens (2006) SE on the design's matched sets (``pairs()``).

    Parameters
    ----------
    ps_adjust : bool
        Add the Abadie-Imbens (2016) adjustment for the estimated propensity score
        (needs ``design.propensity`` with ``scores`` and ``design_matrix``).
    n_neighbors : int
        ``L``, units matched within each arm to estimate the adjustment's conditional
        moments.
    """

    name: ClassVar[str] = "abadie_imbens"
    supports_regression: ClassVar[bool] = False
    ps_adjust: bool = False
    n_neighbors: int = 4

    def std_error(self, problem: EffectProblem) -> float:
        design = problem.design
        est = Estimand.parse(design.estimand)
        if est not in (Estimand.ATT, Estimand.ATM, Estimand.ATC):
            raise EstimationError(f"abadie_imbens needs matched sets for ATT or ATC; the design's "
                                  f"estimand is {est.value}; use variance='bootstrap' or 'hc1'")
        pairs = design.pairs() if callable(getattr(design, "pairs", None)) else None
        if pairs is None or len(pairs) == 0:
            raise EstimationError("abadie_imbens needs matched sets (design.pairs()); this design "
                                  "has none; use variance='cluster', 'hc1' or 'bootstrap'")
        focal_col, match_col = focal_columns(est)
        index = design.data.index
        fpos = index.get_indexer(pairs[focal_col])
        mpos = index.get_indexer(pairs[match_col])
        mask = problem.unit_mask
        keep = (fpos >= 0) & (mpos >= 0) & mask[np.clip(fpos, 0, None)] & mask[np.clip(mpos, 0, None)]
        if keep.sum() < 2:
            raise EstimationError("abadie_imbens: fewer than 2 usable matched pairs")
        fpos, mpos = fpos[keep], mpos[keep]
        w = pairs["weight"].to_numpy(dtype=float)[keep]
        # matched-set ids are the focal units; the pair weights are renormalised per set
        w = w / pd.Series(w).groupby(fpos).transform("sum").to_numpy()
        tau_est, var = ai_variance(problem.y, fpos, mpos, w)
        if self.ps_adjust:
            var += self._ps_term(problem, est, tau_est)
        if not np.isfinite(var) or var <= 0:
            raise EstimationError("abadie_imbens: the variance is not positive")
        return float(np.sqrt(var))

    def _ps_term(self, problem: EffectProblem, est: Estimand, tau: float) -> float:
        prop = getattr(problem.design, "propensity", None)
        if prop is None or getattr(prop, "scores", None) is None or getattr(prop, "design_matrix", None) is None:
            raise EstimationError("ps_adjust needs design.propensity with `scores` and `design_matrix`")
        if est is Estimand.ATC:
            raise EstimationError("ps_adjust supports ATT and ATE designs; got ATC")
        index = problem.design.data.index
        ps = pd.Series(prop.scores).reindex(index).to_numpy(dtype=float)
        X = pd.DataFrame(prop.design_matrix).reindex(index).to_numpy(dtype=float)
        ok = problem.unit_mask & np.isfinite(ps) & np.isfinite(X).all(axis=1)
        treat = problem.design.treat.reindex(index).to_numpy(dtype=float)
        return ps_adjustment(problem.y[ok], treat[ok], ps[ok], X[ok], est, tau, L=self.n_neighbors)
