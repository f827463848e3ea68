"""ISO year-week arithmetic (evaltool.weeks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaltool.exceptions import RegisterError
from evaltool.weeks import add_weeks, from_ordinal, is_valid, to_ordinal, week_table, weeks_in_year


def test_53_week_years():
    assert [weeks_in_year(y) for y in (2015, 2019, 2020, 2021, 2026)] == [53, 52, 53, 52, 53]


def test_across_year_ends():
    assert int(add_weeks(202052, 1)) == 202053
    assert int(add_weeks(202053, 1)) == 202101
    assert int(add_weeks(202152, 1)) == 202201
    assert int(add_weeks(202101, -1)) == 202053
    assert int(to_ordinal(202101) - to_ordinal(202001)) == 53
    assert int(to_ordinal(202201) - to_ordinal(202101)) == 52
    np.testing.assert_array_equal(add_weeks(np.array([201952, 202053]), [1, 2]), [202001, 202102])


def test_ordinal_origin_and_roundtrip():
    assert int(to_ordinal(198001)) == 0
    weeks, ords = week_table(201901, 202210)
    np.testing.assert_array_equal(to_ordinal(weeks), ords)
    np.testing.assert_array_equal(from_ordinal(ords), weeks)
    assert np.all(np.diff(ords) == 1)


@given(st.dates(min_value=dt.date(1980, 1, 7), max_value=dt.date(2060, 12, 20)), st.integers(-400, 400))
def test_matches_python_isocalendar(day, k):
    y, w, _ = day.isocalendar()
    other = day + dt.timedelta(weeks=k)
    if not dt.date(1980, 1, 1) <= other <= dt.date(2060, 12, 20):
        return
    y2, w2, _ = other.isocalendar()
    assert int(add_weeks(y * 100 + w, k)) == y2 * 100 + w2


def test_invalid_weeks_named():
    with pytest.raises(RegisterError, match=r"1 invalid value\(s\), e.g. 202254 \(ISO year 2022 has 52 weeks\)"):
        to_ordinal(np.array([202201, 202254]))
    with pytest.raises(RegisterError, match="e.g. 202200"):
        to_ordinal(202200)
    with pytest.raises(RegisterError, match="years 1980-2060"):
        to_ordinal(197901)
    with pytest.raises(RegisterError, match="missing value"):
        to_ordinal(np.array([202001.0, np.nan]))
    assert is_valid([202053, 202153]).tolist() == [True, False]
    with pytest.raises(RegisterError, match="outside ISO years"):
        from_ordinal(-1)
