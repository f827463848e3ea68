"""optmatch's matching network for one subproblem, solved with LEMON's choices.

MatchIt 4.7.2 (``method = "full"`` and ``"optimal"``) calls ``optmatch::fullmatch`` once per
exact stratum; optmatch (0.10.8.9002, ``.fullmatch`` -> ``solve_reg_fm_prob`` -> ``intSolve``
-> ``fmatch``) then

* flips the problem (controls become rows) when ``omit.fraction < 0``, or, without it, when
  ``max.controls <= 0.5``; the bounds use the dimensions *before* the flip;
* keeps the rows and columns with at least one admissible arc, and rescales a positive
  ``omit.fraction`` for the columns it dropped;
* rounds each distance to ``ceiling(0.5 + d / eps)``, with ``eps`` the larger of
  ``max(d) / (.Machine$integer.max / 64 - 2)`` and ``tol * n / (n_rows + n_cols - 2)``
  (``n`` all units of the subproblem, the denominator its matchable ones);
* builds the min-cost-flow network: row nodes (supply ``mxc``), column nodes, End
  (``-(mxc * n_rows - n_mc)``), Sink (``-n_mc``); arcs row -> column in the order of the
  distance's entries (capacity 1, the integer cost), then row -> End (``mxc - mnc``),
  column -> End (``mxr - 1``), column -> Sink (1), all of cost 0;
* solves it with rlemon's ``CycleCancelling`` (:mod:`.cycle_canceling`).

The order of the arcs is part of the problem (it fixes which of many optimal flows comes
out), so callers pass the arcs in optmatch's order: column by column for a distance matrix,
MatchIt's pruned order for 1:1 optimal matching (:func:`pruned_pairs`).
"""

from __future__ import annotations

import math

import numpy as np

from evaltool.design.matching.cycle_canceling import min_cost_flow
from evaltool.exceptions import MatchingError

__all__ = ["solve_subproblem", "pruned_pairs", "column_major", "lemon_full_sets", "lemon_pairs",
           "stratum_labels", "matchit_subclass"]

_INT_MAX = 2147483647
MAX_ARCS = 2_000_000
"""Most admissible pairs per subproblem for ``solver="lemon"`` (pure Python, ~200 bytes and ~50 us
of CPU per arc); above it an error names ``solver="scipy"``, a caliper and exact strata."""


