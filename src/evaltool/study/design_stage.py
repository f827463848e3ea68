"""The design stage of a study: the main design and the ``comparison_designs`` run beside it.

:func:`build_design` turns a ``design:`` section into a design result -- a matching design
(``MatchResult``), a weighting design (``WeightingResult``) or, for ``aipw``, the inverse-
probability weighting design of AIPW's estimand that the balance table and the report show
(AIPW's effects come from :func:`evaltool.effects.aipw_effects.aipw_effects`, not from these
weights). :func:`design_effects` estimates effects on such a design with the study's effect
settings; :func:`comparison_stage` runs every comparison design and returns the typed block
:class:`~evaltool.results.comparison.ComparisonDesignsBlock`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaltool.results.comparison import ComparisonDesignRow, ComparisonDesignsBlock

__all__ = ["build_design", "design_effects", "comparison_stage"]


def build_design(cfg: Any, persons: pd.DataFrame, dz: Any) -> Any:
    """The design of section ``dz`` (the main ``design`` or a comparison design) on ``persons``."""
    from evaltool.design.matching import fit_match
    from evaltool.design.propensity import classifier_by_name
    from evaltool.design.weighting import weight

    covariates = list(dz.covariates or cfg.design.covariates)
    treatment, seed = cfg.data.treatment, cfg.study.seed
    if dz.method == "aipw":
        spec = dz.design_spec(seed=seed)
        learner = spec.propensity_learner
        model = "glm" if learner == "logit" else classifier_by_name(learner, seed=seed)
        return weight(persons, treatment, covariates, method="ipw", estimand=spec.estimand, distance=model)
    model = dz.propensity.spec().model
    uses_score = dz.method == "weighting" or (dz.distance != "mahalanobis" and dz.method != "cem")
    distance = classifier_by_name(model, seed=seed) if model != "logit" and uses_score else None
    spec = dz.design_spec(seed=seed, distance=distance)
    if dz.method == "weighting":
        return weight(persons, treatment, covariates, method=spec.method, estimand=spec.estimand,
                      stabilize=spec.stabilize, trim=spec.trim, truncate=spec.truncate, moments=spec.moments,
                      max_iter=spec.max_iter, tol=spec.tol, distance=spec.distance)
    return fit_match(persons, treatment, covariates, spec)


def design_effects(cfg: Any, dz: Any, design: Any, persons: pd.DataFrame, outcomes: pd.DataFrame, *,
                   subgroups: list[str] | None, percent: list[str], executor: Any = None) -> Any:
    """Effects on ``design`` with the study's effect settings (AIPW's own estimator for ``aipw``);
    replicate work (a bootstrap) runs on ``executor`` (the run's; sequential when None)."""
    from evaltool.effects import estimate

    e = cfg.effects
    if dz.method == "aipw":
        from evaltool.effects.aipw_effects import aipw_effects

        return aipw_effects(persons, cfg.data.treatment, outcomes, list(dz.covariates or cfg.design.covariates),
                            dz.design_spec(seed=cfg.study.seed), subgroups=subgroups, adjust=e.adjust,
                            alpha=e.alpha, percent=percent)
    return estimate(design, outcomes, method=e.method, variance=e.variance, subgroups=subgroups,
                    adjust=e.adjust, covariates=e.covariates, seed=cfg.study.seed, n_boot=e.n_boot,
                    alpha=e.alpha, n_jobs=executor if executor is not None else 1, ps_adjust=e.ps_adjust, percent=percent)


def _rows(name: str, method: str, effects: Any) -> list[ComparisonDesignRow]:
    rows = []
    for r in effects.effects.to_dict("records"):
        rows.append(ComparisonDesignRow(
            design=name, method=method, outcome=str(r["outcome"]), estimand=str(r["estimand"]),
            variance=str(r["variance"]), estimate=_num(r["estimate"]), std_error=_num(r["std_error"]),
            ci_low=_num(r["ci_low"]), ci_high=_num(r["ci_high"]), p_value=_num(r["p_value"]),
            n_treated=int(r["n_treated"]), n_control=int(r["n_control"]), unit=str(r["unit"])))
    return rows


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) != float("inf") else None


def _method(dz: Any) -> str:
    return f"weighting ({dz.weighting})" if dz.method == "weighting" else dz.method


def comparison_stage(cfg: Any, persons: pd.DataFrame, main_effects: Any, outcomes: pd.DataFrame,
                     percent: list[str], executor: Any = None) -> ComparisonDesignsBlock | None:
    """Each comparison design's effects on the main outcomes, beside the main design's (None without any)."""
    if not cfg.comparison_designs:
        return None
    rows = _rows("main", _method(cfg.design), main_effects)
    for dz in cfg.comparison_designs:
        design = build_design(cfg, persons, dz)
        eff = design_effects(cfg, dz, design, persons, outcomes, subgroups=None, percent=percent,
                             executor=executor)
        rows += _rows(dz.name, _method(dz), eff)
    return ComparisonDesignsBlock(rows=tuple(rows))
