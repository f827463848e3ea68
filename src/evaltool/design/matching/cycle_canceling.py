"""Minimum-cost flow that makes LEMON's ``CycleCanceling`` choices (optmatch's default solver).

optmatch 0.10.8.9002 without ``rrelaxiv`` solves matching problems with ``rlemon::MinCostFlow(...,
algorithm = "CycleCancelling")`` (``handleSolver("")``; MatchIt passes no solver), i.e. LEMON
1.3.1's ``CycleCanceling::run()`` with its default ``CANCEL_AND_TIGHTEN`` on a ``ListDigraph``
built in the order given. A 1-D score has many optimal flows of equal cost; which comes out
depends on every choice, so this module re-implements them (from the algorithm in LEMON's
``cycle_canceling.h``, ``circulation.h``, ``elevator.h``; no code copied):

* ``ListDigraph`` orders: nodes newest first; a node's out/in arcs newest first; all arcs node
  by node, out-arcs newest first;
* the residual network: per node its forward arcs, backward arcs and an arc to a root node
  (root arcs have capacity 1: optmatch's supplies sum to zero);
* the first feasible flow: ``Circulation::greedyInit`` then highest-label push-relabel on the
  array ``Elevator`` (LIFO activation within a level);
* cancel-and-tighten phases: depth-first search over admissible arcs (reduced cost < -1e-6),
  cancelling each cycle with the bottleneck rule ``d <= delta`` and backing up to the tail of
  the bottleneck arc; then potentials tightened by levels of the admissible network, or, every
  ``max(5, floor(sqrt(n)))``-th phase, epsilon = -(minimum cycle mean) and potentials =
  Bellman-Ford distances on ``size * cost - cycle_cost`` divided by ``size``.

LEMON finds the minimum cycle mean by Howard's (or Hartmann-Orlin's) algorithm, here by Karp's;
all are exact and only the mean enters (``dist / size`` is the same rational for every
minimum-mean cycle). Integer costs; the flow is returned per arc in input order.
"""

from __future__ import annotations

import bisect
from fractions import Fraction

import numpy as np

from evaltool.exceptions import MatchingError

__all__ = ["min_cost_flow"]

_NEG = -1e-6  # LEMON Tolerance<double>(1e-6).negative(x) is x < -1e-6
_DBL_MAX = float(np.finfo(np.float64).max)


