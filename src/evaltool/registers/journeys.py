"""Citizen journeys from a weekly panel: journey states, transitions, pathways and spells.

A small set of *journey states* (e.g. ``kontanthjaelp``, ``praktik_loentilskud``,
``selvforsoergelse``) is defined as groups of code-map categories; a week whose category is in
no state is ``other``; a week without a row is self-support. The state of a person in week
``r`` since start is read into a dense (persons x weeks) matrix (:func:`state_matrix`), with
``-1`` for weeks outside the register's coverage (censored).

* **Transitions**: the state at the start of period k (week ``k L``; L = 4 for months, 13 for
  quarters) against the state at the start of period k+1, per group: head counts and weighted
  row shares (each row of shares sums to 1).
* **Pathways**: the sequence of states over weeks 0..follow-up collapsed into spells (runs of the
  same state; runs shorter than ``min_spell_weeks`` are absorbed by the spell before them).
* **Contrasts**: the difference between groups in ``P(state b at k+1 | state a at k)``, pooled
  over periods, weighted by the design and cluster-robust (influence functions summed within
  matched pairs/subclasses, or persons).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.registers.states import CENSORED, OTHER, state_matrices, state_matrix

__all__ = ["OTHER", "CENSORED", "state_matrix", "state_matrices", "transitions", "pathways", "spells",
           "collapse_spells",
           "time_in_state", "transition_contrast", "JourneyResult", "journey_request", "journeys"]

GROUP_NAMES = {1: "treated", 0: "comparison"}


def transitions(mat: np.ndarray, n_states: int, period_weeks: int, n_periods: int,
                weights: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Transition counts and weighted shares between period starts ``k L`` and ``(k+1) L``.

    ``mat`` starts at week 0. Returns one dict per period step with ``from_period``, ``to_period``,
    ``counts`` (head counts, states x states) and ``shares`` (weighted; rows sum to 1, or are all
    ``None`` for a state nobody is in).
    """
    w = np.ones(len(mat)) if weights is None else np.asarray(weights, dtype=float)
    out = []
    for k in range(n_periods):
        s0, s1 = mat[:, k * period_weeks], mat[:, (k + 1) * period_weeks]
        ok = (s0 >= 0) & (s1 >= 0)
        flat = s0[ok].astype(np.int64) * n_states + s1[ok]
        counts = np.bincount(flat, minlength=n_states ** 2).reshape(n_states, n_states)
        wsum = np.bincount(flat, weights=w[ok], minlength=n_states ** 2).reshape(n_states, n_states)
        tot = wsum.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(tot > 0, wsum / tot, np.nan)
        out.append({"from_period": k, "to_period": k + 1, "counts": counts, "shares": shares})
    return out


