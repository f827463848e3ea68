"""method="cem" and method="subclass" equal to MatchIt 4.7.2 (subclasses, weights, effect + SE).

Fixture: tests/fixtures/designs/cem_subclass.json from tests/reference/designs_cem_subclass.R
(R 4.2.2, MatchIt 4.7.2 built from source, sandwich 3.0.2; exact calls inside).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool import balance, estimate
from evaltool.design.matching.cem import CEMSpec, match_cem, sturges_bins
from evaltool.design.matching import match
from evaltool.design.matching.subclass import SubclassSpec, match_subclass
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, EstimandWarning, MatchingError

HERE = Path(__file__).parent / "fixtures"
FX = json.loads((HERE / "designs" / "cem_subclass.json").read_text())
C5 = ("age", "educ", "C(race)", "married", "nodegree")
C7 = C5 + ("re74", "re75")
RUNS = {
    "cem_default": (match_cem, C5, CEMSpec()),
    "cem_cut4": (match_cem, C5 + ("re74",), CEMSpec(cutpoints=4)),
    "cem_user": (match_cem, ("age", "educ", "C(race)", "re74"),
                 CEMSpec(cutpoints={"age": [20, 25, 30, 40], "educ": [9, 12], "re74": 3})),
    "cem_ate": (match_cem, C5, CEMSpec(estimand="ATE")),
    "cem_atc": (match_cem, C5, CEMSpec(estimand="ATC")),
    "subclass6": (match_subclass, C7, SubclassSpec()),
    "subclass4_ate": (match_subclass, C7, SubclassSpec(subclass=4, estimand="ATE")),
    "subclass5_atc": (match_subclass, C7, SubclassSpec(subclass=5, estimand="ATC")),
}


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(HERE / "matchit" / "lalonde_matchit.csv", index_col="id")


@pytest.mark.parametrize("name", list(RUNS))
def test_equals_matchit(lalonde, name):
    fn, covs, spec = RUNS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimandWarning)
        m = fn(lalonde, "treat", covs, spec)
    ref = FX["cases"][name]
    np.testing.assert_allclose(m.weights.to_numpy(), ref["weights"], rtol=1e-12, atol=1e-12)
    want = pd.array([None if s in (None, "NA") else int(s) for s in ref["subclass"]], dtype="Int64")
    pd.testing.assert_extension_array_equal(m.subclass.array, want)
    if ref.get("distance"):  # NULL (cem) is written as {}
        np.testing.assert_allclose(m.distance.to_numpy(), ref["distance"], atol=1e-10)
    row = estimate(m, "re78").to_frame().iloc[0]  # default: cluster by subclass
    assert row["estimate"] == pytest.approx(ref["effect"]["estimate"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["effect"]["se_cluster"], rel=1e-6)


def test_registered_and_usable_by_balance(lalonde):
    with pytest.warns(EstimandWarning, match="68 of 185 treated"):
        m = match(lalonde, "treat", list(C5), method="cem")
    assert m.estimand is Estimand.ATM and m.spec.method == "cem"
    b = balance(m, covariates=["age", "educ", "married"])
    # CEM with exact strata on married: identical within strata, so balanced after weighting
    assert abs(b.table.set_index("term").loc["married", "smd_after"]) < 1e-12
    assert json.dumps(m.to_dict())
    s = match(lalonde, "treat", list(C7), method="subclass")
    assert s.spec.subclass == 6 and s.default_variance == "cluster"


def test_errors(lalonde):
    with pytest.raises(ConfigError, match="`caliper` is not an option of method 'cem'"):
        match(lalonde, "treat", ["age"], method="cem", caliper=0.1)
    with pytest.raises(ConfigError, match="`k2k` pairs each focal unit"):
        CEMSpec(k2k=True, estimand="ATE")
    with pytest.raises(ConfigError, match="`cutpoints` for 'age'"):
        CEMSpec(cutpoints={"age": "fd"})
    with pytest.raises(ConfigError, match="`subclass` must be an integer >= 2"):
        SubclassSpec(subclass=1)
    with pytest.raises(MatchingError, match="not enough units to fit 1 treated and control"):
        match_subclass(lalonde, "treat", C7, SubclassSpec(subclass=300, estimand="ATE"))  # 185 treated


def test_sturges():
    assert sturges_bins(614) == 11  # R: nclass.Sturges(1:614)
