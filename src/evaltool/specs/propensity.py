"""The propensity-model spec: which model estimates the score."""

from __future__ import annotations

from dataclasses import dataclass

from evaltool._checks import check_choice
from evaltool.exceptions import ConfigError

__all__ = ["PropensitySpec", "PROPENSITY_MODELS"]

PROPENSITY_MODELS = ("logit", "random_forest", "gradient_boosting")


@dataclass(frozen=True)
class PropensitySpec:
    """The propensity model by name (``design.propensity`` in a config).

    ``"logit"`` is the GLM MatchIt fits; the others are scikit-learn classifiers
    (see :func:`evaltool.design.propensity.classifier_by_name`).

    Parameters
    ----------
    model : {"logit", "random_forest", "gradient_boosting"}, default "logit"
        The model that estimates the propensity score.

    Examples
    --------
    >>> PropensitySpec("random_forest").model
    'random_forest'
    """

    model: str = "logit"

    def __post_init__(self) -> None:
        check_choice("model", self.model, PROPENSITY_MODELS, exc=ConfigError)