def spells(mat: np.ndarray, min_len: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spells of every row of ``mat`` at once: ``(person, state, length)`` arrays, persons in row
    order and each person's spells in time order (censored weeks dropped; see :func:`collapse_spells`).

    Run-length encoding of the observed weeks; a run starts a new spell if it is the person's first,
    or it is at least ``min_len`` weeks long and its state differs from the last such run's (a
    shorter run is absorbed by the spell before it; a long run of the same state extends it).
    """
    mat = np.asarray(mat)
    flat = mat.ravel()
    pos = np.flatnonzero(flat >= 0)
    st, pid = flat[pos], pos // max(mat.shape[1], 1)
    new = np.ones(pos.size, dtype=bool)
    new[1:] = (st[1:] != st[:-1]) | (pid[1:] != pid[:-1])
    starts = np.flatnonzero(new)
    r_state, r_pid = st[starts], pid[starts]
    r_len = np.diff(np.append(starts, pos.size))
    first = np.ones(starts.size, dtype=bool)
    first[1:] = r_pid[1:] != r_pid[:-1]
    anchor = np.flatnonzero(first | (r_len >= min_len))
    a_state = r_state[anchor]
    opens = first[anchor].copy()  # a person's first run is an anchor, so the previous anchor is theirs
    opens[1:] |= a_state[1:] != a_state[:-1]
    at = anchor[opens]
    lengths = np.add.reduceat(r_len, at) if at.size else np.zeros(0, np.int64)
    return r_pid[at].astype(np.int64), r_state[at].astype(np.int64), lengths.astype(np.int64)


def collapse_spells(row: np.ndarray, min_len: int = 1) -> list[tuple[int, int]]:
    """Spells ``(state, length)`` of one person's state sequence (censored weeks dropped).

    Runs shorter than ``min_len`` are absorbed by the spell before them (the first run is kept).

    >>> collapse_spells(np.array([0, 0, 0, 2, 0, 0, 1, 1, 1, 1]), min_len=2)
    [(0, 6), (1, 4)]
    """
    _, state, length = spells(np.asarray(row).reshape(1, -1), min_len)
    return list(zip(state.tolist(), length.tolist()))


def _pathway_codes(mat: np.ndarray, names: list[str], min_len: int) -> tuple[np.ndarray, list[str]]:
    """Each row's pathway as a code into the returned list of pathway labels (``a → b → c``)."""
    n = len(mat)
    pid, state, _ = spells(mat, min_len)
    per = np.bincount(pid, minlength=n)
    width = max(int(per.max(initial=0)), 1)
    padded = np.full((n, width), -1, dtype=np.int64)
    padded[pid, np.arange(pid.size) - np.repeat(np.cumsum(per) - per, per)] = state
    base = len(names) + 1
    if base ** width < 2 ** 63:  # each row as one number, digits state + 1: sorts as the rows do
        key = np.zeros(n, dtype=np.int64)
        for j in range(width):
            key = key * base + (padded[:, j] + 1)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        uniq = padded[first]
    else:
        uniq, inverse = np.unique(padded, axis=0, return_inverse=True)
    labels = [" → ".join(names[s] for s in u if s >= 0) for u in uniq.tolist()]
    return np.asarray(inverse).reshape(-1), labels


def _rank_pathways(codes: np.ndarray, labels: list[str], w: np.ndarray, top: int) -> list[dict[str, Any]]:
    n_cnt = np.bincount(codes, minlength=len(labels))
    w_cnt = np.bincount(codes, weights=w, minlength=len(labels))  # summed in row order
    total = float(w.sum())
    ranked = sorted(np.flatnonzero(n_cnt).tolist(), key=lambda u: (-w_cnt[u], -n_cnt[u], labels[u]))[:top]
    return [{"pathway": labels[u], "n": int(n_cnt[u]), "share": w_cnt[u] / total if total > 0 else None}
            for u in ranked]


def pathways(mat: np.ndarray, names: list[str], weights: np.ndarray | None = None, min_spell_weeks: int = 4,
             top: int = 10) -> list[dict[str, Any]]:
    """The most frequent state sequences (spells collapsed), with head counts and weighted shares."""
    w = np.ones(len(mat)) if weights is None else np.asarray(weights, dtype=float)
    codes, labels = _pathway_codes(mat, names, min_spell_weeks)
    return _rank_pathways(codes, labels, w, top)


