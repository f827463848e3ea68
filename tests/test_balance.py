"""Balance: reference (MatchIt 4.7.2 summary(m, un = TRUE)) and contract tests."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.design.balance import balance, ess
from evaltool.exceptions import BalanceWarning, EvaltoolError
from evaltool.design.matching import match

FIX = Path(__file__).parent / "fixtures" / "matchit"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
CASES = {"lalonde_nearest_1to1": {}, "lalonde_nearest_ratio2": {"ratio": 2},
         "lalonde_nearest_replace": {"replace": True}}
COLS = {"Means Treated": "mean_treated", "Means Control": "mean_control", "Std. Mean Diff.": "smd",
        "Var. Ratio": "var_ratio", "eCDF Mean": "ecdf_mean", "eCDF Max": "ecdf_max"}


@pytest.fixture(scope="module")
def lalonde():
    return pd.read_csv(FIX / "lalonde_matchit.csv", index_col="id")


@pytest.fixture(scope="module", params=list(CASES))
def case(request, lalonde):
    fx = json.loads((FIX / f"{request.param}.balance.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        b = balance(match(lalonde, "treat", COVS, **CASES[request.param]))
    return fx, b


def test_rows_match_matchit(case):
    fx, b = case
    assert b.table["term"].tolist() == [r["term"] for r in fx["sum_all"]]


@pytest.mark.parametrize("part, suffix", [("sum_all", "before"), ("sum_matched", "after")])
def test_statistics_equal_matchit(case, part, suffix):
    fx, b = case
    tb = b.table.set_index("term")
    for r in fx[part]:
        for rname, ours in COLS.items():
            ref = r.get(rname)
            got = tb.loc[r["term"], f"{ours}_{suffix}"]
            if ref is None:
                assert np.isnan(got), (r["term"], rname)
            else:
                assert got == pytest.approx(ref, abs=1e-6), (r["term"], rname)
        if "Std. Pair Dist." in r:
            assert tb.loc[r["term"], "std_pair_dist_after"] == pytest.approx(r["Std. Pair Dist."], abs=1e-6)


def test_sample_sizes_equal_matchit(case):
    fx, b = case
    for r in fx["nn"]:
        assert b.sample_sizes.loc[r["_row"], "control"] == pytest.approx(r["Control"], abs=1e-6)
        assert b.sample_sizes.loc[r["_row"], "treated"] == pytest.approx(r["Treated"], abs=1e-6)


def test_tidy_frame_and_dict(case):
    _, b = case
    f = b.to_frame()
    assert list(f.columns[:8]) == ["term", "type", "mean_treated_before", "mean_control_before",
                                  "smd_before", "var_ratio_before", "ecdf_mean_before", "ecdf_max_before"]
    assert f.columns[-1] == "flag" and f["flag"].dtype == bool
    assert set(f["type"]) == {"binary", "continuous"}
    d = b.to_dict()
    json.dumps(d)
    assert d["flagged"] == list(b.flagged)


def test_warning_lists_flagged(lalonde):
    with pytest.warns(BalanceWarning, match=r"educ \(-0.129\), raceblack"):
        b = balance(match(lalonde, "treat", COVS))
    # MatchIt's sum_matched: |SMD| > 0.1 for exactly these; distance is never flagged
    assert b.flagged == ("educ", "raceblack", "racehispan", "racewhite", "nodegree")


def test_smd_denominator_follows_estimand(lalonde):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = balance(match(lalonde, "treat", COVS, estimand="ATC", replace=True))
    age = lalonde["age"]
    t = lalonde["treat"] == 1
    row = b.table.set_index("term").loc["age"]
    assert row["smd_before"] == pytest.approx((age[t].mean() - age[~t].mean()) / age[~t].std(ddof=1))


def test_ess():
    assert ess(np.ones(10)) == pytest.approx(10)
    assert ess(np.array([1.0, 0.0, 3.0])) == pytest.approx(16 / 10)


def test_design_without_attributes_rejected():
    with pytest.raises(EvaltoolError, match="has no 'data'"):
        balance(object())


def test_top_level_balance_stays_the_function_after_submodule_imports():
    """`evaltool.balance` is the function even after the pipeline imported its module."""
    import importlib

    import evaltool
    import evaltool.study.run  # noqa: F401  (imports the balance module)

    importlib.import_module("evaltool.design.balance")
    assert callable(evaltool.balance) and evaltool.balance.__name__ == "balance"
