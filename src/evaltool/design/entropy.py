"""Entropy balancing (Hainmueller 2012) through its convex dual, solved by damped Newton.

The reweighted group ``R`` (controls for ATT, treated for ATC, each arm in turn for ATE)
gets weights ``w_i = exp(lambda' c_i) / sum_R exp(lambda' c_j)`` with ``c_i`` the chosen
moments of the covariates. ``lambda`` minimises the dual

    L(lambda) = log sum_{i in R} exp(lambda' (c_i - m))

(``m`` the target moments: the treated for ATT, the controls for ATC, everyone for ATE),
whose gradient is the weighted imbalance ``sum_i w_i (c_i - m)`` and whose Hessian is
the weighted covariance of ``c``; at the optimum the weighted moments of ``R`` equal
``m`` exactly and the weights are the closest to uniform in Kullback-Leibler divergence.
Columns are standardized (the weights do not depend on it); the Newton step is a
least-squares solve, so redundant moments (e.g. ``x^2`` of a binary ``x``) do no harm.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from evaltool.estimand import Estimand
from evaltool.exceptions import ConvergenceWarning, EstimationError

__all__ = ["entropy_weights", "moment_matrix", "solve_dual"]


def moment_matrix(data: pd.DataFrame, covariates: tuple[str, ...], moments: int) -> tuple[np.ndarray, list[str]]:
    """Covariate columns (evaltool's term grammar) and their powers 2..``moments``
    for non-binary columns."""
    from evaltool.terms import design_matrix

    X, names = design_matrix(data, covariates, intercept=False)
    X = X.to_numpy(dtype=float)
    cols, labels = [X], list(names)
    nonbinary = [j for j in range(X.shape[1]) if not np.all((X[:, j] == 0) | (X[:, j] == 1))]
    for k in range(2, moments + 1):
        if nonbinary:
            cols.append(X[:, nonbinary] ** k)
            labels += [f"{names[j]}^{k}" for j in nonbinary]
    return np.column_stack(cols), labels


def solve_dual(C: np.ndarray, target: np.ndarray, *, max_iter: int = 200,
               tol: float = 1e-10) -> tuple[np.ndarray, dict[str, Any]]:
    """Entropy-balancing weights of the rows of ``C`` (summing to 1) matching ``target``.

    Returns the weights and diagnostics: ``iterations``, ``converged``, ``max_imbalance``
    (largest |weighted mean - target| in SDs of the column), ``lambda`` (on the
    standardized columns).
    """
    sd = C.std(axis=0)
    live = sd > 0
    if (~live).any():
        const = C[0, ~live]
        if np.any(np.abs(const - target[~live]) > 1e-12 * np.maximum(1, np.abs(const))):
            raise EstimationError("entropy balancing is infeasible: a covariate is constant in the "
                                  "reweighted group but differs in the target; drop it or use "
                                  "exact strata")
    D = (C[:, live] - target[live]) / sd[live]
    lam = np.zeros(D.shape[1])

    def dual(lmb: np.ndarray) -> tuple[float, np.ndarray]:
        eta = D @ lmb
        top = eta.max()
        e = np.exp(eta - top)
        return float(top + np.log(e.sum())), e / e.sum()

    value, w = dual(lam)
    it, converged = 0, False
    for it in range(1, max_iter + 1):
        g = w @ D
        if np.abs(g).max() <= tol:
            converged = True
            it -= 1
            break
        H = (D * w[:, None]).T @ D - np.outer(g, g)
        step = np.linalg.lstsq(H, -g, rcond=None)[0]
        t = 1.0
        while True:  # backtracking (Armijo) on the convex dual
            new_value, new_w = dual(lam + t * step)
            if new_value <= value + 1e-4 * t * float(g @ step) or t < 1e-12:
                break
            t *= 0.5
        lam, value, w = lam + t * step, new_value, new_w
    else:
        converged = bool(np.abs(w @ D).max() <= tol)
    imb = float(np.abs(w @ D).max()) if D.shape[1] else 0.0
    return w, {"iterations": int(it), "converged": converged, "max_imbalance": imb,
               "lambda": lam.tolist()}


def entropy_weights(data: pd.DataFrame, treat: np.ndarray, covariates: tuple[str, ...],
                    estimand: Estimand, *, moments: int = 1, max_iter: int = 200,
                    tol: float = 1e-10) -> tuple[np.ndarray, dict[str, Any]]:
    """Entropy-balancing weights for an estimand; each reweighted arm's weights have mean 1.

    Warns with :class:`~evaltool.exceptions.ConvergenceWarning` when the largest
    standardized imbalance is above ``tol`` after ``max_iter`` Newton steps.
    """
    C, labels = moment_matrix(data, covariates, moments)
    t = np.asarray(treat, dtype=float)
    w = np.ones(t.size)
    if estimand in (Estimand.ATT, Estimand.ATM):
        plan = [(0, C[t == 1].mean(axis=0))]
    elif estimand is Estimand.ATC:
        plan = [(1, C[t == 0].mean(axis=0))]
    else:
        plan = [(0, C.mean(axis=0)), (1, C.mean(axis=0))]
    diag: dict[str, Any] = {"moments": labels}
    for arm, target in plan:
        m = t == arm
        wa, d = solve_dual(C[m], target, max_iter=max_iter, tol=tol)
        w[m] = wa * m.sum()
        name = "control" if arm == 0 else "treated"
        diag[name] = d
        if not d["converged"]:
            warnings.warn(f"entropy balancing of the {name} units did not converge in {max_iter} "
                          f"iterations (largest imbalance {d['max_imbalance']:.2g} SD); raise "
                          f"max_iter or drop moments", ConvergenceWarning, stacklevel=4)
    diag["converged"] = all(diag[k]["converged"] for k in ("control", "treated") if k in diag)
    return w, diag
