"""Propensity fit benchmark: the logit at 1M persons x 15 design columns.

Usage::

    python benchmarks/bench_propensity.py [--n 1000000] [--repeat 3] [--quick]

Times (median of ``repeat`` in one process, after a warm-up) the design matrix, the logit
Newton/IRLS fit on it, and the whole ``fit_propensity`` call, on the data of
``bench_matchit.py`` (age, sex, origin, education, benefit type, three history shares).
The last row is the previous method on the same matrix, for comparison: statsmodels
``GLM(Binomial)`` fitted twice (the second fit with R's stopping threshold).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100,000 persons, 1 run (smoke run)")
    args = ap.parse_args()
    n, repeat = (100_000, 1) if args.quick else (args.n, args.repeat)
    import pandas as pd

    from _evaltool_match import COVARIATES
    from bench_matchit import make_data
    from evaltool.design import propensity
    from evaltool.terms import design_matrix

    d = pd.read_csv(make_data(n), engine="pyarrow")
    y = d["treat"].to_numpy(float)
    X, cols = design_matrix(d, COVARIATES)
    propensity._fit_logit(X, y)  # warm-up
    import statsmodels.api as sm

    times: dict[str, list[float]] = {"design matrix": [], "logit IRLS": [], "fit_propensity": [],
                                     "statsmodels x2": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        X, cols = design_matrix(d, COVARIATES)
        t1 = time.perf_counter()
        propensity._fit_logit(X, y)
        t2 = time.perf_counter()
        propensity.fit_propensity(d, "treat", COVARIATES)
        t3 = time.perf_counter()
        times["design matrix"].append(t1 - t0)
        times["logit IRLS"].append(t2 - t1)
        times["fit_propensity"].append(t3 - t2)
        glm = sm.GLM(y, X.to_numpy(), family=sm.families.Binomial())
        first = glm.fit(tol=1e-8, maxiter=100)
        glm.fit(tol=1e-8 * (abs(first.deviance) + 0.1), maxiter=100)
        times["statsmodels x2"].append(time.perf_counter() - t3)
    print(f"| {'step':<16} | {'n':>9} | {'columns':>7} | {'median s':>8} |")
    print(f"|{'-' * 18}|{'-' * 11}|{'-' * 9}|{'-' * 10}|")
    for step, ts in times.items():
        print(f"| {step:<16} | {n:>9,} | {len(cols):>7} | {statistics.median(ts):>8.2f} |")


if __name__ == "__main__":
    main()
