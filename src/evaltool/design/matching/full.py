"""Optimal full matching (MatchIt 4.7.2 ``method = "full"``, optmatch's ``fullmatch``).

Every unit joins a matched set of one focal unit and one or more controls, or one control
and several focal units, so that the sum over sets of the |score| differences between
their treated and control members is smallest (Rosenbaum 1991; Hansen & Klopfer 2006).
The problem is optmatch's min-cost flow (``fmatch``): focal nodes supply ``max_c`` units,
arcs focal -> control (capacity 1, cost the integer distance), focal -> End (capacity
``max_c - min_c``), control -> End (``max_r - 1``) and control -> Sink (1); every control
sends one unit to Sink. Distances are put on optmatch's integer grid,
``ceiling(0.5 + d / eps)`` with ``eps = tol * n / (n - 2)``; evaltool uses ``tol = 1e-7``
(MatchIt's default 0.001 rounds the score to ~0.001 and returns one of many near-optimal
solutions). The flow problem is a linear programme with a totally unimodular constraint
matrix, solved by HiGHS' dual simplex (``scipy.optimize.linprog``), whose basic solution
is integral. ``min_controls``/``max_controls`` bound the controls per focal unit (below 1:
several focal units per control), as in MatchIt; ``caliper`` (SD of the score) and
``exact`` strata thin the arcs. Matched sets are the connected components of the arcs with
flow; weights are MatchIt's subclass weights (ATT, ATC or ATE), normalised as MatchIt does.

Scale: one programme per exact stratum; its arcs are the admissible focal-control pairs of
the stratum (all of them, or those within the caliper), counted before they are built
(:mod:`._candidates`). A stratum with more than ``MAX_ARCS["full"]`` arcs is refused with an
error naming its size and the fix (finer exact strata, a narrower caliper); at 1M persons
exact strata of a few thousand persons with a caliper run (``docs/benchmarks.md``).

That is ``solver="scipy"``; the default ``solver="lemon"`` returns MatchIt's own sets and subclass
numbers (optmatch's network solved with LEMON's cycle-canceling choices, :mod:`._optmatch`); it is
pure Python and refuses subproblems above its own pair limit with a pointer to ``solver="scipy"``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from evaltool.design.matching._candidates import caliper_arcs, checked_groups, nearest_arcs
from evaltool.design.matching.cem import normalize_weights, subclass_weights
from evaltool.design.matching.result import MatchResult
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimandWarning, MatchingError

__all__ = ["match_full", "full_sets", "TOL"]

TOL = 1e-7
"""optmatch's ``tol`` used for the integer distance grid (MatchIt's default is 0.001)."""
PRICED_ARCS = 20_000
"""Above this many arcs a programme starts on each unit's ``NEAREST`` arcs and adds arcs by pricing."""
NEAREST = 4


def _bounds(n_rows: int, n_cols: int, min_controls: float, max_controls: float) -> tuple[bool, int, int, int]:
    """optmatch ``.fullmatch`` + ``intSolve`` + ``fmatch``: (flipped, mxc, mnc, mxr)."""
    if max_controls > 0.5:
        maxc, minc, flipped = min(max_controls, n_cols), max(min_controls, 1 / n_rows), False
    else:
        maxc = min(1 / min_controls if min_controls > 0 else math.inf, n_rows)
        minc, flipped = max(1 / max_controls, 1 / n_cols), True
    mxr = math.ceil(1 / minc - 1e-12)
    mxc = int(round(math.ceil(maxc - 1e-12)))
    mnc = max(1, math.floor(minc + 1e-12))
    if mnc > 1:
        mxr = 1
    return flipped, mxc, mnc, mxr


