"""The propensity logit: R ``glm(family = binomial)`` by Newton/IRLS, block by block of rows.

Used by :func:`evaltool.design.propensity.fit_propensity`. The design is an
:class:`evaltool._fill.Design` (from :func:`evaltool.terms.design_blocks`; a float array is
wrapped in one): every pass writes fixed blocks of rows into a small per-thread buffer and
works on them while they are in the cache, so the n x p float matrix is never held (it is
built only to name the culprits of a singular design or of separation). Works on numpy
arrays only, so no pandas is needed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from evaltool._blas import WORK_THREADS, in_threads, limit_blas
from evaltool._fill import Design
from evaltool.exceptions import ConvergenceWarning, EstimationError, EvaltoolError

__all__ = ["check_rank", "fit_logit", "blas_threads", "as_design"]

_SEPARATION_EPS = 1e-9
_BLOCK = 1 << 14  # 16384 rows: a block of 15 float columns (1.9 MiB) stays in the cache
_THREADS = WORK_THREADS  # for the row blocks of the logit (see _in_blocks)
_MIN_BLOCKS_FOR_THREADS = 4
_LOOKAHEAD = 100.0  # a pass leaves out the step when 100 x the last change squared < epsilon


def as_design(X: Any, cols: Sequence[str] | None = None) -> Design:
    """``X`` as a :class:`~evaltool._fill.Design` (a float array is wrapped, not copied)."""
    if isinstance(X, Design):
        return X
    X = np.asarray(X, dtype=np.float64)
    names = list(cols) if cols is not None else [str(j) for j in range(X.shape[1])]
    return Design(X.shape[0], [X[:, j] for j in range(X.shape[1])], names)


def _in_blocks(n: int, work: Callable[[int, int, int], Any]) -> list:
    """``[work(0, b, slot), work(b, 2b, slot), ...]`` over fixed row blocks of ``_BLOCK`` rows
    in up to ``_THREADS`` threads (``slot`` numbers the thread, for scratch buffers). Block
    boundaries do not depend on the number of threads and callers combine the results in
    block order, so every result is the same bits whatever the number of threads."""
    jobs = [partial(work, i, min(i + _BLOCK, n)) for i in range(0, n, _BLOCK)]
    # a few blocks are not worth a thread's hand-off (which waits for a core when it is busy)
    return in_threads(jobs, _THREADS if len(jobs) >= _MIN_BLOCKS_FOR_THREADS else 1)


class _Scratch:
    """Per-thread buffers for one pass: a column-major block of the design and n-vectors.

    A design of ``p = 3 (mod 4)`` columns gets one zero column more: OpenBLAS's ``syrk``
    (``B'B``) on such blocks runs about 1.5x slower than on ``p + 1`` columns (measured
    with 16384 x 15 blocks: 30 against 19 ms per million rows). :func:`_cols` takes the
    design's columns of a block."""

    def __init__(self, D: Design, vectors: int) -> None:
        n, p = D.shape
        rows = min(_BLOCK, n)
        slots = min(_THREADS, max(1, -(-n // _BLOCK)))
        width = p + 1 if p % 4 == 3 else p
        self.blocks = [np.zeros((rows, width), order="F") for _ in range(slots)]
        self.vectors = [[np.empty(rows) for _ in range(vectors)] for _ in range(slots)]


def _cols(M: np.ndarray, p: int) -> np.ndarray:
    """The first ``p`` rows and columns (or entries) of a product of padded blocks."""
    return M[:p, :p] if M.ndim == 2 else M[:p]


def _sum(parts: list, index: int) -> Any:
    """Element ``index`` of the per-block results, summed in block order."""
    total = parts[0][index].copy()
    for part in parts[1:]:
        total += part[index]
    return total


def _gram_pass(D: Design, is_one: np.ndarray | None = None,
               z01: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X'X, X' z)`` in one pass, ``z`` taking ``z01[0]`` where ``y = 0`` and ``z01[1]``
    where ``y = 1`` (``is_one``); ``(X'X, None)`` without them."""
    scratch = _Scratch(D, 1)

    def block(lo: int, hi: int, slot: int) -> tuple[np.ndarray, np.ndarray | None]:
        B = D.rows(lo, hi, scratch.blocks[slot])
        if z01 is None:
            # np.dot releases the GIL in BLAS (``@`` held it here: two threads were no faster)
            return np.dot(B.T, B), None
        z = scratch.vectors[slot][0][:hi - lo]
        z.fill(z01[0])
        np.copyto(z, z01[1], where=is_one[lo:hi])
        return np.dot(B.T, B), np.dot(B.T, z)

    parts = _in_blocks(D.shape[0], block)
    p = D.shape[1]
    return _cols(_sum(parts, 0), p), None if z01 is None else _cols(_sum(parts, 1), p)


def _newton_pass(D: Design, coef: np.ndarray | None, y: np.ndarray, is_one: np.ndarray,
                 eta: np.ndarray, step: bool = True) -> tuple[float, Any, Any]:
    """At ``coef``: ``eta = X coef`` (written into ``eta``), ``mu`` (R's binomial logit
    ``linkinv``: ``e / (1 + e)``, ``e = exp(eta)`` with eta clamped to [-30, 30] as in R's C
    code), the binomial deviance ``sum(binomial()$dev.resids(y, mu, 1))`` and, with ``step``,
    the next Newton step's ``(X' W X, X' (y - mu))`` with IRLS weights ``W = max(mu (1 - mu),
    eps)``, all in one pass over the blocks (``(dev, None, None)`` without ``step``). The
    deviance is each block's sum, summed in block order. ``coef=None`` reads ``eta`` as it is
    (a step after a pass without one: the same values as that pass would have given)."""
    scratch = _Scratch(D, 3)
    eps = np.finfo(float).eps
    p = D.shape[1]

    def block(lo: int, hi: int, slot: int) -> tuple[float, Any, Any]:
        B = D.rows(lo, hi, scratch.blocks[slot])
        mu, t, r = (v[:hi - lo] for v in scratch.vectors[slot])
        e = eta[lo:hi]
        if coef is not None:
            np.dot(B[:, :p], coef, out=e)
        np.clip(e, -30.0, 30.0, out=mu)
        np.exp(mu, out=mu)
        np.add(mu, 1.0, out=t)
        np.divide(mu, t, out=mu)
        np.subtract(1.0, mu, out=t)
        np.copyto(t, mu, where=is_one[lo:hi])
        np.log(t, out=t)
        dev = -2.0 * float(t.sum())
        if not step:
            return dev, None, None
        np.subtract(y[lo:hi], mu, out=r)
        g = np.dot(B.T, r)
        np.subtract(1.0, mu, out=t)
        t *= mu
        np.maximum(t, eps, out=t)
        np.sqrt(t, out=t)
        B *= t[:, None]
        return dev, np.dot(B.T, B), g

    parts = _in_blocks(D.shape[0], block)
    dev = 0.0
    for part in parts:
        dev += part[0]
    if not step:
        return dev, None, None
    return dev, _cols(_sum(parts, 1), p), _cols(_sum(parts, 2), p)


def check_rank(X: Any, cols: Sequence[str], gram: np.ndarray | None = None) -> np.ndarray:
    """Raise unless the design (array or :class:`~evaltool._fill.Design`) has full column rank;
    returns ``X'X`` (computed unless given)."""
    D = as_design(X, cols)
    n, p = D.shape
    if n <= p:
        raise EstimationError(f"the propensity model has {p} parameters but only "
                              f"{n} rows; use fewer covariates")
    if gram is None:
        gram = _gram_pass(D)[0]
    scale = _column_scale(gram)
    # Fast path: Cholesky of the equilibrated Gram matrix (p x p, one pass over the data);
    # every column at least 1e-4 (relative) away from the span of the others is full rank.
    G = gram / np.outer(scale, scale)
    try:
        if np.diag(np.linalg.cholesky(G)).min() > 1e-4:
            return gram
    except np.linalg.LinAlgError:
        pass
    # Near-deficient: a column-pivoted QR of the design decides and names the culprits.
    from scipy.linalg import qr

    A = D.materialize()
    _, R, piv = qr(A / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = diag.max() * max(A.shape) * np.finfo(float).eps * 1e3
    rank = int((diag > tol).sum())
    if rank < A.shape[1]:
        bad = [cols[i] for i in piv[rank:]]
        raise EstimationError(f"the propensity design is singular: column(s) {', '.join(map(repr, bad))} "
                              f"are constant or collinear with the others; drop or merge them")
    return gram


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


def _column_scale(gram: np.ndarray) -> np.ndarray:
    """Euclidean norm of every column, from the diagonal of ``X'X``; 1 for a zero column."""
    scale = np.sqrt(np.diag(gram).copy())
    scale[scale == 0] = 1.0
    return scale


def fit_logit(X: Any, cols: Sequence[str], y: np.ndarray, maxit: int = 25,
              epsilon: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R ``glm.fit(family = binomial())``: Newton/IRLS, one Cholesky solve per iteration.

    ``X`` is a float array or a :class:`~evaltool._fill.Design`. Start at ``mu = (y + 0.5) / 2``
    and stop when ``|dev - dev_old| / (|dev| + 0.1) < epsilon`` (R's rule, ``maxit = 25``),
    so the returned iterate is R's. Each step solves ``(X' W X) d = X' (y - mu)`` with the
    columns equilibrated, which is R's weighted least-squares update written as an
    increment; R's start gives every row the weight ``mu (1 - mu) = 3/16``, so the first
    step's matrix is ``X'X`` (also the rank check's). Each iteration is one pass over fixed
    row blocks in up to two threads (the next step's ``X' W X`` is formed in the same pass as
    the deviance that may end the loop); the results do not depend on the number of threads.
    Returns ``(coef, p, eta)``; raises :class:`EstimationError` on a singular design or
    separation.
    """
    D = as_design(X, cols)
    n = D.shape[0]
    if n <= D.shape[1]:
        check_rank(D, cols)  # raises: more parameters than rows
    is_one = y == 1
    # R's start mu = (y + 0.5) / 2 takes two values, so every start quantity is worked out on
    # the pair (y = 0, y = 1) and spread: elementwise the same operations, the same bits
    y01 = np.array([0.0, 1.0])
    mu01 = (y01 + 0.5) / 2.0
    eta01 = np.log(mu01 / (1.0 - mu01))
    w01 = mu01 * (1.0 - mu01)
    z01 = w01 * eta01 + (y01 - mu01)  # w z with R's working response z = eta + (y - mu) / w
    # every row's deviance residual is -2 log(3/4); R sums them one by one, numpy pairwise:
    # the product differs from both in the last bits, which only the first stopping test reads
    dev_old = -2.0 * float(np.log(1.0 - mu01[0])) * n
    # first step from R's starting eta: solve X'WX b = X'W z, W = 3/16
    gram, rhs = _gram_pass(D, is_one, z01)
    gram = check_rank(D, cols, gram)
    scale = _column_scale(gram)
    coef = _newton_solve(w01[0] * gram, rhs, scale)
    converged = False
    eta = np.empty(n)
    change = np.inf
    for _ in range(maxit):
        # Newton's relative change about squares each step: after a change below
        # sqrt(epsilon / 100) the next pass very likely ends the loop, so it leaves out the
        # step (X'WX is most of a pass), formed from eta by one more pass if it does not
        step = change * change * _LOOKAHEAD >= epsilon
        dev, H, g = _newton_pass(D, coef, y, is_one, eta, step)
        if not np.isfinite(dev):
            raise EstimationError("the propensity logit diverged (non-finite deviance); check for "
                                  "separation or extreme covariate values")
        change = abs(dev - dev_old) / (abs(dev) + 0.1)
        if change < epsilon:
            converged = True
            break
        dev_old = dev
        if not step:
            _, H, g = _newton_pass(D, None, y, is_one, eta)
        coef = coef + _newton_solve(H, g, scale)
    p = np.empty_like(eta)

    def fitted(lo: int, hi: int, slot: int) -> None:
        with np.errstate(over="ignore"):  # per thread: numpy's error state is thread-local
            np.divide(1.0, 1.0 + np.exp(-eta[lo:hi]), out=p[lo:hi])

    _in_blocks(n, fitted)
    p_min, p_max = p.min(), p.max()
    fitted_edge = p_min < _SEPARATION_EPS or p_max > 1 - _SEPARATION_EPS
    # every |y - p| < 1e-6 needs scores that near 0 and 1 (both groups are present)
    perfect = p_min < 1e-6 and p_max > 1 - 1e-6 and bool(np.abs(y - p).max() < 1e-6)
    if perfect or fitted_edge:
        A = D.materialize()
        if perfect or np.abs(coef * A.std(axis=0)).max() > 15:
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
