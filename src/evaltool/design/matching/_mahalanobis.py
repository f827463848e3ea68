"""Nearest-neighbour matching on Mahalanobis distance without an n-by-m matrix.

Covariates are whitened with the pooled within-group covariance (MatchIt:
group-mean-centred crossproduct / (n - 2)), so Mahalanobis distance is Euclidean
distance between whitened rows. Per exact stratum a KD-tree
(``scipy.spatial.cKDTree``) answers nearest-neighbour queries; without
replacement the query grows until an unused control appears and the tree is
rebuilt on the unused controls once half of them are taken. Within a propensity
caliper (``mahvars``) only the controls inside the caliper window of the sorted
score are compared. Equidistant controls: the first in data order wins.
"""

from __future__ import annotations

import numpy as np

__all__ = ["whiten", "pooled_within_cov", "match_mahalanobis", "scan_positions"]

_REL_TIE = 1e-12


def pooled_within_cov(X: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """Pooled within-group covariance: group-mean-centred crossproduct / (n - 2)."""
    Xc = X.astype(float).copy()
    for g in (0, 1):
        m = treat == g
        Xc[m] -= Xc[m].mean(axis=0)
    return Xc.T @ Xc / (X.shape[0] - 2)


def whiten(X: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Rows of ``X`` mapped so that Euclidean distance equals Mahalanobis distance.

    A singular covariance is handled by its pseudo-inverse (directions without
    variance are dropped).
    """
    vals, vecs = np.linalg.eigh(cov)
    keep = vals > vals.max() * 1e-12
    return X @ (vecs[:, keep] / np.sqrt(vals[keep]))


def scan_positions(X: np.ndarray, treat: np.ndarray, discarded: np.ndarray) -> np.ndarray:
    """Position of every unit in MatchIt's scan order (stable order of ``match_var``).

    ``match_var`` is the first column of MatchIt's Mahalanobis transform: with
    ``Xs = scale(X)`` and ``A = inv(pooled_cov(Xs))``, the pivoted Cholesky factor
    of ``A`` starts at ``j0 = argmax(diag(A))``, so ``match_var = Xs @ A[j0] / sqrt(A[j0, j0])``.
    """
    sd = X.std(axis=0, ddof=1)
    sd[sd == 0] = 1.0
    Xs = (X - X.mean(axis=0)) / sd
    keep = ~discarded
    A = np.linalg.pinv(pooled_within_cov(Xs[keep], treat[keep]))
    j0 = int(np.argmax(np.diag(A)))
    match_var = Xs @ A[j0] / np.sqrt(A[j0, j0])
    pos = np.empty(X.shape[0], dtype=np.int64)
    pos[np.argsort(match_var, kind="stable")] = np.arange(X.shape[0])
    return pos


class _Pool:
    """Unused controls of one stratum behind a KD-tree that is rebuilt as they are used."""

    def __init__(self, Z: np.ndarray, rows: np.ndarray) -> None:
        self.Z = Z
        self.rows = np.sort(rows)
        self.used = np.zeros(self.rows.size, dtype=bool)
        self.n_unused = self.rows.size
        self._build()

    def _build(self) -> None:
        self.members = np.flatnonzero(~self.used)
        from scipy.spatial import cKDTree  # lazy: scipy.spatial costs ~0.3 s to import

        self.tree = cKDTree(self.Z[self.rows[self.members]]) if self.members.size else None
        self.used_in_tree = 0

    def nearest(self, z: np.ndarray, k: int, step=None) -> list[tuple[float, int]]:
        """Up to ``k`` nearest (distance, local index) of unused controls, ties complete."""
        if self.tree is None or self.n_unused == 0:
            return []
        m = self.members.size
        q = min(m, max(2 * k, 8))
        while True:
            d, j = self.tree.query(z, k=q)
            d = np.atleast_1d(d)
            j = np.atleast_1d(j)
            local = self.members[j]
            okay = ~self.used[local]
            good_d = d[okay]
            if good_d.size >= k or q >= m:
                if good_d.size:
                    cutoff = good_d[min(k, good_d.size) - 1]
                    if q >= m or d[-1] > cutoff * (1 + _REL_TIE) + 1e-300:
                        cand = sorted(zip(good_d.tolist(), local[okay].tolist()))
                        return _take_k(cand, k, step)
                elif q >= m:
                    return []
            q = min(m, q * 4)

    def mark(self, local: int) -> None:
        self.used[local] = True
        self.n_unused -= 1
        self.used_in_tree += 1
        if self.used_in_tree * 2 > self.members.size and self.n_unused:
            self._build()


def _take_k(cand: list[tuple[float, int]], k: int, step=None) -> list[tuple[float, int]]:
    """First k by distance; equidistant candidates by ``step(local)`` descending
    (MatchIt's later-found rule), or by data order without ``step``."""
    out: list[tuple[float, int]] = []
    i = 0
    while i < len(cand) and len(out) < k:
        d0 = cand[i][0]
        j = i
        while j < len(cand) and cand[j][0] <= d0 * (1 + _REL_TIE):
            j += 1
        group = sorted(cand[i:j], key=(lambda p: -step(p[1])) if step else (lambda p: p[1]))
        out.extend(group[: k - len(out)])
        i = j
    return out


def match_mahalanobis(Z: np.ndarray, order: np.ndarray, controls: np.ndarray, strata: np.ndarray,
                      ratio: int, replace: bool, score: np.ndarray | None = None,
                      width: float | None = None, scan_pos: np.ndarray | None = None) -> np.ndarray:
    """Match focal rows ``order`` (processing order) to ``controls``; (n, ratio) rows, -1 none.

    With ``score`` and ``width``, only controls with |score difference| <= width
    are allowed (Mahalanobis within a propensity caliper).
    """
    n = order.size
    out = np.full((n, ratio), -1, dtype=np.int64)
    pools = {}
    for code in np.unique(strata[controls]).tolist():
        rows = controls[strata[controls] == code]
        pools[code] = _Pool(Z, rows) if width is None else _Window(Z, rows, score)
    codes = strata[order].tolist()
    active = list(range(n))
    rounds = 1 if replace else ratio
    k = ratio if replace else 1
    for r in range(rounds):
        nxt = []
        for i in active:
            pool = pools.get(codes[i])
            if pool is None:
                continue
            row = int(order[i])
            step = None
            if scan_pos is not None:
                p_t = int(scan_pos[row])
                step = _stepper(p_t, scan_pos, pool.rows)
            if width is None:
                found = pool.nearest(Z[row], k, step)
            else:
                found = pool.nearest(Z[row], k, step, float(score[row]), float(width))
            if not found:
                continue
            if replace:
                out[i, :len(found)] = pool.rows[[loc for _, loc in found]]
            else:
                loc = found[0][1]
                out[i, r] = pool.rows[loc]
                pool.mark(loc)
            nxt.append(i)
        active = nxt
    return out


def _stepper(p_t: int, scan_pos: np.ndarray, rows: np.ndarray):
    def step(local: int) -> int:
        p = int(scan_pos[rows[local]])
        return 2 * (p_t - p) - 1 if p < p_t else 2 * (p - p_t)
    return step


class _Window:
    """Unused controls of one stratum sorted by score; compare only inside the caliper."""

    def __init__(self, Z: np.ndarray, rows: np.ndarray, score: np.ndarray) -> None:
        self.Z = Z
        rows = np.sort(rows)
        by_score = np.argsort(score[rows], kind="stable")
        self.rows = rows
        self.sorted_local = by_score
        self.sorted_score = score[rows][by_score]
        self.used = np.zeros(rows.size, dtype=bool)

    def nearest(self, z: np.ndarray, k: int, step, s: float, width: float) -> list[tuple[float, int]]:
        a = np.searchsorted(self.sorted_score, s - width, side="left")
        b = np.searchsorted(self.sorted_score, s + width, side="right")
        local = self.sorted_local[a:b]
        local = local[~self.used[local]]
        if local.size == 0:
            return []
        diff = self.Z[self.rows[local]] - z
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        cand = sorted(zip(d.tolist(), local.tolist()))
        return _take_k(cand, k, step)

    def mark(self, local: int) -> None:
        self.used[local] = True
