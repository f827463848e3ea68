"""Effects within subgroup levels and Wald tests of equal effects across levels."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool.effects.design import Sample, count_units, dense_codes
from evaltool.effects.estimators import wls, wls_factor
from evaltool.effects.variance import cluster_vcov
from evaltool.exceptions import DataWarning, EstimationError

__all__ = ["subgroup_levels", "wald_equal_effects"]

MIN_PER_ARM = 2


def subgroup_levels(values: pd.Series, sample: Sample, base_mask: np.ndarray,
                    variable: str, outcome: str, cache: dict | None = None) -> list[tuple[Any, np.ndarray]]:
    """Levels of ``variable`` with at least 2 treated and 2 control units in the sample.

    Returns ``(level, unit_mask)`` pairs in level order (the categories' order for a
    categorical column, e.g. age bands; sorted otherwise); skipped levels are reported
    with a :class:`~evaltool.exceptions.DataWarning`. ``cache`` (a dict kept by the caller for one
    variable and one ``sample``) holds the levels and their unit masks across outcomes.
    """
    cache = {} if cache is None else cache
    if "levels" not in cache:
        cache["levels"] = _levels(values, sample)
        cache["values"] = values.to_numpy()
    key = ("mask", base_mask.tobytes())
    if key not in cache:  # outcomes with the same usable units share the level masks and counts
        cache[key] = [(level, *_level_counts(cache, level, base_mask, sample)) for level in cache["levels"]]
    out = []
    for level, mask, n1, n0 in cache[key]:
        if n1 < MIN_PER_ARM or n0 < MIN_PER_ARM:
            warnings.warn(f"subgroup {variable}={level!r}, outcome {outcome!r}: {n1} treated and {n0} "
                          f"control units (< {MIN_PER_ARM} in an arm); level skipped",
                          DataWarning, stacklevel=4)
            continue
        out.append((_plain(level), mask))
    return out


def _level_counts(cache: dict, level: Any, base_mask: np.ndarray, sample: Sample) -> tuple[np.ndarray, int, int]:
    """The unit mask of ``level`` within ``base_mask`` and its numbers of treated and control units."""
    if ("eq", level) not in cache:
        cache[("eq", level)] = cache["values"] == level
    mask = base_mask & cache[("eq", level)]
    mask.flags.writeable = False  # shared by the outcomes
    rows = mask[sample.pos] & (sample.weight > 0)
    n1 = count_units(sample.pos[rows & (sample.treat == 1)])
    n0 = count_units(sample.pos[rows & (sample.treat == 0)])
    return mask, n1, n0


def _levels(values: pd.Series, sample: Sample) -> list[Any]:
    present = pd.unique(values.iloc[sample.pos].dropna())
    if isinstance(values.dtype, pd.CategoricalDtype):
        seen = set(present)
        return [c for c in values.cat.categories if c in seen]
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def wald_equal_effects(sample: Sample, y: np.ndarray, level_masks: list[np.ndarray],
                       vcov: Callable[..., np.ndarray] = cluster_vcov,
                       cache: dict | None = None) -> tuple[float, int, float]:
    """Wald test that the treatment effect is equal across levels.

    Fits ``y ~ 0 + level + treat:level`` by WLS with the design weights on the rows of
    the kept levels, with the cluster-robust covariance of the sample's clusters, and
    tests ``beta[treat:level_l] = beta[treat:level_1]`` for all ``l`` (chi-squared,
    ``levels - 1`` df). ``cache`` (a dict kept by the caller for one ``sample``) shares the
    rows, design matrix and QR factorisation among outcomes with the same rows in the same levels.

    Returns
    -------
    (statistic, df, p_value)
    """
    L = len(level_masks)
    if L < 2:
        raise EstimationError("a Wald test of equal effects needs at least 2 levels")
    level_of = np.full(y.size, -1)
    for j, m in enumerate(level_masks):
        level_of[m] = j
    lev = level_of[sample.pos]
    lev[~np.isfinite(y[sample.pos])] = -1  # rows kept: in a level, outcome observed
    key = (L, lev.tobytes())
    if cache is None or key not in cache:
        keep = lev >= 0
        sub = Sample(sample.pos[keep], sample.treat[keep], sample.weight[keep],
                     tuple(dense_codes(c[keep]) for c in sample.clusters), sample.kind)
        D = (lev[keep][:, None] == np.arange(L)[None, :]).astype(float)
        X = np.column_stack([D, D * sub.treat[:, None]])  # level intercepts, level effects
        entry = (sub, wls_factor(X, sub.weight))
        if cache is not None:
            cache.clear()  # one entry: the outcomes of a study share their rows, or not at all
            cache[key] = entry
    else:
        entry = cache[key]
    sub, factor = entry
    fit = wls(factor.X, y[sub.pos], sub.weight, factor)
    V = vcov(fit, sub.clusters, terms=sub.cluster_terms) if vcov is cluster_vcov else vcov(fit, sub.clusters)
    R = np.zeros((L - 1, 2 * L))
    for j in range(1, L):
        R[j - 1, L] = -1.0
        R[j - 1, L + j] = 1.0
    diff = R @ fit.beta
    middle = R @ V @ R.T
    scale = max(1.0, float(np.abs(middle).max())) if middle.size else 1.0
    if not np.all(np.isfinite(middle)) or np.linalg.matrix_rank(middle, tol=1e-12 * scale) < L - 1:
        raise EstimationError("the Wald test of equal subgroup effects is singular "
                              "(no variation in the outcome or too few clusters per level)")
    try:
        stat = float(diff @ np.linalg.solve(middle, diff))
    except np.linalg.LinAlgError:
        raise EstimationError("the Wald test of equal subgroup effects is singular "
                              "(too few clusters per level)") from None
    return stat, L - 1, float(stats.chi2.sf(stat, L - 1))
