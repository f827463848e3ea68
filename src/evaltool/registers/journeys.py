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

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import RegisterError
from evaltool.registers import _panel
from evaltool.registers.codemap import CodeMap

__all__ = ["OTHER", "CENSORED", "state_matrix", "transitions", "pathways", "collapse_spells",
           "time_in_state", "transition_contrast", "JourneyResult", "journeys"]

OTHER = "other"
CENSORED = -1
GROUP_NAMES = {1: "treated", 0: "comparison"}


def state_matrix(persons: pd.DataFrame, panel: Any, code_map: CodeMap, states: dict[str, list[str]],
                 weeks: tuple[int, int], *, id_col: str = "person_id", start_col: str = "start_week",
                 unknown_codes: str = "other", engine: str = "auto", memory_limit: str | None = None,
                 data_range: tuple[int, int] | None = None) -> tuple[np.ndarray, list[str]]:
    """Journey state of each person in each week ``weeks[0]..weeks[1]`` since start.

    Returns
    -------
    (matrix, names)
        ``matrix`` (persons x weeks, int16): index into ``names`` (the states, then ``other``),
        or ``-1`` where the week lies outside the register's coverage. States must not overlap.

    Examples
    --------
    >>> import pandas as pd
    >>> from evaltool.registers import load_code_map, default_code_map_path
    >>> cm = load_code_map(default_code_map_path())
    >>> persons = pd.DataFrame({"person_id": [1], "start_week": [202310]})
    >>> panel = pd.DataFrame({"person_id": [1, 1], "week": [202310, 202311], "code": [130, 421]})
    >>> m, names = state_matrix(persons, panel, cm, {"cash": ["kontanthjaelp"], "plc": ["placement"],
    ...                         "job": ["self_support"]}, (0, 2), data_range=(202301, 202352))
    >>> [names[i] for i in m[0]]
    ['cash', 'plc', 'job']
    """
    a, b = (int(v) for v in weeks)
    if a > b:
        raise RegisterError(f"`weeks` must be (a, b) with a <= b; got {weeks!r}")
    idx = code_map.category_index()
    names = list(states)
    cat_sets, self_state = [], None
    taken: dict[str, str] = {}
    for name, members in states.items():
        cats, self_in = code_map.resolve(list(members), what=f"states.{name}")
        for c in cats:
            if c in taken:
                raise RegisterError(f"`states`: category {c!r} is in both {taken[c]!r} and {name!r}; "
                                    "journey states must not overlap")
            taken[c] = name
        if self_in:
            if self_state is not None:
                raise RegisterError(f"`states`: self-support is in both {names[self_state]!r} and {name!r}")
            self_state = names.index(name)
        cat_sets.append(frozenset(idx[c] for c in cats))
    if OTHER in names:
        raise RegisterError(f"`states`: {OTHER!r} is reserved for categories in no state")
    names.append(OTHER)
    ids, sord = _panel.person_starts(persons, id_col, start_col)
    src = _panel.open_panel(panel, id_col)
    duck = _panel.use_duckdb(src, engine)
    scan = _panel.scan_panel(src, code_map, unknown_codes, duck=duck, memory_limit=memory_limit)
    first, last = _panel.coverage(src, scan, data_range)
    aggs = [_panel.Agg("bits", a, b, cs) for cs in cat_sets] + [_panel.Agg("bits", a, b, None)]
    res = _panel.aggregate(src, scan, ids, sord, aggs, duck=duck, memory_limit=memory_limit)
    n_w = b - a + 1
    any_row = _unpack(res[f"a{len(aggs) - 1}"], n_w)
    mat = np.full((len(ids), n_w), len(names) - 1, dtype=np.int16)  # rows in no state: other
    mat[~any_row] = self_state if self_state is not None else len(names) - 1
    for k in range(len(cat_sets)):
        mat[_unpack(res[f"a{k}"], n_w)] = k
    rel = np.arange(a, b + 1)[None, :]
    outside = (sord[:, None] + rel < first) | (sord[:, None] + rel > last)
    mat[outside] = CENSORED
    return mat, names


def _unpack(words: np.ndarray, n_w: int) -> np.ndarray:
    as_bytes = np.ascontiguousarray(words.astype("<u8")).view(np.uint8).reshape(len(words), -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :n_w].astype(bool)


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


