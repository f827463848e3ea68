"""Reading weekly status panels and aggregating them per person (pandas or DuckDB).

Every register outcome reduces to two kinds of per-person aggregates over the
rows whose week relative to start lies in a window and whose category is (or is
not) in a set: a *count* of rows, and a *bitmask* of the weeks with such rows
(64 weeks per unsigned word). Both engines compute exactly the same aggregates,
so outcomes are identical whichever engine runs; the finishing arithmetic is
shared (see ``outcomes.py``). Inside :func:`panel_cache` (``evaltool run``) a panel is scanned
once and read once into an in-memory cube that answers later requests (see ``_cube.py``).
"""

from __future__ import annotations

import glob as _glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.registers import _cube
from evaltool.registers._cube import first_set_bit, panel_cache
from evaltool.registers._scan import Scan, marginals, scan_from_counts
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import to_ordinal

__all__ = ["Agg", "PanelSource", "Scan", "open_panel", "scan_panel", "aggregate", "person_starts", "cube_for",
           "panel_cache", "first_set_bit"]

PANDAS_MAX_ROWS = 5_000_000
# first-last week (YYYYWW) a register extract covers: DataFrame.attrs key / parquet metadata key
RANGE_KEY = "evaltool.data_range"


@dataclass(frozen=True)
class Agg:
    """One per-person aggregate: rows with ``lo <= rel <= hi`` and category in (or not in) ``cats``.

    ``cats=None`` takes every row. ``kind`` is ``count`` (an int64 per person) or ``bits``
    (``ceil((hi-lo+1)/64)`` uint64 words per person; bit ``r-lo`` set if a row is at week ``r``).
    """

    kind: str
    lo: int
    hi: int
    cats: frozenset[int] | None = None
    negate: bool = False

    @property
    def n_words(self) -> int:
        return (self.hi - self.lo) // 64 + 1


@dataclass(frozen=True)
class PanelSource:
    """A weekly panel: an in-memory frame or parquet file(s)."""

    frame: pd.DataFrame | None
    files: tuple[str, ...]
    id_col: str
    label: str
    declared_range: tuple[int, int] | None = None


def open_panel(panel: Any, id_col: str) -> PanelSource:
    """Accept a DataFrame, a parquet path, a glob or a list of paths."""
    if isinstance(panel, pd.DataFrame):
        missing = [c for c in (id_col, "week", "code") if c not in panel.columns]
        if missing:
            raise RegisterError(f"weekly panel: column(s) {', '.join(missing)} not found; "
                                f"expected {id_col}, week, code")
        declared = panel.attrs.get(RANGE_KEY)
        label = str(panel.attrs.get("source") or "weekly panel")  # the file it was read from, if known
        return PanelSource(frame=panel, files=(), id_col=id_col, label=label,
                           declared_range=tuple(int(v) for v in declared) if declared else None)
    if isinstance(panel, (str, Path)):
        pattern = str(panel)
        files = sorted(_glob.glob(pattern)) if any(ch in pattern for ch in "*?[") else [pattern]
    elif isinstance(panel, (list, tuple)):
        files = [str(p) for p in panel]
    else:
        raise RegisterError(f"`panel` must be a DataFrame or parquet path(s); got {type(panel).__name__}")
    if not files or not all(Path(f).exists() for f in files):
        raise RegisterError(f"weekly panel {str(panel)!r}: no such file(s)")
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    names = schema.names
    meta = schema.metadata or {}
    declared = None
    if RANGE_KEY.encode() in meta:
        declared = tuple(int(v) for v in meta[RANGE_KEY.encode()].decode().split("-"))
    elif b"PANDAS_ATTRS" in meta:  # DataFrame.attrs as pandas writes them
        import json

        attrs = json.loads(meta[b"PANDAS_ATTRS"].decode())
        if isinstance(attrs, dict) and attrs.get(RANGE_KEY):
            declared = tuple(int(v) for v in attrs[RANGE_KEY])
    missing = [c for c in (id_col, "week", "code") if c not in names]
    if missing:
        raise RegisterError(f"{Path(files[0]).name}: column(s) {', '.join(missing)} not found; "
                            f"expected {id_col}, week, code")
    return PanelSource(frame=None, files=tuple(files), id_col=id_col, label=Path(files[0]).name,
                       declared_range=declared)


