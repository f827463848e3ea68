"""The one orchestrator: config -> data -> outcomes -> design -> balance -> effects -> outputs.

Each stage is a plain function a researcher can call alone; this module only
chains them (inputs in :mod:`evaltool.study.inputs`, the output folder and reports in
:mod:`evaltool.study.outputs`, the bundled demo in :mod:`evaltool.study.demo`). ``evaltool run`` first puts persons in a canonical order (sorted
by id) so results do not depend on input row order (MatchIt's tie rules
depend on data order); the Python API keeps the caller's order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import evaltool
from evaltool.config import config_hash
from evaltool.config.schema import Labels, StudyConfig
from evaltool.exceptions import DataError
from evaltool.study.inputs import (ROW_ORDER, StudyData, add_history_covariates, load_study_data,
                             validate_study)
from evaltool.study.compare import compare_results
from evaltool.study.outputs import output_dir_for, rerender_report, write_outputs
from evaltool.study.result import StudyResult

__all__ = [
    "StudyData", "load_study_data", "run_study", "validate_study", "write_outputs",
    "output_dir_for", "rerender_report",
]


_PROCESS_LABELS = {
    "meetings_held": {"da": "Afholdte samtaler (første år)", "en": "Meetings held (first year)"},
    "meetings_missed": {"da": "Udeblivelser fra samtaler (første år)", "en": "Missed meetings (first year)"},
    "sanctions": {"da": "Sanktioner (første år)", "en": "Sanctions (first year)"},
    "n_caseworkers": {"da": "Antal forskellige sagsbehandlere", "en": "Number of distinct caseworkers"},
}


_TARGET_VARS = ("area", "benefit_type", "match_group", "origin", "sex", "education")


def _subgroup_columns(cfg: StudyConfig, persons: pd.DataFrame) -> pd.DataFrame:
    out = persons
    for sg in cfg.subgroups:
        if sg.cuts is None:
            if sg.name != sg.column:
                out = out.assign(**{sg.name: out[sg.column]})
            continue
        col = out[sg.column]
        if not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"subgroup {sg.name!r}: column {sg.column!r} must be numeric to use `cuts`")
        edges = [-np.inf, *sg.cuts, np.inf]
        labels = [f"<{_g(sg.cuts[0])}"] + [f"{_g(a)}-{_g(b - 1) if float(b).is_integer() else _g(b)}"
                                             for a, b in zip(sg.cuts, sg.cuts[1:])] + [f"{_g(sg.cuts[-1])}+"]
        banded = pd.cut(col, edges, right=False, labels=labels, ordered=True)  # bands keep their order
        out = out.assign(**{sg.name: banded})
    return out


def _g(x: float) -> str:
    return f"{x:g}"


TRAJECTORY_WEEKS = (-52, 156)


def _last_week(cfg: StudyConfig) -> int:
    """The last week since start that trajectories (and the duplicate check) look at."""
    fu = cfg.study.followup_weeks
    return TRAJECTORY_WEEKS[1] if fu is None else min(TRAJECTORY_WEEKS[1], fu)


def _observable_outcomes(cfg: StudyConfig) -> list:
    """The outcomes this stage's follow-up can measure (``study.followup_weeks``).

    Outcomes looking beyond the follow-up are not estimated (the report lists them as not
    yet observable); time-to-event outcomes are followed up to the follow-up at most.
    """
    fu = cfg.study.followup_weeks
    if fu is None:
        return list(cfg.outcomes)
    out = []
    for o in cfg.outcomes:
        if o.kind == "time_to":
            out.append(o.model_copy(update={"horizon": min(o.horizon, fu)}))
        elif o.last_week is None or o.last_week <= fu:
            out.append(o)
    return out


def _outcome_specs(outcomes: list) -> list:
    from evaltool.registers import OutcomeSpec

    specs = []
    for o in outcomes:
        if o.kind == "column":
            continue
        specs.append(OutcomeSpec(name=o.name, kind=o.kind, categories=tuple(o.categories),
                                 window=tuple(o.weeks) if o.weeks else None, week=o.week, horizon=o.horizon))
    return specs


def _design(cfg: StudyConfig, persons: pd.DataFrame):
    from evaltool.design.matching import fit_match
    from evaltool.design.propensity import classifier_by_name

    dz = cfg.design
    model = dz.propensity.spec().model
    distance = classifier_by_name(model, seed=cfg.study.seed) if model != "logit" and dz.distance != "mahalanobis" else None
    spec = dz.match_spec(seed=cfg.study.seed, distance=distance)
    return fit_match(persons, cfg.data.treatment, list(dz.covariates), spec)


def _target_group(persons: pd.DataFrame, treat: pd.Series, extra: list[str]) -> dict:
    rows = []
    n_t = int(treat.sum())
    n_p = int(len(treat) - n_t)
    for var in dict.fromkeys([v for v in (*_TARGET_VARS, *extra) if v in persons.columns]):
        raw = persons[var]
        col = raw.astype(str)
        order = ([str(c) for c in raw.cat.categories if (raw == c).any()]
                 if isinstance(raw.dtype, pd.CategoricalDtype) else sorted(col.unique()))
        tab = pd.crosstab(col, treat).reindex(index=order, columns=[1, 0], fill_value=0)
        for level, (a, b) in zip(tab.index, tab.to_numpy()):
            rows.append({"variable": var, "level": str(level), "n_treated": int(a), "n_pool": int(b),
                         "share_treated": a / n_t if n_t else None, "share_pool": b / n_p if n_p else None})
    return {"n_treated": n_t, "n_pool": n_p, "by": rows}


def _process(cfg: StudyConfig, persons: pd.DataFrame, treat: pd.Series, weights: pd.Series) -> list[dict]:
    rows = []
    for col in cfg.process:
        x = pd.to_numeric(persons[col], errors="coerce")
        t = (treat == 1) & (weights > 0)
        c = (treat == 0) & (weights > 0)
        wc = weights[c]
        rows.append({
            "indicator": col,
            "label": _PROCESS_LABELS.get(col, {"da": col, "en": col}),
            "mean_treated": float(np.average(x[t], weights=weights[t])) if t.any() else None,
            "mean_control": float(np.average(x[c], weights=wc)) if c.any() else None,
            "n_treated": int(t.sum()),
            "n_control": int(c.sum()),
        })
    return rows


def _propensity_hist(design) -> dict | None:
    dist = getattr(design, "distance", None)
    if dist is None or getattr(design, "propensity", None) is None:
        return None
    edges = np.linspace(0.0, 1.0, 21)
    treat = design.treat
    w = design.weights

    def counts(mask: pd.Series) -> list[int]:
        return np.histogram(dist[mask].to_numpy(dtype=float), bins=edges)[0].astype(int).tolist()

    return {"bins": edges.round(4).tolist(), "treated": counts(treat == 1),
            "control_all": counts(treat == 0), "control_matched": counts((treat == 0) & (w > 0))}


def _outcomes_block(cfg: StudyConfig, outcome_frame: pd.DataFrame) -> list[dict]:
    rows = []
    for o in cfg.outcomes:
        col = outcome_frame[o.name] if o.name in outcome_frame.columns else None
        binary = bool(col is not None and o.kind != "time_to" and col.dropna().isin([0, 1]).all())
        rows.append({"name": o.name, "label": o.label.model_dump(), "kind": o.kind,
                     "categories": list(o.categories), "window": list(o.weeks) if o.weeks else None,
                     "week": o.week, "horizon": o.last_week, "binary": binary})
    return rows


def run_study(cfg: StudyConfig, progress: Callable[[str], None] | None = None) -> StudyResult:
    """Run a whole study; returns a :class:`StudyResult` (nothing is written).

    ``progress``, if given, is called with a short name of each stage as it starts
    (``evaltool run`` shows them on an interactive terminal).
    """
    from evaltool.design.balance import balance
    from evaltool.effects import estimate

    step = progress or (lambda _stage: None)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always", evaltool.EvaltoolWarning)
        step("reading and validating data")
        compare_results(cfg)  # fail before the work, not after it
        data = load_study_data(cfg)
        persons = _subgroup_columns(cfg, data.persons)
        if cfg.data.history:
            step("history covariates")
            persons = add_history_covariates(cfg, data, persons)
        report = data.report
        outcome_frame = pd.DataFrame(index=persons.index)
        outcomes = _observable_outcomes(cfg)
        specs = _outcome_specs(outcomes)
        if specs:
            from evaltool.registers import derive_outcomes

            step("deriving register outcomes")
            derived = derive_outcomes(persons, data.panel, data.code_map, specs, id_col=cfg.data.id,
                                      start_col=cfg.data.start, unknown_codes=cfg.data.unknown_codes,
                                      check_weeks=(TRAJECTORY_WEEKS[0], _last_week(cfg)))
            outcome_frame = derived.frame.reindex(persons.index)
            report = report.with_updates(persons_without_panel=derived.report.get("persons_without_panel"))
        for o in outcomes:
            if o.kind == "column":
                outcome_frame[o.name] = pd.to_numeric(persons[o.column], errors="coerce")
        step("matching")
        design = _design(cfg, persons)
        bal = balance(design)
        step("estimating effects")
        effect_names = [o.name for o in outcomes if o.kind != "time_to"]
        effects = estimate(
            design, outcome_frame[effect_names], method=cfg.effects.method, variance=cfg.effects.variance,
            subgroups=[sg.name for sg in cfg.subgroups] or None, adjust=cfg.effects.adjust,
            covariates=cfg.effects.covariates, seed=cfg.study.seed, n_boot=cfg.effects.n_boot,
            alpha=cfg.effects.alpha, n_jobs=cfg.effects.n_jobs, ps_adjust=cfg.effects.ps_adjust,
            percent=[o.name for o in outcomes if o.kind == "share"],
        )
        traj = None
        tte: list = []
        if specs:
            from evaltool.registers import trajectories

            step("trajectories and time to event")
            traj = trajectories(persons, data.panel, data.code_map, design.treat, weights=design.weights,
                                weeks=(TRAJECTORY_WEEKS[0], _last_week(cfg)), id_col=cfg.data.id,
                                start_col=cfg.data.start)
            tte = _time_to_event(outcomes, design, outcome_frame)
        sections = _sections(cfg, data, persons, design, bal, outcome_frame)
    for w in log:
        if issubclass(w.category, evaltool.EvaltoolWarning):
            caught.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return StudyResult(config=cfg, data_report=report, design=design, balance=bal, effects=effects,
                       trajectories=traj, time_to_event=tuple(tte), sections=sections,
                       warnings=tuple(dict.fromkeys(caught)))


def _time_to_event(outcomes: list, design, outcome_frame: pd.DataFrame) -> list:
    from evaltool.effects.time_to_event import time_to_event

    out = []
    for o in outcomes:
        if o.kind != "time_to":
            continue
        keep = design.weights > 0
        cluster = design.subclass if not bool(design.subclass.isna().all()) else None
        out.append(time_to_event(
            outcome_frame.loc[keep, o.name], outcome_frame.loc[keep, f"{o.name}_event"], design.treat[keep],
            weights=design.weights[keep], cluster=None if cluster is None else cluster[keep],
            outcome=o.name, weeks=tuple(w for w in (26, 52, 104) if w <= o.horizon),
        ))
    return out


def _design_counts(bal) -> dict[str, Any]:
    """Sample sizes of the design (from the balance result) in the flat form of results schema v1."""
    sizes = bal.sample_sizes
    out: dict[str, Any] = {}
    for side in ("treated", "control"):
        col = sizes[side]
        out[f"{side}_all"] = int(col["All"])
        out[f"{side}_matched"] = int(col["Matched"])
        out[f"{side}_discarded"] = int(col["Discarded"])
        out[f"{side}_unmatched"] = int(col["Unmatched"])
    out["ess_treated"] = float(sizes.loc["Matched (ESS)", "treated"])
    out["ess_control"] = float(sizes.loc["Matched (ESS)", "control"])
    return out


def _sections(cfg: StudyConfig, data: StudyData, persons: pd.DataFrame, design, bal, outcome_frame) -> dict:
    dz = cfg.design
    n = _design_counts(bal)
    est = design.estimand
    sections = {
        "study": {"title": (cfg.study.title.model_dump() if isinstance(cfg.study.title, Labels)
                            else cfg.study.title), "stage": cfg.study.stage, "language": cfg.study.language,
                  "seed": cfg.study.seed, "effort": cfg.study.effort.model_dump() if cfg.study.effort else None,
                  "municipality": cfg.study.municipality, "period": cfg.study.period,
                  "followup_weeks": cfg.study.followup_weeks},
        "provenance": {"evaltool_version": evaltool.__version__, "config_sha256": config_hash(cfg),
                       "inputs": data.inputs, "seed": cfg.study.seed, "row_order": ROW_ORDER[cfg.data.row_order]},
        "config": {
            "design": {"method": dz.method, "estimand": dz.estimand, "distance": dz.distance,
                       "propensity_model": dz.propensity.model, "ratio": dz.ratio, "replace": dz.replace,
                       "caliper": dz.caliper, "caliper_scale": dz.caliper_scale if dz.std_caliper else "raw",
                       "exact": list(dz.exact), "covariates": list(dz.covariates),
                       "m_order": getattr(design.spec, "order", None) or dz.m_order,
                       "discard": dz.discard},
            "variance": cfg.effects.variance or design.default_variance,
            "effect_method": cfg.effects.method, "adjust": cfg.effects.adjust,
            "min_cell": cfg.report.disclosure.min_cell,
            "sample": [{"column": r.column, "in": None if r.values is None else list(r.values),
                        "min": r.min, "max": r.max} for r in cfg.data.sample],
        },
        "outcomes": _outcomes_block(cfg, outcome_frame),
        "categories_labels": _category_labels(data.code_map),
        "target_group": _target_group(persons, design.treat, [sg.name for sg in cfg.subgroups]),
        "process": _process(cfg, persons, design.treat, design.weights),
        "design": {"estimand": getattr(est, "value", str(est)),
                   "estimand_note": (f"{dz.estimand} became {est.value}: some treated persons had no "
                                     "comparison person within the caliper or common support")
                   if getattr(est, "value", est) != dz.estimand else None,
                   "n": n},
        "propensity": _propensity_hist(design),
        "simulation": {"truth": data.truth} if data.truth is not None else None,
    }
    return sections


def _category_labels(code_map) -> dict:
    if code_map is None:
        return {}
    labels = getattr(code_map, "labels", None)
    return dict(labels) if labels else {}
