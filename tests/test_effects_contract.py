"""Contract and invariance tests for evaltool.effects (every registered variance strategy)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from evaltool.effects import EFFECT_COLUMNS, VARIANCES, adjust_pvalues, estimate, variance_strategy
from evaltool.estimand import Estimand
from evaltool.exceptions import ConfigError, DataWarning, EstimationError, EvaltoolError
from test_effects_support import matchit_design, nearest_design, simulate_population


@pytest.fixture(scope="module")
def population():
    df = simulate_population(600, np.random.default_rng(7))
    df["earn"] = 1000 + 300 * df["x1"] + 150 * df["treat"] + np.random.default_rng(8).normal(0, 200, len(df))
    return df


@pytest.fixture(scope="module")
def design(population):
    return nearest_design(population)


@pytest.fixture(scope="module")
def design_replace(population):
    return nearest_design(population, replace=True)


@pytest.mark.parametrize("name", sorted(VARIANCES))
def test_contract_every_variance(name, design, design_replace, population):
    d = design_replace if name == "abadie_imbens" else design
    if name == "m_estimation":  # needs estimated propensity weights
        from evaltool.design.weighting import weight

        d = weight(population, "treat", ["x1", "x2"], estimand="ATE")
    res = estimate(d, ["y", "earn"], variance=name, seed=3, n_boot=60, subgroups=["group"])
    frame = res.to_frame()
    assert tuple(frame.columns) == EFFECT_COLUMNS
    assert len(res.effects) == 2 and len(res.subgroups) == 4 and len(res.subgroup_tests) == 2
    assert frame["std_error"].gt(0).all() and frame["ci_low"].lt(frame["ci_high"]).all()
    assert frame["variance"].eq(VARIANCES[name].name).all()
    out = res.to_dict()
    assert list(out) == ["effects", "subgroups", "subgroup_tests"]
    text = json.dumps(out)
    assert "P0" not in text  # no person ids
    assert "Effects" in res.summary() and "<h4>" in res._repr_html_() and str(res)


def test_binary_outcome_in_percentage_points(design):
    row = estimate(design, "y").effects.iloc[0]
    w, t, y = design.weights, design.treat, design.data["y"]
    m1 = np.average(y[(t == 1) & (w > 0)], weights=w[(t == 1) & (w > 0)]) * 100
    m0 = np.average(y[(t == 0) & (w > 0)], weights=w[(t == 0) & (w > 0)]) * 100
    assert row["unit"] == "pp"
    assert row["mean_treated"] == pytest.approx(m1) and row["mean_control"] == pytest.approx(m0)
    assert row["estimate"] == pytest.approx(m1 - m0)
    assert row["relative_change"] == pytest.approx((m1 - m0) / m0)
    assert row["n_treated"] == int(((t == 1) & (w > 0)).sum())
    assert row["n_control"] == int(((t == 0) & (w > 0)).sum())
    cont = estimate(design, "earn").effects.iloc[0]
    assert cont["unit"] == "level"


def test_relative_change_none_when_control_mean_zero(design):
    data = design.data.assign(z=np.where(design.data["treat"] == 1, 1.0, 0.0) * design.data["y"])
    d2 = type(design)(**{**design.__dict__, "data": data})
    row = estimate(d2, "z").effects.iloc[0]
    assert row["mean_control"] == 0 and row["relative_change"] is None


def test_outcomes_as_frame_and_missing_values_warn(design):
    frame = design.data[["y"]].rename(columns={"y": "reg"}).copy()
    frame.iloc[:5, 0] = np.nan
    with pytest.warns(DataWarning, match="no value"):
        res = estimate(design, frame)
    assert res.effects["outcome"].tolist() == ["reg"]


def test_inputs_not_mutated(design):
    before = design.data.copy(), design.weights.copy(), design.pairs()
    estimate(design, ["y", "earn"], variance="bootstrap", seed=1, n_boot=50, subgroups=["group"])
    pd.testing.assert_frame_equal(design.data, before[0])
    pd.testing.assert_series_equal(design.weights, before[1])
    pd.testing.assert_frame_equal(design.pairs(), before[2])


def test_row_order_invariance(design):
    perm = np.random.default_rng(0).permutation(len(design.data))
    shuffled = type(design)(**{**design.__dict__, "data": design.data.iloc[perm],
                               "treat": design.treat.iloc[perm], "weights": design.weights.iloc[perm],
                               "subclass": design.subclass.iloc[perm],
                               "pairs_frame": design.pairs_frame.iloc[::-1]})
    for v in ("cluster", "hc3"):
        a = estimate(design, ["y", "earn"], variance=v).effects
        b = estimate(shuffled, ["y", "earn"], variance=v).effects
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)


def test_rescaling_outcome_scales_estimate_and_se(design):
    d2 = type(design)(**{**design.__dict__, "data": design.data.assign(earn_k=design.data["earn"] / 1000)})
    a = estimate(d2, "earn").effects.iloc[0]
    b = estimate(d2, "earn_k").effects.iloc[0]
    assert b["estimate"] * 1000 == pytest.approx(a["estimate"], rel=1e-10)
    assert b["std_error"] * 1000 == pytest.approx(a["std_error"], rel=1e-10)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-10)


def test_bootstrap_same_seed_same_result_any_n_jobs(design):
    a = estimate(design, "earn", variance="bootstrap", seed=11, n_boot=80, n_jobs=1).effects
    b = estimate(design, "earn", variance="bootstrap", seed=11, n_boot=80, n_jobs=2).effects
    c = estimate(design, "earn", variance="bootstrap", seed=12, n_boot=80, n_jobs=1).effects
    pd.testing.assert_frame_equal(a, b)
    assert a["std_error"].iloc[0] != c["std_error"].iloc[0]
    cl = estimate(design, "earn", variance="cluster").effects["std_error"].iloc[0]
    assert a["std_error"].iloc[0] == pytest.approx(cl, rel=0.3)


@pytest.mark.parametrize("method,sm", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustment_matches_statsmodels(method, sm):
    p = np.random.default_rng(5).uniform(0, 0.2, size=9)
    p[3] = p[2]  # a tie
    np.testing.assert_allclose(adjust_pvalues(p, method), multipletests(p, method=sm)[1], rtol=1e-12)
    np.testing.assert_array_equal(adjust_pvalues(p, "none"), p)


def test_p_value_adj_across_outcomes(design):
    res = estimate(design, ["y", "earn"], adjust="bh")
    np.testing.assert_allclose(res.effects["p_value_adj"],
                               multipletests(res.effects["p_value"], method="fdr_bh")[1])


def test_subgroups_and_wald_test(design):
    res = estimate(design, "earn", subgroups=["group"])
    sg = res.subgroups
    assert sg["subgroup"].eq("group").all() and sg["level"].tolist() == ["a", "b"]
    test = res.subgroup_tests.iloc[0]
    assert test["df"] == 1 and 0 <= test["p_value"] <= 1
    # the same Wald test by statsmodels: WLS of earn on level intercepts and level x treat,
    # design weights, clustered by subclass (G/(G-1) and (n-1)/(n-k) as sandwich::vcovCL)
    import statsmodels.api as sm

    keep = design.weights > 0
    d = design.data[keep]
    lev = pd.get_dummies(d["group"]).astype(float)[["a", "b"]]
    X = pd.concat([lev, lev.mul(design.treat[keep], axis=0).add_suffix(":treat")], axis=1)
    fit = sm.WLS(d["earn"], X, weights=design.weights[keep]).fit(
        cov_type="cluster", cov_kwds={"groups": design.subclass[keep].astype(int).to_numpy()})
    wald = fit.wald_test("b:treat - a:treat = 0", scalar=True, use_f=False)
    assert test["statistic"] == pytest.approx(float(wald.statistic), rel=1e-8)
    assert test["p_value"] == pytest.approx(float(wald.pvalue), rel=1e-8)


def test_small_level_skipped_with_warning(design):
    data = design.data.copy()
    data["rare"] = "common"
    data.loc[data.index[data["treat"] == 1][:1], "rare"] = "rare"
    d2 = type(design)(**{**design.__dict__, "data": data})
    with pytest.warns(DataWarning, match="level skipped"):
        res = estimate(d2, "earn", subgroups=["rare"])
    assert res.subgroups["level"].tolist() == ["common"]
    assert res.subgroup_tests.empty


@pytest.mark.parametrize("kwargs,match", [  # the rules of EffectsSpec (checked by the config too)
    ({"variance": "sandwich"}, "must be one of abadie_imbens, bootstrap, cluster, hc1, hc3"),
    ({"method": "aipw2"}, "`method` must be one of"),
    ({"adjust": "bonferroni"}, "`adjust` must be one of"),
    ({"alpha": 0.7}, "`alpha` must be a number < 0.5"),
    ({"n_boot": 5}, "`n_boot` must be an integer >= 50"),
    ({"method": "regression"}, "needs `covariates`"),
    ({"method": "regression", "covariates": ["x1"], "variance": "ai"}, "is for method 'difference'"),
    ({"ps_adjust": True, "variance": "cluster"}, "`ps_adjust` needs variance 'abadie_imbens'"),
])
def test_spec_errors(design, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        estimate(design, "y", **kwargs)


@pytest.mark.parametrize("kwargs,match", [  # errors that need the data
    ({"method": "regression", "covariates": ["nope"]}, r"column\(s\) 'nope' not found"),
    ({"subgroups": ["nope"]}, "subgroup 'nope' not found"),
])
def test_data_errors(design, kwargs, match):
    with pytest.raises(EvaltoolError, match=match):
        estimate(design, "y", **kwargs)


def test_missing_outcome_and_non_design(design):
    with pytest.raises(EstimationError, match="outcome 'nope' not found"):
        estimate(design, "nope")
    with pytest.raises(EstimationError, match="`design` must provide"):
        estimate(object(), "y")


def test_aliases_and_instances():
    assert variance_strategy("AI").name == "abadie_imbens"
    assert variance_strategy("robust").name == "hc1"
    inst = variance_strategy("bootstrap", n_boot=50)
    assert variance_strategy(inst) is inst
    with pytest.raises(EstimationError, match="does not take options"):
        variance_strategy("cluster", ps_adjust=True)


def test_ai_rejects_ate_designs(population):
    d = nearest_design(population, replace=True, estimand=Estimand.ATE)
    with pytest.raises(EstimationError, match="ATT or ATC"):
        estimate(d, "y", variance="abadie_imbens")


def test_weighting_design_without_pairs_clusters_on_units(design):
    d2 = type(design)(**{**design.__dict__, "subclass": pd.Series(pd.NA, index=design.data.index, dtype="Int64"),
                         "pairs_frame": design.pairs_frame.iloc[:0]})
    a = estimate(d2, "earn", variance="cluster").effects.iloc[0]
    b = estimate(d2, "earn", variance="hc1").effects.iloc[0]
    assert a["std_error"] == pytest.approx(b["std_error"], rel=1e-12)


def test_matchit_design_regression_with_categorical_terms():
    d = matchit_design("lalonde_nearest_1to1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = estimate(d, "re78", method="regression", covariates=["age", "C(race)", "age:married", "educ^2"])
    assert np.isfinite(res.effects["std_error"].iloc[0])


def test_percent_outcomes_scale_to_percentage_points(design, population):
    share = pd.Series(np.clip(population["x1"].rank(pct=True).to_numpy(), 0, 1), index=population.index,
                      name="share")
    frame = pd.DataFrame({"share": share})
    plain = estimate(design, frame).to_frame().iloc[0]
    pct = estimate(design, frame, percent=["share"]).to_frame().iloc[0]
    assert plain["unit"] == "level" and pct["unit"] == "pp"
    for col in ("estimate", "std_error", "ci_low", "ci_high", "mean_treated", "mean_control"):
        assert pct[col] == pytest.approx(100 * plain[col], rel=1e-12)
    assert pct["p_value"] == pytest.approx(plain["p_value"], rel=1e-12)
    with pytest.raises(EstimationError, match="outside"):
        estimate(design, pd.DataFrame({"share": share * 2}), percent=["share"])
    with pytest.raises(EstimationError, match="not estimated"):
        estimate(design, frame, percent=["nope"])


def test_bootstrap_progress_bar_runs_on_stderr(capsys, monkeypatch):
    import functools

    import rich.console

    from evaltool.effects.bootstrap import _progress_bar

    # capsys is not a terminal: make rich draw as it would on one
    monkeypatch.setattr(rich.console, "Console", functools.partial(rich.console.Console, force_terminal=True))
    with _progress_bar(10, True) as advance:
        for _ in range(10):
            advance(1)
    shown = capsys.readouterr()
    assert shown.out == "" and "bootstrap" in shown.err and "10/10" in shown.err  # drawn on stderr only
    with _progress_bar(10, False) as advance:
        advance(10)
    hidden = capsys.readouterr()
    assert hidden.out == "" and hidden.err == ""


def test_singular_subgroup_test_is_unavailable_not_fatal(design):
    # an all-zero outcome: level effects are 0 with SE 0, so the Wald test of equal effects is singular
    data = design.data.assign(zero=0.0)
    d2 = type(design)(**{**design.__dict__, "data": data})
    with pytest.warns(DataWarning, match=r"subgroup 'group', outcome 'zero': test of equal effects not available"):
        res = estimate(d2, ["zero", "earn"], subgroups=["group"])
    tests = res.subgroup_tests.set_index("outcome")
    assert np.isnan(tests.loc["zero", "statistic"]) and np.isnan(tests.loc["zero", "p_value"])
    assert tests.loc["earn", "statistic"] > 0 and 0 < tests.loc["earn", "p_value"] < 1  # the other test is intact
    assert len(res.effects) == 2
    json.dumps(res.to_dict(), allow_nan=False)  # the unavailable test is written as null, not NaN


@pytest.mark.parametrize("method", ["difference", "regression"])
def test_outcomes_estimated_together_equal_one_at_a_time(design, population, method):
    """Outcomes with the same usable units share rows and the model's factorisation; the numbers
    are those of estimating each outcome alone (also with a missing value, i.e. other rows)."""
    frame = pd.DataFrame({"earn": population["earn"], "y": population["y"].astype(float),
                          "earn_gap": population["earn"] * 0.5 + 3.0}, index=population.index)
    frame.loc[frame.index[design.weights.to_numpy() > 0][3], "earn_gap"] = np.nan
    kw = {"method": method, "subgroups": ["group"], "covariates": ["x1"] if method == "regression" else None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        together = estimate(design, frame, **kw)
        alone = [estimate(design, frame[[c]], **kw) for c in frame.columns]
    cols = [c for c in EFFECT_COLUMNS if c != "p_value_adj"]
    pd.testing.assert_frame_equal(together.effects[cols], pd.concat([a.effects for a in alone])[cols]
                                  .reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(together.subgroups[cols], pd.concat([a.subgroups for a in alone])[cols]
                                  .reset_index(drop=True), check_exact=True)
