"""Design matrices given by their column sources, written into float blocks or a whole matrix.

:func:`evaltool.terms.design_blocks` describes each design column by its source instead of
a float array: a dummy as :class:`Level` (``np.equal`` writes 0/1 into the float column), a
numeric pyarrow column as itself (copied chunk by chunk, cast on the way), anything else as
a numpy array or a number. A :class:`Design` writes any block of rows into a caller's buffer
(the propensity logit works block by block and never holds the n x p float matrix) or the
whole matrix (:meth:`Design.materialize`). No n-vector is made per column (neither a bool
dummy nor a concatenated copy of a pyarrow column), and the values are the same bits as
casting each column to float.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Level", "Design"]


class Level(NamedTuple):
    """A dummy column: 1 where ``codes == k``, else 0."""

    codes: np.ndarray
    k: int


class _Chunks:
    """A pyarrow column's chunks as numpy views, with their first rows (for row ranges)."""

    def __init__(self, column: Any) -> None:
        from evaltool._arrow import chunk_values

        chunks = column.chunks if hasattr(column, "chunks") else [column]
        self.views = [chunk_values(c) for c in chunks if len(c)]
        self.starts = np.cumsum([0] + [v.size for v in self.views]).tolist()

    def write(self, out: np.ndarray, lo: int, hi: int) -> None:
        i = bisect_right(self.starts, lo) - 1
        while lo < hi:
            start = self.starts[i]
            take = min(hi, self.starts[i + 1]) - lo
            out[:take] = self.views[i][lo - start:lo - start + take]
            out = out[take:]
            lo += take
            i += 1


def _source(source: Any) -> Any:
    if type(source).__module__.split(".")[0] == "pyarrow":  # numbers without nulls
        return _Chunks(source)
    return source


class Design:
    """An ``n x p`` float design matrix given by its column sources (see the module docstring).

    Parameters
    ----------
    n : int
        Rows.
    sources : list
        One per column: a :class:`Level`, a numeric pyarrow array without nulls, a numpy
        array or a number.
    names : list of str
        Column names.
    """

    def __init__(self, n: int, sources: list, names: list[str]) -> None:
        self.shape = (n, len(sources))
        self.names = list(names)
        self._sources = [_source(s) for s in sources]

    def rows(self, lo: int, hi: int, out: np.ndarray) -> np.ndarray:
        """Rows ``lo:hi`` written into the first ``p`` columns of ``out`` (a float array of at
        least ``hi - lo`` rows, column-major best; further columns are left as they are);
        returns ``out[:hi - lo]``."""
        out = out[:hi - lo]
        for j, s in enumerate(self._sources):
            _write(out[:, j], s, lo, hi)
        return out

    def materialize(self, threads: int = 1) -> np.ndarray:
        """The whole column-major float matrix, the columns shared among ``threads`` threads."""
        from evaltool._blas import in_threads

        n = self.shape[0]
        matrix = np.empty(self.shape, order="F")
        in_threads([lambda slot, j=j, s=s: _write(matrix[:, j], s, 0, n)
                    for j, s in enumerate(self._sources)], threads)
        return matrix


def _write(out: np.ndarray, source: Any, lo: int, hi: int) -> None:
    if isinstance(source, Level):
        np.equal(source.codes[lo:hi], source.k, out=out, casting="unsafe")
    elif isinstance(source, _Chunks):
        source.write(out, lo, hi)
    elif isinstance(source, np.ndarray):
        out[...] = source[lo:hi]
    else:
        out.fill(source)
