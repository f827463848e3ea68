"""Rosenbaum bounds: how large a hidden bias Gamma would have to be to explain an effect away.

Under a sensitivity model with parameter Gamma >= 1, two persons with the same observed
covariates may differ in their odds of receiving outreach by at most a factor Gamma.
For each Gamma the one-sided p-value of "no effect" is bounded from above; the *critical*
Gamma is the smallest Gamma whose upper p-value reaches ``alpha``.

Three statistics, chosen by the structure of the matched sets and the outcome:

``mcnemar``      binary outcome, 1:1 pairs: among the D discordant pairs, T have the event in
                 the treated person; upper p = P(Binomial(D, Gamma / (1 + Gamma)) >= T), exact.
``wilcoxon``     other outcomes, 1:1 pairs: Wilcoxon signed-rank statistic on the pair
                 differences (zeros dropped, mid-ranks), large-sample normal bound as R
                 ``rbounds::psens``; ``exact=True`` uses the exact distribution of the bound
                 (sum of independent rank indicators, probability Gamma / (1 + Gamma)).
``m_statistic``  k:1 or variable-ratio sets: Huber-psi m-statistic as R
                 ``sensitivitymv::senmv`` (trim 3, inner 0, lambda 1/2 by default).

References: Rosenbaum (2002) *Observational Studies*, ch. 4; Rosenbaum (2007) Biometrics 63,
456-464; Rosenbaum (2010) *Design of Observational Studies*, ch. 3.

Examples
--------
>>> round(mcnemar_bound(30, 40, 1.0), 6)
0.001111
>>> round(critical_gamma(lambda g: mcnemar_bound(30, 40, g)), 4)
1.5836
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

from evaltool.exceptions import EstimationError

__all__ = ["mcnemar_bound", "wilcoxon_bound", "wilcoxon_exact_bound", "hodges_lehmann_bounds",
           "signed_rank_sums", "wilcoxon_from_sums",
           "m_scores", "m_statistic_bound", "critical_gamma", "GAMMA_MAX"]

GAMMA_MAX = 1000.0


def _check_gamma(gamma: float) -> float:
    g = float(gamma)
    if not np.isfinite(g) or g < 1:
        raise EstimationError(f"`gamma` must be a number >= 1; got {gamma!r}")
    return g


def mcnemar_bound(t: int, d: int, gamma: float) -> float:
    """Upper bound on the one-sided p-value of McNemar's test for ``t`` of ``d`` discordant pairs.

    ``t`` counts discordant pairs in which the treated person had the event.
    Returns ``P(Binomial(d, Gamma/(1+Gamma)) >= t)``.
    """
    g = _check_gamma(gamma)
    t, d = int(t), int(d)
    if d < 0 or t < 0 or t > d:
        raise EstimationError(f"need 0 <= t <= d discordant pairs; got t={t}, d={d}")
    if d == 0:
        return 1.0
    return float(stats.binom.sf(t - 1, d, g / (1.0 + g)))


def _signed_ranks(diff: np.ndarray) -> tuple[np.ndarray, float]:
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    d = d[d != 0]
    ranks = _midranks(np.abs(d))
    return ranks, float(ranks[d > 0].sum())


def _midranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as R ``rank``)."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], s.size]
    ranks = np.empty(s.size)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(new) - 1]
    return ranks


def _rank_sums(x: np.ndarray, counts: np.ndarray) -> tuple[float, float, float] | None:
    """``(T, sum of ranks, sum of squared ranks)`` of the signed-rank statistic of the distinct values
    ``x`` (finite), each occurring ``counts`` times: zeros dropped, mid-ranks of ``|x|``, ``T`` the rank
    sum of the positive values; None when every value is 0.

    The same mid-ranks as ranking every element (``_midranks``); the sums of the (half-integer) ranks
    and their squares are exact in floating point while below 2^51, so they equal the element-wise sums.
    """
    nz = x != 0
    if not nz.any():
        return None
    x, c = x[nz], counts[nz]
    a = np.abs(x)
    order = np.argsort(a, kind="stable")  # |x| of sorted x is two monotone runs: a linear merge
    s, cs = a[order], c[order]
    new = np.r_[True, s[1:] != s[:-1]]
    first = np.flatnonzero(new)
    size = np.add.reduceat(cs, first)
    ends = np.cumsum(size)
    group_rank = (ends - size + ends + 1) / 2.0
    ranks = np.empty(x.size)
    ranks[order] = group_rank[np.cumsum(new) - 1]
    rc = ranks * c
    return float(rc[x > 0].sum()), float(rc.sum()), float((ranks * rc).sum())


def signed_rank_sums(diff: np.ndarray) -> tuple[float, float, float] | None:
    """``(T, sum of ranks, sum of squared ranks)`` of the Wilcoxon signed-rank statistic of ``diff``
    (non-finite and zero differences dropped, mid-ranks); None when no difference is left."""
    d = np.asarray(diff, dtype=float)
    v, c = np.unique(d[np.isfinite(d)], return_counts=True)
    return _rank_sums(v, c)


def wilcoxon_from_sums(sums: tuple[float, float, float] | None, gamma: float) -> tuple[float, float]:
    """``(deviate, upper p)`` of the signed-rank statistic under Gamma from :func:`signed_rank_sums`."""
    g = _check_gamma(gamma)
    if sums is None:
        return 0.0, 1.0
    dev = _deviate(sums, g)
    return dev, float(stats.norm.sf(dev))


def _deviate(sums: tuple[float, float, float], g: float) -> float:
    t, r1, r2 = sums
    p = g / (1.0 + g)
    return float((t - p * r1) / np.sqrt(p * (1 - p) * r2))


def wilcoxon_bound(diff: np.ndarray, gamma: float) -> tuple[float, float]:
    """``(deviate, upper p)`` of the signed-rank statistic under Gamma, normal approximation.

    ``diff`` are treated-minus-control pair differences; zero differences are dropped and tied
    absolute differences get mid-ranks (as ``rbounds::psens`` and ``wilcox.test``).
    """
    _check_gamma(gamma)
    return wilcoxon_from_sums(signed_rank_sums(diff), gamma)


def wilcoxon_exact_bound(diff: np.ndarray, gamma: float, max_n: int = 400) -> float:
    """Exact upper p-value of the signed-rank statistic under Gamma (for small numbers of pairs).

    Under the bounding distribution each rank enters the statistic independently with
    probability Gamma/(1+Gamma); the tail is computed by convolution over doubled (integer)
    mid-ranks, O(n^3) in the number of non-zero pairs.
    """
    g = _check_gamma(gamma)
    ranks, t = _signed_ranks(diff)
    if ranks.size > max_n:
        raise EstimationError(f"exact bound needs at most {max_n} non-zero pairs; got {ranks.size} "
                              "(use the normal approximation)")
    if ranks.size == 0:
        return 1.0
    p = g / (1.0 + g)
    r2 = np.rint(2 * ranks).astype(np.int64)
    dist = np.zeros(int(r2.sum()) + 1)
    dist[0] = 1.0
    top = 0
    for r in r2:
        new = dist * (1 - p)
        new[r:top + r + 1] += dist[:top + 1] * p
        dist, top = new, top + r
    return float(min(1.0, dist[int(np.rint(2 * t)):].sum()))


def hodges_lehmann_bounds(diff: np.ndarray, gamma: float, tol: float = 1e-9) -> tuple[float, float]:
    """Range of Hodges-Lehmann estimates of a constant additive effect under Gamma.

    The low end solves deviate(diff - tau) = 0 under the upper bound, the high end the mirror
    problem (as ``DOS2::senWilcox(conf.int=TRUE)``); the deviate is a step function of tau, and
    the returned points are where it changes sign, found by bisection to ``tol``. The differences
    are sorted once (distinct values and counts); each trial tau then ranks the distinct values.
    """
    g = _check_gamma(gamma)
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        raise EstimationError(f"Hodges-Lehmann bounds need at least 2 pairs; got {d.size}")
    lo0, hi0 = float(d.min()), float(d.max())
    values, counts = np.unique(d, return_counts=True)

    def deviate(tau: float, upper: bool) -> float:
        x = (values - tau) if upper else (tau - values)
        sums = _rank_sums(x, counts)
        return 0.0 if sums is None else _deviate(sums, g)

    def root(upper: bool) -> float:
        a, b = lo0, hi0  # f(a) >= 0 >= f(b) for the upper problem; reversed for the lower
        sign = 1.0 if upper else -1.0
        for _ in range(200):
            if b - a <= tol * max(hi0 - lo0, 1e-300):
                break
            mid = 0.5 * (a + b)
            if sign * deviate(mid, upper) > 0:
                a = mid
            else:
                b = mid
        return 0.5 * (a + b)

    return root(True), root(False)


def m_scores(sets: np.ndarray, trim: float = 3.0, inner: float = 0.0, lam: float = 0.5) -> np.ndarray:
    """Huber-psi scores of matched sets, as ``sensitivitymv::mscorev``.

    ``sets`` is (number of sets) x (largest set size), column 0 the treated person, NaN
    where a set has fewer controls. Returns the same shape of scores (NaN kept).
    """
    y = np.asarray(sets, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2:
        raise EstimationError(f"matched sets must be a 2-d array with >= 2 columns; got shape {y.shape}")
    difs = y[:, :, None] - y[:, None, :]  # difs[i, j, k] = y_ij - y_ik
    m = y.shape[1]
    off = ~np.eye(m, dtype=bool)
    vals = difs[:, off]
    finite = np.isfinite(vals)
    if np.isfinite(trim) or inner > 0:
        scale = float(np.quantile(np.abs(vals[finite]), lam)) if finite.any() else 0.0
        if scale > 0:
            s = difs / scale
            a = np.abs(s)
            if np.isfinite(trim) and inner < trim:
                ab = np.minimum(1.0, np.maximum(0.0, a - inner) / (trim - inner))
            elif np.isfinite(trim):
                ab = (a > inner).astype(float)
            else:
                ab = np.maximum(0.0, a - inner)
            difs = np.sign(s) * ab
    difs = np.where(off[None, :, :], difs, np.nan)
    ms = np.nansum(difs, axis=2)
    ni = np.isfinite(y).sum(axis=1)
    ms[~np.isfinite(y)] = np.nan
    keep = (ni >= 2) & np.isfinite(ms[:, 0])
    return ms[keep] / ni[keep, None]


def m_statistic_bound(scores: np.ndarray, gamma: float) -> tuple[float, float]:
    """``(deviate, upper p)`` of the m-statistic under Gamma (``sensitivitymv::separable1v``).

    The separable approximation maximises, set by set, the expectation (then variance) of the
    treated person's score over the ``a`` lowest-scored persons having odds 1 and the rest Gamma.
    """
    g = _check_gamma(gamma)
    sc = np.asarray(scores, dtype=float)
    tstat = float(np.nansum(sc[:, 0]))
    mu_tot = 0.0
    var_tot = 0.0
    sizes = np.isfinite(sc).sum(axis=1)
    for size in np.unique(sizes):
        block = np.sort(sc[sizes == size][:, :size] if size == sc.shape[1] else
                        _compact(sc[sizes == size], size), axis=1)
        c1 = np.cumsum(block, axis=1)
        c2 = np.cumsum(block ** 2, axis=1)
        tot1, tot2 = c1[:, -1:], c2[:, -1:]
        a = np.arange(1, size)
        den = a + g * (size - a)
        lo1, lo2 = c1[:, :-1], c2[:, :-1]
        mu = (lo1 + g * (tot1 - lo1)) / den
        var = (lo2 + g * (tot2 - lo2)) / den - mu ** 2
        mumax = mu.max(axis=1, keepdims=True)
        var_at = np.where(mu == mumax, var, -np.inf).max(axis=1)
        mu_tot += float(mumax.sum())
        var_tot += float(var_at.sum())
    if var_tot <= 0:
        return 0.0, 1.0
    dev = (tstat - mu_tot) / np.sqrt(var_tot)
    return float(dev), float(stats.norm.sf(dev))


def _compact(block: np.ndarray, size: int) -> np.ndarray:
    out = np.empty((block.shape[0], size))
    for i, row in enumerate(block):
        out[i] = row[np.isfinite(row)]
    return out


def critical_gamma(p_of_gamma: Callable[[float], float], alpha: float = 0.05,
                   gamma_max: float = GAMMA_MAX) -> float | None:
    """Smallest Gamma at which the upper p-value reaches ``alpha`` (root of p(Gamma) = alpha).

    Returns None when the effect is not significant even at Gamma = 1, and ``inf`` when the
    p-value stays below ``alpha`` up to ``gamma_max``.
    """
    f = lambda g: p_of_gamma(g) - alpha  # noqa: E731
    if f(1.0) >= 0:
        return None
    lo, hi = 1.0, 2.0
    while f(hi) < 0:
        lo, hi = hi, hi * 2
        if hi > gamma_max:
            return float("inf") if f(gamma_max) < 0 else float(optimize.brentq(f, lo, gamma_max, xtol=1e-12))
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))
