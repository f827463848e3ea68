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
    strat = pd.concat([d[(d.g != 0) | (d.h != 0)], big], ignore_index=True)  # not the first stratum seen
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


def _total(sets, score, focal_mask):
    return sum(np.abs(score[s[focal_mask[s]]][:, None] - score[s[~focal_mask[s]]][None, :]).sum() for s in sets)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bounds", [(0.0, np.inf), (1.0, 3.0), (0.5, 4.0), (0.2, 5.0)])
def test_priced_full_matching_reaches_the_optimum_of_every_arc(monkeypatch, seed, bounds):
    """Above PRICED_ARCS the programme starts on each unit's nearest arcs and adds the arcs its duals
    price below zero: its total equals the programme on every arc (the optimum is certified)."""
    from evaltool.design.matching import full
    from evaltool.design.matching._candidates import nearest_arcs

    rng = np.random.default_rng(seed)
    n1, n0 = 40, 110
    score = np.r_[rng.beta(3, 2, n1), rng.beta(2, 3, n0)]
    rows, cols = np.arange(n1), np.arange(n1, n1 + n0)
    is_focal = np.arange(n1 + n0) < n1
    kw = {"min_controls": bounds[0], "max_controls": bounds[1], "width": 0.3 if seed % 2 else None}
    monkeypatch.setattr(full, "PRICED_ARCS", 10**9)
    try:
        plain = full.full_sets(score, rows, cols, **kw)
    except MatchingError:
        monkeypatch.setattr(full, "PRICED_ARCS", 0)
        with pytest.raises(MatchingError, match="full matching found no solution"):
            full.full_sets(score, rows, cols, **kw)  # infeasible on every arc: infeasible when priced too
        return
    monkeypatch.setattr(full, "PRICED_ARCS", 0)
    calls = []
    real = nearest_arcs
    monkeypatch.setattr(full, "nearest_arcs", lambda *a: calls.append(1) or real(*a))
    priced = full.full_sets(score, rows, cols, **kw)
    assert calls  # the priced path ran
    assert _total(priced, score, is_focal) == pytest.approx(_total(plain, score, is_focal), abs=1e-6)
    assert sorted(np.concatenate(priced).tolist()) == sorted(np.concatenate(plain).tolist())


def test_nearest_arcs_give_every_unit_its_k_nearest():
    d = np.array([0.5, 0.1, 0.3, 0.2, 0.9, 0.05])
    ii = np.array([0, 0, 0, 1, 1, 1])
    jj = np.array([0, 1, 2, 0, 1, 2])
    keep = nearest_arcs_k1 = _candidates.nearest_arcs(d, ii, jj, 1)
    # row 0: arc 1 (0.1); row 1: arc 5 (0.05); column 0: arc 3 (0.2); column 1: arc 1; column 2: arc 5
    assert np.flatnonzero(keep).tolist() == [1, 3, 5] and nearest_arcs_k1.sum() == 3
    assert _candidates.nearest_arcs(d, ii, jj, 3).all()
