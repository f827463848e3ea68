"""Propensity score subclassification (MatchIt 4.7.2 ``method = "subclass"``).

Cut points are the ``0, 1/S, ..., 1`` quantiles (R type 7) of the propensity score in
the estimand's target group (treated for ATT, controls for ATC, everyone for ATE);
``findInterval(..., all.inside = TRUE)`` puts every unit in subclass 1..S. Weights are
MatchIt's subclass weights (ATT: controls ``n_t(s) / n_c(s)``), normalized to mean 1
in each arm. A subclass with fewer than ``min_n`` (default 1) units of a treatment group
gets units "scooted" from the nearest subclasses that have them to spare (MatchIt's
``subclass_scootC``, ported step by step: the side with more spare units weighted by
inverse distance, the unit with the closest score, later units first on ties); with
``min_n=0`` units of such subclasses are dropped (weight 0) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_int
from evaltool.design.matching.cem import _r_seq, normalize_weights, own_spec, subclass_weights
from evaltool.design.matching.result import MatchResult
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, MatchingError

__all__ = ["SubclassSpec", "match_subclass"]


@dataclass(frozen=True)
class SubclassSpec:
    """Recipe of subclassification: ``subclass`` = number of subclasses (MatchIt's name)."""

    subclass: int = 6
    estimand: Estimand | str = Estimand.ATT
    min_n: int = 1
    distance: Any = field(default="glm", compare=False)
    method: str = "subclass"

    def __post_init__(self) -> None:
        object.__setattr__(self, "subclass", check_int("subclass", self.subclass, low=2,
                                                       exc=ConfigError))
        check_int("min_n", self.min_n, low=0, exc=ConfigError)
        est = Estimand.parse(self.estimand)
        if est.value not in ("ATT", "ATC", "ATE"):
            raise ConfigError(f"`estimand` for method='subclass' must be ATT, ATC or ATE; got "
                              f"{est.value}")
        object.__setattr__(self, "estimand", est)
        d = self.distance
        if not (d in ("glm", "logit") if isinstance(d, str) else hasattr(d, "predict_proba")):
            raise ConfigError(f"`distance` must be 'glm' or a classifier with predict_proba; got {d!r}")

    ratio = 1
    replace = False
    default_variance = "cluster"  # subclass-clustered, as after any matching without replacement
    caliper = None
    exact = None

    @property
    def distance_name(self) -> str:
        d = self.distance
        return d if isinstance(d, str) else type(d).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "subclass": self.subclass, "min_n": self.min_n,
                "estimand": self.estimand.value, "distance": self.distance_name}


def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R ``quantile(x, probs)`` type 7."""
    xs = np.sort(x)
    n = xs.size
    h = (n - 1) * probs
    lo = np.floor(h + 4 * np.finfo(float).eps).astype(int)
    lo = np.clip(lo, 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    frac = h - lo
    out = xs[lo] + frac * (xs[hi] - xs[lo])
    return np.where(np.abs(frac) < 4 * np.finfo(float).eps * np.maximum(1, np.abs(h)), xs[lo], out)


def match_subclass(data: pd.DataFrame, treatment: str, covariates: tuple[str, ...],
                   spec: SubclassSpec) -> MatchResult:
    """Subclassify on the propensity score; returns a :class:`MatchResult` with subclasses.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"x": rng.normal(size=300)})
    >>> d["t"] = (rng.random(300) < 1 / (1 + np.exp(-d.x))).astype(int)
    >>> m = match_subclass(d, "t", ("x",), SubclassSpec(subclass=4))
    >>> int(m.subclass.max())
    4
    """
    from evaltool.design.propensity import fit_propensity, treatment_indicator

    asked = spec
    if not isinstance(spec, SubclassSpec):
        spec = own_spec(spec, SubclassSpec, distance=spec.distance, subclass=spec.subclass,
                        min_n=spec.min_n)
    t = treatment_indicator(data, treatment).to_numpy(dtype=int)
    model = "logit" if isinstance(spec.distance, str) else spec.distance
    prop = fit_propensity(data, treatment, covariates, model=model)
    ps = prop.scores.to_numpy(dtype=float)
    focal = spec.estimand.focal_group
    base = ps if focal is None else ps[t == focal]
    qu = _quantile7(base, _r_seq(0.0, 1.0, spec.subclass + 1))
    sub = np.clip(np.searchsorted(qu, ps, side="right"), 1, qu.size - 1).astype(np.int64)
    if spec.min_n == 0:
        both = np.intersect1d(sub[t == 1], sub[t == 0])
        sub = np.where(np.isin(sub, both), sub, 0)
    else:
        sub = scoot(sub, t, ps, spec.min_n)
    present = np.unique(sub[sub > 0])
    sub = np.where(sub > 0, np.searchsorted(present, sub) + 1, 0)  # renumber 1..S' (ties in the score)
    w = normalize_weights(subclass_weights(sub, t, spec.estimand), t)
    index = data.index
    focal_lab = index[t == (0 if spec.estimand is Estimand.ATC else 1)]
    return MatchResult(
        data=data, treatment=treatment, treat=pd.Series(t, index=index, name=treatment),
        covariates=tuple(covariates),
        match_matrix=pd.DataFrame(np.full((focal_lab.size, 1), np.nan, dtype=object),
                                  index=focal_lab, columns=[1]),
        weights=pd.Series(w, index=index, name="weights"),
        subclass=pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=index,
                           name="subclass").mask(sub == 0),
        distance=pd.Series(ps, index=index, name="distance"),
        discarded=pd.Series(np.zeros(t.size, dtype=bool), index=index, name="discarded"),
        estimand=spec.estimand, spec=asked, propensity=prop)


def scoot(sub: np.ndarray, t: np.ndarray, x: np.ndarray, min_n: int) -> np.ndarray:
    """MatchIt ``subclass_scoot``: move units so every subclass holds ``min_n`` of each group."""
    labels = np.unique(sub)
    nsub = labels.size
    counts = np.array([[np.sum((sub == s) & (t == g)) for s in labels] for g in (0, 1)])
    if (counts >= min_n).all():
        return sub
    if (counts.sum(axis=1) < nsub * min_n).any():
        raise MatchingError(f"not enough units to fit {min_n} treated and control unit(s) in each "
                            f"of {nsub} subclasses; use fewer subclasses (`subclass`) or a lower `min_n`")
    cls = np.searchsorted(labels, sub)
    for g in pd.unique(t).tolist():
        ind = np.flatnonzero(t == g)
        tab = np.bincount(cls[ind], minlength=nsub).astype(float)
        for _ in range(min_n):
            while tab.min() <= 0:
                s = int(np.flatnonzero(tab == 0)[0])
                if s == nsub - 1:
                    left = True
                elif s == 0:
                    left = False
                else:
                    others = np.array([k for k in range(nsub) if k != s and tab[k] > 1], dtype=int)
                    score = float(np.sum((tab[others] - 1) / (others - s))) if others.size else 0.0
                    left = score <= 0
                side = range(s - 1, -1, -1) if left else range(s + 1, nsub)
                s2 = next(k for k in side if tab[k] > 0)
                cand = ind[cls[ind] == s2]
                xs = x[cand]
                # the C loop keeps the last unit at the extreme value (>= / <= replace the best)
                best = cand[len(xs) - 1 - int(np.argmax(xs[::-1] if left else -xs[::-1]))]
                cls[best] = s
                tab[s] += 1
                tab[s2] -= 1
            tab -= 1
    return labels[cls]
