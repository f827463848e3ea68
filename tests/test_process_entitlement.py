"""Dagpenge entitlement: hand-worked cases of the rolling 104-of-156-weeks rule, panel reading,
the exhaustion timeline and spec validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from evaltool.exceptions import DataError
from evaltool.process import EntitlementSpec, MappingSpec
from evaltool.process.entitlement import entitlement_weeks, exhaustion_timeline, remaining_entitlement
from evaltool.registers import default_code_map_path, load_code_map
from evaltool.weeks import add_weeks

CM = load_code_map(default_code_map_path())
DAGPENGE = CM.codes_for("dagpenge")[0]
KONTANT = CM.codes_for("kontanthjaelp")[0]


def _past(*spans, P=156):
    """Benefit weeks as (first, last) offsets from the reference week (0 = R, -155 = R-155)."""
    row = np.zeros(P, bool)
    for a, b in spans:
        row[P - 1 + a: P + b] = True
    return row[None, :]


@pytest.mark.parametrize("spans, used, remaining, h", [
    # 100 weeks up to and including R: 4 weeks left; continuing, the 104th week is R+4
    (((-99, 0),), 100, 4, 4),
    # 80 weeks long ago (R-155..R-76): 24 left, but the old weeks leave the period one by one as new
    # ones are added, so the count stays 80 until week R+80 and then rises by one a week: R+104
    (((-155, -76),), 80, 24, 104),
    # 52 weeks at R-155..R-104 and 40 at R-39..R: 92 used, 12 left; week R+h drops week R-156+h:
    # h=1..52 each drop an old week -> count stays 92; never reaches 104 before h=52 ... after h=52
    # the old spell is gone: count = 40 + h, reaching 104 at h = 64
    (((-155, -104), (-39, 0)), 92, 12, 64),
    # entitlement used up at R
    (((-103, 0),), 104, 0, -1),
    # nothing used: 104 weeks from R+1
    ((), 0, 104, 104),
])
def test_hand_worked_cases(spans, used, remaining, h):
    u, r, hh = entitlement_weeks(_past(*spans), max_weeks=104)
    assert (int(u[0]), int(r[0]), int(hh[0])) == (used, remaining, h)


def test_configurable_period_and_max():
    # 1 year = 52 weeks within 2 years = 104 weeks: 30 weeks at R-29..R -> 22 left, exhausted at R+22
    past = np.zeros((1, 104), bool)
    past[0, -30:] = True
    u, r, h = entitlement_weeks(past, max_weeks=52)
    assert (int(u[0]), int(r[0]), int(h[0])) == (30, 22, 22)
    with pytest.raises(DataError, match=r"`max_weeks` \(200\) cannot exceed the reference period \(104 weeks\)"):
        entitlement_weeks(past, max_weeks=200)


def test_from_panel_with_year_end():
    ref = 202102  # 2020 has 53 ISO weeks: the period crosses it
    weeks = add_weeks(np.full(100, ref), -np.arange(100))  # 100 weeks up to R
    panel = pd.DataFrame({"person_id": np.r_[np.full(100, 1), np.full(3, 2)],
                          "week": np.r_[weeks, [ref, add_weeks(ref, -1), add_weeks(ref, -2)]],
                          "code": np.r_[np.full(100, DAGPENGE), np.full(3, KONTANT)]})
    persons = pd.DataFrame({"person_id": [1, 2, 3]})
    ent = remaining_entitlement(persons, panel, CM, ref, EntitlementSpec(), data_range=(201801, 202352))
    assert ent["used_weeks"].tolist() == [100, 0, 0]
    assert ent["remaining_weeks"].tolist() == [4, 104, 104]
    assert int(ent.loc[1, "last_week"]) == int(add_weeks(ref, 4)) == 202106
    assert ent.loc[1, "last_month"] == "2021-02"
    with pytest.raises(DataError, match="does not cover the reference period"):
        remaining_entitlement(persons, panel, CM, ref, EntitlementSpec(), data_range=(202001, 202352))


def test_timeline_counts_recipients_by_month():
    ent = pd.DataFrame({"last_month": pd.array(["2024-10", "2024-10", "2025-03", "2026-01", pd.NA],
                                               dtype="string")})
    tl = exhaustion_timeline(ent, 202440, 6, np.array([True, True, True, True, False]), min_cell=5)
    assert tl["month"].tolist() == ["2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02",
                                    "after 2025-02"]
    assert tl["n"].tolist() == [0, 2, 0, 0, 0, 0, 2]
    assert tl["below_min_cell"].tolist() == [False, True, False, False, False, False, True]


def test_spec_rules():
    with pytest.raises(ValidationError, match=r"`max_weeks` \(200\) cannot exceed `period_weeks` \(156\)"):
        EntitlementSpec(max_weeks=200)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        EntitlementSpec(weeks=3)
    with pytest.raises(ValidationError, match="`reference_week` must be an ISO year-week YYYYWW; got 202254"):
        MappingSpec(reference_week=202254)
