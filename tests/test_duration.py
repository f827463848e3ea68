"""Time to event (evaltool.effects.time_to_event) against statsmodels and by invariance."""

from __future__ import annotations

import json

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from evaltool.effects.time_to_event import cox, kaplan_meier, time_to_event
from evaltool.exceptions import EstimationError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 400
    z = rng.integers(0, 2, n)
    t = np.minimum(rng.geometric(0.03 + 0.02 * z), 60).astype(float)
    e = ((t < 60) & (rng.random(n) < 0.9)).astype(int)
    return t, e, z


def test_unweighted_km_equals_statsmodels(data):
    t, e, z = data
    km = kaplan_meier(t, e, z)
    assert km["group"].iloc[0] == "treated" and km["week"].iloc[0] == 0 and km["survival"].iloc[0] == 1
    for g, name in ((1, "treated"), (0, "comparison")):
        sf = SurvfuncRight(t[z == g], e[z == g])
        part = km[(km["group"] == name) & (km["events"] > 0)]
        np.testing.assert_allclose(part["week"], sf.surv_times)
        np.testing.assert_allclose(part["survival"], sf.surv_prob, rtol=0, atol=1e-12)
        np.testing.assert_allclose(part["std_error"], sf.surv_prob_se, rtol=0, atol=1e-12)
        np.testing.assert_allclose(part["n_at_risk"], sf.n_risk)


def test_median_ci_equals_statsmodels(data):
    t, e, z = data
    res = time_to_event(t, e, z)
    for g, row in zip((1, 0), res.median.itertuples()):
        sf = SurvfuncRight(t[z == g], e[z == g])
        lo, hi = sf.quantile_ci(0.5, method="cloglog")
        assert (row.median, row.ci_low, row.ci_high) == (sf.quantile(0.5), lo, hi)


def test_cox_equals_phreg_with_groups(data):
    t, e, z = data
    pairs = np.arange(len(t)) // 2
    fit = PHReg(t, z[:, None].astype(float), status=e).fit(groups=pairs)
    c = cox(t, e, z, cluster=pairs)
    assert c["coef"] == pytest.approx(fit.params[0], abs=1e-8)
    assert c["std_error"] == pytest.approx(fit.bse[0], abs=1e-8)
    assert c["hazard_ratio"] == pytest.approx(np.exp(fit.params[0]), rel=1e-8)


def test_integer_weights_equal_replicated_rows(data):
    t, e, z = data
    w = np.tile([1.0, 2.0, 3.0, 1.0], len(t) // 4)
    rep = np.repeat(np.arange(len(t)), w.astype(int))
    a = kaplan_meier(t, e, z, weights=w)
    b = kaplan_meier(t[rep], e[rep], z[rep])
    np.testing.assert_allclose(a["survival"], b["survival"], atol=1e-12)
    ca, cb = cox(t, e, z, weights=w), cox(t[rep], e[rep], z[rep])
    assert ca["coef"] == pytest.approx(cb["coef"], abs=1e-9)


def test_by_week_without_clusters_is_independent_greenwood(data):
    t, e, z = data
    res = time_to_event(t, e, z, weeks=(26,))
    row = res.by_week.iloc[0]
    se = []
    share = []
    for g in (1, 0):
        sf = SurvfuncRight(t[z == g], e[z == g])
        j = np.searchsorted(sf.surv_times, 26, side="right") - 1
        se.append(sf.surv_prob_se[j])
        share.append(1 - sf.surv_prob[j])
    assert row["estimate"] == pytest.approx(share[0] - share[1], abs=1e-12)
    assert row["std_error"] == pytest.approx(np.hypot(*se), abs=1e-12)
    d = res.to_dict()
    assert list(d) == ["outcome", "km", "median", "cox", "by_week", "n", "alpha"]
    assert set(d["km"][0]) >= {"group", "week", "survival", "at_risk", "events"}
    assert set(d["median"][0]) == {"group", "median", "ci_low", "ci_high"}
    assert set(d["by_week"][0]) >= {"week", "estimate", "ci_low", "ci_high", "std_error"}
    json.dumps(d)
    assert "Time to event" in res.summary()


def test_pair_clustering_changes_se_and_row_order_does_not(data):
    t, e, z = data
    pairs = np.arange(len(t)) // 2
    a = time_to_event(t, e, z, cluster=pairs, weeks=(26, 52))
    perm = np.random.default_rng(1).permutation(len(t))
    b = time_to_event(t[perm], e[perm], z[perm], cluster=pairs[perm], weeks=(26, 52))
    np.testing.assert_allclose(a.by_week["std_error"], b.by_week["std_error"], rtol=1e-10)
    c = time_to_event(t, e, z, weeks=(26, 52))
    assert not np.allclose(a.by_week["std_error"], c.by_week["std_error"])


def test_errors():
    with pytest.raises(EstimationError, match="`event` must be 0/1"):
        kaplan_meier([1, 2], [0, 2])
    with pytest.raises(EstimationError, match="non-negative"):
        kaplan_meier([-1, 2], [0, 1])
    with pytest.raises(EstimationError, match="`treat` must be 0/1"):
        time_to_event([1, 2], [1, 1], [0, 5])
    with pytest.raises(EstimationError, match="`alpha` must be a number"):
        time_to_event([1, 2], [1, 1], [0, 1], alpha=0.9)
