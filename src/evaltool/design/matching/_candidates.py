"""Sparse candidate graphs of optimal pair and full matching, stratum by stratum.

Both methods solve one problem per exact stratum (the strata share no arc, so the optimum of
the whole is the union of the strata's optima). The admissible arcs of a stratum -- every
focal-control pair, or only the pairs within the caliper -- are first *counted* on the sorted
scores (two ``searchsorted`` calls, no arc is formed) and only then built, so a problem too large
for this machine is refused with a :class:`~evaltool.exceptions.MatchingError` naming the
stratum's size and the fix, instead of filling the memory.

Limits (arcs of the largest stratum; measured on the 2-core development machine, see
``docs/benchmarks.md``):

* :data:`MAX_ARCS` ``["optimal"]`` = 30 million: LAPJVsp's sparse graph and the arc arrays take
  about 40 bytes per arc (about 1.2 GB at the limit);
* :data:`MAX_ARCS` ``["full"]`` = 5 million: the arcs are priced (:func:`nearest_arcs` start,
  then the arcs with negative reduced cost), so HiGHS sees a fraction of them; the stratum's arc
  arrays take about 50 bytes per arc.

Examples
--------
>>> import numpy as np
>>> score = np.array([0.1, 0.2, 0.5, 0.15, 0.3, 0.9])
>>> ii, jj = caliper_arcs(score, np.array([0, 1, 2]), np.array([3, 4, 5]), 0.1)
>>> [(int(i), int(j)) for i, j in zip(ii, jj)]
[(0, 0), (1, 0), (1, 1)]
>>> count_arcs(score, np.array([0, 1, 2]), np.array([3, 4, 5]), None)
9
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from evaltool.exceptions import MatchingError

__all__ = ["MAX_ARCS", "caliper_arcs", "count_arcs", "check_arcs", "nearest_arcs", "strata_groups",
           "checked_groups"]

MAX_ARCS = {"optimal": 30_000_000, "full": 5_000_000}
"""Largest number of admissible arcs in one exact stratum that each method accepts."""


def _window(score: np.ndarray, rows: np.ndarray, cols: np.ndarray,
            width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(score[cols], kind="stable")
    sc = score[cols][order]
    lo = np.searchsorted(sc, score[rows] - width, "left")
    hi = np.searchsorted(sc, score[rows] + width, "right")
    return order, lo, hi


def count_arcs(score: np.ndarray, rows: np.ndarray, cols: np.ndarray, width: float | None) -> int:
    """Number of admissible (row, column) pairs, counted without forming them."""
    if width is None:
        return int(rows.size) * int(cols.size)
    _, lo, hi = _window(score, rows, cols, width)
    return int((hi - lo).sum())


def caliper_arcs(score: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 width: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(row index, column index) of every admissible pair: all pairs, or those within ``width``
    found on the sorted scores without forming the n_rows x n_cols matrix. Rows come in order;
    within a row, columns in increasing score (ties in column order)."""
    if width is None:
        ii, jj = np.divmod(np.arange(rows.size * cols.size), cols.size)
        return ii, jj
    order, lo, hi = _window(score, rows, cols, width)
    counts = hi - lo
    ii = np.repeat(np.arange(rows.size), counts)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return ii, order[start + np.arange(ii.size)]


def nearest_arcs(d: np.ndarray, ii: np.ndarray, jj: np.ndarray, k: int) -> np.ndarray:
    """Mask of the arcs among each row's ``k`` and each column's ``k`` shortest (``d``; ties by arc order):
    the sparse start of a priced programme, which gives every unit at least one arc."""
    keep = np.zeros(d.size, dtype=bool)
    for node in (ii, jj):
        order = np.lexsort((d, node))
        first = np.flatnonzero(np.r_[True, node[order][1:] != node[order][:-1]])
        rank = np.arange(d.size) - np.repeat(first, np.diff(np.r_[first, d.size]))
        keep[order[rank < k]] = True
    return keep


def check_arcs(method: str, n_arcs: int, n_focal: int, n_control: int, width: float | None,
               n_strata: int) -> None:
    """Refuse a stratum with more arcs than ``MAX_ARCS[method]``, naming its size and the fix."""
    limit = MAX_ARCS[method]
    if n_arcs <= limit:
        return
    where = "the sample (no exact strata)" if n_strata == 1 else f"the largest of {n_strata} exact strata"
    cal = "no caliper" if width is None else f"a caliper of width {width:.3g} on the score"
    raise MatchingError(
        f"{method} matching is too large for this machine: {where} has {n_focal} focal and "
        f"{n_control} control units, {n_arcs:,} admissible pairs with {cal} (limit {limit:,} per "
        f"stratum); add exact-matching variables (e.g. sex, age band, municipality) so that the "
        f"strata are smaller, narrow `caliper`, or use method='nearest'", key="caliper")


def strata_groups(strata: np.ndarray, focal: np.ndarray,
                  ctrl: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(focal positions, control positions) of each stratum holding both, in stratum-code order;
    positions keep their order in ``focal`` / ``ctrl``."""
    fs, cs = strata[focal], strata[ctrl]
    fo, co = np.argsort(fs, kind="stable"), np.argsort(cs, kind="stable")
    fsort, csort = fs[fo], cs[co]
    for s in np.intersect1d(fsort, csort).tolist():
        f = fo[np.searchsorted(fsort, s, "left"):np.searchsorted(fsort, s, "right")]
        c = co[np.searchsorted(csort, s, "left"):np.searchsorted(csort, s, "right")]
        yield focal[f], ctrl[c]


def checked_groups(method: str, score: np.ndarray, strata: np.ndarray, focal: np.ndarray, ctrl: np.ndarray,
                   width: float | None, ratio: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (focal, control) positions of every stratum holding both (:func:`strata_groups`), after
    refusing the problem if its largest stratum has more than ``MAX_ARCS[method]`` admissible arcs
    (``ratio`` arcs per focal-control pair; counted, never built: :func:`check_arcs`)."""
    groups = list(strata_groups(strata, focal, ctrl))
    counts = [count_arcs(score, f, c, width) * ratio for f, c in groups]
    if counts:
        big = int(np.argmax(counts))
        check_arcs(method, counts[big], groups[big][0].size, groups[big][1].size, width,
                   int(np.unique(strata).size))
    return groups