def _circulation(n: int, src: np.ndarray, tgt: np.ndarray, cap: np.ndarray,
                 supply: np.ndarray) -> np.ndarray:
    """LEMON ``Circulation`` (lower bounds 0) on a ListDigraph with nodes 0..n-1 and arcs in
    input order: ``greedyInit`` then ``start``. Returns the flow per arc."""
    m = src.size
    excess = [int(s) for s in supply]
    up = [int(c) for c in cap]
    s_l, t_l = src.tolist(), tgt.tolist()
    flow = [0] * m
    # ArcIt order: nodes n-1..0, each node's out-arcs newest (highest id) first
    arc_it = np.lexsort((-np.arange(m), -src)).tolist()
    for e in arc_it:
        t = t_l[e]
        if -excess[t] >= up[e]:
            flow[e] = up[e]
            excess[t] += up[e]
            excess[s_l[e]] -= up[e]
        elif -excess[t] < 0:
            pass
        else:
            fc = -excess[t]
            flow[e] = fc
            excess[t] = 0
            excess[s_l[e]] -= fc
    outs: list[list[int]] = [[] for _ in range(n)]
    ins: list[list[int]] = [[] for _ in range(n)]
    for e in range(m - 1, -1, -1):
        outs[s_l[e]].append(e)
        ins[t_l[e]].append(e)
    # Elevator: items in NodeIt order (n-1..0), all on level 0; levels 0..n, first[n+1] = end
    items = list(range(n - 1, -1, -1))
    where = [0] * n
    for p, it in enumerate(items):
        where[it] = p
    level = [0] * n
    first = [0] + [n] * (n + 1)
    last = [-1] + [n - 1] * (n + 1)
    highest = -1

    def swap(i: int, j: int) -> None:
        a, b = items[i], items[j]
        items[i], items[j] = b, a
        where[b], where[a] = i, j

    def activate(v: int) -> None:
        nonlocal highest
        lv = level[v]
        last[lv] += 1
        swap(where[v], last[lv])
        if lv > highest:
            highest = lv

    def deactivate(v: int) -> None:
        nonlocal highest
        lv = level[v]
        swap(where[v], last[lv])
        last[lv] -= 1
        while highest >= 0 and last[highest] < first[highest]:
            highest -= 1

    def active(v: int) -> bool:
        return where[v] <= last[level[v]]

    for v in range(n - 1, -1, -1):
        if excess[v] > 0:
            activate(v)
    while highest >= 0:
        act = items[last[highest]]
        actlevel, mlevel, exc = level[act], n, excess[act]
        done = False
        for e in outs[act]:
            v = t_l[e]
            fc = up[e] - flow[e]
            if fc <= 0:
                continue
            if level[v] < actlevel:
                if fc >= exc:
                    flow[e] += exc
                    excess[v] += exc
                    if not active(v) and excess[v] > 0:
                        activate(v)
                    excess[act] = 0
                    deactivate(act)
                    done = True
                    break
                flow[e] = up[e]
                excess[v] += fc
                if not active(v) and excess[v] > 0:
                    activate(v)
                exc -= fc
            elif level[v] < mlevel:
                mlevel = level[v]
        if not done:
            for e in ins[act]:
                v = s_l[e]
                fc = flow[e]
                if fc <= 0:
                    continue
                if level[v] < actlevel:
                    if fc >= exc:
                        flow[e] -= exc
                        excess[v] += exc
                        if not active(v) and excess[v] > 0:
                            activate(v)
                        excess[act] = 0
                        deactivate(act)
                        done = True
                        break
                    flow[e] = 0
                    excess[v] += fc
                    if not active(v) and excess[v] > 0:
                        activate(v)
                    exc -= fc
                elif level[v] < mlevel:
                    mlevel = level[v]
        if done:
            continue
        excess[act] = exc
        if exc <= 0:
            deactivate(act)
        elif mlevel == n:
            raise MatchingError("the matching network has no feasible flow")
        else:  # Elevator::liftHighestActive(mlevel + 1)
            new = mlevel + 1
            li = items[last[highest]]
            first[highest + 1] -= 1
            _copy_pos(items, where, first[highest + 1], last[highest])
            last[highest] -= 1
            for lv in range(highest + 1, new):
                first[lv + 1] -= 1
                _copy_pos(items, where, first[lv + 1], first[lv])
                last[lv] -= 1
            items[first[new]] = li
            where[li] = first[new]
            level[li] = new
            highest = new
            if first[actlevel + 1] - first[actlevel] == 0:
                raise MatchingError("the matching network has no feasible flow")
    return np.asarray(flow, dtype=np.int64)


def _copy_pos(items: list[int], where: list[int], s: int, p: int) -> None:
    """Elevator ``copy(Vit s, Vit p)``: the item at position s moves to position p."""
    if s != p:
        it = items[s]
        items[p] = it
        where[it] = p


def _residual(n: int, src: np.ndarray, tgt: np.ndarray) -> tuple[np.ndarray, ...]:
    """CycleCanceling's residual network: (first_out, source, target, forward index, backward
    index) with internal node ``n - 1 - v`` for input node ``v`` and the root ``n``."""
    m = src.size
    ids = np.arange(m)
    deg_out = np.bincount(src, minlength=n)
    deg_in = np.bincount(tgt, minlength=n)
    inode = np.arange(n)[::-1]  # internal i holds input node n - 1 - i
    block = deg_out[inode] + deg_in[inode] + 1
    first_out = np.concatenate([[0], np.cumsum(block), [2 * (m + n)]])
    fwd = np.empty(m, dtype=np.int64)
    bwd = np.empty(m, dtype=np.int64)
    for which, key, offset in ((fwd, src, 0), (bwd, tgt, deg_out)):
        order = np.lexsort((-ids, -key))
        grp = n - 1 - key[order]
        start = np.searchsorted(grp, grp, "left")
        off = offset[n - 1 - grp] if isinstance(offset, np.ndarray) else 0
        which[order] = first_out[grp] + off + np.arange(m) - start
    r = 2 * (m + n)
    source = np.empty(r, dtype=np.int64)
    target = np.empty(r, dtype=np.int64)
    source[fwd], target[fwd] = n - 1 - src, n - 1 - tgt
    source[bwd], target[bwd] = n - 1 - tgt, n - 1 - src
    to_root = first_out[1:n + 1] - 1
    from_root = 2 * m + n + np.arange(n)
    source[to_root], target[to_root] = np.arange(n), n
    source[from_root], target[from_root] = n, np.arange(n)
    return first_out, source, target, fwd, bwd, to_root, from_root


