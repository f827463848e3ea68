"""Covariate balance before and after a design, computed apart from display.

The statistics are MatchIt 4.7.2's ``summary(m, un = TRUE)`` (``bal1var``):

* means: weighted means per group (unweighted before);
* SMD: (mean_t - mean_c) / s, with ``s`` fixed in the unmatched sample by the
  estimand: treated SD for ATT/ATM, control SD for ATC, ``sqrt((v1 + v0) / 2)``
  for ATE/ATO. Binary (0/1) variables use ``p(1 - p)`` as variance, other
  variables the n - 1 variance. Differences below ``sqrt(machine eps)`` are
  reported unstandardised, as MatchIt does;
* variance ratio (treated / control) with reliability weights, not for binary;
* eCDF mean and max: mean and maximum absolute difference of the weighted
  empirical CDFs (for binary variables both equal |mean difference|);
* Std. Pair Dist.: mean |x_t - x_c| over matched pairs (``pairs()``), divided by ``s``.

Rows are ``distance`` (when the design has one) and the design-matrix columns
with every level of a categorical covariate shown.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_number
from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.estimand import Estimand
from evaltool.exceptions import BalanceWarning, EvaltoolError
from evaltool.terms import design_matrix

__all__ = ["BalanceResult", "balance", "ess"]

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_STATS = ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max")


def ess(w: np.ndarray) -> float:
    """Effective sample size sum(w)^2 / sum(w^2) (0 for no positive weight)."""
    w = np.asarray(w, dtype=float)
    s2 = float((w * w).sum())
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


@dataclass(frozen=True)
class BalanceResult(ResultMixin):
    """Balance table of a design.

    Attributes
    ----------
    table : DataFrame
        One row per term (see :meth:`to_frame`).
    sample_sizes : DataFrame
        Rows ``All (ESS)``, ``All``, ``Matched (ESS)``, ``Matched``, ``Unmatched``,
        ``Discarded``; columns ``control``, ``treated`` (MatchIt's ``nn``).
    estimand : Estimand
        The design's estimand (sets the SMD denominator).
    threshold : float
        |SMD| above which a covariate is flagged after adjustment.

    Examples
    --------
    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> bal = evaltool.balance(evaltool.match(persons, "outreach", ["age", "prior_support_share"]))
    >>> bal.sample_sizes.loc["Matched"].tolist()  # control, treated
    [104.0, 104.0]
    """

    table: pd.DataFrame
    sample_sizes: pd.DataFrame
    estimand: Estimand
    threshold: float

    _title = "Covariate balance"

    def __repr__(self) -> str:
        smd = self.table["smd_after"].abs() if "smd_after" in self.table else None
        worst = f", max |SMD| after {float(smd.max()):.3f}" if smd is not None and smd.notna().any() else ""
        flagged = int(self.table["flag"].sum()) if "flag" in self.table else 0
        return (f"BalanceResult({self.estimand.value}, {len(self.table)} terms{worst}, "
                f"{flagged} above {self.threshold:g})")

    @property
    def flagged(self) -> tuple[str, ...]:
        """Covariates with |SMD| > threshold after adjustment."""
        return tuple(self.table.loc[self.table["flag"], "term"])

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: term, type, the six statistics ``*_before`` and ``*_after``,
        ``std_pair_dist_after`` and ``flag``."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimand": self.estimand.value,
            "threshold": self.threshold,
            "flagged": list(self.flagged),
            "table": frame_records(self.table),
            "sample_sizes": {str(k): jsonable(v) for k, v in self.sample_sizes.to_dict("index").items()},
        }

    def summary(self) -> str:
        body = super().summary()
        sizes = self.sample_sizes.to_string(float_format="{:.4g}".format)
        return f"{body}\n\nSample sizes\n{sizes}"


def balance(design: Any, covariates: Sequence[str] | None = None, threshold: float = 0.1) -> BalanceResult:
    """Balance before/after a design (matching or weighting).

    Parameters
    ----------
    design : object
        Anything with ``data``, ``treat``, ``weights``, ``estimand``,
        ``covariates`` and ``distance`` (``MatchResult``, weighting designs);
        ``pairs()`` and ``discarded`` are used when present.
    covariates : sequence of str, optional
        Terms to show; default ``design.covariates``.
    threshold : float, default 0.1
        |SMD| after adjustment above which a covariate is flagged; a
        :class:`~evaltool.exceptions.BalanceWarning` lists the flagged covariates.

    Returns
    -------
    BalanceResult
        The balance table (:meth:`~BalanceResult.to_frame`) and sample sizes.

    Examples
    --------
    Standardized mean differences before and after matching (the SMD denominator follows
    the design's estimand):

    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> evaltool.balance(design).to_frame()[["term", "smd_before", "smd_after"]].round(2)
                      term  smd_before  smd_after
    0             distance        0.78       0.07
    1                  age       -0.18      -0.08
    2  prior_support_share        0.86       0.02
    """
    check_number("threshold", threshold, low=0, low_open=True)
    for attr in ("data", "treat", "weights", "estimand"):
        if not hasattr(design, attr):
            raise EvaltoolError(f"`design` must have data, treat, weights and estimand; "
                                f"{type(design).__name__} has no {attr!r}")
    data = design.data
    terms = list(covariates if covariates is not None else getattr(design, "covariates", ()))
    if not terms:
        raise EvaltoolError("`covariates` must name at least one term (the design has none)")
    X, names = design_matrix(data, terms, intercept=False, all_levels=True)
    t = design.treat.reindex(data.index).to_numpy(dtype=int)
    w = design.weights.reindex(data.index).to_numpy(dtype=float)
    est = Estimand.parse(design.estimand)
    columns: list[tuple[str, np.ndarray]] = []
    distance = getattr(design, "distance", None)
    if distance is not None:
        columns.append(("distance", pd.Series(distance).reindex(data.index).to_numpy(dtype=float)))
    columns += [(n, X[n].to_numpy()) for n in names]
    pairs = _pair_positions(design)
    rows = []
    for name, x in columns:
        rows.append(_row(name, x, t, w, est, pairs))
    table = pd.DataFrame(rows)
    covariate_rows = table["term"] != "distance" if distance is not None else np.ones(len(table), bool)
    table["flag"] = covariate_rows & (table["smd_after"].abs() > threshold)
    table["flag"] = table["flag"].astype(bool)
    result = BalanceResult(table=table, sample_sizes=_sample_sizes(design, t, w),
                           estimand=est, threshold=float(threshold))
    if result.flagged:
        shown = ", ".join(f"{r.term} ({r.smd_after:+.3f})" for r in table[table["flag"]].itertuples())
        warnings.warn(f"|SMD| > {threshold} after adjustment for: {shown}", BalanceWarning, stacklevel=2)
    return result


def _pair_positions(design: Any) -> tuple[np.ndarray, np.ndarray] | None:
    pairs_fn = getattr(design, "pairs", None)
    if not callable(pairs_fn):
        return None
    p = pairs_fn()
    if p is None or len(p) == 0:
        return None
    idx = design.data.index
    return idx.get_indexer(p["treated"]), idx.get_indexer(p["control"])


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    w = w / w.sum()
    m = float((w * x).sum())
    if binary:
        return m * (1 - m)
    denom = 1 - float((w * w).sum())
    return float((w * (x - m) ** 2).sum() / denom) if denom > 0 else float("nan")


def _denominator(v1: float, v0: float, n1: int, n0: int, est: Estimand, binary: bool) -> float:
    """The SMD denominator from the unweighted variances ``v1``, ``v0`` of the treated and controls."""
    if est in (Estimand.ATT, Estimand.ATM):
        s = np.sqrt(v1)
    elif est is Estimand.ATC:
        s = np.sqrt(v0)
    else:
        s = np.sqrt((v1 + v0) / 2)
    if not np.isfinite(s) or s < _SQRT_EPS:
        s = np.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2)) if not binary else np.sqrt((v1 + v0) / 2)
    return float(s)


@dataclass(frozen=True)
class _Sorted:
    """One covariate in sorted order (stable), shared by the eCDF statistics before and after."""

    order: np.ndarray
    first: np.ndarray  # rows (in sorted order) of the group of the first sorted unit
    last_of_value: np.ndarray  # the last row of each distinct value

    @classmethod
    def of(cls, x: np.ndarray, t: np.ndarray) -> "_Sorted":
        order = np.argsort(x, kind="stable")
        ts = t[order]
        return cls(order, ts == ts[0], np.append(np.diff(x[order]) != 0, True))


def _ecdf(groups: tuple[np.ndarray, np.ndarray], w: np.ndarray, xs: _Sorted) -> tuple[float, float]:
    # zero-weight units stay: their values are evaluation points, as in MatchIt's qqsum
    w = w.astype(float).copy()
    for m in groups:  # controls, treated
        w[m] = w[m] / w[m].sum()
    ws = w[xs.order]
    signed = np.where(xs.first, -ws, ws)
    cum = np.abs(np.cumsum(signed))
    e = cum[xs.last_of_value]
    return float(e.mean()), float(e.max())


def _stats(x: tuple[np.ndarray, np.ndarray], groups: tuple[np.ndarray, np.ndarray], w: np.ndarray, s: float,
           binary: bool, xs: _Sorted | None, var: tuple[float, float] | None = None) -> dict[str, float]:
    """Statistics of one covariate, ``x`` = (controls' values, treated values) and ``groups`` their masks,
    with weights ``w``; ``var`` = the groups' weighted variances if known."""
    (x0, x1), (i0, i1) = x, groups
    w1, w0 = w[i1], w[i0]
    m1 = float((x1 * w1).sum() / w1.sum())
    m0 = float((x0 * w0).sum() / w0.sum())
    diff = m1 - m0
    smd = diff / s if abs(diff) > _SQRT_EPS else diff
    if binary:
        vr, e_mean, e_max = float("nan"), abs(diff), abs(diff)
    else:
        v1, v0 = (_wvar(x1, w1, False), _wvar(x0, w0, False)) if var is None else var
        vr = v1 / v0
        e_mean, e_max = _ecdf(groups, w, xs)
    return {"mean_treated": m1, "mean_control": m0, "smd": smd, "var_ratio": vr,
            "ecdf_mean": e_mean, "ecdf_max": e_max}


def _row(name: str, x: np.ndarray, t: np.ndarray, w: np.ndarray, est: Estimand,
         pairs: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any]:
    binary = bool(np.all((x == 0) | (x == 1)))
    groups = (t == 0, t == 1)
    parts = (x[groups[0]], x[groups[1]])
    one = np.ones(x.size)
    v1 = _wvar(parts[1], one[groups[1]], binary)  # unweighted variances: the SMD denominator, the ratio before
    v0 = _wvar(parts[0], one[groups[0]], binary)
    s = _denominator(v1, v0, parts[1].size, parts[0].size, est, binary)
    xs = None if binary else _Sorted.of(x, t)
    before = _stats(parts, groups, one, s, binary, xs, (v1, v0))
    after = _stats(parts, groups, w, s, binary, xs) if (w[t == 1] > 0).any() and (w[t == 0] > 0).any() \
        else dict.fromkeys(_STATS, float("nan"))
    row: dict[str, Any] = {"term": name, "type": "binary" if binary else "continuous"}
    row.update({f"{k}_before": v for k, v in before.items()})
    row.update({f"{k}_after": v for k, v in after.items()})
    pd_ = float("nan")
    if pairs is not None:
        pt, pc = pairs
        mp = float(np.abs(x[pt] - x[pc]).mean())
        diff = after["mean_treated"] - after["mean_control"]
        pd_ = mp / s if abs(diff) > _SQRT_EPS and abs(mp) > 1e-8 else mp
    row["std_pair_dist_after"] = pd_
    return row


def _sample_sizes(design: Any, t: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    disc = getattr(design, "discarded", None)
    disc = np.zeros(t.size, bool) if disc is None else \
        pd.Series(disc).reindex(design.data.index).fillna(False).to_numpy(dtype=bool)
    out = {}
    for name, g in (("control", 0), ("treated", 1)):
        m = t == g
        out[name] = {
            "All (ESS)": ess(np.ones(int(m.sum()))), "All": float(m.sum()),
            "Matched (ESS)": ess(w[m]), "Matched": float((w[m] > 0).sum()),
            "Unmatched": float((m & (w == 0) & ~disc).sum()), "Discarded": float((m & disc).sum()),
        }
    return pd.DataFrame(out)[["control", "treated"]]
