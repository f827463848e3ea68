"""The common surface of every evaltool result object.

Every result (``MatchResult``, ``BalanceResult``, ``EffectResult``, ``StudyResult`` ...)
is a frozen dataclass that mixes in :class:`ResultMixin` and implements
``to_frame()`` (tidy table) and ``to_dict()`` (JSON-safe, stable key order).
``summary()``, ``__str__`` and ``_repr_html_`` come from the mixin.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np

__all__ = ["ResultMixin", "LazyFields", "jsonable", "frame_records"]


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
    pd = sys.modules.get("pandas")  # a pandas object exists only if pandas was imported
    if pd is not None:
        if isinstance(obj, pd.DataFrame):
            return frame_records(obj)
        if isinstance(obj, pd.Series):
            return [jsonable(v) for v in obj.tolist()]
        if obj is pd.NA or obj is pd.NaT:
            return None
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    return str(obj)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-safe records, in row and column order."""
    cols = [str(c) for c in frame.columns]
    return [
        {c: jsonable(v) for c, v in zip(cols, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


class ResultMixin:
    """Shared presentation surface; subclasses implement ``to_frame`` and ``to_dict``."""

    _title: str = "Result"

    def to_frame(self) -> Any:  # pragma: no cover - overridden
        raise TypeError(f"{type(self).__name__} must implement to_frame()")

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise TypeError(f"{type(self).__name__} must implement to_dict()")

    def summary(self) -> str:
        """A plain-text summary (deterministic: no timestamps)."""
        import pandas as pd

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


class LazyFields:
    """Dataclass fields built on first access (e.g. pandas objects of a pyarrow-input result).

    :meth:`lazy` makes an instance of a frozen dataclass with some fields given and the
    others as zero-argument builders; a builder runs once, when its field is first read,
    and its value is then stored like a field set in ``__init__``.
    """

    @classmethod
    def lazy(cls, fields: dict[str, Any], builders: dict[str, Callable[[], Any]], **extra: Any) -> Any:
        obj = object.__new__(cls)
        for name, value in {**fields, **extra}.items():
            object.__setattr__(obj, name, value)
        object.__setattr__(obj, "_builders", dict(builders))
        return obj

    def __getattr__(self, name: str) -> Any:
        builders = self.__dict__.get("_builders")
        if not builders or name not in builders:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = builders.pop(name)()
        object.__setattr__(self, name, value)
        return value

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (or copied) with every field built: builders are closures, never pickled."""
        for name in list(self.__dict__.get("_builders") or ()):
            getattr(self, name)
        return {k: v for k, v in self.__dict__.items() if k != "_builders"}
