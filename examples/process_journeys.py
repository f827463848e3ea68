"""Target-group mapping, citizen journeys, case duration, process measures and cost from Python.

Runs on simulated data with known truths (about 20 s at the default size)::

    python examples/process_journeys.py --n 4000 --figures out_dir
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import evaltool
from evaltool.process import CaseDurationSpec, ContactsSpec, CostSpec, JourneySpec, MappingSpec
from evaltool.process.contacts import run_process
from evaltool.process.cost import run_cost
from evaltool.process.duration import run_case_duration
from evaltool.process.figures import alluvial_figure, state_distribution_figure
from evaltool.process.mapping import run_mapping
from evaltool.process.result import ProcessStageResult
from evaltool.registers import OutcomeSpec, derive_outcomes
from evaltool.registers.journeys import journeys
from evaltool.simulate import simulate_contacts, simulate_study


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--figures", type=Path, default=None, help="folder for the two journey figures (PNG)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", evaltool.EvaltoolWarning)

    sim = simulate_study(n=args.n, seed=args.seed)
    persons = sim.persons.set_index("person_id", drop=False)
    rng = sim.data_range

    # 1. who is where, on what, and who is about to lose dagpenge
    mapping = run_mapping(persons, sim.weekly_status, sim.code_map,
                          MappingSpec(reference_week=202440, by=["area", "benefit", "match_group"]), data_range=rng)
    print(repr(mapping))
    print(mapping.timeline.to_string(index=False))

    # 2. matched design (as in the effect analysis), then journeys on it
    design = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"],
                            exact=["match_group", "benefit_type"])
    w = design.weights.reindex(persons.index).to_numpy()
    pair = design.subclass.reindex(persons.index).to_numpy()
    jspec = JourneySpec(contrasts=[("kontanthjaelp", "praktik_loentilskud"), ("kontanthjaelp", "selvforsoergelse")])
    jr = journeys(persons, sim.weekly_status, sim.code_map, jspec, weights=w, cluster=pair, data_range=rng)
    print(jr.summary())
    print("most frequent pathways (treated):")
    for p in [p for p in jr.pathways if p["group"] == "treated"][:5]:
        print(f"  {p['share']:.1%}  {p['pathway']}")

    # 3. case duration
    cd = run_case_duration(persons, sim.weekly_status, sim.code_map, CaseDurationSpec(), weights=w, cluster=pair,
                           data_range=rng)
    print(cd.summary())

    # 4. process measures from the contact log, with effects on the matched design
    proc = run_process(simulate_contacts(sim.persons, args.seed), design, ContactsSpec())
    print(proc.rows[["indicator", "estimate", "ci_low", "ci_high", "unit"]].to_string(index=False))
    print("true contact effects:", sim.truth["contacts"])

    # 5. cost per additional person in internship or wage subsidy
    out = derive_outcomes(persons, sim.weekly_status, sim.code_map,
                          [OutcomeSpec("internship_or_wage_subsidy_52w", "any", ("placement",), window=(1, 52))],
                          data_range=rng)
    eff = evaltool.estimate(design, out.frame.set_axis(persons.index))
    cost = run_cost(CostSpec(**sim.truth["costs"], outcomes=["internship_or_wage_subsidy_52w"]), eff.effects)
    print(cost.summary())

    blocks = ProcessStageResult(mapping=mapping, journeys=jr, case_duration=cd, process=proc, cost=cost).to_dict()
    print("results blocks:", ", ".join(blocks))
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
        alluvial_figure(jr, "treated").savefig(args.figures / "alluvial_treated.png", dpi=120)
        state_distribution_figure(jr).savefig(args.figures / "state_distribution.png", dpi=120)


if __name__ == "__main__":
    main()
