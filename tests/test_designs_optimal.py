"""Optimal pair matching against MatchIt 4.7.2 and against an independent solver.

solver='lemon' (default): matched sets, weights and subclasses identical to MatchIt's
``method = "optimal"`` (fixture tests/fixtures/designs/optimal.json from
tests/reference/designs_optimal.R). solver='scipy': the total distance is compared with
scipy.optimize.linear_sum_assignment on the dense cost matrix (a different algorithm on a
different representation) on small problems, with ties, exact strata and calipers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from evaltool import estimate
from evaltool.design.matching import match
from evaltool.design.matching.optimal import OptimalSpec, optimal_pairs
from evaltool.exceptions import ConfigError, MatchingError

BIG = 1e6


def _dense(score, focal, ctrl, strata, k, width):
    slots = np.repeat(focal, k)
    C = np.abs(score[slots][:, None] - score[ctrl][None, :])
    bad = strata[slots][:, None] != strata[ctrl][None, :]
    if width is not None:
        bad |= C > width
    C = np.where(bad, BIG, C)
    r, c = linear_sum_assignment(C)
    assert C[r, c].max() < BIG  # feasible
    return C[r, c].sum()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k,width,strata_n", [(1, None, 1), (2, None, 1), (1, 0.15, 1), (2, None, 3)])
def test_total_distance_equals_dense_assignment(seed, k, width, strata_n):
    rng = np.random.default_rng(seed)
    n1, n0 = 25, 90
    score = rng.random(n1 + n0).round(2)  # many ties
    strata = rng.integers(0, strata_n, n1 + n0)
    focal, ctrl = np.arange(n1), np.arange(n1, n1 + n0)
    try:
        ref = _dense(score, focal, ctrl, strata, k, width)
    except AssertionError:
        with pytest.raises(MatchingError, match="no matching gives every focal unit"):
            optimal_pairs(score, focal, ctrl, strata, k, width)
        return
    f, m, total = optimal_pairs(score, focal, ctrl, strata, k, width)
    assert total == pytest.approx(ref, abs=1e-9)
    assert np.unique(m).size == m.size                              # each control once
    assert (strata[f] == strata[m]).all()
    assert np.bincount(f, minlength=n1)[:n1].tolist() == [k] * n1
    if width is not None:
        assert np.abs(score[f] - score[m]).max() <= width + 1e-12


def test_never_worse_than_greedy_on_lalonde():
    d = pd.read_csv("tests/fixtures/matchit/lalonde_matchit.csv", index_col="id")
    covs = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
    o = match(d, "treat", covs, method="optimal")
    g = match(d, "treat", covs)

    def total(m):
        p = m.pairs()
        return float(np.abs(m.distance[p["treated"]].to_numpy() - m.distance[p["control"]].to_numpy()).sum())

    assert total(o) <= total(g) + 1e-12
    assert (o.weights > 0).sum() == 370 and o.subclass.notna().sum() == 370
    row = estimate(o, "re78").to_frame().iloc[0]
    assert np.isfinite(row["std_error"]) and row["variance"] == "cluster"


def test_errors():
    with pytest.raises(ConfigError, match="ATT or ATC"):
        OptimalSpec(estimand="ATE")
    d = pd.DataFrame({"t": [1, 1, 0], "x": [0.0, 1.0, 0.5]})
    with pytest.raises(ConfigError, match="`replace` is not an option of method 'optimal'"):
        match(d, "t", ["x"], method="optimal", replace=True)


def test_total_distance_within_optmatch_tolerance():
    """MatchIt 4.7.2 method='optimal' (optmatch 0.10.8.9002, rlemon 0.2.1.9001; fixture
    tests/fixtures/designs/optimal.json from tests/reference/designs_optimal.R). optmatch
    solves on distances rounded to its `tol` (0.001) and guarantees a total within `tol`
    of the optimum; evaltool solves the exact problem, so its total is never larger and at
    most 0.001 smaller (solver='scipy'; its pairs differ: many near-optimal solutions)."""
    import json
    from pathlib import Path

    fx = json.loads((Path(__file__).parent / "fixtures" / "designs" / "optimal.json").read_text())
    d = pd.read_csv("tests/fixtures/matchit/lalonde_matchit.csv", index_col="id")
    covs = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
    for name, kw in [("optimal_1to1", {}), ("optimal_ratio2", {"ratio": 2}),
                     ("optimal_exact_married", {"exact": ["married"]})]:
        m = match(d, "treat", covs, method="optimal", solver="scipy", **kw)
        p = m.pairs()
        total = float(np.abs(m.distance[p["treated"]].to_numpy()
                             - m.distance[p["control"]].to_numpy()).sum())
        ref = fx["cases"][name]["total_distance"]  # e.g. 39.69374 (1:1); evaltool 39.69280
        assert ref - 1e-3 <= total <= ref + 1e-12
        assert sorted(fx["cases"][name]["matched_sets"]) == sorted(m.match_matrix.index)


OPT = {"optimal_1to1": {}, "optimal_ratio2": {"ratio": 2}, "optimal_exact_married": {"exact": ["married"]}}


@pytest.mark.parametrize("tol", [1e-3, 1e-7])
@pytest.mark.parametrize("case", list(OPT))
def test_lemon_equals_matchit(case, tol):
    """solver='lemon' (default): MatchIt's pairs (1:1 on MatchIt's pruned arcs, preprocess_matchC),
    weights and subclass numbers, at MatchIt's default tol = 0.001 and at 1e-7."""
    import json
    from pathlib import Path

    fx = json.loads((Path(__file__).parent / "fixtures" / "designs" / "optimal.json").read_text())
    ref = fx["cases"][case + ("" if tol == 1e-3 else "_tol7")]
    d = pd.read_csv("tests/fixtures/matchit/lalonde_matchit.csv", index_col="id")
    covs = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
    m = match(d, "treat", covs, method="optimal", optmatch_tol=tol, **OPT[case])
    ours = {str(i): sorted(x for x in row if isinstance(x, str))
            for i, row in zip(m.match_matrix.index, m.match_matrix.to_numpy())}
    assert ours == {k: sorted(v) for k, v in ref["matched_sets"].items()}
    np.testing.assert_array_equal(m.weights.to_numpy(), ref["weights"])
    np.testing.assert_array_equal(m.subclass.fillna(0).to_numpy(dtype=int),
                                  [0 if x in ("NA", None) else int(x) for x in ref["subclass"]])
    p = m.pairs()
    total = float(np.abs(m.distance[p["treated"]].to_numpy() - m.distance[p["control"]].to_numpy()).sum())
    assert total == pytest.approx(ref["total_distance"], rel=0, abs=1e-9)


