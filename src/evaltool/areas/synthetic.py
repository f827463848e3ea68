"""Synthetic control and synthetic difference in differences (Arkhangelsky et al. 2021).

Both follow R ``synthdid`` (Frank-Wolfe with exact line search, then one sparsification
``v[v <= max(v)/4] = 0`` and a second run). With ``Y`` the areas x periods matrix, controls first,
``N0`` controls, ``T0`` pre periods, and the collapsed matrix ``Yc`` (treated rows averaged, post
columns averaged):

* unit weights ``omega`` on the simplex minimise
  ``||(Yc_pre,tr - omega0) - Yc_pre,co' omega||^2 / T0 + zeta_omega^2 ||omega||^2`` over
  ``omega`` and an intercept ``omega0`` (synthetic DiD; ``zeta_omega = (N1 T1)^(1/4) sd(dY_co,pre)``
  with ``dY`` first differences of the control pre-period outcomes);
* time weights ``lambda`` on the simplex minimise
  ``||(Yc_co,post - lambda0) - Yc_co,pre lambda||^2 / N0 + zeta_lambda^2 ||lambda||^2`` with
  ``zeta_lambda = 1e-6 sd(dY)``;
* ``tau = (-omega, 1/N1)' Y (-lambda, 1/T1)``.

The synthetic control is the same with no intercept in ``omega``, ``zeta_omega = 1e-6 sd(dY)``
and ``lambda = 0``: ``tau = mean_post(Y_tr) - sum_j omega_j mean_post(Y_j)`` with ``omega``
minimising the pre-period squared distance between the treated path and the weighted donor path.
Inference: placebo-in-space (each control in turn as the treated unit; a rank p-value) and
synthdid's placebo SE ``sqrt((B-1)/B) sd(tau_b)``, where ``tau_b`` re-estimates on a random
permutation of the controls with the last ``N1`` of them playing treated (placebo fits cap the
second Frank-Wolfe run at ``PLACEBO_MAX_ITER`` steps). The pre RMSPE is the root mean squared
pre-period gap between the treated average and its synthetic counterpart (after removing the
constant level difference for synthetic DiD and DiD, whose intercept absorbs it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaltool.exceptions import EstimationError

# Placebo re-estimates stop the second Frank-Wolfe run after this many steps (R: 10 000); the
# placebo SE is random anyway, and this keeps 200 replications to seconds.
PLACEBO_MAX_ITER = 1_000

__all__ = ["PLACEBO_MAX_ITER", "SynthFit", "synth_estimate", "placebo_se", "placebo_in_space", "synth_matrix"]


def _fw(y: np.ndarray, zeta: float, intercept: bool, lam: np.ndarray | None, min_decrease: float,
        max_iter: int) -> np.ndarray:
    """synthdid's ``sc.weight.fw``: weights for the first ``ncol-1`` columns fitting the last.

    Frank-Wolfe with exact line search on ``||A x - b||^2 + eta ||x||^2`` (``eta = n0 zeta^2``),
    stopping when the objective ``zeta^2 ||x||^2 + ||A x - b||^2 / n0`` falls by less than
    ``min_decrease^2``. Same iterates as R, computed through the Gram matrix ``A'A`` so one step
    costs O(k) instead of O(n k).
    """
    n0, t0 = y.shape[0], y.shape[1] - 1
    x = np.full(t0, 1.0 / t0) if lam is None else lam.astype(float).copy()
    if intercept:
        y = y - y.mean(axis=0)
    a, b = y[:, :t0], y[:, t0]
    eta = n0 * zeta ** 2
    gram = a.T @ a
    diag = np.diag(gram).copy()
    ab = a.T @ b
    bb = float(b @ b)
    gx = gram @ x
    z2 = zeta ** 2
    prev = prev2 = np.inf
    it = 0
    while it < max_iter and (it < 2 or prev2 - prev > min_decrease ** 2):
        it += 1
        hg = gx - ab + eta * x
        i = int(np.argmin(hg))
        xgx = float(x @ gx)
        xx = float(x @ x)
        dgd = diag[i] - 2 * gx[i] + xgx                 # ||A d||^2, d = e_i - x
        num = hg[i] - float(hg @ x)                      # half_grad . d
        den = dgd + eta * (1 - 2 * x[i] + xx)
        if not (x[i] == 1.0 and xx == 1.0) and den > 0:
            s = min(1.0, max(0.0, -num / den))
            x = x * (1 - s)
            x[i] += s
            gx = gx * (1 - s) + s * gram[:, i]
        val = z2 * float(x @ x) + (float(x @ gx) - 2 * float(ab @ x) + bb) / n0
        prev2, prev = prev, val
    return x


def _sparsify(v: np.ndarray) -> np.ndarray:
    v = np.where(v <= v.max() / 4, 0.0, v)
    return v / v.sum()


@dataclass(frozen=True)
class SynthFit:
    """A synthetic control / synthetic DiD fit on a block design."""

    estimate: float
    omega: np.ndarray
    lam: np.ndarray
    pre_rmspe: float
    n0: int
    t0: int


def synth_estimate(y: np.ndarray, n0: int, t0: int, method: str = "synthetic_did",
                   omega_init: np.ndarray | None = None, max_iter: int = 10_000) -> SynthFit:
    """Estimate on ``y`` (controls in the first ``n0`` rows, treatment from column ``t0``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=(12, 8)); y[-1, 5:] -= 3.0
    >>> round(synth_estimate(y, 11, 5).estimate, 1) < -1
    True
    """
    n, t = y.shape
    n1, t1 = n - n0, t - t0
    if n0 < 1 or n1 < 1 or t0 < 2 or t1 < 1:
        raise EstimationError(f"{method}: needs >= 1 control and treated area and >= 2 pre periods; "
                              f"got {n0} controls, {n1} treated, {t0} pre periods")
    noise = float(np.std(np.diff(y[:n0, :t0], axis=1), ddof=1)) if t0 > 2 or n0 > 1 else 0.0
    yc = np.vstack([np.column_stack([y[:n0, :t0], y[:n0, t0:].mean(axis=1)]),
                    np.append(y[n0:, :t0].mean(axis=0), y[n0:, t0:].mean())])
    min_dec = 1e-5 * noise
    if method == "synthetic_did":
        zeta_omega = ((n1 * t1) ** 0.25) * noise
        lam = _fw(yc[:n0, :], 1e-6 * noise, True, None, min_dec, 100)
        lam = _fw(yc[:n0, :], 1e-6 * noise, True, _sparsify(lam), min_dec, max_iter)
        omega_intercept = True
    elif method == "synthetic_control":
        zeta_omega = 1e-6 * noise
        lam = np.zeros(t0)
        omega_intercept = False
    elif method == "did":
        lam = np.full(t0, 1.0 / t0)
        omega = np.full(n0, 1.0 / n0)
        return _finish(y, n0, t0, omega, lam)
    else:
        raise EstimationError(f"unknown synthetic method {method!r}")
    ot = yc[:, :t0].T
    omega = _fw(ot, zeta_omega, omega_intercept, omega_init, min_dec, 100)
    omega = _fw(ot, zeta_omega, omega_intercept, _sparsify(omega), min_dec, max_iter)
    return _finish(y, n0, t0, omega, lam)


def _finish(y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> SynthFit:
    n, t = y.shape
    n1, t1 = n - n0, t - t0
    est = float(np.concatenate([-omega, np.full(n1, 1 / n1)]) @ y @ np.concatenate([-lam, np.full(t1, 1 / t1)]))
    gap = y[n0:, :t0].mean(axis=0) - omega @ y[:n0, :t0]
    gap = gap - (np.mean(gap) if lam.sum() > 0 else 0.0)
    return SynthFit(estimate=est, omega=omega, lam=lam, pre_rmspe=float(np.sqrt(np.mean(gap ** 2))), n0=n0, t0=t0)


def placebo_se(y: np.ndarray, n0: int, t0: int, method: str, fit: SynthFit, replications: int,
               rng: np.random.Generator) -> float:
    """synthdid's placebo SE: re-estimate on permuted controls with ``N1`` of them as placebo treated."""
    n1 = y.shape[0] - n0
    if n0 <= n1:
        raise EstimationError(f"{method}: placebo SE needs more controls ({n0}) than treated areas ({n1})")
    ests = np.empty(replications)
    for r in range(replications):
        ind = rng.permutation(n0)
        m0 = n0 - n1
        init = fit.omega[ind[:m0]]
        init = init / init.sum() if method != "did" and init.sum() > 0 else None
        ests[r] = synth_estimate(y[ind], m0, t0, method, omega_init=init, max_iter=PLACEBO_MAX_ITER).estimate
    return float(np.sqrt((replications - 1) / replications) * np.std(ests, ddof=1))


