"""Argument checks with one uniform message shape.

Messages read: "`caliper` must be a number > 0; got -0.2".
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from evaltool.exceptions import EvaltoolError

__all__ = ["check_choice", "check_number", "check_int", "check_bool", "check_columns"]


def _fail(name: str, expected: str, value: Any, exc: type[EvaltoolError] = EvaltoolError) -> None:
    raise exc(f"`{name}` must be {expected}; got {value!r}", key=name)


def check_choice(name: str, value: Any, allowed: Iterable[Any],
                 exc: type[EvaltoolError] = EvaltoolError) -> Any:
    allowed = list(allowed)
    if value not in allowed:
        _fail(name, "one of " + ", ".join(repr(a) for a in allowed), value, exc)
    return value


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, allow_none: bool = False,
                 exc: type[EvaltoolError] = EvaltoolError) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, "a number", value, exc)
    if low is not None and (value < low or (low_open and value == low)):
        _fail(name, f"a number {'>' if low_open else '>='} {low}", value, exc)
    if high is not None and (value > high or (high_open and value == high)):
        _fail(name, f"a number {'<' if high_open else '<='} {high}", value, exc)
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None,
              allow_none: bool = False, exc: type[EvaltoolError] = EvaltoolError) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, "an integer", value, exc)
    if low is not None and value < low:
        _fail(name, f"an integer >= {low}", value, exc)
    if high is not None and value > high:
        _fail(name, f"an integer <= {high}", value, exc)
    return int(value)


def check_bool(name: str, value: Any, exc: type[EvaltoolError] = EvaltoolError) -> bool:
    if not isinstance(value, bool):
        _fail(name, "True or False", value, exc)
    return value


def check_columns(frame: Any, columns: Iterable[str], *, what: str = "column",
                  source: str = "data", exc: type[EvaltoolError] = EvaltoolError) -> None:
    # a pandas DataFrame (``columns``) or a pyarrow Table (``column_names``)
    names = list(frame.column_names) if hasattr(frame, "column_names") else list(frame.columns)
    present = set(names)
    missing = [c for c in columns if c not in present]
    if missing:
        avail = ", ".join(map(str, names[:20]))
        raise exc(f"{source}: {what} {', '.join(map(repr, missing))} not found; available: {avail}")
