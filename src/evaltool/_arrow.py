"""numpy <-> pyarrow for numeric columns, without pandas.

pyarrow's own ``to_numpy()``, ``pa.array(ndarray)`` and scalar conversion import pandas
(its pandas shim) the first time they run; that import alone costs more than matching
100,000 persons. These helpers read and write the plain data buffers instead (numbers and
bools; anything else falls back to pyarrow's conversion). :func:`call` runs a pyarrow
compute kernel through ``pyarrow._compute`` without importing ``pyarrow.compute``, whose
import builds Python wrappers for every kernel (tens of milliseconds). :func:`string_codes`
turns string columns into integer codes (the categorical covariates of a design matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_numpy", "chunk_values", "numpy_dtype", "from_numpy", "call", "is_string", "string_codes"]

_FLOATS = {"double": "float64", "float": "float32", "halffloat": "float16"}


def numpy_dtype(arrow_type: Any) -> np.dtype | None:
    """The numpy dtype of a pyarrow number or bool type (None for any other type)."""
    name = str(arrow_type)
    name = _FLOATS.get(name, name)
    if name in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float16", "float32", "float64"):
        return np.dtype(name)
    return None


def chunk_values(arr: Any) -> np.ndarray:
    """One pyarrow Array (a chunk) as numpy: a read-only view of its numbers where possible."""
    dtype = numpy_dtype(arr.type)
    n, off = len(arr), arr.offset
    if dtype is None:
        return arr.to_numpy(zero_copy_only=False)
    data = arr.buffers()[1]
    if dtype == np.bool_:
        if data is None or n == 0:
            return np.zeros(n, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[off:off + n].astype(bool)
    if data is None or n == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=n, offset=off * dtype.itemsize)


def to_numpy(col: Any) -> np.ndarray:
    """A pyarrow Array or ChunkedArray as a numpy array (values at null slots are undefined;
    check ``null_count`` first). Read-only views where possible."""
    chunks = col.chunks if hasattr(col, "chunks") else [col]
    if not chunks:
        dtype = numpy_dtype(col.type)
        return np.empty(0, dtype=dtype if dtype is not None else object)
    if len(chunks) == 1:
        return chunk_values(chunks[0])
    return np.concatenate([chunk_values(c) for c in chunks])


def from_numpy(values: np.ndarray, null: np.ndarray | None = None) -> Any:
    """A 1-d int64/float64/bool array as a pyarrow Array (``null``: True where missing)."""
    import pyarrow as pa

    values = np.asarray(values)
    kinds = {"i": (np.int64, pa.int64()), "u": (np.int64, pa.int64()), "f": (np.float64, pa.float64())}
    validity = None
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~np.asarray(null, dtype=bool), bitorder="little"))
    n = values.size
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), n, [validity, data])
    np_type, pa_type = kinds[values.dtype.kind]
    data = pa.py_buffer(np.ascontiguousarray(values, dtype=np_type))
    return pa.Array.from_buffers(pa_type, n, [validity, data])


def call(kernel: str, *args: Any) -> Any:
    """The pyarrow compute kernel ``kernel`` (e.g. ``"dictionary_encode"``) on ``args``."""
    from pyarrow._compute import call_function

    return call_function(kernel, list(args))


def is_string(arrow_type: Any) -> bool:
    """True for pyarrow string, large_string and string_view types."""
    import pyarrow as pa

    return (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
            or pa.types.is_string_view(arrow_type))


def string_codes(columns: list, compact: bool = False) -> list[tuple[np.ndarray, list]]:
    """:func:`evaltool.terms.level_codes` of pyarrow string columns (sorted levels; -1 = null).

    int64 codes, or with ``compact`` the smallest signed integer type that holds them
    (a design matrix only compares them with each level).

    Every chunk of every column is dictionary-encoded by pyarrow's hash kernel, the chunks
    shared among threads (the kernel releases the GIL); the chunks' small dictionaries are
    then merged and each chunk's indices mapped into the one code array of its column."""
    from evaltool._blas import WORK_THREADS, in_threads

    chunked = [c.chunks if hasattr(c, "chunks") else [c] for c in columns]
    jobs = [lambda slot, ch=ch: call("dictionary_encode", ch) for chunks in chunked for ch in chunks]
    big = sum(len(c) for c in columns) >= 1 << 18  # smaller: not worth a thread's hand-off
    encoded = iter(in_threads(jobs, WORK_THREADS if big else 1))
    out = []
    for chunks in chunked:
        parts = [next(encoded) for _ in chunks]
        words = [p.dictionary.to_pylist() for p in parts]
        levels = sorted(set(w for ws in words for w in ws))
        pos = {w: k for k, w in enumerate(levels)}
        dtype = np.promote_types(np.int8, np.min_scalar_type(len(levels))) if compact else np.int64
        codes = np.empty(sum(len(p) for p in parts), dtype=dtype)
        off = 0
        for p, ws in zip(parts, words):
            seg = codes[off:off + len(p)]
            if len(p):
                np.take(np.array([pos[w] for w in ws] or [-1], dtype=dtype), to_numpy(p.indices), out=seg)
            if p.null_count:
                seg[to_numpy(p.is_null())] = -1
            off += len(p)
        out.append((codes, levels))
    return out
