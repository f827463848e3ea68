"""A small, fixed covariate grammar and R-compatible design matrices.

A covariate *term* is a plain string, never evaluated as code:

=================  ==========================================================
``age``            the column as it is: numeric, or categorical when its dtype
                   is object, string, category or bool
``C(origin)``      the column as categorical, whatever its dtype
``log(income)``    natural logarithm (all values must be > 0)
``age^2``          the square (R column name ``I(age^2)``)
``a:b``            interaction; each part is one of the forms above
=================  ==========================================================

Categorical terms use treatment contrasts like R's factor defaults: the levels
are sorted (a pandas ``category`` keeps its own category order), the first is
the reference, and a column is named ``<name><level>`` (``racehispan``,
``C(origin)Western``). Boolean columns have levels ``FALSE``/``TRUE`` as in R.

``data`` is a pandas DataFrame or a pyarrow Table (:func:`design_array` then runs
without pandas; a pyarrow ``dictionary`` column keeps its dictionary order as a
pandas ``category`` does; string and bool columns are categorical).

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"age": [20, 30, 40], "race": ["white", "black", "hispan"]})
>>> X, cols = design_matrix(d, ["age", "race", "age^2"])
>>> cols
['(Intercept)', 'age', 'racehispan', 'racewhite', 'I(age^2)']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from typing import Any

import numpy as np

from evaltool.exceptions import DataError, EvaltoolError

__all__ = ["Term", "parse_term", "design_matrix", "design_array", "design_blocks", "term_columns",
           "is_categorical", "is_arrow", "column_names", "n_missing", "level_codes"]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_PATTERNS = (
    ("categorical", re.compile(rf"^C\(\s*({_NAME})\s*\)$")),
    ("log", re.compile(rf"^log\(\s*({_NAME})\s*\)$")),
    ("square", re.compile(rf"^({_NAME})\s*\^\s*2$")),
    ("square", re.compile(rf"^I\(\s*({_NAME})\s*\^\s*2\s*\)$")),
    ("auto", re.compile(rf"^({_NAME})$")),
)
_KINDS = ("auto", "categorical", "log", "square", "interaction")


@dataclass(frozen=True)
class Term:
    """One parsed covariate term.

    Attributes
    ----------
    text : str
        The term as written (whitespace removed).
    kind : str
        ``auto`` (numeric or categorical by dtype), ``categorical``, ``log``,
        ``square`` or ``interaction``.
    column : str or None
        The data column (None for interactions).
    parts : tuple of Term
        The factors of an interaction (empty otherwise).
    """

    text: str
    kind: str
    column: str | None = None
    parts: tuple["Term", ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns the term reads."""
        if self.kind == "interaction":
            return tuple(dict.fromkeys(c for p in self.parts for c in p.columns))
        return (self.column,) if self.column is not None else ()


