"""Read tabular register extracts by file extension.

Supported: ``.csv`` (also ``.csv.gz``), ``.parquet``/``.pq``, Stata ``.dta``,
SAS ``.sas7bdat``, Excel ``.xlsx`` (openpyxl; legacy ``.xls`` is refused:
save it as ``.xlsx`` or ``.csv``). Every failure is a
:class:`~evaltool.exceptions.DataError` that names the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evaltool.exceptions import DataError

__all__ = ["read_table", "file_sha256", "READERS", "peek_columns"]


def _csv(p: Path) -> pd.DataFrame:
    return pd.read_csv(p, low_memory=False)


def _parquet(p: Path) -> pd.DataFrame:
    return pd.read_parquet(p)


def _stata(p: Path) -> pd.DataFrame:
    return pd.read_stata(p, convert_categoricals=True)


def _sas(p: Path) -> pd.DataFrame:
    frame = pd.read_sas(p, format="sas7bdat", encoding="utf-8")
    return frame


def _excel(p: Path) -> pd.DataFrame:
    return pd.read_excel(p)


READERS: dict[str, tuple[str, Callable[[Path], pd.DataFrame]]] = {
    ".csv": ("CSV", _csv),
    ".gz": ("CSV", _csv),
    ".parquet": ("Parquet", _parquet),
    ".pq": ("Parquet", _parquet),
    ".dta": ("Stata", _stata),
    ".sas7bdat": ("SAS", _sas),
    ".xlsx": ("Excel", _excel),
}


def _reader(path: Path) -> tuple[str, Callable[[Path], pd.DataFrame]]:
    suffix = path.suffix.lower()
    if suffix == ".gz" and not path.name.lower().endswith(".csv.gz"):
        suffix = ".unknown"
    if suffix == ".xls":
        raise DataError(f"{path}: legacy Excel .xls files are not supported; save the sheet as .xlsx or .csv")
    if suffix not in READERS:
        allowed = ", ".join(sorted(set(READERS) - {".gz"})) + ", .csv.gz"
        raise DataError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; expected one of {allowed}")
    return READERS[suffix]


def read_table(path: str | Path, *, allow_empty: bool = False) -> pd.DataFrame:
    """Read one table; the reader is chosen by the file extension.

    Raises
    ------
    DataError
        If the file is missing, of an unknown type, unreadable, or has no rows.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if not p.is_file():
        raise DataError(f"{p}: not a file")
    kind, fn = _reader(p)
    if p.stat().st_size == 0:
        raise DataError(f"{p}: file is empty (0 bytes)")
    try:
        frame = fn(p)
    except pd.errors.EmptyDataError:
        raise DataError(f"{p}: file is empty (no columns)") from None
    except MemoryError:
        raise
    except Exception as exc:  # any parser failure becomes one clear line
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"{p}: cannot read as {kind}: {detail[:200]}") from None
    if len(frame) == 0 and not allow_empty:
        raise DataError(f"{p}: file has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def peek_columns(path: str | Path) -> list[str]:
    """Column names of a table without reading all of it (Parquet: schema only)."""
    p = Path(path)
    kind, _ = _reader(p)
    if kind == "Parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(p).names)
        except Exception as exc:
            raise DataError(f"{p}: cannot read as Parquet: {str(exc).splitlines()[0][:200]}") from None
    return list(read_table(p).columns)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (for provenance)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
