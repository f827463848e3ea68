"""A nearest-matching design as numpy arrays, and the :class:`MatchResult` built from them.

One builder serves both inputs: for a pandas DataFrame every pandas-valued field is built
at once on ``data.index``; for a pyarrow Table they are built on first access on a
RangeIndex (labels = 0-based row positions), and ``pairs()`` / ``matched_data()`` are
pyarrow Tables made straight from the arrays, so matching a Table never imports pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaltool._arrow import call, from_numpy
from evaltool.design.matching.result import MatchResult
from evaltool.terms import is_arrow

__all__ = ["MatchArrays"]


class MatchArrays:
    """Flat matches (focal row ``f``, matched row ``m``, slot 1..k) and per-row arrays.

    ``sub`` is the subclass per row (0 = none) or None when matching with replacement
    (all NA); ``distance`` the score per row or None; ``focal`` the focal treatment value.
    """

    def __init__(self, data: Any, f: np.ndarray, m: np.ndarray, slot: np.ndarray, k: int,
                 w: np.ndarray, sub: np.ndarray | None, distance: np.ndarray | None,
                 discarded: np.ndarray, treat: np.ndarray, focal: int) -> None:
        self.data, self.f, self.m, self.slot, self.k = data, f, m, slot, k
        self.w, self.sub, self.distance = w, sub, distance
        self.discarded, self.treat, self.focal = discarded, treat, focal
        self.n = treat.size

    def result(self, treatment: str, covariates: tuple[str, ...], spec: Any, estimand: Any,
               propensity: Any) -> MatchResult:
        fields = dict(treatment=treatment, covariates=covariates, estimand=estimand, spec=spec,
                      propensity=propensity)
        if is_arrow(self.data):
            return MatchResult.lazy(fields, self._builders(None, treatment), _core=self)
        index = self.data.index
        return MatchResult(**fields, **{k: b() for k, b in self._builders(index, treatment).items()})

    def _builders(self, index: Any, treatment: str) -> dict:
        def idx():
            import pandas as pd

            return pd.RangeIndex(self.n) if index is None else index

        def series(values, name):
            import pandas as pd

            return pd.Series(values, index=idx(), name=name)

        def subclass():
            import pandas as pd

            if self.sub is None:
                return pd.Series(pd.array([pd.NA] * self.n, dtype="Int64"), index=idx(), name="subclass")
            return series(pd.arrays.IntegerArray(self.sub, self.sub == 0), "subclass")

        return {
            "data": (lambda: self.data.to_pandas()) if index is None else (lambda: self.data),
            "treat": lambda: series(self.treat, treatment),
            "match_matrix": lambda: self._match_matrix(idx()),
            "weights": lambda: series(self.w, "weights"),
            "subclass": subclass,
            "distance": lambda: None if self.distance is None else series(self.distance, "distance"),
            "discarded": lambda: series(self.discarded, "discarded"),
        }

    def _match_matrix(self, index: Any) -> Any:
        import pandas as pd

        focal_all = np.flatnonzero(self.treat == self.focal)
        labels = np.full((focal_all.size, self.k), np.nan, dtype=object)
        where = np.full(self.n, -1, dtype=np.int64)
        where[focal_all] = np.arange(focal_all.size)
        labels[where[self.f], self.slot - 1] = index.take(self.m).to_numpy(dtype=object)
        return pd.DataFrame(labels, index=index[focal_all], columns=list(range(1, self.k + 1)))

    def pairs_table(self) -> Any:
        """``pairs()`` as a pyarrow Table (labels = 0-based row positions)."""
        import pyarrow as pa

        # (focal row, slot) pairs are unique: one sort of a combined key (= the lexsort order)
        o = np.argsort(self.f * (self.k + 1) + self.slot)
        f, m, slot = self.f[o], self.m[o], self.slot[o]
        # the sets are runs of equal f: numbered 1, 2, ... in data order, weight 1 / run length
        new = np.empty(f.size, dtype=bool)
        new[:1] = True
        np.not_equal(f[1:], f[:-1], out=new[1:])
        set_id = np.cumsum(new)
        run = np.diff(np.append(np.flatnonzero(new), f.size))
        first, second = ("control", "treated") if self.focal == 0 else ("treated", "control")
        cols = {"subclass": set_id, first: f, second: m, "slot": slot,
                "weight": 1.0 / np.repeat(run, run)}
        names = ["subclass", "treated", "control", "slot", "weight"]
        return pa.Table.from_arrays([from_numpy(cols[c]) for c in names], names=names)

    def matched_table(self) -> Any:
        """``matched_data()`` as a pyarrow Table: kept rows plus weights, subclass, distance."""
        import pyarrow as pa

        kept = self.w > 0
        keep = np.flatnonzero(kept)
        out = call("filter", self.data, from_numpy(kept))  # the kept rows in order, chunk by chunk
        sub = (pa.nulls(keep.size, pa.int64()) if self.sub is None else
               from_numpy(self.sub[keep], null=self.sub[keep] == 0))
        extra = [("weights", from_numpy(self.w[keep])), ("subclass", sub)]
        if self.distance is not None:
            extra.append(("distance", from_numpy(self.distance[keep])))
        for name, values in extra:
            if name in out.column_names:
                out = out.set_column(out.column_names.index(name), name, values)
            else:
                out = out.append_column(name, values)
        return out
