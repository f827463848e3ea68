"""The common surface of every evaltool result object.

Every result (``MatchResult``, ``BalanceResult``, ``EffectResult``, ``StudyResult`` ...)
is a frozen dataclass that mixes in :class:`ResultMixin` and implements
``to_frame()`` (tidy table) and ``to_dict()`` (JSON-safe, stable key order).
``summary()``, ``__str__`` and ``_repr_html_`` come from the mixin.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ResultMixin", "jsonable", "frame_records"]


def jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON-safe Python.

    Non-finite floats become ``None`` (JSON has no NaN); tuples become lists;
    dict key order is kept as given (callers build dicts in a stable order).
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.DataFrame):
        return frame_records(obj)
    if isinstance(obj, pd.Series):
        return [jsonable(v) for v in obj.tolist()]
    if obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    return str(obj)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-safe records, in row and column order."""
    cols = [str(c) for c in frame.columns]
    return [
        {c: jsonable(v) for c, v in zip(cols, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


class ResultMixin:
    """Shared presentation surface; subclasses implement ``to_frame`` and ``to_dict``."""

    _title: str = "Result"

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise TypeError(f"{type(self).__name__} must implement to_frame()")

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise TypeError(f"{type(self).__name__} must implement to_dict()")

    def summary(self) -> str:
        """A plain-text summary (deterministic: no timestamps)."""
        frame = self.to_frame()
        with pd.option_context("display.width", 120, "display.max_columns", 30,
                               "display.float_format", "{:.4g}".format):
            body = frame.to_string(index=False) if len(frame) else "(empty)"
        return f"{self._title}\n{'=' * len(self._title)}\n{body}"

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        return f"<h4>{self._title}</h4>" + frame.to_html(index=False, float_format="{:.4g}".format)