def parse_term(text: str) -> Term:
    """Parse one covariate term (see the module docstring for the grammar).

    Raises
    ------
    EvaltoolError
        When the text is not a term of the grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise EvaltoolError(f"a covariate term must be a non-empty string; got {text!r}")
    compact = re.sub(r"\s+", "", text)
    if ":" in compact:
        pieces = compact.split(":")
        parts = tuple(_parse_simple(p, text) for p in pieces)
        return Term(text=compact, kind="interaction", parts=parts)
    return _parse_simple(compact, text)


def _parse_simple(piece: str, original: str) -> Term:
    for kind, pattern in _PATTERNS:
        m = pattern.match(piece)
        if m:
            return Term(text=piece, kind=kind, column=m.group(1))
    raise EvaltoolError(
        f"covariate term {original!r} is not understood; allowed forms: name, C(name), "
        f"log(name), name^2 and interactions a:b"
    )


def is_arrow(data: Any) -> bool:
    """True for a pyarrow Table (checked without importing pyarrow or pandas)."""
    return type(data).__module__.split(".")[0] == "pyarrow"


def column_names(data: Any) -> list[str]:
    """Column names of a DataFrame or a pyarrow Table."""
    return list(data.column_names) if is_arrow(data) else list(data.columns)


def n_missing(data: Any, column: str) -> int:
    """Missing values in one column (pandas ``isna``; pyarrow nulls plus float NaN)."""
    if not is_arrow(data):
        return int(data[column].isna().sum())
    import pyarrow as pa

    from evaltool._arrow import to_numpy

    col = data.column(column)
    n = col.null_count
    if pa.types.is_floating(col.type):  # chunk by chunk: no concatenated copy
        for chunk in col.chunks:
            nan = np.isnan(to_numpy(chunk))
            n += int(np.count_nonzero(nan & _valid(chunk) if chunk.null_count else nan))
    return int(n)


def _valid(col: Any) -> np.ndarray | bool:
    """True where a pyarrow column is not null (values at null slots are undefined)."""
    if not col.null_count:
        return True
    from evaltool._arrow import to_numpy

    return ~to_numpy(col.is_null())


def is_categorical(series: Any) -> bool:
    """True when a column (pandas Series or pyarrow array) is categorical without ``C()``."""
    if is_arrow(series):
        import pyarrow as pa

        t = series.type
        return (pa.types.is_dictionary(t) or pa.types.is_boolean(t) or pa.types.is_string(t)
                or pa.types.is_large_string(t) or pa.types.is_string_view(t))
    import pandas as pd

    dtype = series.dtype
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _levels(series, uniques=None) -> list:
    """Levels present in ``series`` in R order; ``uniques`` from ``pd.factorize(series)`` if known."""
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique() if uniques is None else uniques)
        return [c for c in series.cat.categories if c in present]
    values = (series.dropna().unique() if uniques is None else uniques).tolist()
    return _sorted_levels(values)


def _sorted_levels(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _level_label(level) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def _numeric(series, name: str) -> np.ndarray:
    try:
        if is_arrow(series):
            from evaltool._arrow import to_numpy

            x = to_numpy(series)
            return x if x.dtype.kind in "biuf" else x.astype(float)
        return series.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"covariate {name!r} is not numeric; write C({name}) to use it as "
                        f"categorical") from None


def level_codes(series) -> tuple[np.ndarray, list]:
    """(integer code of every row, levels in R order): code k is ``levels[k]``; -1 where missing."""
    if not is_arrow(series):
        import pandas as pd

        codes, uniques = pd.factorize(series)  # one hash pass: small codes, few uniques
        levels = _levels(series, uniques)
        code_of = {v: i for i, v in enumerate(uniques.tolist())}
        remap = np.full(len(code_of) + 1, -1, dtype=np.int64)  # factorize's NA code -1 stays -1
        for k, lv in enumerate(levels):
            remap[code_of[lv]] = k
        return remap[codes], levels
    import pyarrow as pa

    from evaltool._arrow import is_string, string_codes, to_numpy

    t = series.type
    if is_string(t):
        return string_codes([series])[0]
    if not pa.types.is_dictionary(t):  # numbers, bools: sorted uniques
        uniq, codes = np.unique(to_numpy(series), return_inverse=True)
        return codes.reshape(-1), uniq.tolist()
    chunks = series.unify_dictionaries().chunks if hasattr(series, "chunks") else [series]
    if not chunks:
        return np.empty(0, dtype=np.int64), []
    words = chunks[0].dictionary.to_pylist()
    raw = np.concatenate([to_numpy(c.indices) for c in chunks]).astype(np.int64)
    # dictionary order, levels present only (as pandas categories)
    present = np.bincount(raw, minlength=len(words)) > 0
    levels = [w for w, p in zip(words, present.tolist()) if p]
    pos = {w: k for k, w in enumerate(levels)}
    remap = np.array([pos.get(w, -1) for w in words], dtype=np.int64)
    return remap[raw], levels


def _column(data, col: str):
    return data.column(col) if is_arrow(data) else data[col]


def _blocks(data, term: Term, all_levels: bool, sources: bool = False,
            coded: dict | None = None) -> list[tuple[str, Any]]:
    """Named columns of one simple (non-interaction) term as float arrays, or with ``sources``
    as :class:`evaltool._fill.Design` sources (dummies as ``Level``, a numeric pyarrow
    column as itself); ``coded``: :func:`level_codes` of some columns, already computed."""
    col = term.column
    series = _column(data, col)
    categorical = term.kind == "categorical" or (term.kind == "auto" and is_categorical(series))
    if categorical:
        from evaltool._fill import Level

        prefix = f"C({col})" if term.kind == "categorical" else col
        codes, levels = coded[col] if coded and col in coded else level_codes(series)
        if not levels:
            raise DataError(f"categorical covariate {col!r} has no non-missing values")
        first = 0 if all_levels else 1
        return [(f"{prefix}{_level_label(lv)}",
                 Level(codes, k) if sources else (codes == k).astype(float))
                for k, lv in enumerate(levels) if k >= first]
    if sources and term.kind == "auto" and is_arrow(series):
        from evaltool._arrow import numpy_dtype

        if numpy_dtype(series.type) is not None:  # numbers (no nulls: checked by the caller)
            return [(col, series)]
    x = _numeric(series, col)
    if term.kind == "log":
        x = x.astype(float, copy=False)
        bad = np.isfinite(x) & (x <= 0)
        if bad.any():
            raise DataError(f"log({col}): column {col!r} has {int(bad.sum())} value(s) <= 0; "
                            f"the logarithm needs positive values")
        return [(f"log({col})", np.log(x))]
    if term.kind == "square":
        x = x.astype(float, copy=False)
        return [(f"I({col}^2)", x * x)]
    return [(col, x if sources else x.astype(float, copy=False))]


def term_columns(data: Any, term: Term | str, *, all_levels: bool = False,
                 sources: bool = False, coded: dict | None = None) -> list[tuple[str, Any]]:
    """The named design columns of one term, in R order.

    Float arrays; with ``sources`` a main effect's columns are
    sources of an :class:`evaltool._fill.Design` (for filling a float matrix without
    temporaries). ``coded`` maps columns to their :func:`level_codes` when already computed.
    """
    term = parse_term(term) if isinstance(term, str) else term
    if term.kind != "interaction":
        return _blocks(data, term, all_levels, sources, coded)
    out: list[tuple[str, np.ndarray]] = [("", np.ones(len(data)))]
    for part in term.parts:
        nxt = []
        for name_a, a in out:
            for name_b, b in _blocks(data, part, False, coded=coded):
                nxt.append((f"{name_a}:{name_b}" if name_a else name_b, a * b))
        out = nxt
    return out


def design_array(data: Any, terms: Iterable[str | Term], intercept: bool = True, *,
                 all_levels: bool = False) -> tuple[np.ndarray, list[str]]:
    """:func:`design_matrix` as a column-major float array (no pandas for a pyarrow Table)."""
    from evaltool._blas import WORK_THREADS
    design = design_blocks(data, terms, intercept, all_levels=all_levels)
    return design.materialize(WORK_THREADS if len(data) >= 1 << 18 else 1), design.names


def design_blocks(data: Any, terms: Iterable[str | Term], intercept: bool = True, *,
                  all_levels: bool = False) -> Any:
    """:func:`design_array` as an :class:`evaltool._fill.Design`: the columns' sources, written
    block by block of rows or as a whole float matrix (same checks and messages)."""
    from evaltool._fill import Design
    parsed = [parse_term(t) if isinstance(t, str) else t for t in terms]
    needed = list(dict.fromkeys(c for t in parsed for c in t.columns))
    available = column_names(data)
    missing = [c for c in needed if c not in available]
    if missing:
        raise EvaltoolError(f"covariate column(s) {', '.join(map(repr, missing))} not found in "
                            f"the data; available: {', '.join(map(str, available[:20]))}")
    for c in needed:
        n_na = n_missing(data, c)
        if n_na:
            raise DataError(f"covariate {c!r} has {n_na} missing value(s); drop or impute them "
                            f"before matching")
    coded = _string_columns_coded(data, parsed)
    names: list[str] = ["(Intercept)"] if intercept else []
    sources: list[Any] = [1.0] if intercept else []
    for t in parsed:
        for name, values in term_columns(data, t, all_levels=all_levels, sources=True, coded=coded):
            if name in names:
                continue
            names.append(name)
            sources.append(values)
    return Design(len(data), sources, names)


def _string_columns_coded(data: Any, parsed: list[Term]) -> dict:
    """:func:`level_codes` of the pyarrow string columns that ``parsed`` reads as categorical,
    encoded together (:func:`evaltool._arrow.string_codes`); empty for a DataFrame."""
    if not is_arrow(data):
        return {}
    from evaltool._arrow import is_string, string_codes

    simple = [p for t in parsed for p in (t.parts if t.kind == "interaction" else (t,))]
    cols = list(dict.fromkeys(p.column for p in simple if p.kind in ("auto", "categorical")
                              and is_string(data.schema.field(p.column).type)))
    return dict(zip(cols, string_codes([data.column(c) for c in cols], compact=True))) if cols else {}


def design_matrix(data: Any, terms: Iterable[str | Term], intercept: bool = True, *,
                  all_levels: bool = False) -> tuple[Any, list[str]]:
    """Build a design matrix with R-compatible column names.

    Parameters
    ----------
    data : DataFrame or pyarrow Table
        Source data (not modified).
    terms : iterable of str or Term
        Covariate terms of the grammar in the module docstring.
    intercept : bool, default True
        Prepend an ``(Intercept)`` column of ones.
    all_levels : bool, default False
        Keep every level of a categorical main effect (as MatchIt's balance
        table shows them) instead of dropping the reference level.

    Returns
    -------
    (DataFrame, list of str)
        The float matrix on ``data.index`` (a RangeIndex for a pyarrow Table) and its
        column names.

    Raises
    ------
    EvaltoolError
        Unknown term syntax or a column missing from ``data``.
    DataError
        Missing values, non-numeric values in a numeric term, log of values <= 0.
    """
    import pandas as pd

    matrix, names = design_array(data, terms, intercept, all_levels=all_levels)
    index = pd.RangeIndex(len(data)) if is_arrow(data) else data.index
    # wrapped without a copy (pandas keeps the column-major array as one block)
    return pd.DataFrame(matrix, index=index, columns=names, copy=False), names


def normalise_terms(covariates: str | Sequence[str]) -> tuple[str, ...]:
    """Covariates as a tuple of parsed-and-compacted term strings."""
    if isinstance(covariates, str):
        covariates = [covariates]
    out = tuple(parse_term(c).text for c in covariates)
    if not out:
        raise EvaltoolError("`covariates` must name at least one covariate term; got none")
    return out
