"""Matching benchmark: seconds and peak memory per case, one subprocess per case.

Usage::

    python benchmarks/bench_matching.py [--sizes 100000 1000000]

Synthetic persons (~25 % treated, 4 covariates, seeded numpy). Each case runs in a
fresh interpreter; "match s" times the matching step on a precomputed score
column, "total s" the whole ``match()`` call with the logit propensity fitted, and
"peak MB" is the subprocess's maximum resident set size (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = {
    "1:1 nearest": {},
    "1:1 nearest, caliper 0.2": {"caliper": 0.2},
    "1:1 with replacement": {"replace": True},
    "2:1 nearest": {"ratio": 2},
}

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
from evaltool.design.matching import match
n, kw = int(sys.argv[1]), json.loads(sys.argv[2])
rng = np.random.default_rng(2026)
X = rng.normal(size=(n, 4))
lin = -1.35 + X @ np.array([0.6, -0.4, 0.3, 0.2])
d = pd.DataFrame(X, columns=["age", "hist", "edu", "x4"])
d["t"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(np.int8)
d["ps"] = 1 / (1 + np.exp(-lin))
warnings.simplefilter("ignore")
t0 = time.perf_counter(); match(d, "t", ["age", "hist", "edu", "x4"], distance="ps", **kw)
t_match = time.perf_counter() - t0
t0 = time.perf_counter(); match(d, "t", ["age", "hist", "edu", "x4"], **kw)
t_total = time.perf_counter() - t0
print(json.dumps({"match": t_match, "total": t_total,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(n: int, kw: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), json.dumps(kw)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--quick", action="store_true", help="20,000 persons only (smoke run)")
    args = ap.parse_args()
    print(f"| {'n':>9} | {'case':<26} | {'match s':>8} | {'total s':>8} | {'peak MB':>8} |")
    print(f"|{'-' * 11}|{'-' * 28}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for n in ([20_000] if args.quick else args.sizes):
        for name, kw in CASES.items():
            r = run(n, kw)
            print(f"| {n:>9,} | {name:<26} | {r['match']:>8.2f} | {r['total']:>8.2f} | {r['peak_mb']:>8.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
