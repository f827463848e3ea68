"""One pass over a Parquet weekly panel: its content hash, its week and code counts, and the cube.

``evaltool run`` read a Parquet panel three times before the first outcome: DuckDB hashed it for
provenance, counted its weeks and codes (the scan, ``_scan.py``) and joined it to the persons to
build the cube (``_cube.py``). :func:`read_panel` reads it once, row group by row group with
pyarrow, and computes in numpy

* the order-independent content hash, the same value as
  :func:`evaltool.data.fingerprint.content_hash` (DuckDB's row hash, recomputed in numpy),
* the rows of each distinct week and code, which the panel cache keeps, so that the scan of every
  later request is checked and mapped from them without reading the panel, and
* inside :func:`~evaltool.registers._cube.panel_cache` with ``weeks``, the cube of the study's
  persons over those weeks since start (the persons and start weeks of the later requests).

Weeks and codes are mapped through lookup tables over their value range (person ids too, when
their range is narrow; else through a hash index). The pass applies to one Parquet file whose
columns are all integers without missing values; otherwise (or when a week or code range is too
wide for a table) :func:`read_panel` returns ``None`` and the caller reads the panel as before.
A panel whose weeks or codes the scan rejects gets no cube: the first request reports the error,
as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltool.data.fingerprint import combine_prep, hash_text, int_hash
from evaltool.exceptions import RegisterError
from evaltool.registers import _cube, _panel
from evaltool.registers._scan import Counts, scan_from_counts
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import is_valid, to_ordinal

__all__ = ["read_panel"]

LUT_MAX = 1 << 22  # widest value range a lookup table covers
BLOCK = 1 << 16    # rows per numpy block


class _Unsupported(Exception):
    """The panel is outside what the one pass handles; the caller reads it as before."""


class _Table:
    """Lookup tables (``build(values) -> {name: array}``) and row counts over values ``lo..lo+size-1``."""

    def __init__(self, dtype: np.dtype, build: Callable[[np.ndarray], dict[str, np.ndarray]], zero: bool = False):
        self.dtype, self.build, self.zero = dtype, build, zero
        self.lo, self.size = 0, 0
        self.tables: dict[str, np.ndarray] = {}
        self.n = np.zeros(0, dtype=np.int64)

    def cover(self, vmin: int, vmax: int) -> bool:
        """Widen the tables to ``vmin..vmax``; False if that range is too wide (or not int64).

        With ``zero`` the tables start at value 0 when they can (values then index them as they are)."""
        if self.size and self.lo <= vmin and vmax < self.lo + self.size:
            return True
        lo, hi = (vmin, vmax) if not self.size else (min(vmin, self.lo), max(vmax, self.lo + self.size - 1))
        if hi >= 1 << 63:
            return False
        if self.zero and 0 <= lo and hi < LUT_MAX:
            lo = 0
        if hi - lo + 1 > LUT_MAX:
            return False
        self.tables = self.build(np.arange(lo, hi + 1, dtype=np.int64).astype(self.dtype))
        n = np.zeros(hi - lo + 1, dtype=np.int64)
        n[self.lo - lo:self.lo - lo + self.size] = self.n
        self.lo, self.size, self.n = lo, hi - lo + 1, n
        return True

    def index(self, a: np.ndarray) -> np.ndarray | None:
        """Positions of the values ``a`` in the tables (None if they do not fit)."""
        if not len(a) or not self.cover(int(a.min()), int(a.max())):
            return None if len(a) else a
        return a if self.lo == 0 else np.subtract(a, self.lo, dtype=np.intp)


def _hash_table(prep: bool) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    def build(values: np.ndarray) -> dict[str, np.ndarray]:
        h = int_hash(values)
        return {"h": combine_prep(h) if prep else h}
    return build


def _week_table(values: np.ndarray, prep: bool) -> dict[str, np.ndarray]:
    ords = np.zeros(len(values), dtype=np.int64)  # invalid weeks: the scan rejects the panel
    ok = is_valid(values)
    ords[ok] = to_ordinal(values[ok])
    return {**_hash_table(prep)(values), "ord": ords}


def _code_table(values: np.ndarray, prep: bool, code_map: CodeMap | None, unknown_codes: str
                ) -> dict[str, np.ndarray]:
    cats = np.zeros(len(values), dtype=np.uint8)
    if code_map is not None:
        idx = code_map.category_index()
        if unknown_codes == "other" and "other" in idx:
            cats[:] = idx["other"]
        known, known_cats = code_map.code_table()
        v = values.astype(np.int64)
        pos = np.clip(np.searchsorted(known, v), 0, max(len(known) - 1, 0))
        hit = (known[pos] == v) if len(known) else np.zeros(len(v), dtype=bool)
        cats[hit] = known_cats[pos[hit]]
    return {**_hash_table(prep)(values), "cat": cats}


def _id_table(values: np.ndarray, prep: bool, ids: np.ndarray | None) -> dict[str, np.ndarray]:
    out = _hash_table(prep)(values)
    if ids is not None:
        p = np.full(len(values), -1, dtype=np.int32)
        lo = int(values[0])
        inside = (ids >= lo) & (ids <= int(values[-1]))
        p[(ids[inside] - lo).astype(np.intp)] = np.flatnonzero(inside).astype(np.int32)
        out["p"] = p
    return out


def _tables(pf: Any, names: list[str], iid: int, iw: int, ic: int, code_map: CodeMap | None,
            unknown_codes: str, ids: np.ndarray | None) -> list[_Table]:
    """One :class:`_Table` per column, sized by the file's statistics where it has them."""
    schema, meta, k = pf.schema_arrow, pf.metadata, len(names)
    tabs = []
    for j, name in enumerate(names):
        prep = j == 0 and k > 1
        if j == iw:
            build = (lambda v, prep=prep: _week_table(v, prep))
        elif j == ic:
            build = (lambda v, prep=prep: _code_table(v, prep, code_map, unknown_codes))
        elif j == iid:
            build = (lambda v, prep=prep: _id_table(v, prep, ids))
        else:
            build = _hash_table(prep)
        tab = _Table(np.dtype(schema.field(name).type.to_pandas_dtype()), build, zero=j == iid)
        stats = [meta.row_group(g).column(j).statistics for g in range(meta.num_row_groups)]
        if stats and all(st is not None and st.has_min_max for st in stats):
            tab.cover(int(min(st.min for st in stats)), int(max(st.max for st in stats)))  # a hint only
        tabs.append(tab)
    return tabs