def _connect(memory_limit: str | None):
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def _source_sql(src: PanelSource, con) -> str:
    if src.frame is not None:
        con.register("panel_frame", src.frame)
        return "panel_frame"
    files = ", ".join("'" + f.replace("'", "''") + "'" for f in src.files)
    return f"read_parquet([{files}])"


def use_duckdb(src: PanelSource, engine: str) -> bool:
    if engine == "duckdb":
        return True
    if engine == "pandas":
        return False
    return src.frame is None or len(src.frame) > PANDAS_MAX_ROWS


def scan_panel(src: PanelSource, code_map: CodeMap, unknown_codes: str, *, duck: bool,
               memory_limit: str | None = None) -> Scan:
    """Distinct weeks and codes with row counts; validates weeks and codes (see ``_scan.py``)."""
    state = _cube.active()
    key = _cube.source_key(src) if state is not None else None
    if state is not None and key in state.scans:
        counts = state.scans[key][1]
    else:
        if duck:
            con = _connect(memory_limit)
            rel = _source_sql(src, con)
            joint = con.execute(f"SELECT week, code, count(*) AS n FROM {rel} GROUP BY ALL").df()
            con.close()
        else:
            f = src.frame
            joint = (pd.DataFrame({"week": f["week"], "code": f["code"]})
                     .groupby(["week", "code"], dropna=False, sort=False).size().rename("n").reset_index())
        counts = marginals(joint)
    if state is not None:
        state.scans[key] = (src.frame, counts)  # the frame is kept so that its id stays its own
    return scan_from_counts(src.label, counts, code_map, unknown_codes)


def coverage(src: PanelSource, scan: Scan, data_range: tuple[int, int] | None = None) -> tuple[int, int]:
    """First and last week ordinal the register covers (given, declared by the panel, or observed)."""
    rng = data_range if data_range is not None else src.declared_range
    if rng is None:
        if scan.n_rows == 0:
            raise RegisterError(f"{src.label}: the panel has no rows; give `data_range` to treat everyone "
                                "as self-supported")
        return scan.first_ord, scan.last_ord
    first, last = (int(v) for v in to_ordinal(np.asarray(rng), name="data_range"))
    if first > last:
        raise RegisterError(f"`data_range` must be (first, last) with first <= last; got {tuple(rng)}")
    return first, last


