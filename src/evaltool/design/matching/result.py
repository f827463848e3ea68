"""``MatchResult``: the design every matching method returns.

Matched on a pyarrow Table (nearest matching), the result is built from numpy arrays:
``pairs()`` and ``matched_data()`` return pyarrow Tables and the pandas-valued fields
(``data``, ``weights``, ``match_matrix`` ...; on a RangeIndex, labels = 0-based row
positions) are built only when first read, so matching needs no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from evaltool._result import LazyFields, ResultMixin
from evaltool.estimand import Estimand
from evaltool.specs.matching import MatchSpec

__all__ = ["MatchResult", "weights_from_pairs", "subclass_from_pairs"]


def weights_from_pairs(n: int, focal_rows: np.ndarray, matched_rows: np.ndarray) -> np.ndarray:
    """MatchIt weights from flat (focal row, matched row) pairs.

    A matched focal unit gets 1; a matched unit gets the sum over its focal units
    of 1/(number of units matched to that focal unit), rescaled so these weights
    sum to the number of matched units (MatchIt ``get_weights_from_mm``).
    """
    w = np.zeros(n)
    if focal_rows.size == 0:
        return w
    counts = np.bincount(focal_rows, minlength=n)
    w[counts > 0] = 1.0
    # summed in pair order, as np.add.at would (bincount adds the weights one by one)
    contrib = np.bincount(matched_rows, weights=1.0 / counts[focal_rows], minlength=n)
    matched = contrib > 0
    w[matched] = contrib[matched] * matched.sum() / contrib[matched].sum()
    return w


def subclass_from_pairs(n: int, focal_rows: np.ndarray, matched_rows: np.ndarray) -> np.ndarray:
    """One subclass per matched focal unit, numbered in data order (MatchIt
    ``mm2subclass``); 0 = no subclass."""
    sub = np.zeros(n, dtype=np.int64)
    if focal_rows.size == 0:
        return sub
    has = np.zeros(n, dtype=bool)
    has[focal_rows] = True
    np.cumsum(has, out=sub)  # the focal units' ids, numbered in data order
    sub *= has
    sub[matched_rows] = sub[focal_rows]
    return sub


@dataclass(frozen=True)
class MatchResult(LazyFields, ResultMixin):
    """A matching design: who is matched to whom, with weights. Never an effect.

    Attributes
    ----------
    data : DataFrame
        The caller's data, untouched.
    treatment : str
        Treatment column name.
    treat : Series
        int 0/1 on ``data.index``.
    covariates : tuple of str
        Covariate terms.
    match_matrix : DataFrame
        MatchIt's ``match.matrix``: one row per focal unit (treated; controls for
        ATC), indexed by its label, columns 1..k holding matched index labels, NaN
        where unmatched.
    weights : Series
        Matching weights on ``data.index`` (0 = unmatched or discarded).
    subclass : Series
        Nullable Int64 matched-set id per unit; all NA when matching with replacement.
    distance : Series or None
        The propensity score (or score column) matched on; None for Mahalanobis.
    discarded : Series
        bool, True for units dropped by ``discard`` or by exact strata lacking a group.
    estimand : Estimand
        ATT, ATC, or ATM when a caliper/discard left treated units unmatched.
    spec : MatchSpec
        The full recipe.
    propensity : PropensityResult or None
        The fitted propensity model, when one was fitted.

    Examples
    --------
    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> design.match_matrix.head(3)  # participant -> matched comparison person (index labels)
          1
    1   135
    2   324
    13  214
    >>> design.spec.caliper is None, design.propensity is not None
    (True, True)
    """

    data: Any
    treatment: str
    treat: Any
    covariates: tuple[str, ...]
    match_matrix: Any
    weights: Any
    subclass: Any
    distance: Any
    discarded: Any
    estimand: Estimand
    spec: MatchSpec
    propensity: Any = None

    _title = "Matching design"

    def __repr__(self) -> str:
        n = self.n
        cal = "" if self.spec.caliper is None else f", caliper={self.spec.caliper:g}"
        return (f"MatchResult({self.spec.method}, {self.spec.distance_name}, {self.estimand.value}, "
                f"ratio={self.spec.ratio}, replace={self.spec.replace}{cal}; "
                f"treated {n['treated']['matched']}/{n['treated']['all']} matched, "
                f"control {n['control']['matched']}/{n['control']['all']} matched)")

    @property
    def default_variance(self) -> str:
        """``"cluster"`` (by subclass) without replacement, ``"abadie_imbens"`` with."""
        return self.spec.default_variance

    @property
    def focal(self) -> int:
        """The treatment value of the focal group (1; 0 for ATC)."""
        return 0 if self.spec.estimand is Estimand.ATC else 1

    @cached_property
    def _pairs(self) -> Any:
        import pandas as pd

        mm = self.match_matrix
        labels = mm.to_numpy(dtype=object)
        present = ~pd.isna(labels)
        counts = present.sum(axis=1)
        matched = counts > 0
        set_id = np.cumsum(matched)
        rows, slots = np.nonzero(present)
        focal_lab = mm.index.to_numpy(dtype=object)[rows]
        other_lab = labels[rows, slots]
        first, second = ("control", "treated") if self.focal == 0 else ("treated", "control")
        frame = pd.DataFrame({
            "subclass": set_id[rows].astype(np.int64),
            first: focal_lab,
            second: other_lab,
            "slot": (slots + 1).astype(np.int64),
            "weight": 1.0 / counts[rows],
        })
        if len(frame):
            for col in (first, second):
                frame[col] = frame[col].astype(self.data.index.dtype)
        return frame[["subclass", "treated", "control", "slot", "weight"]]

    def pairs(self) -> Any:
        """One row per (matched set, matched unit), like MatchIt's ``get_matches()``.

        Columns ``subclass`` (1..number of matched focal units, in data order),
        ``treated`` and ``control`` (index labels; 0-based row positions for a pyarrow
        input, which gets a pyarrow Table), ``slot`` (1..k) and ``weight`` (1 / number
        of units matched to that focal unit, so weights within a set sum to 1).
        """
        core = self.__dict__.get("_core")
        if core is not None:
            return core.pairs_table()
        return self._pairs.copy()

    def matched_data(self) -> Any:
        """Rows with weight > 0 plus ``weights``, ``subclass`` and ``distance`` columns
        (a pyarrow Table, without index, for a pyarrow input; ``subclass`` null where NA)."""
        core = self.__dict__.get("_core")
        if core is not None:
            return core.matched_table()
        keep = self.weights > 0
        out = self.data.loc[keep].copy()
        out["weights"] = self.weights[keep]
        out["subclass"] = self.subclass[keep]
        if self.distance is not None:
            out["distance"] = self.distance[keep]
        return out

    @cached_property
    def n(self) -> dict[str, dict[str, int]]:
        """Counts per group: all, matched, unmatched (not discarded), discarded."""
        out = {}
        core = self.__dict__.get("_core")
        if core is not None:
            w, disc, t = core.w, core.discarded, core.treat
        else:
            w = self.weights.to_numpy()
            disc = self.discarded.to_numpy()
            t = self.treat.to_numpy()
        for name, g in (("treated", 1), ("control", 0)):
            m = t == g
            out[name] = {"all": int(m.sum()), "matched": int((m & (w > 0)).sum()),
                         "unmatched": int((m & (w == 0) & ~disc).sum()),
                         "discarded": int((m & disc).sum())}
        return out

    def to_frame(self) -> Any:
        """One row per matched pair slot (index labels of both units)."""
        p = self._pairs
        frame = p.copy()
        if self.distance is not None and len(p):
            d = self.distance
            frame["distance_treated"] = d.reindex(p["treated"]).to_numpy()
            frame["distance_control"] = d.reindex(p["control"]).to_numpy()
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Counts, estimand and spec only (no index labels or ids)."""
        return {
            "method": self.spec.method,
            "estimand": self.estimand.value,
            "covariates": list(self.covariates),
            "spec": self.spec.to_dict(),
            "n": self.n,
            "n_matched_sets": self._n_matched_sets(),
            "propensity_model": None if self.propensity is None else self.propensity.model,
            "default_variance": self.default_variance,
        }

    def _n_matched_sets(self) -> int:
        core = self.__dict__.get("_core")
        if core is not None:
            return int(np.count_nonzero(np.bincount(core.f, minlength=core.n))) if core.f.size else 0
        return int(self._pairs["subclass"].nunique()) if len(self._pairs) else 0

    def summary(self) -> str:
        n = self.n
        lines = [self._title, "=" * len(self._title),
                 f"method: {self.spec.method} ({self.spec.distance_name}), ratio {self.spec.ratio}, "
                 f"replace={self.spec.replace}, estimand {self.estimand.value}"]
        if self.spec.caliper is not None:
            lines.append(f"caliper: {self.spec.caliper} ({'SD of ' + self.spec.caliper_scale if self.spec.std_caliper else 'raw units'})")
        if self.spec.exact:
            lines.append(f"exact: {', '.join(self.spec.exact)}")
        lines.append(f"{'':10}{'treated':>10}{'control':>10}")
        for key in ("all", "matched", "unmatched", "discarded"):
            lines.append(f"{key:10}{n['treated'][key]:>10}{n['control'][key]:>10}")
        return "\n".join(lines)
