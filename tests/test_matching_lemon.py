"""LEMON's CycleCanceling re-implemented (design/matching/cycle_canceling.py) against rlemon.

Fixture: tests/fixtures/designs/lemon_cycle_canceling.json, written by
tests/reference/lemon_cycle_canceling.R (rlemon 0.2.1.9001, ``MinCostFlow(algorithm =
"CycleCancelling")``, the solver optmatch 0.10.8.9002 uses without rrelaxiv): 24 small networks,
12 shaped like optmatch's full-matching networks with tied costs, 12 general ones (parallel arcs,
negative costs). The flows must be identical arc by arc, not only of equal cost: on these networks
other optimal flows exist (HiGHS finds some of them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from evaltool.design.matching._optmatch import pruned_pairs
from evaltool.design.matching.cycle_canceling import min_cost_flow
from evaltool.exceptions import MatchingError

FIX = json.loads((Path(__file__).parent / "fixtures" / "designs" / "lemon_cycle_canceling.json").read_text())
NETS = FIX["networks"]


def _args(x):
    return (x["n"][0], np.array(x["src"]) - 1, np.array(x["tgt"]) - 1, np.array(x["cap"]),
            np.array(x["cost"]), np.array(x["supply"]))


def _highs(n, src, tgt, cap, cost, supply):
    m = src.size
    a = coo_matrix((np.r_[np.ones(m), -np.ones(m)], (np.r_[src, tgt], np.r_[np.arange(m), np.arange(m)])),
                   shape=(n, m))
    res = linprog(cost, A_eq=a, b_eq=supply, bounds=np.c_[np.zeros(m), cap], method="highs-ds")
    assert res.status == 0
    return np.round(res.x).astype(int)


@pytest.mark.parametrize("k", range(len(NETS)))
def test_flow_identical_to_rlemon(k):
    x = NETS[k]
    assert x["status"][0] == "OPTIMAL"
    flow = min_cost_flow(*_args(x))
    np.testing.assert_array_equal(flow, x["flow"])
    assert int(flow @ np.array(x["cost"])) == x["total"][0]


def test_fixture_has_other_optima():
    """The fixture discriminates: on several networks another optimal flow exists."""
    other = 0
    for x in NETS:
        args = _args(x)
        h = _highs(*args)
        assert int(h @ args[4]) == x["total"][0]
        other += not np.array_equal(h, x["flow"])
    assert other >= 5


@pytest.mark.parametrize("seed", range(8))
def test_random_networks_optimal_and_feasible(seed):
    """Against HiGHS on larger random networks: equal cost, bounds kept, supplies met."""
    rng = np.random.default_rng(seed)
    n = 30
    src = np.r_[np.arange(n - 1), np.arange(1, n), rng.integers(0, n, 200)]
    tgt = np.r_[np.arange(1, n), np.arange(n - 1), rng.integers(0, n, 200)]
    keep = src != tgt
    src, tgt = src[keep], tgt[keep]
    cap = np.r_[np.full(2 * (n - 1), 50), rng.integers(1, 6, keep.sum() - 2 * (n - 1))]
    cost = np.r_[np.full(2 * (n - 1), 10), rng.integers(-3, 8, keep.sum() - 2 * (n - 1))]
    supply = rng.integers(-4, 5, n)
    supply[-1] -= supply.sum()
    flow = min_cost_flow(n, src, tgt, cap, cost, supply)
    assert (flow >= 0).all() and (flow <= cap).all()
    net = np.bincount(src, flow, n) - np.bincount(tgt, flow, n)
    np.testing.assert_array_equal(net, supply)
    assert int(flow @ cost) == int(_highs(n, src, tgt, cap, cost, supply) @ cost)


def test_infeasible_and_unbalanced_networks_are_errors():
    with pytest.raises(MatchingError, match="no feasible flow"):
        min_cost_flow(3, [0], [1], [1], [1], [2, 0, -2])
    with pytest.raises(MatchingError, match="do not sum to zero"):
        min_cost_flow(2, [0], [1], [1], [1], [1, 0])


def test_too_many_arcs_for_lemon_is_an_error(monkeypatch):
    import evaltool.design.matching._optmatch as om

    monkeypatch.setattr(om, "MAX_ARCS", 10)
    ii, jj = om.column_major(3, 4)
    with pytest.raises(MatchingError, match="12 admissible pairs .* use solver='scipy'"):
        om.solve_subproblem(np.ones(12), ii, jj, 3, 4, min_controls=0, max_controls=np.inf,
                            omit_fraction=None, tol=1e-7)


def test_pruned_arcs_keep_an_optimal_pairing():
    """MatchIt's preprocess_matchC (Savje 2020): every arc of some optimal 1:1 matching survives;
    the optimum on the pruned arcs equals the dense one."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(7)
    for _ in range(10):
        t = (rng.random(60) < 0.3).astype(int)
        score = rng.random(60).round(2)
        ii, jj = pruned_pairs(score, t)
        tr, co = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
        dense = np.abs(score[tr][:, None] - score[co][None, :])
        r, c = linear_sum_assignment(dense)
        big = np.full_like(dense, 1e6)
        big[ii, jj] = dense[ii, jj]
        r2, c2 = linear_sum_assignment(big)
        assert big[r2, c2].sum() == pytest.approx(dense[r, c].sum(), abs=1e-12)
        assert ii.size < dense.size
