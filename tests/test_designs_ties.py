"""Matching-style nearest matching (ties=True), bias adjustment and se.standard vs R Matching.

Fixture: tests/fixtures/designs/matching_ties.json from tests/reference/designs_matching_ties.R
(R 4.2.2, Matching 4.10-8; every case records its exact Match() call).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool import estimate
from evaltool.design.matching import match
from evaltool.effects.bias_adjust import matching_estimate
from evaltool.exceptions import EstimationError

FX = json.loads((Path(__file__).parent / "fixtures" / "designs" / "matching_ties.json").read_text())
DATA = pd.DataFrame(FX["data"])
CASES = FX["cases"]


def _design(case):
    return match(DATA, "treat", ["ps"], distance="ps", replace=True, ties=True, ratio=case["M"],
                 estimand=case["estimand"])


@pytest.mark.parametrize("name", [k for k, c in CASES.items() if not c["bias_adjust"]])
def test_ties_matched_sets_equal_matching(name):
    case = CASES[name]
    p = _design(case).pairs()
    ours = sorted(zip((p["treated"] + 1).tolist(), (p["control"] + 1).tolist(), p["weight"].round(12)))
    ref = sorted(zip(case["index_treated"], case["index_control"], np.round(case["weights"], 12)))
    assert len(ours) == len(ref)  # e.g. 344 rows for M = 1, ATT
    assert ours == ref


@pytest.mark.parametrize("name", [k for k, c in CASES.items() if not c["bias_adjust"]])
def test_ties_ai_se_via_estimate_equals_matching(name):
    case = CASES[name]
    row = estimate(_design(case), "re78", variance="abadie_imbens").to_frame().iloc[0]
    assert row["estimate"] == pytest.approx(case["est"], rel=1e-8, abs=1e-8)
    assert row["std_error"] == pytest.approx(case["se"], rel=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_matching_estimate_equals_matching(name):
    case = CASES[name]
    r = matching_estimate(_design(case), "re78", bias_adjust=case["bias_adjust"],
                          covariates=FX["zvars"])
    assert r.estimate == pytest.approx(case["est"], rel=1e-8, abs=1e-8)
    assert r.std_error == pytest.approx(case["se"], rel=1e-6)
    assert r.std_error_standard == pytest.approx(case["se_standard"], rel=1e-6)
    assert r.estimate_noadj == pytest.approx(case["est_noadj"], rel=1e-8)
    assert r.n_rows == len(case["index_treated"])


def test_bias_adjust_moves_the_estimate():
    case = CASES["m1_att_bias"]
    r = matching_estimate(_design(case), "re78", bias_adjust=True, covariates=FX["zvars"])
    assert abs(r.estimate - r.estimate_noadj) > 1.0  # R: 2648.41 vs 2624.28
    d = r.to_dict()
    assert d["covariates"] == FX["zvars"] and json.dumps(d)
    assert "MatchingEstimate(ATT" in repr(r)


def test_bias_adjust_needs_covariates():
    with pytest.raises(EstimationError, match="needs `covariates`"):
        matching_estimate(_design(CASES["m1_att"]), "re78", bias_adjust=True)


def test_ties_are_on_matching_standardized_scale():
    # controls at 1 and 1.001 from treated 0, score SD ~ 170: tied on Matching's scale
    # ((1e-3/170)^2 ~ 3e-11 < 1e-5) though 1e-3 > 1e-5 apart on the raw score
    d = pd.DataFrame({"t": [1, 0, 0, 0, 1], "s": [0.0, 1.0, 1.001, 300.0, 400.0]})
    m = match(d, "t", ["s"], distance="s", replace=True, ties=True)
    p = m.pairs()
    assert sorted(p.loc[p["treated"] == 0, "control"].tolist()) == [1, 2]