def placebo_in_space(y: np.ndarray, n0: int, t0: int, method: str, fit: SynthFit) -> dict:
    """Each control in turn as the treated area (other controls as donors); rank p-value of |tau|/pre RMSPE."""
    ests, ratios = [], []
    for j in range(n0):
        order = [k for k in range(n0) if k != j] + [j]
        f = synth_estimate(y[order], n0 - 1, t0, method, max_iter=PLACEBO_MAX_ITER) if n0 > 2 else None
        if f is None:
            continue
        ests.append(f.estimate)
        ratios.append(abs(f.estimate) / f.pre_rmspe if f.pre_rmspe > 0 else np.inf)
    ests_a = np.array(ests)
    p_est = (1 + np.sum(np.abs(ests_a) >= abs(fit.estimate))) / (1 + len(ests_a))
    r_obs = abs(fit.estimate) / fit.pre_rmspe if fit.pre_rmspe > 0 else np.inf
    p_ratio = (1 + np.sum(np.array(ratios) >= r_obs)) / (1 + len(ests_a))
    return {"n_placebos": len(ests_a), "pvalue_abs_estimate": float(p_est), "pvalue_rmspe_ratio": float(p_ratio),
            "placebo_estimates_sd": float(np.std(ests_a, ddof=1)) if len(ests_a) > 1 else None}


def synth_matrix(panel, first: int) -> tuple[np.ndarray, int, int, np.ndarray, np.ndarray]:
    """Block matrix for areas starting in ``first`` vs never-treated areas (later starters left out)."""
    ym = panel.matrix("y")
    g = panel.unit_g
    co, tr = np.flatnonzero(g == 0), np.flatnonzero(g == first)
    t0 = int(np.searchsorted(panel.periods, first))
    return np.vstack([ym[co], ym[tr]]), len(co), t0, panel.units[co], panel.units[tr]
