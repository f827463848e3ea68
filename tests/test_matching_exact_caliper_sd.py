"""The caliper's SD when exact strata leave units without a partner, against MatchIt 4.7.2.

MatchIt takes ``sd(distance[!discarded])`` with ``discarded`` from ``discard`` only, so units in an
exact stratum without treated persons still count (fixture: tests/reference/designs_exact_caliper_sd.R;
the data are ``tests/test_matching_properties.make(31, 328, strata=True)``, where hypothesis found a
pair 0.0012 outside the caliper while evaltool took the SD over the strata with partners only).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from evaltool import match

FIX = Path(__file__).resolve().parent / "fixtures" / "designs"
REF = json.loads((FIX / "exact_caliper_sd.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: c["case"])
def test_exact_strata_caliper_equals_matchit(case):
    d = pd.read_csv(FIX / "exact_caliper_sd.csv", index_col="id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, "t", ["x"], distance="score", exact=["g"], caliper=case["caliper"])
    pairs = m.pairs()
    ours = {t: sorted(g["control"]) for t, g in pairs.groupby("treated")}
    assert ours == {t: sorted(c) for t, c in case["matched_sets"].items()}
    assert m.weights.reindex(case["id"]).tolist() == case["weight"]
