"""Area-level inference for person-level effects: few housing areas, correlated neighbours.

The effect is the coefficient of treatment in a weighted regression of the outcome on an
intercept and treatment (the difference in design-weighted means) on the design's estimation
rows (:func:`evaltool.effects.design.build_sample`). Its uncertainty is computed five ways:

``pair``       cluster-robust by matched pair/subclass (what :func:`evaltool.estimate` reports);
``cr1``        cluster-robust by area, CR1: ``G/(G-1) * (N-1)/(N-K)`` (R ``sandwich::vcovCL``, HC1);
``cr1_twoway`` by area and pair, Cameron-Gelbach-Miller ``V_area + V_pair - V_area&pair``,
               each term with its own ``G/(G-1)`` (``vcovCL(cluster = ~ area + pair)``);
``wild_cluster_bootstrap``  restricted wild cluster bootstrap-t by area (WCR; Cameron, Gelbach &
               Miller 2008; Rademacher or Webb weights; all 2^G sign vectors when 2^G <= n_boot,
               exact and deterministic), p-value two-sided symmetric, CI by test inversion;
``randomization``  treatment permuted over areas (all assignments when few enough), p-value
               of the estimate, interval by inverting the sharp constant-effect null.

Headline rule: fewer than 30 areas or fewer than 10 treated areas -> the wild cluster bootstrap
interval (CR1 over-rejects with few clusters; MacKinnon & Webb 2017), otherwise CR1.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evaltool.effects.estimators import WLSFit, wls
from evaltool.effects.variance import cluster_sums, cluster_vcov, dense_codes
from evaltool.exceptions import EstimationError

__all__ = ["cr1_vcov", "fit_wls", "wild_cluster_bootstrap", "randomization_test", "WildResult",
           "RandomizationResult", "headline_rule", "WEBB"]

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


def fit_wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> WLSFit:
    """Weighted least squares of ``y`` on ``X`` (:func:`evaltool.effects.estimators.wls`)."""
    return wls(X, y, w)


def _codes(*arrays: np.ndarray) -> np.ndarray:
    if len(arrays) == 1:
        return dense_codes(arrays[0])
    stacked = np.stack([np.asarray(a) for a in arrays], axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].ravel()


def cr1_vcov(fit: WLSFit, clusters: list[np.ndarray]) -> np.ndarray:
    """CR1 covariance, one-way or multi-way (CGM inclusion-exclusion), as ``sandwich::vcovCL``
    with ``type = "HC1"``, ``cadjust = TRUE``, ``multi0 = FALSE`` (:func:`evaltool.effects.variance.cluster_vcov`
    on cluster codes of any type)."""
    if not clusters:
        raise EstimationError("cr1_vcov needs at least one clustering variable")
    codes = [_codes(c) for c in clusters]
    if any(int(c.max()) + 1 < 2 for c in codes):
        raise EstimationError("a clustering variable has fewer than 2 clusters")
    return cluster_vcov(fit, codes)


@dataclass(frozen=True)
class WildResult:
    """Wild cluster bootstrap of one coefficient: t statistic, p-value, CI, draws used."""

    estimate: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    n_clusters: int
    n_draws: int
    weights: str
    enumerated: bool


def _draws(g: int, n_boot: int, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    if kind == "rademacher" and 2 ** g <= n_boot:
        grid = np.array(list(itertools.product((1.0, -1.0), repeat=g)))
        return grid, True
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_boot, g)), False
    if kind == "webb":
        return rng.choice(WEBB, size=(n_boot, g)), False
    raise EstimationError(f"`weights` must be 'rademacher' or 'webb'; got {kind!r}")


class _Wild:
    """Bootstrap t statistics of coefficient ``j`` under the null beta_j = b, vectorised over draws.

    Everything a draw needs is a cluster-level sum ("Fast and wild", Roodman, MacKinnon, Nielsen &
    Webb 2019): the restricted residuals are ``u0 - b u1`` (``u0``, ``u1`` the residuals of ``y`` and
    ``x_j`` on the other columns), so the per-cluster scores ``X_g' W_g u_r`` and ``X_g' W_g y`` and
    the blocks ``M_g = X_g' W_g X_g`` are computed once, and each null value costs O(B G k^2), not
    O(n k). The observed t statistic uses the one unrestricted fit and its CR1 variance.
    """

    def __init__(self, y, X, w, codes, j, V):
        self.j, self.V = j, V
        self.g = g = int(codes.max()) + 1
        n, k = X.shape
        Xr = np.delete(X, j, axis=1)
        self.bread = np.linalg.inv((X.T * w) @ X)
        self.adj = (g / (g - 1)) * (n - 1) / (n - k)
        XW = X * w[:, None]
        self.M = np.stack([cluster_sums(codes, g, XW * X[:, [l]]) for l in range(k)], axis=2)  # g x k x k
        self.xwy = cluster_sums(codes, g, XW * y[:, None])
        self.c0 = cluster_sums(codes, g, XW * fit_wls(y, Xr, w).resid[:, None])
        self.c1 = cluster_sums(codes, g, XW * fit_wls(X[:, j].copy(), Xr, w).resid[:, None])
        fit = fit_wls(y, X, w)
        self.beta_j = fit.beta[j]  # numpy scalars: a zero CR1 variance gives inf, not ZeroDivisionError
        self.se = math.sqrt(cr1_vcov(fit, [codes])[j, j])

    def tstats(self, b: float) -> tuple[float, np.ndarray]:
        j = self.j
        c = self.c0 - b * self.c1                  # X_g' W_g u_r of the restricted residuals
        a = self.xwy - c                           # X_g' W_g (restricted fitted values)
        base = self.bread @ a.sum(axis=0)          # beta of the restricted fit
        C = (self.bread @ c.T)                     # k x g: effect of each cluster's sign
        beta = base[None, :] + self.V @ C.T        # draws x k
        # cluster scores of each draw: a_g + v_g c_g - M_g beta
        s = a[None, :, :] + self.V[:, :, None] * c[None, :, :] - np.einsum("gkl,bl->bgk", self.M, beta)
        h = self.bread[j]                          # row j of the bread
        proj = s @ h                               # draws x g
        se = np.sqrt(self.adj * (proj ** 2).sum(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (beta[:, j] - b) / se
        return float((self.beta_j - b) / self.se), t

    def pvalue(self, b: float) -> float:
        t_obs, t = self.tstats(b)
        t = t[np.isfinite(t)]
        return float(np.mean(np.abs(t) >= abs(t_obs) - 1e-12 * max(1.0, abs(t_obs))))


def _invert(pfun, est: float, se: float, alpha: float, side: int) -> float:
    """Boundary where the p-value falls to alpha, searching outward from the estimate."""
    inner = est
    step = max(se, 1e-12)
    outer = est + side * step
    for _ in range(60):
        if pfun(outer) <= alpha:
            break
        inner, outer = outer, est + side * (abs(outer - est) * 2)
    else:
        return side * math.inf
    for _ in range(60):
        mid = 0.5 * (inner + outer)
        if abs(outer - inner) <= 1e-9 * max(1.0, abs(est), se):
            break
        if pfun(mid) > alpha:
            inner = mid
        else:
            outer = mid
    return 0.5 * (inner + outer)


def wild_cluster_bootstrap(y: np.ndarray, X: np.ndarray, w: np.ndarray, clusters: np.ndarray, j: int = 1,
                           *, n_boot: int = 9999, weights: str = "rademacher", seed: int = 0,
                           alpha: float = 0.05, conf_int: bool = True) -> WildResult:
    """Restricted wild cluster bootstrap-t (WCR) of coefficient ``j`` of a weighted regression.

    Draws are shared by the test and the test-inversion interval (one seeded set), so the
    interval is exactly the set of nulls the bootstrap test does not reject.
    """
    y, X, w = (np.asarray(a, dtype=float) for a in (y, X, w))
    codes = _codes(np.asarray(clusters))
    g = int(codes.max()) + 1
    if g < 2:
        raise EstimationError(f"the wild cluster bootstrap needs >= 2 clusters; got {g}")
    V, enumerated = _draws(g, n_boot, weights, np.random.default_rng(seed))
    wb = _Wild(y, X, w, codes, j, V)
    est, se = float(wb.beta_j), wb.se
    p = wb.pvalue(0.0)
    lo = hi = math.nan
    if conf_int:
        lo = _invert(wb.pvalue, est, se, alpha, -1)
        hi = _invert(wb.pvalue, est, se, alpha, +1)
    return WildResult(est, float(wb.beta_j / se), p, lo, hi, g, int(V.shape[0]), weights, enumerated)


@dataclass(frozen=True)
class RandomizationResult:
    """Randomization inference over areas."""

    estimate: float
    p_value: float
    ci_low: float
    ci_high: float
    n_clusters: int
    n_treated_clusters: int
    n_assignments: int
    enumerated: bool


def randomization_test(y: np.ndarray, treat: np.ndarray, w: np.ndarray, clusters: np.ndarray, *,
                       permutations: int = 999, seed: int = 0, alpha: float = 0.05) -> RandomizationResult:
    """Permute treatment over clusters (the treated clusters are reassigned, sizes fixed).

    The statistic is the difference in weighted means; the p-value is two-sided
    (``|est*| >= |est|``, the observed assignment included). All ``C(G, G1)`` assignments are
    used when there are at most ``permutations`` of them. The interval inverts the sharp null of a
    constant effect ``tau`` (``y - tau * treat`` permuted).
    """
    y, treat, w = (np.asarray(a, dtype=float) for a in (y, treat, w))
    codes = _codes(np.asarray(clusters))
    g = int(codes.max()) + 1
    per = np.bincount(codes, weights=treat, minlength=g)
    cnt = np.bincount(codes, minlength=g).astype(float)
    share = per / cnt
    if np.any((share > 0) & (share < 1)):
        raise EstimationError("randomization over areas needs treatment constant within each area; "
                              "some areas hold both treated and comparison persons")
    treated = share == 1
    g1 = int(treated.sum())
    if g1 == 0 or g1 == g:
        raise EstimationError("randomization over areas needs treated and untreated areas")
    total = math.comb(g, g1)
    if total <= permutations:
        assign = np.zeros((total, g), dtype=bool)
        for i, combo in enumerate(itertools.combinations(range(g), g1)):
            assign[i, list(combo)] = True
        enumerated = True
    else:
        rng = np.random.default_rng(seed)
        keys = rng.random((permutations, g))
        ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
        assign = np.vstack([treated[None, :], ranks < g1])
        enumerated = False
    A = assign.astype(float)  # assignments x clusters; treatment is constant within a cluster
    sw = np.bincount(codes, weights=w, minlength=g)
    swt = np.bincount(codes, weights=w * treat, minlength=g)
    swy0 = np.bincount(codes, weights=w * y, minlength=g)
    n1, n0 = A @ sw, (1 - A) @ sw

    def diffs(tau: float) -> np.ndarray:
        swy = swy0 - tau * swt
        return (A @ swy) / n1 - ((1 - A) @ swy) / n0

    t1 = treat == 1  # the observed difference of y - tau * treat: y - tau among the treated, y otherwise
    w1, y1, w0, y0 = w[t1], y[t1], w[~t1], y[~t1]
    s1, m0 = w1.sum(), float(w0 @ y0 / w0.sum())
    m1 = float(w1 @ y1 / s1)

    def obs(tau: float) -> float:  # the weighted mean of y1 - tau is m1 - tau (the weights sum to s1)
        return m1 - tau - m0

    est = obs(0.0)

    def pfun(tau: float) -> float:
        s = obs(tau)
        return float(np.mean(np.abs(diffs(tau)) >= abs(s) - 1e-12 * max(1.0, abs(s))))

    p = pfun(0.0)
    spread = float(np.std(diffs(0.0))) or 1.0
    lo = _invert(pfun, est, spread, alpha, -1)
    hi = _invert(pfun, est, spread, alpha, +1)
    return RandomizationResult(est, p, lo, hi, g, g1, int(A.shape[0]), enumerated)


def headline_rule(n_clusters: int, n_treated_clusters: int | None) -> tuple[str, str]:
    """``(se_type, reason)`` of the headline interval (see the module docstring)."""
    few = n_clusters < 30 or (n_treated_clusters is not None and n_treated_clusters < 10)
    if few:
        return ("wild_cluster_bootstrap",
                f"{n_clusters} areas ({n_treated_clusters} treated): fewer than 30 areas or 10 treated "
                "areas, so cluster-robust (CR1) intervals are too narrow; the wild cluster bootstrap "
                "is the headline")
    return ("cr1", f"{n_clusters} areas ({n_treated_clusters} treated): enough clusters for CR1")


def normal_ci(est: float, se: float, alpha: float) -> tuple[float, float, float]:
    """``(ci_low, ci_high, p_value)`` from a normal approximation."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else math.nan
    return est - z * se, est + z * se, p
