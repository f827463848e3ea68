"""Small-cluster inference for the TWFE coefficient: wild cluster bootstrap and randomization inference.

Wild cluster restricted bootstrap (WCR; Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017):
for a null ``b = b0`` the restricted residuals ``e0 = y~ - b0 x~`` (two-way within-transformed)
are multiplied by one draw ``v_g`` per area (Rademacher +-1, or Webb's six points
+-sqrt(1/2), +-1, +-sqrt(3/2)); the bootstrap t statistic uses the same HC1 cluster SE as the
point estimate. ``p(b0) = mean(|t*| >= |t(b0)|)``; the confidence interval is ``{b0 : p(b0) > alpha}``
found by bisection with the same draws for every ``b0`` (test inversion).

Randomization inference permutes which areas carry which first-treated period (the number of
treated areas and their start pattern are kept), recomputes the TWFE coefficient and compares
``|b_perm|`` with ``|b|``; the interval inverts the sharp null of a constant effect ``tau0``
(``y - tau0 D``), which is linear in ``tau0`` and so exact by bisection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaltool.areas.panel import AreaPanel
from evaltool.areas.twfe import TwfeFit, absorb

__all__ = ["WildBootstrap", "twfe_wild_bootstrap", "RandomizationTest", "randomization_inference",
           "draw_weights"]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def draw_weights(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Multiplier draws: ``rademacher``, ``webb`` or ``mammen`` (two-point, mean 0, variance 1)."""
    if kind == "rademacher":
        return rng.integers(0, 2, shape) * 2.0 - 1.0
    if kind == "webb":
        return _WEBB[rng.integers(0, 6, shape)]
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        p = (s5 + 1) / (2 * s5)
        return np.where(rng.random(shape) < p, -(s5 - 1) / 2, (s5 + 1) / 2)
    raise ValueError(f"unknown weight kind {kind!r}")


def _bisect(f, inside: float, outside: float, iters: int = 60) -> float:
    """Boundary between ``inside`` (f True) and ``outside`` (f False)."""
    for _ in range(iters):
        mid = 0.5 * (inside + outside)
        if f(mid):
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


def _invert(accept, center: float, scale: float) -> tuple[float, float]:
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    bounds = []
    for sign in (-1.0, 1.0):
        step = scale
        while accept(center + sign * step) and step < 1e6 * scale:
            step *= 2
        bounds.append(_bisect(accept, center, center + sign * step))
    return bounds[0], bounds[1]


@dataclass(frozen=True)
class WildBootstrap:
    """Wild cluster restricted bootstrap for one coefficient."""

    pvalue: float
    ci_low: float
    ci_high: float
    n_boot: int
    weights: str
    n_clusters: int


def twfe_wild_bootstrap(fit: TwfeFit, n_boot: int, weights: str, rng: np.random.Generator,
                           alpha: float = 0.05) -> WildBootstrap:
    """WCR bootstrap p-value of ``b = 0`` and test-inversion interval for the TWFE coefficient.

    Works on area-level sums: with ``A_g = sum w x~ y~``, ``B_g = sum w x~^2`` the restricted
    score of area ``g`` at ``b0`` is ``s_g = A_g - b0 B_g``; a draw gives
    ``b* - b0 = sum v_g s_g / S`` and area scores ``v_g s_g - (b* - b0) B_g``.
    """
    x, y, w, g = fit.xt[:, 0], fit.yt, fit.weights, fit.cluster  # t(b0) uses the unrestricted SE
    n_g = int(g.max()) + 1
    a = np.bincount(g, w * x * y, n_g)
    b = np.bincount(g, w * x * x, n_g)
    s_xx = b.sum()
    n = len(x)
    c = n / (n - 1)
    v = draw_weights(weights, (n_boot, n_g), rng)
    beta = float(fit.params[0])
    se = float(np.sqrt(fit.vcov_cluster[0, 0]))

    def pval(b0: float) -> float:
        s = a - b0 * b
        d = v @ s / s_xx
        sc = v * s[None, :] - d[:, None] * b[None, :]
        se_star = np.sqrt(c * np.sum(sc ** 2, axis=1)) / s_xx
        t_star = np.abs(d) / np.where(se_star > 0, se_star, np.inf)
        t_obs = abs(beta - b0) / se
        return float(np.mean(t_star >= t_obs - 1e-12 * max(1.0, t_obs)))

    lo, hi = _invert(lambda b0: pval(b0) > alpha, beta, se)
    return WildBootstrap(pvalue=pval(0.0), ci_low=lo, ci_high=hi, n_boot=n_boot, weights=weights, n_clusters=n_g)


@dataclass(frozen=True)
class RandomizationTest:
    """Randomization inference over areas for the TWFE coefficient."""

    pvalue: float
    ci_low: float
    ci_high: float
    n_permutations: int


def randomization_inference(panel: AreaPanel, fit: TwfeFit, n_permutations: int, rng: np.random.Generator,
                            alpha: float = 0.05) -> RandomizationTest:
    """Permute the areas' first-treated periods; p-value of ``b = 0`` and interval under a constant effect."""
    f = panel.frame
    unit = pd.factorize(f["unit"], sort=True)[0]
    time = pd.factorize(f["time"], sort=True)[0]
    w = fit.weights
    t_vals = f["time"].to_numpy()
    g_units = panel.unit_g
    x_obs = fit.xt[:, 0]
    beta = float(fit.params[0])
    a_p = np.empty(n_permutations)
    c_p = np.empty(n_permutations)
    n_u, n_t = panel.n_units, len(panel.periods)
    plain = bool(np.all(w == w[0]))  # balanced and unweighted: two-way demeaning in closed form
    for r in range(n_permutations):
        g_perm = rng.permutation(g_units)[unit]
        d = ((g_perm > 0) & (t_vals >= g_perm)).astype(float)
        if plain:
            m = d.reshape(n_u, n_t)
            xt = (m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()).reshape(-1)
        else:
            xt = absorb(d, unit, time, w)
        sxx = float(np.sum(w * xt * xt))
        a_p[r] = np.sum(w * xt * fit.yt) / sxx if sxx > 0 else 0.0
        c_p[r] = np.sum(w * xt * x_obs) / sxx if sxx > 0 else 0.0

    def pval(tau0: float) -> float:
        stat = np.abs(a_p - tau0 * c_p)
        obs = abs(beta - tau0)
        return float((1 + np.sum(stat >= obs - 1e-12 * max(1.0, obs))) / (1 + n_permutations))

    se = float(np.sqrt(fit.vcov_cluster[0, 0]))
    lo, hi = _invert(lambda t0: pval(t0) > alpha, beta, se)
    return RandomizationTest(pvalue=pval(0.0), ci_low=lo, ci_high=hi, n_permutations=n_permutations)
