"""Exception and warning hierarchy of evaltool.

Every error evaltool raises on purpose derives from :class:`EvaltoolError`
(a :class:`ValueError`, so callers that expect ``ValueError`` for bad input
keep working); every warning derives from :class:`EvaltoolWarning`.
The CLI maps ``EvaltoolError`` to exit code 2 and a one-line message.
"""

from __future__ import annotations

__all__ = [
    "EvaltoolError",
    "ConfigError",
    "DataError",
    "EstimationError",
    "MatchingError",
    "RegisterError",
    "ReportError",
    "EvaltoolWarning",
    "BalanceWarning",
    "DataWarning",
    "EstimandWarning",
    "ConvergenceWarning",
    "WeightsWarning",
]


class EvaltoolError(ValueError):
    """Root of all evaltool errors.

    ``key`` optionally names the argument or config key the error is about
    (e.g. ``"caliper"``); the config loader uses it to point at ``file:line``.
    """

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __reduce__(self):  # keep ``key`` across pickling (process pools)
        return (_rebuild, (type(self), str(self), self.key))


def _rebuild(cls: type, message: str, key: str | None) -> "EvaltoolError":
    return cls(message, key=key)


class ConfigError(EvaltoolError):
    """The study configuration is invalid (file, line, key path and allowed values are named)."""


class DataError(EvaltoolError):
    """Input data are missing, unreadable or do not fit their declared roles."""


class EstimationError(EvaltoolError):
    """A model could not be estimated (separation, singular design, no variation...)."""


class MatchingError(EstimationError):
    """A matching design could not be formed (no overlap, empty exact stratum...)."""


class RegisterError(DataError):
    """A weekly status register is inconsistent (unknown codes, duplicate person-weeks...)."""


class ReportError(EvaltoolError):
    """A report could not be rendered (unknown template, language...)."""


class EvaltoolWarning(UserWarning):
    """Root of all evaltool warnings."""


class BalanceWarning(EvaltoolWarning):
    """A covariate is poorly balanced after matching or weighting (|SMD| > threshold)."""


class DataWarning(EvaltoolWarning):
    """Rows were dropped or data look suspicious."""


class EstimandWarning(EvaltoolWarning):
    """The estimand changed (e.g. ATT became ATM because treated units were dropped)."""


class ConvergenceWarning(EvaltoolWarning):
    """An iterative fit did not converge cleanly."""


class WeightsWarning(EvaltoolWarning):
    """Weights are extreme (a few persons carry much of a group's weight) or were trimmed."""
