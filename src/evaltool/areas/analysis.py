"""``run_area_analysis``: every requested area estimator on one validated panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltool.areas.assumptions import ASSUMPTIONS
from evaltool.areas.callaway_santanna import callaway_santanna
from evaltool.areas.event_study import event_study
from evaltool.areas.inference import randomization_inference, twfe_wild_bootstrap
from evaltool.areas.panel import AreaPanel, validate_area_panel
from evaltool.areas.result import AreaResult, EstimateRow, normal_row
from evaltool.areas.simple import before_after, did_2x2
from evaltool.areas.spec import METHODS, AreaSpec
from evaltool.areas.synthetic import placebo_in_space, placebo_se, synth_estimate, synth_matrix
from evaltool.areas.twfe import fit_twfe
import warnings

from evaltool.exceptions import ConfigError, EstimationError, EvaltoolWarning

__all__ = ["run_area_analysis"]

TWFE_CLUSTER = "cluster-robust by area, plm arellano HC1 (n/(n-k))"


def _twfe(panel: AreaPanel, spec: AreaSpec, rngs: dict) -> tuple[list[EstimateRow], dict]:
    fit = fit_twfe(panel, weighted=spec.weights is not None)
    b = float(fit.params[0])
    n, n_tr = panel.n_units, int((panel.unit_g > 0).sum())
    rows = [normal_row("twfe", b, float(fit.se_cluster[0]), TWFE_CLUSTER, n, n_tr, spec.alpha, df=n - 1),
            normal_row("twfe", b, float(np.sqrt(fit.vcov_classical[0, 0])), "classical (iid, plm default)", n, n_tr,
                       spec.alpha)]
    extras: dict[str, Any] = {}
    if spec.n_boot > 0:
        wb = twfe_wild_bootstrap(fit, spec.n_boot, spec.boot_weights, rngs["wild"], spec.alpha)
        rows.append(EstimateRow("twfe", None, None, None, None, b, float("nan"), wb.ci_low, wb.ci_high, wb.pvalue,
                                f"wild cluster restricted bootstrap ({spec.boot_weights}, B={spec.n_boot}, "
                                "test inversion)", n, n_tr))
    if spec.n_permutations > 0:
        ri = randomization_inference(panel, fit, spec.n_permutations, rngs["ri"], spec.alpha)
        rows.append(EstimateRow("twfe", None, None, None, None, b, float("nan"), ri.ci_low, ri.ci_high, ri.pvalue,
                                f"randomization inference over areas (P={spec.n_permutations}, constant-effect "
                                "inversion)", n, n_tr))
    return rows, extras


def _synthetic(panel: AreaPanel, spec: AreaSpec, method: str, rng: np.random.Generator
               ) -> tuple[EstimateRow, list[dict], dict]:
    first = int(panel.unit_g[panel.unit_g > 0].min())
    y, n0, t0, donors, treated = synth_matrix(panel, first)
    fit = synth_estimate(y, n0, t0, method)
    se = placebo_se(y, n0, t0, method, fit, spec.n_placebo, rng) if spec.n_placebo > 1 and n0 > len(treated) \
        else float("nan")
    row = normal_row(method, fit.estimate, se, f"placebo SE (synthdid, {spec.n_placebo} replications)",
                     n0 + len(treated), len(treated), spec.alpha, group=first)
    weights = [{"estimator": method, "unit": str(u), "weight": float(w)}
               for w, u in sorted(zip(fit.omega, donors), key=lambda p: (-p[0], str(p[1]))) if w > 0]
    extra = {"pre_rmspe": fit.pre_rmspe, "treated_units": [str(u) for u in treated], "n_donors": n0,
             "time_weights": {str(int(p)): float(v) for p, v in zip(panel.periods[:t0], fit.lam) if v > 0},
             "placebo_in_space": placebo_in_space(y, n0, t0, method, fit)}
    return row, weights, extra


def _populations(panel: AreaPanel) -> list[dict]:
    pop = panel.matrix("pop")
    out = []
    for i, u in enumerate(panel.units):
        has = np.isfinite(pop[i]).any()
        out.append({"unit": str(u), "first_treated": int(panel.unit_g[i]),
                    "population_min": float(np.nanmin(pop[i])) if has else None,
                    "population_mean": float(np.nanmean(pop[i])) if has else None})
    return out


def run_area_analysis(panel: pd.DataFrame, spec: AreaSpec | dict, seed: int | None = 2026) -> AreaResult:
    """Run the requested area-level estimators on an area x period panel.

    Parameters
    ----------
    panel : DataFrame
        One row per area x period (see :func:`validate_area_panel`).
    spec : AreaSpec or dict
        The analysis; a dict is validated into an :class:`AreaSpec`.
    seed : int
        Seed of the bootstrap, permutation and placebo draws (each method has its own stream).

    Returns
    -------
    AreaResult

    Examples
    --------
    >>> from evaltool.simulate.areas import simulate_area_panel
    >>> df, truth = simulate_area_panel(12, range(2008, 2021), "fredericia", -0.03, 1)
    >>> res = run_area_analysis(df, {"methods": ["did_2x2", "twfe"], "n_boot": 199, "n_permutations": 99})
    >>> round(res.get("twfe").estimate, 2)
    -0.03
    """
    if isinstance(spec, dict):
        spec = AreaSpec.build(**spec)
    elif not isinstance(spec, AreaSpec):
        raise ConfigError(f"`spec` must be an AreaSpec or dict; got {type(spec).__name__}")
    p = validate_area_panel(panel, spec)
    streams = np.random.SeedSequence(0 if seed is None else seed).spawn(5)
    rngs = {k: np.random.default_rng(s) for k, s in zip(("wild", "ri", "cs", "sc", "sdid"), streams)}
    rows: list[EstimateRow] = []
    ba_rows: list[dict] = []
    donors: list[dict] = []
    extras: dict[str, Any] = {}
    pretrend = None
    skipped: list[dict] = []
    for method in (m for m in METHODS if m in spec.methods):
        try:
            pretrend = _run_one(method, p, spec, rngs, rows, ba_rows, donors, extras, pretrend)
        except EstimationError as exc:
            skipped.append({"estimator": method, "reason": str(exc)})
            warnings.warn(f"not estimable: {exc}", EvaltoolWarning, stacklevel=2)
    if not rows:
        raise EstimationError("area analysis: no estimator could be computed; "
                              + "; ".join(d["reason"] for d in skipped))
    g = p.unit_g
    return AreaResult(estimates=tuple(rows), pretrend_test=pretrend, donor_weights=tuple(donors),
                      before_after=tuple(ba_rows), assumptions={m: ASSUMPTIONS[m] for m in METHODS if m in spec.methods},
                      populations=tuple(_populations(p)), spec=spec.model_dump(mode="json"), n_units=p.n_units,
                      n_treated_units=int((g > 0).sum()), n_periods=len(p.periods), seed=seed, extras=extras,
                      not_estimable=tuple(skipped))


def _run_one(method: str, p: AreaPanel, spec: AreaSpec, rngs: dict, rows: list, ba_rows: list, donors: list,
             extras: dict, pretrend: dict | None) -> dict | None:
    """Run one estimator, appending to the collections; returns the (possibly new) pre-trend test."""
    if method == "before_after":
        per_area, row = before_after(p, spec.alpha)
        ba_rows.extend(per_area)
        rows.append(row)
    elif method == "did_2x2":
        rows.append(did_2x2(p, spec.alpha))
    elif method == "twfe":
        r, _ = _twfe(p, spec, rngs)
        rows.extend(r)
    elif method == "event_study":
        r, pretrend = event_study(p, reference_period=spec.reference_period, event_min=spec.event_min,
                                  event_max=spec.event_max, weighted=spec.weights is not None, alpha=spec.alpha)
        rows.extend(r)
    elif method == "callaway_santanna":
        cs = callaway_santanna(p, control_group=spec.control_group, anticipation=spec.anticipation,
                               weighted=spec.weights is not None, alpha=spec.alpha, n_boot=spec.n_boot,
                               multiplier=spec.multiplier, rng=rngs["cs"])
        rows.extend(cs.rows)
        extras["callaway_santanna"] = {"control_group": spec.control_group, "uniform_crit": cs.uniform_crit,
                                       "uniform_band": list(cs.uniform_band), "multiplier": spec.multiplier}
    else:
        row, w, extra = _synthetic(p, spec, method, rngs["sc" if method == "synthetic_control" else "sdid"])
        rows.append(row)
        donors.extend(w)
        extras[method] = extra
    return pretrend
