"""Covariate terms for regression adjustment, in the config's small fixed grammar.

The grammar and its expansion are those of :mod:`evaltool.terms` (shared with the
propensity model): a column name, ``C(x)`` (categorical), ``log(x)``, ``x^2`` or an
interaction ``a:b``; categorical columns become 0/1 indicators for every level but the
first (R's treatment contrasts). Errors are raised as :class:`EstimationError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evaltool.exceptions import EstimationError, EvaltoolError
from evaltool.terms import design_matrix

__all__ = ["covariate_matrix"]


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
    ['age', 'sexm', 'I(age^2)']
    """
    try:
        frame, _names = design_matrix(data, [str(t).replace(" ", "") for t in terms], intercept=False)
    except EvaltoolError as exc:  # one grammar and one error wording for matching and effects
        raise EstimationError(str(exc)) from None
    return frame
