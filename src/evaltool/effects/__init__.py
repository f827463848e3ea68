"""Effect estimation on a design, with honest uncertainty.

:func:`estimate` takes a design (``evaltool.match(...)`` or any object satisfying
:class:`Design`) and outcomes, and returns an :class:`EffectResult`: one row per
outcome (and subgroup level) with estimate, standard error, confidence interval,
p-values adjusted across outcomes, both group levels and the relative change.
Variance strategies are registered by name in :data:`VARIANCES`.
"""

from evaltool.effects.abadie_imbens import ai_variance, ps_adjustment
from evaltool.effects.estimate import estimate
from evaltool.effects.design import Design, PairsDesign, PropensityLike
from evaltool.effects.multiple import adjust_pvalues
from evaltool.effects.result import EFFECT_COLUMNS, TEST_COLUMNS, EffectResult
from evaltool.effects.variance import ALIASES, VARIANCES, VarianceStrategy, variance_strategy

__all__ = [
    "estimate", "EffectResult", "Design", "PairsDesign", "PropensityLike", "VARIANCES", "ALIASES",
    "VarianceStrategy", "variance_strategy", "adjust_pvalues", "ai_variance", "ps_adjustment",
    "EFFECT_COLUMNS", "TEST_COLUMNS",
]
