"""Monte-Carlo check of the area estimators on the simulator (coverage, bias).

    PYTHONPATH=src python benchmarks/bench_areas_montecarlo.py --quick     # ~100 replications
    PYTHONPATH=src python benchmarks/bench_areas_montecarlo.py             # 1000 replications

Designs (true effect -0.03, years 2008-2020, seeds 0..R-1):

* ``block``: 30 areas, 10 treated from 2014, constant effect (TWFE is unbiased; its cluster SE,
  the wild cluster bootstrap, randomization inference and Callaway-Sant'Anna should cover 95 %);
* ``few``: the Fredericia shape, 16 areas, 2 treated from 2014 (the cluster SE under-covers;
  wild bootstrap and randomization inference should not);
* ``staggered``: 30 areas, three cohorts with effects growing with time since start
  (TWFE biased, Callaway-Sant'Anna not).

Prints a Markdown table (mean estimate - truth, its Monte-Carlo SE, coverage of the 95 % interval
and its Monte-Carlo SE) for docs/areas.md.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from evaltool.areas import AreaSpec, run_area_analysis
from evaltool.simulate.areas import simulate_area_panel

DESIGNS = {
    "block": dict(n_areas=30, scenario="fredericia", n_treated=10),
    "few": dict(n_areas=16, scenario="fredericia"),
    "staggered": dict(n_areas=30, scenario="staggered"),
}
EFFECT = -0.03


def one(design: str, seed: int, n_boot: int) -> list[tuple[str, float, float, float, bool]]:
    kw = dict(DESIGNS[design])
    df, truth = simulate_area_panel(kw.pop("n_areas"), range(2008, 2021), kw.pop("scenario"), EFFECT, seed, **kw)
    spec = AreaSpec(methods=["twfe", "callaway_santanna"], n_boot=n_boot, n_permutations=n_boot if design != "staggered"
                    else 0)
    res = run_area_analysis(df, spec, seed=seed)
    out = []
    twfe_truth = truth["att_treated_post"] if design != "staggered" else truth["att_simple"]
    for r in res.estimates:
        if r.estimator == "twfe":
            label = "twfe " + r.se_type.split(" (")[0].split(",")[0]
            out.append((label, r.estimate, twfe_truth, r.ci_low, r.ci_low <= twfe_truth <= r.ci_high))
        elif r.estimator == "callaway_santanna" and r.aggregation == "simple":
            t = truth["att_simple"]
            out.append(("callaway_santanna simple", r.estimate, t, r.ci_low, r.ci_low <= t <= r.ci_high))
        elif r.estimator == "callaway_santanna" and r.aggregation == "group" and r.group is None:
            t = truth["att_group_overall"]
            out.append(("callaway_santanna group", r.estimate, t, r.ci_low, r.ci_low <= t <= r.ci_high))
    return out


def run(reps: int, n_boot: int, designs: list[str]) -> list[dict]:
    table = []
    for design in designs:
        rows: dict[str, list] = {}
        for s in range(reps):
            for label, est, truth, _, cov in one(design, s, n_boot):
                rows.setdefault(label, []).append((est - truth, cov))
        for label, vals in rows.items():
            bias = np.array([v[0] for v in vals])
            cov = np.array([v[1] for v in vals], dtype=float)
            table.append({"design": design, "estimator": label, "reps": len(vals), "bias": bias.mean(),
                          "bias_mcse": bias.std(ddof=1) / np.sqrt(len(vals)), "coverage": cov.mean(),
                          "coverage_mcse": np.sqrt(cov.mean() * (1 - cov.mean()) / len(vals))})
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 replications, B = P = 199")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args(argv)
    reps = args.reps or (100 if args.quick else 1000)
    n_boot = 199 if args.quick else 399
    t0 = time.perf_counter()
    table = run(reps, n_boot, list(DESIGNS))
    print("| design | estimator / interval | reps | bias (MC SE) | coverage of 95 % CI (MC SE) |")
    print("|---|---|---|---|---|")
    for r in table:
        print(f"| {r['design']} | {r['estimator']} | {r['reps']} | {r['bias']:+.4f} ({r['bias_mcse']:.4f}) | "
              f"{100 * r['coverage']:.1f} % ({100 * r['coverage_mcse']:.1f}) |")
    print(f"\n{reps} replications, B = P = {n_boot}; {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
