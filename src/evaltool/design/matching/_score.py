"""Nearest-neighbour matching on a scalar score in O(n log n).

All units are stably sorted by score (as MatchIt's ``order()``). Within each exact
stratum the eligible controls form a block of that order, padded by sentinels of
score -inf/+inf. Without replacement, "nearest unused control to the left/right"
is a union-find with path halving over the block (amortised near O(1)); with
replacement the k nearest are read from the block by vectorised indexing. No
treated-by-control matrix is ever formed.

Ties follow MatchIt 4.7.2 (``find_control_vec``): the nearest eligible control on
each side of the treated unit's sorted position are the candidates; the smaller
|difference| wins; on an exact tie the left one wins iff ``lo - pos_L <= pos_R - hi``,
where ``[lo, hi]`` is the sorted-position span of the treated unit and the controls
it already holds (just its own position in the first round).
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["Blocks", "match_without_replacement", "match_with_replacement", "stable_argsort"]

_INF = float("inf")


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` (R's ``order()``), faster on floats with few ties.

    numpy sorts plain numbers several times faster than it argsorts them, so a float64
    array is sorted as int64 keys whose high bits order like the floats (the IEEE bit
    pattern, negatives flipped; ``-0.0`` as ``0.0``) and whose low bits hold the row:
    the row comes out of the sorted keys. Rows whose values agree in the kept high bits
    (equal values, or values within about 2^-40 relative) are then put in (value, row)
    order, which is exactly the stable order. With many such rows, or NaN, the stable
    sort itself is used.
    """
    x = np.asarray(x)
    n = x.size
    if x.dtype.kind != "f" or n < 2 or n >= 1 << 31:
        return np.argsort(x, kind="stable")
    x = x.astype(np.float64, copy=False)
    bits = np.add(x, 0.0).view(np.int64)  # -0.0 + 0.0 = 0.0: signed zeros tie, as in the sort
    if np.isnan(x).any():
        return np.argsort(x, kind="stable")
    shift = max(int(n - 1).bit_length(), 1)
    key = bits ^ ((bits >> 63) & np.int64(0x7FFFFFFFFFFFFFFF))  # monotone in the float value
    low = np.int64((1 << shift) - 1)
    packed = key & ~low
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    o = packed & low
    packed >>= shift
    tie = packed[1:] == packed[:-1]  # same high bits: order these rows by (value, row)
    n_tie = int(np.count_nonzero(tie))
    if n_tie == 0:
        return o
    if n_tie > n // 8:
        return np.argsort(x, kind="stable")
    _order_runs(o, tie, key)
    return o


def _order_runs(o: np.ndarray, tie: np.ndarray, key: np.ndarray) -> None:
    """Put every run of ``o`` marked by ``tie`` (``tie[k]``: ``o[k]`` and ``o[k + 1]`` in one
    run) in (``key``, row) order, in place."""
    in_run = np.zeros(o.size, dtype=bool)
    in_run[1:] = tie
    in_run[:-1] |= tie
    at = np.flatnonzero(in_run)
    starts = np.ones(o.size, dtype=bool)
    starts[1:] = ~tie
    run = np.cumsum(starts[at])
    sub = o[at]
    o[at] = sub[np.lexsort((sub, key[sub], run))]


