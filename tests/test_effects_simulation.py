"""Simulation tests with known truth for evaltool.effects (tolerances in Monte-Carlo SEs).

The DGP and the matcher are those of benchmarks/bench_montecarlo.py (the full
200-replication table is in docs/effects.md); here a small, fast version.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evaltool.effects import ps_adjustment
from evaltool.estimand import Estimand

_path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_montecarlo.py"
_spec = importlib.util.spec_from_file_location("bench_montecarlo", _path)
mc = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_montecarlo", mc)
_spec.loader.exec_module(mc)

REPS = 40


@pytest.fixture(scope="module")
def table():
    designs = {k: mc.DESIGNS[k] for k in ("naive (all units, hc1)", "1:1 no replacement, cluster",
                                          "1:1 no replacement, caliper 0.2, cluster",
                                          "1:1 replacement, abadie_imbens",
                                          "1:1 replacement, two-way cluster")}
    return mc.run(REPS, 1500, seed=99, designs=designs).set_index("design")


@pytest.mark.parametrize("design", ["1:1 no replacement, cluster", "1:1 no replacement, caliper 0.2, cluster",
                                    "1:1 replacement, abadie_imbens",
                                    "1:1 replacement, two-way cluster"])
def test_matching_unbiased_and_covers(table, design):
    row = table.loc[design]
    assert abs(row["bias"]) < 4 * row["MC SE of bias"]
    lowest = stats.binom.ppf(0.001, REPS, 0.95) / REPS  # 99.9 % lower binomial limit
    assert row["95% CI coverage"] >= lowest
    assert 0.6 < row["mean SE"] / row["SD of estimates"] < 1.8


def test_naive_difference_is_biased(table):
    row = table.loc["naive (all units, hc1)"]
    assert row["bias"] > 4 * row["MC SE of bias"]


def _nearest_loop(p, arm_mask, i, L):
    cand = [j for j in range(p.size) if arm_mask[j]]
    return sorted(cand, key=lambda j: abs(p[j] - p[i]))[:L]


def _adjustment_by_hand(y, t, p, X, estimand, tau, L):
    n, k = X.shape
    info = np.zeros((k, k))
    c = np.zeros(k)
    ct = np.zeros(k)
    d = np.zeros(k)
    for i in range(n):
        f = p[i] * (1 - p[i])
        info += f * np.outer(X[i], X[i]) / n
        cov, mu = {}, {}
        for arm in (0, 1):
            J = _nearest_loop(p, t == arm, i, L)
            xs, ys = X[J], y[J]
            cov[arm] = sum((xs[m] - xs.mean(0)) * (ys[m] - ys.mean()) for m in range(L)) / (L - 1)
            mu[arm] = ys.mean()
        c += (cov[1] / p[i] + cov[0] / (1 - p[i])) * f / n
        ct += (cov[1] + p[i] / (1 - p[i]) * cov[0]) * f / n
        d += X[i] * f * (mu[1] - mu[0] - tau) / n
    inv = np.linalg.inv(info)
    if estimand is Estimand.ATE:
        return -(c @ inv @ c) / n
    pbar = p.mean()
    ct, d = ct / pbar, d / pbar
    return (-(ct @ inv @ ct) + d @ inv @ d) / n


@pytest.mark.parametrize("estimand", [Estimand.ATE, Estimand.ATT])
def test_ps_adjustment_equals_hand_calculation(estimand):
    rng = np.random.default_rng(4)
    n = 40
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    p = 1 / (1 + np.exp(-(-0.3 + 0.9 * x)))
    t = (rng.uniform(size=n) < p).astype(float)
    y = 1 + 2 * x + t + rng.normal(size=n)
    got = ps_adjustment(y, t, p, X, estimand, tau=0.8, L=3)
    want = _adjustment_by_hand(y, t, p, X, estimand, tau=0.8, L=3)
    assert got == pytest.approx(want, rel=1e-10)


def test_ps_adjustment_ate_never_increases_variance_and_att_is_moderate():
    rng = np.random.default_rng(21)
    ate_terms, att_ratio = [], []
    for _ in range(10):
        data = mc.simulate(1500, rng)
        ps, Xd = mc.logit_ps(data[["x1", "x2"]].to_numpy(), data["treat"].to_numpy())
        y, t = data["y"].to_numpy(), data["treat"].to_numpy().astype(float)
        ate_terms.append(ps_adjustment(y, t, ps, Xd, Estimand.ATE, tau=0.05))
        design = mc.make_design(data, replace=True)
        from evaltool.effects import estimate

        se = estimate(design, "y", variance="abadie_imbens").effects["std_error"].iloc[0] / 100
        term = ps_adjustment(y, t, ps, Xd, Estimand.ATT, tau=0.05)
        att_ratio.append(np.sqrt(se**2 + term) / se)
    assert max(ate_terms) <= 0
    assert 0.8 < np.mean(att_ratio) < 1.2
