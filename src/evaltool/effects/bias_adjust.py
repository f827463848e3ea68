"""The matching estimator with Abadie-Imbens (2011) bias adjustment, as ``Matching::Match``.

:func:`matching_estimate` takes a matched design with replacement (``pairs()``), an
outcome and optionally covariates ``Z`` for the regression bias adjustment, and
returns the estimate with Matching's two standard errors:

* ``std_error`` -- Abadie-Imbens (2006) ``se`` (``Var.calc = 0``), on the
  bias-adjusted contributions when ``bias_adjust=True`` (Matching's ``SCAUS``);
* ``std_error_standard`` -- Matching's ``se.standard``: the usual weighted SE of the
  unadjusted matched differences, treating the matched sets as fixed.

Bias adjustment (Abadie & Imbens 2011): regress ``Y`` on ``[1, Z]`` among the matched
(non-focal) units, weighted by ``K`` (how often each is used, counting ``1/|set|``);
every matched outcome is moved to its focal unit's covariates,
``Y_m + (Z_f - Z_m)' beta``. It lives in ``effects`` (not ``design``) because it
changes the point estimate: it is an estimator on a matched design, not a design.
Formulas: ``docs/designs.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin, jsonable
from evaltool.effects.design import focal_columns
from evaltool.estimand import Estimand
from evaltool.exceptions import EstimationError

__all__ = ["MatchingEstimate", "matching_estimate", "ai_from_rows", "bias_coefficients"]

_CCC = float(np.sqrt(np.finfo(float).eps))  # Matching's `tolerance`


def ai_from_rows(tau: np.ndarray, focal: np.ndarray, matched: np.ndarray, w: np.ndarray,
                 n: int) -> tuple[float, float]:
    """Estimate and Abadie-Imbens (2006) variance from per-row contrasts (``Var.calc = 0``).

    ``tau`` is the (possibly bias-adjusted) contrast of each match row, ``w`` its weight
    (summing to 1 within a focal unit's set), ``focal``/``matched`` unit positions < ``n``.
    """
    est = float(w @ tau / w.sum())
    sigs = 0.5 * float(w @ (tau - est) ** 2) / w.sum()
    set_size = np.bincount(focal, minlength=n).astype(float)
    share = 1.0 / set_size[focal]
    k = np.bincount(matched, weights=share, minlength=n)
    kk = np.bincount(matched, weights=share * share, minlength=n)
    wsum = np.bincount(focal, weights=w, minlength=n)
    tsum = np.bincount(focal, weights=w * tau, minlength=n)
    has = set_size > 0
    scaus = tsum[has] / wsum[has]
    sn = float(has.sum())
    var = (sigs * float(np.sum(k * k - kk)) + float(np.sum((scaus - est) ** 2))) / sn**2
    return est, var


def bias_coefficients(y: np.ndarray, Z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Slopes of the ``k``-weighted regression of ``y`` on ``[1, Z]`` (Matching's ``Alphac``).

    As Matching, a ridge ``ccc * max(sd of weighted columns)`` is added to the normal
    equations only when their smallest eigenvalue is at most ``ccc`` (1.49e-8).
    """
    X = np.column_stack([np.ones(len(y)), Z])
    xw = X * np.sqrt(k)[:, None]
    xtx = xw.T @ xw
    if float(np.linalg.eigvalsh(xtx).min()) <= _CCC:
        xtx = xtx + np.eye(X.shape[1]) * _CCC * float(xw.std(axis=0, ddof=1).max())
    try:
        beta = np.linalg.solve(xtx, xw.T @ (y * np.sqrt(k)))
    except np.linalg.LinAlgError:
        raise EstimationError("bias_adjust: the regression of the outcome on `covariates` among "
                              "matched units is singular; drop collinear covariates") from None
    return beta[1:]


@dataclass(frozen=True, repr=False)
class MatchingEstimate(ResultMixin):
    """The matching estimate of one outcome with Matching's standard errors."""

    outcome: str
    estimand: Estimand
    estimate: float
    std_error: float
    std_error_standard: float
    estimate_noadj: float
    bias_adjust: bool
    covariates: tuple[str, ...]
    n_focal: int
    n_rows: int

    _title = "Matching estimate"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "covariates"}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "outcome": self.outcome, "estimand": self.estimand.value, "estimate": self.estimate,
            "std_error": self.std_error, "std_error_standard": self.std_error_standard,
            "estimate_noadj": self.estimate_noadj, "bias_adjust": self.bias_adjust,
            "covariates": list(self.covariates), "n_focal": self.n_focal, "n_rows": self.n_rows,
        })

    def __repr__(self) -> str:
        return (f"MatchingEstimate({self.estimand.value}, {self.outcome!r}, "
                f"estimate={self.estimate:.4g}, se={self.std_error:.4g}, "
                f"bias_adjust={self.bias_adjust}, n_focal={self.n_focal})")


