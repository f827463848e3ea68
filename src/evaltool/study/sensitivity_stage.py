"""The sensitivity stage of ``evaltool run``: the ``sensitivity:`` section on the study's own design.

It resolves the section against the data (area clustering when the persons have an ``area``
column; pre-period placebos when outcomes come from the weekly register), derives the pre-period
mirror outcomes ``<name>_pre`` from the same panel (:func:`evaltool.sensitivity.pre_period_specs`,
:func:`evaltool.registers.derive_outcomes`) and calls :func:`evaltool.sensitivity.run_sensitivity`
on the matched design and its headline effects. The same steps from Python are in
``examples/copenhagen/run.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from evaltool.config.schema import StudyConfig
from evaltool.effects import EffectResult
from evaltool.execution import executor_scope
from evaltool.registers import OutcomeSpec, derive_outcomes
from evaltool.results.comparison import ComparisonDesignsBlock
from evaltool.sensitivity import SensitivityResult, pre_period_specs, run_sensitivity
from evaltool.sensitivity.run import start_curve
from evaltool.sensitivity.speccurve import add_comparison_designs, curve_summary

__all__ = ["placebo_names", "sensitivity_stage", "start_sensitivity_stage"]


def placebo_names(cfg: StudyConfig, outcomes: list) -> list[str]:
    """Named placebo outcomes among ``outcomes`` (``outcomes[].placebo: true`` and ``sensitivity.placebo_outcomes``)."""
    named = set(cfg.sensitivity.placebo_outcomes)
    return [o.name for o in outcomes if o.placebo or o.name in named]


def sensitivity_stage(cfg: StudyConfig, data, persons: pd.DataFrame, design, effects: EffectResult,
                      outcome_frame: pd.DataFrame, outcomes: list, specs: list[OutcomeSpec],
                      comparison: ComparisonDesignsBlock | None = None, executor=None) -> SensitivityResult:
    """Run the configured sensitivity analyses for every headline effect (see :func:`start_sensitivity_stage`)."""
    return start_sensitivity_stage(cfg, data, persons, design, effects, outcome_frame, outcomes, specs,
                                   comparison=comparison, executor=executor)()


def start_sensitivity_stage(cfg: StudyConfig, data, persons: pd.DataFrame, design, effects: EffectResult,
                            outcome_frame: pd.DataFrame, outcomes: list, specs: list[OutcomeSpec],
                            comparison: ComparisonDesignsBlock | None = None,
                            executor=None) -> Callable[[], SensitivityResult]:
    """Start the sensitivity analyses: the specification curve's designs go to ``executor``'s workers
    now; the returned callable runs the other analyses and collects the curve (so a run can do other
    stages in between while the workers match).

    Parameters
    ----------
    cfg : StudyConfig
    data : StudyData
        The study's inputs (weekly panel and code map for the pre-period outcomes).
    persons : DataFrame
        The persons the design was fitted on (its ``area`` column drives ``cluster: auto``).
    design : MatchResult
    effects : EffectResult
        The headline effects (placebo outcomes are not among them).
    outcome_frame : DataFrame
        Every derived or column outcome, indexed like ``persons``.
    outcomes : list of OutcomeSection
        The outcomes observable at this stage (``study.followup_weeks``).
    specs : list of OutcomeSpec
        Their register definitions.
    comparison : ComparisonDesignsBlock, optional
        The ``comparison_designs`` effects: each design is a further point of the specification
        curve (:func:`evaltool.sensitivity.speccurve.add_comparison_designs`), and the curve's
        summary counts it.
    executor : Executor, optional
        Where the replicate work runs (the run's; by default one from the config's ``execution``, made
        when the returned callable is called).
    """
    placebos = [n for n in placebo_names(cfg, outcomes)]
    headline = set(effects.effects["outcome"])
    head_specs = [s for s in specs if s.name in headline]
    spec = cfg.sensitivity.spec(columns=persons.columns, placebo_outcomes=placebos,
                                has_register_outcomes=bool(pre_period_specs(head_specs)))
    started = None
    if executor is not None and spec.specification_curve is not None:
        started = start_curve(design, outcome_frame, effects, spec, executor)

    def finish() -> SensitivityResult:
        frame = outcome_frame
        if spec.placebo.pre_period:
            window = spec.placebo.pre_period_window
            pre = pre_period_specs(head_specs, window=None if window == (-52, -1) else window)
            derived = derive_outcomes(persons, data.panel, data.code_map, pre, id_col=cfg.data.id,
                                      start_col=cfg.data.start, unknown_codes=cfg.data.unknown_codes)
            frame = outcome_frame.join(derived.frame.reindex(persons.index)[[s.name for s in pre]])
        with executor_scope(executor if executor is not None else cfg.execution.spec()) as ex:
            result = run_sensitivity(design, effects, frame, spec, seed=cfg.study.seed, executor=ex,
                                     outcome_specs=head_specs, started_curve=started)
        if comparison is None or not len(result.specification_curve):
            return result
        curve = add_comparison_designs(result.specification_curve, comparison.rows)
        head = dict(zip(effects.effects["outcome"], effects.effects["estimate"].astype(float)))
        return replace(result, specification_curve=curve, specification_summary=curve_summary(curve, head))

    return finish
