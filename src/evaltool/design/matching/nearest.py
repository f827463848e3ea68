"""Greedy nearest-neighbour matching (MatchIt ``method = "nearest"``)."""

from __future__ import annotations

import warnings

from typing import Any

import numpy as np

from evaltool.estimand import Estimand
from evaltool.exceptions import DataWarning, EstimandWarning, MatchingError
from evaltool.design.matching._mahalanobis import (
    match_mahalanobis,
    pooled_within_cov,
    scan_positions,
    whiten,
)
from evaltool.design.matching._score import (
    Blocks,
    descending_stable,
    match_with_replacement,
    match_without_replacement,
    matching_scale,
    stable_argsort,
)
from evaltool.design.matching._arrays import MatchArrays
from evaltool.design.matching.distance import Prepared, prepare
from evaltool.design.matching.result import MatchResult, subclass_from_pairs, weights_from_pairs
from evaltool.specs.matching import MatchSpec
from evaltool.terms import design_array

__all__ = ["match_nearest"]


def match_nearest(data: Any, treatment: str, covariates: tuple[str, ...],
                  spec: MatchSpec) -> MatchResult:
    """Nearest-neighbour matching; see :func:`evaltool.design.matching.match` for the arguments."""
    prep = prepare(data, treatment, covariates, spec)
    n = len(data)
    elig_focal = np.flatnonzero(prep.is_focal & ~prep.discarded)
    elig_ctrl = np.flatnonzero(~prep.is_focal & ~prep.discarded)
    if elig_focal.size == 0 or elig_ctrl.size == 0:
        raise MatchingError(f"nothing to match: {elig_focal.size} eligible {prep.focal_name} and "
                            f"{elig_ctrl.size} eligible {prep.other_name} units after discard and "
                            f"exact strata")
    if not spec.replace and elig_ctrl.size < spec.ratio * elig_focal.size:
        warnings.warn(f"fewer {prep.other_name} units than the ratio requires: {elig_ctrl.size} "
                      f"eligible {prep.other_name} for {elig_focal.size} {prep.focal_name} x ratio "
                      f"{spec.ratio} = {spec.ratio * elig_focal.size}; some {prep.focal_name} units "
                      f"get fewer matches", DataWarning, stacklevel=4)
    # the stable sort of the score: the processing order and the score matching both read it
    by_pos = stable_argsort(prep.score) if prep.score is not None else None
    order = _processing_order(prep, elig_focal, spec, by_pos)
    if spec.is_mahalanobis or spec.mahvars is not None:
        sets = _run_mahalanobis(data, prep, order, elig_ctrl, spec)
    else:
        sets = _run_score(prep, order, elig_ctrl, spec, by_pos)
    return _assemble(data, treatment, covariates, spec, prep, order, sets, n)


def _processing_order(prep: Prepared, elig: np.ndarray, spec: MatchSpec,
                      by_pos: np.ndarray | None) -> np.ndarray:
    """Focal rows in the order they choose; ``by_pos`` is ``stable_argsort(prep.score)``.

    ``largest`` is ``elig[stable_argsort(-score[elig])]`` and ``smallest``
    ``elig[stable_argsort(score[elig])]`` (R's ``order()``), both read off ``by_pos``."""
    how = spec.order
    if how == "random":
        return np.random.default_rng(spec.seed).permutation(elig)
    if how in ("data", "closest") or prep.score is None:
        return elig
    is_elig = np.zeros(prep.score.size, dtype=bool)
    is_elig[elig] = True
    asc = by_pos[is_elig[by_pos]]
    return descending_stable(asc, prep.score) if how == "largest" else asc


def _run_score(prep: Prepared, order: np.ndarray, ctrl: np.ndarray, spec: MatchSpec,
               by_pos: np.ndarray):
    score, strata = prep.score, prep.strata
    gpos = np.empty(score.size, dtype=np.int64)
    gpos[by_pos] = np.arange(score.size)
    pad = spec.ratio if spec.replace else 1
    blocks = Blocks(score, gpos, ctrl, strata, pad=pad, by_pos=by_pos)
    right0 = blocks.insertion(order, gpos, strata)
    if spec.replace:
        return match_with_replacement(score, gpos, order, blocks, right0, spec.ratio, prep.width,
                                      ties=spec.ties, center=matching_scale(score))
    return match_without_replacement(score, gpos, order, blocks, right0, spec.ratio, prep.width,
                                     closest=spec.order == "closest")