def test_lemon_atc_with_fewer_controls_is_an_error():
    """MatchIt's ATC with 429 focal controls and 185 treated swaps the groups and leaves 244 focal
    units unmatched (fixture case optimal_atc); evaltool says so instead of dropping them."""
    d = pd.read_csv("tests/fixtures/matchit/lalonde_matchit.csv", index_col="id")
    covs = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
    with pytest.raises(MatchingError, match="no matching gives every focal unit 1 control"):
        match(d, "treat", covs, method="optimal", estimand="ATC")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k,width,strata_n", [(1, None, 1), (2, None, 1), (1, 0.15, 1), (2, None, 3)])
def test_lemon_total_equals_dense_assignment(seed, k, width, strata_n):
    """The lemon path (optmatch's rounding at tol = 1e-7, pruned arcs for 1:1) reaches the dense
    optimum up to the rounding grid."""
    from evaltool.design.matching._optmatch import lemon_pairs

    rng = np.random.default_rng(100 + seed)
    n1, n0 = 25, 90
    score = np.round(rng.random(n1 + n0), 2)  # ties
    focal, ctrl = np.arange(n1), np.arange(n1, n1 + n0)
    strata = rng.integers(0, strata_n, n1 + n0)
    strata[:n1] = np.arange(n1) % strata_n
    try:
        ref = _dense(score, focal, ctrl, strata, k, width)
    except AssertionError:
        with pytest.raises(MatchingError, match="no matching gives every focal unit"):
            lemon_pairs(score, focal, ctrl, strata, k, width, 1e-7)
        return
    f, m, sub = lemon_pairs(score, focal, ctrl, strata, k, width, 1e-7)
    assert np.array_equal(np.unique(f, return_counts=True)[1], np.full(n1, k))
    assert np.unique(m).size == m.size and (strata[f] == strata[m]).all()
    assert np.abs(score[f] - score[m]).sum() == pytest.approx(ref, abs=1e-5)
    assert (sub[f] == sub[m]).all() and np.unique(sub[sub > 0]).size == n1