def column_major(n_rows: int, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every cell of a dense distance matrix in R's (column-major) order."""
    jj, ii = np.divmod(np.arange(n_rows * n_cols), n_rows)
    return ii, jj


def pruned_pairs(score: np.ndarray, treat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MatchIt's ``preprocess_matchC`` (Savje 2020) for 1:1 optimal matching: the arcs that can
    be in an optimal pairing on a 1-D score, in MatchIt's order (controls by score, for each
    the treated units between its a-th and b-th neighbours). Returns (treated index, control
    index) among the treated and the controls in data order."""
    t = np.asarray(treat)
    n = t.size
    o = np.argsort(score, kind="stable")
    to = t[o].tolist()
    im = np.empty(n, dtype=np.int64)
    im[t == 0] = np.arange(int((t == 0).sum()))
    im[t == 1] = np.arange(int((t == 1).sum()))
    # the forward and backward sweeps: the k-th control takes the k-th queued treated unit
    a, b = _sweep(to), [n - 1 - x for x in reversed(_sweep(to[::-1]))]
    ctrl_pos = [i for i in range(n) if to[i] == 0]
    treated_pos = np.flatnonzero(np.asarray(to) == 1)
    rows, cols = [], []
    for k, i in enumerate(ctrl_pos):
        js = treated_pos[(treated_pos >= a[k]) & (treated_pos <= b[k])]
        rows.append(im[o[js]])
        cols.append(np.full(js.size, im[o[i]]))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _sweep(to: list[int]) -> list[int]:
    """For each control in sweep order: the position of the oldest unclaimed treated unit seen
    so far, or its own position."""
    out, queue, k0 = [], [], 0
    for i, x in enumerate(to):
        if x == 1:
            queue.append(i)
        elif len(queue) > k0:
            out.append(queue[k0])
            k0 += 1
        else:
            out.append(i)
    return out


def solve_subproblem(dist: np.ndarray, ii: np.ndarray, jj: np.ndarray, n_rows: int, n_cols: int, *,
                     min_controls: float, max_controls: float, omit_fraction: float | None,
                     tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """optmatch's ``.fullmatch`` on one subproblem with arcs (``ii`` row, ``jj`` column,
    ``dist``) in optmatch's order. Returns the (row, column, used) arrays of the arcs *as
    solved* (rows and columns swapped back if the problem was flipped), or None when optmatch
    finds the subproblem infeasible."""
    if ii.size > MAX_ARCS:
        raise MatchingError(f"{ii.size:,} admissible pairs in one subproblem exceed what solver='lemon' "
                            f"handles ({MAX_ARCS:,}); use solver='scipy', a narrower caliper or exact strata")
    total = n_rows + n_cols
    if omit_fraction is not None and omit_fraction >= 0 or omit_fraction is None and max_controls > 0.5:
        maxc, minc, omf, flipped = min(max_controls, n_cols), max(min_controls, 1 / n_rows), omit_fraction, False
    else:
        inv = math.inf if min_controls == 0 else 1 / min_controls
        maxc, minc, flipped = min(inv, n_cols), max(1 / max_controls, 1 / n_rows), True
        omf = None if omit_fraction is None else -omit_fraction
        ii, jj, n_rows, n_cols = jj, ii, n_cols, n_rows
    used_r, used_c = np.unique(ii), np.unique(jj)
    rfeas, cfeas = used_r.size, used_c.size
    if cfeas < n_cols and omf is not None and omf > 0:
        omf = (omf * n_cols - (n_cols - cfeas)) / cfeas
        if omf <= 0:
            omf = None
    f = 1.0 if omf is None else 1 - omf
    if (math.floor(minc) > math.ceil(maxc) or math.ceil(1 / minc) < math.floor(1 / maxc)
            or not rfeas or not cfeas):
        return None
    lower = float(dist.max()) / (_INT_MAX / 64 - 2)
    tolerance = tol * total
    eps = max(lower, tolerance / (rfeas + cfeas - 2)) if tolerance > 0 and rfeas > 1 and cfeas > 1 else lower
    if np.all(np.abs(dist) < math.sqrt(np.finfo(float).eps)):
        cost = np.ones(dist.size, dtype=np.int64)
    else:
        cost = np.ceil(0.5 + dist / eps).astype(np.int64)
    mxc = int(round(math.ceil(maxc)))
    mnc = int(round(max(1, math.floor(minc))))
    mxr = int(round(math.ceil(1 / minc)))
    if mnc > 1:
        mxr = 1
    nt, nc = rfeas, cfeas
    n_mc = int(np.round(nc * f))
    if (mxr > 1 and nt / mxr > n_mc) or (mxr == 1 and nt * mnc > n_mc) or nt * mxc < n_mc:
        return None
    r_idx, c_idx = np.searchsorted(used_r, ii), np.searchsorted(used_c, jj)
    end, sink = nt + nc, nt + nc + 1
    src = np.concatenate([r_idx, np.arange(nt + nc), nt + np.arange(nc)])
    tgt = np.concatenate([nt + c_idx, np.full(nt + nc, end), np.full(nc, sink)])
    cap = np.concatenate([np.ones(ii.size, dtype=np.int64), np.full(nt, mxc - mnc),
                          np.full(nc, mxr - 1), np.ones(nc, dtype=np.int64)])
    arc_cost = np.concatenate([cost, np.zeros(nt + 2 * nc, dtype=np.int64)])
    supply = np.concatenate([np.full(nt, mxc), np.zeros(nc, dtype=np.int64), [-(mxc * nt - n_mc), -n_mc]])
    flow = min_cost_flow(nt + nc + 2, src, tgt, cap, arc_cost, supply)
    used = flow[:ii.size] == 1
    # optmatch labels a set by the 1-based position, among the matchable rows of the problem
    # as solved, of its first row unit (``solution2factor``)
    label = r_idx + 1
    return (jj, ii, used, label) if flipped else (ii, jj, used, label)


def stratum_labels(data, exact) -> np.ndarray | None:
    """MatchIt's label of each unit's exact stratum (``exactify(..., sep = ", ", include_vars =
    TRUE)``: ``"married = 0"``; text values quoted), or None without ``exact``."""
    if not exact:
        return None

    def fmt(v) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)

    cols = [data[c].map(fmt).to_numpy(dtype=object) for c in exact]
    return np.array([", ".join(f"{c} = {v}" for c, v in zip(exact, vals)) for vals in zip(*cols)], dtype=object)


def matchit_subclass(n: int, sets: list[tuple[np.ndarray, int, str]]) -> np.ndarray:
    """MatchIt's subclass numbers: ``factor(paste(optmatch label, stratum, sep = "|"))`` numbered
    in collation order; a label ``"1.k"`` sorts by the digits of k, a shorter k first when one is
    a prefix of the other, then by stratum. ``sets``: (units, k, stratum label). 0 = unmatched."""
    sub = np.zeros(n, dtype=np.int64)
    for r, (units, _k, _s) in enumerate(sorted(sets, key=lambda x: (str(x[1]), x[2])), 1):
        sub[units] = r
    return sub


def _stars(rows: np.ndarray, cols: np.ndarray, ri: np.ndarray, ci: np.ndarray, lab: np.ndarray,
           ) -> list[tuple[np.ndarray, int]]:
    """Matched sets (units, optmatch label) from the used arcs (``ri``, ``ci``, label of each
    arc's solved row): connected components, each labelled by its smallest row label."""
    comp = np.arange(rows.size + cols.size)

    def root(x: int) -> int:
        while comp[x] != x:
            comp[x] = comp[comp[x]]
            x = comp[x]
        return x

    for a, b in zip(ri.tolist(), (rows.size + ci).tolist()):
        comp[root(b)] = root(a)
    units = np.concatenate([rows, cols])
    member = np.zeros(units.size, dtype=bool)
    member[ri], member[rows.size + ci] = True, True
    top = np.array([root(x) for x in range(units.size)])
    best = {}
    for a, k in zip(ri.tolist(), lab.tolist()):
        r = int(top[a])
        best[r] = min(best.get(r, k), k)
    return [(units[(top == c) & member], best[int(c)]) for c in np.unique(top[member])]


def lemon_full_sets(score: np.ndarray, rows: np.ndarray, cols: np.ndarray, ii: np.ndarray, jj: np.ndarray,
                    *, min_controls: float, max_controls: float, tol: float) -> list[tuple[np.ndarray, int]]:
    """Matched sets and optmatch labels of ``fullmatch`` (as MatchIt calls it) for focal
    ``rows`` and control ``cols`` of one stratum; (``ii``, ``jj``) index the admissible pairs
    (any order: they are put in optmatch's column-major order here)."""
    if ii.size == 0:
        return []  # no admissible pair (caliper): nobody of this stratum is matched
    order = np.lexsort((ii, jj))
    ii, jj = ii[order], jj[order]
    d = np.abs(score[rows][ii] - score[cols][jj])
    out = solve_subproblem(d, ii, jj, rows.size, cols.size, min_controls=min_controls,
                           max_controls=max_controls, omit_fraction=None, tol=tol)
    if out is None or not out[2].any():
        raise MatchingError(f"full matching is infeasible with min_controls={min_controls:g}, "
                            f"max_controls={max_controls:g} ({rows.size} focal, {cols.size} control "
                            "units in a stratum); relax the bounds")
    ri, ci, used, lab = out
    return _stars(rows, cols, ri[used], ci[used], lab[used])


def lemon_pairs(score: np.ndarray, focal: np.ndarray, ctrl: np.ndarray, strata: np.ndarray, ratio: int,
                width: float | None, tol: float, labels: np.ndarray | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MatchIt's ``method = "optimal"`` (``fullmatch`` with ``mean.controls = min.controls =
    max.controls = ratio`` per exact stratum; arcs pruned by ``preprocess_matchC`` for 1:1
    matching on one stratum). Returns (focal unit, control unit) per matched pair and MatchIt's
    subclass per unit (``labels``: the stratum label of each unit, :func:`stratum_labels`)."""
    f_out, m_out, sets = [], [], []
    levels = np.unique(strata[np.concatenate([focal, ctrl])])
    for s in levels.tolist():
        rows, cols = focal[strata[focal] == s], ctrl[strata[ctrl] == s]
        if rows.size == 0 or cols.size == 0:
            continue
        if ratio == 1 and levels.size == 1 and width is None:
            t = np.zeros(score.size, dtype=np.int64)
            t[rows] = 1
            unit = np.sort(np.concatenate([rows, cols]))
            ii, jj = pruned_pairs(score[unit], t[unit])
        else:
            ii, jj = column_major(rows.size, cols.size)
        d = np.abs(score[rows][ii] - score[cols][jj])
        if width is not None:
            keep = d <= width
            ii, jj, d = ii[keep], jj[keep], d[keep]
        omf = 1 - ratio * rows.size / cols.size
        out = solve_subproblem(d, ii, jj, rows.size, cols.size, min_controls=ratio, max_controls=ratio,
                               omit_fraction=omf, tol=tol)
        if out is None or int(out[2].sum()) != ratio * rows.size:
            raise MatchingError(f"no matching gives every focal unit {ratio} control(s) within the caliper "
                                "and exact strata; widen the caliper, lower `ratio` or use method='nearest'")
        ri, ci, used, lab = out
        f_out.append(rows[ri[used]])
        m_out.append(cols[ci[used]])
        tag = "_" if labels is None else str(labels[rows[0]])
        sets += [(u, k, tag) for u, k in _stars(rows, cols, ri[used], ci[used], lab[used])]
    f, m = np.concatenate(f_out), np.concatenate(m_out)
    order = np.lexsort((m, f))
    return f[order], m[order], matchit_subclass(score.size, sets)
