"""Time to event: weighted Kaplan-Meier by group, medians, Cox model and effects by week k.

Standard errors come from influence functions summed within clusters (matched pairs or
subclasses), so they are honest for matched designs:

* Kaplan-Meier ``S(t)``: ``IF_i(t) = -S(t) [dN_i/(Y-d) at T_i <= t  -  sum_{s <= min(T_i,t)} d(s)/(Y(s)(Y(s)-d(s)))]``
  with weighted ``Y`` (at risk) and ``d`` (events); ``Var = sum_clusters (sum_i w_i IF_i)^2``.
  Unweighted and without clusters this is Greenwood's formula.
* Effect by week k: ``(1 - S_T(k)) - (1 - S_C(k))`` with the same cluster sum over both groups.
* Median: first week with ``S <= 0.5``; its CI is the set of event weeks where a log-log test of
  ``S(t) = 0.5`` is not rejected, up to the next event week (Brookmeyer-Crowley; as statsmodels
  ``quantile_ci(method='cloglog')`` and SAS LIFETEST); an open upper limit is ``None``.
* Cox: one binary regressor, Breslow ties, weighted partial likelihood; robust (Lin-Wei) variance
  clustered like above. Unweighted it equals statsmodels ``PHReg(...).fit(groups=...)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._checks import check_number
from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import ConvergenceWarning, EstimationError

__all__ = ["kaplan_meier", "cox", "time_to_event", "TimeToEventResult"]

GROUPS = {1: "treated", 0: "comparison"}


def _arrays(time, event, weights=None, cluster=None, group=None):
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    n = len(t)
    if len(e) != n:
        raise EstimationError("`time` and `event` must have the same length")
    if n == 0:
        raise EstimationError("time-to-event data are empty")
    if np.isnan(t).any() or (t < 0).any():
        raise EstimationError("`time` must be non-negative with no missing values")
    if not np.isin(e, (0, 1)).all():
        raise EstimationError("`event` must be 0/1")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != n or not np.isfinite(w).all() or (w < 0).any():
        raise EstimationError("`weights` must be finite, >= 0 and as long as `time`")
    g = None if group is None else np.asarray(group)
    return t, e.astype(bool), w, _cluster_codes(cluster, n), g


def _cluster_codes(cluster, n: int) -> np.ndarray:
    """Cluster codes in order of appearance (each unit its own cluster without ``cluster``; units with
    a missing cluster each their own, numbered after the others)."""
    if cluster is None:
        return np.arange(n)
    codes, _ = pd.factorize(pd.Series(np.asarray(cluster)), use_na_sentinel=True)
    return np.where(codes < 0, codes.max(initial=-1) + 1 + np.arange(n), codes)


class _KM:
    """Weighted Kaplan-Meier of one group with influence functions."""

    def __init__(self, t: np.ndarray, e: np.ndarray, w: np.ndarray) -> None:
        self.t, self.e, self.w = t, e, w
        self.times = np.unique(t)
        order = np.searchsorted(self.times, t)
        self.d = np.bincount(order, weights=w * e, minlength=len(self.times))
        self.d_n = np.bincount(order, weights=e.astype(float), minlength=len(self.times))
        at = np.bincount(order, weights=w, minlength=len(self.times))
        cnt = np.bincount(order, minlength=len(self.times))
        self.y = np.cumsum(at[::-1])[::-1]
        self.y_n = np.cumsum(cnt[::-1])[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(self.y > 0, self.d / self.y, 0.0)
            self.s = np.cumprod(1 - frac)
            step = np.where(self.y - self.d > 0, self.d / (self.y * (self.y - self.d)), np.nan)
        self.step = np.where(self.d > 0, step, 0.0)
        self.h = np.cumsum(self.step)
        self.pos = order  # each unit's own time: times[pos] == t
        with np.errstate(divide="ignore", invalid="ignore"):
            self.jump = np.where(e, 1.0 / (self.y - self.d)[order], 0.0)

    def at(self, k: float) -> tuple[float, int]:
        """S at week k and the index of the last time <= k (-1 if none)."""
        j = int(np.searchsorted(self.times, k, side="right")) - 1
        return (1.0 if j < 0 else float(self.s[j])), j

    def influence(self, k: float) -> np.ndarray:
        s, j = self.at(k)
        if j < 0:
            return np.zeros(len(self.t))
        if np.isnan(self.h[j]):
            return np.full(len(self.t), np.nan)
        # the units' own times are indices into ``times``: no search per k
        jump = np.where(self.pos <= j, self.jump, 0.0)
        return -s * (jump - self.h[np.minimum(self.pos, j)])


def _cluster_var(contrib: np.ndarray, cl: np.ndarray) -> float:
    if np.isnan(contrib).any():
        return float("nan")
    return float((np.bincount(cl, weights=contrib) ** 2).sum())


#: elements (time points x units) of the influence functions :func:`_km_std_errors` holds at once
SE_BLOCK = 2 ** 21


def _km_std_errors(km: _KM, w: np.ndarray, cl: np.ndarray) -> np.ndarray:
    """Standard error of ``S(t)`` at every time of ``km``: ``sqrt(_cluster_var(w * km.influence(t), cl))``
    for a block of times at once (the same products, each cluster adding its units in the same order,
    each time's squares summed as one array, so the same numbers as one time after another).

    When every cluster has exactly one of the units (matched pairs within an arm, or no clusters) a
    cluster's sum is its unit's contribution: the units are put in cluster order once instead of
    summing by cluster at every time.
    """
    n, nt = len(km.t), len(km.times)
    out = np.empty(nt)
    if n == 0 or nt == 0:
        return out
    g = int(cl.max()) + 1
    step = max(1, SE_BLOCK // n)
    # influence(times[j]) = -S_j * bracket: units with pos <= j have jump - h[pos], the others 0 - h[j]
    pos, own, later = km.pos, km.jump - km.h[km.pos], 0.0 - km.h
    one_each = g == n and int(np.bincount(cl, minlength=g).max()) == 1
    if one_each:
        order = np.empty(n, dtype=np.intp)
        order[cl] = np.arange(n)  # the unit of each cluster
        pos, own, w = pos[order], own[order], w[order]
    else:
        index = (np.arange(min(step, nt))[:, None] * g + cl).ravel()  # (time in block, cluster) bins
    for lo in range(0, nt, step):
        js = np.arange(lo, min(lo + step, nt))
        contrib = np.where(pos <= js[:, None], own, later[js][:, None])
        np.multiply(-km.s[js][:, None], contrib, out=contrib)
        np.multiply(w, contrib, out=contrib)
        # a NaN contribution makes its cluster's sum and so the variance NaN, as _cluster_var returns
        # (a sum of one contribution is the contribution, up to the sign of a zero, which squares away)
        sums = contrib if one_each else \
            np.bincount(index[:contrib.size], weights=contrib.ravel(), minlength=js.size * g).reshape(js.size, g)
        var = np.square(sums, out=sums).sum(axis=1)
        var[np.isnan(km.h[js])] = np.nan
        out[js] = np.sqrt(var)
    return out


def kaplan_meier(time, event, group=None, weights=None, cluster=None) -> pd.DataFrame:
    """Weighted Kaplan-Meier curves by group.

    Parameters
    ----------
    time : array-like
        Weeks to event or censoring.
    event : array-like of 0/1
    group : array-like, optional
        Group labels (1/0 become ``treated``/``comparison``); default one group ``all``.
    weights : array-like, optional
    cluster : array-like, optional
        Cluster ids (matched pair/subclass) for the standard errors.

    Returns
    -------
    DataFrame
        ``group, week, survival, std_error, at_risk, events, n_at_risk`` with a first row at week 0
        (survival 1); ``at_risk`` and ``events`` are weighted, ``n_at_risk`` is a head count.
    """
    t, e, w, cl, g = _arrays(time, event, weights, cluster, group)
    labels = np.zeros(len(t), dtype=int) if g is None else g
    groups = []
    for lab in _group_order(labels):
        m = labels == lab
        km = _KM(t[m], e[m], w[m])
        groups.append(("all" if g is None else GROUPS.get(lab, str(lab)), km, _km_std_errors(km, w[m], cl[m])))
    return _km_frame(groups)


def _km_frame(groups: list[tuple[str, _KM, np.ndarray]]) -> pd.DataFrame:
    """The frame of :func:`kaplan_meier` from ``(group name, fit, standard errors)``."""
    rows = []
    for name, km, se in groups:
        rows.append({"group": name, "week": 0.0, "survival": 1.0, "std_error": 0.0,
                     "at_risk": float(km.w.sum()), "events": 0.0, "n_at_risk": len(km.t)})
        for j, tt in enumerate(km.times):
            rows.append({"group": name, "week": float(tt), "survival": float(km.s[j]), "std_error": float(se[j]),
                         "at_risk": float(km.y[j]), "events": float(km.d[j]), "n_at_risk": int(km.y_n[j])})
    return pd.DataFrame(rows, columns=["group", "week", "survival", "std_error", "at_risk", "events", "n_at_risk"])


def _group_order(labels: np.ndarray) -> list:
    u = list(pd.unique(labels))
    return sorted(u, key=lambda v: (0 if v == 1 else 1 if v == 0 else 2, str(v)))


def _median(km: _KM, std_errors: np.ndarray, z: float) -> dict[str, float | None]:
    """Median and its CI from a fit and the standard errors of ``S`` at its times (:func:`_km_std_errors`)."""
    ev = km.d > 0
    times, s = km.times[ev], km.s[ev]
    se = std_errors[ev]
    with np.errstate(divide="ignore", invalid="ignore"):
        se_g = se / (s * np.abs(np.log(s)))
        dist = np.abs(np.log(-np.log(s)) - np.log(-np.log(0.5)))
    inside = np.flatnonzero(np.isfinite(dist) & np.isfinite(se_g) & (dist <= z * se_g))
    hit = np.flatnonzero(s <= 0.5)
    high = None
    if inside.size and inside[-1] + 1 < len(times):
        high = float(times[inside[-1] + 1])
    return {"median": float(times[hit[0]]) if hit.size else None,
            "ci_low": float(times[inside[0]]) if inside.size else None, "ci_high": high}


def cox(time, event, treat, weights=None, cluster=None, alpha: float = 0.05) -> dict[str, float | None]:
    """Cox proportional hazards with one binary regressor (treatment), Breslow ties, weighted.

    Returns
    -------
    dict
        ``hazard_ratio, ci_low, ci_high, p_value, coef, std_error`` (robust, clustered).
    """
    t, e, w, cl, _ = _arrays(time, event, weights, cluster)
    z = np.asarray(treat, dtype=float)
    times = np.unique(t[e])
    nan = {"hazard_ratio": None, "ci_low": None, "ci_high": None, "p_value": None, "coef": None, "std_error": None}
    if times.size == 0 or not np.isin(z, (0, 1)).all() or z[w > 0].min() == z[w > 0].max():
        warnings.warn("Cox model not estimable (no events or one group only)", ConvergenceWarning, stacklevel=2)
        return nan
    pos = np.searchsorted(times, t)
    on_time = pos < len(times)
    pos_c = np.minimum(pos, len(times) - 1)
    hit = on_time & e & (times[pos_c] == t)
    dj = np.bincount(pos_c[hit], weights=w[hit], minlength=len(times))
    d1 = np.bincount(pos_c[hit], weights=(w * z)[hit], minlength=len(times))
    # at risk at times[j]: T_i >= times[j]  <=>  j <= last index with times <= T_i
    last = np.searchsorted(times, t, side="right") - 1
    ok = last >= 0
    r_all = np.cumsum(np.bincount(last[ok], weights=w[ok], minlength=len(times))[::-1])[::-1]
    r1 = np.cumsum(np.bincount(last[ok], weights=(w * z)[ok], minlength=len(times))[::-1])[::-1]
    r0 = r_all - r1
    beta = 0.0
    for _ in range(100):
        eb = np.exp(beta)
        p = eb * r1 / (r0 + eb * r1)
        score = float((d1 - dj * p).sum())
        info = float((dj * p * (1 - p)).sum())
        if info <= 0 or not np.isfinite(info):
            break
        step = score / info
        beta += float(np.clip(step, -5, 5))
        if abs(step) < 1e-12:
            break
    eb = np.exp(beta)
    s0 = r0 + eb * r1
    p = eb * r1 / s0
    info = float((dj * p * (1 - p)).sum())
    if not np.isfinite(beta) or abs(beta) > 20 or info <= 0:
        warnings.warn("Cox model did not converge (separation?)", ConvergenceWarning, stacklevel=2)
        return nan
    dlam = dj / s0
    a_cum = np.cumsum(dlam)
    b_cum = np.cumsum(p * dlam)
    a_i = np.where(ok, a_cum[np.maximum(last, 0)], 0.0)
    b_i = np.where(ok, b_cum[np.maximum(last, 0)], 0.0)
    p_i = np.where(hit, p[pos_c], 0.0)
    resid = np.where(e, z - p_i, 0.0) - np.exp(beta * z) * (z * a_i - b_i)
    meat = _cluster_var(w * resid, cl)
    se = float(np.sqrt(meat) / info)
    q = stats.norm.ppf(1 - alpha / 2)
    return {"hazard_ratio": float(eb), "ci_low": float(np.exp(beta - q * se)), "ci_high": float(np.exp(beta + q * se)),
            "p_value": float(2 * stats.norm.sf(abs(beta / se))) if se > 0 else None,
            "coef": float(beta), "std_error": se}


@dataclass(frozen=True)
class TimeToEventResult(ResultMixin):
    """Kaplan-Meier curves, medians, Cox hazard ratio and effects on P(event by week k)."""

    outcome: str
    km: pd.DataFrame
    median: pd.DataFrame
    cox: dict[str, Any]
    by_week: pd.DataFrame
    n: dict[str, int] = field(default_factory=dict)
    alpha: float = 0.05

    _title = "Time to event"

    def __repr__(self) -> str:
        n = ", ".join(f"{k}={v}" for k, v in list(self.n.items())[:4])
        hr = self.cox.get("hazard_ratio") if isinstance(self.cox, dict) else None
        hr_text = f", HR {float(hr):.3f}" if isinstance(hr, (int, float)) else ""
        return f"TimeToEventResult({self.outcome!r}; {n}{hr_text}; {len(self.by_week)} week(s) compared)"

    def to_frame(self) -> pd.DataFrame:
        """Effects on the probability of the event by week k (percentage-point scale is the caller's)."""
        return self.by_week.assign(outcome=self.outcome)[["outcome", "week", "estimate", "std_error",
                                                          "ci_low", "ci_high", "p_value",
                                                          "share_treated", "share_control"]]

    def to_dict(self) -> dict[str, Any]:
        km = self.km[["group", "week", "survival", "at_risk", "events", "std_error", "n_at_risk"]]
        return {"outcome": self.outcome, "km": frame_records(km), "median": frame_records(self.median),
                "cox": jsonable({k: self.cox[k] for k in ("hazard_ratio", "ci_low", "ci_high", "p_value",
                                                          "coef", "std_error")}),
                "by_week": frame_records(self.by_week), "n": jsonable(self.n), "alpha": self.alpha}


def time_to_event(time, event, treat, weights=None, cluster=None, *, outcome: str = "time_to_event",
                  weeks=(26, 52, 104), alpha: float = 0.05) -> TimeToEventResult:
    """Duration analysis of a ``time_to`` outcome in a (matched or weighted) design.

    Parameters
    ----------
    time, event : array-like or Series
        Weeks to the first event or censoring, and 0/1 event indicator.
    treat : array-like of 0/1
    weights : array-like, optional
        Design weights.
    cluster : array-like, optional
        Pair/subclass ids; the standard errors are cluster-robust.
    outcome : str
    weeks : sequence of int
        Weeks k for the effect on the probability of the event by week k.
    alpha : float

    Returns
    -------
    TimeToEventResult
    """
    check_number("alpha", alpha, low=0, high=0.5, low_open=True, exc=EstimationError)
    t, e, w, cl, _ = _arrays(time, event, weights, cluster)
    z = np.asarray(treat)
    if len(z) != len(t) or not np.isin(z, (0, 1)).all():
        raise EstimationError("`treat` must be 0/1 and as long as `time`")
    q = float(stats.norm.ppf(1 - alpha / 2))
    fits = {g: _KM(t[z == g], e[z == g], w[z == g]) for g in (1, 0)}
    ses = {g: _km_std_errors(fits[g], w[z == g], cl[z == g]) for g in (1, 0)}
    # the curves cluster as kaplan_meier(t, e, z, w, cl) does: on cl coded again (the same codes unless
    # some clusters were missing)
    cl_km = _cluster_codes(cl, len(t))
    ses_km = ses if np.array_equal(cl_km, cl) else \
        {g: _km_std_errors(fits[g], w[z == g], cl_km[z == g]) for g in (1, 0)}
    km_frame = _km_frame([(GROUPS[g], fits[g], ses_km[g]) for g in _group_order(z)])
    med = [{"group": GROUPS[g], **_median(fits[g], ses[g], q)} for g in (1, 0)]
    rows = []
    for k in weeks:
        contrib = np.zeros(len(t))
        surv = {}
        for g, sign in ((1, -1.0), (0, 1.0)):
            m = z == g
            surv[g] = fits[g].at(k)[0]
            contrib[m] = sign * w[m] * fits[g].influence(k)
        est = surv[0] - surv[1]
        se = np.sqrt(_cluster_var(contrib, cl))
        pv = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else None
        rows.append({"week": int(k), "estimate": est, "std_error": se, "ci_low": est - q * se,
                     "ci_high": est + q * se, "p_value": pv, "share_treated": 1 - surv[1],
                     "share_control": 1 - surv[0]})
    by_week = pd.DataFrame(rows, columns=["week", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                                          "share_treated", "share_control"])
    return TimeToEventResult(outcome=outcome, km=km_frame, median=pd.DataFrame(med), cox=cox(t, e, z, w, cl, alpha),
                             by_week=by_week, n={"treated": int((z == 1).sum()), "control": int((z == 0).sum())},
                             alpha=alpha)
