"""Area estimators on panels with known truth: exact recovery without noise, bias of TWFE under
staggered heterogeneous effects, inference objects, determinism and the result surface."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evaltool.areas import METHODS, AreaSpec, plot_event_study, run_area_analysis, validate_area_panel
from evaltool.areas.callaway_santanna import callaway_santanna
from evaltool.exceptions import EstimationError, EvaltoolWarning
from evaltool.simulate.areas import simulate_area_panel


def noiseless(starts: list[int], years=range(2010, 2020), effect=lambda g, e: -0.01 * (1 + e) * (g % 3 + 1),
              anticipation: int = 0) -> tuple[pd.DataFrame, dict]:
    """y = a_i + b_t + tau(g, t - g) exactly; truth ATT(g,t) = tau(g, t - g) for t >= g - anticipation."""
    rng = np.random.default_rng(5)
    yrs = np.array(list(years))
    rows, truth = [], {}
    a = rng.uniform(0.1, 0.5, len(starts))
    b = np.cumsum(rng.normal(0, 0.02, len(yrs)))
    for i, g in enumerate(starts):
        for j, t in enumerate(yrs):
            e = t - g
            tau = effect(g, e) if g > 0 and e >= -anticipation else 0.0
            if g > 0 and e >= 0:
                truth[(g, int(t))] = tau
            rows.append((f"A{i:02d}", int(t), a[i] + b[j] + tau, g, 1000 + i))
    return pd.DataFrame(rows, columns=["area", "year", "unemployment_rate", "outreach_start_year", "residents"]), truth


STAG = [0] * 6 + [2013] * 3 + [2015] * 3 + [2017] * 3


def test_cs_recovers_group_time_effects_exactly_and_twfe_does_not():
    df, truth = noiseless(STAG)
    spec = AreaSpec(methods=["twfe", "callaway_santanna"], n_boot=0, n_permutations=0)
    res = run_area_analysis(df, spec, seed=1)
    cells = {(r.group, r.period): r.estimate for r in res.estimates
             if r.estimator == "callaway_santanna" and r.aggregation is None}
    for key, tau in truth.items():
        assert cells[key] == pytest.approx(tau, abs=1e-12)
    pre = [v for (g, t), v in cells.items() if t < g]
    assert np.allclose(pre, 0, atol=1e-12)
    simple = np.mean([truth[k] for k in truth])  # equal cohort sizes: P(G=g) weights are equal
    assert res.get("callaway_santanna", "simple").estimate == pytest.approx(simple, abs=1e-12)
    # TWFE bias with effects growing over time (measured: -0.0479 vs the true -0.0567)
    assert abs(res.get("twfe").estimate - simple) > 0.005


def test_cs_not_yet_treated_and_anticipation_exact():
    df, truth = noiseless([2013] * 3 + [2015] * 3 + [2018] * 3, effect=lambda g, e: -0.02)
    p = validate_area_panel(df, AreaSpec(control_group="not_yet_treated"))
    cs = callaway_santanna(p, control_group="not_yet_treated")
    cells = {(r.group, r.period): r.estimate for r in cs.rows if r.aggregation is None}
    assert all(cells[k] == pytest.approx(-0.02, abs=1e-12) for k in truth if k in cells)
    assert (2013, 2014) in cells and (2018, 2019) not in cells  # no not-yet-treated control left in 2019
    df2, truth2 = noiseless(STAG, effect=lambda g, e: -0.03, anticipation=1)
    cs2 = callaway_santanna(validate_area_panel(df2, AreaSpec()), anticipation=1)
    simple = [r for r in cs2.rows if r.aggregation == "simple"][0]
    assert simple.estimate == pytest.approx(-0.03, abs=1e-12)
    cs0 = callaway_santanna(validate_area_panel(df2, AreaSpec()), anticipation=0)
    assert [r for r in cs0.rows if r.aggregation == "simple"][0].estimate > -0.03 + 0.005


def test_event_study_noiseless_and_pretrend():
    df, _ = noiseless([0] * 5 + [2015] * 4, effect=lambda g, e: -0.01 * min(e + 1, 3))
    res = run_area_analysis(df, AreaSpec(methods=["event_study"], event_min=-3, event_max=3, n_boot=0,
                                         n_permutations=0), seed=1)
    es = {r.event_time: r.estimate for r in res.estimates if r.estimator == "event_study"}
    assert sorted(es) == [-3, -2, -1, 0, 1, 2, 3]
    for e in (-3, -2, -1):
        assert es[e] == pytest.approx(0.0, abs=1e-10)
    for e, v in ((0, -0.01), (1, -0.02), (2, -0.03), (3, -0.03)):
        assert es[e] == pytest.approx(v, abs=1e-10)
    assert res.pretrend_test["leads"] == [-3, -2] and res.pretrend_test["df"] == 2


def test_synthetic_methods_exact_when_treated_is_a_donor_mix():
    df, _ = noiseless([0] * 8 + [2015], effect=lambda g, e: -0.05)
    res = run_area_analysis(df, AreaSpec(methods=["synthetic_control", "synthetic_did", "did_2x2"], n_boot=0,
                                         n_permutations=0, n_placebo=20), seed=3)
    assert res.get("synthetic_did").estimate == pytest.approx(-0.05, abs=1e-6)
    assert res.get("did_2x2").estimate == pytest.approx(-0.05, abs=1e-12)
    sdid_w = [w for w in res.donor_weights if w["estimator"] == "synthetic_did"]
    assert sum(w["weight"] for w in sdid_w) == pytest.approx(1.0)
    assert res.extras["synthetic_did"]["pre_rmspe"] < 1e-3
    assert res.get("synthetic_did").std_error > 0
    assert res.extras["synthetic_control"]["placebo_in_space"]["n_placebos"] == 8


@pytest.fixture(scope="module")
def fred():
    df, truth = simulate_area_panel(16, range(2008, 2021), "fredericia", -0.03, 11)
    res = run_area_analysis(df, AreaSpec(population="residents", n_boot=199, n_permutations=199), seed=4)
    return df, truth, res


def test_fredericia_story(fred):
    df, truth, res = fred
    ba = res.before_after
    assert [r["unit"] for r in ba] == ["Korskærparken", "Nørrebrogade"]
    assert all(r["period_before"] == 2013 and r["change"] < -0.07 for r in ba)
    assert all(r["comparison_change"] < -0.05 for r in ba)
    for est in ("did_2x2", "twfe"):
        r = res.get(est)
        assert abs(r.estimate - truth["att_treated_post"]) < 4 * r.std_error
        assert r.ci_low < r.estimate < r.ci_high
    assert abs(res.get("before_after").estimate) > 2 * abs(truth["effect"])


def test_small_cluster_rows(fred):
    _, _, res = fred
    twfe = [r for r in res.estimates if r.estimator == "twfe"]
    kinds = [r.se_type.split(" (")[0].split(",")[0] for r in twfe]
    assert kinds == ["cluster-robust by area", "classical", "wild cluster restricted bootstrap",
                     "randomization inference over areas"]
    for r in twfe[2:]:
        assert 0 < r.pvalue <= 1 and r.ci_low < r.estimate < r.ci_high
    assert twfe[3].pvalue >= 1 / 200
    # with 2 treated of 16 areas, RI over start patterns has at most C(16,2)=120 distinct assignments
    assert twfe[3].ci_high - twfe[3].ci_low > 0


def test_one_treated_wild_bootstrap_is_honest():
    df, _ = simulate_area_panel(20, range(2008, 2021), "one_treated", -0.03, 2)
    res = run_area_analysis(df, AreaSpec(methods=["twfe"], n_boot=199, n_permutations=199), seed=2)
    rows = [r for r in res.estimates if r.estimator == "twfe"]
    assert rows[2].ci_high - rows[2].ci_low > 2 * (rows[0].ci_high - rows[0].ci_low)


def test_determinism_and_row_order():
    df, _ = simulate_area_panel(9, range(2010, 2019), "staggered", -0.03, 5)
    spec = AreaSpec(methods=list(METHODS), n_boot=99, n_permutations=99, n_placebo=3, event_min=-3, event_max=3)
    a = json.dumps(run_area_analysis(df, spec, seed=9).to_dict())
    b = json.dumps(run_area_analysis(df.sample(frac=1, random_state=3), spec, seed=9).to_dict())
    assert a == b
    c = json.dumps(run_area_analysis(df, spec, seed=10).to_dict())
    assert a != c


def test_result_surface():
    df, _ = simulate_area_panel(12, range(2008, 2020), "staggered", -0.03, 5)
    res = run_area_analysis(df, AreaSpec(population="residents", n_boot=99, n_permutations=0), seed=1)
    d = res.to_dict()
    assert list(d)[:5] == ["estimates", "pretrend_test", "donor_weights", "before_after", "assumptions"]
    assert set(d["estimates"][0]) >= {"estimator", "aggregation", "event_time", "group", "period", "estimate",
                                      "std_error", "ci_low", "ci_high", "se_type", "n_units", "n_treated_units"}
    assert {e["estimator"] for e in d["estimates"]} == {"before_after", "did_2x2", "twfe", "event_study",
                                                        "callaway_santanna"}
    assert {"da", "en"} <= set(d["assumptions"]["twfe"]) and "Callaway" in d["assumptions"]["twfe"]["en"]
    assert len(d["populations"]) == 12 and d["populations"][0]["population_min"] > 0
    assert d["extras"]["callaway_santanna"]["uniform_crit"] > 1.96
    json.dumps(d, allow_nan=False)
    assert "Område" not in repr(res) and repr(res).startswith("AreaResult(units=12")
    assert "callaway_santanna" in res.summary()
    assert len(res.to_frame()) == len(res.estimates)
    fig = plot_event_study(res)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_legend().get_texts()) == 2


def test_not_estimable_is_reported_not_fatal():
    df, _ = noiseless([2012] * 4 + [2014] * 4)
    spec = AreaSpec(methods=["did_2x2", "callaway_santanna"], control_group="not_yet_treated", n_boot=0,
                    n_permutations=0)
    with pytest.warns(EvaltoolWarning, match="not estimable: did_2x2: needs never-treated"):
        res = run_area_analysis(df, spec)
    assert res.to_dict()["not_estimable"] == [
        {"estimator": "did_2x2", "reason": "did_2x2: needs never-treated comparison areas (first_treated 0/empty)"}]
    # only cohort 2012 has not-yet-treated controls (cohort 2014) in 2012-2013: tau = -0.03, -0.06
    assert res.get("callaway_santanna", "simple").estimate == pytest.approx(-0.045, abs=1e-12)
    with pytest.raises(EstimationError, match="no estimator could be computed; did_2x2: needs never-treated"), \
            pytest.warns(EvaltoolWarning):
        run_area_analysis(df, AreaSpec(methods=["did_2x2"], control_group="not_yet_treated", n_boot=0,
                                       n_permutations=0))
