"""Shared preparation for every matching method: distance, discard, exact strata, caliper.

Works on numpy arrays, so a pyarrow Table is prepared without pandas.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaltool._arrow import to_numpy
from evaltool._checks import check_columns
from evaltool.estimand import Estimand
from evaltool.exceptions import DataError, DataWarning, MatchingError
from evaltool.specs.matching import MatchSpec
from evaltool.design.propensity import PropensityResult, fit_propensity_on, treatment_array
from evaltool.terms import is_arrow, level_codes, n_missing, parse_term

__all__ = ["Prepared", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """Everything a matching method needs, as arrays in data row order."""

    treat: np.ndarray
    is_focal: np.ndarray
    focal_name: str
    other_name: str
    covariates: tuple[str, ...]
    distance: np.ndarray | None
    score: np.ndarray | None
    propensity: PropensityResult | None
    discarded: np.ndarray
    strata: np.ndarray
    width: float | None


def prepare(data: Any, treatment: str, covariates: tuple[str, ...], spec: MatchSpec) -> Prepared:
    """Fit or read the distance, apply ``discard`` and exact strata, compute the caliper width."""
    treat = treatment_array(data, treatment)
    needed = [c for t in covariates for c in parse_term(t).columns]
    check_columns(data, dict.fromkeys(needed), what="covariate column")
    focal_value = 0 if spec.estimand is Estimand.ATC else 1
    is_focal = treat == focal_value
    names = ("control", "treated") if focal_value == 0 else ("treated", "control")
    propensity: Any = None
    distance = None
    if spec.uses_propensity:
        model = "logit" if isinstance(spec.distance, str) else spec.distance
        propensity = fit_propensity_on(data, treatment, treat, covariates, model=model)
        distance = propensity.score_values
    elif not spec.is_mahalanobis:
        distance = _score_column(data, spec.distance)
    score = None
    if distance is not None:
        score = distance
        if spec.caliper_scale == "logit":
            score = propensity.logit_values
        _check_overlap(score, is_focal, names)
    discarded = _discard(distance, is_focal, spec.discard)
    width = None
    if spec.caliper is not None:
        width = spec.caliper
        if spec.std_caliper:
            # MatchIt's process.caliper: the SD over the units `discard` keeps, before exact strata
            # without a partner are set aside (they are unmatched, not discarded, in MatchIt)
            width = spec.caliper * float(np.std(score[~discarded], ddof=1))
    strata = np.zeros(len(data), dtype=np.int64)
    if spec.exact:
        strata, discarded = _exact_strata(data, spec.exact, is_focal, discarded, names)
    return Prepared(treat=treat, is_focal=is_focal, focal_name=names[0], other_name=names[1],
                    covariates=covariates, distance=distance, score=score, propensity=propensity,
                    discarded=discarded, strata=strata, width=width)


def _check_overlap(score: np.ndarray, is_focal: np.ndarray, names: tuple[str, str]) -> None:
    f, c = score[is_focal], score[~is_focal]
    if f.min() > c.max() or c.min() > f.max():
        raise MatchingError(
            f"no overlap: the distance of the {names[0]} units lies in [{f.min():.4g}, {f.max():.4g}] "
            f"and of the {names[1]} units in [{c.min():.4g}, {c.max():.4g}]; the groups share no "
            f"common support, so no comparison is possible"
        )


def _score_column(data: Any, col: str) -> np.ndarray:
    """A precomputed distance column as floats; missing or non-numeric values are an error."""
    check_columns(data, [col], what="distance column (or use 'glm'/'mahalanobis')")
    if is_arrow(data):
        raw = to_numpy(data.column(col))
        try:
            values = raw.astype(float)
        except (TypeError, ValueError):
            values = np.array([_to_float(v) for v in raw.tolist()])
        bad = int(np.isnan(values).sum()) + (0 if raw.dtype.kind == "f" else n_missing(data, col))
    else:
        import pandas as pd

        values = pd.to_numeric(data[col], errors="coerce").astype(float).to_numpy()
        bad = int(np.isnan(values).sum())
    if bad:
        raise DataError(f"distance column {col!r} has {bad} missing or non-numeric value(s)")
    return values


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _discard(distance: np.ndarray | None, is_focal: np.ndarray, how: str) -> np.ndarray:
    """MatchIt common-support discard on the distance (range of the other group)."""
    out = np.zeros(is_focal.size, dtype=bool)
    if how == "none" or distance is None:
        return out
    d = distance
    f, c = d[is_focal], d[~is_focal]
    if how in ("treated", "both"):
        out |= is_focal & ((d < c.min()) | (d > c.max()))
    if how in ("control", "both"):
        out |= ~is_focal & ((d < f.min()) | (d > f.max()))
    return out


def _exact_strata(data: Any, exact: tuple[str, ...], is_focal: np.ndarray,
                  discarded: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Stratum code of every row: the combinations of the exact columns, numbered in
    sorted order (levels as :mod:`evaltool.terms` orders them)."""
    check_columns(data, exact, what="exact-matching column")
    bad = [c for c in exact if n_missing(data, c)]
    if bad:
        raise DataError(f"exact-matching column(s) {', '.join(map(repr, bad))} have missing values")
    codes = np.zeros(is_focal.size, dtype=np.int64)
    for c in exact:
        col_codes, levels = level_codes(data.column(c) if is_arrow(data) else data[c])
        codes = codes * max(len(levels), 1) + col_codes
        codes = np.unique(codes, return_inverse=True)[1].reshape(-1).astype(np.int64)
    n_strata = int(codes.max()) + 1
    focal_n = np.bincount(codes[is_focal & ~discarded], minlength=n_strata)
    other_n = np.bincount(codes[~is_focal & ~discarded], minlength=n_strata)
    lacking = (focal_n == 0) | (other_n == 0)
    orphan = np.flatnonzero((focal_n > 0) & (other_n == 0))
    if orphan.size:
        first_rows = {code: int(np.flatnonzero(codes == code)[0]) for code in orphan.tolist()}
        shown = "; ".join(
            ", ".join(f"{c}={_value_at(data, c, first_rows[code])!r}" for c in exact)
            + f" ({int(focal_n[code])} {names[0]})" for code in orphan.tolist()[:10])
        warnings.warn(f"exact stratum without {names[1]} units: {shown}; these {names[0]} units "
                      f"cannot be matched and are discarded", DataWarning, stacklevel=6)
    discarded = discarded | lacking[codes]
    return codes, discarded


def _value_at(data: Any, col: str, row: int) -> Any:
    return data.column(col)[row].as_py() if is_arrow(data) else data[col].iloc[row]
