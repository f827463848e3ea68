"""Status trajectories: the weighted share of each group in each category, week by week since start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin, frame_records
from evaltool.exceptions import RegisterError
from evaltool.registers import _panel
from evaltool.registers.codemap import CodeMap

__all__ = ["TrajectoryResult", "trajectories"]

REMAINING = "remaining"
GROUPS = ("treated", "comparison")


@dataclass(frozen=True)
class TrajectoryResult(ResultMixin):
    """Weighted status shares by group, week relative to start and category.

    ``frame`` columns: ``group`` (treated/comparison), ``week``, ``category``, ``share`` (weighted),
    ``n`` (persons with positive weight observed that week). Shares over categories sum to 1 within
    each group-week. ``labels`` holds ``{category: {"da": ..., "en": ...}}``.
    """

    frame: pd.DataFrame
    weeks: tuple[int, int]
    categories: tuple[str, ...]
    labels: dict[str, dict[str, str]]

    _title = "Status trajectories"

    def __repr__(self) -> str:
        return (f"TrajectoryResult(weeks {self.weeks[0]}..{self.weeks[1]}, {len(self.categories)} categories, "
                f"{len(self.frame)} rows)")

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        return {"weeks": list(self.weeks), "categories": list(self.categories),
                "labels": {c: dict(self.labels.get(c, {})) for c in self.categories},
                "rows": frame_records(self.frame)}


def _buckets(code_map: CodeMap, categories) -> tuple[list[str], np.ndarray]:
    """Bucket names (self_support last) and category index -> bucket index."""
    cat_to_bucket = np.full(len(code_map.categories), -1, dtype=np.int64)
    names: list[str] = []
    if categories is None:
        names = list(code_map.categories)
        cat_to_bucket[:] = np.arange(len(names))
    else:
        for name in categories:
            cats, self_in = code_map.resolve([name], what="categories")
            if self_in:
                continue
            idx = [code_map.category_index()[c] for c in sorted(cats)]
            taken = [code_map.categories[i] for i in idx if cat_to_bucket[i] >= 0]
            if taken:
                raise RegisterError(f"`categories`: {name!r} overlaps an earlier entry ({', '.join(taken)}); "
                                    "trajectory categories must not overlap")
            cat_to_bucket[idx] = len(names)
            names.append(name)
        if (cat_to_bucket < 0).any():
            cat_to_bucket[cat_to_bucket < 0] = len(names)
            names.append(REMAINING)
    names.append(code_map.self_support)
    return names, cat_to_bucket


def _aligned(values: Any, ids: np.ndarray, what: str, default: float | None,
             rows: pd.Index | None = None) -> np.ndarray:
    """Values per person: a Series on person ids (or on the persons' own row index), or an array."""
    if values is None:
        return np.full(len(ids), default, dtype=float)
    if isinstance(values, pd.Series) and rows is not None and values.index.equals(rows) \
            and not values.index.equals(pd.Index(ids)):
        values = pd.Series(values.to_numpy(), index=ids)
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values), index=ids)
    s = s[~s.index.duplicated()] if s.index.has_duplicates else s
    out = s.reindex(ids)
    if out.isna().any():
        raise RegisterError(f"`{what}` has no value for {int(out.isna().sum())} person(s); "
                            f"give a Series indexed by person id covering every person")
    return out.to_numpy(dtype=float)


