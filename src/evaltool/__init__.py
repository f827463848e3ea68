"""evaltool: quasi-experimental evaluation of employment efforts.

Match citizens served by an outreach employment effort to citizens served by
the ordinary jobcentre, check balance, estimate effects with honest standard
errors on register outcomes, and write midterm and final evaluation reports.

The main entry points are imported lazily (``import evaltool`` stays fast)::

    evaltool.match(data, treatment, covariates, ...) -> MatchResult
    evaltool.balance(design) -> BalanceResult
    evaltool.estimate(design, outcomes, ...) -> EffectResult
    evaltool.load_config(path) -> StudyConfig;  evaltool.run_study(config) -> StudyResult
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from evaltool.estimand import Estimand
from evaltool.exceptions import (
    BalanceWarning,
    ConfigError,
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimandWarning,
    EstimationError,
    EvaltoolError,
    EvaltoolWarning,
    MatchingError,
    RegisterError,
    ReportError,
    WeightsWarning,
)

_LAZY = {
    "match": "evaltool.design.matching",
    "MatchResult": "evaltool.design.matching",
    "balance": "evaltool.design.balance",
    "BalanceResult": "evaltool.design.balance",
    "fit_propensity": "evaltool.design.propensity",
    "estimate": "evaltool.effects",
    "MatchSpec": "evaltool.specs",
    "PropensitySpec": "evaltool.specs",
    "EffectsSpec": "evaltool.specs",
    "WeightingSpec": "evaltool.specs",
    "AIPWSpec": "evaltool.specs",
    "weight": "evaltool.design.weighting",
    "aipw": "evaltool.effects.aipw",
    "EffectResult": "evaltool.effects",
    "load_config": "evaltool.config",
    "StudyConfig": "evaltool.config",
    "run_study": "evaltool.study.run",
    "StudyResult": "evaltool.study.result",
    "simulate_study": "evaltool.simulate",
    "derive_outcomes": "evaltool.registers",
    "trajectories": "evaltool.registers",
    "render_report": "evaltool.report",
}

__all__ = [
    "__version__", "Estimand",
    "EvaltoolError", "ConfigError", "DataError", "EstimationError", "MatchingError", "RegisterError",
    "ReportError",
    "EvaltoolWarning", "BalanceWarning", "DataWarning", "EstimandWarning", "ConvergenceWarning", "WeightsWarning",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # lazy: importlib.metadata costs tens of ms at start-up
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("evaltool")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0+unknown"
        globals()[name] = value
        return value
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evaltool' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
