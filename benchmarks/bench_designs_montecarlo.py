"""Monte-Carlo check of every design's default estimator: bias and 95 % CI coverage.

``python benchmarks/bench_designs_montecarlo.py [--quick | --full] [--reps N] [--n N] [--seed S]``

Data-generating process (known truth): ``x1 ~ N(0, 1)``, ``x2 ~ Bernoulli(0.4)``;
treatment by a logit ``a + b x1 + 0.5 x2``; outcome ``y = 1 + x1 + 0.5 x2 + tau(x) t + e``,
``e ~ N(0, 1)``, with a heterogeneous effect ``tau(x) = 2 + x1``. Two scenarios:

* ``good``: ``a = -0.8, b = 0.7`` (good overlap);
* ``limited``: ``a = -2.5, b = 2.0`` (limited overlap: few controls where treated are
  dense; the ATT, ATE and ATO differ, and weighting and matching disagree).

Truths per estimand (ATT = E[tau | T=1], ATE = E[tau], ATO = E[e(1-e) tau] / E[e(1-e)])
are computed once on 2,000,000 draws. Each design estimates its own estimand with its
default variance; coverage is the share of 95 % intervals containing that truth, with
its Monte-Carlo SE ``sqrt(c (1 - c) / reps)``. Prints a Markdown table (the one in
``docs/designs.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from evaltool import estimate
from evaltool.design.matching import match
from evaltool.design.weighting import weight
from evaltool.effects.aipw import aipw
from evaltool.effects.bias_adjust import matching_estimate
from evaltool.exceptions import MatchingError

SCENARIOS = {"good": (-0.8, 0.7), "limited": (-2.5, 2.0)}


def simulate(n: int, rng: np.random.Generator, scenario: str) -> pd.DataFrame:
    a, b = SCENARIOS[scenario]
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    e = 1 / (1 + np.exp(-(a + b * x1 + 0.5 * x2)))
    t = rng.binomial(1, e)
    y = 1 + x1 + 0.5 * x2 + (2 + x1) * t + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "t": t, "y": y, "e": e})


def truths(scenario: str, seed: int = 99) -> dict[str, float]:
    d = simulate(2_000_000, np.random.default_rng(seed), scenario)
    tau = 2 + d["x1"].to_numpy()
    e = d["e"].to_numpy()
    t = d["t"].to_numpy()
    h = e * (1 - e)
    return {"ATT": float(tau[t == 1].mean()), "ATE": float(tau.mean()),
            "ATC": float(tau[t == 0].mean()), "ATO": float((h * tau).sum() / h.sum())}


def _row(design) -> tuple[float, float, float]:
    r = estimate(design, "y").to_frame().iloc[0]
    return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])


_NA = (float("nan"),) * 3


def _try(make) -> tuple[float, float, float]:
    """A design's estimate and CI, or NaN when the design is not estimable on this draw
    (e.g. a propensity subclass without controls under limited overlap)."""
    try:
        return _row(make())
    except MatchingError:
        return _NA


def designs(d: pd.DataFrame, seed: int) -> dict[str, tuple[str, float, float, float]]:
    covs = ["x1", "x2"]
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["nearest 1:1 (cluster)"] = ("ATT", *_row(match(d, "t", covs)))
        m = match(d, "t", covs, replace=True, ties=True)
        out["nearest replace, ties (AI)"] = ("ATT", *_row(m))
        b = matching_estimate(m, "y", bias_adjust=True, covariates=covs)
        out["  + bias_adjust (AI)"] = ("ATT", b.estimate, b.estimate - 1.959964 * b.std_error,
                                       b.estimate + 1.959964 * b.std_error)
        out["subclass 6 (cluster)"] = ("ATT", *_try(lambda: match(d, "t", covs, method="subclass")))
        out["optimal 1:1 (cluster)"] = ("ATT", *_try(lambda: match(d, "t", covs, method="optimal")))
        out["ipw ATT (m_estimation)"] = ("ATT", *_row(weight(d, "t", covs, estimand="ATT")))
        out["ipw ATE (m_estimation)"] = ("ATE", *_row(weight(d, "t", covs, estimand="ATE")))
        out["overlap ATO (m_estimation)"] = ("ATO", *_row(weight(d, "t", covs, method="overlap")))
        out["entropy ATT (hc1)"] = ("ATT", *_row(weight(d, "t", covs, method="entropy")))
        for est in ("ATE", "ATT"):
            r = aipw(d, "t", "y", covs, estimand=est, n_folds=2, seed=seed)
            out[f"aipw {est} (K=2, IF)"] = (est, r.estimate, *r.conf_int)
    return out


def run(reps: int, n: int, seed: int) -> pd.DataFrame:
    rows = []
    for scenario in SCENARIOS:
        truth = truths(scenario)
        ss = np.random.SeedSequence([seed, list(SCENARIOS).index(scenario)])
        acc: dict[str, list] = {}
        for r, child in enumerate(ss.spawn(reps)):
            d = simulate(n, np.random.default_rng(child), scenario)
            for name, (est, e, lo, hi) in designs(d, seed + r).items():
                acc.setdefault(name, []).append((est, e, lo <= truth[est] <= hi, hi - lo))
        for name, allvals in acc.items():
            est = allvals[0][0]
            vals = [v for v in allvals if np.isfinite(v[1])]
            if not vals:
                rows.append({"scenario": scenario, "design (variance)": name, "estimand": est,
                             "truth": truth[est], "not_estimable": len(allvals)})
                continue
            e = np.array([v[1] for v in vals])
            cov = float(np.mean([v[2] for v in vals]))
            rows.append({"scenario": scenario, "design (variance)": name, "estimand": est,
                         "not_estimable": len(allvals) - len(vals),
                         "truth": truth[est], "bias": float(e.mean() - truth[est]),
                         "mc_se_bias": float(e.std(ddof=1) / np.sqrt(len(e))),
                         "coverage": cov, "mc_se_cov": float(np.sqrt(cov * (1 - cov) / len(e))),
                         "mean_ci_width": float(np.mean([v[3] for v in vals]))})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="50 replications (default)")
    g.add_argument("--full", action="store_true", help="500 replications")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    reps = a.reps if a.reps is not None else (500 if a.full else 50)
    t0 = time.perf_counter()
    table = run(reps, a.n, a.seed)
    sys.stdout.write(f"reps={reps} n={a.n} seed={a.seed} ({time.perf_counter() - t0:.0f} s)\n\n")
    sys.stdout.write(table.to_markdown(index=False, floatfmt=".3f") + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
