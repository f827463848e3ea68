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
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import DataError
from evaltool.study.inputs import (ROW_ORDER, StudyData, add_history_covariates, load_study_data,
                             validate_study)
from evaltool.study.area_run import area_stage, run_area_study
from evaltool.study.compare import compare_results
from evaltool.study.design_stage import comparison_stage, design_effects
from evaltool.study.outputs import output_dir_for, rerender_report, write_outputs
from evaltool.study import blocks
from evaltool.study.blocks import StudyBlocks
from evaltool.study.process_stage import run_process_stage
from evaltool.study.result import StudyResult
from evaltool.study.sensitivity_stage import placebo_names, start_sensitivity_stage

__all__ = [
    "StudyData", "load_study_data", "run_study", "validate_study", "write_outputs",
    "output_dir_for", "rerender_report",
]




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


def _panel_weeks(cfg: StudyConfig, specs: list) -> tuple[int, int]:
    """Weeks since start the run reads from the weekly panel (outcomes, pre-period placebos, history,
    trajectories, journeys, case duration): the window of the panel read once (``panel_cache``)."""
    lo, hi = [TRAJECTORY_WEEKS[0]], [_last_week(cfg)]
    for s in specs:
        a, b = s.weeks
        lo += [a, -abs(b)]  # the pre-period placebo mirrors the window
        hi.append(b)
    lo += [-h.weeks for h in cfg.data.history]
    lo.append(int(cfg.sensitivity.placebo.pre_period_window[0]))
    if cfg.journeys is not None:
        hi.append(cfg.journeys.n_periods * cfg.journeys.period_weeks)
    if cfg.case_duration is not None:
        hi.append(cfg.case_duration.horizon + cfg.case_duration.consecutive_weeks - 1)
    return min(lo), max(hi)


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


def _outcome_specs(outcomes: list, register: str = "weekly_status") -> list:
    from evaltool.registers import OutcomeSpec

    specs = []
    for o in outcomes:
        if o.kind == "column" or o.source != register:
            continue
        specs.append(OutcomeSpec(name=o.name, kind=o.kind, categories=tuple(o.categories),
                                 window=tuple(o.weeks) if o.weeks else None, week=o.week, horizon=o.horizon))
    return specs


def _design(cfg: StudyConfig, persons: pd.DataFrame):
    from evaltool.study.design_stage import build_design

    return build_design(cfg, persons, cfg.design)


# what the run's worker processes import for their tasks (specification curve, replicates, reports)
_WORKER_MODULES = ("evaltool.sensitivity.speccurve", "evaltool.effects.bootstrap", "evaltool.report.render")


