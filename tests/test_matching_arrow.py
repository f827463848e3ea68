"""Nearest matching on a pyarrow Table: no pandas imported, and the same design as on pandas.

The pandas path is pinned to MatchIt 4.7.2 by tests/test_matching_reference.py; here the
pyarrow path must give the identical pairs, weights, subclasses and scores (bit for bit).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from evaltool.design.matching import match

SRC = str(Path(__file__).resolve().parents[1] / "src")
LALONDE = Path(__file__).parent / "fixtures" / "matchit" / "lalonde_matchit.csv"


def test_matching_a_pyarrow_table_imports_no_pandas():
    code = """
import sys, warnings
import numpy as np, pyarrow as pa
import evaltool
rng = np.random.default_rng(4)
n = 3000
g = np.array(["north", "south", "west"])[rng.integers(0, 3, n)]
cols = {"x": rng.normal(size=n), "k": rng.integers(0, 4, n), "flag": rng.random(n) < 0.4, "g": g,
        "t": (rng.random(n) < 0.3).astype(np.int64)}
t = pa.table({k: pa.array(v) for k, v in cols.items()})
assert "pandas" in sys.modules  # pa.array(ndarray) loads it: unload to probe the matching path
for name in [m for m in sys.modules if m == "pandas" or m.startswith("pandas.")]:
    del sys.modules[name]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = evaltool.match(t, "t", ["x", "C(k)", "flag", "g"], caliper=0.3, exact=["g"])
    p, md = m.pairs(), m.matched_data()
    n_treated, d = m.n["treated"], m.to_dict()