def collapse_spells(row: np.ndarray, min_len: int = 1) -> list[tuple[int, int]]:
    """Spells ``(state, length)`` of one person's state sequence (censored weeks dropped).

    Runs shorter than ``min_len`` are absorbed by the spell before them (the first run is kept).

    >>> collapse_spells(np.array([0, 0, 0, 2, 0, 0, 1, 1, 1, 1]), min_len=2)
    [(0, 6), (1, 4)]
    """
    row = row[row >= 0]
    if row.size == 0:
        return []
    cut = np.flatnonzero(np.diff(row)) + 1
    starts = np.concatenate([[0], cut])
    lens = np.diff(np.concatenate([starts, [row.size]]))
    spells: list[list[int]] = []
    for st, ln in zip(row[starts].tolist(), lens.tolist()):
        if spells and (ln < min_len or spells[-1][0] == st):
            spells[-1][1] += ln
        else:
            spells.append([st, ln])
    return [(s, n) for s, n in spells]


def pathways(mat: np.ndarray, names: list[str], weights: np.ndarray | None = None, min_spell_weeks: int = 4,
             top: int = 10) -> list[dict[str, Any]]:
    """The most frequent state sequences (spells collapsed), with head counts and weighted shares."""
    w = np.ones(len(mat)) if weights is None else np.asarray(weights, dtype=float)
    n_cnt: Counter = Counter()
    w_cnt: Counter = Counter()
    for row, wi in zip(mat, w):
        key = " → ".join(names[s] for s, _ in collapse_spells(row, min_spell_weeks))
        n_cnt[key] += 1
        w_cnt[key] += wi
    total = float(w.sum())
    ranked = sorted(n_cnt, key=lambda k: (-w_cnt[k], -n_cnt[k], k))[:top]
    return [{"pathway": k, "n": int(n_cnt[k]), "share": w_cnt[k] / total if total > 0 else None} for k in ranked]


def time_in_state(mat: np.ndarray, n_states: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted mean number of observed weeks spent in each state."""
    w = np.ones(len(mat)) if weights is None else np.asarray(weights, dtype=float)
    per = np.stack([(mat == s).sum(axis=1) for s in range(n_states)], axis=1)
    return (w @ per) / w.sum()


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
    out: dict[str, Any] = {"n_treated": int(np.unique(pos[treat[pos] == 1]).size),
                           "n_control": int(np.unique(pos[treat[pos] == 0]).size)}
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


def journeys(persons: pd.DataFrame, panel: Any, code_map: CodeMap, spec: Any, *, treatment: str = "outreach",
             weights: Any = None, cluster: Any = None, id_col: str = "person_id", start_col: str = "start_week",
             engine: str = "auto", data_range: tuple[int, int] | None = None) -> JourneyResult:
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
    mat, names = state_matrix(pers, panel, code_map, spec.states, (0, K * L), id_col=id_col,
                              start_col=start_col, engine=engine, data_range=data_range)
    treat = pers[treatment].to_numpy().astype(np.int64)
    ns = len(names)
    slices = [(GROUP_NAMES[g], treat == g) for g in (1, 0)]
    for col in spec.subgroups:
        vals = pers[col].astype(str).to_numpy()
        for lev in sorted(set(vals)):
            slices += [(f"{GROUP_NAMES[g]}:{col}={lev}", (treat == g) & (vals == lev)) for g in (1, 0)]
    trans, paths, tis, dist = [], [], [], []
    for label, m in slices:
        for t in transitions(mat[m], ns, L, K, w[m]):
            trans.append({"group": label, **t})
        for p in pathways(mat[m], names, w[m], spec.min_spell_weeks, spec.top_pathways):
            paths.append({"group": label, **p})
        tis.append({"group": label, "weeks": dict(zip(names, time_in_state(mat[m], ns, w[m]).tolist()))})
    for label, m in slices[:2]:
        for k in range(K + 1):
            col = mat[m][:, k * L]
            ok = col >= 0
            tot = w[m][ok].sum()
            for s in range(ns):
                dist.append({"group": label, "week": k * L, "state": names[s],
                             "share": float(w[m][ok] @ (col[ok] == s) / tot) if tot > 0 else None,
                             "n": int(ok.sum())})
    contrasts = []
    for a_name, b_name in spec.contrasts:
        c = transition_contrast(mat, treat, names.index(a_name), names.index(b_name), L, K, w, cl, spec.alpha)
        contrasts.append({"from_state": a_name, "to_state": b_name, **c})
    return JourneyResult(states=tuple(names), period=spec.period, transitions=tuple(trans), pathways=tuple(paths),
                         time_in_state=tuple(tis), contrasts=tuple(contrasts), distribution=pd.DataFrame(dist))
