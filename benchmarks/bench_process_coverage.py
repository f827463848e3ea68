"""Monte-Carlo check of the process analyses: CI coverage of the contact-log effects (exact truths
of the simulator) and of the social-outcome effects, on a matched design re-formed each replication.

``python benchmarks/bench_process_coverage.py [--reps N] [--n N] [--seed S]``

Each replication simulates persons (``simulate_study(panel=False)``), a contact log and a social
register with fresh seeds, matches 1:1 nearest neighbour on the propensity score (exact on
match_group) and estimates every measure with ``run_process`` / ``evaltool.estimate``. Reports
mean bias, mean SE, SD of the estimates and the coverage of the 95 % CI, with its Monte-Carlo
standard error ``sqrt(0.95 * 0.05 / reps)``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

import evaltool
from evaltool.process import ContactsSpec, run_process
from evaltool.registers import OutcomeSpec, derive_outcomes
from evaltool.simulate import simulate_contacts, simulate_social_register, simulate_study
from evaltool.simulate.contacts import CONTACT_EFFECTS, SOCIAL_CATEGORIES, SOCIAL_EFFECTS


def one(n: int, seed: int) -> pd.DataFrame:
    sim = simulate_study(n=n, seed=seed, panel=False)
    persons = sim.persons.set_index("person_id", drop=False)
    design = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"],
                            exact=["match_group"])
    social = simulate_social_register(sim.persons, sim.code_map, seed)
    specs = [OutcomeSpec(c, "any", (c,), window=(1, 52)) for c in SOCIAL_CATEGORIES]
    extra = derive_outcomes(persons, social, sim.code_map, specs).frame.set_axis(persons.index)
    rows = run_process(simulate_contacts(sim.persons, seed), design, ContactsSpec(), extra=extra).rows
    truth = {**CONTACT_EFFECTS, **SOCIAL_EFFECTS}
    rows = rows[rows["indicator"].isin(list(truth))].copy()
    scale = np.where(rows["unit"] == "pp", 100.0, 1.0)
    rows["truth"] = rows["indicator"].map(truth) * scale
    rows["covered"] = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    return rows[["indicator", "estimate", "std_error", "truth", "covered"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1000)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    res = pd.concat([one(a.n, a.seed + r) for r in range(a.reps)], ignore_index=True)
    g = res.groupby("indicator", sort=False)
    out = pd.DataFrame({"truth": g["truth"].first(), "bias": g["estimate"].mean() - g["truth"].first(),
                        "mean_se": g["std_error"].mean(), "sd_est": g["estimate"].std(),
                        "coverage": g["covered"].mean()})
    print(f"reps={a.reps} n={a.n}; coverage MC s.e. = {np.sqrt(0.95 * 0.05 / a.reps):.3f}")
    print(out.to_string(float_format="{:.3f}".format))
    print(f"pooled coverage: {res['covered'].mean():.3f} over {len(res)} intervals")


if __name__ == "__main__":
    main()
