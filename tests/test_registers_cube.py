"""The panel read once per run (registers/_cube.py): the same outcomes, trajectories and journey
states as reading the panel per request, with either engine; duplicates still found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import RegisterError
from evaltool.registers import OutcomeSpec, _panel, derive_outcomes, load_code_map, trajectories
from evaltool.registers.journeys import state_matrix
from evaltool.simulate import write_simulation
from evaltool.weeks import add_weeks

ROOT = Path(__file__).resolve().parents[1]

SPECS = [
    OutcomeSpec("placement_52w", "any", ("placement",), window=(1, 52)),
    OutcomeSpec("self_any_52w", "any", ("self_support",), window=(1, 52)),
    OutcomeSpec("self_26w", "status_at", ("self_support",), week=26),
    OutcomeSpec("public_share_104w", "share", ("public_support",), window=(1, 104)),
    OutcomeSpec("self_tt", "time_to", ("selvforsoergelse",), horizon=156),
    OutcomeSpec("sick_or_self_tt", "time_to", ("sygedagpenge", "self_support"), horizon=104),
]
PRE = [OutcomeSpec("placement_pre", "any", ("placement",), window=(-52, -1)),
       OutcomeSpec("public_pre", "share", ("public_support",), window=(-104, -1))]
STATES = {"cash": ["kontanthjaelp"], "plc": ["placement"], "job": ["self_support"]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("cube")
    paths = {p.name: p for p in write_simulation(out, n=1500, seed=5, chunk_persons=500)}
    persons = pd.read_parquet(paths["persons.parquet"])
    return persons, paths["weekly_status.parquet"], load_code_map(ROOT / "configs" / "codes_example.yaml")


def _requests(persons, panel, cm, engine):
    """What `evaltool run` asks the panel for: outcomes, placebos, trajectories, journey states."""
    d = derive_outcomes(persons, panel, cm, SPECS, check_weeks=(-52, 156), engine=engine)
    pre = derive_outcomes(persons, panel, cm, PRE, engine=engine)
    treat = persons.set_index("person_id")["outreach"]
    w = pd.Series(np.resize([1.0, 0.0, 0.5, 2.0], len(treat)), index=treat.index)
    tr = trajectories(persons, panel, cm, treat, weights=w, weeks=(-52, 156), engine=engine)
    sub = persons[w.to_numpy() > 0]
    mat, names = state_matrix(sub, panel, cm, STATES, (0, 116), engine=engine)
    return d, pre, tr, mat, names


@pytest.mark.parametrize("source", ["parquet", "frame", "float codes"])
def test_cube_answers_equal_reading_the_panel(sim, source, monkeypatch):
    """Parquet (DuckDB, integer codes looked up), a frame (pandas), float codes with gaps (DuckDB joins)."""
    persons, path, cm = sim
    panel, engine = str(path), "auto"
    if source != "parquet":
        panel = pd.read_parquet(path)
    if source == "float codes":
        panel = panel.assign(code=panel["code"].astype(float).mask(panel.index % 97 == 0))
        engine = "duckdb"
    plain = _requests(persons, panel, cm, engine)
    reads = []
    for name in ("_aggregate_duckdb", "_aggregate_pandas"):
        real = getattr(_panel, name)
        monkeypatch.setattr(_panel, name, lambda *a, _real=real, **k: reads.append(1) or _real(*a, **k))
    with _panel.panel_cache(weeks=(-104, 156)):
        cached = _requests(persons, panel, cm, engine)
    assert reads == []  # every request was answered from the cube
    for a, b in zip(plain[:2], cached[:2]):
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        assert a.report == b.report
    pd.testing.assert_frame_equal(plain[2].to_frame(), cached[2].to_frame(), check_exact=True)
    np.testing.assert_array_equal(plain[3], cached[3])
    assert plain[4] == cached[4]
    assert (cached[3] >= 0).all() and len(set(np.unique(cached[3]))) == len(STATES) + 1


def test_cube_misfits_read_the_panel(sim):
    persons, path, cm = sim
    late = OutcomeSpec("late", "status_at", ("self_support",), week=100)
    early = [OutcomeSpec("early", "share", ("public_support",), window=(-150, -1))]
    shifted = persons.assign(start_week=add_weeks(persons["start_week"].to_numpy(), 1))
    with _panel.panel_cache(weeks=None):
        first = derive_outcomes(persons, str(path), cm, [late])  # the cube covers week 100 only
        outside = derive_outcomes(persons, str(path), cm, early)
        moved = derive_outcomes(shifted, str(path), cm, [late])
    pd.testing.assert_frame_equal(first.frame, derive_outcomes(persons, str(path), cm, [late]).frame)
    pd.testing.assert_frame_equal(outside.frame, derive_outcomes(persons, str(path), cm, early).frame)
    pd.testing.assert_frame_equal(moved.frame, derive_outcomes(shifted, str(path), cm, [late]).frame)


def test_duplicates_inside_the_cube_are_still_reported(sim):
    persons, path, cm = sim
    panel = pd.read_parquet(path)
    pid, start = (int(v) for v in persons[["person_id", "start_week"]].iloc[3])
    row = panel[(panel["person_id"] == pid) & (panel["week"] == start)]  # on benefit in the start week
    assert len(row) == 1
    doubled = pd.concat([panel, row], ignore_index=True)
    with pytest.raises(RegisterError, match="more than one row in a week") as plain:
        derive_outcomes(persons, doubled, cm, SPECS, check_weeks=(-52, 156))
    with _panel.panel_cache(weeks=(-104, 156)), pytest.raises(RegisterError) as cached:
        derive_outcomes(persons, doubled, cm, SPECS, check_weeks=(-52, 156))
    assert str(cached.value) == str(plain.value)
