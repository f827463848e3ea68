"""One pass over a Parquet weekly panel: its content hash, its week and code counts, and the cube.

``evaltool run`` read a Parquet panel three times before the first outcome: DuckDB hashed it for
provenance, counted its weeks and codes (the scan, ``_scan.py``) and joined it to the persons to
build the cube (``_cube.py``). :func:`read_panel` reads it once, row group by row group with
pyarrow, and computes in numpy

* the order-independent content hash, the same value as
  :func:`evaltool.data.fingerprint.content_hash` (DuckDB's row hash, recomputed in numpy),
* the rows of each distinct week and code, which the panel cache keeps, so that the scan of every
  later request is checked and mapped from them without reading the panel, and
* with the cache's ``weeks``, the cube of the study's persons over those weeks since start (the
  persons and start weeks of the later requests).

It runs inside :func:`~evaltool.registers._cube.panel_cache` only (``evaltool run``); elsewhere
nothing would keep what it reads and DuckDB's hash alone is cheaper.

Weeks and codes are mapped through lookup tables over their value range (person ids too, when
their range is narrow; else through a hash index). The pass applies to one Parquet file whose
columns are all integers without missing values; otherwise (or when a week or code range is too
wide for a table) :func:`read_panel` returns ``None`` and the caller reads the panel as before.
A panel whose weeks or codes the scan rejects gets no cube: the first request reports the error,
as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
THREADS = 4        # threads reading row groups, at most (and at most the CPUs)


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

    def index(self, a: np.ndarray, grow: bool) -> np.ndarray | None:
        """Positions of the values ``a`` in the tables (None if they do not fit; they grow if ``grow``)."""
        vmin, vmax = int(a.min()), int(a.max())
        fits = (self.size and self.lo <= vmin and vmax < self.lo + self.size) or (grow and self.cover(vmin, vmax))
        if not fits:
            return None
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
        p = np.full(len(values), -1, dtype=np.intp)  # intp: the person indices index without a cast
        lo = int(values[0])
        inside = (ids >= lo) & (ids <= int(values[-1]))
        p[(ids[inside] - lo).astype(np.intp)] = np.flatnonzero(inside)
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


class _Reader:
    """The row groups of one Parquet panel, each hashed, counted and (for ``ids``) put in the cube.

    With the tables sized from the file's statistics, row groups are read by several threads
    (pyarrow and numpy release the GIL); the sum and XOR of row hashes, counts and cube cells do not
    depend on the order. Without statistics they are read in order and the tables grow as needed.
    """

    def __init__(self, path: str, names: list[str], id_col: str, code_map: CodeMap | None, unknown_codes: str,
                 ids: np.ndarray | None, sord: np.ndarray | None, filler: Any):
        import pyarrow.parquet as pq

        self.path, self.names, self.ids, self.sord, self.filler = path, names, ids, sord, filler
        self.iid, self.iw, self.ic = names.index(id_col), names.index("week"), names.index("code")
        self.index = None if ids is None else pd.Index(ids)
        self.pf = pq.ParquetFile(path)
        self.tabs = _tables(self.pf, names, self.iid, self.iw, self.ic, code_map, unknown_codes, ids)
        self.sized = all(t.size for t in self.tabs)  # every table sized by the statistics
        self.rows, self.total, self.xor = 0, np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.uint64)
        self._lock, self._local = threading.Lock(), threading.local()

    def run(self) -> None:
        groups = range(self.pf.num_row_groups)
        workers = min(THREADS, os.cpu_count() or 1, len(groups))
        if not self.sized or workers < 2:
            for g in groups:
                self.group(g, grow=True)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(lambda g: self.group(g, grow=False), groups):
                pass

    def group(self, g: int, grow: bool) -> None:
        import pyarrow.parquet as pq

        if grow:
            pf = self.pf
        else:  # one file handle per thread
            pf = getattr(self._local, "pf", None) or pq.ParquetFile(self.path)
            self._local.pf = pf
        tb = pf.read_row_group(g, use_threads=False)
        if any(col.null_count for col in tb.columns):
            raise _Unsupported("missing values")
        group = [tb.column(j).to_numpy() for j in range(len(self.names))]
        for s in range(0, len(group[0]), BLOCK):  # blocks that stay in the CPU cache
            self.block([a[s:s + BLOCK] for a in group], grow)

    def block(self, cols: list[np.ndarray], grow: bool) -> None:
        tabs, k, iid, iw, ic = self.tabs, len(cols), self.iid, self.iw, self.ic
        idx = [tab.index(a, grow) for tab, a in zip(tabs, cols)]
        if idx[iw] is None or idx[ic] is None or (not grow and any(i is None for i in idx)):
            raise _Unsupported("a value range does not fit the lookup tables")
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
        total, xor = h.sum(dtype=np.uint64), np.bitwise_xor.reduce(h)
        n_w, n_c = (np.bincount(idx[j], minlength=tabs[j].size) for j in (iw, ic))
        with self._lock:
            self.rows += len(h)
            self.total += total
            self.xor ^= xor
            tabs[iw].n += n_w
            tabs[ic].n += n_c
        if self.ids is None:
            return
        p = self.index.get_indexer(cols[iid]) if idx[iid] is None else tabs[iid].tables["p"].take(idx[iid])
        keep = np.flatnonzero(p >= 0)
        pk = p.take(keep)
        self.filler.add(pk, tabs[iw].tables["ord"].take(idx[iw].take(keep)) - self.sord.take(pk),
                        tabs[ic].tables["cat"].take(idx[ic].take(keep)))

    def counts(self) -> Counts:
        """Rows per distinct week and code."""
        out = {}
        for j, col in ((self.iw, "week"), (self.ic, "code")):
            t = self.tabs[j]
            nz = np.flatnonzero(t.n)
            out[col] = pd.DataFrame({col: (nz + t.lo).astype(np.int64), "n": t.n[nz]})
        return Counts(weeks=out["week"], codes=out["code"])


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

    Only inside :func:`~evaltool.registers._cube.panel_cache`, which keeps the panel's week and code
    counts and, with the cache's ``weeks``, ``code_map`` and ``persons`` (id and start week columns),
    the cube of those persons (outside one, DuckDB's hash alone is cheaper).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if _cube.active() is None:
        return None
    src = _panel.open_panel(str(path), id_col)
    if len(src.files) != 1:
        return None
    pf = pq.ParquetFile(src.files[0])
    names = list(pf.schema_arrow.names)
    if not all(pa.types.is_integer(f.type) for f in pf.schema_arrow):
        return None
    key = _cube.source_key(src)
    plan = _cube_plan(src, key, code_map, persons, id_col, start_col)
    filler = None if plan is None else _cube.Filler(len(plan[0]), plan[2], plan[3])
    reader = _Reader(src.files[0], names, id_col, code_map, unknown_codes, None if plan is None else plan[0],
                     None if plan is None else plan[1], filler)
    try:
        reader.run()
    except _Unsupported:
        return None
    counts = reader.counts()
    state = _cube.active()
    state.scans[key] = (None, counts)
    if plan is not None:
        try:
            scan = scan_from_counts(src.label, counts, code_map, unknown_codes)
        except RegisterError:
            scan = None  # the first request reports it
        if scan is not None:
            ids, sord, lo, hi = plan
            state.cubes.append(_cube.make(key, scan, ids, sord, lo, hi, *filler.result()))
    if not reader.rows:
        return hash_text(0, None, None)  # DuckDB's sum and bit_xor of no rows
    return hash_text(reader.rows, int(reader.total[0]), int(reader.xor[0]))
