"""A whole outreach evaluation from Python, step by step (what `evaltool run` chains for you).

Run it from the repository root:  python examples/python_api.py [--n 20000]

1. simulated register extracts (persons + DREAM-style weekly panel) with known true effects;
2. outcomes derived from the weekly panel (internship or wage subsidy within 52 weeks, ...);
3. nearest-neighbour matching on a logit propensity score, exact on match group and benefit,
   caliper 0.2 SD (MatchIt's rules), and the balance table;
4. effects with pair-clustered standard errors, by subgroup too;
5. week-by-week trajectories and a Kaplan-Meier/Cox analysis of time to self-support.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import evaltool
from evaltool.effects.time_to_event import time_to_event
from evaltool.registers import OutcomeSpec, derive_outcomes, load_code_map, trajectories
from evaltool.simulate import simulate_study

CODE_MAP = Path(__file__).resolve().parents[1] / "configs" / "codes_example.yaml"


def main(n: int) -> None:
    # 1. data: one row per person; one row per person-week on public support (none = self-supported)
    sim = simulate_study(n=n, seed=7)
    persons = sim.persons.set_index("person_id", drop=False)
    persons = persons[(persons["match_group"] == "aktivitetsparat")
                      & persons["benefit_type"].isin(["kontanthjaelp", "uddannelseshjaelp", "integrationsydelse"])]
    code_map = load_code_map(CODE_MAP)

    # 2. register outcomes relative to each person's start week
    specs = [
        OutcomeSpec("internship_or_wage_subsidy_52w", "any", ("placement",), window=(1, 52)),
        OutcomeSpec("ordinary_employment_52w", "any", ("self_support",), window=(1, 52)),
        OutcomeSpec("weeks_to_self_support", "time_to", ("self_support",), horizon=156),
    ]
    outcomes = derive_outcomes(persons, sim.weekly_status, code_map, specs).frame.reindex(persons.index)

    # 3. the matched design and its balance
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evaltool.EvaltoolWarning)  # the ATT -> ATM note is in the summary
        design = evaltool.match(persons, "outreach",
                                ["age", "C(sex)", "C(origin)", "C(education)", "prior_support_share",
                                 "prior_employment_weeks"],
                                exact=["match_group", "benefit_type"], caliper=0.2)
        print(evaltool.balance(design).summary(), end="\n\n")

        # 4. effects (binary outcomes in percentage points), overall and by origin
        effects = evaltool.estimate(design, outcomes[["internship_or_wage_subsidy_52w", "ordinary_employment_52w"]],
                                    subgroups=["origin"])
    cols = ["outcome", "subgroup", "level", "mean_treated", "mean_control", "estimate", "ci_low", "ci_high",
            "p_value", "n_treated"]
    print(effects.to_frame()[cols].round(3).to_string(index=False), end="\n\n")
    truth = sim.truth["att"]
    print(f"true effects: internship/wage subsidy {100 * truth['internship_or_wage_subsidy_52w']:+.1f} pp, "
          f"ordinary employment {100 * truth['ordinary_employment_52w']:+.1f} pp", end="\n\n")

    # 5. trajectories (weighted by the design) and time to the first self-supported week
    traj = trajectories(persons, sim.weekly_status, code_map, design.treat, weights=design.weights)
    frame = traj.to_frame()
    print(frame[(frame["category"] == "virksomhedspraktik") & frame["week"].isin([-26, 0, 13, 26, 52])]
          .pivot(index="week", columns="group", values="share").round(4), end="\n\n")
    keep = design.weights > 0
    tte = time_to_event(outcomes.loc[keep, "weeks_to_self_support"], outcomes.loc[keep, "weeks_to_self_support_event"],
                        design.treat[keep], weights=design.weights[keep], cluster=design.subclass[keep],
                        outcome="weeks_to_self_support")
    print(tte.summary())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000, help="persons to simulate")
    main(ap.parse_args().n)
