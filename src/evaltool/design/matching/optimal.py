"""Optimal pair (k:1) matching: the matched sets with the smallest total distance.

Each focal unit is repeated ``ratio`` times; edges join it to the controls of its exact
stratum within the caliper, with cost ``|d_i - d_j|`` on the propensity score. The
minimum-cost matching that covers every focal slot is found by
``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp on the sparse graph:
only admissible edges are stored, never a dense treated x control matrix when a caliper
or exact strata thin it), one exact stratum at a time; a stratum with more than
``MAX_ARCS["optimal"]`` admissible pairs is refused before anything is built, with an error
naming its size and the fix (:mod:`._candidates`). Costs are shifted by +1 before solving so that zero distances
stay edges; every solution covers the same number of slots, so the shift does not move
the optimum. Weights and subclasses follow MatchIt's pair rules (as
``method = "optimal"``). If no matching covers every focal unit (too few controls in a
stratum or within the caliper) an error says so -- unlike optmatch, nothing is dropped
silently. scipy is already a dependency; no min-cost-flow library is needed for pairs.
That is ``solver="scipy"``; the default ``solver="lemon"`` returns MatchIt's own pairs
(optmatch's network solved with LEMON's choices, :mod:`._optmatch`; see docs/designs.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_choice, check_int, check_number
from evaltool.design.matching._candidates import caliper_arcs, checked_groups
from evaltool.design.matching.result import MatchResult, subclass_from_pairs, weights_from_pairs
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, MatchingError

__all__ = ["OptimalSpec", "match_optimal", "optimal_pairs"]


@dataclass(frozen=True)
class OptimalSpec:
    """Recipe of optimal pair matching (MatchIt names: ``ratio``, ``caliper`` in SD of the
    score, ``exact``)."""

    ratio: int = 1
    caliper: float | None = None
    exact: tuple[str, ...] | None = None
    estimand: Estimand | str = Estimand.ATT
    distance: Any = field(default="glm", compare=False)
    method: str = "optimal"
    solver: str = "lemon"
    optmatch_tol: float = 1e-7

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratio", check_int("ratio", self.ratio, low=1, exc=ConfigError))
        check_number("caliper", self.caliper, low=0, low_open=True, allow_none=True, exc=ConfigError)
        check_choice("solver", self.solver, ("lemon", "scipy"), exc=ConfigError)
        check_number("optmatch_tol", self.optmatch_tol, low=0, low_open=True, exc=ConfigError)
        est = Estimand.parse(self.estimand)
        if est.value not in ("ATT", "ATC"):
            raise ConfigError(f"`estimand` for method='optimal' must be ATT or ATC; got {est.value}")
        object.__setattr__(self, "estimand", est)
        if self.exact is not None:
            ex = (self.exact,) if isinstance(self.exact, str) else tuple(self.exact)
            object.__setattr__(self, "exact", ex)
        d = self.distance
        if not (d in ("glm", "logit") if isinstance(d, str) else hasattr(d, "predict_proba")):
            raise ConfigError(f"`distance` must be 'glm' or a classifier with predict_proba; got {d!r}")

    replace = False
    default_variance = "cluster"  # subclass-clustered, as after any matching without replacement
    caliper_scale = "distance"
    std_caliper = True

    @property
    def distance_name(self) -> str:
        d = self.distance
        return d if isinstance(d, str) else type(d).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "ratio": self.ratio, "caliper": self.caliper,
                "exact": list(self.exact) if self.exact else None,
                "estimand": self.estimand.value, "distance": self.distance_name,
                "solver": self.solver, "optmatch_tol": self.optmatch_tol}


def optimal_pairs(score: np.ndarray, focal: np.ndarray, ctrl: np.ndarray, strata: np.ndarray,
                  ratio: int, width: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """(focal rows, control rows, total distance) of the minimum-distance k:1 matching.

    One sparse assignment per exact stratum (:mod:`._candidates`: arcs counted, refused above
    ``MAX_ARCS["optimal"]``, then built); slots come in the order of ``focal``."""
    from scipy.sparse import csr_matrix  # scipy only when this method runs (start-up of the matching path)
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    why = (f"no matching gives every focal unit {ratio} control(s) within the caliper and exact "
           f"strata; widen the caliper, lower `ratio` or use method='nearest'")
    strata = np.unique(strata, return_inverse=True)[1].ravel()  # codes 0..n-1
    n_strata = int(strata.max()) + 1 if strata.size else 1
    nf = np.bincount(strata[focal], minlength=n_strata)
    nc = np.bincount(strata[ctrl], minlength=n_strata)
    short = np.flatnonzero(nf * ratio > nc)
    if short.size:
        s = int(short[np.argmax(nf[short] * ratio - nc[short])])
        raise MatchingError(f"{why} ({int(nf[s]) * ratio} focal slots, {int(nc[s])} controls"
                            + (")" if n_strata == 1 else f" in one of {n_strata} exact strata)"))
    groups = checked_groups("optimal", score, strata, focal, ctrl, width, ratio)
    slots_out, match_out = [], []
    for f, c in groups:
        ii, jj = caliper_arcs(score, f, c, width)
        if ratio > 1:  # slot r of focal i is row i * ratio + r
            ii = (ii[:, None] * ratio + np.arange(ratio)).ravel()
            jj = np.repeat(jj, ratio)
        graph = csr_matrix((np.abs(score[f][ii // ratio] - score[c][jj]) + 1.0, (ii, jj)),
                           shape=(f.size * ratio, c.size))
        try:
            r, k = min_weight_full_bipartite_matching(graph)
        except ValueError:
            raise MatchingError(why + ("" if n_strata == 1 else f" (an exact stratum of {f.size} focal "
                                       f"and {c.size} control units)")) from None
        m = np.empty(f.size * ratio, dtype=np.int64)
        m[r] = c[k]
        slots_out.append(np.repeat(f, ratio))
        match_out.append(m)
    slots, m = np.concatenate(slots_out), np.concatenate(match_out)
    pos = np.zeros(score.size, dtype=np.int64)
    pos[focal] = np.arange(focal.size)
    order = np.argsort(pos[slots], kind="stable")  # back to the order of `focal`
    slots, m = slots[order], m[order]
    return slots, m, float(np.abs(score[slots] - score[m]).sum())


def match_optimal(data: pd.DataFrame, treatment: str, covariates: tuple[str, ...],
                  spec: Any) -> MatchResult:
    """Optimal pair matching; returns a :class:`MatchResult` (pairs, weights, subclasses).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> d = pd.DataFrame({"x": rng.normal(size=120)})
    >>> d["t"] = (rng.random(120) < 0.3).astype(int)
    >>> m = match_optimal(d, "t", ("x",), OptimalSpec())
    >>> int((m.weights[d.t == 0] > 0).sum()) == int(d.t.sum())
    True
    """
    from evaltool.design.propensity import fit_propensity, treatment_indicator

    if not isinstance(spec, OptimalSpec):
        if spec.replace or spec.m_order is not None or spec.mahvars is not None or spec.ties \
                or spec.discard != "none":
            raise ConfigError("method='optimal' takes ratio, caliper, exact and estimand only")
        spec = OptimalSpec(ratio=spec.ratio, caliper=spec.caliper, exact=spec.exact,
                           estimand=spec.estimand, distance=spec.distance, solver=spec.solver,
                           optmatch_tol=spec.optmatch_tol)
    t = treatment_indicator(data, treatment).to_numpy(dtype=int)
    model = "logit" if isinstance(spec.distance, str) else spec.distance
    prop = fit_propensity(data, treatment, covariates, model=model)
    ps = prop.scores.to_numpy(dtype=float)
    fv = 0 if spec.estimand is Estimand.ATC else 1
    focal, ctrl = np.flatnonzero(t == fv), np.flatnonzero(t != fv)
    strata = (pd.MultiIndex.from_frame(data[list(spec.exact)]).factorize()[0]
              if spec.exact else np.zeros(t.size, dtype=np.int64))
    width = None if spec.caliper is None else spec.caliper * float(np.std(ps, ddof=1))
    if spec.solver == "lemon":  # MatchIt's pairs: optmatch's network, LEMON's choices
        from evaltool.design.matching._optmatch import lemon_pairs, stratum_labels

        checked_groups("optimal", ps, strata, focal, ctrl, width, spec.ratio)  # refuse before solving

        f, m, sub = lemon_pairs(ps, focal, ctrl, strata, spec.ratio, width, spec.optmatch_tol,
                                stratum_labels(data, spec.exact))
    else:
        f, m, _total = optimal_pairs(ps, focal, ctrl, strata, spec.ratio, width)
        sub = subclass_from_pairs(t.size, f, m)
    n = t.size
    w = weights_from_pairs(n, f, m)
    index = data.index
    labels = np.full((focal.size, spec.ratio), np.nan, dtype=object)
    where = np.full(n, -1, dtype=np.int64)
    where[focal] = np.arange(focal.size)
    slot = np.tile(np.arange(spec.ratio), focal.size)
    order = np.argsort(f, kind="stable")  # slots come in focal order already
    labels[where[f[order]], slot] = index.to_numpy(dtype=object)[m[order]]
    subclass = pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=index,
                         name="subclass")
    subclass[sub == 0] = pd.NA
    return MatchResult(
        data=data, treatment=treatment, treat=pd.Series(t, index=index, name=treatment),
        covariates=tuple(covariates),
        match_matrix=pd.DataFrame(labels, index=index[focal], columns=list(range(1, spec.ratio + 1))),
        weights=pd.Series(w, index=index, name="weights"), subclass=subclass,
        distance=pd.Series(ps, index=index, name="distance"),
        discarded=pd.Series(np.zeros(n, dtype=bool), index=index, name="discarded"),
        estimand=spec.estimand, spec=spec, propensity=prop)
