"""Design adapters: matched sets of an outcome, and Rosenbaum bounds / E-values per outcome.

:func:`matched_sets` turns a matching design (``pairs()``) into a (sets x largest size) array
of an outcome, focal person first; :func:`rosenbaum_outcome` picks the statistic (McNemar for
binary outcomes on 1:1 pairs, Wilcoxon signed rank for other 1:1 outcomes, m-statistic for
k:1 and variable ratio) and evaluates it over a Gamma grid; :func:`evalue_outcome` converts an
effect row to the risk-ratio scale and returns its E-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltool.effects.design import Design, focal_columns
from evaltool.exceptions import EstimationError
from evaltool.sensitivity import evalue as ev
from evaltool.sensitivity import rosenbaum as rb

__all__ = ["matched_sets", "rosenbaum_outcome", "evalue_outcome", "is_binary"]


def is_binary(y: np.ndarray) -> bool:
    v = np.asarray(y, dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def matched_sets(design: Design, y: pd.Series) -> np.ndarray:
    """Outcome values by matched set: row = set, column 0 the focal (treated) person, then its
    matched persons; NaN pads smaller sets. Sets whose focal value is missing are dropped and
    missing matched values are left out of their set."""
    if not callable(getattr(design, "pairs", None)):
        raise EstimationError("Rosenbaum bounds need a matched design with pairs(); got a design without")
    pairs = design.pairs()
    if pairs.empty:
        raise EstimationError("the design has no matched sets")
    focal, other = focal_columns(design.estimand)
    yv = pd.Series(y).reindex(design.data.index)
    yf = yv.reindex(pairs[focal]).to_numpy(dtype=float)
    yo = yv.reindex(pairs[other]).to_numpy(dtype=float)
    sets = pd.factorize(pairs["subclass"])[0]
    ok = np.isfinite(yo)
    k = int(np.bincount(sets[ok]).max()) if ok.any() else 0
    out = np.full((int(sets.max()) + 1, k + 1), np.nan)
    first = ~pd.Series(sets).duplicated().to_numpy()
    out[sets[first], 0] = yf[first]
    slot = np.zeros(sets.size, dtype=np.int64)
    order = np.argsort(sets[ok], kind="stable")
    s_ok = sets[ok][order]
    starts = np.r_[0, np.flatnonzero(np.diff(s_ok)) + 1]
    run = np.arange(s_ok.size) - np.repeat(starts, np.diff(np.r_[starts, s_ok.size]))
    slot_ok = np.empty(s_ok.size, dtype=np.int64)
    slot_ok[order] = run + 1
    slot[ok] = slot_ok
    out[sets[ok], slot[ok]] = yo[ok]
    keep = np.isfinite(out[:, 0]) & (np.isfinite(out[:, 1:]).sum(axis=1) >= 1)
    if design.estimand.value == "ATC":
        out = -out  # focal persons are controls: orient as treated minus control
    return out[keep]


def rosenbaum_outcome(sets: np.ndarray, gammas: Sequence[float], *, alpha: float = 0.05,
                      trim: float = 3.0, inner: float = 0.0, lam: float = 0.5,
                      exact_max_pairs: int = 0, direction: int | None = None) -> dict[str, Any]:
    """Rosenbaum bounds of one outcome over ``gammas``.

    ``direction`` +1 tests for an increase, -1 for a decrease; default the sign of the mean
    treated-minus-control difference. Returns the method, the upper p-values, the critical Gamma
    (root of p(Gamma) = alpha), and for the Wilcoxon statistic the Hodges-Lehmann range per Gamma.
    """
    if sets.shape[0] < 2:
        raise EstimationError(f"Rosenbaum bounds need at least 2 matched sets; got {sets.shape[0]}")
    one_to_one = sets.shape[1] == 2
    diff_mean = float(np.nanmean(sets[:, 0] - np.nanmean(sets[:, 1:], axis=1)))
    sgn = direction if direction is not None else (1 if diff_mean >= 0 else -1)
    s = sets * sgn
    hl = None
    if one_to_one and is_binary(np.abs(sets)):
        d = s[:, 0] - s[:, 1]
        t, n = int((d > 0).sum()), int((d != 0).sum())
        method = "mcnemar"
        pfun = lambda g: rb.mcnemar_bound(t, n, g)  # noqa: E731
    elif one_to_one:
        d = s[:, 0] - s[:, 1]
        nz = int(np.count_nonzero(d))
        method = "wilcoxon_exact" if 0 < nz <= exact_max_pairs else "wilcoxon"
        if method == "wilcoxon_exact":
            pfun = lambda g: rb.wilcoxon_exact_bound(d, g)  # noqa: E731
        else:
            sums = rb.signed_rank_sums(d)  # ranked once for every Gamma
            pfun = lambda g: rb.wilcoxon_from_sums(sums, g)[1]  # noqa: E731
        hl = [[sgn * v for v in sorted(rb.hodges_lehmann_bounds(d, g), key=lambda x: sgn * x)]
              for g in gammas]
    else:
        scores = rb.m_scores(s, trim=trim, inner=inner, lam=lam)
        method = "m_statistic"
        pfun = lambda g: rb.m_statistic_bound(scores, g)[1]  # noqa: E731
    p_upper = [float(pfun(g)) for g in gammas]
    return {"method": method, "direction": "increase" if sgn > 0 else "decrease",
            "n_sets": int(sets.shape[0]), "gamma_critical": rb.critical_gamma(pfun, alpha),
            "gamma_grid": [float(g) for g in gammas], "p_upper": p_upper, "hl_interval": hl}


def evalue_outcome(row: pd.Series | dict[str, Any], y_control: np.ndarray | None = None,
                   w_control: np.ndarray | None = None) -> dict[str, Any]:
    """E-values of one effect row of :class:`evaltool.effects.EffectResult`.

    Binary / proportion outcomes (``unit == "pp"`` and both means in (0, 100]): risk ratio of the
    matched means, interval from the effect's CI with the control risk fixed. Other outcomes:
    standardized difference ``d = estimate / SD`` (SD of the outcome among the design's comparison
    persons, design-weighted), RR = exp(0.91 d), interval from the effect's CI on the same scale.
    """
    r = dict(row)
    est, lo, hi = (float(r[k]) for k in ("estimate", "ci_low", "ci_high"))
    if r.get("unit") == "pp":
        m1, m0 = float(r["mean_treated"]) / 100, float(r["mean_control"]) / 100
        rr, ci = ev.rr_from_means(m1, m0, (lo / 100, hi / 100))
        e = ev.evalue_rr(rr, ci)
        scale = "RR"
    else:
        if y_control is None or len(y_control) < 2:
            raise EstimationError(f"outcome {r.get('outcome')!r}: the E-value of a continuous outcome needs "
                                  "the comparison group's outcome values for its SD")
        w = np.ones(len(y_control)) if w_control is None else np.asarray(w_control, dtype=float)
        y = np.asarray(y_control, dtype=float)
        m = float(w @ y / w.sum())
        sd = math.sqrt(float(w @ (y - m) ** 2 / w.sum()))
        if sd == 0:
            raise EstimationError(f"outcome {r.get('outcome')!r}: the comparison group's SD is 0")
        to_rr = lambda v: math.exp(0.91 * v / sd)  # noqa: E731
        e = ev.evalue_rr(to_rr(est), (to_rr(lo), to_rr(hi)))
        scale = "SMD"
    return {"outcome": r.get("outcome"), "scale": scale, "rr": e.rr, "rr_low": e.rr_low,
            "rr_high": e.rr_high, "evalue": e.point, "evalue_ci": e.ci}
