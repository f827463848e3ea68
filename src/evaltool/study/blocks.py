"""Results blocks no single estimation stage owns: study facts, provenance, the design that ran,
outcome definitions, the target group (treated vs pool crosstabs) and the process indicators' labels.

Each function takes stage results (and the validated config for what only the config knows:
titles, labels, effect settings) and returns a typed block of :mod:`evaltool.results.schema`.
The design block is written from the design that actually ran (its spec, its estimand, its
sample sizes), not from the config.

Usage (inside a study run; not run as a doctest)
------------------------------------------------
::

    tg = target_group(persons, design.treat, extra=["age_group"])
    tg.by[0].variable
    # -> 'area'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

import evaltool
from evaltool.results.schema import (ConfigBlock, DesignBlock, DesignConfig, OutcomeInfo, Provenance,
                                   PropensityHistogram, SampleRule, SampleSizes, StudyInfo, TargetGroupBlock,
                                   TargetRow)

__all__ = ["StudyBlocks", "TARGET_VARS", "study_info", "provenance", "config_block", "outcomes_block",
           "target_group", "indicator_labels", "design_block", "sample_sizes", "propensity_block", "category_labels"]

TARGET_VARS = ("area", "benefit_type", "match_group", "origin", "sex", "education")


@dataclass(frozen=True)
class StudyBlocks:
    """The blocks of one run that are not stage results themselves (see :class:`StudyResult`)."""

    study: StudyInfo
    provenance: Provenance
    config: ConfigBlock
    outcomes: tuple[OutcomeInfo, ...]
    categories_labels: dict
    target_group: TargetGroupBlock
    design: DesignBlock
    propensity: PropensityHistogram | None
    simulation: dict | None

    def __repr__(self) -> str:
        return (f"StudyBlocks(stage={self.study.stage!r}, {len(self.outcomes)} outcomes, "
                f"{len(self.target_group.by)} target-group cells)")


def _label(value: Any) -> Any:
    return value.model_dump() if hasattr(value, "model_dump") else value


def study_info(cfg: Any) -> StudyInfo:
    s = cfg.study
    return StudyInfo(title=_label(s.title), stage=s.stage, language=s.language, seed=s.seed,
                     effort=_label(s.effort) if s.effort else None, municipality=s.municipality,
                     period=s.period, followup_weeks=s.followup_weeks, author=s.author,
                     organisation=s.organisation,
                     data_extracted=s.data_extracted.isoformat() if s.data_extracted else None,
                     register_period=s.register_period,
                     texts=cfg.report.texts.model_dump(exclude_none=True))


def provenance(cfg: Any, inputs: dict, row_order: str) -> Provenance:
    from evaltool.config import config_hash

    return Provenance(evaltool_version=evaltool.__version__, config_sha256=config_hash(cfg), inputs=dict(inputs),
                      seed=cfg.study.seed, row_order=row_order)


def config_block(cfg: Any, design: Any) -> ConfigBlock:
    """The recipe: matching settings from the design that ran (``design.spec``), effect settings from the config."""
    spec, dz = design.spec, cfg.design
    if dz.is_matching:
        ran = DesignConfig(
            method=spec.method, estimand=spec.estimand.value,
            distance=spec.distance if isinstance(spec.distance, str) else dz.distance,
            propensity_model=dz.propensity.model, ratio=spec.ratio, replace=spec.replace, caliper=spec.caliper,
            caliper_scale=spec.caliper_scale if spec.std_caliper else "raw", exact=tuple(spec.exact or ()),
            covariates=tuple(dz.covariates), m_order=spec.order if spec.method == "nearest" else None,
            discard=spec.discard, options=spec.to_dict())
        variance = cfg.effects.variance or design.default_variance
    else:  # weighting, or aipw (whose balance design is the IPW weighting of its estimand)
        own = dz.design_spec(seed=cfg.study.seed)
        ran = DesignConfig(method=dz.method, estimand=own.estimand.value, distance="glm",
                           propensity_model=(own.propensity_learner if dz.method == "aipw"
                                             else dz.propensity.model),
                           covariates=tuple(dz.covariates), options=own.to_dict())
        variance = "influence_function" if dz.method == "aipw" else (cfg.effects.variance
                                                                     or design.default_variance)
    rules = tuple(SampleRule(column=r.column, in_=None if r.values is None else tuple(r.values), min=r.min, max=r.max)
                  for r in cfg.data.sample)
    return ConfigBlock(design=ran, variance=variance,
                       effect_method=cfg.effects.method, adjust=cfg.effects.adjust,
                       min_cell=cfg.report.disclosure.min_cell, sample=rules)


def outcomes_block(cfg: Any, outcome_frame: pd.DataFrame) -> tuple[OutcomeInfo, ...]:
    rows = []
    for o in cfg.outcomes:
        col = outcome_frame[o.name] if o.name in outcome_frame.columns else None
        binary = bool(col is not None and o.kind != "time_to" and col.dropna().isin([0, 1]).all())
        rows.append(OutcomeInfo(name=o.name, label=o.label.model_dump(), kind=o.kind, categories=tuple(o.categories),
                                window=tuple(o.weeks) if o.weeks else None, week=o.week, horizon=o.last_week,
                                binary=binary))
    return tuple(rows)


def target_group(persons: pd.DataFrame, treat: pd.Series, extra: list[str]) -> TargetGroupBlock:
    """Treated vs comparison pool by each background variable (counts and shares)."""
    rows = []
    n_t = int(treat.sum())
    n_p = int(len(treat) - n_t)
    for var in dict.fromkeys([v for v in (*TARGET_VARS, *extra) if v in persons.columns]):
        raw = persons[var]
        col = raw.astype(str)
        order = ([str(c) for c in raw.cat.categories if (raw == c).any()]
                 if isinstance(raw.dtype, pd.CategoricalDtype) else sorted(col.unique()))
        tab = pd.crosstab(col, treat).reindex(index=order, columns=[1, 0], fill_value=0)
        for level, (a, b) in zip(tab.index, tab.to_numpy()):
            rows.append(TargetRow(variable=var, level=str(level), n_treated=int(a), n_pool=int(b),
                                  share_treated=float(a / n_t) if n_t else None,
                                  share_pool=float(b / n_p) if n_p else None))
    return TargetGroupBlock(n_treated=n_t, n_pool=n_p, by=tuple(rows))


def indicator_labels(codes: list[str], first: str = "indicator") -> dict[str, dict[str, str]]:
    """``{code: {da, en}}`` for process indicators, from the report catalogues: ``{first}.*`` (``indicator``
    for person-level columns, ``proc.ind`` for contact-log measures), then the other, then the code."""
    from evaltool.report.i18n import LANGUAGES, catalogue

    prefixes = (first,) + tuple(p for p in ("indicator", "proc.ind") if p != first)

    def one(lang: str, code: str) -> str:
        cat = catalogue(lang)
        return next((cat[f"{p}.{code}"] for p in prefixes if f"{p}.{code}" in cat), code)

    return {code: {lang: one(lang, code) for lang in LANGUAGES} for code in codes}


def sample_sizes(bal: Any) -> SampleSizes:
    """The design's sample sizes from its balance result (MatchIt's ``nn`` table)."""
    sizes = bal.sample_sizes
    kw: dict[str, Any] = {}
    for side in ("treated", "control"):
        for stage in ("All", "Matched", "Discarded", "Unmatched"):
            kw[f"{side}_{stage.lower()}"] = int(sizes[side][stage])
    return SampleSizes(**kw, ess_treated=float(sizes.loc["Matched (ESS)", "treated"]),
                       ess_control=float(sizes.loc["Matched (ESS)", "control"]))


def design_block(design: Any, bal: Any) -> DesignBlock:
    """Estimand that resulted (ATM when treated persons were dropped) and the sample sizes."""
    est, asked = design.estimand, design.spec.estimand
    note = (f"{asked.value} became {est.value}: some treated persons had no comparison person within the "
            "caliper or common support") if est != asked else None
    return DesignBlock(estimand=est.value, estimand_note=note, n=sample_sizes(bal))


def propensity_block(design: Any) -> PropensityHistogram | None:
    from evaltool.design.overlap import propensity_histogram

    hist = propensity_histogram(design)
    if hist is None:
        return None
    return PropensityHistogram(**{k: tuple(v) for k, v in hist.items()})


def category_labels(code_map: Any) -> dict:
    labels = getattr(code_map, "labels", None) if code_map is not None else None
    return dict(labels) if labels else {}
