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

import numpy as np
import pandas as pd

from evaltool.exceptions import DataError, EvaltoolError

__all__ = ["Term", "parse_term", "design_matrix", "term_columns", "is_categorical"]

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


def is_categorical(series: pd.Series) -> bool:
    """True when a column is treated as categorical without a ``C()`` marker."""
    dtype = series.dtype
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _levels(series: pd.Series, uniques=None) -> list:
    """Levels present in ``series`` in R order; ``uniques`` from ``pd.factorize(series)`` if known."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique() if uniques is None else uniques)
        return [c for c in series.cat.categories if c in present]
    values = (series.dropna().unique() if uniques is None else uniques).tolist()
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


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    try:
        return series.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"covariate {name!r} is not numeric; write C({name}) to use it as "
                        f"categorical") from None


def _blocks(data: pd.DataFrame, term: Term, all_levels: bool) -> list[tuple[str, np.ndarray]]:
    """Named columns of one simple (non-interaction) term."""
    col = term.column
    series = data[col]
    categorical = term.kind == "categorical" or (term.kind == "auto" and is_categorical(series))
    if categorical:
        prefix = f"C({col})" if term.kind == "categorical" else col
        # one hash pass: small integer codes, the levels from the (few) uniques
        codes, uniques = pd.factorize(series)
        levels = _levels(series, uniques)
        if not levels:
            raise DataError(f"categorical covariate {col!r} has no non-missing values")
        keep = levels if all_levels else levels[1:]
        code_of = {v: i for i, v in enumerate(uniques.tolist())}
        return [(f"{prefix}{_level_label(lv)}", (codes == code_of[lv]).astype(float)) for lv in keep]
    x = _numeric(series, col)
    if term.kind == "log":
        bad = np.isfinite(x) & (x <= 0)
        if bad.any():
            raise DataError(f"log({col}): column {col!r} has {int(bad.sum())} value(s) <= 0; "
                            f"the logarithm needs positive values")
        return [(f"log({col})", np.log(x))]
    if term.kind == "square":
        return [(f"I({col}^2)", x * x)]
    return [(col, x)]


def term_columns(data: pd.DataFrame, term: Term | str, *, all_levels: bool = False
                 ) -> list[tuple[str, np.ndarray]]:
    """The named design columns of one term, in R order."""
    term = parse_term(term) if isinstance(term, str) else term
    if term.kind != "interaction":
        return _blocks(data, term, all_levels)
    out: list[tuple[str, np.ndarray]] = [("", np.ones(len(data)))]
    for part in term.parts:
        nxt = []
        for name_a, a in out:
            for name_b, b in _blocks(data, part, False):
                nxt.append((f"{name_a}:{name_b}" if name_a else name_b, a * b))
        out = nxt
    return out


def design_matrix(data: pd.DataFrame, terms: Iterable[str | Term], intercept: bool = True, *,
                  all_levels: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Build a design matrix with R-compatible column names.

    Parameters
    ----------
    data : DataFrame
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
        The float matrix on ``data.index`` and its column names.

    Raises
    ------
    EvaltoolError
        Unknown term syntax or a column missing from ``data``.
    DataError
        Missing values, non-numeric values in a numeric term, log of values <= 0.
    """
    parsed = [parse_term(t) if isinstance(t, str) else t for t in terms]
    needed = list(dict.fromkeys(c for t in parsed for c in t.columns))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise EvaltoolError(f"covariate column(s) {', '.join(map(repr, missing))} not found in "
                            f"the data; available: {', '.join(map(str, list(data.columns)[:20]))}")
    for c in needed:
        n_na = int(data[c].isna().sum())
        if n_na:
            raise DataError(f"covariate {c!r} has {n_na} missing value(s); drop or impute them "
                            f"before matching")
    names: list[str] = ["(Intercept)"] if intercept else []
    arrays: list[np.ndarray] = []
    for t in parsed:
        for name, values in term_columns(data, t, all_levels=all_levels):
            if name in names:
                continue
            names.append(name)
            arrays.append(values)
    # Column-major, filled in place and wrapped without a copy (pandas keeps it as one block).
    matrix = np.empty((len(data), len(names)), order="F")
    if intercept:
        matrix[:, 0] = 1.0
    for j, values in enumerate(arrays, start=int(intercept)):
        matrix[:, j] = values
    del arrays
    return pd.DataFrame(matrix, index=data.index, columns=names, copy=False), names


def normalise_terms(covariates: str | Sequence[str]) -> tuple[str, ...]:
    """Covariates as a tuple of parsed-and-compacted term strings."""
    if isinstance(covariates, str):
        covariates = [covariates]
    out = tuple(parse_term(c).text for c in covariates)
    if not out:
        raise EvaltoolError("`covariates` must name at least one covariate term; got none")
    return out