def person_starts(persons: pd.DataFrame, id_col: str, start_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Person ids (as given) and start-week ordinals; errors on missing/duplicate ids or starts."""
    if id_col in persons.columns:
        ids = persons[id_col].to_numpy()
    elif persons.index.name == id_col:
        ids = persons.index.to_numpy()
    else:
        raise RegisterError(f"persons: id column {id_col!r} not found")
    if start_col not in persons.columns:
        raise RegisterError(f"persons: start column {start_col!r} not found")
    if pd.isna(ids).any():
        raise RegisterError(f"persons: {int(pd.isna(ids).sum())} person(s) have no {id_col!r}")
    dup = pd.Index(ids).duplicated()
    if dup.any():
        raise RegisterError(f"persons: {int(dup.sum())} duplicate {id_col!r} value(s); keep one row per person")
    start = persons[start_col]
    miss = start.isna().to_numpy()
    if miss.any():
        raise RegisterError(f"persons: {int(miss.sum())} person(s) have no {start_col!r} (start week); "
                            "comparison persons need a pseudo-start (see assign_pseudo_start)")
    return ids, to_ordinal(start.to_numpy(), name=start_col)


def _rows_pandas(src: PanelSource, scan: Scan, ids: np.ndarray, sord: np.ndarray):
    f = src.frame
    pidx = pd.Index(ids).get_indexer(f[src.id_col].to_numpy())
    code = pd.to_numeric(f["code"], errors="coerce").to_numpy(dtype=float)
    keep = (pidx >= 0) & ~np.isnan(code)
    pidx = pidx[keep]
    week = f["week"].to_numpy(dtype=np.int64)[keep]
    word = scan.week_ords[np.searchsorted(scan.week_values, week)]
    rel = word - sord[pidx]
    cat = scan.code_cats[np.searchsorted(scan.code_values, code[keep].astype(np.int64))].astype(np.int16)
    return pidx, rel, cat, week


def _mask(agg: Agg, rel: np.ndarray, cat: np.ndarray) -> np.ndarray:
    m = (rel >= agg.lo) & (rel <= agg.hi)
    if agg.cats is not None:
        inside = np.isin(cat, np.fromiter(agg.cats, dtype=np.int16, count=len(agg.cats)))
        m &= ~inside if agg.negate else inside
    return m


def _aggregate_pandas(src, scan, ids, sord, aggs):
    n = len(ids)
    pidx, rel, cat, week = _rows_pandas(src, scan, ids, sord)
    out: dict[str, np.ndarray] = {"n_all": np.bincount(pidx, minlength=n).astype(np.int64)}
    for i, agg in enumerate(aggs):
        m = _mask(agg, rel, cat)
        if agg.kind == "count":
            out[f"a{i}"] = np.bincount(pidx[m], minlength=n).astype(np.int64)
        else:
            off = rel[m] - agg.lo
            words = np.zeros((n, agg.n_words), dtype=np.uint64)
            np.bitwise_or.at(words, (pidx[m], off // 64),
                             np.left_shift(np.uint64(1), (off % 64).astype(np.uint64)))
            out[f"a{i}"] = words
    return out, (pidx, week)


def _agg_sql(i: int, agg: Agg) -> list[str]:
    cond = []
    if agg.cats is not None:
        lst = ", ".join(str(c) for c in sorted(agg.cats)) or "-1"
        cond.append(f"cat {'NOT ' if agg.negate else ''}IN ({lst})")
    if agg.kind == "count":
        where = " AND ".join([f"rel BETWEEN {agg.lo} AND {agg.hi}", *cond])
        return [f"count(*) FILTER (WHERE {where}) AS a{i}"]
    parts = []
    for j in range(agg.n_words):
        lo = agg.lo + 64 * j
        hi = min(agg.hi, lo + 63)
        where = " AND ".join([f"rel BETWEEN {lo} AND {hi}", *cond])
        parts.append(f"coalesce(bit_or(CAST(1 AS UBIGINT) << CAST(greatest(least(rel - {lo}, 63), 0) AS UBIGINT)) "
                     f"FILTER (WHERE {where}), CAST(0 AS UBIGINT)) AS a{i}_{j}")
    return parts


def _joined(con, src: PanelSource, scan: Scan, ids: np.ndarray, sord: np.ndarray) -> str:
    """The panel joined to the persons (``pidx``, ``sord``), week ordinals and code categories."""
    con.register("persons_t", pd.DataFrame({"pid": ids, "pidx": np.arange(len(ids), dtype=np.int64), "sord": sord}))
    con.register("weeks_t", pd.DataFrame({"week": scan.week_values, "ord": scan.week_ords}))
    con.register("codes_t", pd.DataFrame({"code": scan.code_values, "cat": scan.code_cats.astype(np.int16)}))
    return (f"{_source_sql(src, con)} p JOIN persons_t s ON p.\"{src.id_col}\" = s.pid "
            "JOIN weeks_t w ON p.week = w.week JOIN codes_t c ON p.code = c.code")


def _aggregate_duckdb(src, scan, ids, sord, aggs, memory_limit):
    n = len(ids)
    con = _connect(memory_limit)
    cols = [c for i, a in enumerate(aggs) for c in _agg_sql(i, a)]
    sql = (f"SELECT pidx, count(*) AS n_all, {', '.join(cols)} FROM ("
           f"SELECT s.pidx, w.ord - s.sord AS rel, c.cat FROM {_joined(con, src, scan, ids, sord)}) GROUP BY pidx")
    res = con.execute(sql).fetchnumpy()
    con.close()
    idx = np.asarray(res["pidx"], dtype=np.int64)
    out: dict[str, np.ndarray] = {}
    full = np.zeros(n, dtype=np.int64)
    full[idx] = np.asarray(res["n_all"], dtype=np.int64)
    out["n_all"] = full
    for i, agg in enumerate(aggs):
        if agg.kind == "count":
            col = np.zeros(n, dtype=np.int64)
            col[idx] = np.asarray(res[f"a{i}"], dtype=np.int64)
        else:
            col = np.zeros((n, agg.n_words), dtype=np.uint64)
            for j in range(agg.n_words):
                col[idx, j] = np.asarray(res[f"a{i}_{j}"], dtype=np.uint64)
        out[f"a{i}"] = col
    return out


def aggregate(src: PanelSource, scan: Scan, ids: np.ndarray, sord: np.ndarray, aggs: list[Agg], *,
              duck: bool, memory_limit: str | None = None) -> dict[str, np.ndarray]:
    """Per-person aggregates ``a0, a1, ...`` (plus ``n_all``: rows of each person in the panel)."""
    if aggs:
        found = cube_for(src, scan, ids, sord, min(a.lo for a in aggs), max(a.hi for a in aggs),
                         duck=duck, memory_limit=memory_limit)
        if found is not None:
            return found[0].aggregate(found[1], aggs)
    if duck:
        return _aggregate_duckdb(src, scan, ids, sord, aggs, memory_limit)
    out, _ = _aggregate_pandas(src, scan, ids, sord, aggs)
    return out


def cube_for(src: PanelSource, scan: Scan, ids: np.ndarray, sord: np.ndarray, lo: int, hi: int, *,
             duck: bool, memory_limit: str | None = None):
    """``(cube, rows)`` answering weeks ``lo..hi`` for these persons inside :func:`panel_cache`, else None."""
    if _cube.active() is None:
        return None
    return _cube.lookup(_cube.source_key(src), scan, ids, sord, lo, hi,
                        lambda: _row_batches(src, scan, ids, sord, duck, memory_limit))


_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def _row_batches(src, scan, ids, sord, duck, memory_limit):
    """The panel rows of these persons as (person index, week since start, category) batches.

    Integer weeks and codes (every one of them in ``scan``) are mapped in numpy; others by DuckDB joins.
    """
    if not duck:
        pidx, rel, cat, _ = _rows_pandas(src, scan, ids, sord)
        yield pidx, rel, cat
        return
    con = _connect(memory_limit)
    types = [r[1] for r in con.execute(f"DESCRIBE SELECT week, code FROM {_source_sql(src, con)}").fetchall()]
    wk, cd = scan.week_values, scan.code_values
    lookup = set(types) <= _INTEGER and len(wk) > 0 and len(cd) > 0 and int(cd[-1]) - int(cd[0]) < 1 << 20
    if lookup:
        week_ord = np.zeros(int(wk[-1]) - int(wk[0]) + 1, dtype=np.int64)
        week_ord[wk - wk[0]] = scan.week_ords
        code_cat = np.zeros(int(cd[-1]) - int(cd[0]) + 1, dtype=np.uint8)
        code_cat[cd - cd[0]] = scan.code_cats
        con.register("persons_t", pd.DataFrame({"pid": ids, "pidx": np.arange(len(ids), dtype=np.int64)}))
        sql = (f"SELECT s.pidx, p.week, p.code FROM {_source_sql(src, con)} p JOIN persons_t s "
               f"ON p.\"{src.id_col}\" = s.pid WHERE p.code IS NOT NULL")
    else:
        sql = f"SELECT s.pidx, w.ord - s.sord AS rel, c.cat FROM {_joined(con, src, scan, ids, sord)}"
    try:
        for batch in con.sql(sql).to_arrow_reader(1 << 20):
            a, b, c = (batch.column(i).to_numpy(zero_copy_only=False) for i in range(3))
            if lookup:
                yield a, week_ord[b.astype(np.int64) - wk[0]] - sord[a], code_cat[c.astype(np.int64) - cd[0]]
            else:
                yield a, b, c
    finally:
        con.close()