def matching_estimate(design: Any, outcome: str, *, bias_adjust: bool = False,
                      covariates: list[str] | tuple[str, ...] | None = None) -> MatchingEstimate:
    """Matching estimate (optionally bias-adjusted) with Abadie-Imbens and standard SEs.

    Parameters
    ----------
    design : Design
        A matched design with ``pairs()`` (e.g. ``match(..., replace=True, ties=True)``),
        estimand ATT or ATC.
    outcome : str
        Numeric outcome column of ``design.data``.
    bias_adjust : bool
        Abadie-Imbens (2011) regression bias adjustment on ``covariates``.
    covariates : list of str, optional
        Covariate terms (evaltool's grammar) for the adjustment; required with
        ``bias_adjust=True``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evaltool.design.matching import match
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"t": np.r_[np.ones(20), np.zeros(40)].astype(int),
    ...                   "x": rng.normal(size=60)})
    >>> d["y"] = d.x + d.t + rng.normal(size=60)
    >>> m = match(d, "t", ["x"], replace=True, ties=True)
    >>> r = matching_estimate(m, "y", bias_adjust=True, covariates=["x"])
    >>> r.bias_adjust, r.n_focal
    (True, 20)
    """
    from evaltool.terms import design_matrix

    if not isinstance(bias_adjust, bool):
        raise EstimationError(f"`bias_adjust` must be True or False; got {bias_adjust!r}")
    est = Estimand.parse(design.estimand)
    if est not in (Estimand.ATT, Estimand.ATM, Estimand.ATC):
        raise EstimationError(f"matching_estimate needs an ATT or ATC matched design; got "
                              f"{est.value}")
    if outcome not in design.data.columns:
        raise EstimationError(f"`outcome` {outcome!r} is not a column of the design's data")
    if bias_adjust and not covariates:
        raise EstimationError("`bias_adjust=True` needs `covariates` (the Z of the adjustment); "
                              "got none")
    pairs = design.pairs()
    if len(pairs) == 0:
        raise EstimationError("matching_estimate needs matched sets (design.pairs()); got none")
    index = design.data.index
    fcol, mcol = focal_columns(est)
    f = index.get_indexer(pairs[fcol])
    m = index.get_indexer(pairs[mcol])
    y = pd.to_numeric(design.data[outcome], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(y[np.r_[f, m]]).all():
        raise EstimationError(f"`outcome` {outcome!r} has missing or non-numeric values among "
                              "matched units; drop them before matching")
    w = pairs["weight"].to_numpy(dtype=float)
    w = w / pd.Series(w).groupby(f).transform("sum").to_numpy()
    sign = -1.0 if est is Estimand.ATC else 1.0
    raw = y[f] - y[m]
    n = len(index)
    tau = raw.copy()
    cov_names: tuple[str, ...] = ()
    if bias_adjust:
        cov_names = tuple(covariates)
        Z = design_matrix(design.data, cov_names, intercept=False)[0].to_numpy(dtype=float)
        if len(np.unique(f)) <= Z.shape[1]:
            raise EstimationError(f"bias_adjust: {len(np.unique(f))} matched sets for "
                                  f"{Z.shape[1]} covariate columns; use fewer covariates")
        share = 1.0 / np.bincount(f, minlength=n)[f]
        k = np.bincount(m, weights=share, minlength=n)
        beta = bias_coefficients(y, Z, k)
        tau = raw - (Z[f] - Z[m]) @ beta
    e, var = ai_from_rows(tau, f, m, w, n)
    # se.standard: treated-minus-control raw differences with the row weights
    v1 = sign * raw
    mest = float(w @ v1 / w.sum())
    se_std = float(np.sqrt(np.sum((v1 - mest) ** 2 * w) / w.sum() ** 2))
    if not np.isfinite(var) or var <= 0:
        raise EstimationError("matching_estimate: the Abadie-Imbens variance is not positive")
    return MatchingEstimate(outcome=outcome, estimand=est, estimate=sign * e,
                            std_error=float(np.sqrt(var)), std_error_standard=se_std,
                            estimate_noadj=mest, bias_adjust=bias_adjust, covariates=cov_names,
                            n_focal=int(np.unique(f).size), n_rows=int(f.size))
