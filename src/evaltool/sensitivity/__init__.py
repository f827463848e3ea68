"""Sensitivity analyses: how robust is an effect to hidden bias, placebo checks, few areas and
other reasonable designs?

* :mod:`~evaltool.sensitivity.rosenbaum` - Rosenbaum bounds (McNemar, Wilcoxon, m-statistics);
* :mod:`~evaltool.sensitivity.evalue` - E-values (VanderWeele & Ding 2017);
* :mod:`~evaltool.sensitivity.placebo` - pre-period, placebo-start and named negative controls;
* :mod:`~evaltool.sensitivity.cluster` - area-clustered SEs, wild cluster bootstrap, randomization;
* :mod:`~evaltool.sensitivity.speccurve` - specification curve over a declared design grid;
* :mod:`~evaltool.sensitivity.outcomes` - lock-in exclusion and horizon outcome specs;
* :func:`run_sensitivity` - all of it from a :class:`SensitivitySpec`, as a :class:`SensitivityResult`.

See ``docs/sensitivity.md`` for plain-language readings, formulas and references.
"""

from evaltool.sensitivity.evalue import EValue, evalue_hr, evalue_md, evalue_or, evalue_rr, evalue_scale
from evaltool.sensitivity.figures import rosenbaum_figure, specification_curve_figure
from evaltool.sensitivity.matched import evalue_outcome, matched_sets, rosenbaum_outcome
from evaltool.sensitivity.outcomes import HORIZONS, exclude_lockin, horizon_specs
from evaltool.sensitivity.placebo import evaluate_placebos, placebo_start, pre_period_specs
from evaltool.sensitivity.result import SensitivityResult
from evaltool.sensitivity.run import cluster_outcome, run_sensitivity
from evaltool.sensitivity.spec import (ClusterSpec, GammaGrid, PlaceboSpec, SensitivitySpec, SpecCurveSpec,
                                       parse_spec)
from evaltool.sensitivity.speccurve import SequentialExecutor, curve_summary, specification_curve

__all__ = [
    "run_sensitivity", "SensitivityResult", "SensitivitySpec", "GammaGrid", "PlaceboSpec", "ClusterSpec",
    "SpecCurveSpec", "parse_spec", "EValue", "evalue_scale", "evalue_rr", "evalue_or", "evalue_hr", "evalue_md",
    "matched_sets", "rosenbaum_outcome", "evalue_outcome", "cluster_outcome", "pre_period_specs",
    "evaluate_placebos", "placebo_start", "exclude_lockin", "horizon_specs", "HORIZONS",
    "specification_curve", "curve_summary", "SequentialExecutor", "specification_curve_figure",
    "rosenbaum_figure",
]
