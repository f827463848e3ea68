"""Citizen journeys: state reading, transition matrices (counts vs brute force, rows of shares sum
to 1), spells and pathways, and the treated-vs-comparison contrast recovering the simulator's
oracle truth on a matched design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import evaltool
from evaltool.exceptions import RegisterError
from evaltool.process import JourneySpec
from evaltool.process.figures import alluvial_figure, state_distribution_figure
from evaltool.registers import default_code_map_path, load_code_map
from evaltool.registers.journeys import collapse_spells, journeys, pathways, state_matrix, transitions
from evaltool.simulate import panel_for, simulate_study

CM = load_code_map(default_code_map_path())
STATES = {"cash": ["kontanthjaelp"], "plc": ["placement"], "job": ["self_support"]}


def _panel(rows):
    return pd.DataFrame(rows, columns=["person_id", "week", "code"])


def test_state_matrix_reads_states_other_and_censoring():
    persons = pd.DataFrame({"person_id": [1, 2], "start_week": [202350, 202352]})
    panel = _panel([(1, 202350, 130), (1, 202351, 421), (1, 202352, 890), (2, 202352, 130), (2, 202401, 130)])
    m, names = state_matrix(persons, panel, CM, STATES, (0, 3), data_range=(202301, 202402))
    assert names == ["cash", "plc", "job", "other"]
    # person 1: cash, placement, sickness (other), self-support; person 2: cash, cash, self, censored
    assert m.tolist() == [[0, 1, 3, 2], [0, 0, 2, -1]]
    with pytest.raises(RegisterError, match="category 'virksomhedspraktik' is in both 'a' and 'b'"):
        state_matrix(persons, panel, CM, {"a": ["placement"], "b": ["virksomhedspraktik"]}, (0, 1))


def test_transitions_match_brute_force_and_rows_sum_to_one():
    rng = np.random.default_rng(4)
    mat = rng.integers(-1, 4, size=(300, 27)).astype(np.int16)
    w = rng.uniform(0.5, 2, 300)
    out = transitions(mat, 4, 13, 2, w)
    for k, t in enumerate(out):
        a, b = mat[:, 13 * k], mat[:, 13 * (k + 1)]
        for i in range(4):
            for j in range(4):
                sel = (a == i) & (b == j)
                assert t["counts"][i, j] == sel.sum()
                row = (a == i) & (b >= 0)
                assert t["shares"][i, j] == pytest.approx(w[sel].sum() / w[row].sum(), abs=1e-12)
        np.testing.assert_allclose(t["shares"].sum(axis=1), 1.0, atol=1e-12)


def test_spells_and_pathways():
    assert collapse_spells(np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, -1]), 1) == [(0, 2), (1, 3), (2, 4)]
    # a 1-week blip is absorbed by the spell before it
    assert collapse_spells(np.array([0, 0, 0, 1, 0, 0, 2, 2]), 2) == [(0, 6), (2, 2)]
    mat = np.array([[0] * 4 + [1] * 4 + [2] * 4, [0] * 4 + [1] * 4 + [2] * 4, [0] * 12, [0] * 8 + [2] * 4])
    p = pathways(mat, ["cash", "plc", "job"], np.array([1.0, 1.0, 1.0, 3.0]), min_spell_weeks=2, top=2)
    assert p == [{"pathway": "cash → job", "n": 1, "share": 0.5},
                 {"pathway": "cash → plc → job", "n": 2, "share": pytest.approx(2 / 6)}]


def test_spec_rules():
    with pytest.raises(ValidationError, match="`contrasts`: unknown state 'x'"):
        JourneySpec(contrasts=[("x", "kontanthjaelp")])
    with pytest.raises(ValidationError, match=r"`follow_up_weeks` \(8\) is shorter than one quarter"):
        JourneySpec(follow_up_weeks=8)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        JourneySpec(periods=3)


@pytest.fixture(scope="module")
def matched():
    sim = simulate_study(n=5000, seed=11)
    persons = sim.persons.set_index("person_id", drop=False)
    design = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"],
                            exact=["match_group", "benefit_type"])
    return sim, persons, design


def test_contrast_covers_oracle_truth(matched):
    sim, persons, design = matched
    spec = JourneySpec(period="quarter", follow_up_weeks=13, contrasts=[("kontanthjaelp", "praktik_loentilskud"),
                                                                         ("kontanthjaelp", "selvforsoergelse")],
                       subgroups=["match_group"])
    w = design.weights.reindex(persons.index).to_numpy()
    res = journeys(persons, sim.weekly_status, sim.code_map, spec, weights=w,
                   cluster=design.subclass.reindex(persons.index).to_numpy(), data_range=sim.data_range)
    # oracle: the matched treated persons in the treated and the control world (same random draws)
    tr = persons[(persons["outreach"] == 1) & (w > 0)]
    worlds = {}
    for world in ("treated", "control"):
        pan = panel_for(sim.persons, sim.latent, sim.code_map, world)
        worlds[world], names = state_matrix(tr, pan, sim.code_map, spec.states, (0, 13), data_range=sim.data_range)
    cash = worlds["control"][:, 0] == names.index("kontanthjaelp")
    assert (worlds["treated"][:, 0] == worlds["control"][:, 0]).all()  # week 0 is before any effect
    for row in res.to_frame().itertuples():
        b = names.index(row.to_state)
        truth = ((worlds["treated"][cash, 13] == b).mean() - (worlds["control"][cash, 13] == b).mean())
        assert row.ci_low <= truth <= row.ci_high, (row.to_state, truth, row.ci_low, row.ci_high)
        assert row.std_error > 0
    # the placement effect is real and positive in the oracle (so the test has something to find)
    b = names.index("praktik_loentilskud")
    assert (worlds["treated"][cash, 13] == b).mean() > (worlds["control"][cash, 13] == b).mean()
    d = res.to_dict()
    t0 = d["transitions"][0]
    assert set(t0) == {"group", "from_period", "to_period", "states", "counts", "shares"}
    assert {t["group"] for t in d["transitions"]} >= {"treated", "comparison", "treated:match_group=aktivitetsparat"}
    for t in d["transitions"]:
        for row_counts, row_shares in zip(t["counts"], t["shares"]):
            if sum(row_counts):
                assert sum(row_shares) == pytest.approx(1.0)
    assert d["pathways"][0]["group"] == "treated" and " → " in "".join(p["pathway"] for p in d["pathways"])
    # the contrasts are differences of the transition matrices' cells (one period here): the matrices'
    # cash -> b shares are the probabilities whose difference covers the oracle truth above
    mats = {t["group"]: t for t in d["transitions"] if t["from_period"] == 0}
    a = list(d["states"]).index("kontanthjaelp")
    for row in res.to_frame().itertuples():
        b = list(d["states"]).index(row.to_state)
        assert row.p_treated == pytest.approx(mats["treated"]["shares"][a][b], abs=1e-12)
        assert row.p_control == pytest.approx(mats["comparison"]["shares"][a][b], abs=1e-12)
        assert row.estimate == pytest.approx(row.p_treated - row.p_control, abs=1e-12)
    fig1, fig2 = alluvial_figure(res, "comparison"), state_distribution_figure(res)
    assert len(fig1.axes) == 1 and len(fig2.axes) == 2
    with pytest.raises(evaltool.EstimationError, match="`group` 'nobody' not in the journeys"):
        alluvial_figure(res, "nobody")


@pytest.mark.parametrize("n_states, width", [(4, 53), (3, 13), (9, 200)])
def test_fast_pathway_codes_time_in_state_and_contrast_counts_equal_their_oracles(n_states, width):
    """Pathways as one number per row (else rows sorted as arrays), weeks per state by one bincount,
    contrast head counts by bincount: the same as the plain numpy formulations."""
    from evaltool.registers import journeys as jr

    rng = np.random.default_rng(width)
    mat = rng.integers(0, n_states, size=(3000, width)).astype(np.int16)
    mat[rng.random(mat.shape) < 0.7] = 0  # long spells
    mat[:40, -5:] = -1  # censored weeks
    mat[40:45] = -1  # never observed
    names = [f"s{i}" for i in range(n_states)]
    codes, labels = jr._pathway_codes(mat, names, 2)
    pid, state, _ = jr.spells(mat, 2)
    per = np.bincount(pid, minlength=len(mat))
    padded = np.full((len(mat), max(int(per.max()), 1)), -1, dtype=np.int64)
    padded[pid, np.arange(pid.size) - np.repeat(np.cumsum(per) - per, per)] = state
    uniq, inverse = np.unique(padded, axis=0, return_inverse=True)
    assert labels == [" → ".join(names[s] for s in u if s >= 0) for u in uniq.tolist()]
    np.testing.assert_array_equal(codes, np.asarray(inverse).reshape(-1))
    w = rng.random(len(mat))
    oracle = np.stack([(mat == s).sum(axis=1) for s in range(n_states)], axis=1)
    np.testing.assert_array_equal(jr._state_weeks(mat, n_states), oracle)
    assert jr.time_in_state(mat, n_states, w).tobytes() == ((w @ oracle) / w.sum()).tobytes()
    treat = (rng.random(len(mat)) < 0.4).astype(np.int64)
    c = jr.transition_contrast(mat, treat, 0, 1, 1, min(width - 1, 8), w)
    pos = np.concatenate([np.flatnonzero((mat[:, k] == 0) & (mat[:, k + 1] >= 0)) for k in range(min(width - 1, 8))])
    assert (c["n_treated"], c["n_control"]) == (np.unique(pos[treat[pos] == 1]).size, np.unique(pos[treat[pos] == 0]).size)
