"""``run_sensitivity``: every analysis a :class:`SensitivitySpec` asks for, on one design and its effects."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool.effects import EffectResult
from evaltool.effects.design import Design, build_sample
from evaltool.exceptions import EstimationError
from evaltool.registers.outcomes import OutcomeSpec
from evaltool.sensitivity import cluster as cl
from evaltool.sensitivity.matched import evalue_outcome, matched_sets, rosenbaum_outcome
from evaltool.sensitivity.placebo import evaluate_placebos, placebo_start, pre_period_specs
from evaltool.sensitivity.result import SensitivityResult
from evaltool.sensitivity.spec import ClusterSpec, SensitivitySpec, parse_spec
from evaltool.sensitivity.speccurve import curve_summary, start_specification_curve

__all__ = ["run_sensitivity", "start_curve", "cluster_outcome"]


def _outcome(design: Design, data: pd.DataFrame | None, name: str) -> pd.Series:
    for frame in (data, design.data):
        if frame is not None and name in frame.columns:
            return pd.to_numeric(frame[name].reindex(design.data.index), errors="coerce").astype(float)
    raise EstimationError(f"outcome {name!r} not found in `data` or design.data")


def _column(design: Design, data: pd.DataFrame | None, name: str) -> pd.Series:
    for frame in (design.data, data):
        if frame is not None and name in frame.columns:
            return frame[name].reindex(design.data.index)
    raise EstimationError(f"cluster column {name!r} (sensitivity.cluster.by) not found in design.data or `data`")


def _t_ci(est: float, se: float, df: int, alpha: float) -> tuple[float, float, float]:
    q = stats.t.ppf(1 - alpha / 2, df)
    return est - q * se, est + q * se, float(2 * stats.t.sf(abs(est / se), df))


def cluster_outcome(design: Design, y: pd.Series, area: pd.Series, spec: ClusterSpec, *, seed: int,
                    alpha: float = 0.05, scale: float = 1.0, outcome: str = "y") -> tuple[list[dict], dict, list[str]]:
    """Area-clustered rows of one outcome (CR1, two-way with pair, wild cluster bootstrap,
    randomization), the headline choice and notes. CR1 intervals use t(G - 1) quantiles."""
    sample = build_sample(design)
    yv = y.to_numpy(dtype=float)[sample.pos] * scale
    ok = np.isfinite(yv)
    a = area.to_numpy()[sample.pos][ok]
    if pd.isna(a).any():
        raise EstimationError(f"cluster column {spec.by!r} has missing values for units in the design")
    yv, t, w, pair = yv[ok], sample.treat[ok], sample.weight[ok], sample.clusters[0][ok]
    X = np.column_stack([np.ones(t.size), t])
    codes = pd.factorize(pd.Series(a))[0]
    g = int(codes.max()) + 1
    g1 = int(np.unique(codes[t == 1]).size)
    fit = cl.fit_wls(yv, X, w)
    est = float(fit.beta[1])
    base = {"outcome": outcome, "n_treated_clusters": g1}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    se1 = math.sqrt(cl.cr1_vcov(fit, [codes])[1, 1])
    lo, hi, p = _t_ci(est, se1, g - 1, alpha)
    rows.append({**base, "se_type": "cr1", "estimate": est, "std_error": se1, "ci_low": lo, "ci_high": hi,
                 "p_value": p, "n_clusters": g})
    if spec.twoway_with_pair and sample.kind in ("subclass", "pairs"):
        v2 = float(cl.cr1_vcov(fit, [codes, pair])[1, 1])
        if v2 > 0:  # the inclusion-exclusion (CGM) variance can come out negative in small samples
            se2 = math.sqrt(v2)
            lo, hi, p = _t_ci(est, se2, g - 1, alpha)
            rows.append({**base, "se_type": "cr1_twoway", "estimate": est, "std_error": se2, "ci_low": lo,
                         "ci_high": hi, "p_value": p, "n_clusters": g})
        else:
            notes.append(f"{outcome}: the two-way (area and pair) variance is not positive here "
                         "(Cameron-Gelbach-Miller); that interval is not estimable")
    wb = cl.wild_cluster_bootstrap(yv, X, w, codes, n_boot=spec.n_boot, weights=spec.weights, seed=seed,
                                   alpha=alpha)
    rows.append({**base, "se_type": "wild_cluster_bootstrap", "estimate": est, "std_error": None,
                 "ci_low": wb.ci_low, "ci_high": wb.ci_high, "p_value": wb.p_value, "n_clusters": g})
    try:
        ri = cl.randomization_test(yv, t, w, codes, permutations=spec.permutations, seed=seed, alpha=alpha)
        rows.append({**base, "se_type": "randomization", "estimate": est, "std_error": None,
                     "ci_low": ri.ci_low, "ci_high": ri.ci_high, "p_value": ri.p_value, "n_clusters": g})
    except EstimationError as exc:
        notes.append(f"{outcome}: randomization inference not run: {exc}")
    se_type, reason = cl.headline_rule(g, g1)
    for r in rows:
        r["headline"] = r["se_type"] == se_type
    return rows, {"se_type": se_type, "reason": reason}, notes


def run_sensitivity(design: Design, effects: EffectResult, data: pd.DataFrame | None,
                    spec: SensitivitySpec | dict | None, seed: int, executor: Any = None, *,
                    outcome_specs: Sequence[OutcomeSpec] | None = None,
                    placebo_rerun: Callable[[int], EffectResult] | None = None,
                    started_curve: Callable[[], dict[str, pd.DataFrame]] | None = None) -> SensitivityResult:
    """Run the sensitivity analyses of ``spec`` for every main effect in ``effects``.

    Parameters
    ----------
    design : Design
        The matched design the effects were estimated on (``evaltool.match(...)``).
    effects : EffectResult
        Its effects (``evaltool.estimate(design, ...)``); one analysis row per outcome.
    data : DataFrame or None
        Outcome columns (and placebo outcome columns) indexed like ``design.data``; outcomes are
        otherwise read from ``design.data``.
    spec : SensitivitySpec or mapping
        What to run (the ``sensitivity:`` config section).
    seed : int
        Seed of the wild cluster bootstrap and sampled permutations.
    executor : object with ``map(fn, iterable)``, optional
        Runs the specification curve (default: sequential).
    outcome_specs : list of OutcomeSpec, optional
        Register definitions of the outcomes; pre-period placebos read columns named
        ``<name>_pre`` (derive them with ``pre_period_specs`` and ``registers.derive_outcomes``).
    placebo_rerun : callable, optional
        ``shift_weeks -> EffectResult`` re-running the design with the start moved back.
    started_curve : callable, optional
        The specification curve already handed to the executor (:func:`start_curve`); otherwise it is
        started first, so its designs run on the executor's workers during the other analyses.

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> from evaltool.design.matching import match
    >>> from evaltool.effects import estimate
    >>> from evaltool.simulate import simulate_study
    >>> p = simulate_study(n=800, seed=1, panel=False).persons.set_index("person_id")
    >>> p["y"] = p["prior_support_share"] + 0.2 * p["outreach"]
    >>> design = match(p, "outreach", ["age", "prior_support_share"])
    >>> res = run_sensitivity(design, estimate(design, "y"), None, {"evalue": False}, seed=1)
    >>> res.to_dict()["rosenbaum"][0]["method"]
    'wilcoxon'
    """
    spec = parse_spec(spec)
    if not isinstance(effects, EffectResult):
        raise EstimationError(f"`effects` must be an EffectResult; got {type(effects).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EstimationError(f"`seed` must be an integer >= 0; got {seed!r}")
    out: dict[str, Any] = {}
    notes: list[str] = []
    finish_curve = started_curve
    if finish_curve is None and spec.specification_curve is not None:
        finish_curve = start_curve(design, data, effects, spec, executor)
    rows = list(effects.effects.itertuples(index=False))
    gammas = spec.gamma_grid()
    sample = build_sample(design)
    paired = callable(getattr(design, "pairs", None)) and not design.pairs().empty
    if spec.rosenbaum and not paired:
        notes.append("Rosenbaum bounds need matched pairs; this design (weights or subclasses without pairs) "
                     "has none, so they are not computed")
    if spec.rosenbaum and paired:
        ros = []
        for r in rows:
            sets = matched_sets(design, _outcome(design, data, r.outcome))
            ros.append({"outcome": r.outcome, **rosenbaum_outcome(
                sets, gammas, alpha=spec.alpha, trim=spec.trim, inner=spec.inner, lam=spec.lam,
                exact_max_pairs=spec.exact_max_pairs)})
        out["rosenbaum"] = pd.DataFrame(ros)
    if spec.evalue:
        evs = []
        ctrl = sample.treat == 0
        for r in rows:
            y = _outcome(design, data, r.outcome).to_numpy(dtype=float)[sample.pos]
            keep = ctrl & np.isfinite(y)
            evs.append(evalue_outcome(r._asdict(), y[keep], sample.weight[keep]))
        out["evalue"] = pd.DataFrame(evs)
    out["placebo"] = pd.DataFrame(_placebos(design, data, spec, outcome_specs, placebo_rerun))
    if spec.cluster is not None:
        crows, heads = [], {}
        area = _column(design, data, spec.cluster.by)
        for i, r in enumerate(rows):
            pair_row = {"outcome": r.outcome, "se_type": "pair", "estimate": r.estimate,
                        "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
                        "p_value": r.p_value, "n_clusters": int(np.unique(sample.clusters[0]).size),
                        "n_treated_clusters": None, "headline": False}
            more, head, nn = cluster_outcome(design, _outcome(design, data, r.outcome), area, spec.cluster,
                                             seed=seed + i, alpha=spec.alpha,
                                             scale=100.0 if r.unit == "pp" else 1.0, outcome=r.outcome)
            crows += [pair_row, *more]
            heads[r.outcome] = head
            notes += nn
        out["cluster"] = pd.DataFrame(crows)
        out["headline_interval"] = heads
    if finish_curve is not None:
        out.update(finish_curve())
    frames = {k: v for k, v in out.items() if isinstance(v, pd.DataFrame) and len(v)}
    return SensitivityResult(**frames, headline_interval=out.get("headline_interval", {}),
                             spec=spec.model_dump(mode="json"), seed=int(seed), notes=tuple(notes))


def _placebos(design, data, spec: SensitivitySpec, outcome_specs, rerun) -> list[dict[str, Any]]:
    p = spec.placebo
    rows: list[dict[str, Any]] = []
    if p.pre_period:
        if not outcome_specs:
            raise EstimationError("placebo.pre_period needs `outcome_specs` (the register outcome definitions)")
        pre = pre_period_specs(outcome_specs, window=None if p.pre_period_window == (-52, -1) else p.pre_period_window)
        frame = pd.DataFrame({s.name: _outcome(design, data, s.name) for s in pre})
        rows += evaluate_placebos(design, frame, "pre_period",  # shares in percent, as their effects
                                  percent=[s.name for s in pre if s.kind == "share"] or None)
    if p.placebo_start_shift_weeks is not None:
        if rerun is None:
            raise EstimationError("placebo.placebo_start_shift_weeks needs `placebo_rerun`, a callable "
                                  "shift_weeks -> EffectResult that re-runs the design")
        rows += placebo_start(rerun, p.placebo_start_shift_weeks)
    if p.outcomes:
        frame = pd.DataFrame({n: _outcome(design, data, n) for n in p.outcomes})
        rows += evaluate_placebos(design, frame, "named")
    return rows


def start_curve(design, data, effects: EffectResult, spec: SensitivitySpec | dict,
                executor: Any = None) -> Callable[[], dict[str, pd.DataFrame]]:
    """Hand the specification curve's designs to ``executor`` now; the returned callable collects the
    ``specification_curve`` and ``specification_summary`` frames (pass it to :func:`run_sensitivity` as
    ``started_curve`` to do other work while the workers match)."""
    spec = parse_spec(spec)
    covariates = getattr(design, "covariates", None)
    mspec = getattr(design, "spec", None)
    if not covariates or not hasattr(mspec, "to_dict"):
        raise EstimationError("the specification curve needs a matching design made by evaltool.match "
                              "(covariates and a MatchSpec)")
    names = list(effects.effects["outcome"])
    frame = pd.DataFrame({n: _outcome(design, data, n) for n in names})
    for r in effects.effects.itertuples(index=False):  # shares reported in percent: the curve in pp too
        col = frame[r.outcome]
        if r.unit == "pp" and not col.dropna().isin([0, 1]).all():
            frame[r.outcome] = 100.0 * col
    kw = {"distance": mspec.distance, "estimand": mspec.estimand.value, "m_order": mspec.m_order,
          "caliper_scale": mspec.caliper_scale, "std_caliper": mspec.std_caliper}
    ps = getattr(design, "propensity", None)  # the headline's logit score: every grid design's
    score = ps.score_values if ps is not None and getattr(ps, "model", None) == "logit" else None
    collect = start_specification_curve(design.data, design.treatment, covariates, frame,
                                        spec.specification_curve, executor=executor, match_kwargs=kw, score=score)
    head = dict(zip(effects.effects["outcome"], effects.effects["estimate"].astype(float)))

    def finish() -> dict[str, pd.DataFrame]:
        curve = collect()
        return {"specification_curve": curve, "specification_summary": curve_summary(curve, head)}

    return finish
