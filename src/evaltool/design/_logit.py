"""The propensity logit: R ``glm(family = binomial)`` by Newton/IRLS on a float design array.

Used by :func:`evaltool.design.propensity.fit_propensity`; works on numpy arrays only
(the design from :func:`evaltool.terms.design_array`), so no pandas is needed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from evaltool._blas import WORK_THREADS, in_threads, limit_blas
from evaltool.exceptions import ConvergenceWarning, EstimationError, EvaltoolError

__all__ = ["check_rank", "fit_logit", "blas_threads"]

_SEPARATION_EPS = 1e-9


def check_rank(A: np.ndarray, cols: Sequence[str]) -> np.ndarray:
    """Raise unless the design has full column rank; returns ``X'X`` (reused by the logit)."""
    if A.shape[0] <= A.shape[1]:
        raise EstimationError(f"the propensity model has {A.shape[1]} parameters but only "
                              f"{A.shape[0]} rows; use fewer covariates")
    gram = A.T @ A
    scale = _column_scale(A, gram)
    # Fast path: Cholesky of the equilibrated Gram matrix (p x p, one BLAS pass over the data);
    # every column at least 1e-4 (relative) away from the span of the others is full rank.
    G = gram / np.outer(scale, scale)
    try:
        if np.diag(np.linalg.cholesky(G)).min() > 1e-4:
            return gram
    except np.linalg.LinAlgError:
        pass
    # Near-deficient: a column-pivoted QR of the design decides and names the culprits.
    from scipy.linalg import qr

    _, R, piv = qr(A / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = diag.max() * max(A.shape) * np.finfo(float).eps * 1e3
    rank = int((diag > tol).sum())
    if rank < A.shape[1]:
        bad = [cols[i] for i in piv[rank:]]
        raise EstimationError(f"the propensity design is singular: column(s) {', '.join(map(repr, bad))} "
                              f"are constant or collinear with the others; drop or merge them")
    return gram


_BLOCK = 1 << 16
_THREADS = WORK_THREADS  # for the row blocks of the logit (see _in_blocks)
_MIN_BLOCKS_FOR_THREADS = 4


def blas_threads() -> Any:
    """The BLAS thread limit for the logit's products: one thread unless
    ``EVALTOOL_BLAS_THREADS`` says otherwise (a number; ``0`` leaves BLAS its own default,
    every core).

    One thread by default: the products are ``p x p`` results of ``n x p`` blocks, and
    measured at 100k and 1M x 15 (OpenBLAS, 2 cores) a second thread costs more CPU
    (waking, spinning) than it saves, and more wall time too when the cores are shared;
    on an idle machine with many cores ``EVALTOOL_BLAS_THREADS=0`` may be faster. The
    fitted scores do not depend on it (``tests/test_matching_arrow.py``)."""
    value = os.environ.get("EVALTOOL_BLAS_THREADS", "").strip() or "1"
    if not value.isdigit():
        raise EvaltoolError(f"EVALTOOL_BLAS_THREADS must be a whole number (0 = BLAS default); "
                            f"got {value!r}")
    return limit_blas(None if value == "0" else int(value))


def _column_scale(A: np.ndarray, gram: np.ndarray | None = None) -> np.ndarray:
    """Euclidean norm of every column (from the diagonal of ``A'A`` when given); 1 for zero."""
    scale = np.sqrt(np.einsum("ij,ij->j", A, A) if gram is None else np.diag(gram).copy())
    scale[scale == 0] = 1.0
    return scale


def _in_blocks(n: int, work: Any) -> list:
    """``[work(0, b, slot), work(b, 2b, slot), ...]`` over fixed row blocks of ``_BLOCK`` rows
    in up to ``_THREADS`` threads (``slot`` numbers the thread, for scratch buffers). Block
    boundaries do not depend on the number of threads and callers combine the results in
    block order, so every result is the same bits whatever the number of threads."""
    jobs = [partial(work, i, min(i + _BLOCK, n)) for i in range(0, n, _BLOCK)]
    # a few blocks are not worth a thread's hand-off (which waits for a core when it is busy)
    return in_threads(jobs, _THREADS if len(jobs) >= _MIN_BLOCKS_FOR_THREADS else 1)


def _weighted_gram(A: np.ndarray, w: np.ndarray | None = None, mu: np.ndarray | None = None) -> np.ndarray:
    """``A.T @ diag(w) @ A`` in row blocks (no n x p temporary), summed in block order.

    With ``mu`` instead of ``w`` the IRLS weights ``max(mu (1 - mu), eps)`` are formed block by
    block (no n-vector)."""
    n, p = A.shape
    eps = np.finfo(float).eps
    bufs = [np.empty((min(_BLOCK, n), p), order="F") for _ in range(min(_THREADS, -(-n // _BLOCK)))]

    def block(lo: int, hi: int, slot: int) -> np.ndarray:
        if w is None:
            wb = np.subtract(1.0, mu[lo:hi])
            wb *= mu[lo:hi]
            np.maximum(wb, eps, out=wb)
        else:
            wb = w[lo:hi]
        sw = np.sqrt(wb)
        B = bufs[slot][:hi - lo]
        np.multiply(A[lo:hi], sw[:, None], out=B)
        return B.T @ B

    H = np.zeros((p, p))
    for G in _in_blocks(n, block):
        H += G
    return H


def _logit_mu(eta: np.ndarray) -> np.ndarray:
    """R's binomial logit ``linkinv`` (eta clamped to [-30, 30] as in R's C code);
    ``e / (1 + e)`` computed in place (one n-vector instead of four)."""
    e = np.clip(eta, -30.0, 30.0)
    np.exp(e, out=e)
    return np.divide(e, e + 1.0, out=e)


def _mu_and_deviance(eta: np.ndarray, is_one: np.ndarray) -> tuple[np.ndarray, float]:
    """``(_logit_mu(eta), _binomial_deviance(y, mu, is_one))`` in row blocks (threads);
    elementwise the same operations, and the deviance summed over the whole vector."""
    mu = np.empty_like(eta)
    t = np.empty_like(eta)

    def block(lo: int, hi: int, slot: int) -> None:
        e = mu[lo:hi]
        np.clip(eta[lo:hi], -30.0, 30.0, out=e)
        np.exp(e, out=e)
        np.divide(e, e + 1.0, out=e)
        tb = t[lo:hi]
        np.subtract(1.0, e, out=tb)
        np.copyto(tb, e, where=is_one[lo:hi])
        np.log(tb, out=tb)

    _in_blocks(eta.size, block)
    return mu, float(-2.0 * t.sum())


def _binomial_deviance(y: np.ndarray, mu: np.ndarray, is_one: np.ndarray | None = None) -> float:
    """``sum(binomial()$dev.resids(y, mu, 1))`` for 0/1 ``y`` (``is_one``: ``y == 1``).

    ``-2 sum(log(.))`` equals ``sum(-2 log(.))`` exactly (scaling by 2 is exact)."""
    t = np.subtract(1.0, mu)
    np.copyto(t, mu, where=(y == 1) if is_one is None else is_one)
    np.log(t, out=t)
    return float(-2.0 * t.sum())


def fit_logit(A: np.ndarray, cols: Sequence[str], y: np.ndarray, maxit: int = 25, epsilon: float = 1e-8,
               gram: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R ``glm.fit(family = binomial())``: Newton/IRLS, one Cholesky solve per iteration.

    Start at ``mu = (y + 0.5) / 2`` and stop when ``|dev - dev_old| / (|dev| + 0.1) <
    epsilon`` (R's rule, ``maxit = 25``), so the returned iterate is R's. Each step solves
    ``(X' W X) d = X' (y - mu)`` with the columns equilibrated, which is R's weighted
    least-squares update written as an increment. ``gram`` is ``X'X`` if already computed:
    R's start gives every row the weight ``mu (1 - mu) = 3/16``, so the first step reuses it.
    The elementwise steps and ``X' W X`` run in fixed row blocks in up to two threads; the
    results do not depend on the number of threads.
    """
    if A.dtype != np.float64:
        A = A.astype(np.float64)
    scale = _column_scale(A, gram)
    is_one = y == 1
    mu = (y + 0.5) / 2.0
    eta = np.log(mu / (1.0 - mu))
    dev_old = _binomial_deviance(y, mu, is_one)
    # first step from R's starting eta: solve X'WX b = X'W z with z = eta + (y - mu) / w
    w = mu * (1.0 - mu)
    rhs = A.T @ (w * eta + (y - mu))
    H0 = _weighted_gram(A, w) if gram is None else (3.0 / 16.0) * gram
    coef = _newton_solve(H0, rhs, scale)
    converged = False
    for _ in range(maxit):
        eta = A @ coef
        mu, dev = _mu_and_deviance(eta, is_one)
        if not np.isfinite(dev):
            raise EstimationError("the propensity logit diverged (non-finite deviance); check for "
                                  "separation or extreme covariate values")
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        dev_old = dev
        coef = coef + _newton_solve(_weighted_gram(A, mu=mu), A.T @ (y - mu), scale)
    p = np.empty_like(eta)

    def fitted(lo: int, hi: int, slot: int) -> None:
        with np.errstate(over="ignore"):  # per thread: numpy's error state is thread-local
            np.divide(1.0, 1.0 + np.exp(-eta[lo:hi]), out=p[lo:hi])

    _in_blocks(eta.size, fitted)
    fitted_edge = np.mean((p < _SEPARATION_EPS) | (p > 1 - _SEPARATION_EPS)) > 0
    perfect = bool(np.all(np.abs(y - p) < 1e-6))
    if perfect or (fitted_edge and np.abs(coef * A.std(axis=0)).max() > 15):
        _raise_separation(A, cols, y, coef)
    if not converged:
        warnings.warn(f"the propensity logit did not converge in {maxit} iterations", ConvergenceWarning,
                      stacklevel=3)
    return coef, p, eta


def _newton_solve(H: np.ndarray, g: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Solve ``H x = g`` by Cholesky of the equilibrated ``H / (s s')``."""
    Hs = H / np.outer(scale, scale)
    try:
        L = np.linalg.cholesky(Hs)
    except np.linalg.LinAlgError as exc:
        raise EstimationError("the propensity logit's information matrix is not positive definite "
                              "(collinear covariates or separation); drop or merge covariates") from exc
    z = np.linalg.solve(L, g / scale)
    return np.linalg.solve(L.T, z) / scale


def _raise_separation(A: np.ndarray, cols: Sequence[str], y: np.ndarray, coef: np.ndarray | None) -> None:
    t = y == 1
    culprits = []
    for j, name in enumerate(cols):
        if name == "(Intercept)":
            continue
        x = A[:, j]
        if x[t].max() < x[~t].min() or x[~t].max() < x[t].min():
            culprits.append(name)
        elif set(np.unique(x)) <= {0.0, 1.0}:
            for v in (0.0, 1.0):
                sel = x == v
                if sel.any() and (y[sel].min() == y[sel].max()):
                    culprits.append(name)
                    break
    if not culprits and coef is not None:
        size = np.abs(coef * A.std(axis=0))
        size[0] = 0
        culprits = [cols[int(np.argmax(size))]]
    raise EstimationError(
        "perfect or quasi-complete separation in the propensity model: treatment is (almost) "
        f"determined by {', '.join(map(repr, culprits)) or 'the covariates'}; use exact matching on "
        "these, coarsen them or drop them"
    )