def descending_stable(asc: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rows in decreasing ``score``, ties in row order (``stable_argsort(-score)`` order),
    from rows in increasing stable order ``asc``: reversed, then every run of equal scores
    reversed back."""
    desc = asc[::-1].copy()
    v = score[desc]
    tie = v[1:] == v[:-1]
    if tie.any():
        _order_runs(desc, tie, np.zeros(score.size, dtype=np.int64))
    return desc


class Blocks:
    """Eligible controls per stratum, laid out in sorted order with sentinels.

    Parameters
    ----------
    score : ndarray
        Matching score of every unit.
    gpos : ndarray of int
        Position of every unit in the stable sort of ``score`` (all units).
    controls : ndarray of int
        Row positions of eligible controls.
    strata : ndarray of int
        Stratum code of every unit (all zeros without exact matching).
    pad : int
        Sentinels on each side of a block.
    """

    def __init__(self, score: np.ndarray, gpos: np.ndarray, controls: np.ndarray,
                 strata: np.ndarray, pad: int = 1, by_pos: np.ndarray | None = None) -> None:
        self._before = None  # one stratum: controls before each sorted position
        if strata.any():
            order = controls[np.lexsort((gpos[controls], strata[controls]))]
            uniq, starts, counts = np.unique(strata[order], return_index=True, return_counts=True)
            order_gpos = gpos[order]
        else:  # one stratum: the controls in sorted order, read off the sort in O(n)
            if by_pos is None:  # the sort itself (the inverse of gpos)
                by_pos = np.empty(gpos.size, dtype=np.int64)
                by_pos[gpos] = np.arange(gpos.size)
            is_ctrl = np.zeros(gpos.size, dtype=bool)
            is_ctrl[controls] = True
            at_pos = is_ctrl[by_pos]
            order_gpos = np.flatnonzero(at_pos)
            order = None  # by_pos[order_gpos], written straight into self.row below
            self._before = np.cumsum(at_pos)
            self._before -= at_pos
            uniq, starts, counts = np.zeros(1, np.int64), np.zeros(1, np.int64), np.array([order_gpos.size])
        n_blocks = uniq.size
        size = order_gpos.size + 2 * pad * n_blocks
        self.row = np.full(size, -1, dtype=np.int64)
        self.val = np.empty(size, dtype=float)
        self.gpos = np.empty(size, dtype=np.int64)
        self.block_start = {}
        offset = 0
        for code, st, cnt in zip(uniq.tolist(), starts.tolist(), counts.tolist()):
            self.block_start[code] = (offset, cnt)
            self.val[offset:offset + pad] = -_INF
            self.gpos[offset:offset + pad] = -1
            sl = slice(offset + pad, offset + pad + cnt)
            if order is None:
                members = np.take(by_pos, order_gpos, out=self.row[sl])
            else:
                members = order[st:st + cnt]
                self.row[sl] = members
            np.take(score, members, out=self.val[sl])
            self.gpos[sl] = order_gpos[st:st + cnt]
            self.val[offset + pad + cnt:offset + 2 * pad + cnt] = _INF
            self.gpos[offset + pad + cnt:offset + 2 * pad + cnt] = -1
            offset += cnt + 2 * pad
        self.pad = pad

    def insertion(self, units: np.ndarray, gpos: np.ndarray, strata: np.ndarray) -> np.ndarray:
        """Block index of the first control to the right of each unit (-1: no block)."""
        out = np.full(units.size, -1, dtype=np.int64)
        codes = strata[units]
        if len(self.block_start) == 1 and 0 in self.block_start and not codes.any():
            off, cnt = self.block_start[0]
            base = off + self.pad
            if self._before is not None:  # counted, not searched: O(n)
                return base + self._before[gpos[units]]
            return base + np.searchsorted(self.gpos[base:base + cnt], gpos[units])
        for code in np.unique(codes).tolist():
            if code not in self.block_start:
                continue
            off, cnt = self.block_start[code]
            sel = np.flatnonzero(codes == code)
            base = off + self.pad
            out[sel] = base + np.searchsorted(self.gpos[base:base + cnt], gpos[units[sel]])
        return out


def match_without_replacement(score: np.ndarray, gpos: np.ndarray, order: np.ndarray,
                              blocks: Blocks, right0: np.ndarray, ratio: int,
                              width: float | None, closest: bool = False) -> np.ndarray:
    """Greedy matching without replacement; returns (len(order), ratio) control rows (-1: none).

    ``order`` lists focal row positions in processing order; ``right0`` their
    insertion index in ``blocks`` (-1 when their stratum has no controls).
    Round r gives every focal unit still matched its r-th control.
    """
    n = order.size
    out = np.full((n, ratio), -1, dtype=np.int64)
    # the union-find as lists (read and written most, in chains), None for a root (an unused
    # control or a sentinel), so no int object per control is built; the scores as a
    # memoryview: no float object per control either, and the reads stay in contiguous memory
    lp = [None] * blocks.val.size
    rp = lp.copy()
    val = memoryview(blocks.val)
    # sorted positions are read only to break exact distance ties
    bpos = blocks.gpos
    lo_a = gpos[order]
    hi_a = lo_a.copy()
    w = np.finfo(float).max if width is None else float(width)  # sentinels (inf) never match
    active = np.flatnonzero(right0 >= 0)
    for r in range(ratio):
        if closest:
            chosen = [-1] * n
            _closest_round(active.tolist(), right0.tolist(), score[order].tolist(), lo_a.tolist(),
                           hi_a.tolist(), lp, rp, val, bpos, w, chosen)
            col = np.asarray(chosen, dtype=np.int64)
            hit = np.flatnonzero(col >= 0)
            col = col[hit]
        else:
            col = np.asarray(_ordered_round(active, right0[active].tolist(), score[order[active]].tolist(),
                                            lo_a, hi_a, lp, rp, val, bpos, w), dtype=np.int64)
            took = col >= 0
            hit, col = active[took], col[took]
        out[hit, r] = blocks.row[col]
        # next round: the focal units matched in this one, in processing order (MatchIt
        # loops ind_focal), with the span [lo, hi] of sorted positions they now hold
        active = hit
        if not active.size or r == ratio - 1:
            break
        g = blocks.gpos[col]
        lo_a[hit] = np.minimum(lo_a[hit], g)
        hi_a[hit] = np.maximum(hi_a[hit], g)
    return out


def _find(parent: list, i: int) -> int:
    """The root from ``i`` (``parent[r] is None`` at a root), halving the path."""
    p = parent[i]
    while p is not None:
        g = parent[p]
        if g is None:
            return p
        parent[i] = g
        i = g
        p = parent[i]
    return i


def _ordered_round(active, starts, targets, lo, hi, lp, rp, val, bpos, w) -> list:
    """One round over the focal units ``active`` (insertion indexes ``starts``, scores
    ``targets``, as lists) in order; the block index each one takes (-1: none within ``w``)."""
    chosen = [-1] * len(starts)
    for k, s, t in zip(range(len(starts)), starts, targets):
        # nearest unused to the left and to the right: _find (union-find with path halving), inline
        a = s - 1
        p = lp[a]
        while p is not None:
            g = lp[p]
            if g is None:
                a = p
                break
            lp[a] = g
            a = g
            p = lp[a]
        b = s
        p = rp[b]
        while p is not None:
            g = rp[p]
            if g is None:
                b = p
                break
            rp[b] = g
            b = g
            p = rp[b]
        dl = t - val[a]
        dr = val[b] - t
        if dl < dr:
            c = a
        elif dl > dr:
            c, dl = b, dr
        else:  # exact tie: MatchIt's rule on sorted positions (rare, so read from the arrays)
            i = active[k]
            c = a if lo[i] - bpos[a] <= bpos[b] - hi[i] else b
        if dl > w:
            continue
        lp[c] = c - 1
        rp[c] = c + 1
        chosen[k] = c
    return chosen


def _nearest(i, start, st_list, lo_i, hi_i, lp, rp, val, bpos):
    s = start[i]
    a = _find(lp, s - 1)
    b = _find(rp, s)
    t = st_list[i]
    dl = t - val[a]
    dr = val[b] - t
    if dl < dr or (dl == dr and lo_i - bpos[a] <= bpos[b] - hi_i):
        return dl, a
    return dr, b


def _closest_round(active, start, st_list, lo, hi, lp, rp, val, bpos, w, chosen):
    """Match the globally closest remaining pair first, as MatchIt 4.7.2
    (``nn_matchC_vec_closest``): pairs are taken in the stable order of their distance;
    when a pair's control was taken meanwhile, the focal unit's next control is searched
    from the span including the taken control (``prev_start``) and the pair goes back
    *before* all remaining pairs at the same distance (``lower_bound`` + ``rotate``)."""
    heap = []
    for seq, i in enumerate(active):
        d, c = _nearest(i, start, st_list, lo[i], hi[i], lp, rp, val, bpos)
        heap.append((d, seq, i, c))
    heapq.heapify(heap)
    again = 0
    while heap:
        d, _, i, c = heapq.heappop(heap)
        if d > w:
            continue
        if lp[c] is not None or rp[c] is not None:  # taken meanwhile: look again from the taken one
            g = bpos[c]
            d2, c2 = _nearest(i, start, st_list, min(lo[i], g), max(hi[i], g), lp, rp, val, bpos)
            again -= 1
            heapq.heappush(heap, (d2, again, i, c2))
            continue
        lp[c] = c - 1
        rp[c] = c + 1
        chosen[i] = c


def match_with_replacement(score: np.ndarray, gpos: np.ndarray, focal: np.ndarray,
                           blocks: Blocks, right0: np.ndarray, ratio: int,
                           width: float | None, ties: bool = False,
                           tol: float = 1e-5,
                           center: tuple[float, float] = (0.0, 1.0)) -> list[np.ndarray] | np.ndarray:
    """The ``ratio`` nearest controls of every focal unit (controls may be reused).

    Candidates are the ``ratio`` nearest eligible controls on each side; they are
    ranked by |difference| and, on exact ties, by MatchIt's scan order (left at
    step ``2a - 1``, right at step ``2b``, ``a``/``b`` the sorted-position gaps).
    Returns a (len(focal), ratio) array of control rows (-1: none). With
    ``ties=True`` returns a list of arrays: every control within ``tol`` of the
    ``ratio``-th nearest distance (R Matching's ties): as ``Matching::Match`` the
    score is standardized, ``z = (x - center[0]) / center[1]`` (see
    :func:`matching_scale`), and a control is tied when its squared standardized
    distance is at most the ``ratio``-th smallest one plus ``tol``
    (``distance.tolerance``).
    """
    k = ratio
    ok = right0 >= 0
    base = np.where(ok, right0, blocks.pad)
    offsets = np.concatenate([-np.arange(1, k + 1), np.arange(k)])
    idx = base[:, None] + offsets[None, :]
    t = score[focal][:, None]
    d = np.abs(blocks.val[idx] - t)
    d[~ok] = _INF
    gap = np.abs(blocks.gpos[idx] - gpos[focal][:, None])
    step = np.where(offsets[None, :] < 0, 2 * gap - 1, 2 * gap)
    if width is not None:
        d[d > width] = _INF
    rank = np.lexsort((step, d), axis=1) if d.size else np.empty_like(idx)
    top = np.take_along_axis(idx, rank[:, :k], axis=1)
    top_d = np.take_along_axis(d, rank[:, :k], axis=1)
    out = np.where(np.isfinite(top_d), blocks.row[top], -1)
    if not ties:
        return out
    return _with_ties(score, focal, blocks, right0, out, width, tol, center)


def matching_scale(x: np.ndarray) -> tuple[float, float]:
    """Mean and SD by which ``Matching::Match`` standardizes a matching variable.

    As ``RmatchLoop`` (unit weights): ``sd = sqrt(mean(x^2) - mean(x)^2) * sqrt(N/(N-1))``,
    floored at ``sqrt(.Machine$double.eps)``.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    ccc = float(np.sqrt(np.finfo(float).eps))
    mu = float(np.sum(x) / n)
    sig = float(np.sqrt(max(ccc, float(np.sum(x * x))) / n - mu * mu)) * float(np.sqrt(n / (n - 1)))
    return mu, max(sig, ccc)


def _with_ties(score, focal, blocks, right0, out, width, tol, center):
    mu, sig = center
    zval = (blocks.val - mu) / sig  # sentinels stay -inf/+inf
    res: list[np.ndarray] = []
    n_found = (out >= 0).sum(axis=1)
    for i in range(focal.size):
        m = int(n_found[i])
        if m == 0:
            res.append(np.empty(0, dtype=np.int64))
            continue
        first = list(out[i, :m])
        zt = (float(score[focal[i]]) - mu) / sig
        zk = (float(score[first[-1]]) - mu) / sig
        dmax = (zk - zt) ** 2 + tol  # Matching: Dist <= Distmax + distance.tolerance
        w = np.inf if width is None else float(width)
        t = float(score[focal[i]])
        s = int(right0[i])
        lo = s
        while (zval[lo - 1] - zt) ** 2 <= dmax and t - blocks.val[lo - 1] <= w:
            lo -= 1
        hi = s
        while (zval[hi] - zt) ** 2 <= dmax and blocks.val[hi] - t <= w:
            hi += 1
        cand = np.arange(lo, hi)
        rows = blocks.row[cand]
        dist = np.abs(blocks.val[cand] - t)
        extra = [r for r, _ in sorted(zip(rows.tolist(), dist.tolist()), key=lambda p: p[1])
                 if r not in first]
        res.append(np.asarray(first + extra, dtype=np.int64))
    return res