def trajectories(persons: pd.DataFrame, panel: Any, code_map: CodeMap, treat: Any, weights: Any = None,
                 weeks: tuple[int, int] = (-52, 156), categories=None, *, id_col: str = "person_id",
                 start_col: str = "start_week", unknown_codes: str = "other", engine: str = "auto",
                 memory_limit: str | None = None, data_range: tuple[int, int] | None = None) -> TrajectoryResult:
    """Weighted share of treated and comparison persons in each category, per week since start.

    Parameters
    ----------
    persons : DataFrame
        Persons with ``id_col`` and ``start_col``.
    panel : DataFrame or parquet path/glob
    code_map : CodeMap
    treat : Series (indexed by person id) or column name
        1 = treated, 0 = comparison.
    weights : Series indexed by person id, optional
        Design weights (e.g. matching weights); persons with weight 0 are left out. Default 1.
    weeks : (int, int)
        First and last week relative to start.
    categories : sequence of str, optional
        Non-overlapping categories or groups to show; the rest is pooled as ``remaining``.
        Default: every category of the code map. ``self_support`` (no row) is always shown, last.
    unknown_codes : {"other", "error"}
    engine, memory_limit, data_range
        As in :func:`evaltool.registers.derive_outcomes`.

    Returns
    -------
    TrajectoryResult
        Shares per group, week and category (:meth:`~TrajectoryResult.to_frame`), for the
        report's trajectory figure.

    Examples
    --------
    >>> import evaltool
    >>> sim = evaltool.simulate_study(n=300, seed=1)
    >>> tr = evaltool.trajectories(sim.persons, sim.weekly_status, sim.code_map, "outreach",
    ...                            weeks=(0, 52), categories=["placement", "cash_benefits"])
    >>> f = tr.to_frame()
    >>> f[f["week"] == 52].round(3).reset_index(drop=True)
            group  week       category  share    n
    0     treated    52      placement  0.000   80
    1     treated    52  cash_benefits  0.438   80
    2     treated    52      remaining  0.088   80
    3     treated    52   self_support  0.475   80
    4  comparison    52      placement  0.000  220
    5  comparison    52  cash_benefits  0.295  220
    6  comparison    52      remaining  0.118  220
    7  comparison    52   self_support  0.586  220
    """
    a, b = (int(v) for v in weeks)
    if a > b:
        raise RegisterError(f"`weeks` must be (a, b) with a <= b; got {weeks!r}")
    ids, sord = _panel.person_starts(persons, id_col, start_col)
    t = persons[treat].to_numpy() if isinstance(treat, str) else _aligned(treat, ids, "treat", None, persons.index)
    if not np.isin(t, [0, 1]).all():
        raise RegisterError("`treat` must be 0/1 for every person")
    w = _aligned(weights, ids, "weights", 1.0, persons.index)
    if (w < 0).any() or not np.isfinite(w).all():
        raise RegisterError("`weights` must be finite and >= 0")
    keep = w > 0
    ids, sord, t, w = ids[keep], sord[keep], t[keep].astype(np.int64), w[keep]
    grp = 1 - t  # 0 = treated, 1 = comparison
    names, cat_to_bucket = _buckets(code_map, categories)
    n_b = len(names) - 1
    src = _panel.open_panel(panel, id_col)
    duck = _panel.use_duckdb(src, engine)
    scan = _panel.scan_panel(src, code_map, unknown_codes, duck=duck, memory_limit=memory_limit)
    n_w = b - a + 1
    sums = np.zeros((2, n_w, n_b))
    bucket_of_code = cat_to_bucket[scan.code_cats.astype(np.int64)]
    found = _panel.cube_for(src, scan, ids, sord, a, b, duck=duck, memory_limit=memory_limit)
    if found is not None:  # the panel as read once for the run (evaltool run)
        sums = found[0].weighted_sums(found[1], a, b, cat_to_bucket, n_b, grp, w, 2)
    elif duck:
        con = _panel._connect(memory_limit)
        rel_src = _panel._source_sql(src, con)
        con.register("persons_t", pd.DataFrame({"pid": ids, "sord": sord, "grp": grp, "w": w}))
        con.register("weeks_t", pd.DataFrame({"week": scan.week_values, "ord": scan.week_ords}))
        con.register("codes_t", pd.DataFrame({"code": scan.code_values, "bucket": bucket_of_code}))
        res = con.execute(
            f"SELECT grp, rel, bucket, sum(w) AS sw FROM (SELECT s.grp, w.ord - s.sord AS rel, c.bucket, s.w "
            f"FROM {rel_src} p JOIN persons_t s ON p.\"{id_col}\" = s.pid JOIN weeks_t w ON p.week = w.week "
            f"JOIN codes_t c ON p.code = c.code) WHERE rel BETWEEN {a} AND {b} GROUP BY ALL").fetchnumpy()
        con.close()
        g, r, k, sw = (np.asarray(res[c]) for c in ("grp", "rel", "bucket", "sw"))
        np.add.at(sums, (g.astype(np.int64), r.astype(np.int64) - a, k.astype(np.int64)), sw.astype(float))
    else:
        pidx, rel, cat, _ = _panel._rows_pandas(src, scan, ids, sord)
        m = (rel >= a) & (rel <= b)
        pidx, rel, cat = pidx[m], rel[m], cat[m]
        np.add.at(sums, (grp[pidx], rel - a, cat_to_bucket[cat.astype(np.int64)]), w[pidx])
    # persons observed at week r: first <= start + r <= last
    first, last = _panel.coverage(src, scan, data_range)
    lo = np.clip(first - sord, a, b + 1) - a
    hi = np.clip(last - sord, a - 1, b) - a + 1
    denom = np.zeros((2, n_w + 1))
    count = np.zeros((2, n_w + 1))
    ok = hi > lo
    for arr, val in ((denom, w), (count, np.ones_like(w))):
        np.add.at(arr, (grp[ok], lo[ok]), val[ok])
        np.add.at(arr, (grp[ok], hi[ok]), -val[ok])
    denom = np.cumsum(denom, axis=1)[:, :n_w]
    count = np.rint(np.cumsum(count, axis=1)[:, :n_w]).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(denom[..., None] > 0, sums / denom[..., None], np.nan)
    self_share = 1.0 - shares.sum(axis=2)
    shares = np.concatenate([shares, self_share[..., None]], axis=2)
    week_axis = np.arange(a, b + 1)
    frame = pd.DataFrame({
        "group": np.repeat(np.array(GROUPS, dtype=object), n_w * len(names)),
        "week": np.tile(np.repeat(week_axis, len(names)), 2),
        "category": np.tile(np.array(names, dtype=object), 2 * n_w),
        "share": np.clip(shares.reshape(-1), 0.0, 1.0),
        "n": np.repeat(count.reshape(-1), len(names)),
    })
    labels = {nm: dict(code_map.labels.get(nm, {"da": nm, "en": nm})) for nm in names}
    return TrajectoryResult(frame=frame, weeks=(a, b), categories=tuple(names), labels=labels)
