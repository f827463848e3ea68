"""Covariate terms for regression adjustment, in the config's small fixed grammar.

A term is a column name, ``C(x)`` (categorical), ``log(x)``, ``x^2`` or an interaction
``a:b`` of those. A plain name is numeric if its column is numeric or boolean and
categorical otherwise. Categorical columns become 0/1 indicators for every level but
the first in sorted order (R's treatment contrasts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltool.exceptions import EstimationError

__all__ = ["covariate_matrix"]

_PART = re.compile(r"^(?:C\((\w+)\)|log\((\w+)\)|(\w+)\^2|(\w+))$")


def _column(data: pd.DataFrame, name: str, term: str) -> pd.Series:
    if name not in data.columns:
        avail = ", ".join(map(str, list(data.columns)[:20]))
        raise EstimationError(f"covariate term {term!r}: column {name!r} not found; available: {avail}")
    col = data[name]
    if col.isna().any():
        raise EstimationError(f"covariate {name!r} has {int(col.isna().sum())} missing values "
                              "among the design's units; impute or drop them before estimating")
    return col


def _numeric(col: pd.Series, name: str, term: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    raise EstimationError(f"covariate term {term!r} needs a numeric column; {name!r} is {col.dtype}")


def _dummies(col: pd.Series, label: str) -> pd.DataFrame:
    levels = sorted(col.astype(str).unique())
    values = col.astype(str)
    return pd.DataFrame({f"{label}[{lev}]": (values == lev).astype(float) for lev in levels[1:]},
                        index=col.index)


def _part(data: pd.DataFrame, part: str, term: str) -> pd.DataFrame:
    m = _PART.match(part)
    if m is None:
        raise EstimationError(f"covariate term {term!r} is not of the form name, C(name), "
                              "log(name), name^2 or a:b")
    cat, logn, sq, plain = m.groups()
    if cat:
        return _dummies(_column(data, cat, term), cat)
    if logn:
        x = _numeric(_column(data, logn, term), logn, term)
        if (x <= 0).any():
            raise EstimationError(f"covariate term {term!r}: log needs values > 0; "
                                  f"{logn!r} has {int((x <= 0).sum())} values <= 0")
        return pd.DataFrame({part: np.log(x)}, index=data.index)
    if sq:
        x = _numeric(_column(data, sq, term), sq, term)
        return pd.DataFrame({part: x * x}, index=data.index)
    col = _column(data, plain, term)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return pd.DataFrame({plain: col.astype(float)}, index=data.index)
    return _dummies(col, plain)


def covariate_matrix(data: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """Expand covariate terms into a numeric matrix (no intercept).

    Parameters
    ----------
    data : DataFrame
        Rows to expand (typically the design's units).
    terms : sequence of str
        Terms in the config grammar.

    Returns
    -------
    DataFrame
        One float column per regressor, indexed like ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"age": [20, 30, 40], "sex": ["f", "m", "f"]})
    >>> list(covariate_matrix(d, ["age", "sex", "age^2"]).columns)
    ['age', 'sex[m]', 'age^2']
    """
    blocks: list[pd.DataFrame] = []
    for term in terms:
        parts = [p for p in str(term).replace(" ", "").split(":") if p]
        if not parts:
            raise EstimationError(f"covariate term {term!r} is empty")
        block = _part(data, parts[0], term)
        for p in parts[1:]:
            other = _part(data, p, term)
            block = pd.DataFrame({f"{a}:{b}": block[a] * other[b]
                                  for a in block.columns for b in other.columns}, index=data.index)
        blocks.append(block)
    if not blocks:
        return pd.DataFrame(index=data.index)
    out = pd.concat(blocks, axis=1)
    return out.loc[:, ~out.columns.duplicated()]
