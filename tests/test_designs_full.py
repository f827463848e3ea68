"""Full matching, CEM with k2k and subclassification with scooting against MatchIt 4.7.2.

Fixture: tests/fixtures/designs/full_k2k_scoot.json, written by tests/reference/designs_full_k2k_scoot.R
(R 4.2.2, MatchIt 4.7.2, optmatch 0.10.8.9002, rlemon 0.2.1.9001; the exact calls are in each case's
``r_call``). Data: tests/fixtures/matchit/lalonde_matchit.csv.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool import match
from evaltool.design.matching.full import full_sets
from evaltool.effects import estimate
from evaltool.estimand import Estimand
from evaltool.exceptions import MatchingError

FIX = json.loads((Path(__file__).parent / "fixtures" / "designs" / "full_k2k_scoot.json").read_text())
CASES = FIX["cases"]
C7 = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
C5 = ["age", "educ", "C(race)", "married", "nodegree"]


@pytest.fixture(scope="module")
def lalonde():
    d = pd.read_csv(Path(__file__).parent / "fixtures" / "matchit" / "lalonde_matchit.csv", index_col="id")
    d["race"] = pd.Categorical(d["race"], categories=["black", "hispan", "white"])
    return d


def _run(d, cov, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return match(d, "treat", cov, **kw)


def _ref_sub(case):
    return np.array([0 if x in ("NA", None) else int(x) for x in CASES[case]["subclass"]])


def _partition(sub):
    groups = pd.Series(np.arange(sub.size))[sub > 0].groupby(sub[sub > 0])
    return {tuple(g.tolist()) for _, g in groups}


def _total(sub, ps, t):
    tot = 0.0
    for s in np.unique(sub[sub > 0]):
        i = sub == s
        tot += np.abs(ps[i & (t == 1)][:, None] - ps[i & (t == 0)][None, :]).sum()
    return tot


SCOOT = {"subclass20": dict(subclass=20), "subclass30_ate": dict(subclass=30, estimand="ATE"),
         "subclass25_atc": dict(subclass=25, estimand="ATC"), "subclass20_min3": dict(subclass=20, min_n=3)}


@pytest.mark.parametrize("case", list(SCOOT))
def test_subclass_scooting_equals_matchit(case, lalonde):
    """Subclasses (labels) and weights unit by unit; each case needs scooting (checked below)."""
    m = _run(lalonde, C7, method="subclass", **SCOOT[case])
    ours = m.subclass.fillna(0).to_numpy(dtype=int)
    np.testing.assert_array_equal(ours, _ref_sub(case))
    np.testing.assert_allclose(m.weights.to_numpy(), CASES[case]["weights"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.distance.to_numpy(), CASES[case]["distance"], rtol=0, atol=1e-9)


def test_those_cases_do_scoot(lalonde):
    """Scooting moves units in three cases (subclass20 needs none and is the control case): with
    ``min_n=0`` (no scooting, MatchIt drops such subclasses) their subclasses differ."""
    for case, kw in SCOOT.items():
        m0 = _run(lalonde, C7, method="subclass", **{**kw, "min_n": 0}).subclass.fillna(0).to_numpy(dtype=int)
        assert (m0 != _ref_sub(case)).any() == (case != "subclass20"), case


K2K = {"cem_k2k": (C5, {}), "cem_k2k_atc": (C5, {"estimand": "ATC"}),
       "cem_k2k_cut4": (C5 + ["re74"], {"cutpoints": 4})}


@pytest.mark.parametrize("case", list(K2K))
def test_cem_k2k_equals_matchit(case, lalonde):
    cov, kw = K2K[case]
    m = _run(lalonde, cov, method="cem", k2k=True, **kw)
    np.testing.assert_array_equal(m.weights.to_numpy(), CASES[case]["weights"])
    ours, ref = _partition(m.subclass.fillna(0).to_numpy(dtype=int)), _partition(_ref_sub(case))
    if case == "cem_k2k_cut4":
        # NSW3 (age 30) is exactly 4 years from PSID189 (26) and PSID416 (34), all else equal: an exact
        # Mahalanobis tie that R breaks by floating-point rounding; the two pairs swap partners.
        assert len(ref - ours) == 2 and len(ours) == len(ref) == 87
    else:
        assert ours == ref


FULL = {"full_att": {}, "full_ate": {"estimand": "ATE"}, "full_atc": {"estimand": "ATC"},
        "full_min1_max3": {"min_controls": 1, "max_controls": 3},
        "full_min05_max4": {"min_controls": 0.5, "max_controls": 4},
        "full_atc_max05": {"estimand": "ATC", "max_controls": 0.5},  # flipped: several focal per control
        "full_exact_married": {"exact": ["married"]}, "full_caliper02": {"caliper": 0.2}}
DEFAULT_TOL = {"full_att_default_tol": {}, "full_ate_default_tol": {"estimand": "ATE"},
               "full_atc_default_tol": {"estimand": "ATC"},
               "full_min05_max4_default_tol": {"min_controls": 0.5, "max_controls": 4}}


def _structure_ok(sub, t, kw):
    focal = 0 if kw.get("estimand") == "ATC" else 1
    lo, hi = kw.get("min_controls", 0), kw.get("max_controls", np.inf)
    for s in np.unique(sub[sub > 0]):
        nf, nc = int(((sub == s) & (t == focal)).sum()), int(((sub == s) & (t != focal)).sum())
        assert min(nf, nc) == 1
        assert lo <= nc / nf <= hi


@pytest.mark.parametrize("case", list(FULL) + list(DEFAULT_TOL))
def test_full_matching_equals_matchit(case, lalonde):
    """solver='lemon' (the default) solves optmatch's network with the choices of its default solver
    (LEMON's cycle canceling): subclasses identical unit by unit (MatchIt's numbering), weights to
    1e-12, for tol = 1e-7 and MatchIt's default 0.001 (``optmatch_tol``)."""
    kw = FULL[case] if case in FULL else {**DEFAULT_TOL[case], "optmatch_tol": 1e-3}
    m = _run(lalonde, C7, method="full", **kw)
    ps, t = m.distance.to_numpy(), lalonde["treat"].to_numpy()
    np.testing.assert_allclose(ps, CASES[case]["distance"], rtol=0, atol=1e-9)
    sub = m.subclass.fillna(0).to_numpy(dtype=int)
    np.testing.assert_array_equal(sub, _ref_sub(case))
    np.testing.assert_allclose(m.weights.to_numpy(), CASES[case]["weights"], rtol=0, atol=1e-12)
    assert _total(sub, ps, t) == pytest.approx(CASES[case]["total_distance"], rel=0, abs=1e-9)
    if "caliper" not in kw:
        assert (sub > 0).all()  # every unit is in a set, as in MatchIt
    _structure_ok(sub, t, kw)


