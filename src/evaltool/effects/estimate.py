"""``estimate(design, outcomes, ...)``: effects with honest uncertainty."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._blas import limit_blas
from evaltool.effects.covariates import covariate_matrix
from evaltool.effects.design import Design, Sample, build_sample, count_units
from evaltool.effects.estimators import Difference, Regression
from evaltool.effects.multiple import adjust_pvalues
from evaltool.effects.result import EFFECT_COLUMNS, TEST_COLUMNS, EffectResult, empty_frame
from evaltool.effects.strategy import EffectProblem, VarianceStrategy
from evaltool.effects.subgroups import subgroup_levels, wald_equal_effects
from evaltool.effects.variance import variance_strategy
from evaltool.estimand import Estimand
from evaltool.exceptions import DataWarning, EstimationError
from evaltool.specs.effects import EffectsSpec

__all__ = ["estimate"]


def _outcome_frame(design: Design, outcomes: str | Sequence[str] | pd.DataFrame) -> pd.DataFrame:
    data = design.data
    if isinstance(outcomes, pd.DataFrame):
        frame = outcomes
        if not frame.index.is_unique:
            raise EstimationError("the outcomes frame has a non-unique index; it must be indexed "
                                  "like design.data (one row per person)")
        if not frame.index.equals(data.index):  # (indexed like design.data: nothing to check or align)
            in_design = design.weights.reindex(data.index).fillna(0).to_numpy() > 0
            lacking = ~data.index[in_design].isin(frame.index)
            if lacking.any():
                raise EstimationError(f"the outcomes frame lacks {int(lacking.sum())} units of the design; "
                                      "index it like design.data")
            frame = frame.reindex(data.index)
    else:
        names = [outcomes] if isinstance(outcomes, str) else list(outcomes)
        missing = [n for n in names if n not in data.columns]
        if missing:
            avail = ", ".join(map(str, list(data.columns)[:20]))
            raise EstimationError(f"outcome {', '.join(map(repr, missing))} not found in design.data; "
                                  f"available: {avail}")
        frame = data.loc[:, names]
    if frame.shape[1] == 0:
        raise EstimationError("`outcomes` names no outcome")
    if frame.columns.duplicated().any():
        raise EstimationError("`outcomes` has duplicate names")
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if not pd.api.types.is_numeric_dtype(s):
            raise EstimationError(f"outcome {col!r} must be numeric; got dtype {s.dtype}")
        out[str(col)] = pd.to_numeric(s, errors="coerce").astype(float)
    return pd.DataFrame(out, index=data.index)


def _is_binary(y: np.ndarray) -> bool:
    v = y[np.isfinite(y)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


#: memory for estimation rows, their factorisations and cluster indexes kept across the outcomes of one
#: ``estimate`` call
ROWS_CACHE_BYTES = 256 * 2 ** 20


@dataclass(frozen=True)
class _Rows:
    """Estimation rows, the outcome-free QR factorisation of the effect model on them, and what the
    effect row needs of them whatever the outcome (treated rows, arm weights and unit counts)."""

    sample: Sample
    factor: Any
    pos1: np.ndarray  # design.data positions of the treated rows
    pos0: np.ndarray
    w1: np.ndarray  # weights of the treated rows
    w0: np.ndarray
    w1_sum: float
    w0_sum: float
    n_treated: int
    n_control: int

    @property
    def nbytes(self) -> int:
        """The factorisation's memory plus the bin indexes the cluster sandwich may keep (one per
        combination of cluster dimensions, :meth:`~evaltool.effects.design.ClusterTerm.index`)."""
        n_terms = 2 ** len(self.sample.clusters) - 1
        return int(self.factor.nbytes) + self.sample.n * self.factor.X.shape[1] * 8 * n_terms

    @classmethod
    def of(cls, sample: Sample, factor: Any) -> "_Rows":
        t1 = sample.treat == 1
        w1, w0 = sample.weight[t1], sample.weight[~t1]
        return cls(sample, factor, sample.pos[t1], sample.pos[~t1], w1, w0, w1.sum(), w0.sum(),
                   count_units(sample.pos[t1 & (sample.weight > 0)]),
                   count_units(sample.pos[~t1 & (sample.weight > 0)]))


def _rows(base: Sample, Z: np.ndarray | None, estimator: Any, mask: np.ndarray, outcome: str,
          cache: dict[bytes, Any] | None) -> _Rows:
    """The estimation rows of ``mask`` and the outcome-free QR factorisation of the effect model on them.

    Outcomes with the same usable units (and subgroup level) share them: the same rows, the same
    factorisation, so the same numbers as refitting, without a QR per outcome.
    """
    key = mask.tobytes()
    if cache is not None and key in cache:
        return cache[key]
    sample = base.restrict(mask)
    if sample.n == 0:
        raise EstimationError(f"outcome {outcome!r}: no usable units")
    factor = estimator.factor(sample.treat, sample.weight, None if Z is None else Z[sample.pos])
    rows = _Rows.of(sample, factor)
    if cache is not None and sum(r.nbytes for r in cache.values()) + rows.nbytes <= ROWS_CACHE_BYTES:
        for a in (*sample.clusters, sample.pos, sample.treat, sample.weight, factor.X, factor.w,
                  rows.pos1, rows.pos0, rows.w1, rows.w0):
            a.flags.writeable = False  # shared by outcomes: nobody may change them
        cache[key] = rows
    return rows


def _effect_row(design: Design, base: Sample, y: np.ndarray, Z: np.ndarray | None, estimator: Any,
                strategy: VarianceStrategy, mask: np.ndarray, *, outcome: str, scale: float,
                names: dict[str, Any], settings: dict[str, Any],
                cache: dict[bytes, Any] | None = None) -> dict[str, Any]:
    rows = _rows(base, Z, estimator, mask, outcome, cache)
    sample = rows.sample
    yr = y[sample.pos]
    fit = estimator.fit(yr, sample.treat, sample.weight, None, rows.factor)  # the factor holds the covariates
    problem = EffectProblem(design, sample, y, Z, estimator, fit, mask, **settings)
    ve = strategy.compute(problem)
    ve = _not_estimable_if_degenerate(ve, yr, outcome, names)
    m1 = float(rows.w1 @ y[rows.pos1] / rows.w1_sum)  # weighted means by arm
    m0 = float(rows.w0 @ y[rows.pos0] / rows.w0_sum)
    est = fit.estimate
    return {
        "outcome": outcome, "subgroup": names.get("subgroup"), "level": names.get("level"),
        "estimand": names["estimand"], "method": estimator.name, "variance": strategy.name,
        "estimate": est * scale if np.isfinite(ve.std_error) else np.nan, "std_error": ve.std_error * scale,
        "ci_low": ve.ci_low * scale, "ci_high": ve.ci_high * scale,
        "p_value": ve.p_value, "p_value_adj": ve.p_value,
        "mean_treated": m1 * scale, "mean_control": m0 * scale,
        "relative_change": None if m0 == 0 else est / m0,
        "n_treated": rows.n_treated, "n_control": rows.n_control,
        "unit": "pp" if scale == 100.0 else "level",
    }


#: a standard error at most this fraction of the outcome's scale (SD or largest |value|) is degenerate
DEGENERATE_SE = 1e-9


def _not_estimable_if_degenerate(ve: Any, y: np.ndarray, outcome: str, names: dict[str, Any]) -> Any:
    """NaN inference (and a :class:`DataWarning`) when the SE is ~0 relative to the outcome scale.

    A zero SE (e.g. every unit has the same outcome) would print "CI 0.0 to 0.0" with a meaningless
    p-value; the effect is reported as not estimable instead.
    """
    if not np.isfinite(ve.std_error):
        return ve
    finite = y if np.isfinite(y).all() else y[np.isfinite(y)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    if ve.std_error > 2 * DEGENERATE_SE * largest:  # the SD is at most the largest |value|: no need for it
        return ve
    scale = max(float(np.std(finite)), largest) if finite.size else 0.0
    if ve.std_error > DEGENERATE_SE * scale:
        return ve
    where = f"outcome {outcome!r}" + (f", subgroup {names['subgroup']}={names['level']}"
                                      if names.get("subgroup") is not None else "")
    warnings.warn(f"{where}: not estimable (the standard error is 0 relative to the outcome scale, e.g. every "
                  "unit has the same outcome); estimate, CI and p-value left empty", DataWarning, stacklevel=3)
    nan = float("nan")
    return dataclasses.replace(ve, std_error=nan, ci_low=nan, ci_high=nan, p_value=nan)


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    if not rows:
        return empty_frame(columns)
    return pd.DataFrame(rows).loc[:, list(columns)]


def estimate(design: Design, outcomes: str | Sequence[str] | pd.DataFrame, method: str = "difference",
             variance: str | VarianceStrategy | None = None, subgroups: Sequence[str] | None = None,
             adjust: str = "holm", covariates: Sequence[str] | None = None, seed: int | None = None,
             n_boot: int = 999, alpha: float = 0.05, n_jobs: int = 1,
             ps_adjust: bool = False, percent: Sequence[str] | None = None) -> EffectResult:
    """Estimate effects of a design on one or more outcomes, with honest uncertainty.

    Parameters
    ----------
    design : Design
        A matching or weighting design (e.g. ``evaltool.match(...)``); the estimand is
        read from it. Nothing in it is modified.
    outcomes : str, list of str or DataFrame
        Outcome column(s) of ``design.data``, or a frame of outcome columns indexed
        like ``design.data`` (register-derived outcomes). Missing values drop the unit
        for that outcome (with a ``DataWarning``).
    method : {"difference", "regression"}
        Difference in weighted means, or regression adjustment on ``covariates``
        with treatment x centred-covariate interactions.
    variance : str or VarianceStrategy, optional
        ``"cluster"``, ``"hc1"``, ``"hc3"``, ``"abadie_imbens"``, ``"bootstrap"`` (or an
        alias); default ``design.default_variance``.
    subgroups : list of str, optional
        Columns of ``design.data``; effects within each level plus a Wald test of
        equal effects across levels.
    adjust : {"holm", "bh", "none"}
        Multiple-testing adjustment across the outcome family.
    covariates : list of str, optional
        Covariate terms for ``method="regression"`` (ignored by ``"difference"``).
    seed : int, optional
        Seed of the bootstrap.
    n_boot : int
        Bootstrap replications.
    alpha : float
        1 - confidence level.
    n_jobs : int
        Parallel jobs of the bootstrap (results do not depend on it).
    ps_adjust : bool
        Abadie-Imbens (2016) adjustment for the estimated propensity score
        (``variance="abadie_imbens"`` only).
    percent : list of str, optional
        Outcomes that are proportions in [0, 1] (e.g. a share of weeks): reported in
        percent and percentage points (unit ``"pp"``), as binary outcomes always are.

    Returns
    -------
    EffectResult
        One row per outcome (and subgroup level) with estimate, ``std_error``, ``conf_int``
        bounds, p-values (raw and adjusted) and group means.

    Raises
    ------
    ConfigError
        Bad arguments or combinations (the rules of :class:`evaltool.specs.EffectsSpec`,
        the same a config's ``effects:`` section is checked against).
    EstimationError
        An effect whose standard error cannot be computed, or outcomes that do not fit.

    Examples
    --------
    The ATT of outreach on meetings held and sanctions, with pair-clustered standard errors
    (the default without replacement) and Holm-adjusted p-values:

    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> res = evaltool.estimate(design, ["meetings_held", "sanctions"])
    >>> res.to_frame()[["outcome", "estimate", "std_error", "p_value_adj"]].round(2)
             outcome  estimate  std_error  p_value_adj
    0  meetings_held      5.26       0.51         0.00
    1      sanctions     -0.12       0.10         0.25
    >>> res.estimand.value, res.variance
    ('ATT', 'cluster')
    """
    # one BLAS thread for the whole estimation: the last digits of a matrix product depend on the number
    # of BLAS threads, and results must not depend on the executor (worker processes run one thread)
    with limit_blas(1):
        return _estimate(design, outcomes, method, variance, subgroups, adjust, covariates, seed, n_boot,
                         alpha, n_jobs, ps_adjust, percent)


def _estimate(design: Design, outcomes: str | Sequence[str] | pd.DataFrame, method: str,
              variance: str | VarianceStrategy | None, subgroups: Sequence[str] | None, adjust: str,
              covariates: Sequence[str] | None, seed: int | None, n_boot: int, alpha: float, n_jobs: int,
              ps_adjust: bool, percent: Sequence[str] | None) -> EffectResult:
    """The body of :func:`estimate` (arguments as there)."""
    if not isinstance(design, Design):
        raise EstimationError(f"`design` must provide data, treat, weights, subclass, estimand, "
                              f"pairs() ...; got {type(design).__name__}")
    spec = EffectsSpec(method=method, variance=variance, ps_adjust=ps_adjust, adjust=adjust,
                       covariates=covariates, n_boot=n_boot, alpha=alpha, n_jobs=n_jobs,
                       seed=seed).resolve(design.default_variance)
    est_value = Estimand.parse(design.estimand)
    strategy = variance_strategy(spec.variance, **({"ps_adjust": True} if spec.ps_adjust else {}))
    estimator = Difference() if method == "difference" else Regression(est_value)
    frame = _outcome_frame(design, outcomes)
    base = build_sample(design, unit_rows=strategy.unit_rows)
    in_design = np.zeros(len(design.data), dtype=bool)
    in_design[base.pos] = True
    Z = None
    if method == "regression":
        rows = design.data.iloc[np.flatnonzero(in_design)]
        Zd = covariate_matrix(rows, list(spec.covariates)).to_numpy(dtype=float)
        Z = np.full((len(design.data), Zd.shape[1]), np.nan)
        Z[in_design] = Zd
    percent = set(percent or ())
    unknown = percent - {str(c) for c in frame.columns}
    if unknown:
        raise EstimationError(f"`percent` names outcomes that are not estimated: {sorted(unknown)}")
    groups = list(subgroups or [])
    for g in groups:
        if g not in design.data.columns:
            avail = ", ".join(map(str, list(design.data.columns)[:20]))
            raise EstimationError(f"subgroup {g!r} not found in design.data; available: {avail}")
    settings = {"alpha": spec.alpha, "seed": spec.seed, "n_boot": spec.n_boot, "n_jobs": spec.n_jobs}
    label = {"estimand": est_value.value}
    main, sub, tests = [], [], []
    level_cache: dict[str, dict] = {g: {} for g in groups}  # levels and their masks, shared by the outcomes
    wald_cache: dict[str, dict] = {g: {} for g in groups}  # the rows and QR of each variable's Wald test
    rows_cache: dict[bytes, Any] = {}
    for outcome in frame.columns:
        y = frame[outcome].to_numpy(dtype=float)
        mask = np.isfinite(y)
        lost = int((in_design & ~mask).sum())
        if lost:
            warnings.warn(f"outcome {outcome!r}: {lost} units of the design have no value and are "
                          "left out", DataWarning, stacklevel=3)
        if outcome in percent:
            v = y[in_design & mask]
            if v.size and (v.min() < 0 or v.max() > 1):
                raise EstimationError(f"outcome {outcome!r} is listed in `percent` but has values outside "
                                      f"[0, 1] (min {v.min():g}, max {v.max():g})")
        scale = 100.0 if outcome in percent or _is_binary(y[in_design]) else 1.0
        main.append(_effect_row(design, base, y, Z, estimator, strategy, mask, outcome=outcome,
                                scale=scale, names=label, settings=settings, cache=rows_cache))
        for g in groups:
            levels = subgroup_levels(design.data[g], base, mask, g, outcome, level_cache[g])
            for level, lmask in levels:
                sub.append(_effect_row(design, base, y, Z, estimator, strategy, lmask, outcome=outcome,
                                       scale=scale, names={**label, "subgroup": g, "level": level},
                                       settings=settings, cache=rows_cache))
            if len(levels) >= 2:
                try:
                    stat, df, p = wald_equal_effects(base, y, [m for _, m in levels], cache=wald_cache[g])
                except EstimationError as exc:  # one failed test must not abort the study
                    warnings.warn(f"subgroup {g!r}, outcome {outcome!r}: test of equal effects not "
                                  f"available ({exc})", DataWarning, stacklevel=3)
                    stat, df, p = float("nan"), len(levels) - 1, float("nan")
                tests.append({"variable": g, "outcome": outcome, "statistic": stat, "df": df, "p_value": p})
            else:
                warnings.warn(f"subgroup {g!r}, outcome {outcome!r}: fewer than 2 levels with enough "
                              "units; no test of equal effects", DataWarning, stacklevel=3)
    effects = _frame(main, EFFECT_COLUMNS)
    effects["p_value_adj"] = adjust_pvalues(effects["p_value"].to_numpy(dtype=float), adjust)
    subs = _frame(sub, EFFECT_COLUMNS)
    if len(subs):
        keys = subs["subgroup"].astype(str) + "\x1f" + subs["level"].astype(str)
        adj = np.empty(len(subs))
        for _, idx in subs.groupby(keys, sort=False).indices.items():
            adj[idx] = adjust_pvalues(subs["p_value"].to_numpy(dtype=float)[idx], adjust)
        subs["p_value_adj"] = adj
    return EffectResult(effects=effects, subgroups=subs, subgroup_tests=_frame(tests, TEST_COLUMNS),
                        estimand=est_value, method=method, variance=strategy.name, adjust=adjust,
                        alpha=spec.alpha, seed=spec.seed)