def _pass(pf: Any, names: list[str], id_col: str, code_map: CodeMap | None, unknown_codes: str,
          ids: np.ndarray | None, sord: np.ndarray | None, acc: dict[str, Any]
          ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Read the row groups; hash and count every row (into ``acc``) and yield the rows of ``ids``."""
    k = len(names)
    iid, iw, ic = names.index(id_col), names.index("week"), names.index("code")
    index = None if ids is None else pd.Index(ids)
    tabs = _tables(pf, names, iid, iw, ic, code_map, unknown_codes, ids)
    total, xor = np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.uint64)
    for g in range(pf.num_row_groups):
        tb = pf.read_row_group(g, use_threads=False)
        if any(col.null_count for col in tb.columns):
            raise _Unsupported("missing values")
        group = [tb.column(j).to_numpy() for j in range(k)]
        acc["rows"] += len(group[0])
        for s in range(0, len(group[0]), BLOCK):  # blocks that stay in the CPU cache
            cols = [a[s:s + BLOCK] for a in group]
            idx = [tab.index(a) for tab, a in zip(tabs, cols)]
            if idx[iw] is None or idx[ic] is None:
                raise _Unsupported("week or code values span too wide a range")
            # DuckDB's hash(t): h = hash(c0), then h = combine(h, hash(cj)) for each further column
            if idx[0] is None:
                h = int_hash(cols[0])
                if k > 1:
                    combine_prep(h)
            else:
                h = tabs[0].tables["h"].take(idx[0])
            tmp = np.empty_like(h)
            for j in range(1, k):
                if j > 1:
                    combine_prep(h, tmp)
                h ^= int_hash(cols[j]) if idx[j] is None else tabs[j].tables["h"].take(idx[j])
            total += h.sum(dtype=np.uint64)
            xor ^= np.bitwise_xor.reduce(h)
            for j in (iw, ic):
                tabs[j].n += np.bincount(idx[j], minlength=tabs[j].size)
            if ids is None:
                continue
            p = index.get_indexer(cols[iid]) if idx[iid] is None else tabs[iid].tables["p"].take(idx[iid])
            keep = np.flatnonzero(p >= 0)
            pk = p.take(keep)
            yield (pk, tabs[iw].tables["ord"].take(idx[iw].take(keep)) - sord.take(pk),
                   tabs[ic].tables["cat"].take(idx[ic].take(keep)))
    acc["sum"], acc["xor"] = int(total[0]), int(xor[0])
    for j, col in ((iw, "week"), (ic, "code")):
        t = tabs[j]
        nz = np.flatnonzero(t.n)
        acc[col] = pd.DataFrame({col: (nz + t.lo).astype(np.int64), "n": t.n[nz]})


def _cube_plan(src: Any, key: Any, code_map: CodeMap | None, persons: pd.DataFrame | None, id_col: str,
               start_col: str) -> tuple[np.ndarray, np.ndarray, int, int] | None:
    """``(ids, start ordinals, lo, hi)`` of the cube to fill, if the panel cache wants one."""
    state = _cube.active()
    if state is None or state.weeks is None or code_map is None or persons is None:
        return None
    if any(c.key == key for c in state.cubes):
        return None
    _, cats = code_map.code_table()
    if len(cats) and int(cats.max()) >= _cube.EMPTY:
        return None
    try:
        ids, sord = _panel.person_starts(persons, id_col, start_col)
    except RegisterError:
        return None  # the first request reports it
    lo, hi = state.weeks
    if ids.dtype.kind not in "iu" or len(ids) * (hi - lo + 1) > _cube.MAX_CELLS:
        return None
    return ids, np.asarray(sord, dtype=np.int64), lo, hi


def read_panel(path: str | Path, id_col: str, code_map: CodeMap | None = None, unknown_codes: str = "error",
               persons: pd.DataFrame | None = None, start_col: str = "start_week") -> str | None:
    """Read a Parquet weekly panel once; its content hash, or ``None`` if the pass does not apply.

    Inside :func:`~evaltool.registers._cube.panel_cache` the panel's week and code counts are kept,
    and with the cache's ``weeks``, ``code_map`` and ``persons`` (id and start week columns) the
    cube of those persons is built.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = _panel.open_panel(str(path), id_col)
    if len(src.files) != 1:
        return None
    pf = pq.ParquetFile(src.files[0])
    names = list(pf.schema_arrow.names)
    if not all(pa.types.is_integer(f.type) for f in pf.schema_arrow):
        return None
    key = _cube.source_key(src)
    plan = _cube_plan(src, key, code_map, persons, id_col, start_col)
    acc: dict[str, Any] = {"rows": 0, "sum": None, "xor": None}
    rows = _pass(pf, names, id_col, code_map, unknown_codes, None if plan is None else plan[0],
                 None if plan is None else plan[1], acc)
    try:
        if plan is None:
            for _ in rows:
                pass
        else:
            ids, sord, lo, hi = plan
            filled = _cube.fill(len(ids), lo, hi, rows)
    except _Unsupported:
        return None
    if not acc["rows"]:
        acc["sum"] = acc["xor"] = None  # DuckDB's sum and bit_xor of no rows
        acc["week"] = pd.DataFrame({"week": np.zeros(0, np.int64), "n": np.zeros(0, np.int64)})
        acc["code"] = pd.DataFrame({"code": np.zeros(0, np.int64), "n": np.zeros(0, np.int64)})
    counts = Counts(weeks=acc["week"], codes=acc["code"])
    state = _cube.active()
    if state is not None:
        state.scans[key] = (None, counts)
        if plan is not None:
            try:
                scan = scan_from_counts(src.label, counts, code_map, unknown_codes)
            except RegisterError:
                scan = None  # the first request reports it
            if scan is not None:
                state.cubes.append(_cube.make(key, scan, ids, sord, lo, hi, *filled))
    return hash_text(acc["rows"], acc["sum"], acc["xor"])
