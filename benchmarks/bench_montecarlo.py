"""Monte-Carlo check of evaltool.effects: bias, SE calibration and CI coverage.

``python benchmarks/bench_montecarlo.py [--quick] [--reps N] [--n N] [--seed S]``

Data-generating process (known truth): persons with a continuous and a binary
covariate; treatment by a logit in both (selection on observables, so the naive
difference is biased); a binary outcome (e.g. "any internship or wage subsidy
within 52 weeks") with probability 0.25 + 0.10 x1 + 0.10 x2 (clipped) plus a
constant effect of 5 percentage points. The propensity score is re-estimated by
logit in every replication and matched on with ``evaltool.match`` (1:1 nearest
neighbour, largest score first, as MatchIt). The naive row uses every unit with
weight 1 (``evaltool.effects.PairsDesign``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd

from evaltool.effects import PairsDesign, estimate
from evaltool.design.matching import match
from evaltool.estimand import Estimand

TRUE_EFFECT_PP = 5.0


def simulate(n: int, rng: np.random.Generator, effect: float = TRUE_EFFECT_PP / 100) -> pd.DataFrame:
    """One population (see the module docstring)."""
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    p = 1 / (1 + np.exp(-(-1.3 + 0.7 * x1 + 0.6 * x2)))
    t = rng.binomial(1, p)
    base = np.clip(0.25 + 0.10 * x1 + 0.10 * x2, 0.02, 0.90)
    y = rng.binomial(1, base + effect * t)
    return pd.DataFrame({"x1": x1, "x2": x2, "treat": t, "y": y.astype(float)},
                        index=pd.RangeIndex(n, name="person_id"))


def logit_ps(X: np.ndarray, t: np.ndarray, iters: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Logit fitted probabilities by Newton-Raphson; returns (scores, design matrix)."""
    Xd = np.column_stack([np.ones(len(t)), X])
    beta = np.zeros(Xd.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xd @ beta))
        step = np.linalg.solve((Xd * (p * (1 - p))[:, None]).T @ Xd, Xd.T @ (t - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return 1 / (1 + np.exp(-Xd @ beta)), Xd


def make_design(data: pd.DataFrame, replace: bool, caliper: float | None = None) -> Any:
    """Nearest-neighbour matching on a logit score with ``evaltool.match`` (MatchIt's rules)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ATT -> ATM note when a caliper drops treated units
        return match(data, "treat", ["x1", "x2"], replace=replace, caliper=caliper)


DESIGNS = {
    "naive (all units, hc1)": dict(replace=None, variance="hc1"),
    "1:1 no replacement, cluster": dict(replace=False, variance="cluster"),
    "1:1 no replacement, caliper 0.2, cluster": dict(replace=False, caliper=0.2, variance="cluster"),
    "1:1 no replacement, bootstrap": dict(replace=False, variance="bootstrap"),
    "1:1 replacement, abadie_imbens": dict(replace=True, variance="abadie_imbens"),
    "1:1 replacement, AI + ps_adjust": dict(replace=True, variance="abadie_imbens", ps_adjust=True),
    "1:1 replacement, two-way cluster": dict(replace=True, variance="cluster"),
}


def one_replication(data: pd.DataFrame, spec: dict, n_boot: int, seed: int) -> tuple[float, float, bool]:
    if spec["replace"] is None:
        idx = data.index
        design = PairsDesign(data, "treat", data["treat"], pd.Series(1.0, index=idx),
                             pd.Series(pd.NA, index=idx, dtype="Int64"), Estimand.ATE, "hc1",
                             pd.DataFrame(columns=["subclass", "treated", "control", "slot", "weight"]))
    else:
        design = make_design(data, spec["replace"], spec.get("caliper"))
    row = estimate(design, "y", variance=spec["variance"], ps_adjust=spec.get("ps_adjust", False),
                   seed=seed, n_boot=n_boot).effects.iloc[0]
    cover = row["ci_low"] <= TRUE_EFFECT_PP <= row["ci_high"]
    return float(row["estimate"]), float(row["std_error"]), bool(cover)


def run(reps: int, n: int, seed: int, designs: dict | None = None, n_boot: int = 199) -> pd.DataFrame:
    """Monte-Carlo table: one row per design."""
    designs = DESIGNS if designs is None else designs
    seeds = np.random.SeedSequence(seed).spawn(reps)
    results: dict[str, list] = {k: [] for k in designs}
    for r, ss in enumerate(seeds):
        data = simulate(n, np.random.default_rng(ss))
        for name, spec in designs.items():
            results[name].append(one_replication(data, spec, n_boot, seed + r))
    rows = []
    for name, res in results.items():
        est, se, cov = (np.array(v) for v in zip(*res))
        bias = est.mean() - TRUE_EFFECT_PP
        rows.append({"design": name, "replications": reps, "true effect (pp)": TRUE_EFFECT_PP,
                     "mean estimate": est.mean(), "bias": bias,
                     "MC SE of bias": est.std(ddof=1) / np.sqrt(reps), "mean SE": se.mean(),
                     "SD of estimates": est.std(ddof=1), "95% CI coverage": cov.mean()})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 replications of 1,000 persons")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    reps, n = (20, 1000) if args.quick else (args.reps, args.n)
    table = run(reps, n, args.seed)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"persons per replication: {n}; seed {args.seed}; matcher: evaltool.design.matching.match")
        print(table.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else
              table.to_string(index=False, float_format="{:.3f}".format))
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
