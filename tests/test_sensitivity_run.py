"""run_sensitivity end to end on a simulated study (known truths), the spec, placebos, the
specification curve and the result surface."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from evaltool.design.matching import match
from evaltool.effects import estimate
from evaltool.exceptions import ConfigError, EstimationError
from evaltool.registers.outcomes import OutcomeSpec, derive_outcomes
from evaltool.sensitivity import (SensitivitySpec, SpecCurveSpec, exclude_lockin, horizon_specs, matched_sets,
                                  parse_spec, pre_period_specs, rosenbaum_outcome, run_sensitivity,
                                  specification_curve, specification_curve_figure)
from evaltool.sensitivity.speccurve import design_grid
from evaltool.simulate import simulate_study

COVS = ["age", "sex", "C(origin)", "C(match_group)", "prior_support_share"]


@pytest.fixture(scope="module")
def study():
    sim = simulate_study(n=2400, seed=11)
    persons = sim.persons.set_index("person_id")
    specs = [OutcomeSpec("placement_52w", "any", ("virksomhedspraktik", "loentilskud"), window=(1, 52)),
             OutcomeSpec("self_support_share_104w", "share", ("self_support",), window=(1, 104))]
    allspecs = specs + pre_period_specs(specs)
    out = derive_outcomes(sim.persons, sim.weekly_status, sim.code_map, allspecs).frame
    out.index = persons.index
    rng = np.random.default_rng(5)
    out["placebo_noise"] = rng.normal(size=len(out))
    m = match(persons, "outreach", COVS)
    eff = estimate(m, out[[s.name for s in specs]], percent=["self_support_share_104w"])
    return m, eff, out, specs


def test_run_sensitivity_blocks_and_json(study):
    m, eff, out, specs = study
    spec = {"cluster": {"by": "area", "n_boot": 999, "permutations": 999},
            "placebo": {"pre_period": True, "outcomes": ["placebo_noise"]}}
    res = run_sensitivity(m, eff, out, spec, seed=3, outcome_specs=specs)
    d = res.to_dict()
    assert [r["outcome"] for r in d["rosenbaum"]] == ["placement_52w", "self_support_share_104w"]
    assert [r["method"] for r in d["rosenbaum"]] == ["mcnemar", "wilcoxon"]
    for r in d["rosenbaum"]:
        assert len(r["gamma_grid"]) == len(r["p_upper"]) == 21
        assert all(a <= b + 1e-12 for a, b in zip(r["p_upper"], r["p_upper"][1:]))  # p rises with Gamma
    assert d["rosenbaum"][1]["hl_interval"] is not None and d["rosenbaum"][0]["hl_interval"] is None
    assert {r["scale"] for r in d["evalue"]} == {"RR"}  # both in percent units -> risk-ratio scale
    kinds = [(r["outcome"], r["kind"]) for r in d["placebo"]]
    assert kinds == [("placement_52w_pre", "pre_period"), ("self_support_share_104w_pre", "pre_period"),
                     ("placebo_noise", "named")]
    types = [r["se_type"] for r in d["cluster"] if r["outcome"] == "placement_52w"]
    assert types == ["pair", "cr1", "cr1_twoway", "wild_cluster_bootstrap", "randomization"]
    heads = [r for r in d["cluster"] if r["headline"]]
    assert {r["se_type"] for r in heads} == {"wild_cluster_bootstrap"}  # 16 areas, 6 treated
    assert d["headline_interval"]["placement_52w"]["reason"].startswith("16 areas (6 treated)")
    # cluster estimate = the effect (difference in weighted means) in the same units
    cr1 = next(r for r in d["cluster"] if r["se_type"] == "cr1" and r["outcome"] == "placement_52w")
    assert cr1["estimate"] == pytest.approx(eff.effects["estimate"].iloc[0], abs=1e-9)
    text = json.dumps(d, sort_keys=False, allow_nan=False)
    again = run_sensitivity(m, eff, out, spec, seed=3, outcome_specs=specs).to_dict()
    assert json.dumps(again, allow_nan=False) == text  # deterministic
    assert "SensitivityResult(" in repr(res) and "person" not in repr(res)
    assert len(res.to_frame()) > 0 and "rosenbaum" in res.summary()


def test_pre_period_placebo_is_null_on_matched_history(study):
    # the simulator's outcomes before start do not depend on outreach given the matched covariates
    m, eff, out, specs = study
    res = run_sensitivity(m, eff, out, {"rosenbaum": False, "evalue": False, "placebo": {"pre_period": True}},
                          seed=1, outcome_specs=specs)
    for r in res.placebo.itertuples(index=False):
        assert abs(r.estimate / r.std_error) < 3.5, r


def test_matched_sets_ratio_two_uses_m_statistic(study):
    m, eff, out, specs = study
    m2 = match(m.data, "outreach", COVS, ratio=2)
    sets = matched_sets(m2, out["self_support_share_104w"])
    assert sets.shape[1] == 3
    r = rosenbaum_outcome(sets, [1.0, 1.5])
    assert r["method"] == "m_statistic" and r["p_upper"][0] <= r["p_upper"][1]


def test_spec_validation():
    assert SensitivitySpec().gamma_grid()[-1] == 3.0
    with pytest.raises(ConfigError, match="sensitivity.foo: Extra inputs are not permitted"):
        parse_spec({"foo": 1})
    with pytest.raises(ConfigError, match="gamma.stop must be >= gamma.start"):
        parse_spec({"gamma": {"start": 2, "stop": 1.5}})
    with pytest.raises(ConfigError, match="inner must be <= trim"):
        parse_spec({"inner": 4, "trim": 3})
    with pytest.raises(ConfigError, match="sensitivity.cluster.weights"):
        parse_spec({"cluster": {"by": "area", "weights": "normal"}})
    with pytest.raises(ConfigError, match="more than max_specs"):
        parse_spec({"specification_curve": {"ratio": [1, 2, 3], "max_specs": 10}})


def test_requested_but_impossible_analyses_raise(study):
    m, eff, out, specs = study
    with pytest.raises(EstimationError, match="needs `outcome_specs`"):
        run_sensitivity(m, eff, out, {"placebo": {"pre_period": True}}, seed=1)
    with pytest.raises(EstimationError, match="needs `placebo_rerun`"):
        run_sensitivity(m, eff, out, {"placebo": {"placebo_start_shift_weeks": 52}}, seed=1)
    with pytest.raises(EstimationError, match="cluster column 'nope'"):
        run_sensitivity(m, eff, out, {"cluster": {"by": "nope"}}, seed=1)


def test_placebo_start_rerun(study):
    m, eff, out, specs = study
    calls = []

    def rerun(shift):
        calls.append(shift)
        return estimate(m, out[["placebo_noise"]])

    res = run_sensitivity(m, eff, out, {"rosenbaum": False, "evalue": False,
                                        "placebo": {"placebo_start_shift_weeks": 52}}, seed=1, placebo_rerun=rerun)
    assert calls == [52] and list(res.placebo["kind"]) == ["placebo_start"]


class _RecordingExecutor:
    def __init__(self):
        self.n = 0

    def map(self, fn, iterable):
        items = list(iterable)[::-1]  # run in reverse order: results must not depend on it
        self.n = len(items)
        return [fn(x) for x in items][::-1]


def test_specification_curve_executor_and_figure(study):
    m, eff, out, specs = study
    grid = SpecCurveSpec(caliper=(None, 0.2), ratio=(1,), replace=(False,), regression=(False, True))
    sub = m.data.iloc[:1200]
    covs = ["age", "prior_support_share"]
    outcomes = out.loc[sub.index, ["placement_52w"]]
    a = specification_curve(sub, "outreach", covs, outcomes, grid)
    ex = _RecordingExecutor()
    b = specification_curve(sub, "outreach", covs, outcomes, grid, executor=ex)
    assert ex.n == 2  # one task per matching: regression or not shares it
    pd.testing.assert_frame_equal(a, b)
    headline = estimate(match(sub, "outreach", covs), outcomes).effects["estimate"].iloc[0]
    assert a.iloc[0]["estimate"] == pytest.approx(headline, abs=1e-9)  # spec 1 = the default design
    fig = specification_curve_figure(a, "placement_52w")
    assert len(fig.axes) == 2


def test_specification_curve_shares_work_without_changing_a_number(study):
    """The curve fits the logit score once and matches once per (caliper, ratio, replace, exact): every
    row equals its own match() + estimate() with the default distance, to the last bit."""
    m, eff, out, specs = study
    grid = SpecCurveSpec(caliper=(None, 0.2), ratio=(1, 2), replace=(False, True), exact=((), ("sex",)),
                         regression=(False, True))
    covs = ["age", "C(origin)", "prior_support_share"]
    outcomes = out.loc[m.data.index, ["placement_52w", "self_support_share_104w"]]
    curve = specification_curve(m.data, "outreach", covs, outcomes, grid)
    assert len(curve) == 2 * 32 and curve["error"].isna().all()
    for c in design_grid(grid):
        with warnings.catch_warnings():  # ATM warnings of caliper designs, as the curve ignores them
            warnings.simplefilter("ignore")
            d = match(m.data, "outreach", covs, ratio=c["ratio"], replace=c["replace"], caliper=c["caliper"],
                      exact=c["exact"] or None)
        kw = {"method": "regression", "covariates": covs, "variance": "cluster"} if c["regression"] else {}
        want = estimate(d, outcomes, adjust="none", **kw).effects
        got = curve[curve["spec_id"] == c["spec_id"]]
        for col in ("estimate", "std_error", "ci_low", "ci_high", "n_treated", "n_control"):
            assert got[col].tolist() == want[col].tolist(), (c, col)
    head = specification_curve(m.data, "outreach", covs, outcomes, grid, score=np.full(len(m.data), 0.5))
    assert not head.equals(curve)  # the score given is the one matched on


def test_lockin_and_horizon_helpers():
    s = OutcomeSpec("ss", "share", ("self_support",), window=(1, 104))
    assert exclude_lockin(s, 26).window == (27, 104)
    with pytest.raises(EstimationError, match="covers the whole window"):
        exclude_lockin(s, 200)
    h = horizon_specs(OutcomeSpec("p", "any", ("loentilskud",), window=(1, 52)))
    assert [x.window for x in h] == [(1, 26), (1, 52), (1, 104), (1, 156)]
    assert [x.name for x in h] == ["p_26w", "p_52w", "p_104w", "p_156w"]
