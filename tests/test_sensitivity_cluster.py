"""Area-level inference against R sandwich 3.0.2 (cluster_sandwich.json) and PyPI wildboottest 0.3.2
(wildboot.json); data tests/fixtures/sensitivity/cluster_data.csv (tests/reference/sensitivity_cluster_data.py)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import EstimationError
from evaltool.sensitivity.cluster import (cr1_vcov, fit_wls, headline_rule, randomization_test,
                                          wild_cluster_bootstrap)

FIX = Path(__file__).parent / "fixtures" / "sensitivity"
D = pd.read_csv(FIX / "cluster_data.csv")
X = np.column_stack([np.ones(len(D)), D["treat"].to_numpy(float)])
Y = D["y"].to_numpy(float)
W = D["w"].to_numpy(float)


def test_cr1_and_twoway_equal_sandwich_vcovcl():
    ref = json.loads((FIX / "cluster_sandwich.json").read_text())
    fit = fit_wls(Y, X, W)
    beta = fit.beta
    assert beta[1] == pytest.approx(ref["estimate"], abs=1e-10)
    v1 = cr1_vcov(fit, [D["area"].to_numpy()])
    v2 = cr1_vcov(fit, [D["area"].to_numpy(), D["pair"].to_numpy()])
    assert np.sqrt(v1[1, 1]) == pytest.approx(ref["se_cr1"], abs=1e-10)
    assert np.sqrt(v2[1, 1]) == pytest.approx(ref["se_twoway"], abs=1e-10)


def test_wild_cluster_bootstrap_full_enumeration_equals_wildboottest():
    ref = json.loads((FIX / "wildboot.json").read_text())
    one = np.ones(len(D))
    r = wild_cluster_bootstrap(Y, X, one, D["area"].to_numpy(), n_boot=9999, weights="rademacher")
    assert r.enumerated and ref["full_enumeration"] and r.n_draws == ref["n_draws"] == 1024
    assert r.t_stat == pytest.approx(ref["t_stat"], abs=1e-10)
    assert r.p_value == pytest.approx(ref["p_value"], abs=1e-12)
    assert r.ci_low < r.estimate < r.ci_high
    # the interval is the set of nulls the same test does not reject
    again = wild_cluster_bootstrap(Y - r.ci_high * 1.01 * X[:, 1], X, one, D["area"].to_numpy(), n_boot=9999,
                                   conf_int=False)
    assert again.p_value <= 0.05


def test_wild_cluster_bootstrap_is_seeded_and_webb_runs():
    a = wild_cluster_bootstrap(Y, X, W, D["area"].to_numpy(), n_boot=199, weights="webb", seed=3, conf_int=False)
    b = wild_cluster_bootstrap(Y, X, W, D["area"].to_numpy(), n_boot=199, weights="webb", seed=3, conf_int=False)
    assert a == b and not a.enumerated and a.n_draws == 199


def test_randomization_enumerates_area_assignments():
    r = randomization_test(Y, D["treat"].to_numpy(float), W, D["area"].to_numpy(), permutations=999)
    assert r.enumerated and r.n_assignments == 210  # C(10, 4)
    assert r.n_treated_clusters == 4
    # p-value is a multiple of 1/210 and the observed assignment is counted
    assert r.p_value * 210 == pytest.approx(round(r.p_value * 210), abs=1e-9) and r.p_value >= 1 / 210
    assert r.ci_low < r.estimate < r.ci_high


def test_randomization_interval_is_the_set_of_constant_effects_not_rejected():
    """Inverting the sharp null: y - tau * treat tested at tau = 0 is the test of tau (independent of how
    the interval's bisection computes the observed difference)."""
    t = D["treat"].to_numpy(float)
    r = randomization_test(Y, t, W, D["area"].to_numpy(), permutations=999)
    step = 1e-6 * (r.ci_high - r.ci_low)
    for bound, inward in ((r.ci_low, +1), (r.ci_high, -1)):
        inside = randomization_test(Y - (bound + inward * step) * t, t, W, D["area"].to_numpy(), permutations=999)
        outside = randomization_test(Y - (bound - inward * step) * t, t, W, D["area"].to_numpy(), permutations=999)
        assert inside.p_value > 0.05 >= outside.p_value


def test_randomization_needs_area_level_treatment():
    t = D["treat"].to_numpy(float).copy()
    t[D["area"].to_numpy() == 9] = np.arange(24) % 2
    with pytest.raises(EstimationError, match="treatment constant within each area"):
        randomization_test(Y, t, W, D["area"].to_numpy())


def test_headline_rule():
    assert headline_rule(16, 6)[0] == "wild_cluster_bootstrap"
    assert headline_rule(40, 9)[0] == "wild_cluster_bootstrap"
    assert headline_rule(40, 20)[0] == "cr1"


def _naive_wild_t(y, X, w, codes, j, b, v):
    """The bootstrap t statistics of draws ``v`` under beta_j = b by refitting every draw (the
    definition of the restricted wild cluster bootstrap, O(n) per draw)."""
    from evaltool.effects.variance import cluster_vcov

    Xr = np.delete(X, j, axis=1)
    r = fit_wls(y - b * X[:, j], Xr, w)
    fitted, u = y - r.resid, r.resid
    out = []
    for draw in v:
        f = fit_wls(fitted + draw[codes] * u, X, w)
        out.append((f.beta[j] - b) / np.sqrt(cluster_vcov(f, [codes])[j, j]))
    return np.array(out)


@pytest.mark.parametrize("with_covariate", [False, True])
def test_wild_bootstrap_aggregates_equal_refitting_every_draw(with_covariate):
    from evaltool.sensitivity.cluster import WEBB, _Wild

    codes = np.unique(D["area"].to_numpy(), return_inverse=True)[1]
    Xk = np.column_stack([X, D["pair"].to_numpy(float) % 7]) if with_covariate else X
    v = np.random.default_rng(4).choice(WEBB, size=(25, int(codes.max()) + 1))
    wb = _Wild(Y, Xk, W, codes, 1, v)
    fit = fit_wls(Y, Xk, W)
    for b in (0.0, 0.4, -1.3, 2.5):
        t_obs, t = wb.tstats(b)
        np.testing.assert_allclose(t, _naive_wild_t(Y, Xk, W, codes, 1, b, v), rtol=1e-9, atol=1e-9)
        assert t_obs == pytest.approx((fit.beta[1] - b) / np.sqrt(cr1_vcov(fit, [codes])[1, 1]), rel=1e-12)
