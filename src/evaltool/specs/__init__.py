"""The typed spec of each stage: every parameter rule, bound and cross-field check, once.

A spec is a frozen dataclass validated on construction. The Python API
(:func:`evaltool.match`, :func:`evaltool.estimate`) and the config schema
(:mod:`evaltool.config.schema`) both build these specs, so a rule is written
once and checked at ``evaltool validate`` time, before any data are read.
Specs depend only on the kernel (``exceptions``, ``estimand``, ``terms``), so
every stage and the config can import them.

=====================================  =========================================
:class:`~evaltool.specs.matching.MatchSpec`        ``design:`` / ``evaltool.match``
:class:`~evaltool.specs.propensity.PropensitySpec`  ``design.propensity:``
:class:`~evaltool.specs.effects.EffectsSpec`        ``effects:`` / ``evaltool.estimate``
:class:`~evaltool.specs.weighting.WeightingSpec`    ``design.method: weighting`` / ``evaltool.weight``
:class:`~evaltool.specs.weighting.AIPWSpec`         ``design.method: aipw`` / ``evaltool.aipw``
=====================================  =========================================
"""

from evaltool.specs.effects import EffectsSpec
from evaltool.specs.matching import MatchSpec
from evaltool.specs.propensity import PropensitySpec
from evaltool.specs.weighting import AIPWSpec, WeightingSpec

__all__ = ["MatchSpec", "PropensitySpec", "EffectsSpec", "WeightingSpec", "AIPWSpec"]
