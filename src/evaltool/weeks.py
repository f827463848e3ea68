"""ISO year-weeks stored as integers ``YYYYWW`` (e.g. ``202314``), vectorised.

Weekly registers (DREAM and its relatives) count time in ISO weeks. Arithmetic
on ``YYYYWW`` integers is wrong across year ends (``202252 + 1`` is not a week)
and some ISO years have 53 weeks (2015, 2020, 2026 ...). These helpers map
weeks to a consecutive ordinal (``1980W01`` is ordinal 0) through a lookup table
over ISO years 1980-2060 and back.

Examples
--------
>>> import numpy as np
>>> from evaltool.weeks import add_weeks, to_ordinal
>>> int(add_weeks(202052, 1)), int(add_weeks(202053, 1))
(202053, 202101)
>>> int(to_ordinal(202101) - to_ordinal(202001))
53
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from evaltool.exceptions import RegisterError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "weeks_in_year", "to_ordinal", "from_ordinal", "add_weeks",
           "is_valid", "week_table"]

FIRST_YEAR = 1980
LAST_YEAR = 2060

_YEARS = np.arange(FIRST_YEAR, LAST_YEAR + 1)
_NWEEKS = np.array([_dt.date(int(y), 12, 28).isocalendar()[1] for y in _YEARS], dtype=np.int64)
_OFFSET = np.concatenate([[0], np.cumsum(_NWEEKS)[:-1]]).astype(np.int64)
_N_ORD = int(_NWEEKS.sum())


def weeks_in_year(year: int) -> int:
    """Number of ISO weeks (52 or 53) in ISO year ``year`` (1980-2060)."""
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise RegisterError(f"`year` must be an ISO year in {FIRST_YEAR}-{LAST_YEAR}; got {year!r}")
    return int(_NWEEKS[int(year) - FIRST_YEAR])


def _as_int_array(weeks: object, name: str) -> np.ndarray:
    arr = np.asarray(weeks)
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise RegisterError(f"`{name}` must be ISO year-weeks YYYYWW; got a missing value")
        if not np.all(arr == np.round(arr)):
            bad = arr[arr != np.round(arr)].flat[0]
            raise RegisterError(f"`{name}` must be ISO year-weeks YYYYWW (integers); got {bad!r}")
    elif arr.dtype.kind not in "iu":
        try:
            arr = arr.astype(np.int64)
        except (TypeError, ValueError) as err:
            raise RegisterError(f"`{name}` must be ISO year-weeks YYYYWW (integers); got dtype {arr.dtype}") from err
    return arr.astype(np.int64, copy=False)


def _valid_mask(arr: np.ndarray) -> np.ndarray:
    year = arr // 100
    wk = arr % 100
    inside = (year >= FIRST_YEAR) & (year <= LAST_YEAR)
    nweeks = np.where(inside, _NWEEKS[np.clip(year - FIRST_YEAR, 0, len(_YEARS) - 1)], 0)
    return inside & (wk >= 1) & (wk <= nweeks)


def is_valid(weeks: object) -> np.ndarray:
    """Boolean array: which entries are valid ISO year-weeks ``YYYYWW`` in 1980-2060."""
    return _valid_mask(_as_int_array(weeks, "weeks"))


def to_ordinal(weeks: object, *, name: str = "week") -> np.ndarray:
    """Consecutive week index of ISO year-weeks ``YYYYWW`` (``1980W01`` -> 0).

    Parameters
    ----------
    weeks : int or array-like of int
        ISO year-weeks such as ``202314``.
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray of int64 (0-d for a scalar input)

    Raises
    ------
    RegisterError
        If any entry is not a valid ISO week (e.g. ``202254``: 2022 has 52 weeks),
        naming an example and the number of invalid entries.
    """
    arr = _as_int_array(weeks, name)
    ok = _valid_mask(arr)
    if not ok.all():
        bad = arr[~ok]
        ex = int(bad.flat[0])
        yr = ex // 100
        hint = (f" (ISO year {yr} has {weeks_in_year(yr)} weeks)"
                if FIRST_YEAR <= yr <= LAST_YEAR else f" (years {FIRST_YEAR}-{LAST_YEAR} are supported)")
        raise RegisterError(f"`{name}` must hold ISO year-weeks YYYYWW; {bad.size} invalid value(s), "
                            f"e.g. {ex}{hint}")
    return _OFFSET[arr // 100 - FIRST_YEAR] + arr % 100 - 1


def from_ordinal(ordinal: object) -> np.ndarray:
    """ISO year-weeks ``YYYYWW`` from consecutive week indices (inverse of :func:`to_ordinal`)."""
    arr = np.asarray(ordinal)
    if arr.dtype.kind not in "iu":
        raise RegisterError(f"`ordinal` must be integers; got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= _N_ORD):
        ex = int(arr[(arr < 0) | (arr >= _N_ORD)].flat[0])
        raise RegisterError(f"week ordinal {ex} is outside ISO years {FIRST_YEAR}-{LAST_YEAR}")
    idx = np.searchsorted(_OFFSET, arr, side="right") - 1
    return (_YEARS[idx] * 100 + (arr - _OFFSET[idx]) + 1).astype(np.int64)


def add_weeks(weeks: object, k: object) -> np.ndarray:
    """Shift ISO year-weeks by ``k`` weeks (``k`` may be negative or an array)."""
    return from_ordinal(to_ordinal(weeks) + np.asarray(k, dtype=np.int64))


def week_table(first: int | None = None, last: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All valid weeks between ``first`` and ``last`` (inclusive) and their ordinals."""
    lo = 0 if first is None else int(to_ordinal(first))
    hi = _N_ORD - 1 if last is None else int(to_ordinal(last))
    ords = np.arange(lo, hi + 1, dtype=np.int64)
    return from_ordinal(ords), ords