def _run_mahalanobis(data: Any, prep: Prepared, order: np.ndarray, ctrl: np.ndarray,
                     spec: MatchSpec) -> np.ndarray:
    terms = spec.mahvars if spec.mahvars is not None else prep.covariates
    X = design_array(data, terms, intercept=False)[0]
    keep = ~prep.discarded
    cov = pooled_within_cov(X[keep], prep.is_focal[keep].astype(int))
    Z = whiten(X, cov)
    if spec.order == "closest":
        order = _closest_first(Z, order, ctrl, prep.strata)
    width = prep.width if spec.mahvars is not None else None
    scan_pos = scan_positions(X, prep.is_focal.astype(int), prep.discarded)
    out = match_mahalanobis(Z, order, ctrl, prep.strata, spec.ratio, spec.replace,
                            score=prep.score, width=width, scan_pos=scan_pos)
    return _Reordered(order, out)


class _Reordered:
    """Matches of a Mahalanobis run whose processing order was changed internally."""

    def __init__(self, order: np.ndarray, out: np.ndarray) -> None:
        self.order = order
        self.out = out


def _closest_first(Z: np.ndarray, order: np.ndarray, ctrl: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Focal units ordered by the distance to their nearest control (computed once)."""
    from scipy.spatial import cKDTree

    best = np.full(order.size, np.inf)
    for code in np.unique(strata[order]).tolist():
        c = ctrl[strata[ctrl] == code]
        if c.size == 0:
            continue
        sel = np.flatnonzero(strata[order] == code)
        best[sel] = cKDTree(Z[c]).query(Z[order[sel]], k=1)[0]
    return order[np.argsort(best, kind="stable")]


def _flatten(order: np.ndarray, sets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(focal row, matched row, slot) for every match."""
    if isinstance(sets, _Reordered):
        order, sets = sets.order, sets.out
    if isinstance(sets, list):
        lens = np.array([s.size for s in sets], dtype=np.int64)
        f = np.repeat(order, lens)
        m = np.concatenate(sets) if sets else np.empty(0, dtype=np.int64)
        slot = np.concatenate([np.arange(1, k + 1) for k in lens]) if lens.size else np.empty(0, np.int64)
        return f, m.astype(np.int64), slot.astype(np.int64)
    rows, cols = np.nonzero(sets >= 0)
    return order[rows], sets[rows, cols], cols + 1


def _assemble(data, treatment, covariates, spec, prep: Prepared, order, sets, n) -> MatchResult:
    f, m, slot = _flatten(order, sets)
    focal_all = np.flatnonzero(prep.is_focal)
    has_match = np.zeros(n, dtype=bool)
    has_match[f] = True
    n_matched_focal = int(np.count_nonzero(has_match))
    if n_matched_focal == 0:
        why = (f"no control lies within the caliper ({spec.caliper} SD = {prep.width:.4g} on the "
               f"{spec.caliper_scale} scale)" if prep.width is not None else "no eligible controls")
        raise MatchingError(f"no {prep.focal_name} unit could be matched: {why}; widen the caliper "
                            f"or check overlap")
    w = weights_from_pairs(n, f, m)
    k = max(int(slot.max()), spec.ratio)
    sub = None if spec.replace else subclass_from_pairs(n, f, m)
    estimand = spec.estimand
    n_unmatched = focal_all.size - n_matched_focal
    if n_unmatched:
        reason = "the caliper, discard rule or exact strata"
        if estimand is Estimand.ATT:
            estimand = Estimand.ATM
            warnings.warn(f"{n_unmatched} of {focal_all.size} treated units were not matched "
                          f"({reason}); the estimand is now ATM (the matched treated), not ATT",
                          EstimandWarning, stacklevel=5)
        else:
            warnings.warn(f"{n_unmatched} of {focal_all.size} control units were not matched "
                          f"({reason}); the ATC refers to the matched controls only",
                          EstimandWarning, stacklevel=5)
    arrays = MatchArrays(data, f, m, slot, k, w, sub, prep.distance, prep.discarded, prep.treat,
                         focal=0 if spec.estimand is Estimand.ATC else 1)
    return arrays.result(treatment, covariates, spec, estimand, prep.propensity)
