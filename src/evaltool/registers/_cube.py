"""A weekly panel read once per run: each person's category in each week of a window (the *cube*).

``evaltool run`` asks the panel for outcomes, pre-period placebos, history covariates,
trajectories, journeys and case durations, each over the same persons (or a subset) and weeks
since start. Inside :func:`panel_cache` the first request reads the panel once into a dense
``persons x weeks`` matrix of category indices (``EMPTY`` = no row, i.e. self-support) and every
later request that fits (same panel and code table, its persons among the cube's with the same
start weeks, its weeks inside the cube's) is answered from it in memory; anything else reads the
panel as before. The aggregates are integer counts and bit masks, so they are identical to the
ones DuckDB or pandas compute from the panel. A cube whose window holds a duplicate person-week
is not used (the ordinary path then finds and reports the duplicate).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["EMPTY", "Cube", "panel_cache", "active", "source_key", "lookup", "build", "fill", "Filler", "make", "first_set_bit"]

EMPTY = 255          # a week without a row
MAX_CELLS = 1 << 29  # 512 MiB: larger cubes are not built (the panel is read per request instead)
CHUNK = 65536        # persons per block in weighted sums


@dataclass
class Cube:
    """Category index (uint8, ``EMPTY`` if none) of person ``i`` in week ``lo + j`` since start."""

    key: Any
    code_values: np.ndarray
    code_cats: np.ndarray
    ids: np.ndarray
    sord: np.ndarray
    lo: int
    hi: int
    cells: np.ndarray
    n_all: np.ndarray          # rows of each person in the whole panel
    duplicates: bool           # some person-week in the window has more than one row
    index: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = pd.Index(self.ids)

    def rows(self, key: Any, scan: Any, ids: np.ndarray, sord: np.ndarray, lo: int, hi: int):
        """Cube rows of ``ids`` if the cube can answer the request, else None."""
        if (self.duplicates or key != self.key or lo < self.lo or hi > self.hi
                or not np.array_equal(scan.code_values, self.code_values)
                or not np.array_equal(scan.code_cats, self.code_cats)):
            return None
        if len(ids) == len(self.ids) and np.array_equal(ids, self.ids):
            rows = slice(None)
        else:
            rows = self.index.get_indexer(ids)
            if (rows < 0).any():
                return None
        if not np.array_equal(self.sord[rows], sord):
            return None
        return rows

    def window(self, rows, lo: int, hi: int) -> np.ndarray:
        """Categories of the ``rows`` in weeks ``lo..hi`` since start (a view where possible)."""
        cols = slice(lo - self.lo, hi - self.lo + 1)
        return self.cells[:, cols] if isinstance(rows, slice) else self.cells[rows, cols]

    def aggregate(self, rows, aggs: list) -> dict[str, np.ndarray]:
        """The aggregates of :func:`evaltool.registers._panel.aggregate` for the ``rows``."""
        out: dict[str, np.ndarray] = {"n_all": self.n_all[rows].copy()}
        if not aggs:
            return out
        lo, hi = min(a.lo for a in aggs), max(a.hi for a in aggs)
        sub = self.window(rows, lo, hi)
        masks: dict[tuple, np.ndarray] = {}  # e.g. the row count and the row bits of one window share one
        for i, agg in enumerate(aggs):
            key = (agg.lo, agg.hi, agg.cats, agg.negate)
            if key not in masks:
                cells = sub[:, agg.lo - lo:agg.hi - lo + 1]
                if agg.cats is None:
                    masks[key] = cells != EMPTY
                else:
                    lut = np.zeros(256, dtype=bool)
                    lut[np.fromiter(agg.cats, dtype=np.int64, count=len(agg.cats))] = True
                    if agg.negate:
                        lut = ~lut
                    lut[EMPTY] = False
                    masks[key] = lut[cells]
            mask = masks[key]
            if agg.kind == "count":
                out[f"a{i}"] = np.count_nonzero(mask, axis=1).astype(np.int64)
                continue
            packed = np.packbits(mask, axis=1, bitorder="little")
            words = np.zeros((len(mask), agg.n_words * 8), dtype=np.uint8)
            words[:, :packed.shape[1]] = packed
            out[f"a{i}"] = words.view("<u8").astype(np.uint64)
        return out

    def weighted_sums(self, rows, lo: int, hi: int, bucket_of_cat: np.ndarray, n_buckets: int,
                      group: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
        """``sums[g, r, k]``: summed weights of group ``g`` persons in bucket ``k`` at week ``lo + r``.

        Categories mapped to a negative bucket, and weeks without a row, are left out.
        """
        n_w = hi - lo + 1
        lut = np.full(256, n_buckets, dtype=np.int64)
        lut[:len(bucket_of_cat)] = np.where(bucket_of_cat >= 0, bucket_of_cat, n_buckets)
        lut[EMPTY] = n_buckets
        size = n_groups * n_w * (n_buckets + 1)
        sums = np.zeros(size)
        sub = self.window(rows, lo, hi)
        week_off = np.arange(n_w, dtype=np.int64) * (n_buckets + 1)
        for s in range(0, len(sub), CHUNK):
            block = sub[s:s + CHUNK]
            flat = (group[s:s + CHUNK, None] * (n_w * (n_buckets + 1)) + week_off[None, :]) + lut[block]
            sums += np.bincount(flat.ravel(), weights=np.repeat(weights[s:s + CHUNK], n_w), minlength=size)
        return sums.reshape(n_groups, n_w, n_buckets + 1)[:, :, :n_buckets]


def lookup(key: Any, scan: Any, ids: np.ndarray, sord: np.ndarray, lo: int, hi: int,
           read: Callable[[], Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]]):
    """``(cube, rows)`` for this request, building the panel's cube on its first request; else None.

    The cube covers weeks ``lo..hi`` widened to the :func:`panel_cache` block's ``weeks``; ``read()``
    gives the panel rows of ``ids`` (see :func:`build`).
    """
    state = active()
    if state is None:
        return None
    for cube in state.cubes:
        rows = cube.rows(key, scan, ids, sord, lo, hi)
        if rows is not None:
            return cube, rows
    if any(c.key == key for c in state.cubes) or (len(scan.code_cats) and int(scan.code_cats.max()) >= EMPTY):
        return None  # one cube per panel; later misfits read the panel
    if state.weeks is not None:
        lo, hi = min(lo, state.weeks[0]), max(hi, state.weeks[1])
    if len(ids) * (hi - lo + 1) > MAX_CELLS:
        return None
    cube = build(key, scan, ids, sord, lo, hi, read())
    state.cubes.append(cube)
    rows = cube.rows(key, scan, ids, sord, lo, hi)
    return None if rows is None else (cube, rows)


def build(key: Any, scan: Any, ids: np.ndarray, sord: np.ndarray, lo: int, hi: int,
          batches: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Cube:
    """A cube from the panel rows ``(person index, week since start, category)``, in batches."""
    return make(key, scan, ids, sord, lo, hi, *fill(len(ids), lo, hi, batches))


def fill(n: int, lo: int, hi: int, batches: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]
         ) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(cells, n_all, duplicates)`` of :class:`Cube` for ``n`` persons from the panel rows."""
    filler = Filler(n, lo, hi)
    for pidx, rel, cat in batches:
        filler.add(pidx, rel, cat)
    return filler.result()