def time_in_state(mat: np.ndarray, n_states: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted mean number of observed weeks spent in each state."""
    w = np.ones(len(mat)) if weights is None else np.asarray(weights, dtype=float)
    return (w @ _state_weeks(mat, n_states)) / w.sum()


def _state_weeks(mat: np.ndarray, n_states: int) -> np.ndarray:
    """Weeks each row of ``mat`` spends in each state (rows x states, int64; censored weeks left out)."""
    n = len(mat)
    slot = np.asarray(mat, dtype=np.int64) + (np.arange(n, dtype=np.int64) * (n_states + 1) + 1)[:, None]
    counts = np.bincount(slot.reshape(-1), minlength=n * (n_states + 1)).reshape(n, n_states + 1)
    return np.ascontiguousarray(counts[:, 1:])  # slot 0 of a row: its censored weeks (-1)


def transition_contrast(mat: np.ndarray, treat: np.ndarray, a: int, b: int, period_weeks: int, n_periods: int,
                        weights: np.ndarray | None = None, cluster: np.ndarray | None = None,
                        alpha: float = 0.05) -> dict[str, Any]:
    """Difference (treated - comparison) in ``P(b at k+1 | a at k)``, pooled over periods k.

    Each group's probability is a weighted ratio over person-periods; the standard error sums the
    linearised contributions ``w (y - p) / sum(w)`` within clusters (pair/subclass, default person).
    """
    n = len(mat)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    cl = np.arange(n) if cluster is None else pd.factorize(pd.Series(np.asarray(cluster)))[0]
    rows_p, rows_y = [], []
    for k in range(n_periods):
        s0, s1 = mat[:, k * period_weeks], mat[:, (k + 1) * period_weeks]
        at = np.flatnonzero((s0 == a) & (s1 >= 0) & (w > 0))
        rows_p.append(at)
        rows_y.append((s1[at] == b).astype(float))
    pos = np.concatenate(rows_p) if rows_p else np.zeros(0, np.int64)
    y = np.concatenate(rows_y) if rows_y else np.zeros(0)
    seen = np.bincount(pos, minlength=n) > 0  # persons with a person-period
    out: dict[str, Any] = {"n_treated": int(np.count_nonzero(seen & (treat == 1))),
                           "n_control": int(np.count_nonzero(seen & (treat == 0)))}
    contrib = np.zeros(pos.size)
    p = {}
    for g, sign in ((1, 1.0), (0, -1.0)):
        m = treat[pos] == g
        wg = w[pos][m]
        if wg.sum() <= 0:
            return {**out, "estimate": None, "std_error": None, "ci_low": None, "ci_high": None,
                    "p_value": None, "p_treated": None, "p_control": None,
                    "note": f"not estimable: no {GROUP_NAMES[g]} person-periods in the from-state"}
        p[g] = float(wg @ y[m] / wg.sum())
        contrib[m] = sign * wg * (y[m] - p[g]) / wg.sum()
    est = p[1] - p[0]
    se = float(np.sqrt((np.bincount(cl[pos], weights=contrib, minlength=int(cl.max(initial=0)) + 1) ** 2).sum()))
    q = float(stats.norm.ppf(1 - alpha / 2))
    pv = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else None
    return {**out, "estimate": est, "std_error": se, "ci_low": est - q * se, "ci_high": est + q * se,
            "p_value": pv, "p_treated": p[1], "p_control": p[0], "note": None}


@dataclass(frozen=True)
class JourneyResult(ResultMixin):
    """Transitions, pathways, time in state and group contrasts (the ``journeys`` results block)."""

    states: tuple[str, ...]
    period: str
    transitions: tuple[dict[str, Any], ...]
    pathways: tuple[dict[str, Any], ...]
    time_in_state: tuple[dict[str, Any], ...]
    contrasts: tuple[dict[str, Any], ...]
    distribution: pd.DataFrame

    _title = "Citizen journeys"

    def to_frame(self) -> pd.DataFrame:
        """Group contrasts in transition probabilities (one row each)."""
        cols = ["from_state", "to_state", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                "p_treated", "p_control", "n_treated", "n_control", "note"]
        return pd.DataFrame(list(self.contrasts), columns=cols)

    def to_dict(self) -> dict[str, Any]:
        return {"states": list(self.states), "period": self.period,
                "transitions": [jsonable({"group": t["group"], "from_period": t["from_period"],
                                          "to_period": t["to_period"], "states": list(self.states),
                                          "counts": t["counts"], "shares": t["shares"]}) for t in self.transitions],
                "pathways": jsonable(list(self.pathways)), "time_in_state": jsonable(list(self.time_in_state)),
                "contrasts": frame_records(self.to_frame()), "distribution": frame_records(self.distribution)}

    def __repr__(self) -> str:
        groups = sorted({t["group"] for t in self.transitions})
        return (f"JourneyResult(states={len(self.states)}, period={self.period!r}, groups={groups}, "
                f"contrasts={len(self.contrasts)})")


def journey_request(spec: Any) -> tuple[dict[str, list[str]], tuple[int, int]]:
    """The ``(states, weeks)`` the journeys of ``spec`` read (for :func:`state_matrices`)."""
    return dict(spec.states), (0, spec.n_periods * spec.period_weeks)


def journeys(persons: pd.DataFrame, panel: Any, code_map: CodeMap, spec: Any, *, treatment: str = "outreach",
             weights: Any = None, cluster: Any = None, id_col: str = "person_id", start_col: str = "start_week",
             engine: str = "auto", data_range: tuple[int, int] | None = None,
             matrix: tuple[np.ndarray, list[str]] | None = None) -> JourneyResult:
    """Citizen journeys by group (and subgroup) on a (matched) sample.

    Parameters
    ----------
    persons : DataFrame
        Persons with ``id_col``, ``start_col``, ``treatment`` and the spec's subgroup columns.
    panel, code_map
        The weekly panel and its code map.
    spec : JourneySpec
        ``evaltool.process.JourneySpec`` (states, period, follow-up, contrasts, subgroups).
    weights, cluster : array-like or Series aligned with ``persons`` rows, optional
        Design weights (0 = not in the design) and pair/subclass ids for the contrasts.
    matrix : (matrix, names), optional
        The state matrix of :func:`journey_request` for the persons with positive weight, if
        already read (:func:`~evaltool.registers.states.state_matrices`); else it is read here.

    Returns
    -------
    JourneyResult
    """
    if treatment not in persons.columns:
        raise RegisterError(f"persons: treatment column {treatment!r} not found")
    missing = [c for c in spec.subgroups if c not in persons.columns]
    if missing:
        raise RegisterError(f"journeys.subgroups: column(s) {', '.join(missing)} not found in persons")
    w = np.ones(len(persons)) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(persons) or not np.isfinite(w).all() or (w < 0).any():
        raise RegisterError("`weights` must be finite, >= 0 and one per person")
    keep = w > 0
    pers = persons.loc[keep]
    w = w[keep]
    cl = None if cluster is None else np.asarray(cluster)[keep]
    L, K = spec.period_weeks, spec.n_periods
    if matrix is None:
        matrix = state_matrices(pers, panel, code_map, [journey_request(spec)], id_col=id_col,
                                start_col=start_col, engine=engine, data_range=data_range)[0]
    mat, names = matrix
    if len(mat) != len(pers):
        raise RegisterError(f"journeys: the state matrix has {len(mat)} rows for {len(pers)} persons")
    treat = pers[treatment].to_numpy().astype(np.int64)
    ns = len(names)
    slices = [(GROUP_NAMES[g], treat == g) for g in (1, 0)]
    for col in spec.subgroups:
        vals = pers[col].astype(str).to_numpy()
        for lev in sorted(set(vals)):
            slices += [(f"{GROUP_NAMES[g]}:{col}={lev}", (treat == g) & (vals == lev)) for g in (1, 0)]
    codes, labels = _pathway_codes(mat, names, spec.min_spell_weeks)
    weeks_in = _state_weeks(mat, ns)
    trans, paths, tis, dist = [], [], [], []
    for i, (label, m) in enumerate(slices):
        sub, wm = mat[m], w[m]
        for t in transitions(sub, ns, L, K, wm):
            trans.append({"group": label, **t})
        for p in _rank_pathways(codes[m], labels, wm, spec.top_pathways):
            paths.append({"group": label, **p})
        tis.append({"group": label, "weeks": dict(zip(names, ((wm @ weeks_in[m]) / wm.sum()).tolist()))})
        for k in range(K + 1 if i < 2 else 0):  # the state distribution by period: groups only
            col = sub[:, k * L]
            ok = col >= 0
            tot = wm[ok].sum()
            for s in range(ns):
                dist.append({"group": label, "week": k * L, "state": names[s],
                             "share": float(wm[ok] @ (col[ok] == s) / tot) if tot > 0 else None,
                             "n": int(ok.sum())})
    contrasts = []
    for a_name, b_name in spec.contrasts:
        c = transition_contrast(mat, treat, names.index(a_name), names.index(b_name), L, K, w, cl, spec.alpha)
        contrasts.append({"from_state": a_name, "to_state": b_name, **c})
    return JourneyResult(states=tuple(names), period=spec.period, transitions=tuple(trans), pathways=tuple(paths),
                         time_in_state=tuple(tis), contrasts=tuple(contrasts), distribution=pd.DataFrame(dist))
