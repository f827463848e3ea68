"""Propensity fit benchmark: the logit at 1M persons x 15 design columns.

Usage::

    python benchmarks/bench_propensity.py [--n 1000000] [--repeat 3] [--quick] [--no-statsmodels]

Times (median wall and CPU seconds of ``repeat`` in one process, after a warm-up), on the
data of ``bench_matchit.py`` read into a pyarrow Table (age, sex, origin, education, benefit
type, three history shares): the design's column sources (``design_blocks``: string codes,
no float matrix), the logit Newton/IRLS fit on them (block by block), the whole
``fit_propensity`` call, and for comparison the float design matrix itself
(``design_array``, which the fit no longer builds). The last row is the previous method on
that matrix: statsmodels ``GLM(Binomial)`` fitted twice (the second fit with R's stopping
threshold).
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
    ap.add_argument("--no-statsmodels", action="store_true", help="skip the (slow) comparison row")
    args = ap.parse_args()
    n, repeat = (100_000, 1) if args.quick else (args.n, args.repeat)
    import pyarrow.csv as pacsv

    from _evaltool_match import COVARIATES
    from bench_matchit import make_data
    from evaltool._arrow import to_numpy
    from evaltool.design import _logit, propensity
    from evaltool.terms import design_array, design_blocks

    d = pacsv.read_csv(make_data(n))
    y = to_numpy(d.column("treat")).astype(float)
    D = design_blocks(d, COVARIATES)
    cols = D.names
    _logit.fit_logit(D, cols, y)  # warm-up
    clocks = (time.perf_counter, time.process_time)
    steps = ["design sources", "logit IRLS", "fit_propensity", "design matrix"]
    steps += [] if args.no_statsmodels else ["statsmodels x2"]
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in steps}

    def timed(name, fn):
        t0 = [c() for c in clocks]
        out = fn()
        times[name].append(tuple(c() - t for c, t in zip(clocks, t0)))
        return out

    for _ in range(repeat):
        D = timed("design sources", lambda: design_blocks(d, COVARIATES))
        with _logit.blas_threads():  # as fit_propensity runs it
            timed("logit IRLS", lambda: _logit.fit_logit(D, cols, y))
        timed("fit_propensity", lambda: propensity.fit_propensity(d, "treat", COVARIATES))
        X, _ = timed("design matrix", lambda: design_array(d, COVARIATES))
        if not args.no_statsmodels:
            import statsmodels.api as sm

            def two_fits():
                glm = sm.GLM(y, X, family=sm.families.Binomial())
                first = glm.fit(tol=1e-8, maxiter=100)
                glm.fit(tol=1e-8 * (abs(first.deviance) + 0.1), maxiter=100)

            timed("statsmodels x2", two_fits)
    print(f"| {'step':<16} | {'n':>9} | {'columns':>7} | {'median s':>8} | {'median CPU s':>12} |")
    print(f"|{'-' * 18}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 14}|")
    for step, ts in times.items():
        print(f"| {step:<16} | {n:>9,} | {len(cols):>7} | {statistics.median(t[0] for t in ts):>8.2f} | "
              f"{statistics.median(t[1] for t in ts):>12.2f} |")


if __name__ == "__main__":
    main()