def _flow(nt: int, nc: int, ii: np.ndarray, jj: np.ndarray, cost_int: np.ndarray, mxc: int, mnc: int,
          mxr: int, final: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """optmatch's min-cost flow on the arcs (ii, jj) as a HiGHS linear programme: (arcs with flow,
    node duals); an infeasible programme raises, or gives (None, duals) when ``final`` is False."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    na, total = ii.size, nt + nc
    end, sink = total, total + 1
    tail = np.concatenate([ii, np.arange(nt), nt + np.arange(nc), nt + np.arange(nc)])
    head = np.concatenate([nt + jj, np.full(nt, end), np.full(nc, end), np.full(nc, sink)])
    cap = np.concatenate([np.ones(na), np.full(nt, mxc - mnc), np.full(nc, mxr - 1), np.ones(nc)])
    cost = np.concatenate([cost_int, np.zeros(nt + 2 * nc)])
    m = tail.size
    A = coo_matrix((np.concatenate([np.ones(m), -np.ones(m)]),
                    (np.concatenate([tail, head]), np.concatenate([np.arange(m), np.arange(m)]))),
                   shape=(total + 2, m)).tocsr()
    supply = np.concatenate([np.full(nt, mxc), np.zeros(nc), [-(mxc * nt - nc), -nc]])
    res = linprog(cost, A_eq=A, b_eq=supply, bounds=np.column_stack([np.zeros(m), cap]),
                  method="highs-ds")
    if res.status != 0:
        if not final and res.status == 2:
            return None, np.zeros(total + 2)
        raise MatchingError(f"full matching found no solution ({res.message}); relax "
                            "min_controls/max_controls or widen the caliper")
    return np.round(res.x[:na]) == 1, np.asarray(res.eqlin.marginals)


def full_sets(score: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, min_controls: float = 0.0,
              max_controls: float = math.inf, width: float | None = None,
              tol: float = TOL, solver: str = "scipy") -> list[np.ndarray]:
    """Matched sets (arrays of unit positions) of optimal full matching of ``rows`` (focal)
    with ``cols`` (controls) on ``score``; units without an admissible partner are left out.
    ``solver="lemon"``: optmatch's own network and solver choices (MatchIt's sets)."""
    if solver == "lemon":
        from evaltool.design.matching._optmatch import lemon_full_sets

        sets = lemon_full_sets(score, rows, cols, *caliper_arcs(score, rows, cols, width),
                               min_controls=min_controls, max_controls=max_controls, tol=tol)
        return [u for u, _ in sorted(sets, key=lambda x: str(x[1]))]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ii, jj = caliper_arcs(score, rows, cols, width)
    used_r, used_c = np.unique(ii), np.unique(jj)
    if used_r.size == 0:
        return []
    rows, cols = rows[used_r], cols[used_c]  # units without an admissible partner are left out
    ii, jj = np.searchsorted(used_r, ii), np.searchsorted(used_c, jj)
    flipped, mxc, mnc, mxr = _bounds(rows.size, cols.size, min_controls, max_controls)
    if flipped:
        rows, cols, ii, jj = cols, rows, jj, ii
    nt, nc = rows.size, cols.size
    if (mxr > 1 and nt / mxr > nc) or (mxr == 1 and nt * mnc > nc) or nt * mxc < nc:
        raise MatchingError(f"full matching is infeasible with min_controls={min_controls:g}, "
                            f"max_controls={max_controls:g} ({nt} focal, {nc} control units in a "
                            "stratum); relax the bounds")
    d = np.abs(score[rows][ii] - score[cols][jj])
    total = nt + nc
    eps = max(float(d.max()) / (2**31 / 64 - 2), tol * total / (total - 2) if nt > 1 and nc > 1 else 0.0)
    cost_int = np.ceil(0.5 + d / eps) if eps > 0 else np.ones_like(d)
    na = ii.size
    if na <= PRICED_ARCS:
        used = _flow(nt, nc, ii, jj, cost_int, mxc, mnc, mxr)[0]
    else:  # a sparse start, then every arc the duals price below zero, until none is left
        keep = nearest_arcs(d, ii, jj, NEAREST)
        while True:
            x, y = _flow(nt, nc, ii[keep], jj[keep], cost_int[keep], mxc, mnc, mxr, final=False)
            if x is None:  # the sparse start is infeasible (bounds): solve on every arc
                used = _flow(nt, nc, ii, jj, cost_int, mxc, mnc, mxr)[0]
                break
            reduced = cost_int - y[ii] + y[nt + jj]  # integral at a basic solution: < -0.5 is < 0
            more = (reduced < -0.5) & ~keep
            if not more.any():
                used = np.zeros(na, dtype=bool)
                used[np.flatnonzero(keep)[x]] = True
                break
            keep |= more
    g = coo_matrix((np.ones(int(used.sum())), (ii[used], nt + jj[used])), shape=(total, total))
    _, comp = connected_components(g, directed=False)
    units = np.concatenate([rows, cols])
    matched = np.zeros(total, dtype=bool)
    matched[ii[used]] = True
    matched[nt + jj[used]] = True
    return [units[(comp == c) & matched] for c in np.unique(comp[matched])]


def match_full(data: pd.DataFrame, treatment: str, covariates: tuple[str, ...], spec) -> MatchResult:
    """Optimal full matching on the propensity score; returns a :class:`MatchResult`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evaltool.specs import MatchSpec
    >>> rng = np.random.default_rng(4)
    >>> d = pd.DataFrame({"x": rng.normal(size=120)})
    >>> d["t"] = (rng.random(120) < 1 / (1 + np.exp(-d.x))).astype(int)
    >>> m = match_full(d, "t", ("x",), MatchSpec(method="full"))
    >>> bool((m.weights > 0).all())
    True
    """
    from evaltool.design.propensity import fit_propensity, treatment_indicator

    t = treatment_indicator(data, treatment).to_numpy(dtype=int)
    model = "logit" if isinstance(spec.distance, str) else spec.distance
    prop = fit_propensity(data, treatment, covariates, model=model)
    ps = prop.scores.to_numpy(dtype=float)
    fv = 0 if spec.estimand is Estimand.ATC else 1
    strata = (pd.MultiIndex.from_frame(data[list(spec.exact)]).factorize()[0]
              if spec.exact else np.zeros(t.size, dtype=np.int64))
    width = None if spec.caliper is None else spec.caliper * float(np.std(ps, ddof=1))
    lo = 0.0 if spec.min_controls is None else float(spec.min_controls)
    hi = math.inf if spec.max_controls is None else float(spec.max_controls)
    sub = np.zeros(t.size, dtype=np.int64)
    k = 0
    groups = checked_groups("full", ps, strata, np.flatnonzero(t == fv), np.flatnonzero(t != fv), width)
    found = []  # solver "lemon": (units, optmatch label, stratum label), numbered as MatchIt does
    for rows, cols in groups:
        if spec.solver == "lemon":
            from evaltool.design.matching._optmatch import lemon_full_sets, stratum_labels

            tag = "_" if not spec.exact else stratum_labels(data.iloc[rows[:1]], spec.exact)[0]
            found += [(u, key, tag) for u, key in lemon_full_sets(
                ps, rows, cols, *caliper_arcs(ps, rows, cols, width), min_controls=lo, max_controls=hi,
                tol=spec.optmatch_tol)]
            continue
        for members in full_sets(ps, rows, cols, min_controls=lo, max_controls=hi, width=width,
                                 tol=spec.optmatch_tol, solver=spec.solver):
            k += 1
            sub[members] = k
    if found:
        from evaltool.design.matching._optmatch import matchit_subclass

        sub, k = matchit_subclass(t.size, found), len(found)
    if k == 0:
        raise MatchingError("full matching matched no one: no focal and control unit share an exact "
                            "stratum within the caliper")
    w = normalize_weights(subclass_weights(sub, t, spec.estimand), t)
    index = data.index
    focal = index[t == fv]
    est = spec.estimand
    lost = int(((t == 1) & (sub == 0)).sum())
    if lost and est is Estimand.ATT:
        est = Estimand.ATM
        warnings.warn(f"{lost} of {int(t.sum())} treated units are in no matched set (caliper or "
                      "exact strata); the estimand is now ATM (the matched treated), not ATT",
                      EstimandWarning, stacklevel=3)
    return MatchResult(
        data=data, treatment=treatment, treat=pd.Series(t, index=index, name=treatment),
        covariates=tuple(covariates),
        match_matrix=pd.DataFrame(np.full((focal.size, 1), np.nan, dtype=object), index=focal,
                                  columns=[1]),
        weights=pd.Series(w, index=index, name="weights"),
        subclass=pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=index,
                           name="subclass").mask(sub == 0),
        distance=pd.Series(ps, index=index, name="distance"),
        discarded=pd.Series(np.zeros(t.size, dtype=bool), index=index, name="discarded"),
        estimand=est, spec=spec, propensity=prop)
