"""Coarsened exact matching (MatchIt 4.7.2 ``method = "cem"``, its in-house ``cem_matchit``).

Each numeric covariate is cut into bins -- by default Sturges' number of equal-width
bins, ``ceiling(log2(n) + 1)``, over its range (outer edges open); categorical terms
(``C(x)`` or non-numeric columns) are kept as they are. Units with the same
combination of coarsened values form a stratum; strata holding both treated and
control units become subclasses (numbered in order of first appearance among the units
of the treatment value seen first in the data, as MatchIt); the rest get weight 0.
Weights are MatchIt's subclass weights (ATT: controls ``n_t(s) / n_c(s)``), normalized
to mean 1 among nonzero weights in each arm. ``k2k=True`` (MatchIt's ``k2k``, its default
``k2k.method = "mahalanobis"``, ``m.order = "data"``) pairs each focal unit 1:1 without
replacement with the nearest control of its stratum on the Mahalanobis distance of the
covariates (pooled within-group covariance over all units); unpaired units get weight 0.
The report may say "identical on these coarsened characteristics".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_bool
from evaltool.design.matching.result import MatchResult, subclass_from_pairs, weights_from_pairs
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EstimandWarning, MatchingError
from evaltool.specs.matching import check_cutpoints
from evaltool.terms import parse_term

__all__ = ["CEMSpec", "match_cem", "subclass_weights", "normalize_weights", "sturges_bins"]


def sturges_bins(n: int) -> int:
    """R ``nclass.Sturges``: ``ceiling(log2(n) + 1)``."""
    return int(math.ceil(math.log2(n) + 1))


def _r_seq(lo: float, hi: float, n: int) -> np.ndarray:
    """R ``seq(lo, hi, length.out = n)`` (``c(from, from + (1:(n-2)) * by, to)``)."""
    if n == 1:
        return np.array([lo])
    by = (hi - lo) / (n - 1)
    return np.concatenate([[lo], lo + np.arange(1, n - 1) * by, [hi]])


def subclass_weights(sub: np.ndarray, t: np.ndarray, estimand: Estimand) -> np.ndarray:
    """MatchIt ``get_weights_from_subclass`` (``sub`` 1..S, 0 = none)."""
    S = int(sub.max()) if sub.size else 0
    n1 = np.bincount(sub[(t == 1) & (sub > 0)], minlength=S + 1).astype(float)
    n0 = np.bincount(sub[(t == 0) & (sub > 0)], minlength=S + 1).astype(float)
    w = np.zeros(t.size)
    on1, on0 = (t == 1) & (sub > 0), (t == 0) & (sub > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand is Estimand.ATT:
            w[on1] = 1.0
            w[on0] = (n1 / n0)[sub[on0]]
        elif estimand is Estimand.ATC:
            w[on1] = (n0 / n1)[sub[on1]]
            w[on0] = 1.0
        else:
            w[on1] = 1 + (n0 / n1)[sub[on1]]
            w[on0] = 1 + (n1 / n0)[sub[on0]]
    return w


def normalize_weights(w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """MatchIt ``normalize = TRUE``: nonzero weights of each arm scaled to mean 1."""
    out = w.copy()
    for g in (0, 1):
        m = (t == g) & (w > 0)
        if m.any():
            out[m] = w[m] * m.sum() / w[m].sum()
    return out


@dataclass(frozen=True)
class CEMSpec:
    """Recipe of coarsened exact matching (MatchIt option names).

    ``cutpoints``: ``"sturges"`` (default), ``"fd"``/``"scott"`` are not offered; an
    integer number of bins; or a mapping column -> number of bins, list of cut points,
    or 0 (match exactly on the raw values).
    """

    estimand: Estimand | str = Estimand.ATT
    cutpoints: Any = "sturges"
    k2k: bool = False
    method: str = "cem"

    def __post_init__(self) -> None:
        est = Estimand.parse(self.estimand)
        if est.value not in ("ATT", "ATC", "ATE"):
            raise ConfigError(f"`estimand` for method='cem' must be ATT, ATC or ATE; got {est.value}")
        object.__setattr__(self, "estimand", est)
        check_bool("k2k", self.k2k, exc=ConfigError)
        if self.k2k and est is Estimand.ATE:
            raise ConfigError("`k2k` pairs each focal unit with one control, so it targets ATT or "
                              "ATC; got estimand 'ATE'", key="k2k")
        object.__setattr__(self, "cutpoints", check_cutpoints(self.cutpoints))

    # the MatchResult surface reads these
    ratio = 1
    replace = False
    default_variance = "cluster"  # subclass-clustered, as after any matching without replacement
    caliper = None
    exact = None
    distance_name = "none"

    def bins_for(self, column: str) -> Any:
        cp = self.cutpoints
        return cp.get(column, "sturges") if isinstance(cp, dict) else cp

    def to_dict(self) -> dict[str, Any]:
        cp = self.cutpoints
        return {"method": self.method, "estimand": self.estimand.value,
                "cutpoints": ({k: (list(v) if isinstance(v, Sequence) and not isinstance(v, str)
                                   else v) for k, v in cp.items()} if isinstance(cp, dict) else cp),
                "k2k": self.k2k}


def own_spec(spec: Any, cls: type, **extra: Any) -> Any:
    """``spec`` as ``cls``: a ``MatchSpec`` from ``match(method=...)`` (which has already
    refused every option the method does not take) carries its estimand and ``extra`` over."""
    if isinstance(spec, cls):
        return spec
    return cls(estimand=spec.estimand, **{k: v for k, v in extra.items() if v is not None})


def _coarsen(x: pd.Series, bins: Any) -> np.ndarray:
    v = x.to_numpy(dtype=float)
    if isinstance(bins, str) or (isinstance(bins, (int, np.integer)) and bins > 0):
        k = sturges_bins(v.size) if isinstance(bins, str) else int(bins)
        if k == 1:
            return np.zeros(v.size, dtype=np.int64)
        breaks = _r_seq(float(v.min()), float(v.max()), k + 1)
        breaks[0], breaks[-1] = -np.inf, np.inf
    elif isinstance(bins, (int, np.integer)):  # 0: exact on raw values
        return pd.factorize(x, sort=True)[0].astype(np.int64)
    else:
        breaks = np.concatenate([[-np.inf], np.unique(np.asarray(bins, dtype=float)), [np.inf]])
    return np.searchsorted(breaks, v, side="right").astype(np.int64)  # R findInterval


def match_cem(data: pd.DataFrame, treatment: str, covariates: tuple[str, ...],
              spec: CEMSpec) -> MatchResult:
    """Coarsened exact matching; returns a :class:`MatchResult` with subclasses and weights.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 0, 0, 1, 0], "age": [20, 21, 40, 41, 60]})
    >>> m = match_cem(d, "t", ("age",), CEMSpec(cutpoints=2))
    >>> m.weights.tolist()
    [1.0, 1.5, 0.75, 1.0, 0.75]
    """
    from evaltool.design.propensity import treatment_indicator

    asked = spec
    spec = own_spec(spec, CEMSpec, cutpoints=getattr(spec, "cutpoints", None),
                    k2k=getattr(spec, "k2k", None))
    t = treatment_indicator(data, treatment).to_numpy(dtype=int)
    codes = []
    for text in covariates:
        term = parse_term(text)
        if term.kind not in ("auto", "categorical"):
            raise ConfigError(f"method='cem' takes plain columns or C(column); got {text!r}")
        col = data[term.column]
        if col.isna().any():
            raise MatchingError(f"covariate {term.column!r} has missing values; CEM needs them "
                                "filled or dropped")
        if term.kind == "categorical" or not pd.api.types.is_numeric_dtype(col):
            codes.append(pd.factorize(col, sort=True)[0].astype(np.int64))
        else:
            codes.append(_coarsen(col, spec.bins_for(term.column)))
    stratum = pd.factorize(pd.MultiIndex.from_arrays(codes) if len(codes) > 1 else codes[0])[0]
    first = t[0]
    order = pd.unique(stratum[t == first])
    other = set(stratum[t != first].tolist())
    common = [s for s in order.tolist() if s in other]
    if not common:
        raise MatchingError("no stratum holds both treated and control units; coarsen more "
                            "(fewer bins) or use fewer covariates")
    lookup = {s: i + 1 for i, s in enumerate(common)}
    sub = np.array([lookup.get(s, 0) for s in stratum.tolist()], dtype=np.int64)
    if spec.k2k:
        sub, w = _k2k(data, covariates, t, sub, 0 if spec.estimand is Estimand.ATC else 1)
    else:
        w = normalize_weights(subclass_weights(sub, t, spec.estimand), t)
    index = data.index
    subclass = pd.Series(pd.array(np.where(sub > 0, sub, 0), dtype="Int64"), index=index,
                         name="subclass")
    subclass[sub == 0] = pd.NA
    focal = index[t == (0 if spec.estimand is Estimand.ATC else 1)]
    est = spec.estimand
    lost = int(((t == 1) & (w == 0)).sum())
    if est is Estimand.ATT and lost:
        est = Estimand.ATM
        warnings.warn(f"{lost} of {int(t.sum())} treated units are in strata without controls; "
                      "the estimand is now ATM (the matched treated), not ATT", EstimandWarning,
                      stacklevel=2)
    return MatchResult(
        data=data, treatment=treatment, treat=pd.Series(t, index=index, name=treatment),
        covariates=tuple(covariates),
        match_matrix=pd.DataFrame(np.full((focal.size, 1), np.nan, dtype=object), index=focal,
                                  columns=[1]),
        weights=pd.Series(w, index=index, name="weights"), subclass=subclass, distance=None,
        discarded=pd.Series(np.zeros(t.size, dtype=bool), index=index, name="discarded"),
        estimand=est, spec=asked, propensity=None)


def _full_dummies(data: pd.DataFrame, covariates: tuple[str, ...]) -> np.ndarray:
    """MatchIt's covariate matrix for its Mahalanobis transform: every level of a factor
    gets a dummy (no reference level dropped), numeric columns as they are."""
    cols = []
    for text in covariates:
        term = parse_term(text)
        col = data[term.column]
        if term.kind == "categorical" or not pd.api.types.is_numeric_dtype(col):
            codes, levels = pd.factorize(col, sort=True)
            cols += [(codes == k).astype(float) for k in range(len(levels))]
        else:
            cols.append(col.to_numpy(dtype=float))
    return np.column_stack(cols)


def _k2k(data: pd.DataFrame, covariates: tuple[str, ...], t: np.ndarray, sub: np.ndarray,
         focal: int) -> tuple[np.ndarray, np.ndarray]:
    """MatchIt ``do_k2k``: 1:1 nearest Mahalanobis pairs without replacement inside each
    stratum, focal units in data order; returns (pair subclass 1..P, 0 = unpaired; weights)."""
    from evaltool.design.matching._mahalanobis import (match_mahalanobis, pooled_within_cov,
                                                        scan_positions, whiten)

    X = _full_dummies(data, covariates)
    Z = whiten(X, pooled_within_cov(X, t))
    outside = sub == 0
    order = np.flatnonzero((t == focal) & ~outside)
    ctrl = np.flatnonzero((t != focal) & ~outside)
    scan = scan_positions(X, t, np.zeros(t.size, dtype=bool))
    out = match_mahalanobis(Z, order, ctrl, sub, 1, False, scan_pos=scan)[:, 0]
    ok = out >= 0
    f, m = order[ok], out[ok]
    return subclass_from_pairs(t.size, f, m), weights_from_pairs(t.size, f, m)
