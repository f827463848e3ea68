"""Brute-force, property (hypothesis) and invariance tests of nearest-neighbour matching."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltool.design.matching import match
from evaltool.exceptions import EvaltoolError


def make(n, seed, strata=False):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    d["t"] = (rng.random(n) < 0.3).astype(int)
    d["score"] = 1 / (1 + np.exp(-(d["x"] + 0.5 * d["z"] - 0.8)))  # distinct: no ties
    d["g"] = rng.integers(0, 3, n) if strata else 0
    d.index = [f"u{i}" for i in range(n)]
    return d


def brute(d, caliper=None, ratio=1, replace=False, exact=None, order="largest"):
    """Independent quadratic greedy matcher (no ties in the data)."""
    s = d["score"].to_numpy()
    t = d["t"].to_numpy() == 1
    width = None if caliper is None else caliper * s.std(ddof=1)
    treated = np.flatnonzero(t)
    treated = treated[np.argsort(-s[treated] if order == "largest" else s[treated], kind="stable")]
    used = set()
    out = {}
    for _ in range(ratio):
        for i in treated:
            if i in out and out[i] is None:
                continue
            best, best_d = None, np.inf
            for j in np.flatnonzero(~t):
                if (not replace and j in used) or j in (out.get(i) or []):
                    continue
                if exact and d[exact].iloc[i] != d[exact].iloc[j]:
                    continue
                dist = abs(s[i] - s[j])
                if width is not None and dist > width:
                    continue
                if dist < best_d:
                    best, best_d = j, dist
            if best is None:
                out.setdefault(i, None)
                continue
            out.setdefault(i, [])
            out[i] = (out[i] or []) + [best]
            if not replace:
                used.add(best)
    lab = d.index
    return {lab[i]: [lab[j] for j in v] for i, v in out.items() if v}


def ours(m):
    return {t: [c for c in row if isinstance(c, str)] for t, row in
            zip(m.match_matrix.index, m.match_matrix.to_numpy(dtype=object).tolist())
            if isinstance(row[0], str)}


@pytest.mark.parametrize("kw", [dict(caliper=0.1), dict(caliper=0.02), dict(caliper=0.05, ratio=2),
                                dict(caliper=0.05, replace=True), dict(), dict(m_order="smallest", caliper=0.1),
                                dict(exact="g", caliper=0.2)])
@pytest.mark.parametrize("seed", [1, 2])
def test_equals_brute_force(kw, seed):
    d = make(150, seed, strata="exact" in kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(d, "t", ["x", "z"], distance="score", **{k: ([v] if k == "exact" else v) for k, v in kw.items()})
    ref = brute(d, caliper=kw.get("caliper"), ratio=kw.get("ratio", 1), replace=kw.get("replace", False),
                exact=kw.get("exact"), order=kw.get("m_order", "largest"))
    assert ours(m) == ref


@settings(max_examples=30, deadline=None)
@given(n=st.integers(30, 120), seed=st.integers(0, 10_000), cal=st.floats(0.01, 1.0),
       ratio=st.integers(1, 3))
def test_properties_without_replacement(n, seed, cal, ratio):
    d = make(n, seed, strata=True)
    s, t, g = d["score"].to_numpy(), d["t"].to_numpy() == 1, d["g"].to_numpy()
    width = cal * s.std(ddof=1)
    close = (np.abs(s[t][:, None] - s[~t][None, :]) <= width) & (g[t][:, None] == g[~t][None, :])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not close.any():  # no treated unit has a control in reach: the matcher must say so
            with pytest.raises(EvaltoolError):
                match(d, "t", ["x"], distance="score", caliper=cal, ratio=ratio, exact=["g"])
            return
        m = match(d, "t", ["x"], distance="score", caliper=cal, ratio=ratio, exact=["g"])
    p = m.pairs()
    assert not p["control"].duplicated().any()                       # no control used twice
    width = cal * d["score"].std(ddof=1)
    diff = (d.loc[p["treated"], "score"].to_numpy() - d.loc[p["control"], "score"].to_numpy())
    assert np.all(np.abs(diff) <= width)                               # every pair within caliper
    assert np.all(d.loc[p["treated"], "g"].to_numpy() == d.loc[p["control"], "g"].to_numpy())
    sums = p.groupby("subclass")["weight"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert m.weights[m.weights > 0].index.isin(pd.Index(p["treated"]).append(pd.Index(p["control"]))).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), replace=st.booleans())
def test_row_order_invariance(seed, replace):
    d = make(80, seed)
    perm = d.sample(frac=1.0, random_state=seed)
    kw = dict(distance="score", caliper=0.3, replace=replace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = match(d, "t", ["x"], **kw), match(perm, "t", ["x"], **kw)
    assert ours(a) == ours(b)
    pd.testing.assert_series_equal(a.weights, b.weights.reindex(a.weights.index))


def test_rescaling_covariates_invariant_for_mahalanobis():
    d = make(120, 5)
    m1 = match(d, "t", ["x", "z"], distance="mahalanobis")
    m2 = match(d.assign(x=d["x"] * 1000 + 7), "t", ["x", "z"], distance="mahalanobis")
    assert ours(m1) == ours(m2)


def test_ties_true_keeps_equidistant_controls():
    d = pd.DataFrame({"t": [1, 0, 0, 0, 1], "score": [0.5, 0.4, 0.6, 0.9, 0.95]},
                     index=list("abcde"))
    m = match(d, "t", ["score"], distance="score", replace=True, ties=True)
    p = m.pairs()
    a = p[p["treated"] == "a"]
    assert sorted(a["control"]) == ["b", "c"] and np.allclose(a["weight"], 0.5)
    assert p[p["treated"] == "e"]["control"].tolist() == ["d"]
    m0 = match(d, "t", ["score"], distance="score", replace=True)
    assert m0.pairs()[lambda x: x["treated"] == "a"]["control"].tolist() == ["b"]  # MatchIt: left wins


def test_mahvars_within_caliper():
    d = make(200, 3)
    m = match(d, "t", ["x", "z"], distance="score", mahvars=["x", "z"], caliper=0.25, m_order="data")
    p = m.pairs()
    width = 0.25 * d["score"].std(ddof=1)
    assert np.all(np.abs(d.loc[p["treated"], "score"].to_numpy() - d.loc[p["control"], "score"].to_numpy()) <= width)
    assert not p["control"].duplicated().any()


def test_closest_and_random_orders_are_valid_and_seeded():
    d = make(200, 4)
    c = match(d, "t", ["x"], distance="score", m_order="closest")
    assert not c.pairs()["control"].duplicated().any()
    r1 = match(d, "t", ["x"], distance="score", m_order="random", seed=3)
    r2 = match(d, "t", ["x"], distance="score", m_order="random", seed=3)
    assert ours(r1) == ours(r2)


def test_caliper_logit_scale():
    d = make(300, 6)
    m = match(d, "t", ["x", "z"], caliper=0.2, caliper_scale="logit")
    lp = m.propensity.linear_predictor
    p = m.pairs()
    width = 0.2 * lp.std(ddof=1)
    assert np.all(np.abs(lp[p["treated"]].to_numpy() - lp[p["control"]].to_numpy()) <= width)


def test_rescaling_covariates_invariant_for_the_propensity_score():
    """Earnings in thousands instead of dollars, age in months: same logit scores, same pairs."""
    path = Path(__file__).parent / "fixtures" / "matchit" / "lalonde_matchit.csv"
    d = pd.read_csv(path)
    cov = ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"]
    m1 = match(d, "treat", cov)
    m2 = match(d.assign(re74=d["re74"] / 1000, re75=d["re75"] / 1000, age=d["age"] * 12), "treat", cov)
    np.testing.assert_allclose(m1.distance, m2.distance, rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(m1.match_matrix, m2.match_matrix)
    pd.testing.assert_series_equal(m1.weights, m2.weights)
