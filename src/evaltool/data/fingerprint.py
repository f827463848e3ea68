"""Order-independent content hashes of input tables, for provenance.

``evaltool run`` promises identical ``results.json`` bytes for the same data even
when the input rows are shuffled, so provenance records a hash of the *content*
(the multiset of rows), not of the file bytes: SHA-256 over the row count, the
sum (mod 2^64) and the XOR of DuckDB's per-row hashes. Works the same on a
DataFrame and on a Parquet file of any size (DuckDB streams it).

The hash is of the content only: library versions belong in provenance, not in
an input's identity (an upgrade must not change ``results.json``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

__all__ = ["content_hash"]

_SQL = "SELECT count(*), sum(hash(t)::HUGEINT) % 18446744073709551616, bit_xor(hash(t)) FROM {src} t"


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
    text = f"rows={row[0]};sum={row[1]};xor={row[2]}"
    return hashlib.sha256(text.encode()).hexdigest()
