"""evaltool: quasi-experimental evaluation of employment efforts.

Match citizens served by an outreach employment effort to citizens served by
the ordinary jobcentre, check balance, estimate effects with honest standard
errors on register outcomes, and write midterm and final evaluation reports.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evaltool")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from evaltool.estimand import Estimand
from evaltool.exceptions import (
    ConfigError,
    DataError,
    EstimationError,
    EvaltoolError,
    EvaltoolWarning,
)

__all__ = [
    "__version__",
    "Estimand",
    "EvaltoolError",
    "EvaltoolWarning",
    "ConfigError",
    "DataError",
    "EstimationError",
]