assert isinstance(p, pa.Table) and isinstance(md, pa.Table), (type(p), type(md))
assert p.column_names == ["subclass", "treated", "control", "slot", "weight"]
assert md.column_names[-3:] == ["weights", "subclass", "distance"] and md.num_rows == 2 * p.num_rows
assert n_treated["matched"] == p.num_rows > 0 and d["n_matched_sets"] == p.num_rows
print("pandas" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def _both(frame: pd.DataFrame, *args, **kwargs):
    """Match the same data as a DataFrame (RangeIndex) and as a pyarrow Table."""
    frame = frame.reset_index(drop=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with warnings.catch_warnings(record=True) as w_pd:
        warnings.simplefilter("always")
        m_pd = match(frame, *args, **kwargs)
    with warnings.catch_warnings(record=True) as w_pa:
        warnings.simplefilter("always")
        m_pa = match(table, *args, **kwargs)
    assert [str(w.message) for w in w_pd] == [str(w.message) for w in w_pa]
    return m_pd, m_pa, table


def _assert_same(m_pd, m_pa, table):
    assert isinstance(m_pa.pairs(), pa.Table) and isinstance(m_pa.matched_data(), pa.Table)
    pd.testing.assert_frame_equal(m_pa.pairs().to_pandas(), m_pd.pairs().reset_index(drop=True))
    pd.testing.assert_frame_equal(m_pa.match_matrix, m_pd.match_matrix)
    for field in ("weights", "subclass", "discarded", "treat"):
        pd.testing.assert_series_equal(getattr(m_pa, field), getattr(m_pd, field))
    if m_pd.distance is None:
        assert m_pa.distance is None
    else:
        pd.testing.assert_series_equal(m_pa.distance, m_pd.distance)  # exact, not approximate
    if m_pd.propensity is not None:
        pd.testing.assert_series_equal(m_pa.propensity.linear_predictor, m_pd.propensity.linear_predictor)
        pd.testing.assert_series_equal(m_pa.propensity.coefficients, m_pd.propensity.coefficients)
    assert m_pa.n == m_pd.n and m_pa.estimand == m_pd.estimand
    assert m_pa.to_dict() == m_pd.to_dict() and repr(m_pa) == repr(m_pd)
    md_pd = m_pd.matched_data().reset_index(drop=True)
    md_pa = m_pa.matched_data().to_pandas()
    md_pd["subclass"] = md_pd["subclass"].astype("float64" if md_pd["subclass"].isna().any() else "int64")
    md_pa["subclass"] = md_pa["subclass"].astype(md_pd["subclass"].dtype)
    pd.testing.assert_frame_equal(md_pa, md_pd, check_dtype=False)
    assert len(md_pa) == int((m_pd.weights > 0).sum())


LALONDE_CASES = [dict(), dict(exact=["married"]), dict(ratio=2), dict(replace=True),
                 dict(m_order="smallest"), dict(caliper=0.1), dict(distance="mahalanobis"),
                 dict(estimand="ATC"), dict(replace=True, ratio=3, ties=True),
                 dict(caliper=0.2, caliper_scale="logit", discard="both")]


@pytest.mark.parametrize("kwargs", LALONDE_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "1:1")
def test_lalonde_pyarrow_equals_pandas(kwargs):
    d = pd.read_csv(LALONDE)
    covs = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
    _assert_same(*_both(d, "treat", covs, **kwargs))


def _random(seed: int, n: int = 1500, tie_grid: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "age": rng.integers(18, 65, n),
        "x": rng.normal(size=n).round(1 if tie_grid else 6),
        "region": rng.choice(["hovedstaden", "sjaelland", "syddanmark", "midtjylland"], n),
        "educ": rng.choice([1, 2, 3], n),
        "female": rng.random(n) < 0.5,
        "grp": rng.choice(["a", "b"], n),
    })
    lin = -1.2 + 0.02 * (d["age"] - 40) + 0.5 * d["x"] + 0.4 * (d["region"] == "sjaelland")
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    d["score"] = (rng.integers(0, 40, n) / 40.0) if tie_grid else rng.random(n)
    return d


RANDOM_CASES = [
    dict(), dict(caliper=0.05), dict(exact=["grp", "region"]), dict(exact=["female"], caliper=0.1),
    dict(ratio=2, caliper=0.3), dict(replace=True, ties=True), dict(m_order="closest"),
    dict(m_order="random", seed=7), dict(m_order="data"), dict(distance="score"),
    dict(distance="score", replace=True, ratio=2), dict(mahvars=["age", "x"], caliper=0.3),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kwargs", RANDOM_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "1:1")
def test_random_categoricals_pyarrow_equals_pandas(kwargs, seed):
    d = _random(seed)
    _assert_same(*_both(d, "t", ["age", "x", "region", "C(educ)", "female", "age:C(educ)"], **kwargs))


@pytest.mark.parametrize("kwargs", [dict(distance="score"), dict(distance="score", replace=True, ties=True),
                                    dict(distance="score", m_order="closest", ratio=2)])
def test_tied_scores_pyarrow_equals_pandas(kwargs):
    d = _random(5, tie_grid=True)
    _assert_same(*_both(d, "t", ["age", "x"], **kwargs))


def test_dictionary_column_keeps_its_order_like_a_pandas_category():
    d = _random(3)
    d["region"] = pd.Categorical(d["region"], categories=["syddanmark", "hovedstaden", "sjaelland",
                                                          "midtjylland", "nordjylland"])
    m_pd, m_pa, table = _both(d, "t", ["age", "region"], exact=["region"])
    assert pa.types.is_dictionary(table.schema.field("region").type)
    _assert_same(m_pd, m_pa, table)
    assert list(m_pa.propensity.coefficients.index) == ["(Intercept)", "age", "regionhovedstaden",
                                                        "regionsjaelland", "regionmidtjylland"]


def test_chunked_table_equals_one_chunk():
    d = _random(4)
    table = pa.Table.from_pandas(d, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, 500), table.slice(500, 400), table.slice(900)])
    assert chunked.column("x").num_chunks == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = match(table, "t", ["age", "x", "region", "female"], caliper=0.2)
        b = match(chunked, "t", ["age", "x", "region", "female"], caliper=0.2)
    assert a.pairs().equals(b.pairs()) and a.matched_data().equals(b.matched_data())


