"""Order-independent content hashes of input tables, for provenance.

``evaltool run`` promises identical ``results.json`` bytes for the same data even
when the input rows are shuffled, so provenance records a hash of the *content*
(the multiset of rows), not of the file bytes: SHA-256 over the row count, the
sum (mod 2^64) and the XOR of DuckDB's per-row hashes. Works the same on a
DataFrame and on a Parquet file of any size (DuckDB streams it).

A Parquet file of integer columns only (a weekly status panel) can also be hashed by
numpy while it is read for other purposes (``registers/_onepass.py``): :func:`int_hash`
and :func:`combine_prep` compute DuckDB's per-row hash of such rows (``hash(t)``: the
first column's hash, then for each further column ``combine(h, hash(column))``), and
:func:`hash_text` turns count, sum and XOR into the same hex digest. A test pins the
numpy hash to DuckDB's on every integer type.

The hash is of the content only: library versions belong in provenance, not in
an input's identity (an upgrade must not change ``results.json``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

__all__ = ["content_hash", "int_hash", "combine_prep", "hash_text"]

_SQL = "SELECT count(*), sum(hash(t)::HUGEINT) % 18446744073709551616, bit_xor(hash(t)) FROM {src} t"
_MUL = np.uint64(0xD6E8FEB86659FD93)
_SHIFT = np.uint64(32)


def hash_text(n_rows: int, total: int | None, xor: int | None) -> str:
    """The content hash from the row count and the sum (mod 2^64) and XOR of the row hashes
    (``None`` for both when there are no rows, as DuckDB's aggregates give)."""
    text = f"rows={n_rows};sum={total};xor={xor}"
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(source: pd.DataFrame | str | Path) -> str:
    """SHA-256 hex of a table's rows, independent of row order.

    Parameters
    ----------
    source : DataFrame or path to a Parquet file
    """
    con = duckdb.connect()
    try:
        if isinstance(source, pd.DataFrame):
            frame = source.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            con.register("src_frame", frame)
            row = con.execute(_SQL.format(src="src_frame")).fetchone()
        else:
            path = str(Path(source)).replace("'", "''")
            row = con.execute(_SQL.format(src=f"read_parquet('{path}')")).fetchone()
    finally:
        con.close()
    return hash_text(row[0], row[1], row[2])


def _mix(x: np.ndarray, tmp: np.ndarray) -> None:
    """``x ^= x >> 32; x *= K`` in place (uint64)."""
    np.right_shift(x, _SHIFT, out=tmp)
    x ^= tmp
    x *= _MUL


def int_hash(values: np.ndarray) -> np.ndarray:
    """DuckDB's ``hash()`` of non-null integer values (a new uint64 array).

    64-bit values are hashed as they are, narrower ones as unsigned 32-bit numbers (DuckDB's
    ``Hash<T>``: ``MurmurHash64(uint32_t(v))``, so -1 as INTEGER and as SMALLINT hash alike).
    """
    values = np.asarray(values)
    if values.dtype.kind not in "iu":
        raise TypeError(f"int_hash: integer values expected, got {values.dtype}")
    if values.dtype.itemsize == 8:
        x = values.astype(np.uint64)  # two's complement for int64, as DuckDB's uint64_t cast
    else:
        x = values.astype(np.uint32).astype(np.uint64)
    tmp = np.empty_like(x)
    _mix(x, tmp)
    _mix(x, tmp)
    np.right_shift(x, _SHIFT, out=tmp)
    x ^= tmp
    return x


def combine_prep(h: np.ndarray, tmp: np.ndarray | None = None) -> np.ndarray:
    """In place: the first half of DuckDB's ``CombineHash(h, g) = ((h ^ h >> 32) * K) ^ g``."""
    _mix(h, np.empty_like(h) if tmp is None else tmp)
    return h
