"""What effects are estimated on: the :class:`Design` protocol and the estimation sample.

A design (``evaltool.design.matching.match(...)`` or a weighting design) is consumed only
through the attributes of :class:`Design`. :func:`build_sample` turns it into the rows
an effect is estimated on, with their weights and cluster ids:

* matching without replacement (subclasses known): one row per unit with positive
  weight, clustered by subclass (as ``MatchIt::match.data`` + ``vcovCL(~subclass)``);
* matching with replacement (subclass NA): one row per unit per matched set from
  ``pairs()`` (focal unit weight 1, matched units their pair weight), clustered two-way
  by matched set and unit (as ``MatchIt::get_matches`` + ``vcovCL(~subclass + unit_id)``);
* designs with neither (weighting), or strategies that ask for unit rows (HC): one
  row per unit with its design weight, each unit its own cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from types import SimpleNamespace
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["ClusterTerm", "Design", "PairsDesign", "PropensityLike", "Sample", "build_sample", "cluster_terms",
           "count_units", "dense_codes", "focal_columns"]


@runtime_checkable
class PropensityLike(Protocol):
    """A fitted propensity model: scores and the design matrix (with intercept) behind them."""

    scores: pd.Series
    design_matrix: pd.DataFrame


@runtime_checkable
class Design(Protocol):
    """The design an effect is estimated on (``MatchResult`` satisfies it).

    Attributes
    ----------
    data : DataFrame
        The persons table, caller's index.
    treatment : str
        Name of the treatment column.
    treat : Series
        0/1 treatment indicator on ``data.index``.
    weights : Series
        Design weights on ``data.index``; 0 = not in the design.
    subclass : Series
        Nullable ``Int64`` pair/subclass id; NA when matching with replacement.
    estimand : Estimand
        ATT, ATC, ATE, ATM or ATO.
    default_variance : str
        Name of the variance strategy the design calls for.
    distance : Series or None
        The score matched on.
    propensity : PropensityLike or None
        The fitted propensity model, for the Abadie-Imbens (2016) adjustment.
    spec : object
        The recipe; has ``ratio`` and ``replace``.

    Notes
    -----
    ``pairs()`` returns one row per (matched set, matched unit): columns ``subclass``,
    ``treated``, ``control`` (index labels), ``slot`` (1..k) and ``weight``
    (1 / number of matched units of that set; fractional with ties). The focal unit
    of a set is the treated unit, or the control unit when the estimand is ATC.
    """

    data: pd.DataFrame
    treatment: str
    treat: pd.Series
    weights: pd.Series
    subclass: pd.Series
    estimand: Estimand
    default_variance: str
    distance: pd.Series | None
    propensity: Any
    spec: Any

    def pairs(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class PairsDesign:
    """A :class:`Design` from given parts: weights, subclasses and matched pairs made elsewhere
    (another matcher, a published analysis, a simulation), so that :func:`evaltool.estimate`
    can put honest standard errors on them. Fields as in :class:`Design`; ``pairs_frame`` is
    what :meth:`pairs` returns (may be empty for designs without pairs)."""

    data: pd.DataFrame
    treatment: str
    treat: pd.Series
    weights: pd.Series
    subclass: pd.Series
    estimand: Estimand
    default_variance: str
    pairs_frame: pd.DataFrame
    distance: pd.Series | None = None
    propensity: Any = None
    spec: Any = field(default_factory=lambda: SimpleNamespace(ratio=1, replace=False))

    def pairs(self) -> pd.DataFrame:
        return self.pairs_frame.copy()


def focal_columns(estimand: Estimand) -> tuple[str, str]:
    """``(focal, matched)`` column names of ``pairs()`` for an estimand."""
    return ("control", "treated") if estimand is Estimand.ATC else ("treated", "control")


@dataclass(frozen=True)
class Sample:
    """Rows an effect is estimated on.

    Attributes
    ----------
    pos : ndarray of int
        Position of each row's unit in ``design.data``.
    treat, weight : ndarray of float
        Treatment indicator and weight per row.
    clusters : tuple of ndarray of int
        Cluster codes per row; ``clusters[0]`` is the resampling unit of the bootstrap.
    kind : str
        ``"subclass"``, ``"pairs"`` or ``"units"``.
    """

    pos: np.ndarray
    treat: np.ndarray
    weight: np.ndarray
    clusters: tuple[np.ndarray, ...]
    kind: str

    @property
    def n(self) -> int:
        return int(self.pos.size)

    @cached_property
    def cluster_terms(self) -> tuple["ClusterTerm", ...]:
        """:func:`cluster_terms` of :attr:`clusters`, computed once and shared by every outcome
        estimated on these rows."""
        return cluster_terms(self.clusters)

    def restrict(self, unit_mask: np.ndarray) -> "Sample":
        """Keep the rows whose unit passes ``unit_mask`` (boolean over ``design.data`` rows)."""
        keep = unit_mask[self.pos]
        return Sample(self.pos[keep], self.treat[keep], self.weight[keep],
                      tuple(_recode(c[keep]) for c in self.clusters), self.kind)


#: largest (row, coefficient) bin index :meth:`ClusterTerm.index` keeps, in bytes
INDEX_CACHE_BYTES = 64 * 2 ** 20


@dataclass(frozen=True, eq=False)
class ClusterTerm:
    """One term of a (multi-way) cluster-robust sandwich: the clusters of one combination of cluster
    dimensions (``size`` of them, clustering on their intersection) as codes ``0..g-1`` per row."""

    size: int
    codes: np.ndarray
    g: int
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def index(self, k: int) -> np.ndarray | None:
        """Bin of every element of a ``(rows, k)`` array in column-major order when its rows are summed
        within clusters: ``c * g + codes[i]`` for row ``i``, column ``c``. One ``bincount`` so sums all
        ``k`` columns (a ``(k, g)`` result), adding each bin's rows in row order as a ``bincount`` per
        column does. None when the index would take more than :data:`INDEX_CACHE_BYTES`."""
        if k not in self._index:
            small = self.codes.size * k * 8 <= INDEX_CACHE_BYTES
            self._index[k] = (np.arange(k)[:, None] * self.g + self.codes).ravel() if small else None
        return self._index[k]


def cluster_terms(clusters: Sequence[np.ndarray]) -> tuple[ClusterTerm, ...]:
    """Every non-empty combination of the cluster dimensions ``clusters`` (codes per row), in the order
    of R ``sandwich::vcovCL``: single dimensions first, then pairs, ...; a combination clusters on the
    intersection of its dimensions."""
    dims = [np.asarray(c) for c in clusters]
    out = []
    for size in range(1, len(dims) + 1):
        for combo in combinations(range(len(dims)), size):
            codes = dims[combo[0]]
            for j in combo[1:]:
                codes = codes * (int(dims[j].max()) + 1) + dims[j]
            codes = dense_codes(codes)
            out.append(ClusterTerm(size, codes, int(codes.max()) + 1))
    return tuple(out)


def _recode(codes: np.ndarray) -> np.ndarray:
    return dense_codes(codes).astype(np.int64, copy=False)


def dense_codes(values: np.ndarray) -> np.ndarray:
    """Codes 0..G-1 of ``values`` in sorted order of the values: ``np.unique(values, return_inverse=True)[1]``,
    by a bincount (O(n)) when the values are non-negative integers of moderate range."""
    a = np.asarray(values)
    if a.ndim == 1 and a.size and a.dtype.kind in "iu":
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 16 * a.size + (1 << 20):
            a = a.astype(np.int64)
            present = np.bincount(a, minlength=hi + 1) > 0
            return a if present.all() else (np.cumsum(present) - 1)[a]
    return np.unique(a, return_inverse=True)[1]


def count_units(pos: np.ndarray) -> int:
    """Number of distinct units among row positions ``pos`` (non-negative; ``np.unique(pos).size``)."""
    return int(np.count_nonzero(np.bincount(pos))) if pos.size else 0


def _has_pairs(design: Design) -> bool:
    return callable(getattr(design, "pairs", None))


def build_sample(design: Design, *, unit_rows: bool = False) -> Sample:
    """The estimation rows of a design (see the module docstring).

    With ``unit_rows=True`` a design matched with replacement gives one row per unit
    with its design weight (as ``MatchIt::match.data``) instead of the ``pairs()``
    expansion; the point estimates are the same.
    """
    data = design.data
    treat = design.treat.reindex(data.index).to_numpy(dtype=float)
    weights = design.weights.reindex(data.index).to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise EstimationError("design weights must be finite and >= 0")
    in_design = weights > 0
    if not in_design.any():
        raise EstimationError("the design has no units with positive weight")
    subclass = getattr(design, "subclass", None)
    sub = None
    if subclass is not None:
        sub = pd.Series(subclass).reindex(data.index)
    if sub is not None and sub[in_design].notna().any():
        pos = np.flatnonzero(in_design)
        s = sub.iloc[pos]
        codes = pd.factorize(s, use_na_sentinel=True)[0].astype(np.int64)
        missing = codes < 0
        if missing.any():  # units outside any subclass form their own clusters
            codes[missing] = codes.max() + 1 + np.arange(missing.sum())
        return Sample(pos, treat[pos], weights[pos], (_recode(codes),), "subclass")
    pairs = design.pairs() if _has_pairs(design) and not unit_rows else None
    if pairs is not None and len(pairs):
        return _pairs_sample(design, pairs, treat)
    pos = np.flatnonzero(in_design)
    return Sample(pos, treat[pos], weights[pos], (np.arange(pos.size, dtype=np.int64),), "units")


def _pairs_sample(design: Design, pairs: pd.DataFrame, treat: np.ndarray) -> Sample:
    focal_col, match_col = focal_columns(design.estimand)
    index = design.data.index
    set_codes = pd.factorize(pairs["subclass"])[0].astype(np.int64)
    first = ~pd.Series(set_codes).duplicated().to_numpy()
    focal_pos = index.get_indexer(pairs[focal_col])
    match_pos = index.get_indexer(pairs[match_col])
    if (focal_pos < 0).any() or (match_pos < 0).any():
        raise EstimationError("pairs() names units that are not in design.data")
    pos = np.concatenate([focal_pos[first], match_pos])
    weight = np.concatenate([np.ones(int(first.sum())), pairs["weight"].to_numpy(dtype=float)])
    sets = np.concatenate([set_codes[first], set_codes])
    order = np.argsort(sets, kind="stable")
    pos, weight, sets = pos[order], weight[order], sets[order]
    return Sample(pos, treat[pos], weight, (_recode(sets), _recode(pos)), "pairs")