def test_pyarrow_missing_values_are_errors_as_in_pandas():
    d = _random(6)
    d.loc[3, "x"] = np.nan
    d.loc[5, "region"] = None
    table = pa.Table.from_pandas(d, preserve_index=False)
    from evaltool.exceptions import DataError

    for covs, col in ((["x"], "x"), (["region"], "region")):
        with pytest.raises(DataError, match=f"covariate '{col}' has 1 missing value"):
            match(table, "t", covs)
        with pytest.raises(DataError, match=f"covariate '{col}' has 1 missing value"):
            match(d, "t", covs)


def test_other_methods_take_a_pyarrow_table_through_pandas():
    d = _random(7, n=400)
    table = pa.Table.from_pandas(d, preserve_index=False)
    a = match(table, "t", ["age", "x"], method="subclass")
    b = match(d, "t", ["age", "x"], method="subclass")
    pd.testing.assert_series_equal(a.weights, b.weights)


@pytest.mark.parametrize("decimals", [None, 3, 1])
def test_stable_argsort_is_numpys_stable_order(decimals):
    from evaltool.design.matching._score import descending_stable, stable_argsort

    rng = np.random.default_rng(11)
    for n in (2, 3, 50, 20_000):
        x = rng.normal(size=n)
        if decimals is not None:
            x = x.round(decimals)  # ties: few (3 decimals) or most (1 decimal, the fallback)
        x[::97] = x[0]  # one long tie run
        near = 0.5 + rng.integers(-3, 4, n) * 2.0 ** -53  # within the packed key's dropped bits
        tiny = np.abs(x) * 1e-310  # subnormals, +0.0 and -0.0 (which tie)
        tiny[::5], tiny[::7] = 0.0, -0.0
        inf = x.copy()
        inf[::3], inf[::11] = np.inf, -np.inf
        nan = x.copy()
        nan[::13] = np.nan  # the fallback
        for base in (x, near, tiny, inf, nan, x.astype(np.float32)):
            for v in (base, -base):
                stable = np.argsort(v, kind="stable")
                np.testing.assert_array_equal(stable_argsort(v), stable)
                if not np.isnan(v).any():  # the processing order "largest": R's order(-score)
                    np.testing.assert_array_equal(descending_stable(stable, v),
                                                  np.argsort(-v, kind="stable"))


def test_insertion_counted_equals_binary_search():
    """One stratum: the insertion index is counted from the sort; it equals the search."""
    from evaltool.design.matching._score import Blocks, stable_argsort

    rng = np.random.default_rng(12)
    score = rng.random(5_000).round(3)  # with ties
    treat = rng.random(score.size) < 0.3
    by_pos = stable_argsort(score)
    gpos = np.empty(score.size, dtype=np.int64)
    gpos[by_pos] = np.arange(score.size)
    strata = np.zeros(score.size, dtype=np.int64)
    blocks = Blocks(score, gpos, np.flatnonzero(~treat), strata, by_pos=by_pos)
    assert blocks._before is not None
    units = rng.permutation(np.flatnonzero(treat))
    base = blocks.pad
    searched = base + np.searchsorted(blocks.gpos[base:base + int((~treat).sum())], gpos[units])
    np.testing.assert_array_equal(blocks.insertion(units, gpos, strata), searched)
    np.testing.assert_array_equal(blocks.row[base:-base], by_pos[~treat[by_pos]])
    np.testing.assert_array_equal(blocks.val[base:-base], score[by_pos[~treat[by_pos]]])


def test_logit_scores_do_not_depend_on_blas_threads(monkeypatch):
    """One BLAS thread by default; EVALTOOL_BLAS_THREADS=0 (every core) gives the same bits."""
    from evaltool.design.propensity import fit_propensity

    d = _random(8, n=200_000)
    covs = ["age", "x", "region", "C(educ)", "female"]
    monkeypatch.delenv("EVALTOOL_BLAS_THREADS", raising=False)
    one = fit_propensity(d, "t", covs)
    monkeypatch.setenv("EVALTOOL_BLAS_THREADS", "0")
    many = fit_propensity(d, "t", covs)
    np.testing.assert_array_equal(many.score_values, one.score_values)
    np.testing.assert_array_equal(many.coefficients.to_numpy(), one.coefficients.to_numpy())
    from evaltool.exceptions import EvaltoolError

    monkeypatch.setenv("EVALTOOL_BLAS_THREADS", "two")
    with pytest.raises(EvaltoolError, match="EVALTOOL_BLAS_THREADS must be a whole number"):
        fit_propensity(d.head(500), "t", covs)