class Filler:
    """The cells of a cube being filled from batches of panel rows; :meth:`add` may run in several
    threads at once (cells of different person-weeks are written independently; the counts under a lock)."""

    def __init__(self, n: int, lo: int, hi: int):
        self.lo, self.n_w = lo, hi - lo + 1
        self.cells = np.full((n, self.n_w), EMPTY, dtype=np.uint8)
        self.n_all = np.zeros(n, dtype=np.int64)
        self.in_window = 0
        self._lock = threading.Lock()

    def add(self, pidx: np.ndarray, rel: np.ndarray, cat: np.ndarray) -> None:
        pidx = np.asarray(pidx, dtype=np.int64)
        if not len(pidx):
            return
        off = np.asarray(rel, dtype=np.int64) - self.lo
        m = off.view(np.uint64) < self.n_w  # lo <= rel <= hi
        first = int(pidx.min())  # batches of a panel sorted by person span few persons
        per = np.bincount(pidx - first)
        pm = pidx[m]
        self.cells.reshape(-1)[pm * self.n_w + off[m]] = np.asarray(cat)[m]
        with self._lock:
            self.n_all[first:first + len(per)] += per
            self.in_window += len(pm)

    def result(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """``(cells, n_all, duplicates)``: a person-week in the window with more than one row?"""
        return self.cells, self.n_all, self.in_window != int(np.count_nonzero(self.cells != EMPTY))


def make(key: Any, scan: Any, ids: np.ndarray, sord: np.ndarray, lo: int, hi: int, cells: np.ndarray,
         n_all: np.ndarray, duplicates: bool) -> Cube:
    return Cube(key=key, code_values=scan.code_values.copy(), code_cats=scan.code_cats.copy(), ids=ids.copy(),
                sord=np.asarray(sord).copy(), lo=lo, hi=hi, cells=cells, n_all=n_all, duplicates=duplicates)


@dataclass
class _State:
    weeks: tuple[int, int] | None
    scans: dict = field(default_factory=dict)   # source key -> (frame, _scan.Counts)
    cubes: list = field(default_factory=list)


_ACTIVE: list[_State] = []


@contextmanager
def panel_cache(weeks: tuple[int, int] | None = None) -> Iterator[None]:
    """Read each weekly panel once inside this block (see the module docstring).

    ``weeks`` (a, b): the weeks since start the cube should cover besides the first request's.
    """
    _ACTIVE.append(_State(weeks=None if weeks is None else (int(weeks[0]), int(weeks[1]))))
    try:
        yield
    finally:
        _ACTIVE.pop()


def active() -> _State | None:
    return _ACTIVE[-1] if _ACTIVE else None


def source_key(src: Any) -> Any:
    """Identity of a panel: the frame object, or the files with their size and modification time."""
    if src.frame is not None:
        return ("frame", id(src.frame), len(src.frame))
    return ("files", tuple((f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in src.files))


def first_set_bit(words: np.ndarray) -> np.ndarray:
    """Index of the lowest set bit across words (word 0 first); ``64*n_words`` if none is set."""
    n, k = words.shape
    result = np.full(n, 64 * k, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    for j in range(k):
        w = words[:, j]
        hit = (w != 0) & ~done
        low = w[hit] & (~w[hit] + np.uint64(1))
        result[hit] = 64 * j + np.log2(low.astype(np.float64)).astype(np.int64)
        done |= hit
    return result
