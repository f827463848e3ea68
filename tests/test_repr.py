"""Short, data-free ``repr`` of every result class: kind, sizes, key figures; never ids or data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evaltool
from evaltool.data.validate import DataReport, DropRecord
from evaltool.effects.time_to_event import time_to_event
from evaltool.registers.trajectories import TrajectoryResult

MAX = 300
SECRET = "PID"  # every person id starts with it


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(11)
    n = 400
    ids = [f"{SECRET}{1_000_000 + i}" for i in range(n)]
    d = pd.DataFrame({"age": rng.normal(40, 10, n), "origin": rng.choice(["DK", "W"], n)}, index=ids)
    d["t"] = (rng.random(n) < 0.3 + 0.01 * (d["age"] - 40).clip(-20, 20)).astype(int)
    d["y"] = (rng.random(n) < 0.2 + 0.05 * d["t"]).astype(int)
    m = evaltool.match(d, "t", ["age", "C(origin)"], caliper=0.5)
    weeks = rng.integers(1, 60, n)
    tte = time_to_event(pd.Series(weeks, index=ids), pd.Series((weeks < 52).astype(int), index=ids),
                        d["t"], outcome="weeks_to_job", weeks=(26, 52))
    traj = TrajectoryResult(frame=pd.DataFrame({"group": ["treated"], "week": [1], "category": ["x"],
                                                "share": [1.0], "n": [5]}),
                            weeks=(-52, 156), categories=("x",), labels={"x": {"da": "x", "en": "x"}})
    report = DataReport(source="persons.csv", n_read=500, n_used=400, n_treated=120, n_control=280,
                        dropped=(DropRecord(reason="missing age", column="age", n=100),))
    return {"MatchResult": m, "PropensityResult": m.propensity, "BalanceResult": evaltool.balance(m),
            "EffectResult": evaltool.estimate(m, "y"), "TimeToEventResult": tte,
            "TrajectoryResult": traj, "DataReport": report}


@pytest.mark.parametrize("kind", ["MatchResult", "PropensityResult", "BalanceResult", "EffectResult",
                                  "TimeToEventResult", "TrajectoryResult", "DataReport"])
def test_repr_is_short_and_free_of_data(results, kind):
    text = repr(results[kind])
    assert text.startswith(f"{kind}(") and text.endswith(")")
    assert len(text) < MAX, (len(text), text)
    assert SECRET not in text and "\n" not in text


def test_repr_shows_key_figures(results):
    m = results["MatchResult"]
    n = m.n
    assert repr(m) == (f"MatchResult(nearest, glm, {m.estimand.value}, ratio=1, replace=False, caliper=0.5; "
                       f"treated {n['treated']['matched']}/{n['treated']['all']} matched, "
                       f"control {n['control']['matched']}/{n['control']['all']} matched)")
    assert "1 outcome(s): y" in repr(results["EffectResult"])
    assert repr(results["DataReport"]) == ("DataReport(read 500, used 400: treated 120, comparison 280; "
                                           "1 drop reason(s))")
    assert "weeks -52..156, 1 categories" in repr(results["TrajectoryResult"])
    assert "'weeks_to_job'" in repr(results["TimeToEventResult"])
    assert f"{len(results['BalanceResult'].table)} terms" in repr(results["BalanceResult"])