def run_study(cfg: StudyConfig, progress: Callable[[str], None] | None = None,
              executor: Any = None) -> StudyResult:
    """Run a whole study; returns a :class:`StudyResult` (nothing is written).

    ``progress``, if given, is called with a short name of each stage as it starts
    (``evaltool run`` shows them on an interactive terminal).

    Parameters
    ----------
    cfg : StudyConfig
        The validated configuration (:func:`evaltool.load_config`).
    progress : callable, optional
        Called with the name of each stage as it starts.
    executor : Executor, optional
        Where replicate work runs (:mod:`evaltool.execution`); by default one made from the config's
        ``execution`` section for this call. It never changes a result.

    Returns
    -------
    StudyResult
        The typed results of every stage; ``.document()`` gives ``results.json``'s content.

    Examples
    --------
    A tiny study on simulated persons (no weekly register), effect on meetings held:

    >>> import evaltool
    >>> cfg = evaltool.StudyConfig.model_validate({
    ...     "study": {"title": "Outreach", "language": "en"},
    ...     "data": {"simulate": {"n": 400, "seed": 1, "panel": False}},
    ...     "design": {"covariates": ["age", "prior_support_share"]},
    ...     "outcomes": [{"name": "meetings", "label": {"da": "Møder", "en": "Meetings held"},
    ...                   "kind": "column", "column": "meetings_held", "type": "count"}],
    ...     "sensitivity": {"rosenbaum": False, "evalue": False, "cluster": "none"},
    ... })
    >>> stages = []
    >>> result = run_study(cfg, progress=stages.append)
    >>> stages[:3]
    ['reading and validating data', 'matching', 'estimating effects']
    >>> result.effects.to_frame()[["outcome", "estimate", "std_error"]].round(2)
        outcome  estimate  std_error
    0  meetings      5.26       0.51
    """
    from evaltool.design.balance import balance

    from evaltool.registers._panel import panel_cache

    step = progress or (lambda _stage: None)
    if cfg.area_only:
        return run_area_study(cfg, step)
    if executor is None:
        from evaltool.execution import executor_scope

        with executor_scope(cfg.execution.spec()) as ex:
            return run_study(cfg, progress, executor=ex)
    caught: list[str] = []
    # the weekly panel is read once, into memory, for every stage below (registers/_cube.py)
    with warnings.catch_warnings(record=True) as log, \
            panel_cache(weeks=_panel_weeks(cfg, _outcome_specs(_observable_outcomes(cfg)))):
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
        social_specs = _outcome_specs(outcomes, "social")
        if social_specs:  # outcomes from the simulator's weekly social register (same code map and kinds)
            from evaltool.registers import derive_outcomes

            social = derive_outcomes(persons, data.social_panel, data.code_map, social_specs, id_col=cfg.data.id,
                                     start_col=cfg.data.start)
            outcome_frame = outcome_frame.join(social.frame.reindex(persons.index))
        for o in outcomes:
            if o.kind == "column":
                outcome_frame[o.name] = pd.to_numeric(persons[o.column], errors="coerce")
        step("matching")
        executor.warm(_WORKER_MODULES)  # worker processes start on the core matching leaves idle
        design = _design(cfg, persons)
        bal = balance(design)
        step("estimating effects")
        placebos = set(placebo_names(cfg, outcomes))
        effect_names = [o.name for o in outcomes if o.kind != "time_to" and o.name not in placebos]
        percent = [o.name for o in outcomes if o.kind == "share"]
        effects = design_effects(cfg, cfg.design, design, persons, outcome_frame[effect_names],
                                 subgroups=[sg.name for sg in cfg.subgroups] or None, percent=percent,
                                 executor=executor)
        comparison = None
        if cfg.comparison_designs:
            step("comparison designs")
            comparison = comparison_stage(cfg, persons, effects, outcome_frame[effect_names], percent,
                                          executor=executor)
        # the specification curve's designs start on the executor's workers now and are collected after
        # the trajectories and process analyses this process does meanwhile
        finish_sensitivity = start_sensitivity_stage(cfg, data, persons, design, effects, outcome_frame, outcomes,
                                                     specs, comparison=comparison, executor=executor)
        traj = None
        tte: list = []
        if specs:
            from evaltool.registers import trajectories

            step("trajectories and time to event")
            traj = trajectories(persons, data.panel, data.code_map, design.treat, weights=design.weights,
                                weeks=(TRAJECTORY_WEEKS[0], _last_week(cfg)), id_col=cfg.data.id,
                                start_col=cfg.data.start)
            tte = _time_to_event(outcomes, design, outcome_frame)
        step("process analyses")
        process_stage = run_process_stage(cfg, data, persons, design, effects)
        step("sensitivity analyses")
        sens = finish_sensitivity()
        blocks = _blocks(cfg, data, persons, design, bal, outcome_frame)
        area = None
        if cfg.area_panel is not None:
            step("area analysis")
            area = area_stage(cfg, data)
    for w in log:
        if issubclass(w.category, evaltool.EvaltoolWarning):
            caught.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return StudyResult(config=cfg, data_report=report, design=design, balance=bal, effects=effects,
                       trajectories=traj, time_to_event=tuple(tte), blocks=blocks, sensitivity=sens,
                       process_stage=process_stage, warnings=tuple(dict.fromkeys(caught)), area=area,
                       comparison_designs=comparison)



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








def _blocks(cfg: StudyConfig, data: StudyData, persons: pd.DataFrame, design, bal, outcome_frame) -> StudyBlocks:
    """The results blocks besides the stage results; each comes from the stage (or block module) that owns it."""
    return StudyBlocks(
        study=blocks.study_info(cfg),
        provenance=blocks.provenance(cfg, data.inputs, ROW_ORDER[cfg.data.row_order]),
        config=blocks.config_block(cfg, design),
        outcomes=blocks.outcomes_block(cfg, outcome_frame),
        categories_labels=blocks.category_labels(data.code_map),
        target_group=blocks.target_group(persons, design.treat, [sg.name for sg in cfg.subgroups]),
        design=blocks.design_block(design, bal),
        propensity=blocks.propensity_block(design),
        simulation={"truth": data.truth} if data.truth is not None else None,
    )
