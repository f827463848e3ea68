"""Case duration: hand-worked exit/offer times with censoring, restricted means by hand, and
Kaplan-Meier medians and restricted-mean differences on a matched design covering the
simulator's oracle truth (the matched treated persons' durations with and without outreach)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import evaltool
from evaltool.effects.time_to_event import time_to_event
from evaltool.process import CaseDurationSpec
from evaltool.process.duration import restricted_mean, run_case_duration
from evaltool.registers import default_code_map_path, load_code_map
from evaltool.registers.case_duration import case_durations, exit_times, first_times
from evaltool.simulate import panel_for, simulate_study

CM = load_code_map(default_code_map_path())


def test_exit_times_hand_cases():
    sup = np.array([
        [1, 1, 0, 0, 0, 1, 0, 0, 0, 0],   # off 2-4 (run of 3 from week 2)
        [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],   # off from 7: run 7-9
        [1, 0, 0, 1, 0, 0, 1, 0, 0, 1],   # never 3 in a row
        [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],   # run from 6, but observed only to week 7 -> censored
    ], dtype=bool)
    t, e = exit_times(sup, np.array([9, 9, 9, 7]), consecutive=3, horizon=7)
    assert t.tolist() == [2, 7, 7, 5] and e.tolist() == [1, 1, 0, 0]
    t, e = first_times(~sup, np.array([9, 9, 9, 3]), horizon=5)
    assert t.tolist() == [2, 5, 1, 3] and e.tolist() == [1, 0, 1, 0]


def test_case_durations_from_panel():
    persons = pd.DataFrame({"person_id": [1, 2], "start_week": [202401, 202401]})
    # person 1: cash weeks 0-2, internship 3-4, then self-support (exit from week 5, first offer 3)
    # person 2: cash throughout weeks 0-30 (never exits within the horizon; no offer)
    rows = [(1, 202401 + r, 130) for r in range(3)] + [(1, 202404 + r, 421) for r in range(2)]
    rows += [(2, 202401 + r, 130) for r in range(31)]
    panel = pd.DataFrame(rows, columns=["person_id", "week", "code"])
    spec = CaseDurationSpec(consecutive_weeks=4, horizon=20, restricted_mean_weeks=10, weeks=[10])
    d = case_durations(persons, panel, CM, spec, data_range=(202301, 202452))
    assert d.loc[1].tolist() == [5, 1, 3, 1]
    assert d.loc[2].tolist() == [20, 0, 20, 0]


def test_restricted_mean_by_hand():
    # treated: events at 2 and 4, one censored at 3: S = 1 on [0,2), 2/3 on [2,4), 0 after 4
    r = restricted_mean([2, 3, 4, 1, 5], [1, 0, 1, 1, 1], [1, 1, 1, 0, 0], tau=6)
    assert r["treated"]["estimate"] == pytest.approx(2 + 2 * 2 / 3)
    # comparison: events at 1 and 5: S = 1 on [0,1), 1/2 on [1,5), 0 after
    assert r["comparison"]["estimate"] == pytest.approx(1 + 4 * 0.5)
    assert r["difference"]["estimate"] == pytest.approx(2 + 4 / 3 - 3)


def test_spec_rules():
    with pytest.raises(ValidationError, match=r"`restricted_mean_weeks` \(200\) cannot exceed `horizon` \(104\)"):
        CaseDurationSpec(restricted_mean_weeks=200)
    with pytest.raises(ValidationError, match=r"`weeks` must lie in 1..horizon \(104\); got \[300\]"):
        CaseDurationSpec(weeks=[300])


def test_medians_and_restricted_means_cover_oracle_truth():
    sim = simulate_study(n=5000, seed=12)
    persons = sim.persons.set_index("person_id", drop=False)
    design = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"],
                            exact=["match_group", "benefit_type"])
    w = design.weights.reindex(persons.index).to_numpy()
    sub = design.subclass.reindex(persons.index).to_numpy()
    spec = CaseDurationSpec(consecutive_weeks=13, horizon=104, restricted_mean_weeks=52)
    res = run_case_duration(persons, sim.weekly_status, sim.code_map, spec, weights=w, cluster=sub,
                            data_range=sim.data_range)
    tr = persons[(persons["outreach"] == 1) & (w > 0)]
    oracle = {world: case_durations(tr, panel_for(sim.persons, sim.latent, sim.code_map, world), sim.code_map,
                                    spec, data_range=sim.data_range) for world in ("treated", "control")}
    ones = np.ones(len(tr))
    a = res.analyses["exit"]
    med = {m["group"]: m for m in a["median"]}
    # the comparison group's median estimates the treated persons' median without outreach
    o_ctrl = time_to_event(oracle["control"]["exit"], oracle["control"]["exit_event"], ones).median
    o_trt = time_to_event(oracle["treated"]["exit"], oracle["treated"]["exit_event"], ones).median
    truth_c, truth_t = float(o_ctrl["median"][0]), float(o_trt["median"][0])
    assert med["comparison"]["ci_low"] <= truth_c <= med["comparison"]["ci_high"]
    assert med["treated"]["ci_low"] <= truth_t <= med["treated"]["ci_high"]
    # restricted-mean difference vs the oracle's (same persons in both worlds)
    rm = restricted_mean(np.r_[oracle["treated"]["exit"], oracle["control"]["exit"]],
                         np.r_[oracle["treated"]["exit_event"], oracle["control"]["exit_event"]],
                         np.r_[ones, 0 * ones], tau=52)
    truth = rm["difference"]["estimate"]
    d = a["restricted_mean"]["difference"]
    assert d["ci_low"] <= truth <= d["ci_high"]
    assert res.to_dict()["summary"][0]["outcome"] == "exit"
    assert set(res.outcomes.columns) == {"exit", "exit_event", "first_offer", "first_offer_event"}
    # as regular effect outcomes: P(exit by week 26) on the matched design; no censoring before week
    # 104 here, so it equals 1 - KM at week 26 and the effect equals the KM-based effect by week 26
    eo = res.effect_outcomes()
    assert list(eo.columns) == ["exit_by_26w", "exit_by_52w", "first_offer_by_26w", "first_offer_by_52w"]
    eff = evaltool.estimate(design, eo.reindex(persons.index)).effect("exit_by_26w")
    km26 = next(r for r in a["by_week"] if r["week"] == 26)
    assert eff["estimate"] == pytest.approx(100 * km26["estimate"], abs=1e-9)


@pytest.mark.parametrize("consecutive, horizon, width", [(3, 20, 30), (13, 104, 117), (5, 10, 12), (8, 6, 7)])
def test_exit_times_equal_a_week_by_week_search(consecutive, horizon, width):
    rng = np.random.default_rng(consecutive * width)
    sup = rng.random((400, width)) < 0.6
    observed_to = rng.integers(0, width, 400)
    t, e = exit_times(sup, observed_to, consecutive=consecutive, horizon=horizon)
    for i in range(400):
        hit = [r for r in range(1, horizon + 1) if r + consecutive - 1 <= min(observed_to[i], width - 1)
               and not sup[i, r:r + consecutive].any()]
        limit = int(np.clip(observed_to[i] - consecutive + 1, 0, horizon))
        assert (t[i], e[i]) == ((hit[0], 1) if hit else (limit, 0))
