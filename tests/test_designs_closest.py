"""m_order="closest" equal to MatchIt 4.7.2, matched set by matched set.

Fixture: tests/fixtures/designs/matchit_closest.json from
tests/reference/designs_matchit_closest.R (R 4.2.2, MatchIt 4.7.2 built from source;
exact calls inside).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.design.matching import match

HERE = Path(__file__).parent / "fixtures"
FX = json.loads((HERE / "designs" / "matchit_closest.json").read_text())
COVS = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
ARGS = {"closest_1to1": {}, "closest_ratio2": {"ratio": 2}, "closest_caliper": {"caliper": 0.1},
        "closest_exact_married": {"exact": ["married"]},
        "closest_ratio3_caliper": {"ratio": 3, "caliper": 0.2}}


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(HERE / "matchit" / "lalonde_matchit.csv", index_col="id")


@pytest.mark.parametrize("name", list(ARGS))
def test_closest_equals_matchit(lalonde, name):
    case = FX["cases"][name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(lalonde, "treat", COVS, m_order="closest", **ARGS[name])
    np.testing.assert_allclose(m.distance.to_numpy(), case["units"]["distance"], atol=1e-10)
    ours = {t: [c for c in row if isinstance(c, str)] for t, row in
            zip(m.match_matrix.index, m.match_matrix.to_numpy(dtype=object).tolist())}
    ours = {t: c for t, c in ours.items() if c}
    assert ours == case["matched_sets"]
    np.testing.assert_allclose(m.weights.to_numpy(), case["units"]["weight"], atol=1e-12)
    ref = pd.array([None if s in (None, "NA") else int(s) for s in case["units"]["subclass"]], dtype="Int64")
    pd.testing.assert_extension_array_equal(m.subclass.array, ref)
