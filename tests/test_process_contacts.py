"""Contact-log process measures (hand-worked), their effects on a matched design recovering the
simulator's truths, the social-outcome register's known effects, and simulator determinism.

Tolerance: with 13 truths checked at one seed, 95 % intervals would miss one in about half of
all seeds by chance; each estimate must lie within 3 standard errors of its truth (a miss has
probability 0.0027 per check), and the process CIs must exclude 0 (the effects are found)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import evaltool
from evaltool.exceptions import DataError
from evaltool.process import ContactsSpec
from evaltool.process.contacts import process_measures, run_process
from evaltool.registers import OutcomeSpec, derive_outcomes
from evaltool.simulate import simulate_study
from evaltool.simulate.contacts import (CONTACT_EFFECTS, SOCIAL_CATEGORIES, SOCIAL_EFFECTS, simulate_contacts,
                                        simulate_social_register)


def test_measures_hand_worked():
    persons = pd.DataFrame({"person_id": [1, 2, 3], "start_week": [202401, 202401, 202410],
                            "caseworker_id": [7, 7, 9]})
    log = pd.DataFrame({
        "person_id": [1, 1, 1, 1, 1, 2, 2, 9],
        "date": pd.to_datetime(["2023-12-30", "2024-01-03", "2024-01-10", "2024-01-17", "2024-02-01",
                                "2024-01-05", "2024-01-06", "2024-01-05"]),
        "kind": ["meeting", "meeting", "meeting", "meeting", "open_counselling", "meeting", "meeting", "meeting"],
        "status": ["attended", "no_show", "attended", "cancelled", "attended", "attended", "attended", "attended"],
        "caseworker_id": [7, 7, 8, 8, 8, 7, 7, 7],
        "spontaneous": [False, False, False, False, True, False, False, False]})
    m = process_measures(log, persons, ContactsSpec())
    # person 1: the contact before start is ignored; 3 scheduled (1 held, 1 no-show, 1 cancelled) + 1 spontaneous
    assert m.loc[1, "meetings_scheduled"] == 3 and m.loc[1, "meetings_held"] == 1
    assert m.loc[1, "no_show_rate"] == pytest.approx(1 / 3) and m.loc[1, "cancellation_rate"] == pytest.approx(1 / 3)
    assert m.loc[1, "spontaneous_visits"] == 1 and m.loc[1, "days_to_first_meeting"] == 9  # 2024-01-10 - 01-01
    assert m.loc[1, "n_caseworkers"] == 1 and m.loc[1, "continuity_index"] == 1.0  # both held with 8
    assert m.loc[1, "own_caseworker_share"] == 0.0
    assert m.loc[2].iloc[:9].tolist() == [2, 2, 0, 0, 0, 4, 1, 1, 1]
    assert m["same_caseworker_across_change"].isna().all()  # no change days given
    # a benefit change on day 10 for person 1 (held: day 9 with 8, day 31 open counselling with 8 -> same)
    # and on day 5 for person 2 (held: day 4 with 7, day 5 with 7 -> same); person 3 has no contacts
    ch = process_measures(log, persons, ContactsSpec(), change_day=pd.Series({1: 10.0, 2: 5.0, 3: 1.0}))
    assert ch["same_caseworker_across_change"].tolist()[:2] == [1.0, 1.0]
    assert np.isnan(ch.loc[3, "same_caseworker_across_change"])
    moved = log.assign(caseworker_id=[7, 7, 8, 8, 9, 7, 7, 7])
    ch2 = process_measures(moved, persons, ContactsSpec(), change_day=pd.Series({1: 10.0, 2: 5.0}))
    assert ch2.loc[1, "same_caseworker_across_change"] == 0.0
    # person 3: no contacts -> counts 0, rates not defined
    assert m.loc[3, "meetings_scheduled"] == 0 and np.isnan(m.loc[3, "no_show_rate"])
    bad = log.assign(status=log["status"].replace("cancelled", "afbud"))
    with pytest.raises(DataError, match=r"column 'status' has value\(s\) 'afbud' not listed"):
        process_measures(bad, persons, ContactsSpec())
    assert process_measures(bad, persons, ContactsSpec(cancelled=["afbud"])).equals(m)
    with pytest.raises(DataError, match=r"contact log: column\(s\) caseworker_id not found"):
        process_measures(log.drop(columns="caseworker_id"), persons, ContactsSpec())
    with pytest.raises(ValidationError, match="status value 'x' is listed under both attended and no_show"):
        ContactsSpec(attended=["x"], no_show=["x"])


@pytest.fixture(scope="module")
def matched():
    sim = simulate_study(n=5000, seed=22, panel=False)
    persons = sim.persons.set_index("person_id", drop=False)
    design = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"],
                            exact=["match_group"])
    return sim, persons, design


def test_process_effects_cover_truth(matched):
    sim, persons, design = matched
    log = simulate_contacts(sim.persons, seed=22)
    res = run_process(log, design, ContactsSpec())
    rows = res.rows.set_index("indicator")
    # truths: exact ones from the model; the others from the oracle (same draws, both worlds)
    tr = persons[(persons["outreach"] == 1) & (design.weights.reindex(persons.index) > 0)]
    m1 = process_measures(simulate_contacts(sim.persons, 22, "treated"), tr, ContactsSpec())
    m0 = process_measures(simulate_contacts(sim.persons, 22, "control"), tr, ContactsSpec())
    truth = {k: float((m1[k] - m0[k]).mean()) for k in ("meetings_held", "days_to_first_meeting",
                                                         "n_caseworkers", "continuity_index")}
    truth.update({k: v for k, v in CONTACT_EFFECTS.items()})
    for k, v in truth.items():
        scale = 100.0 if rows.loc[k, "unit"] == "pp" else 1.0
        assert abs(rows.loc[k, "estimate"] - v * scale) <= 3 * rows.loc[k, "std_error"], (k, v, rows.loc[k].to_dict())
        assert rows.loc[k, "variance"] == "cluster"
    # the effects are not trivially wide: every CI excludes 0
    est = rows[rows["note"].isna()] if "note" in rows.columns else rows
    assert ((est["ci_low"] > 0) | (est["ci_high"] < 0)).all()
    # without change days the across-change measure is reported as not estimable, not dropped silently
    assert rows.loc["same_caseworker_across_change", "note"] == "not estimable: no values in one group"
    d = res.to_dict()
    assert {"indicator", "estimate", "ci_low", "ci_high"} <= set(d["effects"][0])


def test_process_column_effects_cover_the_simulated_truth(matched):
    """The config's `process:` columns get effects with CIs (results.json `process`, source "column"):
    the simulator's person-level process measures have homogeneous additive effects of outreach
    (evaltool.simulate.population.PROCESS_EFFECTS), so the ATT is the truth; 3-SE tolerance as above."""
    from evaltool.process.contacts import run_column_effects
    from evaltool.simulate.population import PROCESS_EFFECTS

    sim, persons, design = matched
    res = run_column_effects(design, persons, list(PROCESS_EFFECTS))
    rows = res.rows.set_index("indicator")
    assert list(rows.index) == list(PROCESS_EFFECTS) and set(rows["source"]) == {"column"}
    for k, v in PROCESS_EFFECTS.items():
        r = rows.loc[k]
        assert abs(r["estimate"] - v) <= 3 * r["std_error"], (k, v, r.to_dict())
        assert r["ci_low"] < r["estimate"] < r["ci_high"] and r["unit"] == "level"
        assert r["ci_high"] < 0 or r["ci_low"] > 0  # every effect is found (CI excludes 0)


def test_social_register_effects_cover_truth(matched):
    sim, persons, design = matched
    social = simulate_social_register(sim.persons, sim.code_map, seed=22)
    specs = [OutcomeSpec(c, "any", (c,), window=(1, 52)) for c in SOCIAL_CATEGORIES]
    out = derive_outcomes(persons, social, sim.code_map, specs)
    eff = evaltool.estimate(design, out.frame.set_axis(persons.index)).effects.set_index("outcome")
    for c in SOCIAL_CATEGORIES:
        assert abs(eff.loc[c, "estimate"] - 100 * SOCIAL_EFFECTS[c]) <= 3 * eff.loc[c, "std_error"], c


def test_simulated_inputs_are_deterministic_and_leave_the_study_unchanged():
    a = simulate_study(n=300, seed=5, panel=False)
    log1, log2 = simulate_contacts(a.persons, 5), simulate_contacts(a.persons, 5)
    pd.testing.assert_frame_equal(log1, log2)
    assert not log1.equals(simulate_contacts(a.persons, 6))
    b = simulate_study(n=300, seed=5, panel=False)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    with pytest.raises(DataError, match="`world` must be one of observed, control, treated; got 'x'"):
        simulate_contacts(a.persons, 5, "x")
