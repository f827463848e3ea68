"""Work shared across outcomes and time points gives the same numbers, to the last bit, as the
straightforward computation (the oracles below are the code these paths replaced)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evaltool.effects.design as design_mod
from evaltool.design.balance import balance
from evaltool.effects.design import Sample, cluster_terms, dense_codes
from evaltool.effects.estimators import Regression, wls
from evaltool.effects.subgroups import subgroup_levels, wald_equal_effects
from evaltool.effects.time_to_event import _KM, _cluster_var, _km_std_errors, kaplan_meier, time_to_event
from evaltool.effects.variance import cluster_sums, cluster_vcov
from evaltool.estimand import Estimand
from evaltool.exceptions import DataWarning


def _oracle_vcov(fit, clusters):
    """cluster_vcov as it was: combinations worked out per call, a bincount per column."""
    from itertools import combinations

    X, w, e = fit.X, fit.w, fit.resid
    n, k = X.shape
    scores = X * (w * e)[:, None]
    dims = [np.asarray(c) for c in clusters]
    meat = np.zeros((k, k))
    for size in range(1, len(dims) + 1):
        for combo in combinations(range(len(dims)), size):
            codes = dims[combo[0]]
            for j in combo[1:]:
                codes = codes * (int(dims[j].max()) + 1) + dims[j]
            codes = dense_codes(codes)
            g = int(codes.max()) + 1
            summed = cluster_sums(codes, g, scores)
            meat += (-1) ** (size + 1) * (g / (g - 1)) * summed.T @ summed
    meat *= (n - 1) / (n - k)
    return fit.xtwx_inv @ meat @ fit.xtwx_inv


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(3)
    n = 3000
    treat = (rng.random(n) < 0.4).astype(float)
    Z = np.column_stack([rng.normal(40, 10, n), rng.random(n) < 0.3, rng.exponential(2, n)]).astype(float)
    w = rng.choice([0.5, 1.0, 2.0], n)
    y = 1.5 * treat + Z @ [0.02, 0.5, -0.3] + rng.normal(size=n)
    sets = rng.integers(0, 700, n)
    units = rng.integers(0, 2500, n)
    return treat, Z, w, y, (dense_codes(sets), dense_codes(units))


@pytest.mark.parametrize("ways", [1, 2])
@pytest.mark.parametrize("budget", [design_mod.INDEX_CACHE_BYTES, 0])  # one bincount / one per column
def test_cluster_vcov_with_shared_terms_equals_the_straightforward_sandwich(rows, ways, budget, monkeypatch):
    monkeypatch.setattr(design_mod, "INDEX_CACHE_BYTES", budget)
    treat, Z, w, y, clusters = rows
    est = Regression(Estimand.ATT)
    fit = est.fit(y, treat, w, Z)
    terms = cluster_terms(clusters[:ways])
    assert (terms[0].index(fit.X.shape[1]) is None) == (budget == 0)
    expected = _oracle_vcov(fit, clusters[:ways])
    assert np.array_equal(cluster_vcov(fit, clusters[:ways], terms=terms), expected)
    assert np.array_equal(cluster_vcov(fit, clusters[:ways], terms=terms), expected)  # the terms reused
    assert np.array_equal(cluster_vcov(fit, clusters[:ways]), expected)


def test_regression_matrix_equals_column_stack_also_when_a_covariate_is_constant(rows):
    treat, Z, w, y, _ = rows
    Z = np.column_stack([Z[:, :1], np.full(len(treat), 7.0), Z[:, 1:]])  # a constant column is dropped
    est = Regression(Estimand.ATE)
    X = est._matrix(treat, w, Z)
    centre = w @ Z / w.sum()
    Zc = (Z - centre)[:, [0, 2, 3]]
    expected = np.column_stack([np.ones_like(treat), treat, Zc, treat[:, None] * Zc])
    assert X.shape == expected.shape and np.array_equal(X, expected)
    assert X.flags.f_contiguous == expected.flags.f_contiguous  # the layout decides the rounding of X @ beta
    beta = wls(expected, y, w).beta
    assert np.array_equal(X @ beta, expected @ beta)


def test_wald_test_with_a_cache_equals_the_test_without(rows):
    treat, Z, w, y, clusters = rows
    n = len(treat)
    sample = Sample(np.arange(n), treat, w, (clusters[0],), "subclass")
    level = np.arange(n) % 3
    masks = [level == j for j in range(3)]
    cache: dict = {}
    for shift in (0.0, 1.0, 2.5):  # outcomes with the same rows share the cached fit
        yy = y + shift * treat * (level == 2)
        assert wald_equal_effects(sample, yy, masks, cache=cache) == wald_equal_effects(sample, yy, masks)
    y_missing = y.copy()
    y_missing[:50] = np.nan  # other rows: the cache is refreshed, not reused
    assert wald_equal_effects(sample, y_missing, masks, cache=cache) == wald_equal_effects(sample, y_missing, masks)
    assert wald_equal_effects(sample, y, masks[:2], cache=cache) == wald_equal_effects(sample, y, masks[:2])


def test_subgroup_levels_cached_per_mask_warn_for_every_outcome(rows):
    treat, Z, w, y, clusters = rows
    n = len(treat)
    treat = treat.copy()
    treat[:3] = 1.0
    sample = Sample(np.arange(n), treat, w, (clusters[0],), "subclass")
    values = pd.Series(np.where(np.arange(n) < 3, "tiny", np.where(np.arange(n) % 2, "a", "b")))
    cache: dict = {}
    mask = np.ones(n, bool)
    for outcome in ("y1", "y2"):  # the second outcome is served from the cache and still warns
        with pytest.warns(DataWarning, match=f"tiny.*outcome '{outcome}'"):
            levels = subgroup_levels(values, sample, mask, "v", outcome, cache)
        assert [lv for lv, _ in levels] == ["a", "b"]
        assert np.array_equal(levels[0][1], values.to_numpy() == "a")
    part = mask & (np.arange(n) >= 1000)
    with pytest.warns(DataWarning, match="tiny.*0 treated"):  # another mask: its own levels and counts
        levels = subgroup_levels(values, sample, part, "v", "y3", cache)
    assert np.array_equal(levels[0][1], part & (values.to_numpy() == "a"))


def _oracle_km_se(km, w, cl):
    return np.array([np.sqrt(_cluster_var(w * km.influence(tt), cl)) for tt in km.times])


@pytest.mark.parametrize("block", [1, 7, 2 ** 21])
@pytest.mark.parametrize("clusters", ["shared", "one_each", "own"])
def test_km_standard_errors_by_block_equal_one_time_after_another(block, clusters, monkeypatch):
    import evaltool.effects.time_to_event as tte

    monkeypatch.setattr(tte, "SE_BLOCK", block * 300)
    rng = np.random.default_rng(5)
    n = 300
    t = rng.integers(1, 40, n).astype(float)
    e = rng.random(n) < 0.7
    t[-1], e[-1] = 45.0, True  # the last unit's event empties the risk set: a NaN variance from there on
    w = rng.choice([0.5, 1.0, 3.0], n)
    cl = {"shared": dense_codes(rng.integers(0, 120, n)),  # clusters of several units: sums by cluster
          "one_each": rng.permutation(n),  # matched pairs within an arm: one unit per cluster
          "own": np.arange(n)}[clusters]
    km = _KM(t, e, w)
    expected = _oracle_km_se(km, w, cl)
    got = _km_std_errors(km, w, cl)
    assert np.isnan(expected[-1]) and np.array_equal(got, expected, equal_nan=True)


def test_time_to_event_curves_and_medians_equal_their_one_at_a_time_oracle():
    import evaltool.effects.time_to_event as tte

    rng = np.random.default_rng(8)
    n = 500
    z = rng.integers(0, 2, n)
    t = rng.integers(1, 60, n).astype(float)
    e = (rng.random(n) < 0.8).astype(int)
    w = rng.choice([1.0, 0.5], n)
    cluster = pd.array(rng.integers(0, 200, n), dtype="Int64")
    cluster[::17] = pd.NA  # missing clusters: their codes have gaps, which kaplan_meier codes again
    res = time_to_event(t, e, z, w, cluster)
    codes = tte._cluster_codes(cluster, n)
    recoded = tte._cluster_codes(codes, n)
    assert not np.array_equal(codes, recoded)
    q = 1.959963984540054
    for g, name in ((1, "treated"), (0, "comparison")):
        m = z == g
        fit = _KM(t[m], e[m].astype(bool), w[m])
        curve = res.km[res.km["group"] == name]["std_error"].to_numpy()[1:]
        assert np.array_equal(curve, _oracle_km_se(fit, w[m], recoded[m]), equal_nan=True)
        median = res.median[res.median["group"] == name].iloc[0].to_dict()
        expected = tte._median(fit, _oracle_km_se(fit, w[m], codes[m]), q)
        assert {k: median[k] for k in expected} == expected
    km = kaplan_meier(t, e, z, w, codes)
    pd.testing.assert_frame_equal(km, res.km, check_exact=True)


def test_balance_is_unchanged_by_sorting_once():
    import evaltool

    persons = evaltool.simulate_study(n=600, seed=4, panel=False).persons
    design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    table = balance(design).to_frame()
    # the eCDF statistics from the definition: weighted eCDFs of each group at every value
    x = design.data["age"].to_numpy(dtype=float)
    t = design.treat.to_numpy(dtype=int)
    for weights, when in ((np.ones(len(x)), "before"), (design.weights.to_numpy(dtype=float), "after")):
        values = np.unique(x)
        cdf = [np.array([weights[(t == g) & (x <= v)].sum() for v in values]) / weights[t == g].sum()
               for g in (1, 0)]
        row = table[table["term"] == "age"].iloc[0]
        assert row[f"ecdf_max_{when}"] == pytest.approx(np.abs(cdf[0] - cdf[1]).max(), abs=1e-12)
        assert row[f"ecdf_mean_{when}"] == pytest.approx(np.abs(cdf[0] - cdf[1]).mean(), abs=1e-12)
