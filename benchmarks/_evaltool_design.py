"""One design, one process: the worker of benchmarks/bench_designs.py.

Read the CSV of bench_matchit.py (pyarrow), build the design on the 15 design columns, its
balance table, and the effect on an outcome column (``y``: prior employment plus the treatment plus
seeded normal noise), and write the weights.

Usage: python benchmarks/_evaltool_design.py DATA.csv DESIGN OUT.csv
DESIGN is one of the names in DESIGNS (bench_designs.py lists them with their options).
"""

from __future__ import annotations

import sys
import warnings

COVARIATES = ["age", "female", "C(origin)", "C(educ)", "C(benefit)", "prior_support",
              "prior_employment", "prior_internship"]
CEM_COVARIATES = ["age", "female", "C(origin)", "C(educ)", "C(benefit)", "prior_support"]

# benefit x origin x education x sex x age band: 600 exact strata (~1,700 persons each at 1M)
FINE = ["benefit", "origin", "educ", "female", "age_band"]

DESIGNS = {
    "nearest": ("match", {}),
    "nearest_caliper": ("match", {"caliper": 0.2}),
    # solver "scipy": the scale path (solver "lemon", the default, reproduces MatchIt's sets in pure
    # Python and stops above 2M arcs per stratum)
    "optimal_exact": ("match", {"method": "optimal", "exact": ["benefit", "origin", "educ"], "solver": "scipy"}),
    "full_exact_caliper": ("match", {"method": "full", "caliper": 0.01, "exact": ["benefit", "origin", "educ"],
                                     "solver": "scipy"}),
    "optimal_strata": ("match", {"method": "optimal", "exact": FINE, "solver": "scipy"}),
    "full_strata_caliper": ("match", {"method": "full", "caliper": 0.2, "exact": FINE, "solver": "scipy"}),
    "subclass": ("match", {"method": "subclass", "subclass": 6}),
    "cem": ("match", {"method": "cem"}),
    "cem_k2k": ("match", {"method": "cem", "k2k": True}),
    "ipw_ate": ("weight", {"method": "ipw", "estimand": "ATE"}),
    "overlap": ("weight", {"method": "overlap"}),
    "entropy": ("weight", {"method": "entropy", "moments": 1}),
    "aipw_k5": ("aipw", {"n_folds": 5}),
}


def main(argv: list[str]) -> None:
    import numpy as np
    import pandas as pd

    path, name, out = argv[:3]
    d = pd.read_csv(path, engine="pyarrow")
    # seeded noise: without it overlap weights (exact mean balance on the logit's covariates) give an
    # effect with zero variance, which evaltool reports as not estimable
    d["age_band"] = ((d["age"] - 15) // 10).clip(upper=4)  # 18-24, 25-34, 35-44, 45-54, 55-64
    d["y"] = d["prior_employment"] + 0.1 * d["treat"] + np.random.default_rng(7).normal(size=len(d))
    kind, kw = DESIGNS[name]
    import evaltool

    warnings.simplefilter("ignore")
    covs = CEM_COVARIATES if name.startswith("cem") else COVARIATES
    if kind == "aipw":
        r = evaltool.aipw(d, "treat", "y", covs, estimand="ATT", seed=1, **kw)
        w = pd.Series(np.ones(len(d)))
        est = r.estimate
    else:
        design = (evaltool.match if kind == "match" else evaltool.weight)(d, "treat", covs, **kw)
        evaltool.balance(design)
        est = float(evaltool.estimate(design, "y").effects.loc[0, "estimate"])
        w = design.weights
    w.to_frame("w").to_csv(out, index=False)
    sys.stdout.write(f"{est:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
