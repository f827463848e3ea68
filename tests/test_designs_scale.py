"""Optimal and full matching at scale: one sparse problem per exact stratum, arcs counted before they
are built, and a too large stratum refused with its size and the fix (exit 2 through the CLI).

The limits themselves are measured in ``benchmarks/bench_designs.py`` (no timing here); the tests
lower :data:`MAX_ARCS` to reach the refusal on small data.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from evaltool.design.matching import _candidates
from evaltool.design.matching._candidates import caliper_arcs, count_arcs, strata_groups
from evaltool.design.matching.optimal import optimal_pairs
from evaltool.exceptions import MatchingError


def _data(n=600, seed=1):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 3, n), "h": rng.integers(0, 2, n)})
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(1.2 - 0.5 * d.x))).astype(int)
    return d


@pytest.mark.parametrize("width", [None, 0.05, 0.3])
def test_arcs_are_exactly_the_pairs_within_the_caliper(width):
    rng = np.random.default_rng(3)
    score = rng.random(200).round(2)  # ties on the caliper's edge
    rows, cols = np.arange(60), np.arange(60, 200)
    ii, jj = caliper_arcs(score, rows, cols, width)
    got = set(zip(ii.tolist(), jj.tolist()))
    w = np.inf if width is None else width
    sf, sc = score[rows][:, None], score[cols][None, :]
    inside = (sc >= sf - w) & (sc <= sf + w)  # the rule on the sorted scores (edges in float arithmetic)
    want = {(int(i), int(j)) for i, j in zip(*np.nonzero(inside))}
    assert len(want) > 0 and (width is None or len(want) < rows.size * cols.size)
    assert got == want and len(got) == ii.size == count_arcs(score, rows, cols, width)


def test_strata_groups_keep_order_and_skip_one_sided_strata():
    strata = np.array([2, 0, 2, 1, 0, 2, 1, 3])
    focal, ctrl = np.array([0, 1, 3, 7]), np.array([2, 4, 5])
    got = [(f.tolist(), c.tolist()) for f, c in strata_groups(strata, focal, ctrl)]
    assert got == [([1], [4]), ([0], [2, 5])]  # stratum 1 has no control, 3 no control


def test_optimal_per_stratum_equals_one_problem_over_all_strata():
    """The strata share no arc, so per-stratum optima add up to the whole problem's optimum."""
    rng = np.random.default_rng(5)
    n = 400
    score, strata = rng.random(n), rng.integers(0, 4, n)
    focal, ctrl = np.arange(80), np.arange(80, n)
    f, m, total = optimal_pairs(score, focal, ctrl, strata, 2, None)
    assert f.tolist() == np.repeat(focal, 2).tolist()  # slots in the order of `focal`
    parts = sum(optimal_pairs(score, focal[strata[focal] == s], ctrl[strata[ctrl] == s], strata, 2, None)[2]
                for s in range(4))
    assert total == pytest.approx(parts, abs=1e-12)
    assert (strata[f] == strata[m]).all() and np.unique(m).size == m.size


def test_a_too_large_stratum_is_refused_with_its_size(monkeypatch):
    import evaltool

    d = _data()
    big = pd.concat([d[(d.g == 0) & (d.h == 0)]] * 3, ignore_index=True)  # stratum g=0, h=0: the largest
    strat = pd.concat([big, d[(d.g != 0) | (d.h != 0)]], ignore_index=True)
    n_big = big.t.value_counts()
    monkeypatch.setitem(_candidates.MAX_ARCS, "optimal", 1000)
    monkeypatch.setitem(_candidates.MAX_ARCS, "full", 1000)
    for method in ("optimal", "full"):
        with pytest.raises(MatchingError, match=rf"{method} matching is too large for this machine: the sample "
                                                r"\(no exact strata\) has \d+ focal and \d+ control units") as e:
            evaltool.match(d, "t", ["x"], method=method)
        assert "limit 1,000 per stratum" in str(e.value) and "exact-matching variables" in str(e.value)
        with pytest.raises(MatchingError, match=rf"the largest of 6 exact strata has {n_big[1]} focal and "
                                                rf"{n_big[0]} control units, {n_big[1] * n_big[0]:,} admissible "
                                                r"pairs with no caliper"):
            evaltool.match(strat, "t", ["x"], method=method, exact=["g", "h"])
    monkeypatch.setitem(_candidates.MAX_ARCS, "full", 10**9)
    assert evaltool.match(strat, "t", ["x"], method="full", exact=["g", "h"]).weights.gt(0).any()


def test_config_run_exits_2_naming_the_stratum(monkeypatch, tmp_path, capsys):
    from evaltool.cli import main

    cfg = {"study": {"title": "Scale", "seed": 4}, "data": {"simulate": {"n": 1500, "seed": 3}},
           "outcomes": [{"name": "y", "label": {"da": "y", "en": "y"}, "kind": "any",
                         "categories": ["loentilskud"], "weeks": [1, 52]}],
           "design": {"method": "full", "covariates": ["age", "C(origin)"], "exact": ["sex"], "caliper": 0.5}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    monkeypatch.setitem(_candidates.MAX_ARCS, "full", 100)
    monkeypatch.setattr(sys, "argv", ["evaltool", "run", str(path), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "error: full matching is too large for this machine: the largest of 2 exact strata has" in err
    assert "with a caliper of width" in err and "narrow `caliper`" in err