def _min_cycle_mean(nn: int, s: np.ndarray, t: np.ndarray, c: np.ndarray) -> Fraction | None:
    """Exact minimum mean of the directed cycles (Karp 1978), or None without a cycle."""
    if s.size == 0:
        return None
    order = np.argsort(t, kind="stable")
    s, t, c = s[order], t[order], c[order].astype(np.float64)
    heads = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    ut = t[heads]
    d = np.full((nn + 1, nn), np.inf)
    d[0] = 0.0
    for k in range(1, nn + 1):
        d[k, ut] = np.minimum.reduceat(d[k - 1][s] + c, heads)
    fin = np.isfinite(d[nn])
    if not fin.any():
        return None
    with np.errstate(invalid="ignore"):
        val = (d[nn][None, fin] - d[:nn, fin]) / (nn - np.arange(nn))[:, None]
    val[np.isnan(val)] = -np.inf
    best = val.max(axis=0)
    j = int(np.argmin(best))
    k = int(np.argmax(val[:, j]))
    v = np.flatnonzero(fin)[j]
    return Fraction(int(d[nn, v] - d[k, v]), nn - k)


def _bellman_ford0(nn: int, s: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Shortest distances with every node a source at distance 0 (LEMON ``init(0)``)."""
    order = np.argsort(t, kind="stable")
    s, t, c = s[order], t[order], c[order]
    heads = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    ut = t[heads]
    dist = np.zeros(nn, dtype=np.int64)
    for _ in range(nn + 1):
        new = dist.copy()
        new[ut] = np.minimum(dist[ut], np.minimum.reduceat(dist[s] + c, heads))
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise MatchingError("negative cycle in the potential update of the matching network")


def min_cost_flow(n_nodes: int, src, tgt, cap, cost, supply) -> np.ndarray:
    """Integer min-cost flow with the choices of rlemon's ``MinCostFlow(algorithm =
    "CycleCancelling")``: nodes 0..n_nodes-1 and arcs added in the order given. Supplies
    must sum to zero (optmatch's networks do). Returns the flow per arc."""
    src, tgt, cap, cost, supply = (np.asarray(x, dtype=np.int64) for x in (src, tgt, cap, cost, supply))
    n = int(n_nodes)
    if int(supply.sum()) != 0:
        raise MatchingError("the matching network's supplies do not sum to zero")
    flow0 = _circulation(n, src, tgt, cap, supply)
    first_out, source, target, fwd, bwd, to_root, from_root = _residual(n, src, tgt)
    nn, r = n + 1, source.size
    c = np.zeros(r, dtype=np.int64)
    c[fwd], c[bwd] = cost, -cost
    rev = np.empty(r, dtype=np.int64)
    rev[fwd], rev[bwd], rev[to_root], rev[from_root] = bwd, fwd, from_root, to_root
    res = np.zeros(r, dtype=np.int64)
    res[fwd], res[bwd], res[from_root] = cap - flow0, flow0, 1
    cf = c.astype(np.float64)
    pi = np.zeros(nn)
    pos = res > 0
    epsilon = max(0.0, float(-c[pos].min())) if pos.any() else 0.0
    limit = max(5, int(np.sqrt(float(nn))))
    it = limit
    fo = first_out.tolist()
    src_l, tgt_l, rev_l = source.tolist(), target.tolist(), rev.tolist()
    while epsilon * nn >= 1:
        adm = np.flatnonzero((res > 0) & (((cf + pi[source]) - pi[target]) < _NEG)).tolist()
        rc = res.tolist()
        proc = _cancel(nn, fo, src_l, tgt_l, rev_l, rc, adm)
        res = np.asarray(rc, dtype=np.int64)
        it -= 1
        if it > 0:
            pos = res > 0
            red = (cf + pi[source]) - pi[target]
            now = np.flatnonzero(pos & (red < _NEG))
            bounds = np.searchsorted(now, first_out[:nn + 1]).tolist()
            nt = target[now].tolist()
            level = [0] * nn
            for u in reversed(proc[1:]):
                lo, hi = bounds[u], bounds[u + 1]
                if lo == hi:
                    continue
                lu = level[u] + 1
                for v in nt[lo:hi]:
                    if lu > level[v]:
                        level[v] = lu
            lev = np.asarray(level, dtype=np.int64)
            ld = lev[source] - lev[target]
            sel = pos & (ld > 0)
            q = float(((red[sel] + epsilon) / (ld[sel] + 1)).min()) if sel.any() else _DBL_MAX
            pi = pi - q * lev
            red = (cf + pi[source]) - pi[target]
            epsilon = max(0.0, float(-red[pos].min())) if pos.any() else 0.0
        else:
            pos = res > 0
            mean = _min_cycle_mean(nn, source[pos], target[pos], c[pos])
            if mean is None:
                mean = Fraction(0)
            epsilon = -(mean.numerator / mean.denominator)
            cc = mean.denominator * c[pos] - mean.numerator
            dist = _bellman_ford0(nn, source[pos], target[pos], cc)
            pi = dist.astype(np.float64) / float(mean.denominator)
            it = limit
    return res[bwd]


def _cancel(nn: int, fo: list, src: list, tgt: list, rev: list, rc: list, adm: list) -> list:
    """One depth-first pass over the admissible arcs ``adm`` (sorted), cancelling every cycle
    found; ``rc`` (residual capacities) is updated in place. Returns the nodes in the order
    they were finished."""
    reached = [False] * nn
    processed = [False] * nn
    pred_node = [-1] * nn
    pred_arc = [-1] * nn
    proc: list[int] = []
    na = len(adm)

    def next_adm(v: int, a: int) -> int:
        p = bisect.bisect_left(adm, a)
        hi = fo[v + 1]
        while p < na and adm[p] < hi:
            x = adm[p]
            if rc[x] > 0:
                return x
            p += 1
        return -1

    for start in range(nn):
        if reached[start]:
            continue
        reached[start] = True
        pred_arc[start] = pred_node[start] = -1
        a = next_adm(start, fo[start])
        if a < 0:
            processed[start] = True
            proc.append(start)
            continue
        stack = [a]
        while stack:
            sa = stack[-1]
            u, v = src[sa], tgt[sa]
            if not reached[v]:
                reached[v] = True
                pred_node[v], pred_arc[v] = u, sa
                stack.append(next_adm(v, fo[v]))
            else:
                if not processed[v]:  # a cycle: cancel it
                    w, delta = u, rc[sa]
                    x = u
                    while x != v:
                        d = rc[pred_arc[x]]
                        if d <= delta:
                            delta, w = d, pred_node[x]
                        x = pred_node[x]
                    rc[sa] -= delta
                    rc[rev[sa]] += delta
                    x = u
                    while x != v:
                        pa = pred_arc[x]
                        rc[pa] -= delta
                        rc[rev[pa]] += delta
                        x = pred_node[x]
                    x = u
                    while len(stack) > 1 and x != w:
                        stack.pop()
                        reached[x] = False
                        x = pred_node[x]
                    u = w
                v = u
                stack[-1] = next_adm(v, stack[-1] + 1)
            while stack and stack[-1] == -1:
                processed[v] = True
                proc.append(v)
                stack.pop()
                if stack:
                    v = src[stack[-1]]
                    stack[-1] = next_adm(v, stack[-1] + 1)
    return proc
