"""Monte Carlo: coverage of 95 % intervals for a person-level effect when outcomes share an area shock.

Data-generating process (per replication, seeded): ``G`` housing areas, ``G1`` of them with outreach;
``m`` persons per area. Every outreach person is matched 1:1 to a comparison person drawn from the
comparison areas (the pair structure of a matched design). Outcome
``y = tau * treated + a_area + e`` with area shock ``a ~ N(0, sd_area)`` and ``e ~ N(0, 1)``.
The effect is the difference in means (evaltool's matched estimator) and is covered when the
interval contains ``tau``:

* ``pair``  - cluster-robust by matched pair (what evaltool.estimate reports after 1:1 matching);
* ``cr1``   - cluster-robust by area, CR1, t(G - 1) quantiles;
* ``wcb``   - restricted wild cluster bootstrap by area (Rademacher; coverage = the test of
              beta = tau not rejected at 5 %, i.e. the test-inversion interval covers tau).

Usage::

    python benchmarks/bench_cluster_montecarlo.py            # quick: 200 replications
    python benchmarks/bench_cluster_montecarlo.py --full     # 2000 replications

Prints a Markdown table (coverage and its Monte Carlo standard error) for docs/sensitivity.md.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from evaltool.sensitivity.cluster import cr1_vcov, fit_wls, wild_cluster_bootstrap  # noqa: E402

SETTINGS = (
    # name, areas, treated areas, persons per area, sd of the area shock
    ("40 areas (20 treated), area shock", 40, 20, 30, 0.5),
    ("16 areas (6 treated), area shock", 16, 6, 60, 0.5),
    ("16 areas (6 treated), no area shock", 16, 6, 60, 0.0),
)


def one_replication(rng: np.random.Generator, g: int, g1: int, m: int, sd_area: float, tau: float = 0.3,
                    n_boot: int = 199) -> dict[str, bool]:
    shock = rng.normal(0.0, sd_area, g)
    treated_persons = np.repeat(np.arange(g1), m)
    n1 = treated_persons.size
    control_pool = np.repeat(np.arange(g1, g), m)
    controls = rng.choice(control_pool, size=n1, replace=False)  # 1:1 pairs across areas
    area = np.concatenate([treated_persons, controls])
    t = np.r_[np.ones(n1), np.zeros(n1)]
    pair = np.r_[np.arange(n1), np.arange(n1)]
    y = tau * t + shock[area] + rng.normal(size=2 * n1)
    X = np.column_stack([np.ones(2 * n1), t])
    w = np.ones(2 * n1)
    fit = fit_wls(y, X, w)
    beta = fit.beta
    out = {}
    se_pair = math.sqrt(cr1_vcov(fit, [pair])[1, 1])
    out["pair"] = abs(beta[1] - tau) <= stats.norm.ppf(0.975) * se_pair
    se_area = math.sqrt(cr1_vcov(fit, [area])[1, 1])
    out["cr1"] = abs(beta[1] - tau) <= stats.t.ppf(0.975, g - 1) * se_area
    wb = wild_cluster_bootstrap(y - tau * t, X, w, area, n_boot=n_boot, seed=int(rng.integers(2**31)),
                                conf_int=False)
    out["wcb"] = wb.p_value > 0.05
    return out


def coverage(name: str, g: int, g1: int, m: int, sd_area: float, reps: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits = {"pair": 0, "cr1": 0, "wcb": 0}
    for _ in range(reps):
        for k, v in one_replication(rng, g, g1, m, sd_area).items():
            hits[k] += int(v)
    return {k: v / reps for k, v in hits.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="2000 replications per setting (default 200)")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    reps = args.reps or (2000 if args.full else 200)
    print(f"Coverage of nominal 95 % intervals, {reps} replications per setting (seed {args.seed}); "
          f"MC s.e. = sqrt(c(1-c)/R)\n")
    print("| setting | pair-clustered | area CR1 (t, G-1) | wild cluster bootstrap (area) |")
    print("|---|---|---|---|")
    for i, (name, g, g1, m, sd) in enumerate(SETTINGS):
        c = coverage(name, g, g1, m, sd, reps, args.seed + i)
        cells = [f"{c[k]:.3f} ({math.sqrt(c[k] * (1 - c[k]) / reps):.3f})" for k in ("pair", "cr1", "wcb")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
