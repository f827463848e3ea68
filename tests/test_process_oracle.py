"""The vectorised state matrices, spells, pathways and case durations against straightforward
per-person Python loops (test-only oracles written from the definitions in the module docstrings),
on many small random panels: one-week spells, gaps, persons with one observed week or none, empty
codes, unknown codes, starts before the register's first week (journeys) and censoring at its last
week. Also: the matrices read once and shared give the same journeys and case durations as each
reading its own, with either panel engine."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from evaltool.process import CaseDurationSpec, JourneySpec
from evaltool.registers import default_code_map_path, load_code_map
from evaltool.registers.case_duration import case_durations, duration_requests
from evaltool.registers.journeys import collapse_spells, journey_request, journeys, pathways, spells
from evaltool.registers.states import state_matrices, state_matrix
from evaltool.weeks import from_ordinal, to_ordinal

CM = load_code_map(default_code_map_path())
FIRST = 202301
# codes: cash (130, 131), internship 421, wage subsidy 411, education 651, sickness 890, unknown 555
CODES = [130, 131, 421, 411, 651, 890, 555]
STATE_SETS = [
    {"cash": ["kontanthjaelp"], "plc": ["placement"], "job": ["self_support"]},
    {"kontanthjaelp": ["kontanthjaelp"], "praktik_loentilskud": ["virksomhedspraktik", "loentilskud"],
     "selvforsoergelse": ["selvforsoergelse"]},
    {"support": ["public_support"]},
    {"plc": ["placement"], "edu": ["su_uddannelse"]},
]


# ---- oracles ---------------------------------------------------------------------------------------

def oracle_state_matrix(persons, panel, states, weeks, data_range):
    names = [*states, "other"]
    state_of, self_state = {}, None
    for i, members in enumerate(states.values()):
        cats, self_in = CM.resolve(list(members))
        state_of.update({c: i for c in cats})
        if self_in:
            self_state = i
    other = len(names) - 1
    category = {}
    for pid, week, code in panel.itertuples(index=False):
        if code == code:  # a row with an empty code is no row
            category[(pid, int(to_ordinal([week])[0]))] = CM.codes.get(int(code), "other")
    first, last = (int(v) for v in to_ordinal(list(data_range)))
    rows = []
    for pid, start in zip(persons["person_id"], persons["start_week"]):
        s = int(to_ordinal([start])[0])
        row = []
        for r in range(weeks[0], weeks[1] + 1):
            if not first <= s + r <= last:
                row.append(-1)
            elif (pid, s + r) not in category:
                row.append(other if self_state is None else self_state)
            else:
                row.append(state_of.get(category[(pid, s + r)], other))
        rows.append(row)
    return np.array(rows, dtype=np.int16).reshape(len(rows), weeks[1] - weeks[0] + 1), names


def oracle_collapse(row, min_len):
    seq = [int(s) for s in row if s >= 0]
    runs = []
    for s in seq:
        if runs and runs[-1][0] == s:
            runs[-1][1] += 1
        else:
            runs.append([s, 1])
    spells_ = []
    for s, n in runs:
        if spells_ and (n < min_len or spells_[-1][0] == s):
            spells_[-1][1] += n
        else:
            spells_.append([s, n])
    return [(s, n) for s, n in spells_]


def oracle_pathways(mat, names, w, min_len, top):
    n_cnt, w_cnt = Counter(), Counter()
    for row, wi in zip(mat, w):
        key = " → ".join(names[s] for s, _ in oracle_collapse(row, min_len))
        n_cnt[key] += 1
        w_cnt[key] += wi
    total = float(np.sum(w))  # as the module: numpy (pairwise) sum
    ranked = sorted(n_cnt, key=lambda k: (-w_cnt[k], -n_cnt[k], k))[:top]
    return [{"pathway": k, "n": n_cnt[k], "share": w_cnt[k] / total} for k in ranked]


def oracle_durations(sup, off, N, H):
    out = []
    for srow, orow in zip(sup.tolist(), off.tolist()):
        observed_to = max(r for r, s in enumerate(srow) if s >= 0)
        exit_ = next(((r, 1) for r in range(1, H + 1)
                      if r + N - 1 <= observed_to and all(srow[r + i] != 0 for i in range(N))), None)
        exit_ = exit_ or (min(max(observed_to - N + 1, 0), H), 0)
        seen = min(observed_to, H)
        offer = next(((r, 1) for r in range(1, H + 1) if r <= seen and orow[r] == 0), (seen, 0))
        out.append([*exit_, *offer])
    return out


# ---- random panels ---------------------------------------------------------------------------------

def random_study(seed, covered_start=False):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 25))
    first = int(to_ordinal([FIRST])[0])
    last = first + int(rng.integers(20, 90))
    lo = first if covered_start else first - 10
    starts = rng.integers(lo, last + 1, size=n)
    starts[rng.random(n) < 0.15] = last  # one observed week
    ids = rng.permutation(np.arange(100, 100 + 3 * n))[:n]
    rows = []
    for pid, s in zip(ids, starts):
        if rng.random() < 0.1:
            continue  # no rows at all: self-supported throughout
        week = int(s) - int(rng.integers(0, 4))
        while week <= last:
            if rng.random() < 0.35:  # a gap (weeks without a row)
                week += int(rng.integers(1, 6))
                continue
            run = int(rng.choice([1, 1, 2, 3, 5, 9]))  # one-week blips and longer runs
            code = float(rng.choice(CODES)) if rng.random() > 0.03 else np.nan
            for k in range(run):
                if week + k <= last:
                    rows.append((int(pid), int(from_ordinal([week + k])[0]), code))
            week += run
    persons = pd.DataFrame({"person_id": ids, "start_week": from_ordinal(starts),
                            "outreach": rng.integers(0, 2, n), "sex": rng.choice(["k", "m"], n)})
    panel = pd.DataFrame(rows, columns=["person_id", "week", "code"]).astype({"person_id": ids.dtype})
    data_range = (FIRST, int(from_ordinal([last])[0]))
    return persons, panel, data_range


# ---- tests -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_state_matrices_match_the_oracle(seed):
    persons, panel, data_range = random_study(seed)
    rng = np.random.default_rng(1000 + seed)
    requests = []
    for states in STATE_SETS:
        a = int(rng.integers(0, 3))
        requests.append((states, (a, a + int(rng.integers(0, 30)))))
    engine = "duckdb" if seed % 4 == 0 else "pandas"
    got = state_matrices(persons, panel, CM, requests, engine=engine, data_range=data_range)
    for (states, weeks), (mat, names) in zip(requests, got):
        want, want_names = oracle_state_matrix(persons, panel, states, weeks, data_range)
        assert names == want_names
        np.testing.assert_array_equal(mat, want)
        one, _ = state_matrix(persons, panel, CM, states, weeks, engine=engine, data_range=data_range)
        np.testing.assert_array_equal(one, want)


@pytest.mark.parametrize("seed", range(60))
def test_spells_and_pathways_match_the_oracle(seed):
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(1, 40)), int(rng.integers(1, 30))
    mat = rng.choice([-1, 0, 0, 1, 1, 2, 3], size=(n, width)).astype(np.int16)
    for i in np.flatnonzero(rng.random(n) < 0.5):  # runs of random lengths, some one week long
        lens = rng.choice([1, 1, 2, 3, 4, 6, 10], size=width)
        mat[i] = np.repeat(rng.integers(0, 4, width), lens)[:width]
    for i in np.flatnonzero(rng.random(n) < 0.2):  # censored at the start and/or the end
        a, b = sorted(rng.integers(0, width + 1, 2))
        mat[i, :a], mat[i, b:] = -1, -1
    w = rng.choice([0.5, 1.0, 2.0, 1 / 3], size=n)
    names = ["a", "b", "c", "d"]
    for min_len in (1, 2, 4, 7):
        want = [oracle_collapse(row, min_len) for row in mat]
        assert [collapse_spells(row, min_len) for row in mat] == want
        pid, state, length = spells(mat, min_len)
        assert list(zip(pid.tolist(), state.tolist(), length.tolist())) == [
            (i, s, k) for i, sp in enumerate(want) for s, k in sp]
        assert pathways(mat, names, w, min_len, top=5) == oracle_pathways(mat, names, w, min_len, 5)


def test_spell_rules_by_hand():
    # a short run of the spell's own state after a blip extends it; a long run of a new state opens one
    assert collapse_spells(np.array([0, 0, 0, 1, 0, 2, 2, 2]), 3) == [(0, 5), (2, 3)]
    # the first run is kept however short; censored weeks in the middle are dropped (runs join)
    assert collapse_spells(np.array([1, 0, 0, 0, -1, 0, 2]), 2) == [(1, 1), (0, 5)]
    assert collapse_spells(np.array([-1, -1]), 2) == []
    assert pathways(np.array([[-1, -1], [0, 0]]), ["a"], None, 1, 3) == [
        {"pathway": "", "n": 1, "share": 0.5}, {"pathway": "a", "n": 1, "share": 0.5}]


@pytest.mark.parametrize("seed", range(30))
def test_case_durations_match_the_oracle(seed):
    persons, panel, data_range = random_study(seed, covered_start=True)
    rng = np.random.default_rng(2000 + seed)
    H = int(rng.integers(4, 40))
    spec = CaseDurationSpec(consecutive_weeks=int(rng.integers(1, 9)), horizon=H, restricted_mean_weeks=4,
                            weeks=[4])
    engine = "duckdb" if seed % 5 == 0 else "pandas"
    got = case_durations(persons, panel, CM, spec, engine=engine, data_range=data_range)
    (s_states, s_weeks), (o_states, o_weeks) = duration_requests(spec)
    sup, _ = oracle_state_matrix(persons, panel, s_states, s_weeks, data_range)
    off, _ = oracle_state_matrix(persons, panel, o_states, o_weeks, data_range)
    assert got.to_numpy().tolist() == oracle_durations(sup, off, spec.consecutive_weeks, H)
    assert got.index.tolist() == persons["person_id"].tolist()


@pytest.mark.parametrize("seed", range(8))
def test_shared_matrices_give_the_same_journeys_and_durations(seed):
    persons, panel, data_range = random_study(seed, covered_start=True)
    jspec = JourneySpec(period="month", follow_up_weeks=8, min_spell_weeks=2, subgroups=["sex"])
    dspec = CaseDurationSpec(consecutive_weeks=3, horizon=10, restricted_mean_weeks=4, weeks=[4])
    engine = "duckdb" if seed % 2 else "pandas"
    shared = state_matrices(persons, panel, CM, [journey_request(jspec), *duration_requests(dspec)],
                            engine=engine, data_range=data_range)
    kw = dict(engine=engine, data_range=data_range)
    alone = journeys(persons, panel, CM, jspec, **kw).to_dict()
    assert journeys(persons, panel, CM, jspec, **kw, matrix=shared[0]).to_dict() == alone
    want, names = oracle_state_matrix(persons, panel, jspec.states, (0, 8), data_range)
    assert journeys(persons, panel, CM, jspec, **kw, matrix=(want, names)).to_dict() == alone
    pd.testing.assert_frame_equal(case_durations(persons, panel, CM, dspec, **kw, matrices=shared[1:]),
                                  case_durations(persons, panel, CM, dspec, **kw))