def test_logit_does_not_depend_on_its_threads(monkeypatch):
    """The logit's row blocks run in threads; one thread gives the same bits."""
    from evaltool.design import _logit
    from evaltool.design.propensity import fit_propensity

    d = _random(10, n=200_000)  # several row blocks
    covs = ["age", "x", "region", "C(educ)", "female"]
    monkeypatch.setattr(_logit, "_THREADS", 2)
    two = fit_propensity(d, "t", covs)
    monkeypatch.setattr(_logit, "_THREADS", 1)
    one = fit_propensity(d, "t", covs)
    np.testing.assert_array_equal(two.score_values, one.score_values)
    np.testing.assert_array_equal(two.coefficients.to_numpy(), one.coefficients.to_numpy())
    # the block passes equal the dense formulas (up to the order of summation)
    A = one.design_matrix.to_numpy()
    y = d["t"].to_numpy(dtype=float)
    D = _logit.as_design(A)
    z01 = np.array([-0.3, 0.7])
    gram, xz = _logit._gram_pass(D, y == 1, z01)
    np.testing.assert_allclose(gram, A.T @ A, rtol=1e-10)
    np.testing.assert_allclose(xz, A.T @ np.where(y == 1, 0.7, -0.3), rtol=1e-10)
    coef = one.coefficients.to_numpy() * 0.5
    eta = np.empty(len(d))
    dev, H, g = _logit._newton_pass(D, coef, y, y == 1, eta)
    mu = 1.0 / (1.0 + np.exp(-(A @ coef)))
    np.testing.assert_allclose(eta, A @ coef, rtol=1e-12)
    np.testing.assert_allclose(dev, -2.0 * np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)), rtol=1e-10)
    np.testing.assert_allclose(H, (A * (mu * (1 - mu))[:, None]).T @ A, rtol=1e-10)
    np.testing.assert_allclose(g, A.T @ (y - mu), rtol=1e-9, atol=1e-9)


def test_logit_passes_without_the_step_give_the_same_iterate(monkeypatch):
    """A pass may leave out the next step when the loop looks about to end; when it does not
    end, the step formed from eta afterwards is the same bits, so the iterate never changes."""
    from evaltool.design import _logit
    from evaltool.design.propensity import fit_propensity

    d = _random(11, n=60_000)
    covs = ["age", "x", "region", "C(educ)", "female"]
    fits = {}
    for lookahead in (0.0, 100.0, np.inf):  # always leave it out, as shipped, never
        monkeypatch.setattr(_logit, "_LOOKAHEAD", lookahead)
        fits[lookahead] = fit_propensity(d, "t", covs)
    for fit in fits.values():
        np.testing.assert_array_equal(fit.score_values, fits[0.0].score_values)
        np.testing.assert_array_equal(fit.coefficients.to_numpy(), fits[0.0].coefficients.to_numpy())


def test_balance_and_estimate_read_a_pyarrow_matched_design_as_the_pandas_one():
    import evaltool

    d = _random(9, n=800)
    d["y"] = d["x"] + np.random.default_rng(9).normal(size=len(d))
    m_pd, m_pa, _ = _both(d, "t", ["age", "x", "region"], caliper=0.3)
    pd.testing.assert_frame_equal(evaltool.balance(m_pa).to_frame(), evaltool.balance(m_pd).to_frame())
    pd.testing.assert_frame_equal(evaltool.estimate(m_pa, ["y"]).to_frame(),
                                  evaltool.estimate(m_pd, ["y"]).to_frame())
