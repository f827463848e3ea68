"""Multiple-testing adjustment of p-values across a family of outcomes."""

from __future__ import annotations

import numpy as np

from evaltool._checks import check_choice
from evaltool.exceptions import EstimationError
from evaltool.specs.effects import ADJUSTMENTS

__all__ = ["adjust_pvalues", "ADJUSTMENTS"]



def adjust_pvalues(p: np.ndarray | list[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values: Holm (family-wise error), Benjamini-Hochberg (false discovery rate) or none.

    Parameters
    ----------
    p : array-like
        Unadjusted p-values of one family.
    method : {"holm", "bh", "none"}
        Holm (1979) step-down; Benjamini & Hochberg (1995) step-up.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order (as ``statsmodels.stats.multitest.multipletests``
        with ``"holm"`` / ``"fdr_bh"``).

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, float("nan"), 0.03], "holm").round(2).tolist()  # NaN: not estimable
    [0.02, nan, 0.03]
    """
    check_choice("adjust", method, ADJUSTMENTS, exc=EstimationError)
    p = np.asarray(p, dtype=float)
    if p.size == 0 or method == "none":
        return p.copy()
    if np.any(np.isinf(p)) or np.any((p < 0) | (p > 1)):
        raise EstimationError("p-values to adjust must be in [0, 1] (NaN for a test that was not estimable)")
    ok = ~np.isnan(p)
    if not ok.all():  # not-estimable tests are not part of the family; they stay NaN
        out = np.full(p.size, np.nan)
        out[ok] = adjust_pvalues(p[ok], method)
        return out
    m = p.size
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ps))
    else:
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1) * ps[::-1]))[::-1]
        adj = np.minimum(1.0, adj)
    out = np.empty(m)
    out[order] = adj
    return out