@pytest.mark.parametrize("case", [c for c in FULL if c != "full_caliper02"])
def test_full_matching_scipy_reaches_optmatchs_optimum(case, lalonde):
    """solver='scipy' (HiGHS on the same network): at tol = 1e-7 the total within-set distance equals
    MatchIt's to 1e-9 -- the same optimum -- though the sets are one of many optima (on a 1-D score,
    swapping non-interleaved partners costs nothing), so they are checked for structure only."""
    m = _run(lalonde, C7, method="full", solver="scipy", **FULL[case])
    ps, t = m.distance.to_numpy(), lalonde["treat"].to_numpy()
    sub = m.subclass.fillna(0).to_numpy(dtype=int)
    assert _total(sub, ps, t) == pytest.approx(CASES[case]["total_distance"], rel=0, abs=1e-9)
    assert (sub > 0).all()
    _structure_ok(sub, t, FULL[case])


@pytest.mark.parametrize("case", ["full_att_default_tol", "full_ate_default_tol"])
def test_full_matching_no_worse_than_optmatch_default_tol(case, lalonde):
    """MatchIt's default tol = 0.001 solves on a coarse grid: optmatch guarantees its total within
    tol * n of the optimum; evaltool's (scipy, tol = 1e-7) is never larger."""
    m = _run(lalonde, C7, method="full", solver="scipy", **({"estimand": "ATE"} if "ate" in case else {}))
    sub = m.subclass.fillna(0).to_numpy(dtype=int)
    ours = _total(sub, m.distance.to_numpy(), lalonde["treat"].to_numpy())
    ref = CASES[case]["total_distance"]
    assert ours <= ref + 1e-12 and ref - ours <= 0.001 * len(lalonde)


def test_full_matching_weights_and_estimand(lalonde):
    """MatchIt's subclass weights: treated 1 (ATT), controls n_t/n_c of their set, normalised."""
    m = _run(lalonde, C7, method="full")
    t, w, sub = lalonde["treat"].to_numpy(), m.weights.to_numpy(), m.subclass.to_numpy(dtype=int)
    assert (w[t == 1] == 1).all()
    raw = np.array([((sub == s) & (t == 1)).sum() / ((sub == s) & (t == 0)).sum() for s in sub[t == 0]])
    np.testing.assert_allclose(w[t == 0], raw * (t == 0).sum() / raw.sum())
    a = _run(lalonde, C7, method="full", estimand="ATE")
    assert a.estimand is Estimand.ATE and a.default_variance == "cluster"
    row = estimate(a, "re78").to_frame().iloc[0]
    assert row["estimand"] == "ATE" and np.isfinite(row["std_error"])


def test_full_sets_against_brute_force():
    """On tiny problems the optimum equals the best of all valid full matchings (exhaustive search)."""
    import itertools

    rng = np.random.default_rng(11)
    for _ in range(20):
        x = rng.random(6)
        rows, cols = np.arange(2), np.arange(2, 6)
        got = [sum(np.abs(x[s[s < 2]][:, None] - x[s[s >= 2]][None, :]).sum()
                   for s in full_sets(x, rows, cols, solver=solver)) for solver in ("scipy", "lemon")]
        best = np.inf
        for assign in itertools.product(range(2), repeat=4):  # each control to one treated (1 : k stars)
            if len(set(assign)) == 2:
                best = min(best, sum(abs(x[cols[j]] - x[rows[a]]) for j, a in enumerate(assign)))
        # with 2 treated and 4 controls, every optimal full matching is a pair of 1:k stars
        assert got == pytest.approx([best, best], abs=1e-6)  # lemon: distances on a 1.5e-7 grid


def test_full_matching_infeasible_bounds_say_so(lalonde):
    with pytest.raises(MatchingError, match="infeasible with min_controls=3"):
        _run(lalonde, C7, method="full", min_controls=3)  # 185 x 3 > 429 controls


def test_stratum_without_admissible_pair_is_left_out(lalonde):
    """Both solvers: a stratum whose units are all outside each other's caliper matches nobody
    (ATT becomes ATM with a warning) instead of failing."""
    d = lalonde.copy()
    d["grp"] = np.where(d["re74"] > 20000, "rich", "other")
    for solver in ("lemon", "scipy"):
        with pytest.warns(Warning):
            m = match(d, "treat", C7, method="full", caliper=0.001, exact=["grp"], solver=solver)
        assert (m.subclass.isna()).any() and (m.subclass.notna()).any()
